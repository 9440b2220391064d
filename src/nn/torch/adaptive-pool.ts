// PyTorch's adaptive pooling: `nn.AdaptiveAvgPool1d/2d`, `nn.AdaptiveMaxPool1d/2d` and the functionals
// `adaptiveAvgPool1d/2d`, `adaptiveMaxPool1d/2d` (re-exported by functional.ts). Output cell i of an axis of input
// size In and output size Out covers [floor(i·In/Out), ceil((i+1)·In/Out)), as PyTorch 1.13.
// NOTE: average: built from tape ops (reshape + mean when Out divides In, else slice + mean per cell and a concat),
// one spatial axis after the other (a mean over a rectangle is the mean of the per-row means). Max: each cell's
// argmax, as PyTorch's kernel (the first maximum in row-major order), then the value read there, so on ties the
// gradient goes to that one input, as PyTorch's; returnIndices gives the argmax as int32 positions within each plane
// (PyTorch: int64).
// NOTE: with several NaNs in a cell the value is NaN as PyTorch's, but the index is the first NaN (PyTorch: the last).
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor } from '../../core/tensor.js';
import { equal, where } from '../../ops/elementwise/builders.js';
import { gather } from '../../ops/network/builders.js';
import { concat, reshape, slice } from '../../ops/movement/builders.js';
import { argmax, mean, sum } from '../../ops/reduce/builders.js';
import { Module } from './base.js';
import { checkBool, functional, show, who } from './functional-args.js';

/** An output size: an integer for every spatial axis, or one per axis where null keeps the input's size. */
export type OutputSize1d = number | [number | null];
export type OutputSize2d = number | [number | null, number | null];

/** PyTorch's output_size: a positive integer, or a tuple of `n` positive integers or null (None). */
function checkOutputSize(op: string, v: unknown, n: 1 | 2): (number | null)[] {
  const list = typeof v === 'number' ? new Array<unknown>(n).fill(v) : Array.isArray(v) ? v : null;
  // NOTE: PyTorch 1.13 returns an empty tensor for output size 0; refused here as a likely mistake
  if (
    !list ||
    list.length !== n ||
    list.some((q) => q !== null && (typeof q !== 'number' || !Number.isInteger(q) || q < 1))
  )
    throw new ValueError(
      `${op}: output_size must be a positive integer or ${n === 1 ? 'a 1-tuple [l]' : 'a pair [h, w]'} of positive integers or null, got ${show(v)}`,
    );
  return list as (number | null)[];
}

/** One axis averaged to `out` cells: a reshape and one mean when out divides the size, else cell by cell. */
export function poolAxis(x: Tensor, axis: number, out: number): Tensor {
  const n = x.shape[axis];
  if (n === out) return x;
  if (n % out === 0) {
    const shape = [...x.shape.slice(0, axis), out, n / out, ...x.shape.slice(axis + 1)];
    return mean(reshape(x, shape), axis + 1);
  }
  const cells: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * n) / out);
    const end = Math.ceil(((i + 1) * n) / out);
    const begin = x.shape.map((_, a) => (a === axis ? start : 0));
    const size = x.shape.map((d, a) => (a === axis ? end - start : d));
    cells.push(mean(slice(x, begin, size), axis, true));
  }
  return concat(cells, axis);
}

/** The input shape check and the output sizes (null: the input's size) of an adaptive pool. */
function checkInput(op: string, x: Tensor, outputSize: unknown, spatial: 1 | 2): number[] {
  const sizes = checkOutputSize(op, outputSize, spatial);
  if (x.rank !== spatial + 1 && x.rank !== spatial + 2)
    throw new ShapeError(
      `${op}: expected ${spatial + 1}D or ${spatial + 2}D input (${spatial === 1 ? '[C, L] or [N, C, L]' : '[C, H, W] or [N, C, H, W]'}), got ${fmtShape(x.shape)}`,
    );
  if (x.shape.some((d) => d === 0))
    throw new ShapeError(`${op}: expected input with non-zero sizes, got ${fmtShape(x.shape)}`);
  return sizes.map((s, i) => s ?? x.shape[x.rank - spatial + i]);
}

/**
 * Adaptive average pooling of the last `spatial` axes of x ([N, C, ...] or unbatched [C, ...]); `op` names the
 * caller in messages. Non-spatial axes must be non-empty and spatial ones at least 1, as PyTorch's.
 */
function adaptiveAvg(op: string, x: Tensor, outputSize: unknown, spatial: 1 | 2): Tensor {
  const sizes = checkInput(op, x, outputSize, spatial);
  let y = x;
  for (let i = 0; i < spatial; i++) y = poolAxis(y, x.rank - spatial + i, sizes[i]);
  return y;
}

/** The cells [start, end) of an axis of size n pooled to `out`. */
const cells = (n: number, out: number): [number, number][] =>
  Array.from({ length: out }, (_, i) => [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]);

/**
 * Adaptive max pooling, all from tape ops (so ONNX export traces it): each cell's taps gathered in row-major order
 * into a window of the largest cell's size (the extra taps of smaller cells are -inf), argmax picks the first
 * maximum (a NaN wins), and the value is read there by a one-hot where and a sum, so the gradient goes to that tap
 * only. Indices (returnIndices): the argmax as a position within each plane.
 */
function adaptiveMax(
  op: string,
  x: Tensor,
  outputSize: unknown,
  spatial: 1 | 2,
  withIndices: boolean,
): Tensor[] {
  const sizes = checkInput(op, x, outputSize, spatial);
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new DTypeError(
      `${op}: input must be float32 or float64 (PyTorch refuses integer inputs too), got ${x.dtype}`,
    );
  const [h, w] = spatial === 2 ? x.shape.slice(-2) : [1, x.shape[x.rank - 1]];
  const [rows, cols] = [cells(h, spatial === 2 ? sizes[0] : 1), cells(w, sizes[spatial - 1])];
  const kh = Math.max(...rows.map(([a, b]) => b - a));
  const kw = Math.max(...cols.map(([a, b]) => b - a));
  const kk = kh * kw;
  const taps: number[] = []; // per cell and window tap: the position in the [h, w] plane
  const real = new Int32Array(rows.length * cols.length * kk); // 1 where the tap is inside its cell
  for (const [r0, r1] of rows)
    for (const [c0, c1] of cols)
      for (let a = 0; a < kh; a++)
        for (let b = 0; b < kw; b++) {
          const inside = r0 + a < r1 && c0 + b < c1;
          real[taps.length] = inside ? 1 : 0;
          taps.push(inside ? (r0 + a) * w + c0 + b : r0 * w + c0);
        }
  const lead = x.shape.slice(0, x.rank - spatial);
  const cellShape = [...lead, ...sizes];
  let win = reshape(gather(reshape(x, [...lead, h * w]), taps, lead.length), [...cellShape, kk]);
  if (real.includes(0)) win = where(new Tensor(real, [...sizes, kk]), win, -Infinity);
  const am = argmax(win, -1);
  const pick = equal(
    reshape(am, [...cellShape, 1]),
    new Tensor(
      Int32Array.from({ length: kk }, (_, i) => i),
      [kk],
    ),
  );
  const values = sum(where(pick, win, 0), -1);
  if (!withIndices) return [values];
  const cellsPer = rows.length * cols.length;
  const local = Int32Array.from(am.data, (k, i) => taps[(i % cellsPer) * kk + k]);
  return [values, new Tensor(local, cellShape)];
}
/** PyTorch `nn.AdaptiveAvgPool2d(output_size)` on [N, C, H, W] or [C, H, W]. */
export class AdaptiveAvgPool2d extends Module {
  static override className = 'AdaptiveAvgPool2d';
  constructor(readonly outputSize: OutputSize2d) {
    super();
    checkOutputSize('AdaptiveAvgPool2d', outputSize, 2);
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvg(`${this.name} (AdaptiveAvgPool2d)`, x, this.outputSize, 2);
  }
}
/** PyTorch `nn.AdaptiveAvgPool1d(output_size)` on [N, C, L] or [C, L]. */
export class AdaptiveAvgPool1d extends Module {
  static override className = 'AdaptiveAvgPool1d';
  constructor(readonly outputSize: OutputSize1d) {
    super();
    checkOutputSize('AdaptiveAvgPool1d', outputSize, 1);
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvg(`${this.name} (AdaptiveAvgPool1d)`, x, this.outputSize, 1);
  }
}

/** The adaptive max modules: values, or [values, indices] with returnIndices. */
abstract class AdaptiveMaxBase<R extends boolean> extends Module {
  constructor(
    readonly outputSize: OutputSize1d | OutputSize2d,
    readonly returnIndices: R,
    private readonly spatial: 1 | 2,
  ) {
    super();
    const cls = `AdaptiveMaxPool${spatial}d`;
    checkOutputSize(cls, outputSize, spatial);
    if (typeof returnIndices !== 'boolean')
      throw new ValueError(`${cls}: returnIndices must be true or false, got ${show(returnIndices)}`);
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const r = adaptiveMax(
      `${this.name} (${this.className})`,
      x,
      this.outputSize,
      this.spatial,
      this.returnIndices,
    );
    return this.returnIndices ? [r[0], r[1]] : r[0];
  }
}
/** PyTorch `nn.AdaptiveMaxPool2d(output_size, return_indices=False)` on [N, C, H, W] or [C, H, W]. */
export class AdaptiveMaxPool2d<R extends boolean = false> extends AdaptiveMaxBase<R> {
  static override className = 'AdaptiveMaxPool2d';
  constructor(outputSize: OutputSize2d, returnIndices: R = false as R) {
    super(outputSize, returnIndices, 2);
  }
}
/** PyTorch `nn.AdaptiveMaxPool1d(output_size, return_indices=False)` on [N, C, L] or [C, L]. */
export class AdaptiveMaxPool1d<R extends boolean = false> extends AdaptiveMaxBase<R> {
  static override className = 'AdaptiveMaxPool1d';
  constructor(outputSize: OutputSize1d, returnIndices: R = false as R) {
    super(outputSize, returnIndices, 1);
  }
}

/** PyTorch `F.adaptive_avg_pool2d(input, output_size)`. */
export const adaptiveAvgPool2d = functional(
  'adaptiveAvgPool2d',
  ['input', 'outputSize'],
  (input: Tensor, outputSize: OutputSize2d): Tensor =>
    adaptiveAvg(who('adaptiveAvgPool2d'), input, outputSize, 2),
);
/** PyTorch `F.adaptive_avg_pool1d(input, output_size)`. */
export const adaptiveAvgPool1d = functional(
  'adaptiveAvgPool1d',
  ['input', 'outputSize'],
  (input: Tensor, outputSize: OutputSize1d): Tensor =>
    adaptiveAvg(who('adaptiveAvgPool1d'), input, outputSize, 1),
);
/** The max functionals: options { returnIndices } ([values, indices] when true). */
const maxFn = (name: string, spatial: 1 | 2) =>
  functional(
    name,
    ['input', 'outputSize', 'options'],
    (
      input: Tensor,
      outputSize: OutputSize1d | OutputSize2d,
      opts: { returnIndices?: boolean } = {},
    ): Tensor | [Tensor, Tensor] => {
      checkOptionsObject(who(name), opts, ['returnIndices'], { required: true });
      const withIndices = checkBool(name, 'returnIndices', opts.returnIndices ?? false);
      const r = adaptiveMax(who(name), input, outputSize, spatial, withIndices);
      return withIndices ? [r[0], r[1]] : r[0];
    },
  );
type AdaptiveMaxFn<S> = {
  (input: Tensor, outputSize: S, opts: { returnIndices: true }): [Tensor, Tensor];
  (input: Tensor, outputSize: S, opts?: { returnIndices?: boolean }): Tensor;
};
/** PyTorch `F.adaptive_max_pool2d(input, output_size, return_indices=False)`. */
export const adaptiveMaxPool2d = maxFn('adaptiveMaxPool2d', 2) as AdaptiveMaxFn<OutputSize2d>;
/** PyTorch `F.adaptive_max_pool1d(input, output_size, return_indices=False)`. */
export const adaptiveMaxPool1d = maxFn('adaptiveMaxPool1d', 1) as AdaptiveMaxFn<OutputSize1d>;
