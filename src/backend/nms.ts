// Greedy non-maximum suppression over box and score arrays (TF.js's nonMaxSuppressionV3Impl with softNmsSigma 0):
// the data loop behind tf.image.nonMaxSuppression, kept in the backend as every loop over tensor data.

/** IoU of boxes i and j ([y1, x1, y2, x2], corners in either order); 0 when either area is not positive. */
function iou(b: ArrayLike<number>, i: number, j: number): number {
  const [yi0, yi1] = [Math.min(b[4 * i], b[4 * i + 2]), Math.max(b[4 * i], b[4 * i + 2])];
  const [xi0, xi1] = [Math.min(b[4 * i + 1], b[4 * i + 3]), Math.max(b[4 * i + 1], b[4 * i + 3])];
  const [yj0, yj1] = [Math.min(b[4 * j], b[4 * j + 2]), Math.max(b[4 * j], b[4 * j + 2])];
  const [xj0, xj1] = [Math.min(b[4 * j + 1], b[4 * j + 3]), Math.max(b[4 * j + 1], b[4 * j + 3])];
  const areaI = (yi1 - yi0) * (xi1 - xi0);
  const areaJ = (yj1 - yj0) * (xj1 - xj0);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const inter =
    Math.max(Math.min(yi1, yj1) - Math.max(yi0, yj0), 0) *
    Math.max(Math.min(xi1, xj1) - Math.max(xi0, xj0), 0);
  return inter / (areaI + areaJ - inter);
}

/**
 * Indices of the kept boxes, highest score first (ties: lower index first): boxes scoring above scoreThreshold, each
 * kept unless its IoU with an already kept box is ≥ iouThreshold, at most maxOutputSize of them.
 */
export function nonMaxSuppressionIndices(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  maxOutputSize: number,
  iouThreshold: number,
  scoreThreshold: number,
): number[] {
  const order: number[] = [];
  for (let i = 0; i < scores.length; i++) if (scores[i] > scoreThreshold) order.push(i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= maxOutputSize) break;
    if (kept.every((j) => iou(boxes, i, j) < iouThreshold)) kept.push(i);
  }
  return kept;
}
