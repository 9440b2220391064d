// TF.js tf.localResponseNormalization: y = x · (bias + alpha · Σ x²)^(−beta), the sum over the channels within
// depthRadius of each channel (clipped at the edges), as one matmul with a band matrix built from the channel count;
// the gradient is the tape's.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { add, cast, mul, pow, square } from '../elementwise/builders.js';
import { matmul } from '../network/builders.js';

/** TF.js `tf.localResponseNormalization(x, depthRadius = 5, bias = 1, alpha = 1, beta = 0.5)` on [b, h, w, c] or [h, w, c]. */
export function localResponseNormalization(
  x: Tensor,
  depthRadius = 5,
  bias = 1,
  alpha = 1,
  beta = 0.5,
): Tensor {
  const op = 'localResponseNormalization';
  assertTensor(x, op, 'x');
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(`${op}: x must be rank 3 [h, w, c] or 4 [batch, h, w, c], got ${fmtShape(x.shape)}`);
  if (!Number.isInteger(depthRadius) || depthRadius < 0)
    throw new ValueError(
      `${op}: depthRadius must be a non-negative integer, got ${JSON.stringify(depthRadius)}`,
    );
  for (const [what, v] of [
    ['bias', bias],
    ['alpha', alpha],
    ['beta', beta],
  ] as const)
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ValueError(`${op}: ${what} must be a finite number, got ${JSON.stringify(v)}`);
  const c = x.shape[x.rank - 1];
  const dt = x.dtype === 'float64' ? 'float64' : 'float32';
  const xf = cast(x, dt);
  // band[i][j] = 1 when channel i lies within depthRadius of channel j
  const band = new Float64Array(c * c).map((_, k) =>
    Math.abs(Math.floor(k / c) - (k % c)) <= depthRadius ? 1 : 0,
  );
  const sums = matmul(square(xf), cast(new Tensor(band, [c, c]), dt));
  return mul(xf, pow(add(mul(sums, alpha), bias), -beta));
}
