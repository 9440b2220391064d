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
  /** Fill `out` with one kernel call; may instead return an existing array (reshape views). */
  forward(k: Kernels, ins: Tensor[], out: TypedArray, p: P, outShape: Shape): TypedArray | void;
  /** One gradient per input, written with tapegrad ops (so it can be differentiated again); null = none. */
  vjp(g: Tensor, ctx: VjpCtx<P>): (Tensor | null)[];
}

/** A table fragment: one PrimDef per key of the params map `M`; a missing row is a compile error. */
export type PrimTable<M> = { [K in keyof M]: PrimDef<M[K]> };

/** Only compute a gradient when its input wants one. */
export const need = (ctx: VjpCtx<unknown>, i: number, f: () => Tensor): Tensor | null =>
  ctx.ins[i].requiresGrad ? f() : null;
