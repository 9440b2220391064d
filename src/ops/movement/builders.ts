// Movement ops users call (reshape, transpose, broadcastTo, slice, pad, concat) and their sugar.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { normAxis, shapesEqual, sizeOf } from '../../core/shape.js';
import type { Shape } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { run } from '../dispatch.js';

/** Reshape; one dimension may be -1 (inferred). A view: shares the data array. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0)
      throw new ShapeError(
        `reshape: cannot infer -1 in ${fmtShape(shape)} for ${fmtShape(x.shape)} (${x.size} values)`,
      );
    s[neg] = x.size / rest;
  }
  return shapesEqual(s, x.shape) ? x : run('reshape', [x], { shape: s });
}

/** Permute axes (default: reverse them). */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normAxis(a, x.rank, 'transpose')) : [...x.shape.keys()].reverse();
  return p.every((a, i) => a === i) ? x : run('transpose', [x], { perm: p });
}
export const permute = transpose;

export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return shapesEqual(x.shape, shape) ? x : run('broadcastTo', [x], { shape: [...shape] });
}

/** Sum `g` down to `shape` (the inverse of broadcasting `shape` up to g.shape). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const off = g.rank - shape.length;
  const axes = [...g.shape.keys()].filter((i) => i < off || (shape[i - off] === 1 && g.shape[i] !== 1));
  // NOTE: when only leading axes are summed (a bias's gradient), the sum without keepdims is `shape` itself: no
  // reshape op after it (one op fewer per bias in every backward pass)
  if (off > 0 && axes.length === off) return run('sum', [g], { axes, keepdims: false });
  return reshape(run('sum', [g], { axes, keepdims: true }), shape); // axes are already normalised
}

/** Slice `size` values from `begin` on each axis; size -1 means "to the end". */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length !== x.rank)
    throw new ShapeError(`slice: begin [${begin}] must have one entry per axis of ${fmtShape(x.shape)}`);
  const b = begin.map((v, i) => (v < 0 ? v + x.shape[i] : v));
  const s = b.map((v, i) => (size?.[i] === undefined || size[i] === -1 ? x.shape[i] - v : size[i]));
  return b.every((v) => v === 0) && shapesEqual(s, x.shape) ? x : run('slice', [x], { begin: b, size: s });
}

/** Pad with `value`; `paddings` is one [before, after] pair per axis. */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  if (paddings.length !== x.rank)
    throw new ValueError(
      `pad: expected ${x.rank} [before, after] pairs for ${fmtShape(x.shape)}, got ${paddings.length}`,
    );
  if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
  return run('pad', [x], { before: paddings.map((p) => p[0]), after: paddings.map((p) => p[1]), value });
}

export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
  if (xs.length === 1) return xs[0];
  return run('concat', [...xs], { axis: normAxis(axis, xs[0].rank, 'concat') });
}

export function expandDims(x: Tensor, axis = 0): Tensor {
  const a = normAxis(axis, x.rank + 1, 'expandDims');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const ax = axes?.map((a) => normAxis(a, x.rank, 'squeeze'));
  ax?.forEach((a) => {
    if (x.shape[a] !== 1)
      throw new ShapeError(`squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, not 1`);
  });
  return reshape(
    x,
    x.shape.filter((d, i) => (ax ? !ax.includes(i) : d !== 1)),
  );
}
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: needs at least one tensor');
  return concat(
    xs.map((x) => expandDims(x, axis < 0 ? axis + x.rank + 1 : axis)),
    axis,
  );
}
/** Split into pieces along `axis`: a count of equal parts or a list of sizes. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis(axis, x.rank, 'split');
  const n = x.shape[a];
  const parts = typeof sizes === 'number' ? Array(sizes).fill(n / sizes) : [...sizes];
  if (parts.some((p) => !Number.isInteger(p) || p < 0) || parts.reduce((s, p) => s + p, 0) !== n)
    throw new ShapeError(
      `split: sizes ${JSON.stringify(sizes)} do not divide axis ${a} of ${fmtShape(x.shape)}`,
    );
  let off = 0;
  return parts.map((p) => {
    const t = slice(
      x,
      x.shape.map((_, i) => (i === a ? off : 0)),
      x.shape.map((d, i) => (i === a ? p : d)),
    );
    off += p;
    return t;
  });
}
/** Flatten all axes after the first (Keras Flatten) or from `startAxis`. */
export const flatten = (x: Tensor, startAxis = 1): Tensor => reshape(x, [...x.shape.slice(0, startAxis), -1]);
/** Repeat each axis `reps[i]` times (tf.tile), as broadcast + reshape. */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  if (reps.length !== x.rank)
    throw new ShapeError(`tile: reps [${reps}] must have one entry per axis of ${fmtShape(x.shape)}`);
  const inter = x.shape.flatMap((d) => [1, d]);
  const big = x.shape.flatMap((d, i) => [reps[i], d]);
  return reshape(
    broadcastTo(reshape(x, inter), big),
    x.shape.map((d, i) => d * reps[i]),
  );
}
