// PyTorch's partial inverse of max pooling: `nn.MaxUnpool1d/2d` and `tg.nn.functional.maxUnpool1d/2d`. Each input
// value goes to its index (a position within its own output plane, as MaxPool's returnIndices gives), zeros
// elsewhere; the output size is (in - 1)·stride - 2·padding + kernel unless outputSize picks another within a stride.
// NOTE: composed of scatterAdd (no primitive of its own): the gradient of an input is the output gradient at its
// index (scatterAdd's vjp, a take), as PyTorch's. Where several inputs share an index (overlapping pooling windows),
// PyTorch writes the last one while each still gets the gradient there: the output there is (s − detach(s)) + last,
// s the scatter-add sum, which is the last value (s − s = 0 for a finite s) with the sum's gradient. A non-finite
// sum is kept as it is (the shared value when the inputs agree, as they do after max pooling).
// NOTE: indices are int32 (MaxPool's returnIndices); PyTorch's are int64.
import { DTypeError, ShapeError, ValueError, fmtShape, safeJson } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor } from '../../core/tensor.js';
import { add, sub, where } from '../../ops/elementwise/builders.js';
import { scatterAdd } from '../../ops/network/builders.js';
import { Module } from './base.js';
import { functional, show, who } from './functional-args.js';

type P1 = number | [number];
type P2 = number | [number, number];

/**
 * kernel_size, stride or padding: an integer or a tuple of `n` integers ≥ min. No 1-tuple for 2-d: PyTorch's
 * MaxUnpool2d keeps (k,) as one size and its forward fails on it.
 */
function tuple(op: string, what: string, v: unknown, n: 1 | 2, min: 0 | 1): number[] {
  const list = typeof v === 'number' ? new Array<unknown>(n).fill(v) : Array.isArray(v) ? v : null;
  if (
    !list ||
    list.length !== n ||
    list.some((q) => typeof q !== 'number' || !Number.isInteger(q) || q < min)
  )
    throw new ValueError(
      `${op}: ${what} must be ${min ? 'a positive' : 'a non-negative'} integer or ${n === 1 ? 'a 1-tuple [k]' : 'a pair [h, w]'} of them, got ${v === undefined ? 'undefined' : safeJson(v)}`,
    );
  return list as number[];
}

interface UnpoolArgs {
  kernel: number[];
  stride: number[];
  padding: number[];
}
function checkArgs(op: string, n: 1 | 2, kernelSize: unknown, stride: unknown, padding: unknown): UnpoolArgs {
  const kernel = tuple(op, 'kernel_size', kernelSize, n, 1);
  const noStride = stride === null || stride === undefined;
  return {
    kernel,
    stride: noStride ? kernel : tuple(op, 'stride', stride, n, 1),
    padding: tuple(op, 'padding', padding, n, 0),
  };
}

/** PyTorch's `_unpool_output_size`: the default size, or outputSize ([sizes] or [n, c, ...sizes]) within a stride of it. */
function outputSizeOf(op: string, x: Tensor, a: UnpoolArgs, n: 1 | 2, outputSize: unknown): number[] {
  const input = x.shape.slice(x.rank - n);
  const def = input.map((len, d) => (len - 1) * a.stride[d] + a.kernel[d] - 2 * a.padding[d]);
  let out = def;
  if (outputSize !== null && outputSize !== undefined) {
    if (!Array.isArray(outputSize) || outputSize.some((v) => typeof v !== 'number' || !Number.isInteger(v)))
      throw new ValueError(
        `${op}: output_size must be a list of integers or null, got ${safeJson(outputSize)}`,
      );
    const want = outputSize.length === n + 2 ? outputSize.slice(2) : outputSize;
    if (want.length !== n)
      throw new ValueError(
        `${op}: output_size should be a sequence containing ${n} or ${n + 2} elements, but it has a length of '${outputSize.length}'`,
      );
    want.forEach((v: number, d) => {
      const [lo, hi] = [def[d] - a.stride[d], def[d] + a.stride[d]];
      if (!(lo < v && v < hi))
        throw new ValueError(
          `${op}: invalid output_size [${outputSize.join(', ')}] (dim ${d} must be between ${lo} and ${hi}, exclusive)`,
        );
    });
    out = want as number[];
  }
  if (out.some((v) => v < 1))
    throw new ValueError(
      `${op}: the output size [${out.join(', ')}] is empty (input ${fmtShape(x.shape)}, kernel_size ${safeJson(a.kernel)}, stride ${safeJson(a.stride)}, padding ${safeJson(a.padding)})`,
    );
  return out;
}

/** The unpooling of x ([N, C, ...] or [C, ...], `n` spatial axes) at `indices` (same shape, int32). */
function unpool(
  op: string,
  n: 1 | 2,
  x: Tensor,
  indices: unknown,
  a: UnpoolArgs,
  outputSize: unknown,
): Tensor {
  if (!(indices instanceof Tensor))
    throw new ValueError(
      `${op}: indices must be a Tensor (the indices of max pooling), got ${show(indices)}`,
    );
  const layout = n === 1 ? '[N, C, L] or [C, L]' : '[N, C, H, W] or [C, H, W]';
  if (x.rank !== n + 1 && x.rank !== n + 2)
    throw new ShapeError(
      `${op}: expected ${n + 1}D or ${n + 2}D input (${layout}), got ${fmtShape(x.shape)}`,
    );
  if (indices.dtype !== 'int32')
    throw new DTypeError(
      `${op}: indices must be int32 (as max pooling's returnIndices gives; PyTorch's are int64), got ${indices.dtype}`,
    );
  if (indices.shape.length !== x.rank || indices.shape.some((d, i) => d !== x.shape[i]))
    throw new ShapeError(
      `${op}: Expected shape of indices to be same as that of the input tensor (${fmtShape(x.shape)}) but got indices tensor with shape: ${fmtShape(indices.shape)}`,
    );
  const out = outputSizeOf(op, x, a, n, outputSize);
  const plane = out.reduce((p, d) => p * d, 1);
  const per = x.shape.slice(x.rank - n).reduce((p, d) => p * d, 1);
  const idx = indices.data as Int32Array;
  const flat = new Int32Array(x.size);
  const count = new Int32Array((x.size / Math.max(per, 1)) * plane);
  const last = new Int32Array(count.length);
  for (let i = 0; i < x.size; i++) {
    const v = idx[i];
    if (v < 0 || v >= plane)
      throw new ValueError(
        `${op}: Found an invalid max index: ${v} (output volumes are of size ${out.join('x')}${n === 1 ? 'x1' : ''})`,
      );
    const pos = Math.floor(i / per) * plane + v;
    flat[i] = pos;
    count[pos]++;
    last[pos] = i;
  }
  const shape = [...x.shape.slice(0, x.rank - n), ...out];
  const s = scatterAdd(x, new Tensor(flat, x.shape), shape);
  const sums = s.data;
  const dup = new Int32Array(count.length);
  let any = false;
  for (let p = 0; p < count.length; p++)
    if (count[p] > 1 && Number.isFinite(sums[p])) {
      dup[p] = 1;
      any = true;
    }
  if (!any) return s;
  // the last write's value where inputs share an index, with the sum's gradient (see the NOTE at the top)
  const xs = x.data;
  const lastVals = x.dtype === 'float64' ? new Float64Array(count.length) : new Float32Array(count.length);
  for (let p = 0; p < count.length; p++) if (dup[p]) lastVals[p] = xs[last[p]];
  return where(new Tensor(dup, shape), add(sub(s, s.detach()), new Tensor(lastVals, shape)), s);
}

/** The unpool modules: kernel_size, stride (default kernel_size) and padding checked at construction. */
abstract class MaxUnpoolBase extends Module {
  private readonly args: UnpoolArgs;
  constructor(
    private readonly n: 1 | 2,
    kernelSize: unknown,
    stride: unknown,
    padding: unknown,
  ) {
    super();
    this.args = checkArgs(`MaxUnpool${n}d`, n, kernelSize, stride, padding);
  }
  /** PyTorch `forward(input, indices, output_size=None)`. */
  forward(input: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return unpool(`${this.name} (${this.className})`, this.n, input, indices, this.args, outputSize);
  }
}
/** PyTorch `nn.MaxUnpool1d(kernel_size, stride=None, padding=0)` on [N, C, L] or [C, L]. */
export class MaxUnpool1d extends MaxUnpoolBase {
  static override className = 'MaxUnpool1d';
  constructor(
    readonly kernelSize: P1,
    readonly stride: P1 | null = null,
    readonly padding: P1 = 0,
  ) {
    super(1, kernelSize, stride, padding);
  }
}
/** PyTorch `nn.MaxUnpool2d(kernel_size, stride=None, padding=0)` on [N, C, H, W] or [C, H, W]. */
export class MaxUnpool2d extends MaxUnpoolBase {
  static override className = 'MaxUnpool2d';
  constructor(
    readonly kernelSize: P2,
    readonly stride: P2 | null = null,
    readonly padding: P2 = 0,
  ) {
    super(2, kernelSize, stride, padding);
  }
}

export interface MaxUnpoolFunctionalOptions<P> {
  stride?: P | null;
  padding?: P;
  outputSize?: readonly number[] | null;
}
const unpoolFn = <P>(name: string, n: 1 | 2) =>
  functional(
    name,
    ['input', 'indices', 'kernelSize', 'options'],
    (input: Tensor, indices: Tensor, kernelSize: P, opts: MaxUnpoolFunctionalOptions<P> = {}): Tensor => {
      checkOptionsObject(who(name), opts, ['stride', 'padding', 'outputSize'], { required: true });
      const a = checkArgs(who(name), n, kernelSize, opts.stride, opts.padding ?? 0);
      return unpool(who(name), n, input, indices, a, opts.outputSize);
    },
  );
/** PyTorch `F.max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None)`. */
export const maxUnpool1d = unpoolFn<P1>('maxUnpool1d', 1);
/** PyTorch `F.max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None)`. */
export const maxUnpool2d = unpoolFn<P2>('maxUnpool2d', 2);
