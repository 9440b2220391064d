// What a primitive is: a shape rule, a forward (one kernel call) and a vjp, side by side.
import type { DType, TypedArray } from '../core/dtype.js';
import type { Shape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import type { Kernels } from '../backend/kernels.js';

export interface VjpCtx<P> {
  ins: Tensor[];
  out: Tensor;
  p: P;
}

export interface PrimDef<P> {
  /** Number of tensor inputs. */
  arity: number;
  /** Output shape from the inputs; throws a ShapeError naming the op when they do not fit. */
  shape(ins: Tensor[], p: P): Shape;
  /** Output dtype (default: the first input's). */
  dtype?(ins: Tensor[], p: P): DType;
  /**
   * True for a view (reshape): forward returns one of its inputs' arrays, so dispatch allocates no output for it
   * (and passes an empty `out`).
   */
  view?: true;
  /** Fill `out` with one kernel call; may instead return an existing array (reshape views). */
  forward(k: Kernels, ins: Tensor[], out: TypedArray, p: P, outShape: Shape): TypedArray | void;
  /** One gradient per input, written with tapegrad ops (so it can be differentiated again); null = none. */
  vjp(g: Tensor, ctx: VjpCtx<P>): (Tensor | null)[];
  /** The cost model (debug/cost.ts, `trace`): FLOPs and bytes moved by one call, from shapes, dtypes and params. */
  cost(c: CostCtx<P>): Cost;
}

/** What one call of a primitive costs: floating-point operations (a multiply-add counts 2) and bytes moved. */
export interface Cost {
  flops: number;
  bytes: number;
}
/** A recorded call as the cost model sees it (only shapes, sizes and dtypes are read: values may be released). */
export interface CostCtx<P> {
  ins: readonly Tensor[];
  out: Tensor;
  p: P;
}

const ITEM_BYTES = { float32: 4, float64: 8, int32: 4 } as const;
/** Bytes read plus written: every input once, the output once. */
export const movedBytes = (c: CostCtx<unknown>): number =>
  c.ins.reduce((a, t) => a + t.size * ITEM_BYTES[t.dtype], 0) + c.out.size * ITEM_BYTES[c.out.dtype];
/** One FLOP per output value (elementwise ops). */
export const perOutputCost = (c: CostCtx<unknown>): Cost => ({ flops: c.out.size, bytes: movedBytes(c) });
/** One FLOP per value of the first input (reductions; col2im and scatterAdd add each value back once). */
export const perInputCost = (c: CostCtx<unknown>): Cost => ({ flops: c.ins[0].size, bytes: movedBytes(c) });
/** Data movement only: no arithmetic. */
export const movementCost = (c: CostCtx<unknown>): Cost => ({ flops: 0, bytes: movedBytes(c) });

/** A table fragment: one PrimDef per key of the params map `M`; a missing row is a compile error. */
export type PrimTable<M> = { [K in keyof M]: PrimDef<M[K]> };

/** Only compute a gradient when its input wants one. */
export const need = (ctx: VjpCtx<unknown>, i: number, f: () => Tensor): Tensor | null =>
  ctx.ins[i].requiresGrad ? f() : null;

/**
 * The vjp of a piecewise-constant op (sign, floor, comparisons, argmax): no gradient flows to any input.
 * NOTE: dispatch does not record such an op, so its output does not require a gradient (like PyTorch's comparisons
 * and argmax, and JAX's zero gradients; PyTorch's sign and floor keep a zero-gradient node instead). Its output
 * then keeps no graph alive: in a loop `x = x + ε·sign(∇f(x))` (PGD) each step's graph dies with the step, where a
 * recorded sign chained every step to the one before.
 */
export const flat = (): (Tensor | null)[] => [];
