// Activations as compositions of primitives (Keras definitions).
import { ShapeError } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import {
  abs,
  add,
  clipByValue,
  div,
  erf,
  exp,
  greater,
  log,
  maximum,
  minimum,
  mul,
  relu,
  sigmoid,
  softplus,
  sqrt,
  sub,
  tanh,
  where,
} from '../elementwise/builders.js';
import { reshape, split } from '../movement/builders.js';
import { logSoftmaxFused, max, sum } from '../reduce/builders.js';
import { noGrad } from '../../core/tape.js';
import { normAxis } from '../../core/shape.js';
import { isFloat } from '../../core/dtype.js';
import { fusedAllowed } from './window.js';

/** softmax(x)ᵢ = exp(xᵢ - logΣexp(x)) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'softmax', 'x');
  if (x.rank === 0) return reshape(softmax(reshape(x, [1]), scalarAxis(axis, 'softmax')), []);
  return exp(logSoftmax(x, normAxis(axis, x.rank, 'softmax')));
}
/**
 * NOTE: a scalar is a row of one, as in PyTorch (softmax 1, log softmax 0): axis 0 or -1 only, as PyTorch's
 * "Dimension out of range (expected to be in range of [-1, 0])".
 */
function scalarAxis(axis: number, op: string): number {
  if (axis !== 0 && axis !== -1)
    throw new ShapeError(`${op}: axis ${axis} is out of range for a scalar (expected -1 or 0)`);
  return 0;
}
/**
 * log softmax = x - logΣexp(x), computed stably as (x − m) − log Σ exp(x − m), m the row's maximum (held constant).
 * NOTE: as the logSoftmaxFused row (one pass per row) unless ops are traced: traces show this composition, with
 * the same values up to rounding (the row sums in f64 and rounds logΣexp once). A row with a NaN or a +∞ is NaN
 * throughout, as PyTorch's (∞ − ∞ has no value): the shift is the raw maximum, not logSumExp's finite one.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'logSoftmax', 'x');
  if (x.rank === 0) return reshape(logSoftmax(reshape(x, [1]), scalarAxis(axis, 'logSoftmax')), []);
  const a = normAxis(axis, x.rank, 'logSoftmax');
  if (x.rank > 0 && isFloat(x.dtype) && fusedAllowed()) return logSoftmaxFused(x, a);
  // NOTE: the max is an op on x, not a tensor of its numbers, so a trace (ONNX export) computes it from its input
  const z = sub(x, noGrad(() => max(x, a, true)).detach());
  return sub(z, log(sum(exp(z), a, true)));
}

export const elu = (x: Tensor, alpha = 1): Tensor =>
  where(greater(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
export const selu = (x: Tensor): Tensor => mul(elu(x, SELU_ALPHA), SELU_SCALE);
/** log(1 + eˣ): the softplus row (stable, accurate for very negative x, softplus'(x) = σ(x) everywhere). */
export { softplus };
export const softsign = (x: Tensor): Tensor => div(x, add(abs(x), 1));
/**
 * x clipped to [lo, hi] with gradient 0 at lo and hi, as PyTorch's hardtanh/relu6/hardsigmoid and TF's Relu6: the
 * bound is the first operand, which takes ties (clipByValue passes the gradient there, as TF's clip_by_value).
 * NOTE: NaN stays NaN (maximum and minimum propagate it).
 */
const clampKinksFlat = (x: Tensor, lo: number, hi: number): Tensor => maximum(lo, minimum(hi, x));
/**
 * Keras 3 hard_sigmoid: relu6(x + 3) / 6 (gradient 0 at ±3, as PyTorch and JAX). NOTE: Keras 2 and TF.js use
 * clip(0.2x + 0.5, 0, 1), whose tie rule is clip_by_value's.
 */
export const hardSigmoid = (x: Tensor, keras2 = false): Tensor =>
  keras2 ? clipByValue(add(mul(x, 0.2), 0.5), 0, 1) : div(relu6(add(x, 3)), 6);
export const swish = (x: Tensor): Tensor => mul(x, sigmoid(x));
export const silu = swish;
/** GELU; exact (erf) by default as Keras, or the tanh approximation. */
export const gelu = (x: Tensor, approximate = false): Tensor =>
  approximate
    ? mul(mul(x, 0.5), add(tanh(mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI))), 1))
    : mul(mul(x, 0.5), add(erf(div(x, Math.SQRT2)), 1));
/** min(max(x, 0), 6). NOTE: relu6'(0) = relu6'(6) = 0, as relu'(0) (PyTorch, TF). */
export const relu6 = (x: Tensor): Tensor => clampKinksFlat(x, 0, 6);
export const leakyRelu = (x: Tensor, alpha = 0.2): Tensor => where(greater(x, 0), x, mul(x, alpha));
export const mish = (x: Tensor): Tensor => mul(x, tanh(softplus(x)));
export const linear = (x: Tensor): Tensor => x;
export const exponential = (x: Tensor): Tensor => exp(x);
/** Keras ReLU layer: max_value, negative_slope, threshold. */
export function reluAdvanced(
  x: Tensor,
  opts: { maxValue?: number | null; negativeSlope?: number; threshold?: number } = {},
): Tensor {
  checkOptions('reluAdvanced', opts, ['maxValue', 'negativeSlope', 'threshold']);
  const { maxValue = null, negativeSlope = 0, threshold = 0 } = opts;
  let y = where(greater(x, threshold), x, negativeSlope ? mul(sub(x, threshold), negativeSlope) : mul(x, 0));
  if (maxValue !== null) y = minimum(y, maxValue);
  return y;
}
export const thresholdedRelu = (x: Tensor, theta = 1): Tensor => where(greater(x, theta), x, mul(x, 0));

// Keras 3 additions.
/** hard_silu / hard_swish: x · hard_sigmoid(x) (Keras 3's relu6(x+3)/6). */
export const hardSilu = (x: Tensor): Tensor => mul(x, hardSigmoid(x));
/**
 * celu(x) = max(0, x) + α(exp(min(x, 0)/α) − 1) (= max(0, x) + min(0, α(exp(x/α) − 1)), the same bits).
 * NOTE: exp of min(x, 0), not of x, as elu: exp(x/α) overflows past x ≈ 88.7·α, and the vjp of the masked branch
 * then multiplied 0 by Inf (a NaN gradient where PyTorch's is 1).
 */
export const celu = (x: Tensor, alpha = 1): Tensor =>
  add(relu(x), mul(sub(exp(div(minimum(x, 0), alpha)), 1), alpha));
/** clip(x, −1, 1). NOTE: gradient 0 at ±1, as PyTorch's hardtanh. */
export const hardTanh = (x: Tensor): Tensor => clampKinksFlat(x, -1, 1);
/** log σ(x) = −softplus(−x). */
export const logSigmoid = (x: Tensor): Tensor => mul(softplus(mul(x, -1)), -1);
export const softShrink = (x: Tensor, threshold = 0.5): Tensor =>
  where(
    greater(x, threshold),
    sub(x, threshold),
    where(greater(mul(x, -1), threshold), add(x, threshold), mul(x, 0)),
  );
export const hardShrink = (x: Tensor, threshold = 0.5): Tensor =>
  where(greater(abs(x), threshold), x, mul(x, 0));
export const tanhShrink = (x: Tensor): Tensor => sub(x, tanh(x));
/** squareplus(x) = (x + √(x² + b)) / 2. */
export const squareplus = (x: Tensor, b = 4): Tensor => div(add(x, sqrt(add(mul(x, x), b))), 2);
/** sparse_plus: 0 for x ≤ −1, x for x ≥ 1, (x+1)²/4 between. */
export const sparsePlus = (x: Tensor): Tensor =>
  where(greater(x, -1), where(greater(x, 1), x, div(mul(add(x, 1), add(x, 1)), 4)), mul(x, 0));
/** glu: split the last axis in halves a, b → a · σ(b). */
export function glu(x: Tensor, axis = -1): Tensor {
  const [a, b] = split(x, 2, axis);
  return mul(a, sigmoid(b));
}
