// Keras normalization layers: BatchNormalization (moving statistics as non-trainable weights) and LayerNormalization.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import type { Tensor } from '../../../core/tensor.js';
import { add, cast, div, maximum, mul, sub } from '../../../ops/elementwise/builders.js';
import { broadcastTo, reshape } from '../../../ops/movement/builders.js';
import { sum } from '../../../ops/reduce/builders.js';
import {
  batchNorm,
  batchNormTraining,
  broadcastParam,
  commonFloat,
  momentsExcept,
  normalizeCentered,
} from '../../../ops/composite/batch-norm.js';
import { layerNormTrailing } from '../../../ops/composite/layer-norm.js';
import type { InitializerSpec } from '../../initializers.js';
import { type CallKwargs, Layer, type LayerArgs, layerOptions } from '../../layer.js';
import { maskOf, maskedMomentsEpsilon } from '../mask.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

/** BatchNormalization's and LayerNormalization's regularizer options (Keras gamma_ and beta_regularizer). */
const NORM_REGS = regularizerKeys('gammaRegularizer', 'betaRegularizer');

const n = (v: number): string => v.toLocaleString('en-US');

/** `axis` (negative allowed) as a positive axis of a rank-`rank` input, or a ValueError naming the layer. */
export function positiveAxis(axis: number, rank: number, layer: string, shape: Shape): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 1 || a >= rank)
    throw new ValueError(
      `${layer}: axis ${axis} is not a feature axis of an input ${fmtShape(shape)} (rank ${rank}; axis 0 is the batch)`,
    );
  return a;
}

/** y = (x - μ) / √(σ² + ε) · γ + β, with any of γ, β absent (μ, σ², γ, β broadcast against x). */
export function normalize(
  x: Tensor,
  mu: Tensor,
  v: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  eps: number,
): Tensor {
  return normalizeCentered(sub(x, mu), v, gamma, beta, eps);
}

/** In place, outside the tape: moving ← moving·keep + batch·(1 - keep), entry by entry. */
export function blendInPlace(moving: Tensor, batch: Tensor, keep: number, batchScale = 1): void {
  const m = moving.data;
  const b = batch.data;
  for (let i = 0; i < m.length; i++) m[i] = m[i] * keep + b[i] * batchScale * (1 - keep);
}

export interface BatchNormalizationArgs
  extends LayerArgs, RegularizerArgs<'gammaRegularizer' | 'betaRegularizer'> {
  /** The feature (channel) axis, default -1 (channels last). */
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: InitializerSpec;
  gammaInitializer?: InitializerSpec;
  movingMeanInitializer?: InitializerSpec;
  movingVarianceInitializer?: InitializerSpec;
}

/**
 * Keras BatchNormalization. Training mode (and trainable): normalise with the batch mean and population
 * variance, then moving = moving·momentum + batch·(1 - momentum). Inference: use the moving statistics.
 * Weights in Keras order: gamma, beta (trainable), moving_mean, moving_variance (non-trainable).
 * A mask (Embedding(maskZero), Masking) passes through; in models imported from Keras ≥ 3.0.2 or tf.keras ≥ 2.12 the
 * training moments are those of the unmasked positions (`maskedMoments`); TF.js and earlier Keras ignore the mask.
 */
export class BatchNormalization extends Layer {
  static override className = 'BatchNormalization';
  static override options = layerOptions<BatchNormalizationArgs>({
    axis: true,
    momentum: true,
    epsilon: true,
    center: true,
    scale: true,
    betaInitializer: true,
    gammaInitializer: true,
    movingMeanInitializer: true,
    movingVarianceInitializer: true,
    ...NORM_REGS,
  });
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  movingMean!: Tensor;
  movingVariance!: Tensor;
  constructor(readonly args: BatchNormalizationArgs = {}) {
    super(args);
    setupRegularizers(this, args, NORM_REGS);
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum <= 1))
      throw new ValueError(`BatchNormalization: momentum must be in [0, 1], got ${args.momentum}`);
    if (!(this.epsilon > 0))
      throw new ValueError(`BatchNormalization: epsilon must be positive, got ${args.epsilon}`);
  }
  override build(s: Shape): void {
    const a = positiveAxis(this.axis, s.length, `${this.name} (BatchNormalization)`, s);
    const c = [s[a]];
    if (this.scale) this.gamma = this.addWeight('gamma', c, this.args.gammaInitializer ?? 'ones');
    if (this.center) this.beta = this.addWeight('beta', c, this.args.betaInitializer ?? 'zeros');
    this.movingMean = this.addWeight('moving_mean', c, this.args.movingMeanInitializer ?? 'zeros', {
      trainable: false,
    });
    this.movingVariance = this.addWeight(
      'moving_variance',
      c,
      this.args.movingVarianceInitializer ?? 'ones',
      { trainable: false },
    );
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    const a = positiveAxis(this.axis, x.rank, `${this.name} (BatchNormalization)`, x.shape);
    const c = this.movingMean.shape[0];
    if (x.shape[a] !== c)
      throw new ShapeError(
        `${this.name} (BatchNormalization): input ${fmtShape(x.shape)} has ${x.shape[a]} features on axis ${this.axis} but the layer was built for ${c}`,
      );
    // NOTE: as Keras, a non-trainable BatchNormalization always runs in inference mode.
    if (kw.training && this.trainable) {
      const mask = maskOf(x);
      const eps = mask ? maskedMomentsEpsilon(this) : null;
      // NOTE: tf.keras 2's fused kernel (4-D and 5-D inputs, channels on axis 1 or last) ignores the mask, with a warning
      const fused = eps === 0 && (x.rank === 4 || x.rank === 5) && (a === 1 || a === x.rank - 1);
      const { y, mean, variance } =
        mask && eps !== null && !fused
          ? this.maskedMoments(x, mask, a, eps)
          : batchNormTraining(x, this.beta, this.gamma, this.epsilon, a);
      blendInPlace(this.movingMean, mean, this.momentum);
      blendInPlace(this.movingVariance, variance, this.momentum);
      return y;
    }
    return batchNorm(x, this.movingMean, this.movingVariance, this.beta, this.gamma, this.epsilon, a);
  }
  /**
   * Training with the moments of the unmasked positions (Keras 3 `_moments` with a mask, tf.nn.weighted_moments):
   * w = mask broadcast over the last axis, μ = Σ w·x / (Σ w + ε'), σ² = Σ w·(x - μ)² / (Σ w + ε'), sums over every axis
   * but `a`; every position, masked or not, is then normalised with them. ε' = 0 divides 0/0 to 0 (divide_no_nan).
   */
  private maskedMoments(
    x: Tensor,
    mask: Tensor,
    a: number,
    eps: number,
  ): { y: Tensor; mean: Tensor; variance: Tensor } {
    const who = `${this.name} (BatchNormalization)`;
    if (mask.rank !== x.rank - 1)
      throw new ShapeError(
        `${who}: the mask ${fmtShape(mask.shape)} must have one axis less than the input ${fmtShape(x.shape)}`,
      );
    const dt = commonFloat(x, this.gamma, this.beta);
    const xf = cast(x, dt);
    let w: Tensor;
    try {
      w = broadcastTo(reshape(cast(mask, dt), [...mask.shape, 1]), x.shape);
    } catch {
      throw new ShapeError(
        `${who}: the mask ${fmtShape(mask.shape)} does not broadcast over the input ${fmtShape(x.shape)} without its last axis`,
      );
    }
    const red = [...x.shape.keys()].filter((i) => i !== a);
    const count = sum(w, red, true);
    // divide_no_nan for ε' = 0: the counts are whole numbers, so max(count, 1) changes only a 0/0
    const denom = eps > 0 ? add(count, eps) : maximum(count, 1);
    const mu = div(sum(mul(w, xf), red, true), denom);
    const d = sub(xf, mu);
    const v = div(sum(mul(w, mul(d, d)), red, true), denom);
    const bp = (p: Tensor | null) => (p ? broadcastParam(cast(p, dt), x.shape, [a]) : null);
    const y = normalizeCentered(d, v, bp(this.gamma), bp(this.beta), this.epsilon);
    const c = x.shape[a];
    return { y, mean: reshape(mu, [c]), variance: reshape(v, [c]) };
  }
  override paramFormula(): string {
    const c = this.movingMean.shape[0];
    const k = (this.scale ? 1 : 0) + (this.center ? 1 : 0) + 2;
    return `${k}·${n(c)} = ${n(k * c)} (${n(2 * c)} non-trainable)`;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...regularizerConfig(this),
    };
  }
}

export interface LayerNormalizationArgs
  extends LayerArgs, RegularizerArgs<'gammaRegularizer' | 'betaRegularizer'> {
  /** Axis or axes normalised over (default -1). */
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: InitializerSpec;
  gammaInitializer?: InitializerSpec;
}

/** Keras LayerNormalization: per sample, y = (x - mean) / √(var + ε) · γ + β over `axis` (γ, β shaped like those axes). */
export class LayerNormalization extends Layer {
  static override className = 'LayerNormalization';
  static override options = layerOptions<LayerNormalizationArgs>({
    axis: true,
    epsilon: true,
    center: true,
    scale: true,
    betaInitializer: true,
    gammaInitializer: true,
    ...NORM_REGS,
  });
  readonly axis: number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  private paramShape: number[] = [];
  constructor(readonly args: LayerNormalizationArgs = {}) {
    super(args);
    setupRegularizers(this, args, NORM_REGS);
    const ax = args.axis ?? -1;
    this.axis = Array.isArray(ax) ? [...ax] : [ax];
    if (this.axis.length === 0) throw new ValueError('LayerNormalization: axis must name at least one axis');
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.epsilon > 0))
      throw new ValueError(`LayerNormalization: epsilon must be positive, got ${args.epsilon}`);
  }
  private axesFor(s: Shape): number[] {
    const ax = this.axis
      .map((a) => positiveAxis(a, s.length, `${this.name} (LayerNormalization)`, s))
      .sort((p, q) => p - q);
    if (new Set(ax).size !== ax.length)
      throw new ValueError(
        `${this.name} (LayerNormalization): axis [${this.axis}] repeats an axis of input ${fmtShape(s)}`,
      );
    return ax;
  }
  override build(s: Shape): void {
    this.paramShape = this.axesFor(s).map((a) => s[a]);
    if (this.scale)
      this.gamma = this.addWeight('gamma', this.paramShape, this.args.gammaInitializer ?? 'ones');
    if (this.center)
      this.beta = this.addWeight('beta', this.paramShape, this.args.betaInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    const ax = this.axesFor(x.shape);
    const got = ax.map((a) => x.shape[a]);
    if (got.length !== this.paramShape.length || got.some((d, i) => d !== this.paramShape[i]))
      throw new ShapeError(
        `${this.name} (LayerNormalization): input ${fmtShape(x.shape)} has ${fmtShape(got)} on axes [${this.axis}] but the layer was built for ${fmtShape(this.paramShape)}`,
      );
    // NOTE: over the trailing axes (the default, axis -1) on the per-channel rows; any other axes as a composition
    if (ax.every((a, i) => a === x.rank - ax.length + i))
      return layerNormTrailing(x, ax.length, this.gamma, this.beta, this.epsilon);
    const keep = [...x.shape.keys()].filter((i) => i === 0 || !ax.includes(i));
    const [, v, d] = momentsExcept(x, keep);
    const bp = (p: Tensor | null) => (p ? broadcastParam(p, x.shape, ax) : null);
    return normalizeCentered(d, v, bp(this.gamma), bp(this.beta), this.epsilon);
  }
  override paramFormula(): string | null {
    const k = (this.scale ? 1 : 0) + (this.center ? 1 : 0);
    if (k === 0) return null;
    return `${k}·${this.paramShape.join('·')} = ${n(this.countParams())}`;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      axis: this.axis.length === 1 ? this.axis[0] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...regularizerConfig(this),
    };
  }
}

export const normalizationFactories = {
  batchNormalization: (a: BatchNormalizationArgs = {}) => new BatchNormalization(a),
  layerNormalization: (a: LayerNormalizationArgs = {}) => new LayerNormalization(a),
};
