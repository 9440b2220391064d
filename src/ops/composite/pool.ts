// Pooling as compositions. Max: the argmax of each window (a primitive with no gradient) then `take`,
// whose vjp scatters the gradient back to the winning inputs (run as the maxPool2dFused row unless ops are traced).
// Average: im2col, a sum, then a divide by each window's divisor (a constant). ceilMode follows PyTorch (see
// `ceilPads`).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { Tensor } from '../../core/tensor.js';
import type { WindowGeom } from '../../backend/kernels.js';
import { paddingOnlyWindow } from '../../core/window-geom.js';
import { div } from '../elementwise/builders.js';
import { avgPool2dFused, im2col, maxPool2dFused, poolArgmax, take } from '../network/builders.js';
import { max, mean, sum } from '../reduce/builders.js';
import { broadcastTo, reshape, transpose } from '../movement/builders.js';
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
  /** PyTorch ceil_mode: output size rounds up, so a last partial window is kept if it starts inside the input or left padding. */
  ceilMode?: boolean;
}
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padded zeros in the divisor (PyTorch's default); Keras never does. Default false. */
  countIncludePad?: boolean;
  /** PyTorch divisor_override: divide every window sum by this number. */
  divisorOverride?: number;
}
const POOL2D_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'dataFormat', 'ceilMode'] as const;
const AVG_KEYS = [...POOL2D_KEYS, 'countIncludePad', 'divisorOverride'] as const;

/**
 * PyTorch's ceil-mode output length along one axis: out = ⌈(L + pb + pa − eff)/s⌉ + 1, minus one when the last
 * window would start at or past L + pb (inside the right padding or beyond). Returns the extra right padding that
 * makes the floor rule of the kernels give that length (windows read nothing there).
 */
export function ceilExtra(len: number, eff: number, s: number, pb: number, pa: number): number {
  let out = Math.ceil((len + pb + pa - eff) / s) + 1;
  if ((out - 1) * s >= len + pb) out--;
  return Math.max(0, (out - 1) * s + eff - (len + pb + pa));
}

function prepare(x: Tensor, opts: Pool2dOptions, op: string) {
  if (!opts || typeof opts !== 'object')
    throw new ValueError(`${op}: options { kernelSize, ... } are required, got ${JSON.stringify(opts)}`);
  checkOptions(op, opts, op.startsWith('avgPool') ? AVG_KEYS : POOL2D_KEYS);
  const fmt = format2d(opts.dataFormat, op);
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be rank 4 (${fmt}), got ${fmtShape(x.shape)}`);
  const nhwc = fmt === 'NHWC' ? x.shape : [x.shape[0], x.shape[2], x.shape[3], x.shape[1]];
  const k = pair(opts.kernelSize, 1, 'kernelSize', op);
  const s = pair(opts.stride ?? opts.kernelSize, 1, 'stride', op);
  const d = pair(opts.dilation, 1, 'dilation', op);
  const [h, w] = [nhwc[1], nhwc[2]];
  const pads = resolvePads(opts.padding, h, w, k, s, d, op);
  const userPads: [[number, number], [number, number]] = [[...pads[0]], [...pads[1]]];
  if (opts.ceilMode) {
    if (opts.padding === 'same')
      throw new ValueError(
        `${op}: ceilMode applies to explicit padding (PyTorch); padding 'same' already gives ceil(size / stride)`,
      );
    // NOTE: the extra right/bottom padding only lengthens the output; divisors below never count it.
    pads[0][1] += ceilExtra(h, (k[0] - 1) * d[0] + 1, s[0], pads[0][0], pads[0][1]);
    pads[1][1] += ceilExtra(w, (k[1] - 1) * d[1] + 1, s[1], pads[1][0], pads[1][1]);
  }
  const geom = windowGeom(nhwc, k, s, d, pads, op);
  const back = (y: Tensor) => (fmt === 'NHWC' ? y : transpose(y, [0, 3, 1, 2]));
  // NOTE: NCHW input moves to NHWC only when a caller asks (maxPool2d may pool it in place: nchwAsOneChannel)
  const nchw = fmt !== 'NHWC';
  return { nchw, xh: () => (nchw ? transpose(x, [0, 2, 3, 1]) : x), geom, back, userPads };
}

/**
 * NCHW max pooling with a 2×2 window, stride 2, no dilation and no top/left padding, pooled in place as
 * [N·C, H, W, 1]: each channel plane is an image of one channel, which the kernels' one-channel path pools four
 * windows at a time. The same windows in the same tap order, so the same values, argmax and gradient bits as the
 * transposed path, without its two transposes forward and two backward. Null when the geometry is another.
 */
function nchwAsOneChannel(x: Tensor, geom: WindowGeom): Tensor | null {
  const g = geom;
  if (g.kh !== 2 || g.kw !== 2 || g.strideH !== 2 || g.strideW !== 2) return null;
  if (g.dilationH !== 1 || g.dilationW !== 1 || g.padTop !== 0 || g.padLeft !== 0) return null;
  const planes = { ...g, n: g.n * g.c, c: 1 };
  const y = maxPool2dFused(reshape(x, [g.n * g.c, g.h, g.w, 1]), planes);
  return reshape(y, [g.n, g.c, g.outH, g.outW]);
}

/**
 * Each window's divisor [1, outH, outW, 1]: taps inside the input, or (countIncludePad) inside the input plus the
 * user's padding — PyTorch: (min(start + k, L + pad) − start) per axis — never the extra padding of ceilMode.
 */
function windowCounts(
  geom: ReturnType<typeof prepare>['geom'],
  userPads: [[number, number], [number, number]],
  includePad: boolean,
  dtype: Tensor['dtype'],
): Tensor {
  const { outH, outW } = geom;
  const counts = windowCountList(geom, userPads, includePad);
  const data = dtype === 'float64' ? Float64Array.from(counts) : Float32Array.from(counts);
  return new Tensor(data, [1, outH, outW, 1]);
}

/** The divisors of windowCounts as numbers, row-major over [outH, outW]. */
function windowCountList(
  geom: ReturnType<typeof prepare>['geom'],
  userPads: [[number, number], [number, number]],
  includePad: boolean,
): number[] {
  const axis = (out: number, len: number, k: number, s: number, d: number, pb: number, pa: number) =>
    Array.from({ length: out }, (_, o) => {
      let n = 0;
      for (let t = 0; t < k; t++) {
        const i = o * s - pb + t * d;
        if (includePad ? i >= -pb && i < len + pa : i >= 0 && i < len) n++;
      }
      return n;
    });
  const { h, w, kh, kw, outH, outW } = geom;
  const ch = axis(outH, h, kh, geom.strideH, geom.dilationH, userPads[0][0], userPads[0][1]);
  const cw = axis(outW, w, kw, geom.strideW, geom.dilationW, userPads[1][0], userPads[1][1]);
  const data: number[] = [];
  for (let i = 0; i < outH; i++) for (let j = 0; j < outW; j++) data.push(ch[i] * cw[j]);
  return data;
}

export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { nchw, xh, geom, back } = prepare(x, opts, 'maxPool2d');
  // NOTE: one pass (the window maxima) unless ops are traced; the fused row's vjp finds the argmax again in the
  // backward pass, so no index tensor is kept from the forward pass to the backward one.
  if (!fusedAllowed()) {
    const xn = xh();
    return back(take(xn, poolArgmax(xn, geom)));
  }
  return (nchw ? nchwAsOneChannel(x, geom) : null) ?? back(maxPool2dFused(xh(), geom));
}

/**
 * Max pooling that also returns PyTorch's indices (return_indices): for each output, the flat position
 * y·W + x of the winning input within its own [H, W] plane, as int32, laid out like the values.
 */
export function maxPool2dWithIndices(x: Tensor, opts: Pool2dOptions): { values: Tensor; indices: Tensor } {
  const { xh: nhwc, geom, back } = prepare(x, opts, 'maxPool2d');
  const xh = nhwc();
  const arg = poolArgmax(xh, geom); // flat NHWC positions of each window's first maximum (PyTorch's tie rule)
  // NOTE: the indices are a take of the same argmax from a map of plane positions y·W + x (int32 [1, H, W, 1],
  // broadcast over N and C): ops only, no loop over the data, so the trace holds take(map, poolArgmax(x))
  return { values: back(take(xh, arg)), indices: back(take(broadcastTo(planeMap(geom), xh.shape), arg)) };
}

/** Each input pixel's flat position y·W + x within its [H, W] plane, int32 [1, H, W, 1] (from the shape alone). */
function planeMap(geom: WindowGeom): Tensor {
  const plane = geom.h * geom.w;
  return new Tensor(
    Int32Array.from({ length: plane }, (_, i) => i),
    [1, geom.h, geom.w, 1],
  );
}

export const avgPool2d = (x: Tensor, opts: AvgPool2dOptions): Tensor => avgPool(x, opts, 'avgPool2d');

/** avgPool2d, its errors named `op` (avgPool1d runs it on [n, 1, w, c]). */
function avgPool(x: Tensor, opts: AvgPool2dOptions, op: string): Tensor {
  const { xh: nhwc, geom, back, userPads } = prepare(x, opts, op);
  const { n, c, kh, kw, outH, outW } = geom;
  const dv = opts.divisorOverride;
  if (dv !== undefined && (typeof dv !== 'number' || !Number.isFinite(dv) || dv === 0))
    throw new ValueError(`${op}: divisorOverride must be a non-zero number, got ${JSON.stringify(dv)}`);
  // NOTE: a window of padding only averages no input (0/0 where the divisor counts real inputs); refused whatever
  // the divisor, as maxPool2d refuses it and PyTorch refuses padding past half the window
  const empty = paddingOnlyWindow(op, geom, ', so it averages no input');
  if (empty !== null) throw new ValueError(empty);
  const xh = nhwc();
  const padBottom = (outH - 1) * geom.strideH + (kh - 1) * geom.dilationH + 1 - geom.h - geom.padTop;
  const padRight = (outW - 1) * geom.strideW + (kw - 1) * geom.dilationW + 1 - geom.w - geom.padLeft;
  const padded = geom.padTop > 0 || geom.padLeft > 0 || padBottom > 0 || padRight > 0;
  // NOTE: one pass (sum the window's taps, divide) unless ops are traced: the fused row gives the values of the
  // composition below and its vjp is that composition's (col2im of g / divisor).
  if (fusedAllowed() && (x.dtype === 'float32' || x.dtype === 'float64')) {
    const divisors =
      dv !== undefined
        ? [dv]
        : padded
          ? windowCountList(geom, userPads, opts.countIncludePad ?? false)
          : [kh * kw];
    return back(avgPool2dFused(xh, geom, divisors));
  }
  const windows = reshape(im2col(xh, geom), [n, outH, outW, kh * kw, c]);
  if (dv !== undefined) return back(div(sum(windows, 3), dv)); // y = Σ window / divisorOverride
  if (!padded) return back(mean(windows, 3));
  // NOTE: Keras divides by the number of real (unpadded) inputs in each window; PyTorch (countIncludePad) also
  // counts the padding it was given, but not what ceilMode adds past it.
  const counts = windowCounts(geom, userPads, opts.countIncludePad ?? false, x.dtype);
  return back(div(sum(windows, 3), counts));
}

export interface Pool1dOptions {
  kernelSize: number;
  stride?: number;
  padding?: 'same' | 'valid' | number;
  /** Max pooling only (PyTorch max_pool1d dilation). */
  dilation?: number;
  dataFormat?: string;
  /** Average pooling only. */
  countIncludePad?: boolean;
  /** PyTorch ceil_mode (see Pool2dOptions.ceilMode). */
  ceilMode?: boolean;
}
const POOL1D_KEYS = ['kernelSize', 'stride', 'padding', 'dataFormat', 'ceilMode'] as const;
function pool1d(f: typeof avgPool, x: Tensor, opts: Pool1dOptions, op: string): Tensor {
  if (!opts || typeof opts !== 'object')
    throw new ValueError(`${op}: options { kernelSize, ... } are required, got ${JSON.stringify(opts)}`);
  checkOptions(
    op,
    opts,
    op === 'maxPool1d' ? [...POOL1D_KEYS, 'dilation'] : [...POOL1D_KEYS, 'countIncludePad'],
  );
  const fmt = format1d(opts.dataFormat, op);
  if (x.rank !== 3) throw new ShapeError(`${op}: input must be rank 3 (${fmt}), got ${fmtShape(x.shape)}`);
  const xw = fmt === 'NWC' ? x : transpose(x, [0, 2, 1]);
  const p = opts.padding ?? 'valid';
  const dil = opts.dilation ?? 1;
  check1d(op, opts.kernelSize, opts.stride ?? opts.kernelSize, dil);
  const pads = p === 'same' ? 0 : p === 'valid' ? 0 : 2 * p;
  const eff = (opts.kernelSize - 1) * dil + 1;
  if (p !== 'same' && eff > xw.shape[1] + pads)
    throw new ValueError(
      `${op}: window ${opts.kernelSize}${dil > 1 ? ` (dilation ${dil})` : ''} is larger than the ${p === 'valid' ? '' : 'padded '}input length ${xw.shape[1] + pads} (input ${fmtShape(x.shape)}, dataFormat ${fmt})`,
    );
  const o2: AvgPool2dOptions = {
    kernelSize: [1, opts.kernelSize],
    stride: [1, opts.stride ?? opts.kernelSize],
    padding:
      typeof p === 'number'
        ? [
            [0, 0],
            [p, p],
          ]
        : p,
  };
  if (opts.dilation !== undefined) o2.dilation = [1, dil];
  if (opts.ceilMode !== undefined) o2.ceilMode = opts.ceilMode;
  if (opts.countIncludePad !== undefined) o2.countIncludePad = opts.countIncludePad;
  const y = f(reshape(xw, [xw.shape[0], 1, xw.shape[1], xw.shape[2]]), o2, op);
  const out = reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
  return fmt === 'NWC' ? out : transpose(out, [0, 2, 1]);
}
export const maxPool1d = (x: Tensor, opts: Pool1dOptions): Tensor => pool1d(maxPool2d, x, opts, 'maxPool1d');
export const avgPool1d = (x: Tensor, opts: Pool1dOptions): Tensor => pool1d(avgPool, x, opts, 'avgPool1d');

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
const GLOBAL_KEYS = ['dataFormat', 'keepdims'] as const;
export function globalAvgPool(x: Tensor, opts: { dataFormat?: string; keepdims?: boolean } = {}): Tensor {
  checkOptions('globalAvgPool', opts, GLOBAL_KEYS);
  return mean(x, spatialAxes(x, opts.dataFormat, 'globalAvgPool'), opts.keepdims ?? false);
}
export function globalMaxPool(x: Tensor, opts: { dataFormat?: string; keepdims?: boolean } = {}): Tensor {
  checkOptions('globalMaxPool', opts, GLOBAL_KEYS);
  return max(x, spatialAxes(x, opts.dataFormat, 'globalMaxPool'), opts.keepdims ?? false);
}
