// TF.js's tensor creators under their TF.js names and argument order: tensor1d…tensor6d (rank-checked tf.tensor),
// range, linspace, eye, fill, randomUniform and randomNormal (over tapegrad's own generator).
import { type DType, isDType } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, safeJson, fmtShape } from '../core/errors.js';
import { Rng, rand, randn } from '../core/random.js';
import type { Shape } from '../core/shape.js';
import { type TensorLike, Tensor, full, tensor } from '../core/tensor.js';
import { add, cast, floor } from './elementwise/builders.js';

/** A TF.js dtype argument: undefined keeps the default, anything else must be a tapegrad dtype. */
function dtypeArg(op: string, dtype: unknown, dflt?: DType): DType | undefined {
  if (dtype === undefined || dtype === null) return dflt;
  if (!isDType(dtype))
    throw new DTypeError(`${op}: dtype ${safeJson(dtype)} is not supported (use float32, float64 or int32)`);
  return dtype;
}

/** The nesting depth of `values` (TF.js's inferShape rank): a flat array or typed array is 1, a number 0. */
function depthOf(values: TensorLike): number {
  if (values instanceof Tensor) return values.rank;
  if (ArrayBuffer.isView(values)) return 1;
  let d = 0;
  let cur: unknown = values;
  while (Array.isArray(cur)) {
    d++;
    cur = cur[0];
  }
  return d;
}

/**
 * tf.tensorNd(values, shape?, dtype?): a tensor of rank n, from values nested n deep or flat with a shape of n numbers.
 * NOTE: as TF.js, flat values need the shape (except tensor1d, which takes no shape argument).
 */
function tensorNd(n: number, values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  const op = `tensor${n}d`;
  if (values === undefined || values === null) throw new ValueError(`${op}: values is ${String(values)}`);
  if (shape !== undefined && shape !== null && shape.length !== n)
    throw new ShapeError(`${op}: shape ${safeJson(shape)} must have ${n} numbers, got ${shape.length}`);
  const depth = depthOf(values);
  if (depth !== n && depth !== 1)
    throw new ShapeError(`${op}: values are nested ${depth} deep, expected ${n} deep or a flat array`);
  if (depth === 1 && n !== 1 && (shape === undefined || shape === null))
    throw new ShapeError(`${op}: values are a flat array, so the shape (${n} numbers) is required`);
  const dt = dtypeArg(op, dtype);
  if (depth === 1 && shape) {
    const size = shape.reduce((p, d) => p * d, 1);
    const len = values instanceof Tensor ? values.size : (values as ArrayLike<number>).length;
    if (size !== len)
      throw new ShapeError(`${op}: shape ${fmtShape(shape)} holds ${size} values, got ${len}`);
    return tensor(values, shape, { dtype: dt });
  }
  const t = tensor(values, undefined, { dtype: dt });
  if (shape && fmtShape(shape) !== fmtShape(t.shape))
    throw new ShapeError(
      `${op}: shape ${fmtShape(shape)} differs from the values' shape ${fmtShape(t.shape)}`,
    );
  return t;
}

/** tf.tensor1d(values, dtype?). */
export const tensor1d = (values: TensorLike, dtype?: DType): Tensor => tensorNd(1, values, undefined, dtype);
/** tf.tensor2d(values, shape?, dtype?). */
export const tensor2d = (values: TensorLike, shape?: Shape, dtype?: DType): Tensor =>
  tensorNd(2, values, shape, dtype);
/** tf.tensor3d(values, shape?, dtype?). */
export const tensor3d = (values: TensorLike, shape?: Shape, dtype?: DType): Tensor =>
  tensorNd(3, values, shape, dtype);
/** tf.tensor4d(values, shape?, dtype?). */
export const tensor4d = (values: TensorLike, shape?: Shape, dtype?: DType): Tensor =>
  tensorNd(4, values, shape, dtype);
/** tf.tensor5d(values, shape?, dtype?). */
export const tensor5d = (values: TensorLike, shape?: Shape, dtype?: DType): Tensor =>
  tensorNd(5, values, shape, dtype);
/** tf.tensor6d(values, shape?, dtype?). */
export const tensor6d = (values: TensorLike, shape?: Shape, dtype?: DType): Tensor =>
  tensorNd(6, values, shape, dtype);

/**
 * tf.range(start, stop, step = 1, dtype = 'float32'): start, start + step, … up to (not including) stop.
 * As TF.js: a decreasing range with the default step 1 counts down by 1; a step pointing away from stop is empty.
 * NOTE: TF.js's odd case of a decreasing range with 0 < step < 1 (it counts up) is empty here.
 */
export function range(start: number, stop: number, step = 1, dtype: DType = 'float32'): Tensor {
  const dt = dtypeArg('range', dtype, 'float32')!;
  for (const [k, v] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const)
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ValueError(`range: ${k} must be a finite number, got ${safeJson(v)}`);
  if (step === 0) throw new ValueError('range: step must be non-zero, got 0');
  if (stop < start && step === 1) step = -1; // TF.js's auto-adjusted step
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return tensor(a, [n], { dtype: dt });
}

/** tf.linspace(start, stop, num): num evenly spaced values from start to stop, both included. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num <= 0)
    throw new ValueError(`linspace: num must be a positive integer, got ${safeJson(num)}`);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  const a = Float64Array.from({ length: num }, (_, i) => start + i * step);
  return tensor(a, [num], { dtype: 'float32' });
}

/** A non-negative integer size argument, checked. */
function sizeArg(op: string, what: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0)
    throw new ValueError(`${op}: ${what} must be a non-negative integer, got ${safeJson(v)}`);
  return v as number;
}

/**
 * tf.eye(numRows, numColumns = numRows, batchShape?, dtype = 'float32'): ones on the main diagonal, repeated over
 * `batchShape` (leading axes). NOTE: any batch rank is accepted (TF.js stops at 3).
 */
export function eye(
  numRows: number,
  numColumns?: number,
  batchShape?: readonly number[],
  dtype: DType = 'float32',
): Tensor {
  const r = sizeArg('eye', 'numRows', numRows);
  const c = numColumns === undefined || numColumns === null ? r : sizeArg('eye', 'numColumns', numColumns);
  const batch = batchShape ?? [];
  if (!Array.isArray(batch)) throw new ValueError(`eye: batchShape must be an array, got ${safeJson(batch)}`);
  batch.forEach((d, i) => sizeArg('eye', `batchShape[${i}]`, d));
  const reps = batch.reduce((p, d) => p * d, 1);
  const a = new Float64Array(reps * r * c);
  for (let b = 0; b < reps; b++) for (let i = 0; i < Math.min(r, c); i++) a[b * r * c + i * c + i] = 1;
  return tensor(a, [...batch, r, c], { dtype: dtypeArg('eye', dtype, 'float32') });
}

/** tf.fill(shape, value, dtype = 'float32'). */
export const fill = (shape: Shape, value: number, dtype?: DType): Tensor => {
  if (typeof value !== 'number') throw new ValueError(`fill: value must be a number, got ${safeJson(value)}`);
  return full(shape, value, { dtype: dtypeArg('fill', dtype, 'float32') });
};

/** The generator for a TF.js seed argument: a fresh one seeded with it, else tapegrad's global one. */
function seeded(op: string, seed: unknown): Rng | undefined {
  if (seed === undefined || seed === null) return undefined;
  if (typeof seed !== 'number' || !Number.isFinite(seed))
    throw new ValueError(`${op}: seed must be a number, got ${safeJson(seed)}`);
  return new Rng(seed);
}

/**
 * tf.randomUniform(shape, minval = 0, maxval = 1, dtype = 'float32', seed?): uniform values in [minval, maxval);
 * int32 truncates them toward zero, as TF.js.
 * NOTE: a seed makes the values reproducible in tapegrad's own generator; they differ from TF.js's (seedrandom).
 */
export function randomUniform(
  shape: Shape,
  minval = 0,
  maxval = 1,
  dtype: DType = 'float32',
  seed?: number,
): Tensor {
  const dt = dtypeArg('randomUniform', dtype, 'float32')!;
  if (!(minval <= maxval))
    throw new ValueError(`randomUniform: minval ${minval} must not exceed maxval ${maxval}`);
  return rand(shape, { low: minval, high: maxval, dtype: dt, rng: seeded('randomUniform', seed) });
}

/**
 * tf.randomNormal(shape, mean = 0, stdDev = 1, dtype = 'float32', seed?); int32 rounds to the nearest, as TF.js.
 * NOTE: a seed makes the values reproducible in tapegrad's own generator; they differ from TF.js's.
 */
export function randomNormal(
  shape: Shape,
  mean = 0,
  stdDev = 1,
  dtype: DType = 'float32',
  seed?: number,
): Tensor {
  const dt = dtypeArg('randomNormal', dtype, 'float32')!;
  if (!(stdDev >= 0)) throw new ValueError(`randomNormal: stdDev must be ≥ 0, got ${stdDev}`);
  const opts = { mean, std: stdDev, rng: seeded('randomNormal', seed) };
  if (dt !== 'int32') return randn(shape, { ...opts, dtype: dt });
  return cast(floor(add(randn(shape, { ...opts, dtype: 'float64' }), 0.5)), 'int32'); // Math.round
}
