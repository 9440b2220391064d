// Gradient clipping: by value, by each tensor's norm, by the global norm of a list (TF and PyTorch forms).
import { NumericsError, ValueError, describeValue } from '../core/errors.js';
import { noGrad } from '../core/tape.js';
import { Tensor, assertTensor } from '../core/tensor.js';
import { clipByValue, mul } from '../ops/elementwise/builders.js';

function checkLimit(op: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v))
    throw new ValueError(`${op}: the clipping threshold must be a positive finite number, got ${v}`);
}

function finiteNorm(op: string, n: number): void {
  if (!Number.isFinite(n))
    throw new NumericsError(
      `${op}: the gradient norm is ${n} (some gradient holds NaN or Inf); run with tg.checkNumerics(true) to find the op`,
    );
}

/** Σ x² over one tensor, accumulated in float64. */
function sumSquares(t: Tensor): number {
  let s = 0;
  const d = t.data;
  for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  return s;
}

/** √(Σᵢ ‖tᵢ‖²) over a list of tensors (TF `global_norm`), as a number. */
export function globalNorm(ts: readonly Tensor[]): number {
  return Math.sqrt(ts.reduce((s, t) => s + sumSquares(t), 0));
}

/**
 * TF `clip_by_norm`: t · c / max(‖t‖, c), so the result has L2 norm at most c. Not recorded (meant for gradients).
 * @example clipByNorm(g, 1.0)
 */
export function clipByNorm(t: Tensor, clipNorm: number): Tensor {
  assertTensor(t, 'clipByNorm', 't (the 1st argument)');
  checkLimit('clipByNorm', clipNorm);
  const n = Math.sqrt(sumSquares(t));
  finiteNorm('clipByNorm', n);
  return n <= clipNorm ? t : noGrad(() => mul(t, clipNorm / n));
}

/**
 * TF `clip_by_global_norm`: every tᵢ · c / max(G, c) with G = √(Σ‖tᵢ‖²); returns `[clipped, G]`.
 * NOTE: a non-finite G throws a NumericsError (TF would silently return NaN everywhere). Not recorded.
 */
export function clipByGlobalNorm(
  ts: readonly Tensor[],
  clipNorm: number,
  useNorm?: number,
): [Tensor[], number] {
  if (!Array.isArray(ts))
    throw new ValueError(
      `clipByGlobalNorm: expected a list of Tensors, got ${describeValue(ts)}${ts instanceof Tensor ? '; pass [t]' : ''}`,
    );
  ts.forEach((t, i) => assertTensor(t, 'clipByGlobalNorm', `tensor ${i} of the list`));
  checkLimit('clipByGlobalNorm', clipNorm);
  const g = useNorm ?? globalNorm(ts);
  finiteNorm('clipByGlobalNorm', g);
  if (g <= clipNorm) return [[...ts], g];
  return [noGrad(() => ts.map((t) => mul(t, clipNorm / g))), g];
}

/** Elementwise clip of every gradient into [-v, v] (Keras `clipvalue`). Not recorded. */
export function clipGradientsByValue(ts: readonly Tensor[], v: number): Tensor[] {
  checkLimit('clipGradientsByValue', v);
  return noGrad(() => ts.map((t) => clipByValue(t, -v, v)));
}

/**
 * PyTorch `clip_grad_norm_`: scales every `param.grad` in place by min(1, maxNorm / (N + 1e-6)) where N is the
 * total `normType` norm (2 or Infinity) of all gradients; returns N. Parameters without a gradient are skipped;
 * a non-finite N throws a NumericsError (PyTorch `error_if_nonfinite=True`).
 */
export function clipGradNorm(
  params: readonly Tensor[],
  maxNorm: number,
  normType: 2 | typeof Infinity = 2,
): number {
  checkLimit('clipGradNorm', maxNorm);
  if (normType !== 2 && normType !== Infinity)
    throw new ValueError(`clipGradNorm: normType must be 2 or Infinity, got ${normType}`);
  const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  let total = 0;
  if (normType === 2) total = globalNorm(grads);
  else for (const g of grads) for (const v of g.data) total = Math.max(total, Math.abs(v));
  finiteNorm('clipGradNorm', total);
  // NOTE: PyTorch's 1e-6 in the denominator: the clipped norm lands just under maxNorm.
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const p of params) if (p.grad) p.grad = noGrad(() => mul(p.grad!, coef));
  return total;
}

/** PyTorch `clip_grad_value_`: clamps every `param.grad` into [-v, v] in place. */
export function clipGradValue(params: readonly Tensor[], v: number): void {
  checkLimit('clipGradValue', v);
  for (const p of params) if (p.grad) p.grad = noGrad(() => clipByValue(p.grad!, -v, v));
}
