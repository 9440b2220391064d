// PyTorch's F.cross_entropy as a composition: logSoftmax over the class axis, `take` of each label's
// log-probability (gradient: scatter), label smoothing, class weights, ignoreIndex and the three reductions.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { shapesEqual } from '../../core/shape.js';
import { Tensor, type TensorLike, tensor } from '../../core/tensor.js';
import { add, div, mul, neg } from '../elementwise/builders.js';
import { take } from '../network/builders.js';
import { sum } from '../reduce/builders.js';
import { reshape, transpose } from '../movement/builders.js';
import { logSoftmax } from './activations.js';

export interface CrossEntropyOptions {
  /** 'mean' (default): over the non-ignored elements, weighted by their class weights; 'sum'; 'none': per element. */
  reduction?: 'mean' | 'sum' | 'none';
  /** Class-index labels equal to this contribute nothing (PyTorch default -100). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C (PyTorch label_smoothing). */
  labelSmoothing?: number;
  /** Per-class weights [C] (PyTorch weight). */
  weight?: TensorLike;
}
const KEYS = ['reduction', 'ignoreIndex', 'labelSmoothing', 'weight'] as const;

/**
 * Softmax cross-entropy from logits [N, C] or [N, C, d1, …] (class axis 1, as in PyTorch). Labels are class
 * indices [N, d1, …] (int32, whole floats, a plain array or Int32Array) or probabilities of the logits' shape.
 * Per element: ℓᵢ = −(1−ε)·w[yᵢ]·log pᵢ[yᵢ] − (ε/C)·Σ_c w[c]·log pᵢ[c]; 'mean' divides Σℓ by Σ w[yᵢ] over the
 * non-ignored elements (PyTorch's weighted mean), or by the element count for probability targets.
 * NOTE: as in PyTorch, a 'mean' over a batch whose labels are all ignored is 0/0 = NaN.
 */
export function crossEntropy(logits: Tensor, labels: TensorLike, opts: CrossEntropyOptions = {}): Tensor {
  checkOptions('crossEntropy', opts, KEYS);
  if (!(logits instanceof Tensor))
    throw new ValueError(`crossEntropy: logits must be a Tensor, got ${typeof logits}`);
  if (logits.rank < 2)
    throw new ShapeError(
      `crossEntropy: logits must be [batch, classes] or [batch, classes, d1, ...], got ${fmtShape(logits.shape)}`,
    );
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64')
    throw new DTypeError(`crossEntropy: logits must be float32 or float64, got ${logits.dtype}`);
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none')
    throw new ValueError(
      `crossEntropy: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`,
    );
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1))
    throw new ValueError(
      `crossEntropy: labelSmoothing must be a number in [0, 1], got ${JSON.stringify(eps)}`,
    );
  const c = logits.shape[1];
  const dtype = logits.dtype;
  const weight = opts.weight === undefined ? null : tensor(opts.weight, undefined, { dtype });
  if (weight && (weight.rank !== 1 || weight.shape[0] !== c))
    throw new ShapeError(`crossEntropy: weight ${fmtShape(weight.shape)} must be [${c}], one per class`);
  const lab = labels instanceof Tensor ? labels : tensor(labels);
  // Class axis last: [N, d1, …, C] → rows [M, C].
  const rank = logits.rank;
  const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  const logp = logSoftmax(logits, 1);
  const rows = reshape(rank === 2 ? logp : transpose(logp, perm), [-1, c]);
  const m = rows.shape[0];
  const outShape = [logits.shape[0], ...logits.shape.slice(2)];
  const wRow = weight ? reshape(weight, [1, c]) : null;

  if (shapesEqual(lab.shape, logits.shape)) {
    if (opts.ignoreIndex !== undefined)
      throw new ValueError(
        'crossEntropy: ignoreIndex applies to class-index labels, not to probability targets',
      );
    if (lab.dtype === 'int32')
      throw new DTypeError('crossEntropy: probability targets must be float32 or float64, got int32');
    let t = reshape(rank === 2 ? lab : transpose(lab, perm), [-1, c]);
    if (eps > 0) t = add(mul(t, 1 - eps), eps / c); // t' = (1 − ε)·t + ε/C
    const per = neg(sum(mul(wRow ? mul(rows, wRow) : rows, t), 1)); // ℓᵢ = −Σ_c w[c]·t[i,c]·log p[i,c]
    if (reduction === 'none') return reshape(per, outShape);
    return reduction === 'sum' ? sum(per) : div(sum(per), m);
  }
  if (!shapesEqual(lab.shape, outShape))
    throw new ShapeError(
      `crossEntropy: labels ${fmtShape(lab.shape)} must be ${fmtShape(outShape)} class indices (one per ${rank === 2 ? 'row' : 'position'} of the logits ${fmtShape(logits.shape)}) or probabilities of the logits' shape`,
    );
  if (lab.dtype !== 'int32' && lab.dtype !== 'float32' && lab.dtype !== 'float64')
    throw new DTypeError(`crossEntropy: labels must be int32 class indices, got ${lab.dtype}`);
  const ignore = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignore))
    throw new ValueError(
      `crossEntropy: ignoreIndex must be an integer, got ${JSON.stringify(opts.ignoreIndex)}`,
    );
  const d = lab.raw;
  const flat = new Int32Array(m);
  const cls = new Int32Array(m);
  const keep = dtype === 'float64' ? new Float64Array(m) : new Float32Array(m);
  let kept = 0;
  for (let i = 0; i < m; i++) {
    const y = d[i];
    if (y === ignore) continue; // flat[i] = cls[i] = 0 and keep[i] = 0: the element adds nothing
    if (!Number.isInteger(y) || y < 0 || y >= c)
      throw new ValueError(
        `crossEntropy: label ${y} at position ${i} is out of range for ${c} classes (expected an integer in [0, ${c - 1}]${opts.ignoreIndex !== undefined ? ` or ignoreIndex ${ignore}` : ''})`,
      );
    flat[i] = i * c + y;
    cls[i] = y;
    keep[i] = 1;
    kept++;
  }
  if (kept === m && !weight && eps === 0) {
    // NOTE: every label kept, no class weights, no smoothing (a plain training loss): the mask is all ones, so
    // ℓᵢ = −log pᵢ[yᵢ] and the mean divides by m — the same numbers as below (×1 and a sum of m ones are exact
    // below 2²⁴) with three ops fewer per step, forward and backward.
    const picked = take(rows, new Tensor(flat, [m]));
    if (reduction === 'none') return reshape(neg(picked), outShape);
    // NOTE: Σ(−a)/m as (Σa)/(−m): the same bits (negation is exact and rounding symmetric), one op fewer each way
    return reduction === 'sum' ? neg(sum(picked)) : div(sum(picked), -m);
  }
  const mask = new Tensor(keep, [m]);
  // wy[i] = w[yᵢ] for kept elements, 0 for ignored ones.
  const wy = weight ? mul(take(weight, new Tensor(cls, [m])), mask) : mask;
  let per = neg(mul(take(rows, new Tensor(flat, [m])), wy)); // −w[yᵢ]·log pᵢ[yᵢ]
  if (eps > 0) {
    const smooth = neg(mul(sum(wRow ? mul(rows, wRow) : rows, 1), mask)); // −Σ_c w[c]·log pᵢ[c]
    per = add(mul(per, 1 - eps), mul(smooth, eps / c));
  }
  if (reduction === 'none') return reshape(per, outShape);
  return reduction === 'sum' ? sum(per) : div(sum(per), sum(wy));
}
