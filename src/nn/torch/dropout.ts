// PyTorch `nn.Dropout(p)` and `nn.AlphaDropout(p)`: p in [0, 1], refused at construction otherwise (as PyTorch's
// _DropoutNd); identity in eval mode, with p = 0 and on an empty input. Masks come from the global seeded RNG.
// The channel dropouts (Dropout1d/2d/3d, FeatureAlphaDropout) are in feature-dropout.ts; the forward computations
// are exported for tg.nn.functional.
import { ValueError } from '../../core/errors.js';
import { rand } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { add, greaterEqual, mul, sub } from '../../ops/elementwise/builders.js';
import { dropout } from '../../ops/random-ops.js';
import { Module } from './base.js';

/** SELU's negative saturation value, negated: scale·alpha = 1.0507009873554805 · 1.6732632423543772. */
const SELU_NEG = 1.7580993408473766;

export abstract class DropoutBase extends Module {
  constructor(
    readonly p = 0.5,
    inplace = false,
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(
        `${this.className}: dropout probability has to be between 0 and 1, but got ${typeof p === 'number' ? p : (JSON.stringify(p) ?? String(p))}`,
      );
    if (inplace !== false)
      throw new ValueError(
        `${this.className}: inplace=${String(inplace)} is not supported (tapegrad ops do not overwrite their inputs); leave it false`,
      );
  }
  /** Whether forward is the identity: eval mode, p = 0 or an empty input (PyTorch's early return). */
  protected passes(x: Tensor): boolean {
    return !this.training || this.p === 0 || x.size === 0;
  }
}

/** PyTorch's dropout in train mode (p in [0, 1]): zero each value with probability p, scale the rest by 1/(1-p). */
export function dropoutTrain(x: Tensor, p: number, noiseShape?: number[]): Tensor {
  // NOTE: p = 1 is PyTorch's x·0 (a zero scalar): zeros (NaN where x is ±Inf or NaN) and a zero gradient.
  if (p === 1) return mul(x, 0);
  return dropout(x, p, { training: true, ...(noiseShape && { noiseShape }) });
}

/**
 * PyTorch's alpha dropout in train mode (p in [0, 1]), one mask value per element or, with a noise shape, per channel
 * (feature alpha dropout): see AlphaDropout.
 */
export function alphaDropoutTrain(x: Tensor, p: number, noiseShape?: number[]): Tensor {
  if (p === 1) return mul(x, 0);
  const a = 1 / Math.sqrt((SELU_NEG * SELU_NEG * p + 1) * (1 - p));
  const keep = greaterEqual(rand(noiseShape ?? x.shape, { dtype: x.dtype }), p); // 1 with probability 1 - p
  // NOTE: PyTorch's order of operations: x·(keep·a) + ((keep - 1)·α'a + α'a·p).
  const b = add(mul(sub(keep, 1), SELU_NEG * a), SELU_NEG * a * p);
  return add(mul(x, mul(keep, a)), b);
}

/** Zero each value with probability p and scale the rest by 1/(1-p) in train mode. */
export class Dropout extends DropoutBase {
  static override className = 'Dropout';
  forward(x: Tensor): Tensor {
    return this.passes(x) ? x : dropoutTrain(x, this.p);
  }
}

/**
 * PyTorch `nn.AlphaDropout(p)` for SELU networks: dropped values take SELU's saturation -α' (α' = 1.7580993408473766),
 * then an affine map restores zero mean and unit variance: out = a·x·keep + a·α'·(keep - 1) + a·α'·p with
 * a = ((1 - p)(1 + p·α'²))^(-1/2) (Keras's form: a·(x·keep - α'·(1 - keep)) + a·α'·p).
 */
export class AlphaDropout extends DropoutBase {
  static override className = 'AlphaDropout';
  forward(x: Tensor): Tensor {
    return this.passes(x) ? x : alphaDropoutTrain(x, this.p);
  }
}
