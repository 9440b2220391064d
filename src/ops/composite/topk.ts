// TF.js `tf.topk`: the k largest values along the last axis and their positions. The positions come from one
// primitive (topkIndices, no gradient); the values are a take of x at them, so the gradient is take's: g scattered
// back into the top positions.
import { ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { run } from '../dispatch.js';
import { add } from '../elementwise/builders.js';
import { take } from '../network/builders.js';

/**
 * The k largest entries of each row (last axis) of x, largest first, ties to the lower index (TF.js's order).
 * NOTE: `sorted: false` lets TF.js return the k in any order; tapegrad returns them sorted either way.
 */
export function topk(x: Tensor, k = 1, sorted = true): { values: Tensor; indices: Tensor } {
  assertTensor(x, 'topk', 'x');
  if (x.rank === 0) throw new ValueError('topk: x must be of rank 1 or higher, got a scalar');
  if (typeof sorted !== 'boolean')
    throw new ValueError(`topk: sorted must be true or false, got ${describeValue(sorted)}`);
  const n = x.shape[x.rank - 1];
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new ValueError(
      `topk: k must be an integer in 0..${n} (the last axis of ${fmtShape(x.shape)}), got ${k}`,
    );
  const indices = run('topkIndices', [x], { k });
  // the flat offset of row r's pick j is r·n + j: a per-row base (a constant from the shape) added to the positions
  const rows = n === 0 ? 0 : x.size / n;
  const base = new Tensor(
    Int32Array.from({ length: rows }, (_, r) => r * n),
    [...x.shape.slice(0, -1), 1],
  );
  return { values: take(x, add(indices, base)), indices };
}
