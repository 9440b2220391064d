// TF.js tf.image.nonMaxSuppression / nonMaxSuppressionAsync: the indices (int32 [k]) of the boxes kept by greedy
// non-maximum suppression. Not differentiable (indices); the selection runs in src/backend/nms.ts.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { nonMaxSuppressionIndices } from '../../backend/nms.js';

/**
 * TF.js `tf.image.nonMaxSuppression(boxes, scores, maxOutputSize, iouThreshold = 0.5, scoreThreshold = -Infinity)`:
 * boxes [n, 4] as [y1, x1, y2, x2], scores [n] → int32 indices, highest score first.
 */
export function nonMaxSuppression(
  boxes: Tensor,
  scores: Tensor,
  maxOutputSize: number,
  iouThreshold = 0.5,
  scoreThreshold = Number.NEGATIVE_INFINITY,
): Tensor {
  const op = 'nonMaxSuppression';
  assertTensor(boxes, op, 'boxes');
  assertTensor(scores, op, 'scores');
  if (boxes.rank !== 2 || boxes.shape[1] !== 4)
    throw new ShapeError(`${op}: boxes must be [numBoxes, 4], got ${fmtShape(boxes.shape)}`);
  if (scores.rank !== 1 || scores.shape[0] !== boxes.shape[0])
    throw new ShapeError(
      `${op}: scores must be [${boxes.shape[0]}] (one per box), got ${fmtShape(scores.shape)}`,
    );
  if (!Number.isInteger(maxOutputSize) || maxOutputSize < 0)
    throw new ValueError(
      `${op}: maxOutputSize must be a non-negative integer, got ${JSON.stringify(maxOutputSize)}`,
    );
  // iouThreshold and scoreThreshold null mean their defaults, as in TF.js
  const iou = iouThreshold ?? 0.5;
  const st = scoreThreshold ?? Number.NEGATIVE_INFINITY;
  if (typeof iou !== 'number' || !(iou >= 0 && iou <= 1))
    throw new ValueError(`${op}: iouThreshold must be in [0, 1], got ${JSON.stringify(iouThreshold)}`);
  if (typeof st !== 'number' || Number.isNaN(st))
    throw new ValueError(`${op}: scoreThreshold must be a number, got ${JSON.stringify(scoreThreshold)}`);
  const kept = nonMaxSuppressionIndices(boxes.data, scores.data, maxOutputSize, iou, st);
  return new Tensor(Int32Array.from(kept), [kept.length]);
}

/** TF.js `tf.image.nonMaxSuppressionAsync`: nonMaxSuppression's result in a Promise. */
export async function nonMaxSuppressionAsync(
  boxes: Tensor,
  scores: Tensor,
  maxOutputSize: number,
  iouThreshold = 0.5,
  scoreThreshold = Number.NEGATIVE_INFINITY,
): Promise<Tensor> {
  return nonMaxSuppression(boxes, scores, maxOutputSize, iouThreshold, scoreThreshold);
}
