// Reductions over axes: sum and max (with keepdims), argmax for labels and accuracy; log-softmax along one axis
// (its own reduction, max and sum of exponentials, in one pass per row).
import { normAxis, reducedShape, shapesEqual, sizeOf } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { ReduceOp } from '../../backend/kernels.js';
import type { Kernels } from '../../backend/kernels.js';
import type { TypedArray } from '../../core/dtype.js';
import { allocArray, isFloat } from '../../core/dtype.js';
import { type PrimDef, type PrimTable, flat, movedBytes, need, perInputCost } from '../prim.js';
import { div, equal, exp, mul, neg, sub } from '../elementwise/builders.js';
import { broadcastTo, reshape } from '../movement/builders.js';
import { logSoftmaxGrad, sum } from './builders.js';

export interface ReduceParams {
  sum: { axes: number[]; keepdims: boolean };
  max: { axes: number[]; keepdims: boolean };
  argmax: { axis: number };
  topkIndices: { k: number };
  logSoftmaxFused: { axis: number };
  logSoftmaxGrad: { axis: number };
}

/** Reduce runs of adjacent axes one kernel call each, last run first, via the [outer, mid, inner] view. */
function reduceAxes(
  k: Kernels,
  op: ReduceOp,
  x: TypedArray,
  shape: readonly number[],
  axes: number[],
  out: TypedArray,
): TypedArray | void {
  if (axes.length === 0) return void out.set(x);
  // NOTE: one run of adjacent axes (every reduction of a training step) is one call, with no arrays allocated
  if (axes[axes.length - 1] - axes[0] === axes.length - 1) {
    let outer = 1;
    let mid = 1;
    let inner = 1;
    for (let i = 0; i < shape.length; i++)
      if (i < axes[0]) outer *= shape[i];
      else if (i <= axes[axes.length - 1]) mid *= shape[i];
      else inner *= shape[i];
    return k.reduce(op, x, outer, mid, inner, out);
  }
  let cur = x;
  let curShape = [...shape];
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else runs.push([a, a + 1]);
  }
  for (let r = runs.length - 1; r >= 0; r--) {
    const [s, e] = runs[r];
    const outer = sizeOf(curShape.slice(0, s));
    const mid = sizeOf(curShape.slice(s, e));
    const inner = sizeOf(curShape.slice(e));
    const dst =
      r === 0
        ? out
        : allocArray(
            out instanceof Float64Array ? 'float64' : out instanceof Int32Array ? 'int32' : 'float32',
            outer * inner,
          );
    k.reduce(op, cur, outer, mid, inner, dst);
    cur = dst;
    curShape = [...curShape.slice(0, s), 1, ...curShape.slice(e)];
  }
}

/** A shape as [outer, mid, inner] around one axis: the layout the kernels reduce the middle of. */
const around = (shape: readonly number[], axis: number): [number, number, number] => [
  sizeOf(shape.slice(0, axis)),
  shape[axis],
  sizeOf(shape.slice(axis + 1)),
];
/** A row's `axis` param must be one of t's axes, already normalized (the builders normalize it). */
function checkAxis(op: string, t: Tensor, axis: number): void {
  if (t.rank === 0 || normAxis(axis, t.rank, op) !== axis)
    throw new ValueError(`${op}: axis must be one of 0..${t.rank - 1} of ${fmtShape(t.shape)}, got ${axis}`);
}

const reduction = (op: ReduceOp, vjp: PrimDef<ReduceParams['sum']>['vjp']): PrimDef<ReduceParams['sum']> => ({
  arity: 1,
  shape: ([x], p) => reducedShape(x.shape, p.axes, p.keepdims),
  forward: (k, [x], out, p) => reduceAxes(k, op, x.raw, x.shape, p.axes, out),
  vjp,
  cost: perInputCost, // one op per input value
});

/**
 * g reshaped to keepdims form, then stretched back over the reduced axes.
 * NOTE: when the reduced axes lead (a sum over the batch, or over everything), g already broadcasts to x's shape
 * as it is (missing axes are leading ones): no reshape op before the broadcast.
 */
const unreduce = (g: Tensor, x: Tensor, axes: number[]): Tensor =>
  broadcastTo(leading(axes) ? g : reshape(g, reducedShape(x.shape, axes, true)), x.shape);
/** Whether sorted axes are 0, 1, …, n-1. */
const leading = (axes: number[]): boolean => axes.every((a, i) => a === i);

export const reduce: PrimTable<ReduceParams> = {
  // d Σx = broadcast(g)
  sum: reduction('sum', (g, { ins: [x], p }) => [unreduce(g, x, p.axes)]),
  // NOTE: ties share the gradient equally among all maxima (as PyTorch's amax and tinygrad do).
  max: reduction('max', (g, { ins: [x], out, p }) => {
    const mask = equal(x, unreduce(out, x, p.axes));
    return [mul(unreduce(div(g, sum(mask, p.axes, p.keepdims)), x, p.axes), mask)];
  }),
  argmax: {
    arity: 1,
    shape: ([x], p) => {
      normAxis(p.axis, x.rank, 'argmax');
      return reducedShape(x.shape, [p.axis], false);
    },
    dtype: () => 'int32',
    forward: (k, [x], out, p) => {
      if (x.shape[p.axis] === 0)
        throw new ValueError(`argmax: axis ${p.axis} of ${fmtShape(x.shape)} has size 0 (no maximum)`);
      const d = around(x.shape, p.axis);
      k.argmax(x.raw, d[0], d[1], d[2], out as Int32Array);
    },
    vjp: flat, // an index: no gradient
    cost: perInputCost, // one comparison per input value
  },
  // the positions of the k largest along the last axis, best first, ties to the lower index (TF.js's TopK order)
  topkIndices: {
    arity: 1,
    shape: ([x], p) => {
      const n = x.shape[x.rank - 1];
      if (x.rank === 0 || !Number.isInteger(p.k) || p.k < 0 || p.k > n)
        throw new ValueError(
          `topk: k must be an integer in 0..${n ?? 0} (the last axis of ${fmtShape(x.shape)}), got ${p.k}`,
        );
      return [...x.shape.slice(0, -1), p.k];
    },
    dtype: () => 'int32',
    forward: (k, [x], out, p) => {
      const n = x.shape[x.rank - 1];
      k.topk(x.raw, n === 0 ? 0 : x.size / n, n, p.k, out as Int32Array);
    },
    vjp: flat, // an index: no gradient (the values are a take of x at it)
    // about log2(k) comparisons per value (the heap of k)
    cost: (c) => ({
      flops: c.ins[0].size * Math.max(1, Math.ceil(Math.log2(c.p.k + 1))),
      bytes: movedBytes(c),
    }),
  },
  // y = x − log Σ exp x along the axis: dx = g − exp(y)·Σ g (softmax times the gradient's sum, PyTorch's rule)
  // NOTE: the composition x − logSumExp(x) in one row (ops/composite/activations.ts runs it unless ops are traced):
  // one op and one pass per row instead of ten, and a vjp of one row (logSoftmaxGrad) instead of six ops.
  logSoftmaxFused: {
    arity: 1,
    shape: ([x], p) => {
      if (!isFloat(x.dtype)) throw new DTypeError(`logSoftmaxFused: needs a float tensor, got ${x.dtype}`);
      checkAxis('logSoftmaxFused', x, p.axis);
      return x.shape;
    },
    forward: (k, [x], out, p) => {
      const d = around(x.shape, p.axis);
      k.logSoftmax(x.raw, d[0], d[1], d[2], out);
    },
    vjp: (g, { out, p }) => [logSoftmaxGrad(g, out, p.axis)],
    cost: (c) => ({ flops: 5 * c.ins[0].size, bytes: movedBytes(c) }), // max, subtract, exp, sum, subtract per value
  },
  // h(g, y) = g − exp(y)·Σg along the axis (logSoftmaxFused's vjp, y its output), one pass instead of five ops:
  // dg = u − Σ(u·exp(y)), dy = −u·exp(y)·Σg
  logSoftmaxGrad: {
    arity: 2,
    shape: ([g, y], p) => {
      if (!isFloat(g.dtype) || g.dtype !== y.dtype)
        throw new DTypeError(
          `logSoftmaxGrad: needs two float tensors of one dtype, got ${g.dtype} and ${y.dtype}`,
        );
      if (!shapesEqual(g.shape, y.shape))
        throw new ShapeError(`logSoftmaxGrad: shapes ${fmtShape(g.shape)} and ${fmtShape(y.shape)} differ`);
      checkAxis('logSoftmaxGrad', g, p.axis);
      return g.shape;
    },
    forward: (k, [g, y], out, p) => {
      const d = around(g.shape, p.axis);
      k.logSoftmaxGrad(g.raw, y.raw, d[0], d[1], d[2], out);
    },
    vjp: (u, c) => {
      const [g, y] = c.ins;
      const e = exp(y);
      return [
        need(c, 0, () => sub(u, sum(mul(u, e), [c.p.axis], true))),
        need(c, 1, () => neg(mul(mul(u, e), sum(g, [c.p.axis], true)))),
      ];
    },
    cost: (c) => ({ flops: 4 * c.ins[0].size, bytes: movedBytes(c) }), // sum, exp, multiply, subtract per value
  },
};
