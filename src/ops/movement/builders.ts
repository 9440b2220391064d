// Movement ops users call (reshape, transpose, broadcastTo, slice, pad, concat) and their sugar.
import { DTypeError, ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { normAxis, shapesEqual, sizeOf } from '../../core/shape.js';
import type { Shape } from '../../core/shape.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { run } from '../dispatch.js';

/** Reshape; one dimension may be -1 (inferred). A view: shares the data array. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0 && s.indexOf(-1, neg + 1) >= 0)
    throw new ShapeError(`reshape: only one dimension may be -1, got ${fmtShape(shape)}`);
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
  assertTensor(x, 'transpose', 'x');
  // NOTE: the length first: the identity shortcut below would return x for a short perm ([0, 1] of a rank-3 x)
  if (perm !== undefined && perm !== null && (!Array.isArray(perm) || perm.length !== x.rank))
    throw new ValueError(
      `transpose: perm ${Array.isArray(perm) ? `[${perm}]` : String(perm)} is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`,
    );
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
  let fits = off >= 0;
  for (let i = 0; fits && i < shape.length; i++) fits = shape[i] === 1 || shape[i] === g.shape[off + i];
  if (!fits)
    throw new ShapeError(
      `sumTo: cannot sum ${fmtShape(g.shape)} down to ${fmtShape(shape)} (${fmtShape(shape)} does not broadcast to ${fmtShape(g.shape)})`,
    );
  const axes = [...g.shape.keys()].filter((i) => i < off || (shape[i - off] === 1 && g.shape[i] !== 1));
  // NOTE: when only leading axes are summed (a bias's gradient), the sum without keepdims is `shape` itself: no
  // reshape op after it (one op fewer per bias in every backward pass)
  if (off > 0 && axes.length === off) return run('sum', [g], { axes, keepdims: false });
  return reshape(run('sum', [g], { axes, keepdims: true }), shape); // axes are already normalised
}

/** Slice `size` values from `begin` on each axis; size -1 means "to the end". */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  assertTensor(x, 'slice', 'x');
  if (!Array.isArray(begin) || (size !== undefined && size !== null && !Array.isArray(size)))
    throw new ValueError(
      `slice: begin and size must be arrays of integers, one per axis of ${fmtShape(x.shape)}; got begin ${describeValue(begin)}, size ${describeValue(size)}`,
    );
  if (begin.length !== x.rank)
    throw new ShapeError(`slice: begin [${begin}] must have one entry per axis of ${fmtShape(x.shape)}`);
  for (let i = 0; i < begin.length; i++)
    if (!Number.isInteger(begin[i]) || (size?.[i] !== undefined && !Number.isInteger(size[i])))
      throw new ValueError(
        `slice: begin [${begin}] and size [${size ?? ''}] must be integers (axis ${i} of ${fmtShape(x.shape)})`,
      );
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

/** Throw a ValueError naming `op` unless xs is a non-empty list of Tensors. */
function checkList(xs: readonly Tensor[], op: string): void {
  if (!Array.isArray(xs))
    throw new ValueError(
      `${op}: expected a list of Tensors, got ${describeValue(xs)}${xs instanceof Tensor ? `; pass the tensors as a list: ${op}([a, b], axis)` : ''}`,
    );
  if (xs.length === 0) throw new ValueError(`${op}: needs at least one tensor`);
  for (let i = 0; i < xs.length; i++) assertTensor(xs[i], op, `item ${i}`);
}

export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  checkList(xs, 'concat');
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
  checkList(xs, 'stack');
  const s0 = xs[0].shape;
  for (let i = 1; i < xs.length; i++) {
    if (!shapesEqual(xs[i].shape, s0))
      throw new ShapeError(
        `stack: shapes ${xs.map((x) => fmtShape(x.shape)).join(', ')} differ (all must be equal)`,
      );
    if (xs[i].dtype !== xs[0].dtype)
      throw new DTypeError(`stack: operand dtypes ${xs.map((x) => x.dtype).join(', ')} differ (cast first)`);
  }
  normAxis(axis, s0.length + 1, 'stack');
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
