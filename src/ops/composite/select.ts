// TF.js's data-dependent selections: unique, whereAsync, booleanMaskAsync, setdiff1dAsync. Their output shapes
// depend on the values, so the values are read back (bookkeeping) and the result built with `gather`: gradients flow
// where TF.js's do (booleanMask's and setdiff1d's values, unique's values), never into positions.
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { gather } from '../network/builders.js';
import { reshape } from '../movement/builders.js';

const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
const positions = (ps: number[]): Tensor => new Tensor(Int32Array.from(ps), [ps.length]);

/**
 * TF.js `tf.unique(x, axis = 0)`: the distinct slices of x along axis in order of first appearance (values, a
 * gather of x) and, for each slice of x, the position of its value (indices, int32).
 * NOTE: slices compare as TF.js's cpu kernel does, by their values' strings: NaN equals NaN, −0 equals 0.
 */
export function unique(x: Tensor, axis = 0): { values: Tensor; indices: Tensor } {
  assertTensor(x, 'unique', 'x');
  if (x.rank === 0) throw new ShapeError('unique: x must be of rank 1 or higher, got a scalar');
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank)
    throw new ValueError(`unique: axis ${describeValue(axis)} is out of range for ${fmtShape(x.shape)}`);
  const [outer, n, inner] = [prod(x.shape.slice(0, a)), x.shape[a], prod(x.shape.slice(a + 1))];
  const v = x.raw;
  const seen = new Map<string, number>();
  const first: number[] = [];
  const indices = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    // slice j's key: its values (every outer and inner position) as strings
    const parts: string[] = [];
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) parts.push(String(v[(o * n + j) * inner + i]));
    const key = parts.join(',');
    let at = seen.get(key);
    if (at === undefined) {
      at = first.length;
      seen.set(key, at);
      first.push(j);
    }
    indices[j] = at;
  }
  return { values: gather(x, positions(first), a), indices: new Tensor(indices, [n]) };
}

/** The coordinates of the non-zero (true) elements of condition, row-major: int32 [count, rank]. */
export function whereIndices(condition: Tensor): Tensor {
  assertTensor(condition, 'whereAsync', 'condition');
  const v = condition.raw;
  const r = condition.rank;
  const hits: number[] = [];
  let count = 0;
  for (let f = 0; f < v.length; f++) {
    if (!v[f]) continue;
    count++;
    let rem = f;
    const co = new Array<number>(r);
    for (let d = r - 1; d >= 0; d--) {
      co[d] = rem % condition.shape[d];
      rem = Math.floor(rem / condition.shape[d]);
    }
    hits.push(...co);
  }
  return new Tensor(Int32Array.from(hits), [count, r]);
}

/**
 * TF.js `tf.whereAsync(condition)`: the coordinates of its true (non-zero) elements, int32 [count, rank].
 * NOTE: tapegrad has no bool dtype: any non-zero value counts as true.
 */
export const whereAsync = async (condition: Tensor): Promise<Tensor> => whereIndices(condition);

/**
 * The elements (slices) of tensor where mask is true: mask covers tensor's axes axis..axis+mask.rank−1, which are
 * flattened into one axis of the selected entries; a gather, so the gradient reaches the selected values.
 */
export function booleanMask(tensor: Tensor, mask: Tensor, axis = 0): Tensor {
  assertTensor(tensor, 'booleanMask', 'tensor');
  assertTensor(mask, 'booleanMask', 'mask');
  if (mask.rank === 0) throw new ShapeError('booleanMask: mask cannot be a scalar');
  if (!Number.isInteger(axis) || axis < 0 || axis + mask.rank > tensor.rank)
    throw new ValueError(
      `booleanMask: axis ${describeValue(axis)} with a mask of rank ${mask.rank} does not fit tensor ${fmtShape(tensor.shape)}`,
    );
  const covered = tensor.shape.slice(axis, axis + mask.rank);
  if (covered.some((d, i) => d !== mask.shape[i]))
    throw new ShapeError(
      `booleanMask: mask ${fmtShape(mask.shape)} must match tensor ${fmtShape(tensor.shape)} on axes ${axis}..${axis + mask.rank - 1}`,
    );
  const flat = reshape(tensor, [
    ...tensor.shape.slice(0, axis),
    mask.size,
    ...tensor.shape.slice(axis + mask.rank),
  ]);
  const keep: number[] = [];
  const m = mask.raw;
  for (let i = 0; i < m.length; i++) if (m[i]) keep.push(i);
  return gather(flat, positions(keep), axis);
}

/** TF.js `tf.booleanMaskAsync(tensor, mask, axis = 0)`: booleanMask as a Promise (TF.js reads the mask back). */
export const booleanMaskAsync = async (tensor: Tensor, mask: Tensor, axis = 0): Promise<Tensor> =>
  booleanMask(tensor, mask, axis);

/**
 * The values of x (1-D) that are not in y, in x's order, and their positions in x: [out (a gather of x), indices
 * (int32)]. Membership as TF.js's cpu kernel tests it (a Set of y's values: NaN is in a y holding NaN).
 */
export function setdiff1d(x: Tensor, y: Tensor): [Tensor, Tensor] {
  assertTensor(x, 'setdiff1d', 'x');
  assertTensor(y, 'setdiff1d', 'y');
  if (x.rank !== 1 || y.rank !== 1)
    throw new ShapeError(`setdiff1d: x ${fmtShape(x.shape)} and y ${fmtShape(y.shape)} must be 1-D`);
  if (x.dtype !== y.dtype)
    throw new ValueError(`setdiff1d: x (${x.dtype}) and y (${y.dtype}) must have one dtype`);
  const ys = new Set(Array.from(y.raw));
  const keep: number[] = [];
  const v = x.raw;
  for (let i = 0; i < v.length; i++) if (!ys.has(v[i])) keep.push(i);
  const idx = positions(keep);
  return [gather(x, idx), idx];
}

/** TF.js `tf.setdiff1dAsync(x, y)`: setdiff1d as a Promise of [out, indices]. */
export const setdiff1dAsync = async (x: Tensor, y: Tensor): Promise<[Tensor, Tensor]> => setdiff1d(x, y);
