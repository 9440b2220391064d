// TF.js tf.conv3d, tf.maxPool3d and tf.avgPool3d (NDHWC) as compositions of the 2-D/1-D ops over depth slices; the
// gradients are the tape's. Keras's Conv3D and 3-D pooling layers call these.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { samePads } from '../../core/shape.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import { add } from '../elementwise/builders.js';
import { pad as padOp, reshape, slice, stack, transpose } from '../movement/builders.js';
import { conv2d } from './conv.js';
import { avgPool1d, avgPool2d, maxPool1d, maxPool2d } from './pool.js';

type Triple = readonly [number, number, number];
/** TF.js's 3-D padding: 'valid', 'same', or a number of zeros on each side of every spatial axis (pools only). */
export type Pool3dPad = 'valid' | 'same' | number;

function triple(
  v: number | Triple | undefined,
  dflt: number,
  what: string,
  op: string,
): [number, number, number] {
  const t = v === undefined ? [dflt, dflt, dflt] : typeof v === 'number' ? [v, v, v] : [...v];
  if (t.length !== 3 || t.some((n) => !Number.isInteger(n) || n < 1))
    throw new ValueError(
      `${op}: ${what} must be a positive integer or [depth, height, width], got ${JSON.stringify(v)}`,
    );
  return t as [number, number, number];
}
function checkFormat(f: string | undefined, op: string): void {
  // NOTE: TF.js refuses NCDHW for the 3-D ops; so does tapegrad
  if (f !== undefined && f !== 'NDHWC')
    throw new ValueError(
      `${op}: dataFormat must be 'NDHWC' (the only one TF.js supports), got ${JSON.stringify(f)}`,
    );
}
/** Rank-4 [d, h, w, c] input as a batch of one (TF.js), rank 5 as is. */
function as5(x: Tensor, op: string): Tensor {
  assertTensor(x, op, 'x');
  if (x.rank !== 4 && x.rank !== 5)
    throw new ShapeError(
      `${op}: x must be rank 4 [d, h, w, c] or 5 [batch, d, h, w, c], got ${fmtShape(x.shape)}`,
    );
  return x.rank === 4 ? reshape(x, [1, ...x.shape]) : x;
}
const back = (y: Tensor, rank: number): Tensor => (rank === 4 ? reshape(y, y.shape.slice(1)) : y);

/** Depth slices d = start, start+step, ... (count of them) stacked on axis 1: [B, count, H, W, C]. */
function depthSlices(x: Tensor, start: number, step: number, count: number): Tensor {
  const [B, , H, W, C] = x.shape;
  const parts: Tensor[] = [];
  for (let i = 0; i < count; i++)
    parts.push(reshape(slice(x, [0, start + i * step, 0, 0, 0], [B, 1, H, W, C]), [B, H, W, C]));
  return stack(parts, 1);
}

/**
 * TF.js `tf.conv3d(x, filter, strides, pad, dataFormat = 'NDHWC', dilations = [1, 1, 1])`: cross-correlation with
 * filter [fd, fh, fw, in, out]; for each depth tap t a 2-D convolution of the matching depth slices,
 * y[od] = Σ_t conv2d(x[od·s + t·dil], filter[t]).
 * NOTE: TF.js refuses strides and dilations both above 1; the composition computes that case too (as PyTorch).
 */
export function conv3d(
  x0: Tensor,
  filter: Tensor,
  strides: number | Triple = 1,
  pad: 'valid' | 'same' = 'valid',
  dataFormat = 'NDHWC',
  dilations: number | Triple = 1,
): Tensor {
  const op = 'conv3d';
  let x = as5(x0, op);
  assertTensor(filter, op, 'filter');
  checkFormat(dataFormat, op);
  if (filter.rank !== 5)
    throw new ShapeError(`${op}: filter must be rank 5 [fd, fh, fw, in, out], got ${fmtShape(filter.shape)}`);
  const [kd, kh, kw, cin, cout] = filter.shape;
  if (x.shape[4] !== cin)
    throw new ShapeError(
      `${op}: x ${fmtShape(x0.shape)} has ${x.shape[4]} channels but the filter ${fmtShape(filter.shape)} expects ${cin}`,
    );
  if (pad !== 'valid' && pad !== 'same')
    throw new ValueError(`${op}: pad must be 'valid' or 'same', got ${JSON.stringify(pad)}`);
  const [sd, sh, sw] = triple(strides, 1, 'strides', op);
  const [dd, dh, dw] = triple(dilations, 1, 'dilations', op);
  const D = x.shape[1];
  const eff = (kd - 1) * dd + 1;
  let outD: number;
  if (pad === 'same') {
    const [pb, pa] = samePads(D, kd, sd, dd);
    if (pb || pa)
      x = padOp(x, [
        [0, 0],
        [pb, pa],
        [0, 0],
        [0, 0],
        [0, 0],
      ]);
    outD = Math.ceil(D / sd);
  } else outD = Math.floor((D - eff) / sd) + 1;
  if (outD < 1)
    throw new ShapeError(`${op}: input depth ${D} is smaller than the dilated filter depth ${eff}`);
  const [B, , H, W] = x.shape;
  let acc: Tensor | null = null;
  for (let t = 0; t < kd; t++) {
    const xs = reshape(depthSlices(x, t * dd, sd, outD), [B * outD, H, W, cin]);
    const wk = reshape(slice(filter, [t, 0, 0, 0, 0], [1, kh, kw, cin, cout]), [kh, kw, cin, cout]);
    const y = conv2d(xs, wk, null, { stride: [sh, sw], dilation: [dh, dw], padding: pad });
    acc = acc ? add(acc, y) : y;
  }
  return back(reshape(acc!, [B, outD, acc!.shape[1], acc!.shape[2], acc!.shape[3]]), x0.rank);
}

/**
 * 3-D pooling, separable: pool each depth slice over (h, w), then pool over depth.
 * NOTE: the window set is a product of a depth range and an (h, w) range, so max and TF's average (over real,
 * unpadded cells) both factor into a 2-D pool followed by a 1-D pool.
 */
function pool3d(
  kind: 'max' | 'avg',
  x0: Tensor,
  filterSize: number | Triple,
  strides: number | Triple,
  pad: Pool3dPad,
  dimRoundingMode: string | undefined | null,
  dataFormat: string,
): Tensor {
  const op = kind === 'max' ? 'maxPool3d' : 'avgPool3d';
  const x = as5(x0, op);
  checkFormat(dataFormat, op);
  const k = triple(filterSize, 1, 'filterSize', op);
  const s = triple(strides, 1, 'strides', op);
  if (pad !== 'valid' && pad !== 'same' && !(Number.isInteger(pad) && pad >= 0))
    throw new ValueError(
      `${op}: pad must be 'valid', 'same' or a non-negative integer, got ${JSON.stringify(pad)}`,
    );
  // NOTE: dimRoundingMode 'round' and 'ceil' (TF.js, with a numeric pad) are refused; 'floor' is the rule used
  if (dimRoundingMode != null && dimRoundingMode !== 'floor')
    throw new ValueError(
      `${op}: dimRoundingMode ${JSON.stringify(dimRoundingMode)} is not supported (only 'floor')`,
    );
  const [B, D, H, W, C] = x.shape;
  const p2 = kind === 'max' ? maxPool2d : avgPool2d;
  const y2 = p2(reshape(x, [B * D, H, W, C]), {
    kernelSize: [k[1], k[2]],
    stride: [s[1], s[2]],
    padding: pad,
  });
  const [Ho, Wo] = [y2.shape[1], y2.shape[2]];
  const col = reshape(transpose(reshape(y2, [B, D, Ho, Wo, C]), [0, 2, 3, 1, 4]), [B * Ho * Wo, D, C]);
  const p1 = kind === 'max' ? maxPool1d : avgPool1d;
  const y1 = p1(col, { kernelSize: k[0], stride: s[0], padding: pad });
  const Do = y1.shape[1];
  return back(transpose(reshape(y1, [B, Ho, Wo, Do, C]), [0, 3, 1, 2, 4]), x0.rank);
}

/** TF.js `tf.maxPool3d(x, filterSize = [1, 1, 1], strides, pad, dimRoundingMode, dataFormat = 'NDHWC')`. */
export const maxPool3d = (
  x: Tensor,
  filterSize: number | Triple = [1, 1, 1],
  strides: number | Triple = 1,
  pad: Pool3dPad = 'valid',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  dataFormat = 'NDHWC',
): Tensor => pool3d('max', x, filterSize, strides, pad, dimRoundingMode, dataFormat);

/** TF.js `tf.avgPool3d(x, filterSize = [1, 1, 1], strides, pad, dimRoundingMode, dataFormat = 'NDHWC')`. */
export const avgPool3d = (
  x: Tensor,
  filterSize: number | Triple = [1, 1, 1],
  strides: number | Triple = 1,
  pad: Pool3dPad = 'valid',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  dataFormat = 'NDHWC',
): Tensor => pool3d('avg', x, filterSize, strides, pad, dimRoundingMode, dataFormat);
