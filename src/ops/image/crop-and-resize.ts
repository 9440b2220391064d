// TF.js tf.image.cropAndResize as tensor ops: for each box, per-axis [crop, in] weight matrices computed from the box
// coordinates (TF.js's CropAndResize rules, in float64 as its kernel's JS arithmetic), applied by two batched
// matmuls; positions outside the image get extrapolationValue. Differentiable in the image (TF.js defines no gradient
// for cropAndResize; tapegrad's is the tape's, also in the boxes).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor, tensor } from '../../core/tensor.js';
import {
  abs,
  add,
  cast,
  div,
  equal,
  floor,
  greater,
  less,
  mul,
  relu,
  sub,
  where,
} from '../elementwise/builders.js';
import { gather, matmul } from '../network/builders.js';
import { reshape, slice, transpose } from '../movement/builders.js';

export type CropMethod = 'bilinear' | 'nearest';

/**
 * One axis' weights [N, crop, len] and outside mask [N, crop] (1 outside) for box edges a, b ([N, 1], fractions of
 * len − 1): c = a·(len − 1) + i·(b − a)·(len − 1)/(crop − 1), or the centre ½(a + b)·(len − 1) when crop is 1.
 */
function axisWeights(a: Tensor, b: Tensor, len: number, crop: number, method: CropMethod) {
  const i = tensor(
    Array.from({ length: crop }, (_, k) => k),
    [1, crop],
    { dtype: 'float64' },
  );
  const c =
    crop > 1
      ? add(mul(a, len - 1), mul(i, div(mul(sub(b, a), len - 1), crop - 1)))
      : mul(mul(add(a, b), 0.5), len - 1);
  const outside = add(cast(less(c, 0), 'float64'), cast(greater(c, len - 1), 'float64'));
  const j = tensor(
    Array.from({ length: len }, (_, k) => k),
    [1, 1, len],
    { dtype: 'float64' },
  );
  const c3 = reshape(c, [...c.shape, 1]);
  // bilinear: the triangle 1 − |c − j| (weights 1 − frac and frac on ⌊c⌋ and ⌈c⌉); nearest: Math.round, ⌊c + ½⌋
  const w0 =
    method === 'bilinear' ? relu(sub(1, abs(sub(c3, j)))) : cast(equal(floor(add(c3, 0.5)), j), 'float64');
  const w = mul(w0, sub(1, reshape(outside, [...outside.shape, 1])));
  return { w, outside };
}

/**
 * TF.js `tf.image.cropAndResize(image, boxes, boxInd, cropSize, method = 'bilinear', extrapolationValue = 0)`:
 * image [batch, h, w, c], boxes [N, 4] as normalised [y1, x1, y2, x2], boxInd [N] int32 → [N, cropH, cropW, c].
 */
export function cropAndResize(
  image: Tensor,
  boxes: Tensor,
  boxInd: Tensor,
  cropSize: readonly [number, number],
  method: CropMethod = 'bilinear',
  extrapolationValue = 0,
): Tensor {
  const op = 'cropAndResize';
  assertTensor(image, op, 'image');
  assertTensor(boxes, op, 'boxes');
  assertTensor(boxInd, op, 'boxInd');
  if (image.rank !== 4)
    throw new ShapeError(`${op}: image must be rank 4 [batch, h, w, c], got ${fmtShape(image.shape)}`);
  const n = boxes.shape[0];
  if (boxes.rank !== 2 || boxes.shape[1] !== 4)
    throw new ShapeError(`${op}: boxes must be [numBoxes, 4], got ${fmtShape(boxes.shape)}`);
  if (boxInd.rank !== 1 || boxInd.shape[0] !== n)
    throw new ShapeError(`${op}: boxInd must be [${n}] (one per box), got ${fmtShape(boxInd.shape)}`);
  if (
    !Array.isArray(cropSize) ||
    cropSize.length !== 2 ||
    cropSize.some((v) => !Number.isInteger(v) || v < 1)
  )
    throw new ValueError(
      `${op}: cropSize must be [cropHeight, cropWidth] of positive integers, got ${JSON.stringify(cropSize)}`,
    );
  if (method !== 'bilinear' && method !== 'nearest')
    throw new ValueError(`${op}: method must be 'bilinear' or 'nearest', got ${JSON.stringify(method)}`);
  if (typeof extrapolationValue !== 'number')
    throw new ValueError(
      `${op}: extrapolationValue must be a number, got ${JSON.stringify(extrapolationValue)}`,
    );
  const [batch, h, wd, ch] = image.shape;
  const ind = cast(boxInd, 'int32');
  // NOTE: TF.js's kernel skips (leaves zeros for) a box whose index is out of range; refused here
  const bad = Array.from(ind.data).find((v) => v < 0 || v >= batch);
  if (bad !== undefined) throw new ValueError(`${op}: boxInd values must be in [0, ${batch}), got ${bad}`);
  const [cropH, cropW] = cropSize;
  const dt = image.dtype === 'float64' ? 'float64' : 'float32';
  const b = cast(boxes, 'float64');
  const col = (k: number): Tensor => slice(b, [0, k], [n, 1]);
  const ry = axisWeights(col(0), col(2), h, cropH, method);
  const rx = axisWeights(col(1), col(3), wd, cropW, method);
  const img = gather(cast(image, dt), ind, 0); // [N, h, w, c]
  // rows: [N, cropH, h] · [N, h, w·c] → [N, cropH, w, c]; columns: [N, cropW, w] · [N, w, cropH·c]
  const rows = reshape(matmul(cast(ry.w, dt), reshape(img, [n, h, wd * ch])), [n, cropH, wd, ch]);
  const moved = reshape(transpose(rows, [0, 2, 1, 3]), [n, wd, cropH * ch]);
  const cols = reshape(matmul(cast(rx.w, dt), moved), [n, cropW, cropH, ch]);
  const y = transpose(cols, [0, 2, 1, 3]);
  const out = greater(add(reshape(ry.outside, [n, cropH, 1, 1]), reshape(rx.outside, [n, 1, cropW, 1])), 0);
  return where(
    out,
    new Tensor(new (dt === 'float64' ? Float64Array : Float32Array)([extrapolationValue]), []),
    y,
  );
}
