// TF.js's remaining reductions: prod, all, any, and the camelCase argMax/argMin (TF.js's default axis 0).
import { normAxes } from '../../core/shape.js';
import { Tensor, assertTensor, full } from '../../core/tensor.js';
import { ValueError, describeValue } from '../../core/errors.js';
import { equal, greater, mul, notEqual } from '../elementwise/builders.js';
import { argmax, argmin, sum } from '../reduce/builders.js';
import { concat, reshape, slice, transpose } from '../movement/builders.js';

type Axes = number | readonly number[] | null | undefined;

/** The reduced axes, checked; keepDims must be a boolean (an options object there would read as true). */
function axesOf(op: string, x: Tensor, axis: Axes, keepDims: unknown): number[] {
  assertTensor(x, op, 'x');
  if (typeof keepDims !== 'boolean')
    throw new ValueError(`${op}: keepDims must be true or false, got ${describeValue(keepDims)}`);
  return normAxes(axis, x.rank, op);
}

/**
 * Product over `axis` (all when null; [] leaves x as it is), as TF.js's prod: the reduced axes moved last and
 * flattened to one of length k, then halves multiplied together (⌈log₂ k⌉ muls, exact gradients even where a factor
 * is 0, unlike exp Σ log).
 */
export function prod(x: Tensor, axis: Axes = null, keepDims = false): Tensor {
  const axes = axesOf('prod', x, axis, keepDims);
  if (axes.length === 0) return x;
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outer = kept.map((i) => x.shape[i]);
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  // the empty product is 1
  if (axes.some((i) => x.shape[i] === 0)) return full(keepDims ? shape : outer, 1, { dtype: x.dtype });
  let y = reshape(transpose(x, [...kept, ...axes]), [...outer, -1]);
  const r = outer.length;
  const part = (from: number, n: number) =>
    slice(
      y,
      y.shape.map((_, i) => (i === r ? from : 0)),
      y.shape.map((d, i) => (i === r ? n : d)),
    );
  while (y.shape[r] > 1) {
    const h = Math.floor(y.shape[r] / 2);
    const m = mul(part(0, h), part(h, h));
    y = y.shape[r] % 2 ? concat([m, part(2 * h, 1)], r) : m;
  }
  return reshape(y, keepDims ? shape : outer);
}

/** 1 where every value over `axis` is nonzero (true over an empty axis), else 0, in x's dtype (no bool dtype). */
export function all(x: Tensor, axis: Axes = null, keepDims = false): Tensor {
  const axes = axesOf('all', x, axis, keepDims);
  return equal(sum(equal(x, 0), axes, keepDims), 0);
}
/** 1 where some value over `axis` is nonzero (false over an empty axis), else 0, in x's dtype. */
export function any(x: Tensor, axis: Axes = null, keepDims = false): Tensor {
  const axes = axesOf('any', x, axis, keepDims);
  return greater(sum(notEqual(x, 0), axes, keepDims), 0);
}

/** TF.js's argMax(x, axis = 0): the index of the first maximum along `axis`, int32. */
export const argMax = (x: Tensor, axis = 0): Tensor => argmax(x, axis);
/** TF.js's argMin(x, axis = 0): the index of the first minimum along `axis`, int32. */
export const argMin = (x: Tensor, axis = 0): Tensor => argmin(x, axis);
