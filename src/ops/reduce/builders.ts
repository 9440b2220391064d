// Reductions users call: sum, max, min, mean, variance, argmax, logSumExp.
import { normAxes, normAxis, reducedShape, sizeOf } from '../../core/shape.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { run } from '../dispatch.js';
import { abs, add, cast, div, exp, less, log, neg, square, sub, where } from '../elementwise/builders.js';
import { noGrad } from '../../core/tape.js';
import { reshape } from '../movement/builders.js';

type Axes = number | readonly number[] | null | undefined;

/** keepdims must be a boolean: an options object there ({ keepDims: true }) would read as true whatever it says. */
function checkKeep(op: string, keepdims: unknown): void {
  if (typeof keepdims !== 'boolean')
    throw new ValueError(
      `${op}: keepDims (the 3rd argument) must be true or false, got ${describeValue(keepdims)}; as TF.js: ${op}(x, axes, true)`,
    );
}

export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normAxes(axes, x.rank, 'sum');
  checkKeep('sum', keepdims);
  return run('sum', [x], { axes: ax, keepdims });
}
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normAxes(axes, x.rank, 'max');
  checkKeep('max', keepdims);
  if (ax.some((a) => x.shape[a] === 0))
    throw new ValueError(`max: cannot reduce an empty axis of a tensor of shape [${x.shape}]`);
  return run('max', [x], { axes: ax, keepdims });
}
/**
 * An order-reversing map of x: −x for floats (NaN stays NaN), ~x = −x − 1 for int32 (in wrapping arithmetic), which
 * sends −2³¹ to 2³¹ − 1 where −x would overflow back to −2³¹. Its own inverse.
 */
const flip = (x: Tensor): Tensor => (x.dtype === 'int32' ? sub(neg(x), 1) : neg(x));
export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  assertTensor(x, 'min', 'x');
  const ax = normAxes(axes, x.rank, 'min');
  checkKeep('min', keepdims);
  if (ax.some((a) => x.shape[a] === 0))
    throw new ValueError(`min: cannot reduce an empty axis of a tensor of shape [${x.shape}]`);
  return flip(max(flip(x), ax, keepdims));
}
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normAxes(axes, x.rank, 'mean');
  checkKeep('mean', keepdims);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  return div(sum(x.dtype === 'int32' ? cast(x, 'float32') : x, ax, keepdims), n);
}
/** Population variance (divide by n), as Keras and tf.moments. */
export function variance(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const m = mean(x, axes, true);
  return mean(square(sub(x, m)), axes, keepdims);
}
export function argmax(x: Tensor, axis = -1): Tensor {
  return run('argmax', [x], { axis: normAxis(axis, x.rank, 'argmax') });
}
export function argmin(x: Tensor, axis = -1): Tensor {
  assertTensor(x, 'argmin', 'x');
  const a = normAxis(axis, x.rank, 'argmin');
  if (x.shape[a] === 0)
    throw new ValueError(`argmin: axis ${a} of ${fmtShape(x.shape)} has size 0 (no minimum)`);
  return argmax(flip(x), a);
}
/** x − log Σ exp(x) along one axis as the logSoftmaxFused row (ops/composite/activations.ts `logSoftmax` calls it). */
export const logSoftmaxFused = (x: Tensor, axis: number): Tensor =>
  run('logSoftmaxFused', [x], { axis: normAxis(axis, x.rank, 'logSoftmax') });
/** g − exp(y)·Σg along `axis` as the logSoftmaxGrad row: log-softmax's gradient (y its output). */
export const logSoftmaxGrad = (g: Tensor, y: Tensor, axis: number): Tensor =>
  run('logSoftmaxGrad', [g, y], { axis: normAxis(axis, g.rank, 'logSoftmaxGrad') });
/** log Σ exp(x), stable: m + log Σ exp(x - m) with m = max (held constant: its gradient cancels). */
export function logSumExp(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normAxes(axes, x.rank, 'logSumExp');
  // NOTE: an infinite max (a row of -Inf, or a +Inf) is replaced by 0 so x - m is not NaN (log Σ exp(-Inf) = -Inf).
  const mx = max(x, ax, true);
  // NOTE: ops on the max, not a tensor of its numbers, so a trace (ONNX export) computes the shift from its input;
  // detached (held constant) and not recorded
  const m = noGrad(() => where(less(abs(mx), Infinity), mx, 0)).detach();
  const s = add(log(sum(exp(sub(x, m)), ax, true)), m);
  return keepdims ? s : reshape(s, reducedShape(x.shape, ax, false));
}
