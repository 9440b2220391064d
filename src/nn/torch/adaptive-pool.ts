// PyTorch's adaptive pooling: `nn.AdaptiveAvgPool1d/2d`, `nn.AdaptiveMaxPool1d/2d` and the functionals
// `adaptiveAvgPool1d/2d`, `adaptiveMaxPool1d/2d` (re-exported by functional.ts). Output cell i of an axis of input
// size In and output size Out covers [floor(i·In/Out), ceil((i+1)·In/Out)), as PyTorch 1.13.
// NOTE: built from tape ops (reshape + mean/max when Out divides In, else slice + mean/max per cell and a concat),
// one spatial axis after the other: a mean or max over a rectangle is the mean or max of the per-row results, so the
// gradient comes from autodiff. On ties the max's gradient follows tapegrad's max, not PyTorch's single argmax.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import { concat, reshape, slice } from '../../ops/movement/builders.js';
import { max, mean } from '../../ops/reduce/builders.js';
import { Module } from './base.js';
import { functional, show, who } from './functional-args.js';

type Kind = 'avg' | 'max';
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

/** One axis pooled to `out` cells: a reshape and one reduction when out divides the size, else cell by cell. */
function poolAxis(x: Tensor, axis: number, out: number, kind: Kind): Tensor {
  const n = x.shape[axis];
  if (n === out) return x;
  const reduce = kind === 'avg' ? mean : max;
  if (n % out === 0) {
    const shape = [...x.shape.slice(0, axis), out, n / out, ...x.shape.slice(axis + 1)];
    return reduce(reshape(x, shape), axis + 1);
  }
  const cells: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * n) / out);
    const end = Math.ceil(((i + 1) * n) / out);
    const begin = x.shape.map((_, a) => (a === axis ? start : 0));
    const size = x.shape.map((d, a) => (a === axis ? end - start : d));
    cells.push(reduce(slice(x, begin, size), axis, true));
  }
  return concat(cells, axis);
}

/**
 * Adaptive pooling of the last `spatial` axes of x ([N, C, ...] or unbatched [C, ...]); `op` names the caller in
 * messages. Non-spatial axes must be non-empty and spatial ones at least 1, as PyTorch's.
 */
function adaptivePool(op: string, x: Tensor, outputSize: unknown, spatial: 1 | 2, kind: Kind): Tensor {
  const sizes = checkOutputSize(op, outputSize, spatial);
  if (x.rank !== spatial + 1 && x.rank !== spatial + 2)
    throw new ShapeError(
      `${op}: expected ${spatial + 1}D or ${spatial + 2}D input (${spatial === 1 ? '[C, L] or [N, C, L]' : '[C, H, W] or [N, C, H, W]'}), got ${fmtShape(x.shape)}`,
    );
  if (x.shape.some((d) => d === 0))
    throw new ShapeError(`${op}: expected input with non-zero sizes, got ${fmtShape(x.shape)}`);
  let y = x;
  for (let i = 0; i < spatial; i++) {
    const axis = x.rank - spatial + i;
    y = poolAxis(y, axis, sizes[i] ?? x.shape[axis], kind);
  }
  return y;
}

/** returnIndices: false only (the separable composition keeps no argmax), refused by name otherwise. */
function noIndices(op: string, v: unknown): void {
  if (typeof v !== 'boolean')
    throw new ValueError(`${op}: returnIndices must be true or false, got ${show(v)}`);
  if (v)
    throw new ValueError(
      `${op}: returnIndices is not supported (adaptive max pooling is composed of tape ops and keeps no indices); use returnIndices: false`,
    );
}

/** PyTorch `nn.AdaptiveAvgPool2d(output_size)` on [N, C, H, W] or [C, H, W]. */
export class AdaptiveAvgPool2d extends Module {
  static override className = 'AdaptiveAvgPool2d';
  constructor(readonly outputSize: OutputSize2d) {
    super();
    checkOutputSize('AdaptiveAvgPool2d', outputSize, 2);
  }
  forward(x: Tensor): Tensor {
    return adaptivePool('AdaptiveAvgPool2d', x, this.outputSize, 2, 'avg');
  }
}
/** PyTorch `nn.AdaptiveMaxPool2d(output_size, return_indices=False)` on [N, C, H, W] or [C, H, W]. */
export class AdaptiveMaxPool2d extends Module {
  static override className = 'AdaptiveMaxPool2d';
  constructor(
    readonly outputSize: OutputSize2d,
    readonly returnIndices = false,
  ) {
    super();
    checkOutputSize('AdaptiveMaxPool2d', outputSize, 2);
    noIndices('AdaptiveMaxPool2d', returnIndices);
  }
  forward(x: Tensor): Tensor {
    return adaptivePool('AdaptiveMaxPool2d', x, this.outputSize, 2, 'max');
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
    return adaptivePool('AdaptiveAvgPool1d', x, this.outputSize, 1, 'avg');
  }
}
/** PyTorch `nn.AdaptiveMaxPool1d(output_size, return_indices=False)` on [N, C, L] or [C, L]. */
export class AdaptiveMaxPool1d extends Module {
  static override className = 'AdaptiveMaxPool1d';
  constructor(
    readonly outputSize: OutputSize1d,
    readonly returnIndices = false,
  ) {
    super();
    checkOutputSize('AdaptiveMaxPool1d', outputSize, 1);
    noIndices('AdaptiveMaxPool1d', returnIndices);
  }
  forward(x: Tensor): Tensor {
    return adaptivePool('AdaptiveMaxPool1d', x, this.outputSize, 1, 'max');
  }
}

/** PyTorch `F.adaptive_avg_pool2d(input, output_size)`. */
export const adaptiveAvgPool2d = functional(
  'adaptiveAvgPool2d',
  ['input', 'outputSize'],
  (input: Tensor, outputSize: OutputSize2d): Tensor =>
    adaptivePool(who('adaptiveAvgPool2d'), input, outputSize, 2, 'avg'),
);
/** PyTorch `F.adaptive_avg_pool1d(input, output_size)`. */
export const adaptiveAvgPool1d = functional(
  'adaptiveAvgPool1d',
  ['input', 'outputSize'],
  (input: Tensor, outputSize: OutputSize1d): Tensor =>
    adaptivePool(who('adaptiveAvgPool1d'), input, outputSize, 1, 'avg'),
);
/** The max functionals: options { returnIndices } (false only, see noIndices). */
const maxFn = (name: string, spatial: 1 | 2) =>
  functional(
    name,
    ['input', 'outputSize', 'options'],
    (
      input: Tensor,
      outputSize: OutputSize1d | OutputSize2d,
      opts: { returnIndices?: boolean } = {},
    ): Tensor => {
      checkOptionsObject(who(name), opts, ['returnIndices'], { required: true });
      noIndices(who(name), opts.returnIndices ?? false);
      return adaptivePool(who(name), input, outputSize, spatial, 'max');
    },
  );
/** PyTorch `F.adaptive_max_pool2d(input, output_size, return_indices=False)`. */
export const adaptiveMaxPool2d: (
  input: Tensor,
  outputSize: OutputSize2d,
  opts?: { returnIndices?: boolean },
) => Tensor = maxFn('adaptiveMaxPool2d', 2);
/** PyTorch `F.adaptive_max_pool1d(input, output_size, return_indices=False)`. */
export const adaptiveMaxPool1d: (
  input: Tensor,
  outputSize: OutputSize1d,
  opts?: { returnIndices?: boolean },
) => Tensor = maxFn('adaptiveMaxPool1d', 1);
