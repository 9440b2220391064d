// TF.js's cumsum and cumprod: an inclusive scan along one axis in log₂ n shifted steps (Hillis–Steele), as
// compositions of slice, pad and add/mul, so gradients are derived (TF.js defines none for cumprod).
import { normAxis } from '../../core/shape.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { ValueError, describeValue } from '../../core/errors.js';
import { add, mul } from '../elementwise/builders.js';
import { gather } from '../network/builders.js';
import { pad, slice } from '../movement/builders.js';

function scan(
  op: 'cumsum' | 'cumprod',
  x: Tensor,
  axis: number,
  exclusive: unknown,
  reverse: unknown,
): Tensor {
  assertTensor(x, op, 'x');
  if (typeof exclusive !== 'boolean' || typeof reverse !== 'boolean')
    throw new ValueError(
      `${op}: exclusive and reverse must be true or false, got ${describeValue(exclusive)} and ${describeValue(reverse)}`,
    );
  if (x.rank === 0) throw new ValueError(`${op}: x must have rank ≥ 1, got a scalar`);
  const a = normAxis(axis, x.rank, op);
  const n = x.shape[a];
  const [f, identity] = op === 'cumsum' ? [add, 0] : [mul, 1];
  const flip = (t: Tensor) =>
    gather(
      t,
      Array.from({ length: n }, (_, i) => n - 1 - i),
      a,
    );
  // t moved s places up along the axis, the identity filling the first s
  const shift = (t: Tensor, s: number) =>
    pad(
      slice(
        t,
        t.shape.map(() => 0),
        t.shape.map((d, i) => (i === a ? n - s : d)),
      ),
      t.shape.map((_, i) => [i === a ? s : 0, 0] as [number, number]),
      identity,
    );
  let y = reverse ? flip(x) : x;
  for (let s = 1; s < n; s *= 2) y = f(y, shift(y, s));
  if (exclusive && n > 0) y = shift(y, 1);
  return reverse ? flip(y) : y;
}

/** Running sums along `axis` (default 0); exclusive leaves each value out of its own sum, reverse runs from the end. */
export const cumsum = (x: Tensor, axis = 0, exclusive = false, reverse = false): Tensor =>
  scan('cumsum', x, axis, exclusive, reverse);
/** Running products along `axis` (default 0); exclusive and reverse as cumsum's. */
export const cumprod = (x: Tensor, axis = 0, exclusive = false, reverse = false): Tensor =>
  scan('cumprod', x, axis, exclusive, reverse);
