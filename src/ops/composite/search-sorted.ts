// TF.js `tf.searchSorted`, `tf.lowerBound`, `tf.upperBound`: where each value would go in a sorted last axis, as a
// count of the entries before it (ops only: one comparison of every value with every entry of its row, then a sum).
import { ShapeError, ValueError, fmtShape, safeJson } from '../../core/errors.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import { cast, less, lessEqual } from '../elementwise/builders.js';
import { sum } from '../reduce/builders.js';
import { reshape } from '../movement/builders.js';

/**
 * For each value, the number of entries of its row of sortedSequence that are < it ('left', the lower bound) or
 * <= it ('right', the upper bound): int32, shaped like values. Rows: sortedSequence and values viewed as
 * [rows, n] and [rows, m] on their last axis (the same number of rows).
 * NOTE: the result has values' shape, as TF.js documents (its kernel returns the [rows, m] view instead). A NaN
 * value gets 0 (every comparison with it is false), as TF.js's binary search gives.
 */
export function searchSorted(
  sortedSequence: Tensor,
  values: Tensor,
  side: 'left' | 'right' = 'left',
): Tensor {
  assertTensor(sortedSequence, 'searchSorted', 'sortedSequence');
  assertTensor(values, 'searchSorted', 'values');
  if (side !== 'left' && side !== 'right')
    throw new ValueError(`searchSorted: side must be 'left' or 'right', got ${safeJson(side)}`);
  if (sortedSequence.rank < 1 || values.rank < 1)
    throw new ShapeError(
      `searchSorted: sortedSequence ${fmtShape(sortedSequence.shape)} and values ${fmtShape(values.shape)} must be of rank 1 or higher`,
    );
  const n = sortedSequence.shape[sortedSequence.rank - 1];
  const m = values.shape[values.rank - 1];
  const rows = n === 0 ? sortedSequence.size : sortedSequence.size / n;
  const vRows = m === 0 ? values.size : values.size / m;
  if (rows !== vRows && !(n === 0 && sortedSequence.rank === values.rank))
    throw new ShapeError(
      `searchSorted: sortedSequence ${fmtShape(sortedSequence.shape)} and values ${fmtShape(values.shape)} must have the same leading dimensions (rows)`,
    );
  const seq = reshape(sortedSequence, [vRows, 1, n]);
  const v = reshape(values, [vRows, m, 1]);
  const before = side === 'left' ? less(seq, v) : lessEqual(seq, v);
  return reshape(sum(cast(before, 'int32'), 2), values.shape);
}

/** TF.js `tf.lowerBound`: searchSorted with side 'left' (the first position where the value fits). */
export const lowerBound = (sortedSequence: Tensor, values: Tensor): Tensor =>
  searchSorted(sortedSequence, values, 'left');
/** TF.js `tf.upperBound`: searchSorted with side 'right' (the last position where the value fits). */
export const upperBound = (sortedSequence: Tensor, values: Tensor): Tensor =>
  searchSorted(sortedSequence, values, 'right');
