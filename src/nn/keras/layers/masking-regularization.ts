// Keras Masking and two regularization layers that are identities at inference (AlphaDropout, ActivityRegularization).
import { ValueError, fmtShape } from '../../../core/errors.js';
import { Rng, rand } from '../../../core/random.js';
import type { Tensor } from '../../../core/tensor.js';
import { add, cast, greaterEqual, mul, notEqual } from '../../../ops/elementwise/builders.js';
import { max } from '../../../ops/reduce/builders.js';
import { reshape } from '../../../ops/movement/builders.js';
import { type CallKwargs, Layer, type LayerArgs, layerOptions } from '../../layer.js';
import { setMask } from '../mask.js';
import { Regularizer, setupRegularizers } from '../../regularizers.js';

/** SELU's α and scale (Keras's 32-digit constants as doubles); α' = -α·scale is the value SELU saturates to. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const ALPHA_P = -SELU_ALPHA * SELU_SCALE;

export interface AlphaDropoutArgs extends LayerArgs {
  /** Fraction of the inputs to drop, in [0, 1]. */
  rate: number;
  /** Shape of the keep mask, broadcast over the input (null entries: the input's size); default the input's shape. */
  noiseShape?: (number | null)[];
  /** Seed for this layer's own generator (default: the global one). */
  seed?: number;
}

/**
 * Keras AlphaDropout (for SELU networks): identity at inference; in training each value is kept with probability
 * 1 - rate or set to α' = -α·scale of SELU, then y = a·x + b with a = ((1-rate)(1 + rate·α'²))^-1/2 and b = -a·α'·rate,
 * which keeps a zero-mean, unit-variance input so.
 */
export class AlphaDropout extends Layer {
  static override className = 'AlphaDropout';
  static override options = layerOptions<AlphaDropoutArgs>({ rate: true, noiseShape: true, seed: true });
  static override required = ['rate'];
  readonly rate: number;
  private rng?: Rng;
  constructor(readonly args: AlphaDropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate <= 1))
      throw new ValueError(`AlphaDropout: rate must be in [0, 1], got ${args.rate}`);
    const ns = args.noiseShape;
    if (
      ns !== undefined &&
      (!Array.isArray(ns) || ns.some((d) => d !== null && !(Number.isInteger(d) && d >= 1)))
    )
      throw new ValueError(
        `AlphaDropout: noiseShape must list positive integers or null (the input's size), got ${JSON.stringify(ns)}`,
      );
    this.rate = args.rate;
    if (args.seed !== undefined) this.rng = new Rng(args.seed);
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    // NOTE: rate 1 is the identity in training too, as in tf.keras 2 and TF.js (Keras 3 divides by zero there)
    if (!kw.training || this.rate === 0 || this.rate === 1) return x;
    const ns = this.noiseShapeFor(x);
    const keep = cast(greaterEqual(rand(ns, { rng: this.rng, dtype: x.dtype }), this.rate), x.dtype);
    const a = ((1 - this.rate) * (1 + this.rate * ALPHA_P ** 2)) ** -0.5;
    const b = -a * ALPHA_P * this.rate;
    // a·(x·keep + α'·(1 - keep)) + b = x·(a·keep) + (a·α' + b - a·α'·keep), the noise-shaped factors computed once
    return add(mul(x, mul(keep, a)), add(mul(keep, -a * ALPHA_P), a * ALPHA_P + b));
  }
  /** The keep mask's shape: noiseShape with null entries filled from x (Keras 3), each entry x's size or 1. */
  private noiseShapeFor(x: Tensor): number[] {
    const ns = this.args.noiseShape;
    if (!ns) return [...x.shape];
    const s = ns.map((d, i) => d ?? x.shape[i]);
    if (s.length !== x.rank || s.some((d, i) => d !== 1 && d !== x.shape[i]))
      throw new ValueError(
        `${this.name} (AlphaDropout): noiseShape ${JSON.stringify(ns)} does not broadcast over the input ${fmtShape(x.shape)} (each entry the input's size, 1 or null)`,
      );
    return s;
  }
  override getConfig() {
    const c: Record<string, unknown> = { ...super.getConfig(), rate: this.rate };
    if (this.args.noiseShape !== undefined) c.noise_shape = this.args.noiseShape;
    if (this.args.seed !== undefined) c.seed = this.args.seed;
    return c;
  }
}

/** Keras ActivityRegularization: the forward pass is the identity; fit/evaluate add l1·Σ|y| + l2·Σy² (Keras 3). */
export class ActivityRegularization extends Layer {
  static override className = 'ActivityRegularization';
  static override options = ['l1', 'l2'];
  constructor(readonly args: LayerArgs & { l1?: number; l2?: number }) {
    super(args);
    // as Keras (whose layer is an identity with an activity_regularizer L1L2(l1, l2)), fit adds the penalty
    const [l1, l2] = [args.l1 ?? 0, args.l2 ?? 0];
    const where = `${this.name} (ActivityRegularization)`;
    for (const [k, v] of [
      ['l1', l1],
      ['l2', l2],
    ] as const)
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new ValueError(`${where}: ${k} must be a non-negative finite number, got ${String(v)}`);
    if (l1 || l2)
      setupRegularizers(
        this,
        { activityRegularizer: new Regularizer(l1, l2) },
        { activityRegularizer: true },
      );
  }
  call(x: Tensor): Tensor {
    return x;
  }
  override getConfig() {
    return { ...super.getConfig(), l1: this.args.l1 ?? 0, l2: this.args.l2 ?? 0 };
  }
}

/**
 * Keras Masking: zeroes every time step whose features all equal `maskValue`:
 * y = x · any(x ≠ maskValue, last axis). Recurrent layers after it skip those steps (see ../mask.ts).
 */
export class Masking extends Layer {
  static override className = 'Masking';
  /** Makes its own output mask, replacing an input one (Keras compute_mask). */
  static handlesMasks = true;
  static override options = ['maskValue'];
  readonly maskValue: number;
  constructor(args: LayerArgs & { maskValue?: number } = {}) {
    super(args);
    this.maskValue = args.maskValue ?? 0;
  }
  /** 1 for kept steps, 0 for masked ones: any(x ≠ maskValue) over the last axis, shape [batch, ...steps]. */
  computeMask(x: Tensor): Tensor {
    return max(cast(notEqual(x, this.maskValue), x.dtype === 'float64' ? 'float64' : 'float32'), [
      x.rank - 1,
    ]);
  }
  call(x: Tensor): Tensor {
    const keep = max(
      cast(notEqual(x, this.maskValue), x.dtype === 'float64' ? 'float64' : 'float32'),
      [x.rank - 1],
      true,
    );
    const y = mul(x, keep);
    // the output carries the mask: recurrent layers after it skip the masked steps (mask.ts)
    setMask(y, reshape(keep, x.shape.slice(0, -1)), `${this.name} (Masking)`);
    return y;
  }
  override getConfig() {
    return { ...super.getConfig(), mask_value: this.maskValue };
  }
}

// TF.js-style factories (TF.js has masking and alphaDropout; activityRegularization follows the same spelling).
export const maskingRegularizationFactories = {
  masking: (a: LayerArgs & { maskValue?: number } = {}) => new Masking(a),
  alphaDropout: (a: AlphaDropoutArgs) => new AlphaDropout(a),
  activityRegularization: (a: LayerArgs & { l1?: number; l2?: number } = {}) => new ActivityRegularization(a),
};
