// Layer normalization over the trailing axes on the per-channel rows (ops/norm/rows.ts): x viewed as [R, D] (D the
// normalized values of each row) has its rows as the "channels" of channelMoments and of one channelAffine,
// (x − μ)·(1/√(σ² + ε)) per row; γ and β are one more channelAffine along the features. Backward is what the tape
// derives from the rows' vjps: a handful of passes over x where the composition (mean, x − μ, square, mean, a
// broadcast copy of 1/√(σ² + ε), ·, ·γ, + β) made ~20.
// NOTE: while ops are listened to (trace, explain, ONNX export) it runs as that composition (momentsExcept,
// normalizeCentered), with the same values up to rounding (it scales by 1/√(σ² + ε) then by γ, the composition by
// their product).
import { type Tensor, ones, zeros } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { ShapeError, fmtShape } from '../../core/errors.js';
import { shapesEqual } from '../../core/shape.js';
import { add, cast, div, sqrt } from '../elementwise/builders.js';
import { reshape } from '../movement/builders.js';
import { channelAffine } from '../norm/builders.js';
import { castTo, commonFloat, moments, momentsExcept, normalizeCentered } from './batch-norm.js';

/**
 * y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² the mean and population variance over the last `k` axes of each sample, and
 * γ, β (either may be null) shaped as those axes.
 */
export function layerNormTrailing(
  x: Tensor,
  k: number,
  gamma: Tensor | null,
  beta: Tensor | null,
  eps: number,
): Tensor {
  const tail = x.shape.slice(x.rank - k);
  for (const [name, p] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const)
    if (p && !shapesEqual(p.shape, tail))
      throw new ShapeError(
        `layerNorm: ${name} ${fmtShape(p.shape)} must be ${fmtShape(tail)}, the normalized axes of ${fmtShape(x.shape)}`,
      );
  const dt = commonFloat(x, gamma, beta);
  [x, gamma, beta] = [cast(x, dt), castTo(gamma, dt), castTo(beta, dt)];
  if (hasOpListeners()) {
    const [, v, d] = momentsExcept(x, [...x.shape.keys()].slice(0, x.rank - k));
    return normalizeCentered(d, v, gamma, beta, eps);
  }
  const D = tail.reduce((a, b) => a * b, 1);
  const R = D === 0 ? 0 : x.size / D;
  const x2 = reshape(x, [R, D]);
  const { mean: mu, variance } = moments(x2, 1);
  let y = channelAffine(x2, mu, div(1, sqrt(add(variance, eps))), zeros([R], { dtype: x.dtype }), 0);
  if (gamma || beta) {
    const vec = (p: Tensor | null, fill: typeof ones) =>
      p ? reshape(p, [D]) : fill([D], { dtype: x.dtype });
    y = channelAffine(y, zeros([D], { dtype: x.dtype }), vec(gamma, ones), vec(beta, zeros), 1);
  }
  return reshape(y, x.shape);
}
