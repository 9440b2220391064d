// Counting and segment sums (TF.js unsortedSegmentSum, bincount, denseBincount, tf.math.confusionMatrix): the ids
// are read as numbers into flat offsets (bookkeeping, as `gather` does) and the values summed by one scatterAdd, so
// the gradient wrt the summed values is take's (each value gets its bucket's gradient).
import { DTypeError, ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor, ones } from '../../core/tensor.js';
import { cast, greater } from '../elementwise/builders.js';
import { scatterAdd } from '../network/builders.js';
import { reshape, slice } from '../movement/builders.js';

/** An int32 tensor argument (TF.js's ids and counts are int32): its values; a float tensor is refused by name. */
function intValues(op: string, what: string, t: Tensor): ArrayLike<number> {
  assertTensor(t, op, what);
  if (t.dtype !== 'int32') throw new DTypeError(`${op}: ${what} must be int32, got ${t.dtype}`);
  return t.raw;
}

function checkCount(op: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0)
    throw new ValueError(`${op}: ${what} must be an integer >= 0, got ${describeValue(n)}`);
}

/**
 * vals (flat) summed at the flat offsets `at` into a tensor of `shape`, with `spare` positions past its end for what
 * is dropped; cast back to `dtype` (integer sums go through float64, exact for int32).
 */
function bucketSum(
  vals: Tensor,
  at: Int32Array,
  shape: number[],
  spare: number,
  dtype: Tensor['dtype'],
): Tensor {
  const work = vals.dtype === 'int32' ? 'float64' : vals.dtype;
  const size = shape.reduce((p, d) => p * d, 1);
  const y = scatterAdd(reshape(cast(vals, work), [at.length]), new Tensor(at, [at.length]), [size + spare]);
  return cast(reshape(spare ? slice(y, [0], [size]) : y, shape), dtype);
}

/**
 * TF.js `tf.unsortedSegmentSum(x, segmentIds, numSegments)`: out[s] = Σ of the rows x[i] with segmentIds[i] = s.
 * NOTE: a negative id drops its row (TF's rule); an id >= numSegments is an error here, where TF.js's cpu kernel
 * drops it silently.
 */
export function unsortedSegmentSum(x: Tensor, segmentIds: Tensor, numSegments: number): Tensor {
  assertTensor(x, 'unsortedSegmentSum', 'x');
  const ids = intValues('unsortedSegmentSum', 'segmentIds', segmentIds);
  checkCount('unsortedSegmentSum', 'numSegments', numSegments);
  if (x.rank < 1 || segmentIds.rank !== 1 || segmentIds.size !== x.shape[0])
    throw new ShapeError(
      `unsortedSegmentSum: segmentIds must be 1-D with one id per row of x ${fmtShape(x.shape)}, got ${fmtShape(segmentIds.shape)}`,
    );
  const inner = x.size / Math.max(1, x.shape[0]);
  const at = new Int32Array(x.size);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s >= numSegments)
      throw new ShapeError(
        `unsortedSegmentSum: segment id ${s} (position ${i}) is out of range for numSegments ${numSegments}`,
      );
    const to = s < 0 ? numSegments : s; // a negative id goes to the dropped bucket
    for (let e = 0; e < inner; e++) at[i * inner + e] = to * inner + e;
  }
  return bucketSum(x, at, [numSegments, ...x.shape.slice(1)], inner, x.dtype);
}

/**
 * Counts (or summed weights) of the values of x (int32, rank 1 or 2) in bins 0..size−1, per row for rank 2.
 * NOTE: as TF.js's cpu kernel: a negative value is an error, one >= size is ignored; the result has the weights'
 * dtype (float32 for TF.js's empty `tf.tensor1d([])`), counts when the weights are empty.
 */
function countBins(op: string, x: Tensor, weights: Tensor, size: number, binaryOutput: boolean): Tensor {
  const v = intValues(op, 'x', x);
  assertTensor(weights, op, 'weights');
  checkCount(op, 'size', size);
  if (weights.size !== 0 && (weights.rank !== x.rank || weights.shape.some((d, i) => d !== x.shape[i])))
    throw new ShapeError(
      `${op}: weights must be empty or shaped like x ${fmtShape(x.shape)}, got ${fmtShape(weights.shape)}`,
    );
  const rows = x.rank === 2 ? x.shape[0] : 1;
  const n = x.size / Math.max(1, rows);
  // row r's bins are r·(size+1) + 0..size, the last one taking values >= size; the whole is [rows·(size+1)]
  const at = new Int32Array(x.size);
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0) throw new ValueError(`${op}: x must be non-negative, got ${v[i]} (position ${i})`);
    at[i] = Math.floor(i / n) * (size + 1) + Math.min(v[i], size);
  }
  const w = weights.size === 0 || binaryOutput ? ones([x.size], { dtype: weights.dtype }) : weights;
  const full = bucketSum(w, at, [rows, size + 1], 0, weights.dtype);
  const y = reshape(slice(full, [0, 0], [rows, size]), x.rank === 2 ? [rows, size] : [size]);
  return binaryOutput ? cast(greater(y, 0), weights.dtype) : y;
}

/** TF.js `tf.bincount(x, weights, size)`: x int32 1-D; weights empty (counts) or shaped like x. */
export function bincount(x: Tensor, weights: Tensor, size: number): Tensor {
  assertTensor(x, 'bincount', 'x');
  if (x.rank !== 1) throw new ShapeError(`bincount: x must be 1-D, got ${fmtShape(x.shape)}`);
  return countBins('bincount', x, weights, size, false);
}

/** TF.js `tf.denseBincount(x, weights, size, binaryOutput = false)`: x int32 1-D or 2-D (counted per row). */
export function denseBincount(x: Tensor, weights: Tensor, size: number, binaryOutput = false): Tensor {
  assertTensor(x, 'denseBincount', 'x');
  if (x.rank !== 1 && x.rank !== 2)
    throw new ShapeError(`denseBincount: x must be 1-D or 2-D, got ${fmtShape(x.shape)}`);
  if (typeof binaryOutput !== 'boolean')
    throw new ValueError(
      `denseBincount: binaryOutput must be true or false, got ${describeValue(binaryOutput)}`,
    );
  return countBins('denseBincount', x, weights, size, binaryOutput);
}

/**
 * TF.js `tf.math.confusionMatrix(labels, predictions, numClasses)`: int32 [numClasses, numClasses], rows the true
 * labels. NOTE: a label or prediction outside 0..numClasses−1 is an error here (TF.js's one-hot drops it silently).
 */
export function confusionMatrix(labels: Tensor, predictions: Tensor, numClasses: number): Tensor {
  const op = 'confusionMatrix';
  const l = intValues(op, 'labels', labels);
  const p = intValues(op, 'predictions', predictions);
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new ValueError(`${op}: numClasses must be an integer >= 1, got ${describeValue(numClasses)}`);
  if (labels.rank !== 1 || predictions.rank !== 1 || labels.size !== predictions.size)
    throw new ShapeError(
      `${op}: labels ${fmtShape(labels.shape)} and predictions ${fmtShape(predictions.shape)} must be 1-D of one length`,
    );
  const at = new Int32Array(l.length);
  for (let i = 0; i < l.length; i++) {
    for (const [what, v] of [
      ['label', l[i]],
      ['prediction', p[i]],
    ] as const)
      if (v < 0 || v >= numClasses)
        throw new ShapeError(
          `${op}: ${what} ${v} (position ${i}) is out of range for numClasses ${numClasses}`,
        );
    at[i] = l[i] * numClasses + p[i];
  }
  return bucketSum(ones([l.length], { dtype: 'float32' }), at, [numClasses, numClasses], 0, 'int32');
}
