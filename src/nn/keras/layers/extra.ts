// Small Keras 3 layers: GroupNormalization, UnitNormalization, Rescaling, Identity, and the dot-product / additive
// attention layers (Attention, AdditiveAttention), with Keras 3's formulas, configs and weight names.
// NOTE: a padding mask reaching any of them is refused by name (mask.ts: none of them is mask-transparent; in Keras 3
// models they are KERAS3_MASK_USERS, so the mask stays refused rather than dropped).
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import { Tensor } from '../../../core/tensor.js';
import { add, asTensor, div, maximum, mul, sqrt, tanh } from '../../../ops/elementwise/builders.js';
import { expandDims, reshape } from '../../../ops/movement/builders.js';
import { sum } from '../../../ops/reduce/builders.js';
import { matmul } from '../../../ops/network/builders.js';
import { softmax } from '../../../ops/composite/activations.js';
import { momentsExcept, normalizeCentered } from '../../../ops/composite/batch-norm.js';
import { dropout } from '../../../ops/random-ops.js';
import type { InitializerSpec } from '../../initializers.js';
import { type CallKwargs, Layer, type LayerArgs, type LayerIO, layerOptions } from '../../layer.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';
import { positiveAxis } from './normalization.js';

/** Keras `backend.epsilon()`: UnitNormalization's floor on the norm. */
const KERAS_EPSILON = 1e-7;

const GN_REGS = regularizerKeys('gammaRegularizer', 'betaRegularizer');

export interface GroupNormalizationArgs
  extends LayerArgs, RegularizerArgs<'gammaRegularizer' | 'betaRegularizer'> {
  /** Number of channel groups (default 32; -1 = one group per channel, instance normalization). */
  groups?: number;
  /** The channel axis (default -1). */
  axis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: InitializerSpec;
  gammaInitializer?: InitializerSpec;
}

/**
 * Keras GroupNormalization: the channels of `axis` split into `groups` consecutive groups; each sample is normalised
 * per group over the group's channels and all other non-batch axes, then scaled by γ [C] and shifted by β [C].
 */
export class GroupNormalization extends Layer {
  static override className = 'GroupNormalization';
  static override options = layerOptions<GroupNormalizationArgs>({
    groups: true,
    axis: true,
    epsilon: true,
    center: true,
    scale: true,
    betaInitializer: true,
    gammaInitializer: true,
    ...GN_REGS,
  });
  groups: number;
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  private channels = 0;
  constructor(readonly args: GroupNormalizationArgs = {}) {
    super(args);
    setupRegularizers(this, args, GN_REGS);
    this.groups = args.groups ?? 32;
    this.axis = args.axis ?? -1;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!Number.isInteger(this.groups) || (this.groups < 1 && this.groups !== -1))
      throw new ValueError(`GroupNormalization: groups must be a positive integer or -1, got ${args.groups}`);
    if (!Number.isInteger(this.axis))
      throw new ValueError(
        `GroupNormalization: axis must be one integer axis, got ${JSON.stringify(args.axis)}`,
      );
    if (!(this.epsilon > 0))
      throw new ValueError(`GroupNormalization: epsilon must be positive, got ${args.epsilon}`);
  }
  override build(s: Shape): void {
    const a = positiveAxis(this.axis, s.length, `${this.name} (GroupNormalization)`, s);
    const c = s[a];
    // Keras: groups = -1 means one group per channel
    if (this.groups === -1) this.groups = c;
    if (this.groups > c)
      throw new ValueError(
        `${this.name} (GroupNormalization): groups (${this.groups}) cannot be more than the number of channels (${c}) of input ${fmtShape(s)}`,
      );
    if (c % this.groups !== 0)
      throw new ValueError(
        `${this.name} (GroupNormalization): groups (${this.groups}) must divide the number of channels (${c}) of input ${fmtShape(s)}`,
      );
    this.channels = c;
    // NOTE: Keras 3 creates gamma before beta (its weight order)
    if (this.scale) this.gamma = this.addWeight('gamma', [c], this.args.gammaInitializer ?? 'ones');
    if (this.center) this.beta = this.addWeight('beta', [c], this.args.betaInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    const a = positiveAxis(this.axis, x.rank, `${this.name} (GroupNormalization)`, x.shape);
    if (x.shape[a] !== this.channels)
      throw new ShapeError(
        `${this.name} (GroupNormalization): input ${fmtShape(x.shape)} has ${x.shape[a]} channels on axis ${this.axis} but the layer was built for ${this.channels}`,
      );
    const g = this.groups;
    // [..., C, ...] → [..., G, C/G, ...]: group k holds channels k·C/G … (k+1)·C/G − 1
    const grouped = [...x.shape.slice(0, a), g, this.channels / g, ...x.shape.slice(a + 1)];
    const xg = reshape(x, grouped);
    const [, v, d] = momentsExcept(xg, [0, a]);
    const pshape = grouped.map((n, i) => (i === a || i === a + 1 ? n : 1));
    const p = (t: Tensor | null) => (t ? reshape(t, pshape) : null);
    return reshape(normalizeCentered(d, v, p(this.gamma), p(this.beta), this.epsilon), x.shape);
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      groups: this.groups,
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...regularizerConfig(this),
    };
  }
}

/** Keras UnitNormalization: x / max(‖x‖₂, ε) with the L2 norm over `axis` (Keras's ε = 1e-7). */
export class UnitNormalization extends Layer {
  static override className = 'UnitNormalization';
  static override options = layerOptions<LayerArgs & { axis?: number | number[] }>({ axis: true });
  readonly axis: number[];
  constructor(args: LayerArgs & { axis?: number | number[] } = {}) {
    super(args);
    const ax = args.axis ?? -1;
    this.axis = Array.isArray(ax) ? [...ax] : [ax];
    if (this.axis.length === 0 || this.axis.some((v) => !Number.isInteger(v)))
      throw new ValueError(
        `UnitNormalization: axis must be an integer or a non-empty list of them, got ${JSON.stringify(ax)}`,
      );
  }
  call(x: Tensor): Tensor {
    const ax = this.axis.map((a) => positiveAxis(a, x.rank, `${this.name} (UnitNormalization)`, x.shape));
    const norm = sqrt(sum(mul(x, x), ax, true));
    return div(x, maximum(norm, KERAS_EPSILON));
  }
  override getConfig() {
    return { ...super.getConfig(), axis: this.axis.length === 1 ? this.axis[0] : this.axis };
  }
}

export interface RescalingArgs extends LayerArgs {
  /** Multiplier: a number, or one per value of the trailing axes (broadcast as numpy). */
  scale: number | number[];
  /** Added after scaling (default 0). */
  offset?: number | number[];
}

/** Keras Rescaling: y = x · scale + offset. */
export class Rescaling extends Layer {
  static override className = 'Rescaling';
  static override options = layerOptions<RescalingArgs>({ scale: true, offset: true });
  static override required = ['scale'];
  readonly scale: number | number[];
  readonly offset: number | number[];
  constructor(args: RescalingArgs) {
    super(args);
    const ok = (v: unknown) =>
      typeof v === 'number' || (Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === 'number'));
    if (!ok(args.scale))
      throw new ValueError(
        `Rescaling: scale must be a number or a list of numbers, got ${JSON.stringify(args.scale)}`,
      );
    if (args.offset !== undefined && !ok(args.offset))
      throw new ValueError(
        `Rescaling: offset must be a number or a list of numbers, got ${JSON.stringify(args.offset)}`,
      );
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }
  call(x: Tensor): Tensor {
    const c = (v: number | number[]) => (typeof v === 'number' ? v : asTensor(v, x.dtype));
    return add(mul(x, c(this.scale)), c(this.offset));
  }
  override getConfig() {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}

/** Keras Identity: returns its input unchanged. */
export class KerasIdentity extends Layer {
  static override className = 'Identity';
  static override options = layerOptions<LayerArgs>({});
  call(x: LayerIO): LayerIO {
    return x;
  }
}

/** [query, value] or [query, value, key], each [batch, time, dim], checked; key defaults to value. */
function attentionInputs(layer: Layer, inputs: LayerIO): [Tensor, Tensor, Tensor] {
  const who = `${layer.name} (${layer.className})`;
  if (
    !Array.isArray(inputs) ||
    inputs.length < 2 ||
    inputs.length > 3 ||
    !inputs.every((t) => t instanceof Tensor)
  )
    throw new ValueError(
      `${who}: expects a list [query, value] or [query, value, key], got ${Array.isArray(inputs) ? `a list of ${inputs.length}` : 'a single tensor'}`,
    );
  const [q, v, k = v] = inputs;
  for (const [n, t] of [
    ['query', q],
    ['value', v],
    ['key', k],
  ] as const)
    if (t.rank !== 3)
      throw new ValueError(`${who}: ${n} must be [batch, time, dim], got ${fmtShape(t.shape)}`);
  if (
    q.shape[0] !== v.shape[0] ||
    k.shape[0] !== v.shape[0] ||
    k.shape[1] !== v.shape[1] ||
    q.shape[2] !== k.shape[2]
  )
    throw new ShapeError(
      `${who}: query ${fmtShape(q.shape)}, value ${fmtShape(v.shape)} and key ${fmtShape(k.shape)} do not match (same batch, key and value the same time steps, query and key the same dim)`,
    );
  return [q, v, k];
}

export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar multiplier of the scores (Keras `scale`, default false). */
  useScale?: boolean;
  /** 'dot' (q·kᵀ, default) or 'concat' (Σ tanh(q + k)). */
  scoreMode?: 'dot' | 'concat';
  /** Dropout rate on the attention weights while training (default 0). */
  dropout?: number;
}

/** Shared by Attention and AdditiveAttention: softmax over the key steps, dropout while training, × value. */
abstract class BaseAttention extends Layer {
  readonly dropout: number;
  constructor(args: LayerArgs & { dropout?: number }) {
    super(args);
    this.dropout = args.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw new ValueError(`${this.className}: dropout must be in [0, 1), got ${args.dropout}`);
  }
  protected abstract scores(q: Tensor, k: Tensor): Tensor;
  call(inputs: LayerIO, kw: CallKwargs = {}): Tensor {
    const [q, v, k] = attentionInputs(this, inputs);
    const w = dropout(softmax(this.scores(q, k), -1), this.dropout, { training: kw.training ?? false });
    return matmul(w, v);
  }
}

/** Keras Attention (Luong-style): scores q·kᵀ ('dot') or Σ tanh(q + k) ('concat'), softmax, × value. */
export class Attention extends BaseAttention {
  static override className = 'Attention';
  static override options = layerOptions<AttentionArgs>({ useScale: true, scoreMode: true, dropout: true });
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  scale: Tensor | null = null;
  concatScoreWeight: Tensor | null = null;
  constructor(args: AttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat')
      throw new ValueError(
        `Attention: scoreMode must be 'dot' or 'concat', got ${JSON.stringify(args.scoreMode)}`,
      );
  }
  override build(_s: Shape | Shape[]): void {
    // NOTE: Keras 3 weight order and names: scale (if useScale), then concat_score_weight ('concat'), both scalars
    if (this.useScale) this.scale = this.addWeight('scale', [], 'ones');
    if (this.scoreMode === 'concat')
      this.concatScoreWeight = this.addWeight('concat_score_weight', [], 'ones');
  }
  protected scores(q: Tensor, k: Tensor): Tensor {
    if (this.scoreMode === 'dot') {
      const s = matmul(q, k, { transB: true });
      return this.scale ? mul(s, this.scale) : s;
    }
    // [b, Tq, 1, d] + [b, 1, Tv, d]; Keras 3: concat_score_weight · Σ tanh(scale · (q + k))
    const qk = add(expandDims(q, 2), expandDims(k, 1));
    return mul(this.concatScoreWeight!, sum(tanh(this.scale ? mul(qk, this.scale) : qk), -1));
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      use_scale: this.useScale,
      score_mode: this.scoreMode,
      dropout: this.dropout,
    };
  }
}

export interface AdditiveAttentionArgs extends LayerArgs {
  /** Learn a per-dim multiplier of the tanh terms (Keras `scale` [dim], default true). */
  useScale?: boolean;
  /** Dropout rate on the attention weights while training (default 0). */
  dropout?: number;
}

/** Keras AdditiveAttention (Bahdanau-style): scores Σ scale · tanh(q + k), softmax, × value. */
export class AdditiveAttention extends BaseAttention {
  static override className = 'AdditiveAttention';
  static override options = layerOptions<AdditiveAttentionArgs>({ useScale: true, dropout: true });
  readonly useScale: boolean;
  scale: Tensor | null = null;
  constructor(args: AdditiveAttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? true;
  }
  override build(s: Shape | Shape[]): void {
    const q = (Array.isArray(s[0]) ? s[0] : s) as Shape;
    // Keras 3: scale [dim] of the query's last axis, glorot-uniform initialised
    if (this.useScale) this.scale = this.addWeight('scale', [q[q.length - 1]], 'glorotUniform');
  }
  protected scores(q: Tensor, k: Tensor): Tensor {
    const t = tanh(add(expandDims(q, 2), expandDims(k, 1)));
    return sum(this.scale ? mul(t, this.scale) : t, -1);
  }
  override getConfig() {
    return { ...super.getConfig(), use_scale: this.useScale, dropout: this.dropout };
  }
}

export const extraFactories = {
  groupNormalization: (a: GroupNormalizationArgs = {}) => new GroupNormalization(a),
  unitNormalization: (a: LayerArgs & { axis?: number | number[] } = {}) => new UnitNormalization(a),
  rescaling: (a: RescalingArgs) => new Rescaling(a),
  identity: (a: LayerArgs = {}) => new KerasIdentity(a),
  attention: (a: AttentionArgs = {}) => new Attention(a),
  additiveAttention: (a: AdditiveAttentionArgs = {}) => new AdditiveAttention(a),
};
