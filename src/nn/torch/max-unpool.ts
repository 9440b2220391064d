// PyTorch's partial inverse of max pooling: `nn.MaxUnpool1d/2d` and `tg.nn.functional.maxUnpool1d/2d`. Each input
// value goes to its index (a position within its own output plane, as MaxPool's returnIndices gives), zeros
// elsewhere; the output size is (in - 1)·stride - 2·padding + kernel unless outputSize picks another within a stride.
// NOTE: composed of scatterAdd (no primitive of its own): the gradient of an input is the output gradient at its
// index (scatterAdd's vjp, a take), as PyTorch's. Where several inputs share an index (overlapping pooling windows),
// PyTorch writes the last one while each still gets the gradient there: the output there is (s − detach(s)) + last,
// s the scatter-add sum, which is the last value (s − s = 0 for a finite s) with the sum's gradient. A non-finite
// sum is kept as it is (the shared value when the inputs agree, as they do after max pooling). Every step is an op
// (no loop over the data): the flat positions are the indices plus a constant per plane, the last writer of each
// shared index is found bit by bit with scatterAdd/take (lastWriters), and only when some index is shared.
// NOTE: indices are int32 (MaxPool's returnIndices); PyTorch's are int64.
import { DTypeError, ShapeError, ValueError, fmtShape, safeJson } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor, ones } from '../../core/tensor.js';
import {
  add,
  div,
  equal,
  floor,
  greater,
  greaterEqual,
  less,
  maximum,
  mul,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { scatterAdd, take } from '../../ops/network/builders.js';
import { argmax, max } from '../../ops/reduce/builders.js';
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
  const planes = per === 0 ? 0 : x.size / per;
  // the first index outside its plane (flat order), as PyTorch reports it: one argmax, one value read
  const bad = reshape(maximum(less(indices, 0), greaterEqual(indices, plane)), [x.size]);
  if (x.size > 0) {
    const k = argmax(bad, 0).data[0];
    if (bad.data[k] === 1)
      throw new ValueError(
        `${op}: Found an invalid max index: ${indices.data[k]} (output volumes are of size ${out.join('x')}${n === 1 ? 'x1' : ''})`,
      );
  }
  const shape = [...x.shape.slice(0, x.rank - n), ...out];
  // flat output positions: each plane's index plus the plane's offset p·plane (a constant from the shapes)
  const offsets = new Tensor(
    Int32Array.from({ length: planes }, (_, p) => p * plane),
    [planes, 1],
  );
  const flat = reshape(add(reshape(indices, [planes, per]), offsets), [x.size]);
  const xs = reshape(x, [x.size]);
  const s = scatterAdd(xs, flat, shape);
  const count = scatterAdd(ones([x.size], { dtype: x.dtype }), flat, shape);
  // NOTE: no shared index (non-overlapping windows, the usual case): the sums are the output, no last-write search
  if (x.size === 0 || max(count).data[0] <= 1) return s;
  const last = lastWriters(flat, planes, per, plane, x.dtype);
  const lastVals = scatterAdd(where(last, xs.detach(), 0), flat, shape);
  // the last write's value where inputs share an index, with the sum's gradient (see the NOTE at the top);
  // finite: s − s = 0 (not NaN)
  const sd = s.detach();
  const dup = mul(greater(count, 1), equal(sub(sd, sd), 0));
  return where(dup, add(sub(s, sd), lastVals), s);
}

/**
 * 1 for each input that is the last (highest position within its plane) of the inputs sharing its flat output
 * index, else 0, in `dtype`: the candidates start as every input, and for each bit of the plane position from the
 * highest, where any candidate at an index has the bit set, those without it drop out (scatterAdd counts them,
 * take reads the count back). ⌈log₂ per⌉ rounds of ops; the positions' bits are a constant of the shapes.
 */
function lastWriters(
  flat: Tensor,
  planes: number,
  per: number,
  plane: number,
  dtype: Tensor['dtype'],
): Tensor {
  const js = Array.from({ length: per }, (_, j) => j);
  const pos = new Tensor(dtype === 'float64' ? Float64Array.from(js) : Float32Array.from(js), [1, per]);
  // ⌊j / 2ᵇ⌋ mod 2 of each plane position j, [1, per] (broadcast over the planes by the ops that read it)
  const bit = (b: number) => sub(floor(div(pos, 2 ** b)), mul(floor(div(pos, 2 ** (b + 1))), 2));
  let cand = ones([planes, per], { dtype });
  for (let b = Math.ceil(Math.log2(Math.max(per, 1))) - 1; b >= 0; b--) {
    const bits = bit(b);
    const withBit = scatterAdd(reshape(mul(cand, bits), [planes * per]), flat, [planes * plane]);
    const anySet = reshape(greater(take(withBit, flat), 0), [planes, per]);
    cand = mul(cand, sub(1, mul(anySet, sub(1, bits)))); // drop the candidates without the bit where any has it
  }
  return reshape(cand, [planes * per]);
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
