// Batch normalization along one channel axis, on the per-channel rows (ops/norm/rows.ts): the batch's moments in one
// row, then y = (x − μ)·s + β with s = γ/√(σ² + ε) in another. Backward is what the tape derives from the rows' vjps.
// NOTE: the same bits forward as mean → x − μ → square → mean → x − μ over the same reduction order, then ·s and + β
// (the composition these layers ran before): every float32 step rounds as the elementwise and reduce kernels do.
// NOTE: while ops are listened to (trace, explain, ONNX export) they run as that composition instead, so traces and
// exported graphs show standard ops, as for the fused conv, pool and bias rows.
// The compositions themselves (momentsExcept, normalizeCentered) live here too: the layers use them for axes the rows
// do not cover (LayerNormalization over non-trailing axes, Keras 1's modes).
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { ShapeError, fmtShape } from '../../core/errors.js';
import { type Shape, normAxes, normAxis } from '../../core/shape.js';
import { type DType, isFloat, promote } from '../../core/dtype.js';
import { add, cast, div, mul, neg, square, sqrt, sub } from '../elementwise/builders.js';
import { reshape } from '../movement/builders.js';
import { mean as meanOf } from '../reduce/builders.js';
import { channelAffine, channelMoments, pairRow } from '../norm/builders.js';

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

/**
 * A parameter over `axes` of `shape`, reshaped so it broadcasts against the input.
 * NOTE: one over the last axis stays a vector [C]: adding it is then the biasAdd row, with no broadcast copy of it.
 */
export const broadcastParam = (p: Tensor, shape: Shape, axes: number[]): Tensor =>
  axes.length === 1 && axes[0] === shape.length - 1 && p.rank === 1
    ? p
    : reshape(
        p,
        shape.map((d, i) => (axes.includes(i) ? d : 1)),
      );

/**
 * Moments as a composition, over every axis except `keep` (keepdims): the mean, the population variance, and x − mean,
 * the centred input the variance is taken from, which `normalizeCentered` reuses.
 * NOTE: one mean and one x − mean for both the variance and the output (tg.variance would take its own): two fewer
 * passes over the input forward and their gradients backward, the same values.
 */
export function momentsExcept(x: Tensor, keep: number[]): [Tensor, Tensor, Tensor] {
  const red = [...x.shape.keys()].filter((i) => !keep.includes(i));
  const mu = meanOf(x, red, true);
  // NOTE: x + (−μ), not x − μ, the same values: backward negates the sum of the gradient over the reduced axes (a
  // [C] vector), not a whole gradient; and over the last axis the add is the biasAdd row (broadcastParam)
  const d = add(x, broadcastParam(reshape(neg(mu), [mu.size]), x.shape, keep));
  return [mu, meanOf(square(d), red, true), d];
}

/** y = d / √(σ² + ε) · γ + β for the centred input d = x − μ (`momentsExcept`), with any of γ, β absent. */
export function normalizeCentered(
  d: Tensor,
  v: Tensor,
  gamma: Tensor | null,
  beta: Tensor | null,
  eps: number,
): Tensor {
  let inv = div(1, sqrt(add(v, eps)));
  if (gamma) inv = mul(inv, gamma);
  const y = mul(d, inv);
  return beta ? add(y, beta) : y;
}

/** (x − m)·s + b with [C] vectors along `axis`: the channelAffine row, or its composition while ops are listened to. */
function affineAlong(x: Tensor, m: Tensor, s: Tensor, b: Tensor, axis: number): Tensor {
  if (!hasOpListeners()) return channelAffine(x, m, s, b, axis);
  const along = (v: Tensor) => broadcastParam(v, x.shape, [axis]);
  return add(mul(sub(x, along(m)), along(s)), along(b));
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

/** Batch normalization in training: normalize x with its own batch statistics, returned beside y for moving averages. */
export function batchNormTraining(
  x: Tensor,
  offset: Tensor | null,
  scale: Tensor | null,
  varianceEpsilon: number,
  axis = -1,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const a = normAxis(axis, x.rank, 'batchNorm');
  const { mean, variance } = moments(
    cast(x, commonFloat(x, offset, scale)),
    [...x.shape.keys()].filter((i) => i !== a),
  );
  return { y: batchNorm(x, mean, variance, offset, scale, varianceEpsilon, a), mean, variance };
}

/**
 * TF.js `tf.moments(x, axes, keepDims)`: the mean and population variance over `axes` (default: all). Over every axis
 * but one it is the channelMoments row; otherwise (and while ops are listened to) the composition `momentsExcept`.
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
    const m = channelMoments(xf, kept[0]);
    return {
      mean: reshape(pairRow(m, 0), shape(keepDims)),
      variance: reshape(pairRow(m, 1), shape(keepDims)),
    };
  }
  const [mu, v] = momentsExcept(xf, kept);
  return keepDims
    ? { mean: mu, variance: v }
    : { mean: reshape(mu, shape(false)), variance: reshape(v, shape(false)) };
}
