// Keras noise layers, active only in training mode: GaussianNoise (additive) and GaussianDropout (multiplicative).
import { ValueError } from '../../../core/errors.js';
import { Rng, randn } from '../../../core/random.js';
import type { Tensor } from '../../../core/tensor.js';
import { add, mul } from '../../../ops/elementwise/builders.js';
import { type CallKwargs, Layer, type LayerArgs, layerOptions } from '../../layer.js';

export interface GaussianNoiseArgs extends LayerArgs {
  stddev: number;
  /** Seed for this layer's own generator (default: the global one). */
  seed?: number;
}

/** y = x + N(0, stddev²) in training mode; identity in inference. */
export class GaussianNoise extends Layer {
  static override className = 'GaussianNoise';
  static override options = layerOptions<GaussianNoiseArgs>({ stddev: true, seed: true });
  readonly stddev: number;
  private rng?: Rng;
  constructor(readonly args: GaussianNoiseArgs) {
    super(args);
    if (!(args.stddev >= 0))
      throw new ValueError(`GaussianNoise: stddev must be non-negative, got ${args.stddev}`);
    this.stddev = args.stddev;
    if (args.seed !== undefined) this.rng = new Rng(args.seed);
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    if (!kw.training || this.stddev === 0) return x;
    return add(x, randn(x.shape, { std: this.stddev, dtype: x.dtype, rng: this.rng }));
  }
  override getConfig() {
    const c: Record<string, unknown> = { ...super.getConfig(), stddev: this.stddev };
    if (this.args.seed !== undefined) c.seed = this.args.seed;
    return c;
  }
}

export interface GaussianDropoutArgs extends LayerArgs {
  /** Drop probability as in Dropout: the noise has std √(rate / (1 - rate)). */
  rate: number;
  seed?: number;
}

/** y = x · N(1, rate / (1 - rate)) in training mode; identity in inference. */
export class GaussianDropout extends Layer {
  static override className = 'GaussianDropout';
  static override options = layerOptions<GaussianDropoutArgs>({ rate: true, seed: true });
  readonly rate: number;
  private rng?: Rng;
  constructor(readonly args: GaussianDropoutArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1))
      throw new ValueError(`GaussianDropout: rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
    if (args.seed !== undefined) this.rng = new Rng(args.seed);
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    if (!kw.training || this.rate === 0) return x;
    return mul(
      x,
      randn(x.shape, { mean: 1, std: Math.sqrt(this.rate / (1 - this.rate)), dtype: x.dtype, rng: this.rng }),
    );
  }
  override getConfig() {
    const c: Record<string, unknown> = { ...super.getConfig(), rate: this.rate };
    if (this.args.seed !== undefined) c.seed = this.args.seed;
    return c;
  }
}

export const noiseFactories = {
  gaussianNoise: (a: GaussianNoiseArgs) => new GaussianNoise(a),
  gaussianDropout: (a: GaussianDropoutArgs) => new GaussianDropout(a),
};
