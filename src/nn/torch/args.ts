// Argument checks of the PyTorch-style modules: sizes, kernel/stride/padding/dilation tuples and groups refused at
// construction (as PyTorch's __init__ refuses them) with the module and the argument named; the channels-first
// input check; Flatten's dims.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { reshape } from '../../ops/movement/builders.js';
import { type PaddingMode, checkPaddingMode } from '../../ops/composite/pad-modes.js';

const show = (v: unknown): string =>
  typeof v === 'function' ? 'a function' : v === undefined ? 'undefined' : JSON.stringify(v);

/** A positive integer size (in_features, out_channels, groups, ...). */
export function checkSize(who: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new ValueError(`${who}: ${what} must be a positive integer, got ${show(v)}`);
  return v;
}

/** A non-negative integer size (Linear's in_features/out_features: PyTorch allows zero-size layers). */
export function checkCount(who: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ValueError(`${who}: ${what} must be a non-negative integer, got ${show(v)}`);
  return v;
}

/**
 * PyTorch's int-or-tuple arguments: one integer ≥ min for every spatial axis, or a tuple of `n` of them; a 1-tuple
 * [k] stands for every axis too (PyTorch 1.13's conv and pool ops expand it).
 */
export function intTuple(who: string, what: string, v: unknown, n: 1 | 2, min: 0 | 1): number[] {
  const one = typeof v === 'number' || (Array.isArray(v) && v.length === 1);
  const list = one ? new Array<unknown>(n).fill(Array.isArray(v) ? v[0] : v) : Array.isArray(v) ? v : null;
  if (
    !list ||
    list.length !== n ||
    list.some((q) => typeof q !== 'number' || !Number.isInteger(q) || q < min)
  )
    throw new ValueError(
      `${who}: ${what} must be ${min ? 'a positive' : 'a non-negative'} integer or a ${n === 1 ? '1-tuple [k]' : 'pair [h, w] (or [k] for both)'} of them, got ${show(v)}`,
    );
  return list as number[];
}

export interface ConvArgs {
  stride?: unknown;
  padding?: unknown;
  dilation?: unknown;
  groups?: unknown;
  paddingMode?: unknown;
}
export interface CheckedConv {
  kernel: number[];
  stride: number[];
  padding: number[] | 'same' | 'valid';
  dilation: number[];
  groups: number;
  paddingMode: PaddingMode;
}

/** The checks of PyTorch's `_ConvNd.__init__` (and sizes ≥ 1, which PyTorch only finds at the first forward). */
export function checkConvArgs(
  who: string,
  rank: 1 | 2,
  inChannels: unknown,
  outChannels: unknown,
  kernelSize: unknown,
  o: ConvArgs,
): CheckedConv {
  const inC = checkSize(who, 'in_channels', inChannels);
  const outC = checkSize(who, 'out_channels', outChannels);
  const kernel = intTuple(who, 'kernel_size', kernelSize, rank, 1);
  const stride = intTuple(who, 'stride', o.stride ?? 1, rank, 1);
  const dilation = intTuple(who, 'dilation', o.dilation ?? 1, rank, 1);
  const groups = checkSize(who, 'groups', o.groups ?? 1);
  if (inC % groups !== 0)
    throw new ValueError(`${who}: in_channels must be divisible by groups, got ${inC} and groups ${groups}`);
  if (outC % groups !== 0)
    throw new ValueError(
      `${who}: out_channels must be divisible by groups, got ${outC} and groups ${groups}`,
    );
  const p = o.padding ?? 0;
  let padding: CheckedConv['padding'];
  if (typeof p === 'string') {
    if (p !== 'same' && p !== 'valid')
      throw new ValueError(`${who}: padding must be a number, a tuple, 'same' or 'valid', got ${show(p)}`);
    if (p === 'same' && stride.some((s) => s !== 1))
      throw new ValueError(
        `${who}: padding='same' is not supported for strided convolutions (stride ${show(o.stride)}); give the padding as numbers instead`,
      );
    padding = p;
  } else padding = intTuple(who, 'padding', p, rank, 0);
  const paddingMode = checkPaddingMode(o.paddingMode, who);
  return { kernel, stride, padding, dilation, groups, paddingMode };
}

export interface CheckedPool2d {
  kernelSize: [number, number];
  /** undefined: the kernel size (stride null, undefined or [] given). */
  stride: [number, number] | undefined;
  padding: [number, number];
  dilation: [number, number];
}
/**
 * MaxPool2d/AvgPool2d: kernel_size and stride ≥ 1, padding ≥ 0, dilation ≥ 1, and PyTorch's rule that the padding is
 * at most half the kernel size (a wider pad makes windows of padding only). Returns the pairs for the pool ops.
 */
export function checkPool2dArgs(
  who: string,
  kernelSize: unknown,
  stride: unknown,
  padding: unknown,
  dilation: unknown = 1,
): CheckedPool2d {
  const k = intTuple(who, 'kernel_size', kernelSize, 2, 1);
  // PyTorch's pools read an empty stride (stride=()) as the kernel size, as None
  const noStride = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0);
  const s = noStride ? undefined : intTuple(who, 'stride', stride, 2, 1);
  const p = intTuple(who, 'padding', padding, 2, 0);
  const d = intTuple(who, 'dilation', dilation, 2, 1);
  const i = p.findIndex((q, a) => q > Math.floor(k[a] / 2));
  if (i >= 0)
    throw new ValueError(
      `${who}: padding should be at most half of kernel_size, got padding ${show(padding)} and kernel_size ${show(kernelSize)} (axis ${i}: ${p[i]} > ${k[i]}/2)`,
    );
  type P = [number, number];
  return { kernelSize: k as P, stride: s as P | undefined, padding: p as P, dilation: d as P };
}

/** PyTorch `flatten(start_dim, end_dim)` output shape; dims count from the end when negative (a scalar counts as rank 1). */
export function flattenShape(
  who: string,
  shape: readonly number[],
  startDim: number,
  endDim: number,
): number[] {
  const r = Math.max(shape.length, 1);
  const norm = (d: number, what: string) => {
    if (d < -r || d >= r)
      throw new ShapeError(
        `${who}: ${what} ${d} is out of range for input ${fmtShape(shape)} (expected a dim in [${-r}, ${r - 1}])`,
      );
    return d < 0 ? d + r : d;
  };
  const s = norm(startDim, 'start_dim');
  const e = norm(endDim, 'end_dim');
  if (s > e)
    throw new ValueError(
      `${who}: start_dim ${startDim} comes after end_dim ${endDim} for input ${fmtShape(shape)} (dims ${s} > ${e})`,
    );
  if (shape.length === 0) return [1];
  const merged = shape.slice(s, e + 1).reduce((a, d) => a * d, 1);
  return [...shape.slice(0, s), merged, ...shape.slice(e + 1)];
}

/**
 * PyTorch layers take channels first, [N, C, ...spatial], or one unbatched sample [C, ...spatial] (PyTorch 1.13's
 * Conv1d/Conv2d): check rank and channel count, naming the usual mistake (channels-last data). Returns whether the
 * input is batched.
 */
export function checkChannelsFirst(x: Tensor, spatial: 1 | 2, channels: number, op: string): boolean {
  const layout = spatial === 1 ? '[N, C, L]' : '[N, C, H, W]';
  const batched = x.rank === spatial + 2;
  if (!batched && x.rank !== spatial + 1)
    throw new ShapeError(
      `Expected ${spatial + 1}D (unbatched) or ${spatial + 2}D (batched) input to ${op}, but got input of size: ${fmtShape(x.shape)} (${layout} or ${layout.replace('N, ', '')} with C = ${channels})`,
    );
  const c = batched ? 1 : 0;
  if (x.shape[c] === channels) return batched;
  const perm = spatial === 1 ? [0, 2, 1] : [0, 3, 1, 2];
  const p = batched ? perm : perm.slice(1).map((a) => a - 1);
  const hint =
    x.shape[x.rank - 1] === channels
      ? ` — the input looks channels-last; PyTorch layers are channels-first: tg.transpose(x, [${p}]) gives ${fmtShape(p.map((a) => x.shape[a]))}`
      : '';
  throw new ShapeError(
    `expected input ${batched ? layout : layout.replace('N, ', '')} with C = ${channels} channels, got ${fmtShape(x.shape)} (C = ${x.shape[c]})${hint}`,
  );
}

/**
 * PyTorch 2d pooling's input check: [N, C, H, W], or one unbatched sample [C, H, W] (PyTorch 1.13's message for
 * other ranks). Returns whether the input is batched.
 */
export function checkPoolInput(x: Tensor): boolean {
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(
      `non-empty 3D or 4D (batch mode) tensor expected for input ([C, H, W] or [N, C, H, W]), got ${fmtShape(x.shape)}`,
    );
  return x.rank === 4;
}

/** PyTorch's unbatched forward: f on x with a batch axis of 1 added, that axis removed from the result. */
export function unbatched(x: Tensor, f: (batched: Tensor) => Tensor): Tensor {
  const y = f(reshape(x, [1, ...x.shape]));
  return reshape(y, y.shape.slice(1));
}
