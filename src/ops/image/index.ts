// TF.js's tf.image namespace (exported from ops as `image`).
export {
  flipLeftRight,
  grayscaleToRGB,
  resizeBilinear,
  resizeNearestNeighbor,
  rgbToGrayscale,
} from './resize.js';
export { cropAndResize, type CropMethod } from './crop-and-resize.js';
export { nonMaxSuppression, nonMaxSuppressionAsync } from './nms.js';
export { transform, type TransformFillMode, type TransformInterpolation } from './transform.js';
