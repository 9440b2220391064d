// Movement primitives, in inverse pairs: reshape↔reshape, transpose↔transpose(argsort),
// broadcastTo↔sum, slice↔pad, concat↔slices.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { sizeOf } from '../../core/shape.js';
import { type PrimTable, movementCost } from '../prim.js';
import { pad, reshape, slice, sumTo, transpose } from './builders.js';

export interface MovementParams {
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  broadcastTo: { shape: number[] };
  slice: { begin: number[]; size: number[] };
  pad: { before: number[]; after: number[]; value: number };
  concat: { axis: number };
}

export const movement: PrimTable<MovementParams> = {
  reshape: {
    arity: 1,
    shape: ([x], p) => {
      if (sizeOf(p.shape) !== x.size)
        throw new ShapeError(
          `reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} values) to ${fmtShape(p.shape)} (${sizeOf(p.shape)} values)`,
        );
      return p.shape;
    },
    view: true,
    forward: (_k, [x]) => x.raw, // NOTE: a view: shares the input's array
    vjp: (g, { ins: [x] }) => [reshape(g, x.shape)],
    cost: () => ({ flops: 0, bytes: 0 }), // a view: nothing moves
  },
  transpose: {
    arity: 1,
    shape: ([x], p) => {
      const ok = p.perm.length === x.rank && [...p.perm].sort((a, b) => a - b).every((v, i) => v === i);
      if (!ok)
        throw new ValueError(
          `transpose: perm [${p.perm}] is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`,
        );
      return p.perm.map((a) => x.shape[a]);
    },
    forward: (k, [x], out, p) => k.transpose(x.raw, x.shape, p.perm, out),
    vjp: (g, { p }) => [
      transpose(
        g,
        p.perm.map((_, i) => p.perm.indexOf(i)),
      ),
    ], // inverse permutation
    cost: movementCost,
  },
  broadcastTo: {
    arity: 1,
    shape: ([x], p) => {
      const off = p.shape.length - x.rank;
      if (off < 0 || x.shape.some((d, i) => d !== 1 && d !== p.shape[off + i]))
        throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(x.shape)} to ${fmtShape(p.shape)}`);
      return p.shape;
    },
    forward: (k, [x], out, p) =>
      k.broadcastTo(x.raw, [...new Array(p.shape.length - x.rank).fill(1), ...x.shape], p.shape, out),
    vjp: (g, { ins: [x] }) => [sumTo(g, x.shape)], // NOTE: the only unbroadcast in tapegrad
    cost: movementCost,
  },
  slice: {
    arity: 1,
    shape: ([x], p) => {
      for (let i = 0; i < p.begin.length; i++)
        if (!Number.isInteger(p.begin[i]) || (i < p.size.length && !Number.isInteger(p.size[i])))
          throw new ValueError(`slice: begin [${p.begin}] and size [${p.size}] must be integers`);
      const ok =
        p.begin.length === x.rank &&
        p.size.length === x.rank &&
        p.begin.every((b, i) => b >= 0 && p.size[i] >= 0 && b + p.size[i] <= x.shape[i]);
      if (!ok)
        throw new ShapeError(
          `slice: begin [${p.begin}] size [${p.size}] is out of bounds for ${fmtShape(x.shape)}`,
        );
      return p.size;
    },
    forward: (k, [x], out, p) => k.slice(x.raw, x.shape, p.begin, p.size, out),
    vjp: (g, { ins: [x], p }) => [
      pad(
        g,
        p.begin.map((b, i) => [b, x.shape[i] - b - p.size[i]]),
      ),
    ],
    cost: movementCost,
  },
  pad: {
    arity: 1,
    shape: ([x], p) => {
      if (
        p.before.length !== x.rank ||
        p.after.length !== x.rank ||
        [...p.before, ...p.after].some((v) => !Number.isInteger(v) || v < 0)
      )
        throw new ValueError(
          `pad: paddings must be one non-negative [before, after] pair per axis of ${fmtShape(x.shape)}`,
        );
      return x.shape.map((d, i) => d + p.before[i] + p.after[i]);
    },
    forward: (k, [x], out, p) => k.pad(x.raw, x.shape, p.before, p.after, p.value, out),
    vjp: (g, { ins: [x], p }) => [slice(g, p.before, x.shape)],
    cost: movementCost,
  },
  concat: {
    arity: -1,
    shape: (ins, p) => {
      const s = ins[0].shape;
      if (ins.some((t) => t.dtype !== ins[0].dtype))
        throw new DTypeError(
          `concat: operand dtypes ${ins.map((x) => x.dtype).join(', ')} differ (cast first)`,
        );
      for (const t of ins)
        if (t.rank !== s.length || t.shape.some((d, i) => i !== p.axis && d !== s[i]))
          throw new ShapeError(
            `concat: shapes ${ins.map((x) => `${fmtShape(x.shape)}:${x.dtype}`).join(', ')} do not match outside axis ${p.axis}`,
          );
      return s.map((d, i) => (i === p.axis ? ins.reduce((a, t) => a + t.shape[i], 0) : d));
    },
    forward: (k, ins, out, p) =>
      k.concat(
        ins.map((t) => t.raw),
        sizeOf(ins[0].shape.slice(0, p.axis)),
        ins.map((t) => t.shape[p.axis]),
        sizeOf(ins[0].shape.slice(p.axis + 1)),
        out,
      ),
    vjp: (g, { ins, p }) => {
      let off = 0;
      return ins.map((t) => {
        const begin = t.shape.map((_, i) => (i === p.axis ? off : 0));
        off += t.shape[p.axis];
        return t.requiresGrad ? slice(g, begin, t.shape) : null;
      });
    },
    cost: movementCost,
  },
};
