// TF.js's vector/matrix helpers: norm (and euclideanNorm), dot and outerProduct, as compositions.
import { normAxes } from '../../core/shape.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { abs, mul, sqrt, square } from '../elementwise/builders.js';
import { max, min, sum } from '../reduce/builders.js';
import { reshape } from '../movement/builders.js';
import { matmul } from '../network/builders.js';

export type NormOrd = number | 'euclidean' | 'fro';
type Axis = number | readonly number[] | null | undefined;

const badOrd = (ord: unknown, kind: string, ok: string): never => {
  const what =
    typeof ord === 'number' ? String(ord) : typeof ord === 'string' ? `'${ord}'` : describeValue(ord);
  throw new ValueError(`norm: ord ${what} is not supported for a ${kind} norm (expected ${ok})`);
};

/** A vector norm over the axes `ax` (kept as size 1). */
function vectorNorm(x: Tensor, ord: NormOrd, ax: number[]): Tensor {
  if (ord === 1) return sum(abs(x), ax, true);
  if (ord === Infinity) return max(abs(x), ax, true);
  if (ord === -Infinity) return min(abs(x), ax, true);
  if (ord === 2 || ord === 'euclidean') return sqrt(sum(square(x), ax, true));
  return badOrd(ord, 'vector', "1, 2, Infinity, -Infinity or 'euclidean'");
}

/**
 * A matrix norm over rows axis r and columns axis c (kept as size 1): 1 = largest column sum of |x|, Infinity =
 * largest row sum, −Infinity = smallest row sum, 'fro'/'euclidean' = √Σx².
 */
function matrixNorm(x: Tensor, ord: NormOrd, r: number, c: number): Tensor {
  if (ord === 1) return max(sum(abs(x), r, true), c, true);
  if (ord === Infinity) return max(sum(abs(x), c, true), r, true);
  if (ord === -Infinity) return min(sum(abs(x), c, true), r, true);
  if (ord === 'fro' || ord === 'euclidean') return sqrt(sum(square(x), [r, c], true));
  return badOrd(ord, 'matrix', "1, Infinity, -Infinity, 'fro' or 'euclidean'");
}

/**
 * TF.js's norm: with no axis, the vector norm of all values; one axis, a vector norm along it; two axes [rows,
 * columns], a matrix norm. ord as TF.js accepts it (vectors: 1, 2, ±Infinity, 'euclidean'; matrices: 1, ±Infinity,
 * 'fro', 'euclidean'); other values are refused.
 * NOTE: the two axes may be negative or in either order (TF.js assumes them sorted and non-negative).
 */
export function norm(x: Tensor, ord: NormOrd = 'euclidean', axis: Axis = null, keepDims = false): Tensor {
  assertTensor(x, 'norm', 'x');
  if (typeof keepDims !== 'boolean')
    throw new ValueError(`norm: keepDims must be true or false, got ${describeValue(keepDims)}`);
  if (x.rank === 0) return abs(x);
  const all = axis === null || axis === undefined;
  const given = typeof axis === 'number' ? [axis] : all ? [] : [...axis];
  if (given.length > 2 || (!all && given.length === 0))
    throw new ValueError(`norm: axis must be one axis or two (a matrix norm), got ${describeValue(axis)}`);
  // normalized in the given order (normAxes sorts), checked for range and repeats
  const ax = given.map((a) => normAxes(a, x.rank, 'norm')[0]);
  if (ax.length === 2 && ax[0] === ax[1])
    throw new ValueError(`norm: the two axes of a matrix norm must differ, got ${describeValue(axis)}`);
  const kept =
    ax.length === 2
      ? matrixNorm(x, ord, ax[0], ax[1])
      : vectorNorm(x, ord, all ? x.shape.map((_, i) => i) : ax);
  const dropped = all ? x.shape.map((_, i) => i) : ax;
  return keepDims
    ? kept
    : reshape(
        kept,
        x.shape.filter((_, i) => !dropped.includes(i)),
      );
}

/** TF.js's euclideanNorm: norm(x, 'euclidean', axis, keepDims). */
export const euclideanNorm = (x: Tensor, axis: Axis = null, keepDims = false): Tensor =>
  norm(x, 'euclidean', axis, keepDims);

/** TF.js's dot: vector·vector (a scalar), vector·matrix, matrix·vector and matrix·matrix; ranks 1 and 2 only. */
export function dot(a: Tensor, b: Tensor): Tensor {
  assertTensor(a, 'dot', 'a');
  assertTensor(b, 'dot', 'b');
  if (a.rank < 1 || a.rank > 2 || b.rank < 1 || b.rank > 2)
    throw new ShapeError(
      `dot: inputs must be rank 1 or 2, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`,
    );
  const k = a.shape[a.rank - 1];
  if (b.shape[0] !== k)
    throw new ShapeError(
      `dot: inner dimensions must match, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} (${k} vs ${b.shape[0]})`,
    );
  const m = matmul(a.rank === 1 ? reshape(a, [1, k]) : a, b.rank === 1 ? reshape(b, [k, 1]) : b);
  const shape = [...(a.rank === 2 ? [a.shape[0]] : []), ...(b.rank === 2 ? [b.shape[1]] : [])];
  return a.rank === 2 && b.rank === 2 ? m : reshape(m, shape);
}

/** TF.js's outerProduct: v1 [m] and v2 [n] to the matrix [m, n] of v1[i]·v2[j]. */
export function outerProduct(v1: Tensor, v2: Tensor): Tensor {
  assertTensor(v1, 'outerProduct', 'v1');
  assertTensor(v2, 'outerProduct', 'v2');
  if (v1.rank !== 1 || v2.rank !== 1)
    throw new ShapeError(
      `outerProduct: v1 and v2 must be rank 1, got v1 ${fmtShape(v1.shape)} and v2 ${fmtShape(v2.shape)}`,
    );
  return mul(reshape(v1, [v1.shape[0], 1]), reshape(v2, [1, v2.shape[0]]));
}
