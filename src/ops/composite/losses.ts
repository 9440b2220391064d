// Small losses as compositions (mse, mae, huber) and the class-index helpers; crossEntropy is in cross-entropy.ts.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, arange } from '../../core/tensor.js';
import { shapesEqual } from '../../core/shape.js';
import { abs, add, cast, equal, minimum, mul, square, sub } from '../elementwise/builders.js';
import { mean } from '../reduce/builders.js';
import { expandDims, reshape } from '../movement/builders.js';

/** int32 labels [N] checked against `classes`; floats holding whole numbers are accepted. */
export function classIndices(labels: Tensor, n: number, classes: number, op: string): Tensor {
  if (labels.rank !== 1 || labels.shape[0] !== n)
    throw new ShapeError(
      `${op}: labels ${fmtShape(labels.shape)} must be [${n}] class indices (one per row of the logits)`,
    );
  const d = labels.raw;
  for (let i = 0; i < d.length; i++)
    if (!Number.isInteger(d[i]) || d[i] < 0 || d[i] >= classes)
      throw new ValueError(
        `${op}: label ${d[i]} at position ${i} is out of range for ${classes} classes (expected an integer in [0, ${classes - 1}])`,
      );
  return labels.dtype === 'int32' ? labels : cast(labels, 'int32');
}

/** One-hot rows [..., depth] (float32) for integer labels. */
export function oneHot(labels: Tensor, depth: number): Tensor {
  if (!Number.isInteger(depth) || depth < 1)
    throw new ValueError(`oneHot: depth must be a positive integer, got ${depth}`);
  const idx = classIndices(reshape(labels, [-1]), labels.size, depth, 'oneHot');
  const hot = equal(expandDims(cast(idx, 'float32'), -1), arange(depth));
  return reshape(hot, [...labels.shape, depth]);
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (!shapesEqual(a.shape, b.shape))
    throw new ShapeError(
      `${op}: predictions ${fmtShape(a.shape)} and targets ${fmtShape(b.shape)} differ in shape`,
    );
}
/** Mean squared error. */
export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  sameShape('mseLoss', pred, target);
  return mean(square(sub(pred, target)));
}
/** Mean absolute error. */
export function maeLoss(pred: Tensor, target: Tensor): Tensor {
  sameShape('maeLoss', pred, target);
  return mean(abs(sub(pred, target)));
}
/** Huber loss with threshold delta (Keras default 1). */
export function huberLoss(pred: Tensor, target: Tensor, delta = 1): Tensor {
  sameShape('huberLoss', pred, target);
  const e = abs(sub(pred, target));
  const q = minimum(e, delta);
  return mean(add(mul(square(q), 0.5), mul(sub(e, q), delta)));
}
