// Pooling as compositions. Max: the argmax of each window (a primitive with no gradient) then `take`,
// whose vjp scatters the gradient back to the winning inputs (run as the maxPool2dFused row unless ops are traced). Average: im2col then a mean.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { ones } from '../../core/tensor.js';
import type { Tensor } from '../../core/tensor.js';
import { div } from '../arith.js';
import { im2col, maxPool2dFused, poolArgmax, take } from '../linalg.js';
import { max, mean, sum } from '../reduce-ops.js';
import { reshape, transpose } from '../shape-ops.js';
import { noGrad } from '../../core/tape.js';
import {
  type Padding2d,
  type Pair,
  format1d,
  format2d,
  fusedAllowed,
  pair,
  resolvePads,
  windowGeom,
} from './window.js';
import { check1d } from './conv.js';

export interface Pool2dOptions {
  kernelSize: Pair;
  /** Defaults to kernelSize. */
  stride?: Pair;
  padding?: Padding2d;
  dilation?: Pair;
  dataFormat?: string;
  /** Average pooling: count padded zeros in the divisor (PyTorch's default); Keras never does. Default false. */
  countIncludePad?: boolean;
}

function prepare(x: Tensor, opts: Pool2dOptions, op: string) {
  const fmt = format2d(opts.dataFormat, op);
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be rank 4 (${fmt}), got ${fmtShape(x.shape)}`);
  const xh = fmt === 'NHWC' ? x : transpose(x, [0, 2, 3, 1]);
  const k = pair(opts.kernelSize, 1, 'kernelSize', op);
  const s = pair(opts.stride ?? opts.kernelSize, 1, 'stride', op);
  const d = pair(opts.dilation, 1, 'dilation', op);
  const geom = windowGeom(
    xh.shape,
    k,
    s,
    d,
    resolvePads(opts.padding, xh.shape[1], xh.shape[2], k, s, d, op),
    op,
  );
  const back = (y: Tensor) => (fmt === 'NHWC' ? y : transpose(y, [0, 3, 1, 2]));
  return { xh, geom, back };
}

export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { xh, geom, back } = prepare(x, opts, 'maxPool2d');
  // NOTE: one pass (the window maxima) unless ops are traced; the fused row's vjp finds the argmax again in the
  // backward pass, so no index tensor is kept from the forward pass to the backward one.
  if (fusedAllowed()) return back(maxPool2dFused(xh, geom));
  return back(take(xh, poolArgmax(xh, geom)));
}

export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { xh, geom, back } = prepare(x, opts, 'avgPool2d');
  const { n, c, kh, kw, outH, outW } = geom;
  const windows = reshape(im2col(xh, geom), [n, outH, outW, kh * kw, c]);
  const padBottom = (outH - 1) * geom.strideH + (kh - 1) * geom.dilationH + 1 - geom.h - geom.padTop;
  const padRight = (outW - 1) * geom.strideW + (kw - 1) * geom.dilationW + 1 - geom.w - geom.padLeft;
  const padded = geom.padTop > 0 || geom.padLeft > 0 || padBottom > 0 || padRight > 0;
  if (opts.countIncludePad || !padded) return back(mean(windows, 3));
  // NOTE: Keras divides by the number of real (unpadded) inputs in each window.
  const counts = noGrad(() =>
    reshape(sum(im2col(ones([1, geom.h, geom.w, 1], { dtype: x.dtype }), { ...geom, n: 1, c: 1 }), 1), [
      1,
      outH,
      outW,
      1,
    ]),
  );
  return back(div(sum(windows, 3), counts));
}

export interface Pool1dOptions {
  kernelSize: number;
  stride?: number;
  padding?: 'same' | 'valid' | number;
  dataFormat?: string;
  countIncludePad?: boolean;
}
function pool1d(f: typeof maxPool2d, x: Tensor, opts: Pool1dOptions, op: string): Tensor {
  const fmt = format1d(opts.dataFormat, op);
  if (x.rank !== 3) throw new ShapeError(`${op}: input must be rank 3 (${fmt}), got ${fmtShape(x.shape)}`);
  const xw = fmt === 'NWC' ? x : transpose(x, [0, 2, 1]);
  const p = opts.padding ?? 'valid';
  check1d(op, opts.kernelSize, opts.stride ?? opts.kernelSize, 1);
  const pads = p === 'same' ? 0 : p === 'valid' ? 0 : 2 * p;
  if (p !== 'same' && opts.kernelSize > xw.shape[1] + pads)
    throw new ValueError(
      `${op}: window ${opts.kernelSize} is larger than the ${p === 'valid' ? '' : 'padded '}input length ${xw.shape[1] + pads} (input ${fmtShape(x.shape)}, dataFormat ${fmt})`,
    );
  const y = f(reshape(xw, [xw.shape[0], 1, xw.shape[1], xw.shape[2]]), {
    kernelSize: [1, opts.kernelSize],
    stride: [1, opts.stride ?? opts.kernelSize],
    padding:
      typeof p === 'number'
        ? [
            [0, 0],
            [p, p],
          ]
        : p,
    countIncludePad: opts.countIncludePad,
  });
  const out = reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
  return fmt === 'NWC' ? out : transpose(out, [0, 2, 1]);
}
export const maxPool1d = (x: Tensor, opts: Pool1dOptions): Tensor => pool1d(maxPool2d, x, opts, 'maxPool1d');
export const avgPool1d = (x: Tensor, opts: Pool1dOptions): Tensor => pool1d(avgPool2d, x, opts, 'avgPool1d');

/** Global pools: reduce every spatial axis (channels last by default). */
function spatialAxes(x: Tensor, dataFormat: string | undefined, op: string): number[] {
  if (x.rank < 3)
    throw new ShapeError(
      `${op}: input must have a batch, spatial and channel axis, got ${fmtShape(x.shape)}`,
    );
  const first =
    dataFormat === 'NCHW' ||
    dataFormat === 'NCW' ||
    dataFormat === 'channelsFirst' ||
    dataFormat === 'channels_first';
  return first ? [...x.shape.keys()].slice(2) : [...x.shape.keys()].slice(1, -1);
}
export const globalAvgPool = (x: Tensor, opts: { dataFormat?: string; keepdims?: boolean } = {}): Tensor =>
  mean(x, spatialAxes(x, opts.dataFormat, 'globalAvgPool'), opts.keepdims ?? false);
export const globalMaxPool = (x: Tensor, opts: { dataFormat?: string; keepdims?: boolean } = {}): Tensor =>
  max(x, spatialAxes(x, opts.dataFormat, 'globalMaxPool'), opts.keepdims ?? false);
