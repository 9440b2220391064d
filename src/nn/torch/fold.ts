// PyTorch 1.13 `nn.Unfold` / `nn.Fold` and `F.unfold` / `F.fold`: the sliding-window patch matrix of a convolution
// (im2col) and its adjoint (col2im, overlaps summed), over tapegrad's im2col/col2im primitives. Those work on NHWC
// with rows (n, oy, ox) and columns (ky, kx, c); PyTorch's blocks are [N, C·kh·kw, L] with columns (c, ky, kx), so
// the two layouts differ by a reshape and a transpose. Gradients come from the tape (im2col's vjp is col2im).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor } from '../../core/tensor.js';
import type { WindowGeom } from '../../backend/kernels.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { col2im, im2col } from '../../ops/network/builders.js';
import { Module } from './base.js';
import { functional, show, who } from './functional-args.js';

type Pair = number | readonly [number, number];
/** The window of Unfold and Fold, each field an int or a pair (height, width). */
export interface UnfoldOptions {
  kernelSize: Pair;
  dilation?: Pair;
  padding?: Pair;
  stride?: Pair;
}
export interface FoldOptions extends UnfoldOptions {
  outputSize: Pair;
}
/** The window with every field a pair. */
interface Window {
  k: [number, number];
  d: [number, number];
  p: [number, number];
  s: [number, number];
}
const WINDOW_KEYS = ['dilation', 'padding', 'stride'] as const;
/** A size given as an argument: an int or a pair (not an options object). */
const isPair = (v: unknown): v is Pair => typeof v === 'number' || Array.isArray(v);

/** An int or a pair (PyTorch's _pair); min is the smallest value allowed. */
function pairOf(where: string, what: string, v: unknown, min: number): [number, number] {
  const list = Array.isArray(v) ? (v as unknown[]) : [v, v];
  if (list.length !== 2 || list.some((q) => typeof q !== 'number' || !Number.isInteger(q) || q < min))
    throw new ValueError(
      `${where}: ${what} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer or a pair of them, got ${show(v)}`,
    );
  return list as [number, number];
}
/** kernelSize (required) and the optional dilation/padding/stride, checked. */
function windowOf(where: string, kernelSize: unknown, o: Partial<UnfoldOptions>): Window {
  if (kernelSize === undefined) throw new ValueError(`${where}: kernelSize is required`);
  return {
    k: pairOf(where, 'kernelSize', kernelSize, 1),
    d: pairOf(where, 'dilation', o.dilation ?? 1, 1),
    p: pairOf(where, 'padding', o.padding ?? 0, 0),
    s: pairOf(where, 'stride', o.stride ?? 1, 1),
  };
}
const fmtW = (w: Window): string =>
  `kernel_size=(${w.k}), dilation=(${w.d}), padding=(${w.p}), stride=(${w.s})`;
/** Sliding blocks along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1 (may be < 1). */
const blocks = (size: number, w: Window, a: 0 | 1): number =>
  Math.floor((size + 2 * w.p[a] - w.d[a] * (w.k[a] - 1) - 1) / w.s[a]) + 1;
/** The im2col geometry of an NHWC image [n, h, wd, c] under the window. */
function geomOf(
  n: number,
  h: number,
  wd: number,
  c: number,
  w: Window,
  outH: number,
  outW: number,
): WindowGeom {
  return {
    n,
    h,
    w: wd,
    c,
    kh: w.k[0],
    kw: w.k[1],
    strideH: w.s[0],
    strideW: w.s[1],
    dilationH: w.d[0],
    dilationW: w.d[1],
    padTop: w.p[0],
    padLeft: w.p[1],
    outH,
    outW,
  };
}

/** [N, C, H, W] (or unbatched [C, H, W]) → [N, C·kh·kw, L] (or [C·kh·kw, L]): each block's values, channel-major. */
function unfoldOf(where: string, x: Tensor, w: Window): Tensor {
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(
      `${where}: expected 3D or 4D (batch mode) input [N, C, H, W], got ${fmtShape(x.shape)}`,
    );
  const [n, c, h, wd] = x.rank === 4 ? x.shape : [1, ...x.shape];
  const oh = blocks(h, w, 0);
  const ow = blocks(wd, w, 1);
  if (oh < 1 || ow < 1)
    throw new ValueError(
      `${where}: Given input with spatial size (${h}, ${wd}), ${fmtW(w)}, calculated shape of the array of sliding blocks as (${oh}, ${ow}), but its components must be at least one.`,
    );
  const kk = w.k[0] * w.k[1];
  const nhwc = transpose(reshape(x, [n, c, h, wd]), [0, 2, 3, 1]);
  const cols = im2col(nhwc, geomOf(n, h, wd, c, w, oh, ow)); // [n·L, kh·kw·c], columns (ky, kx, c)
  // (n, L, k, c) → (n, c, k, L): PyTorch's column index is c·kh·kw + ky·kw + kx
  const y = reshape(transpose(reshape(cols, [n, oh * ow, kk, c]), [0, 3, 2, 1]), [n, c * kk, oh * ow]);
  return x.rank === 4 ? y : reshape(y, [c * kk, oh * ow]);
}

/** [N, C·kh·kw, L] (or [C·kh·kw, L]) → [N, C, H, W] (or [C, H, W]) with (H, W) = outputSize: overlaps summed. */
function foldOf(where: string, x: Tensor, size: [number, number], w: Window): Tensor {
  if (x.rank !== 2 && x.rank !== 3)
    throw new ShapeError(
      `${where}: expected 2D or 3D (batch mode) input [N, C·kh·kw, L], got ${fmtShape(x.shape)}`,
    );
  const [n, ckk, l] = x.rank === 3 ? x.shape : [1, ...x.shape];
  const kk = w.k[0] * w.k[1];
  const dim = x.rank - 2; // the C·kh·kw axis, as PyTorch names it
  if (ckk % kk !== 0)
    throw new ShapeError(
      `${where}: Expected size of input's dimension ${dim} to be divisible by the product of kernel_size, but got input.size(${dim})=${ckk} and kernel_size=(${w.k}).`,
    );
  const [h, wd] = size;
  const oh = blocks(h, w, 0);
  const ow = blocks(wd, w, 1);
  if (oh < 1 || ow < 1)
    throw new ValueError(
      `${where}: Given output_size=(${h}, ${wd}), ${fmtW(w)}, calculated shape of the array of sliding blocks as (${oh}, ${ow}), but its components must be at least one.`,
    );
  if (oh * ow !== l)
    throw new ShapeError(
      `${where}: Given output_size=(${h}, ${wd}), ${fmtW(w)}, expected size of input's dimension ${dim + 1} to match the calculated number of sliding blocks ${oh} * ${ow} = ${oh * ow}, but got input.size(${dim + 1})=${l}.`,
    );
  const c = ckk / kk;
  // (n, c, k, L) → (n, L, k, c): im2col's patch-matrix layout, which col2im sums back into the image
  const cols = reshape(transpose(reshape(x, [n, c, kk, l]), [0, 3, 2, 1]), [n * l, kk * c]);
  const img = transpose(col2im(cols, geomOf(n, h, wd, c, w, oh, ow)), [0, 3, 1, 2]); // NHWC → NCHW
  return x.rank === 3 ? img : reshape(img, [c, h, wd]);
}

/**
 * PyTorch `nn.Unfold(kernel_size, dilation=1, padding=0, stride=1)` (keywords in an options object): the blocks
 * of [N, C, H, W] as columns, [N, C·kh·kw, L] with L = the number of block positions. conv2d(x, w) is
 * matmul(w.reshape(O, -1), unfold(x)) reshaped to [N, O, oh, ow].
 */
export class Unfold extends Module {
  static override className = 'Unfold';
  readonly kernelSize: [number, number];
  readonly dilation: [number, number];
  readonly padding: [number, number];
  readonly stride: [number, number];
  constructor(kernelSize: Pair | UnfoldOptions, opts: UnfoldFunctionalOptions = {}) {
    super();
    // NOTE: PyTorch's positional form `Unfold(3, {stride: 2})` and one options object `Unfold({kernelSize: 3})` both work
    if (isPair(kernelSize)) checkOptionsObject('Unfold', opts, WINDOW_KEYS, { required: true });
    const o: UnfoldOptions = isPair(kernelSize) ? { ...opts, kernelSize } : kernelSize;
    checkOptionsObject('Unfold', o, ['kernelSize', ...WINDOW_KEYS], { required: true });
    const w = windowOf('Unfold', o.kernelSize, o);
    [this.kernelSize, this.dilation, this.padding, this.stride] = [w.k, w.d, w.p, w.s];
  }
  private get window(): Window {
    return { k: this.kernelSize, d: this.dilation, p: this.padding, s: this.stride };
  }
  forward(x: Tensor): Tensor {
    return unfoldOf(`${this.name} (Unfold)`, x, this.window);
  }
}

/**
 * PyTorch `nn.Fold(output_size, kernel_size, dilation=1, padding=0, stride=1)` (keywords in an object): Unfold's
 * adjoint, [N, C·kh·kw, L] → [N, C, H, W], each block added at its place (overlaps summed; col2im).
 * NOTE: fold(unfold(x)) is x times how many blocks cover each pixel, not x (PyTorch's documented identity).
 */
export class Fold extends Module {
  static override className = 'Fold';
  readonly outputSize: [number, number];
  readonly kernelSize: [number, number];
  readonly dilation: [number, number];
  readonly padding: [number, number];
  readonly stride: [number, number];
  constructor(outputSize: Pair | FoldOptions, kernelSize?: Pair, opts: UnfoldFunctionalOptions = {}) {
    super();
    // NOTE: PyTorch's positional form `Fold([4, 5], 2)` and one options object `Fold({outputSize, kernelSize})`
    if (isPair(outputSize)) checkOptionsObject('Fold', opts, WINDOW_KEYS, { required: true });
    else if (kernelSize !== undefined)
      throw new ValueError(
        'Fold: give outputSize and kernelSize either as arguments or in one options object',
      );
    const o = (isPair(outputSize) ? { ...opts, outputSize, kernelSize } : outputSize) as FoldOptions;
    checkOptionsObject('Fold', o, ['outputSize', 'kernelSize', ...WINDOW_KEYS], { required: true });
    if (o.outputSize === undefined) throw new ValueError('Fold: outputSize is required');
    this.outputSize = pairOf('Fold', 'outputSize', o.outputSize, 1);
    const w = windowOf('Fold', o.kernelSize, o);
    [this.kernelSize, this.dilation, this.padding, this.stride] = [w.k, w.d, w.p, w.s];
  }
  forward(x: Tensor): Tensor {
    const w = { k: this.kernelSize, d: this.dilation, p: this.padding, s: this.stride };
    return foldOf(`${this.name} (Fold)`, x, this.outputSize, w);
  }
}

export type UnfoldFunctionalOptions = Omit<UnfoldOptions, 'kernelSize'>;
/** PyTorch `F.unfold(input, kernel_size, dilation=1, padding=0, stride=1)` (keywords in an options object). */
export const unfold = functional(
  'unfold',
  ['input', 'kernelSize', 'options'],
  (input: Tensor, kernelSize: Pair, opts: UnfoldFunctionalOptions = {}): Tensor => {
    const name = who('unfold');
    checkOptionsObject(name, opts, WINDOW_KEYS, { required: true });
    return unfoldOf(name, input, windowOf(name, kernelSize, opts));
  },
);
/** PyTorch `F.fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1)` (keywords in an object). */
export const fold = functional(
  'fold',
  ['input', 'outputSize', 'kernelSize', 'options'],
  (input: Tensor, outputSize: Pair, kernelSize: Pair, opts: UnfoldFunctionalOptions = {}): Tensor => {
    const name = who('fold');
    checkOptionsObject(name, opts, WINDOW_KEYS, { required: true });
    const size = pairOf(name, 'outputSize', outputSize, 1);
    return foldOf(name, input, size, windowOf(name, kernelSize, opts));
  },
);
