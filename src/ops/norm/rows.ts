// Per-channel primitives of batch normalization: the batch moments, the affine map (x − m)·s + b, and Σa beside
// Σ a·(x − m), each along one channel axis. They are shortcuts for compositions of other rows (mean, x − μ, square,
// mean; a broadcast multiply and two bias adds; two sums and a multiply): one pass over the inputs each instead of two
// to six, and no [.., C]-broadcast copy of a [C] vector. Every vjp is written with these rows and the others, so second
// derivatives come from the tape.
import { DTypeError, ShapeError, fmtShape } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { shapesEqual } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { type PrimTable, movedBytes, need } from '../prim.js';
import { div, mul, neg } from '../elementwise/builders.js';
import { channelAffine, channelSums, channelView, pairRow } from './builders.js';

export interface ChannelParams {
  /** The channel axis (non-negative). */
  axis: number;
}
export interface NormParams {
  channelMoments: ChannelParams;
  channelAffine: ChannelParams;
  channelSums: ChannelParams;
}

/** Check one float dtype and that each [C] vector matches x's channel axis; returns C. */
function checkChannels(
  op: string,
  x: Tensor,
  vectors: Tensor[],
  names: string[],
  axis: number,
  full: Tensor[] = [],
): number {
  const all = [x, ...full, ...vectors];
  if (all.some((t) => t.dtype !== x.dtype) || !isFloat(x.dtype))
    throw new DTypeError(
      `${op}: inputs must share one float dtype, got ${all.map((t) => t.dtype).join(', ')}`,
    );
  if (!(axis >= 0 && axis < x.rank))
    throw new ShapeError(`${op}: channel axis ${axis} is not an axis of ${fmtShape(x.shape)}`);
  const C = x.shape[axis];
  for (const t of full)
    if (!shapesEqual(t.shape, x.shape))
      throw new ShapeError(`${op}: operands ${fmtShape(t.shape)} and ${fmtShape(x.shape)} differ`);
  vectors.forEach((v, i) => {
    if (v.rank !== 1 || v.shape[0] !== C)
      throw new ShapeError(
        `${op}: ${names[i]} ${fmtShape(v.shape)} must be [${C}], one value per channel (axis ${axis} of ${fmtShape(x.shape)})`,
      );
  });
  return C;
}

export const normPrims: PrimTable<NormParams> = {
  // [μ | σ²] [2, C]: μ = Σx / n, σ² = Σ(x − μ)² / n over every axis but the channel axis (n values each)
  channelMoments: {
    arity: 1,
    shape: ([x], p) => [2, checkChannels('channelMoments', x, [], [], p.axis)],
    forward: (k, [x], out, p) => k.channelMoments(x.raw, ...channelView(x.shape, p.axis), out),
    // two passes over x: a sum, then a difference, a square and a sum
    cost: (c) => ({ flops: 4 * c.ins[0].size, bytes: movedBytes(c) + c.ins[0].size * 4 }),
    // dx = g_μ / n + g_σ²·2(x − μ) / n = (x − μ)·(2g_σ²/n) + g_μ/n: the affine row again
    vjp: (g, { ins: [x], out, p }) => {
      const n = x.size / Math.max(x.shape[p.axis], 1);
      return [
        channelAffine(x, pairRow(out, 0), div(mul(pairRow(g, 1), 2), n), div(pairRow(g, 0), n), p.axis),
      ];
    },
  },
  // (x − m)·s + b with m, s, b [C] along the channel axis
  channelAffine: {
    arity: 4,
    shape: ([x, m, s, b], p) => (
      checkChannels('channelAffine', x, [m, s, b], ['m', 's', 'b'], p.axis),
      x.shape
    ),
    forward: (k, [x, m, s, b], out, p) =>
      k.channelAffine(x.raw, m.raw, s.raw, b.raw, ...channelView(x.shape, p.axis), out),
    cost: (c) => ({ flops: 3 * c.out.size, bytes: movedBytes(c) }),
    // dx = g·s, dm = −s·Σg, ds = Σ g·(x − m), db = Σg (Σ over every axis but the channel axis: one channelSums)
    vjp: (g, c) => {
      const [x, m, s] = c.ins;
      const { axis } = c.p;
      let sums: Tensor | undefined;
      const row = (r: number): Tensor => pairRow((sums ??= channelSums(g, x, m, axis)), r);
      const zero = zerosLike(s);
      return [
        need(c, 0, () => channelAffine(g, zero, s, zero, axis)),
        need(c, 1, () => neg(mul(s, row(0)))),
        need(c, 2, () => row(1)),
        need(c, 3, () => row(0)),
      ];
    },
  },
  // [Σa | Σ a·(x − m)] [2, C], each sum over every axis but the channel axis
  channelSums: {
    arity: 3,
    shape: ([a, x, m], p) => [2, checkChannels('channelSums', x, [m], ['m'], p.axis, [a])],
    forward: (k, [a, x, m], out, p) =>
      k.channelSums(a.raw, x.raw, m.raw, ...channelView(x.shape, p.axis), out),
    cost: (c) => ({ flops: 4 * c.ins[0].size, bytes: movedBytes(c) }),
    // g = [g₀ | g₁] [2, C] broadcast along the channel axis: da = g₀ + g₁·(x − m), dx = g₁·a, dm = −g₁·Σa (Σa is
    // the output's first row)
    vjp: (g, ctx) => {
      const [a, x, m] = ctx.ins;
      const { out, p } = ctx;
      const g1 = pairRow(g, 1);
      const zero = zerosLike(g1);
      return [
        need(ctx, 0, () => channelAffine(x, m, g1, pairRow(g, 0), p.axis)),
        need(ctx, 1, () => channelAffine(a, zero, g1, zero, p.axis)),
        need(ctx, 2, () => neg(mul(g1, pairRow(out, 0)))),
      ];
    },
  },
};
