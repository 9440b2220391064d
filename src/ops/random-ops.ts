// Ops that draw random numbers: dropout (inverted scaling, as Keras and PyTorch).
import { ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { type Rng, rand } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { div, greaterEqual, mul } from './elementwise/builders.js';

/** Zero each value with probability `rate` and scale the rest by 1/(1-rate); identity when not training. */
export function dropout(
  x: Tensor,
  rate: number,
  opts: { training?: boolean; rng?: Rng; noiseShape?: number[] } = {},
): Tensor {
  checkOptions('dropout', opts, ['training', 'rng', 'noiseShape']);
  if (!(rate >= 0 && rate < 1)) throw new ValueError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (opts.training === false || rate === 0) return x;
  const keep = greaterEqual(rand(opts.noiseShape ?? [...x.shape], { rng: opts.rng, dtype: x.dtype }), rate);
  return div(mul(x, keep), 1 - rate);
}
