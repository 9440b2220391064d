// PyTorch's 1-d max pooling: `nn.MaxPool1d` and `tg.nn.functional.maxPool1d` on [N, C, L] or one sample [C, L],
// with return_indices. Each is the 2-d max pool of the input seen as [N, C, 1, L] with a [1, k] window, so values,
// argmax (the first maximum of a window, as PyTorch) and gradient are MaxPool2d's.
// NOTE: indices are int32 (PyTorch: int64), positions along L as PyTorch's (y·W + x with y = 0).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import { maxPool2d as maxPoolOp, maxPool2dWithIndices } from '../../ops/composite/pool.js';
import { reshape } from '../../ops/movement/builders.js';
import { intTuple } from './args.js';
import { Module } from './base.js';
import { checkBool, functional, show, who } from './functional-args.js';

type P1 = number | [number];

interface Checked1d {
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
}
/** PyTorch's max_pool1d argument rules: 1-tuples or integers, and a padding of at most half the kernel. */
function checkPool1dArgs(
  op: string,
  kernelSize: unknown,
  stride: unknown,
  padding: unknown,
  dilation: unknown,
): Checked1d {
  const [kernel] = intTuple(op, 'kernel_size', kernelSize, 1, 1);
  // PyTorch reads stride None or () as the kernel size
  const noStride = stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0);
  const [s] = noStride ? [kernel] : intTuple(op, 'stride', stride, 1, 1);
  const [p] = intTuple(op, 'padding', padding, 1, 0);
  const [d] = intTuple(op, 'dilation', dilation, 1, 1);
  if (p > Math.floor(kernel / 2))
    throw new ValueError(
      `${op}: padding should be at most half of kernel size, but got padding=${p} and kernel_size=${kernel}`,
    );
  return { kernel, stride: s, padding: p, dilation: d };
}

/** The pool of x [N, C, L] or [C, L] as a [1, k] window over [N, C, 1, L]; [values, indices] with `indices`. */
function pool1d(
  op: string,
  x: Tensor,
  a: Checked1d,
  ceilMode: boolean,
  indices: boolean,
): Tensor | [Tensor, Tensor] {
  if (x.rank !== 2 && x.rank !== 3)
    throw new ShapeError(
      `${op}: Expected 2D or 3D (batch mode) tensor for input ([C, L] or [N, C, L]), but got: ${fmtShape(x.shape)}`,
    );
  const lead = x.shape.slice(0, -1);
  const x4 = reshape(x, [x.rank === 3 ? x.shape[0] : 1, x.shape[x.rank - 2], 1, x.shape[x.rank - 1]]);
  const opts = {
    kernelSize: [1, a.kernel] as [number, number],
    stride: [1, a.stride] as [number, number],
    padding: [
      [0, 0],
      [a.padding, a.padding],
    ] as [[number, number], [number, number]],
    dilation: [1, a.dilation] as [number, number],
    ceilMode,
    dataFormat: 'NCHW',
  };
  const back = (t: Tensor) => reshape(t, [...lead, t.shape[3]]);
  if (!indices) return back(maxPoolOp(x4, opts));
  const { values, indices: idx } = maxPool2dWithIndices(x4, opts);
  return [back(values), back(idx)];
}

/**
 * PyTorch `nn.MaxPool1d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False)`
 * on [N, C, L] or [C, L]. With returnIndices, forward returns [values, indices] (int32 positions along L, as
 * MaxUnpool1d expects).
 */
export class MaxPool1d<R extends boolean = false> extends Module {
  static override className = 'MaxPool1d';
  private readonly args: Checked1d;
  constructor(
    readonly kernelSize: P1,
    readonly stride?: P1 | [] | null,
    readonly padding: P1 = 0,
    readonly dilation: P1 = 1,
    readonly returnIndices: R = false as R,
    readonly ceilMode = false,
  ) {
    super();
    this.args = checkPool1dArgs('MaxPool1d', kernelSize, stride, padding, dilation);
    for (const [k, v] of [
      ['return_indices', returnIndices],
      ['ceil_mode', ceilMode],
    ] as const)
      if (typeof v !== 'boolean')
        throw new ValueError(`MaxPool1d: ${k} must be true or false, got ${show(v)}`);
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    return pool1d(`${this.name} (MaxPool1d)`, x, this.args, this.ceilMode, this.returnIndices);
  }
}

export interface MaxPool1dFunctionalOptions {
  stride?: P1 | [] | null;
  padding?: P1;
  dilation?: P1;
  ceilMode?: boolean;
  returnIndices?: boolean;
}
/**
 * PyTorch `F.max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
 * return_indices=False)`: with returnIndices, [values, indices] as nn.MaxPool1d.
 */
export function maxPool1d(
  input: Tensor,
  kernelSize: P1,
  opts: MaxPool1dFunctionalOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool1d(input: Tensor, kernelSize: P1, opts?: MaxPool1dFunctionalOptions): Tensor;
export function maxPool1d(...args: [Tensor, P1, MaxPool1dFunctionalOptions?]): Tensor | [Tensor, Tensor] {
  return maxPool1dImpl(...args);
}
const maxPool1dImpl = functional(
  'maxPool1d',
  ['input', 'kernelSize', 'options'],
  (input: Tensor, kernelSize: P1, opts: MaxPool1dFunctionalOptions = {}): Tensor | [Tensor, Tensor] => {
    const name = who('maxPool1d');
    checkOptionsObject(name, opts, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'], {
      required: true,
    });
    const a = checkPool1dArgs(name, kernelSize, opts.stride ?? null, opts.padding ?? 0, opts.dilation ?? 1);
    const ceilMode = checkBool('maxPool1d', 'ceilMode', opts.ceilMode ?? false);
    const withIndices = checkBool('maxPool1d', 'returnIndices', opts.returnIndices ?? false);
    return pool1d(name, input, a, ceilMode, withIndices);
  },
);
