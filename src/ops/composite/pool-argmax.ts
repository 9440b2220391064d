// TF.js tf.maxPoolWithArgmax: max pooling's values and the flat index of each window's maximum. The indices are a
// take of poolArgmax's winners from a map of flat positions built from the shape; the values' gradient is the tape's.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { poolArgmax, take } from '../network/builders.js';
import { type Pair, pair, resolvePads, windowGeom } from './window.js';

/**
 * TF.js `tf.maxPoolWithArgmax(x, filterSize, strides, pad, includeBatchInIndex = false)` on x [batch, h, w, c]:
 * { result, indexes }, indexes int32 ((b·h + y)·w + x)·c + ch with includeBatchInIndex, else (y·w + x)·c + ch, of the
 * first maximum of each window (TF.js's tie rule).
 */
export function maxPoolWithArgmax(
  x: Tensor,
  filterSize: Pair,
  strides: Pair,
  pad: 'valid' | 'same' | number,
  includeBatchInIndex = false,
): { result: Tensor; indexes: Tensor } {
  const op = 'maxPoolWithArgmax';
  assertTensor(x, op, 'x');
  if (x.rank !== 4)
    throw new ShapeError(`${op}: x must be rank 4 [batch, h, w, c], got ${fmtShape(x.shape)}`);
  if (pad !== 'valid' && pad !== 'same' && !(Number.isInteger(pad) && pad >= 0))
    throw new ValueError(
      `${op}: pad must be 'valid', 'same' or a non-negative integer, got ${JSON.stringify(pad)}`,
    );
  if (typeof includeBatchInIndex !== 'boolean')
    throw new ValueError(
      `${op}: includeBatchInIndex must be a boolean, got ${JSON.stringify(includeBatchInIndex)}`,
    );
  const k = pair(filterSize, 1, 'filterSize', op);
  const s = pair(strides, 1, 'strides', op);
  const [, h, w, c] = x.shape;
  const pads = resolvePads(pad, h, w, k, s, [1, 1], op);
  const geom = windowGeom(x.shape, k, s, [1, 1], pads, op);
  const arg = poolArgmax(x, geom); // flat positions in x of each window's first maximum
  // each input's index: its flat position, modulo the image size h·w·c unless the batch is included
  const plane = includeBatchInIndex ? x.size : h * w * c;
  const map = new Tensor(
    Int32Array.from({ length: x.size }, (_, i) => i % plane),
    x.shape,
  );
  return { result: take(x, arg), indexes: take(map, arg) };
}
