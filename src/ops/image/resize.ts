// TF.js tf.image resizes and colour/flip helpers on NHWC images. Each resize is separable: per spatial axis an
// [out, in] matrix built in JS from the shapes with TF.js's cpu-kernel coordinate rules, applied by applyAxis (one
// matmul, or one gather for nearest), so the gradient is the tape's: the exact adjoint of the forward.
// NOTE: TF.js's gradient kernels (ResizeBilinearGrad, ResizeNearestNeighborGrad) ignore halfPixelCenters; tapegrad's
// gradient is the adjoint of the forward it computed, with or without halfPixelCenters.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { type Tensor, assertTensor, tensor } from '../../core/tensor.js';
import { cast } from '../elementwise/builders.js';
import { gather, matmul } from '../network/builders.js';
import { reshape, tile } from '../movement/builders.js';
import { applyAxis } from '../composite/resample-axis.js';

/** TF.js's effective ratio in/out (with alignCorners and out > 1: (in − 1)/(out − 1)). */
const ratioOf = (lin: number, lout: number, ac: boolean): number =>
  ac && lout > 1 ? (lin - 1) / (lout - 1) : lin / lout;

/** Bilinear [lout, lin] weights (TF.js ResizeBilinear): src = r·ratio (− ½ after + ½ with halfPixelCenters). */
export function bilinearMatrix(lin: number, lout: number, ac: boolean, hp: boolean): Float64Array {
  const w = new Float64Array(lout * lin);
  const ratio = ratioOf(lin, lout, ac);
  for (let r = 0; r < lout; r++) {
    const src = hp ? ratio * (r + 0.5) - 0.5 : ratio * r;
    // top = max(0, ⌊src⌋), bottom = min(lin − 1, ⌈src⌉), blended by src − top (both may be the same row)
    const top = Math.max(0, Math.floor(src));
    const bottom = Math.min(lin - 1, Math.ceil(src));
    const frac = src - top;
    w[r * lin + top] += 1 - frac;
    w[r * lin + bottom] += frac;
  }
  return w;
}

/** Nearest [lout, lin] one-hot rows (TF.js ResizeNearestNeighbor): Math.round with alignCorners, else floor. */
export function nearestMatrix(lin: number, lout: number, ac: boolean, hp: boolean): Float64Array {
  const w = new Float64Array(lout * lin);
  const ratio = ratioOf(lin, lout, ac);
  for (let r = 0; r < lout; r++) {
    const src = hp ? ratio * (r + 0.5) : ratio * r;
    // capped at lin − 1 (TF.js's extra max(0, ·) with halfPixelCenters never acts: src ≥ 0 there)
    const j = Math.min(lin - 1, ac ? Math.round(src) : Math.floor(src));
    w[r * lin + j] = 1;
  }
  return w;
}

type Builder = (lin: number, lout: number, ac: boolean, hp: boolean) => Float64Array;

function resize(
  op: string,
  images: Tensor,
  size: readonly [number, number],
  alignCorners: boolean,
  halfPixelCenters: boolean,
  build: Builder,
): Tensor {
  assertTensor(images, op, 'images');
  if (images.rank !== 3 && images.rank !== 4)
    throw new ShapeError(
      `${op}: images must be rank 3 [h, w, c] or 4 [batch, h, w, c], got ${fmtShape(images.shape)}`,
    );
  if (!Array.isArray(size) || size.length !== 2 || size.some((v) => !Number.isInteger(v) || v < 1))
    throw new ValueError(
      `${op}: size must be [newHeight, newWidth] of positive integers, got ${JSON.stringify(size)}`,
    );
  if (typeof alignCorners !== 'boolean' || typeof halfPixelCenters !== 'boolean')
    throw new ValueError(
      `${op}: alignCorners and halfPixelCenters must be booleans, got ${JSON.stringify(alignCorners)} and ${JSON.stringify(halfPixelCenters)}`,
    );
  if (alignCorners && halfPixelCenters)
    throw new ValueError(`${op}: if halfPixelCenters is true, alignCorners must be false`);
  const x = images.rank === 3 ? reshape(images, [1, ...images.shape]) : images;
  let y = x;
  [1, 2].forEach((a, i) => {
    if (x.shape[a] === 0)
      throw new ShapeError(`${op}: images ${fmtShape(images.shape)} have an empty spatial axis`);
    y = applyAxis(y, a, build(x.shape[a], size[i], alignCorners, halfPixelCenters), size[i]);
  });
  return images.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
}

/** TF.js `tf.image.resizeBilinear(images, size, alignCorners = false, halfPixelCenters = false)`; ints become float32. */
export function resizeBilinear(
  images: Tensor,
  size: readonly [number, number],
  alignCorners = false,
  halfPixelCenters = false,
): Tensor {
  assertTensor(images, 'resizeBilinear', 'images');
  const x = images.dtype === 'float64' ? images : cast(images, 'float32');
  return resize('resizeBilinear', x, size, alignCorners, halfPixelCenters, bilinearMatrix);
}

/** TF.js `tf.image.resizeNearestNeighbor(images, size, alignCorners = false, halfPixelCenters = false)`; keeps the dtype. */
export function resizeNearestNeighbor(
  images: Tensor,
  size: readonly [number, number],
  alignCorners = false,
  halfPixelCenters = false,
): Tensor {
  return resize('resizeNearestNeighbor', images, size, alignCorners, halfPixelCenters, nearestMatrix);
}

/** TF.js `tf.image.flipLeftRight(image)`: [batch, h, w, c] with the width axis reversed. */
export function flipLeftRight(image: Tensor): Tensor {
  assertTensor(image, 'flipLeftRight', 'image');
  if (image.rank !== 4)
    throw new ShapeError(
      `flipLeftRight: image must be rank 4 [batch, h, w, c], got ${fmtShape(image.shape)}`,
    );
  const w = image.shape[2];
  return gather(
    image,
    Array.from({ length: w }, (_, i) => w - 1 - i),
    2,
  );
}

/** TF.js's luma weights of R, G and B. */
const LUMA = [0.2989, 0.587, 0.114];

/** TF.js `tf.image.rgbToGrayscale(image)`: [..., 3] → [..., 1] weighted by LUMA; ints computed in float32 and cast back. */
export function rgbToGrayscale(image: Tensor): Tensor {
  assertTensor(image, 'rgbToGrayscale', 'image');
  if (image.rank < 2 || image.shape[image.rank - 1] !== 3)
    throw new ShapeError(
      `rgbToGrayscale: image must be at least rank 2 with a last axis of size 3, got ${fmtShape(image.shape)}`,
    );
  const dt = image.dtype === 'float64' ? 'float64' : 'float32';
  const gray = matmul(cast(image, dt), tensor(LUMA, [3, 1], { dtype: dt }));
  return cast(gray, image.dtype);
}

/** TF.js `tf.image.grayscaleToRGB(image)`: [..., 1] → [..., 3], the channel repeated. */
export function grayscaleToRGB(image: Tensor): Tensor {
  assertTensor(image, 'grayscaleToRGB', 'image');
  if (image.rank < 2 || image.shape[image.rank - 1] !== 1)
    throw new ShapeError(
      `grayscaleToRGB: image must be at least rank 2 with a last axis of size 1, got ${fmtShape(image.shape)}`,
    );
  return tile(
    image,
    image.shape.map((_, i) => (i === image.rank - 1 ? 3 : 1)),
  );
}
