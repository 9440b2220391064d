// Batch normalization along one channel axis, on the per-channel rows (ops/norm/rows.ts): the batch's moments in one
// row, then y = (x − μ)·s + β with s = γ/√(σ² + ε) in another. Backward is what the tape derives from the rows' vjps.
// NOTE: the same bits forward as mean → x − μ → square → mean → x − μ over the same reduction order, then ·s and + β
// (the composition these layers ran before): every float32 step rounds as the elementwise and reduce kernels do.
// NOTE: while ops are listened to (trace, explain, ONNX export) they run as that composition instead, so traces and
// exported graphs show standard ops, as for the fused conv, pool and bias rows.
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { ShapeError, fmtShape } from '../../core/errors.js';
import { normAxes, normAxis } from '../../core/shape.js';
import { type DType, isFloat, promote } from '../../core/dtype.js';
import { add, cast, div, mul, square, sqrt, sub } from '../elementwise/builders.js';
import { reshape, slice } from '../movement/builders.js';
import { mean as meanOf } from '../reduce/builders.js';
import { channelAffine, channelMoments } from '../norm/builders.js';

/**
 * The float dtype mixed operands promote to, as the elementwise ops promote them (a float64 input to a layer of float32
 * weights computes in float64; int32 alone becomes float32, as `mean` casts it).
 */
export function commonFloat(...ts: (Tensor | null)[]): DType {
  let dt: DType | null = null;
  for (const t of ts) if (t) dt = dt === null ? t.dtype : promote(dt, t.dtype);
  return dt !== null && isFloat(dt) ? dt : 'float32';
}
/** t cast to dtype (null stays null). */
export const castTo = <T extends Tensor | null>(t: T, dtype: DType): T => (t ? cast(t, dtype) : t) as T;

/** A [C] vector shaped to broadcast along `axis` of a rank-`rank` tensor. */
const along = (v: Tensor, rank: number, axis: number): Tensor =>
  reshape(
    v,
    Array.from({ length: rank }, (_, i) => (i === axis ? v.size : 1)),
  );

/** (x − m)·s + b along `axis`: the channelAffine row, or its composition while ops are listened to. */
export function affineAlong(x: Tensor, m: Tensor, s: Tensor, b: Tensor, axis: number): Tensor {
  if (!hasOpListeners()) return channelAffine(x, m, s, b, axis);
  const r = x.rank;
  return add(mul(sub(x, along(m, r, axis)), along(s, r, axis)), along(b, r, axis));
}

/**
 * y = (x − mean)/√(variance + ε)·scale + offset along `axis` (default: the last), with mean, variance, scale and offset
 * [C] vectors (scale or offset null: 1 or 0). TF.js `tf.batchNorm` with per-channel parameters.
 */
export function batchNorm(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  offset: Tensor | null = null,
  scale: Tensor | null = null,
  varianceEpsilon = 0.001,
  axis = -1,
): Tensor {
  const a = normAxis(axis, x.rank, 'batchNorm');
  const C = x.shape[a];
  for (const [name, t] of [
    ['mean', mean],
    ['variance', variance],
    ['offset', offset],
    ['scale', scale],
  ] as const)
    if (t && (t.rank !== 1 || t.shape[0] !== C))
      throw new ShapeError(
        `batchNorm: ${name} ${fmtShape(t.shape)} must be [${C}], one value per channel (axis ${a} of ${fmtShape(x.shape)})`,
      );
  const dt = commonFloat(x, mean, variance, offset, scale);
  let s = div(1, sqrt(add(cast(variance, dt), varianceEpsilon)));
  if (scale) s = mul(s, cast(scale, dt));
  return affineAlong(cast(x, dt), cast(mean, dt), s, offset ? cast(offset, dt) : zerosLike(s), a);
}

/** The batch's statistics along `axis`: each channel's mean and population variance ([C] each) over the other axes. */
export function batchMoments(x: Tensor, axis = -1): { mean: Tensor; variance: Tensor } {
  const a = normAxis(axis, x.rank, 'batchMoments');
  const C = x.shape[a];
  if (hasOpListeners()) {
    const red = [...x.shape.keys()].filter((i) => i !== a);
    const mu = meanOf(x, red, true);
    const v = meanOf(square(sub(x, mu)), red, true);
    return { mean: reshape(mu, [C]), variance: reshape(v, [C]) };
  }
  const m = channelMoments(x, a);
  return {
    mean: reshape(slice(m, [0, 0], [1, C]), [C]),
    variance: reshape(slice(m, [1, 0], [1, C]), [C]),
  };
}

/** Batch normalization in training: normalize x with its own batch statistics, returned beside y for moving averages. */
export function batchNormTraining(
  x: Tensor,
  offset: Tensor | null,
  scale: Tensor | null,
  varianceEpsilon: number,
  axis = -1,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const { mean, variance } = batchMoments(cast(x, commonFloat(x, offset, scale)), axis);
  return { y: batchNorm(x, mean, variance, offset, scale, varianceEpsilon, axis), mean, variance };
}

/**
 * TF.js `tf.moments(x, axes, keepDims)`: the mean and population variance over `axes` (default: all). Over every axis
 * but one it is the channelMoments row; otherwise (and while ops are listened to) mean → x − mean → square → mean.
 * An int32 x computes in float32, as `mean` does.
 */
export function moments(
  x: Tensor,
  axes?: number | readonly number[],
  keepDims = false,
): { mean: Tensor; variance: Tensor } {
  const ax = normAxes(axes, x.rank, 'moments');
  const xf = cast(x, commonFloat(x));
  const kept = [...x.shape.keys()].filter((i) => !ax.includes(i));
  const shape = (keep: boolean) =>
    x.shape.map((d, i) => (ax.includes(i) ? 1 : d)).filter((_, i) => keep || !ax.includes(i));
  if (kept.length === 1 && !hasOpListeners()) {
    const m = batchMoments(xf, kept[0]);
    return { mean: reshape(m.mean, shape(keepDims)), variance: reshape(m.variance, shape(keepDims)) };
  }
  const mu = meanOf(xf, ax, true);
  const v = meanOf(square(sub(xf, mu)), ax, keepDims);
  return { mean: keepDims ? mu : reshape(mu, shape(false)), variance: v };
}
