// Keras losses with TF.js names, (yTrue, yPred) argument order, each reduced to a scalar mean over the batch.
import { isFloat } from '../core/dtype.js';
import { DTypeError, ShapeError, ValueError, describeValue, fmtShape } from '../core/errors.js';
import { checkOptions, checkOptionsObject } from '../core/options.js';
import { shapesEqual } from '../core/shape.js';
import { type Tensor, assertTensor } from '../core/tensor.js';
import {
  abs,
  add,
  cast,
  clipByValue,
  div,
  log,
  maximum,
  minimum,
  mul,
  neg,
  relu,
  sqrt,
  square,
  sub,
} from '../ops/elementwise/builders.js';
import { max, mean, sum } from '../ops/reduce/builders.js';
import { reshape } from '../ops/movement/builders.js';
import { logSoftmax, softplus } from '../ops/composite/activations.js';
import { classIndices, oneHot } from '../ops/composite/losses.js';
import { crossEntropy } from '../ops/composite/cross-entropy.js';

/** A loss: (targets, predictions) → scalar tensor. */
export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/** Keras `backend.epsilon()`: probabilities are clipped into [ε, 1-ε] before taking logs. */
export const EPSILON = 1e-7;

export interface CrossentropyOptions {
  /** Predictions are unnormalised logits rather than probabilities (default false). */
  fromLogits?: boolean;
  /** Mix the targets with the uniform distribution: y ← y(1-s) + s/C (binary: s/2). */
  labelSmoothing?: number;
}

const CE_KEYS = ['fromLogits', 'labelSmoothing'] as const;

/** Both arguments are Tensors and the predictions are float. */
function predDtype(yTrue: unknown, yPred: Tensor, op: string): void {
  assertTensor(yTrue, op, 'yTrue (the targets, 1st argument)');
  assertTensor(yPred, op, 'yPred (the predictions, 2nd argument)');
  if (!isFloat(yPred.dtype))
    throw new DTypeError(`${op}: predictions must be float32 or float64, got ${yPred.dtype}`);
}

/**
 * Targets cast to the prediction dtype and brought to its shape (Keras squeeze-or-expand: a trailing axis of
 * size 1 may be missing on either side).
 */
function align(yTrue: Tensor, yPred: Tensor, op: string): Tensor {
  predDtype(yTrue, yPred, op);
  const t = cast(yTrue, yPred.dtype);
  if (shapesEqual(t.shape, yPred.shape)) return t;
  const p = yPred.shape;
  const missing = t.rank === p.length - 1 && p[p.length - 1] === 1 && shapesEqual(t.shape, p.slice(0, -1));
  const extra = t.rank === p.length + 1 && t.shape[t.rank - 1] === 1 && shapesEqual(t.shape.slice(0, -1), p);
  if (!missing && !extra)
    throw new ShapeError(
      `${op}: targets ${fmtShape(yTrue.shape)} and predictions ${fmtShape(yPred.shape)} differ in shape`,
    );
  return reshape(t, p);
}

function smoothing(s: number | undefined, op: string): number {
  const v = s ?? 0;
  if (!(v >= 0 && v <= 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${v}`);
  return v;
}

/**
 * Keras categorical cross-entropy, −Σ y·log p over the last axis, averaged over the rest.
 * Probabilities are renormalised to sum to 1 and clipped into [1e-7, 1-1e-7]; logits go through log-softmax.
 * @example categoricalCrossentropy(oneHotTargets, logits, { fromLogits: true })
 */
export function categoricalCrossentropy(
  yTrue: Tensor,
  yPred: Tensor,
  opts: CrossentropyOptions = {},
): Tensor {
  const op = 'categoricalCrossentropy';
  checkOptionsObject(op, opts, CE_KEYS, { what: 'options (the 3rd argument)' });
  predDtype(yTrue, yPred, op);
  if (yPred.rank < 1 || !shapesEqual(yTrue.shape, yPred.shape))
    throw new ShapeError(
      `${op}: targets ${fmtShape(yTrue.shape)} must be one-hot/probability rows of the predictions' shape ${fmtShape(yPred.shape)} (use sparseCategoricalCrossentropy for class indices)`,
    );
  let y = cast(yTrue, yPred.dtype);
  const ls = smoothing(opts.labelSmoothing, op);
  const c = yPred.shape[yPred.rank - 1];
  // y ← y(1-s) + s/C
  if (ls) y = add(mul(y, 1 - ls), ls / c);
  const axis = yPred.rank - 1;
  if (opts.fromLogits) return neg(mean(sum(mul(y, logSoftmax(yPred, axis)), axis)));
  // p ← clip(p / Σp, ε, 1-ε);  loss = −Σ y·log p
  const p = clipByValue(div(yPred, sum(yPred, axis, true)), EPSILON, 1 - EPSILON);
  return neg(mean(sum(mul(y, log(p)), axis)));
}

/**
 * Keras sparse categorical cross-entropy: integer class labels (shape of the predictions without the class axis,
 * or with a trailing 1) against class scores on the last axis. Same clipping as categoricalCrossentropy.
 */
export function sparseCategoricalCrossentropy(
  labels: Tensor,
  yPred: Tensor,
  opts: { fromLogits?: boolean } = {},
): Tensor {
  const op = 'sparseCategoricalCrossentropy';
  // NOTE: Keras's sparse crossentropy has no label smoothing
  checkOptionsObject(op, opts, ['fromLogits'], { what: 'options (the 3rd argument)' });
  predDtype(labels, yPred, op);
  const lead = yPred.shape.slice(0, -1);
  let l = labels;
  if (l.rank === yPred.rank && l.shape[l.rank - 1] === 1) l = reshape(l, lead);
  if (yPred.rank < 1 || !shapesEqual(l.shape, lead))
    throw new ShapeError(
      `${op}: labels ${fmtShape(labels.shape)} must have shape ${fmtShape(lead)} (the predictions ${fmtShape(yPred.shape)} without the class axis)`,
    );
  // NOTE: Keras has no ignored class: every label must be a class index, on both paths (crossEntropy below would
  // otherwise skip PyTorch's ignoreIndex -100).
  classIndices(reshape(l, [-1]), l.size, yPred.shape[yPred.rank - 1], op);
  if (opts.fromLogits && yPred.rank >= 2) {
    // NOTE: −log softmax at each label, by `take` (ops/composite/cross-entropy.ts): the numbers of the one-hot sum below
    // (a label's term plus exact zeros), in ~7 fewer ops a step forward and back, and finite where another class's
    // log-probability is -Inf (0 · -Inf is NaN in the one-hot sum). Class axis last, as Keras: rows [M, C].
    const c = yPred.shape[yPred.rank - 1];
    try {
      return yPred.rank === 2
        ? crossEntropy(yPred, l)
        : crossEntropy(reshape(yPred, [-1, c]), reshape(l, [-1]));
    } catch (e) {
      // the label checks speak of the function the caller called
      const from = 'crossEntropy:';
      if (e instanceof Error && e.message.startsWith(from))
        e.message = `${op}:${e.message.slice(from.length)}`;
      throw e;
    }
  }
  const hot = cast(oneHot(l, yPred.shape[yPred.rank - 1]), yPred.dtype);
  return categoricalCrossentropy(hot, yPred, opts);
}

/**
 * Keras binary cross-entropy, averaged over all elements. Probabilities are clipped into [1e-7, 1-1e-7];
 * logits use (1 − y)·softplus(x) + y·softplus(−x) (= softplus(x) − x·y, stable, gradient σ(x) − y everywhere).
 */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, opts: CrossentropyOptions = {}): Tensor {
  const op = 'binaryCrossentropy';
  checkOptionsObject(op, opts, CE_KEYS, { what: 'options (the 3rd argument)' });
  let y = align(yTrue, yPred, op);
  const ls = smoothing(opts.labelSmoothing, op);
  // y ← y(1-s) + s/2
  if (ls) y = add(mul(y, 1 - ls), ls / 2);
  if (opts.fromLogits) {
    const x = yPred;
    // softplus(x) − x·y as (1 − y)·softplus(x) + y·softplus(−x): no cancellation (for y in [0, 1] two terms ≥ 0), and
    // the gradient σ(x) − y everywhere (relu(x) + softplus(−|x|) had kinks at 0: −y there instead of ½ − y)
    return mean(add(mul(sub(1, y), softplus(x)), mul(y, softplus(neg(x)))));
  }
  // −(y·log p + (1−y)·log(1−p)), p clipped
  const p = clipByValue(yPred, EPSILON, 1 - EPSILON);
  return neg(mean(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))))));
}

/** mean((ŷ − y)²). */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  return mean(square(sub(yPred, align(yTrue, yPred, 'meanSquaredError'))));
}

/** mean(|ŷ − y|). */
export function meanAbsoluteError(yTrue: Tensor, yPred: Tensor): Tensor {
  return mean(abs(sub(yPred, align(yTrue, yPred, 'meanAbsoluteError'))));
}

/** 100 · mean(|y − ŷ| / max(|y|, ε)). */
export function meanAbsolutePercentageError(yTrue: Tensor, yPred: Tensor): Tensor {
  const y = align(yTrue, yPred, 'meanAbsolutePercentageError');
  return mul(mean(div(abs(sub(y, yPred)), maximum(abs(y), EPSILON))), 100);
}

/** mean((log(max(ŷ,ε) + 1) − log(max(y,ε) + 1))²). */
export function meanSquaredLogarithmicError(yTrue: Tensor, yPred: Tensor): Tensor {
  const y = align(yTrue, yPred, 'meanSquaredLogarithmicError');
  const lp = log(add(maximum(yPred, EPSILON), 1));
  const lt = log(add(maximum(y, EPSILON), 1));
  return mean(square(sub(lp, lt)));
}

/** Keras Huber: ½e² where |e| ≤ δ, else δ|e| − ½δ²; averaged. `delta` may be a number or `{ delta }` (default 1). */
export function huber(yTrue: Tensor, yPred: Tensor, delta: number | { delta?: number } = 1): Tensor {
  if (typeof delta !== 'number' && (delta === null || typeof delta !== 'object'))
    throw new ValueError(
      `huber: delta (the 3rd argument) must be a number or { delta }, got ${describeValue(delta)}`,
    );
  if (typeof delta === 'object') checkOptions('huber', delta, ['delta']);
  const d = typeof delta === 'number' ? delta : (delta.delta ?? 1);
  if (!(d > 0)) throw new ValueError(`huber: delta must be positive, got ${d}`);
  const e = abs(sub(yPred, align(yTrue, yPred, 'huber')));
  // with q = min(|e|, δ): ½q² + δ(|e| − q)
  const q = minimum(e, d);
  return mean(add(mul(square(q), 0.5), mul(sub(e, q), d)));
}

/** Keras log-cosh: log(cosh(e)) = e + softplus(−2e) − log 2, averaged. */
export function logcosh(yTrue: Tensor, yPred: Tensor): Tensor {
  const e = sub(yPred, align(yTrue, yPred, 'logcosh'));
  return mean(sub(add(e, softplus(mul(e, -2))), Math.LN2));
}

/** Keras maps {0, 1} targets to {−1, 1} for the hinge losses. */
function hingeTargets(yTrue: Tensor, yPred: Tensor, op: string): Tensor {
  const y = align(yTrue, yPred, op);
  const binary = Array.prototype.every.call(y.data, (v: number) => v === 0 || v === 1);
  return binary ? sub(mul(y, 2), 1) : y;
}

/** mean(max(1 − y·ŷ, 0)) with y in {−1, 1} (or {0, 1}, converted). */
export function hinge(yTrue: Tensor, yPred: Tensor): Tensor {
  return mean(relu(sub(1, mul(hingeTargets(yTrue, yPred, 'hinge'), yPred))));
}

/** mean(max(1 − y·ŷ, 0)²) with y in {−1, 1} (or {0, 1}, converted). */
export function squaredHinge(yTrue: Tensor, yPred: Tensor): Tensor {
  return mean(square(relu(sub(1, mul(hingeTargets(yTrue, yPred, 'squaredHinge'), yPred)))));
}

/** Keras categorical hinge: max(maxᵢ (1−y)ŷ − Σ y·ŷ + 1, 0) per row, averaged. */
export function categoricalHinge(yTrue: Tensor, yPred: Tensor): Tensor {
  const y = align(yTrue, yPred, 'categoricalHinge');
  const axis = yPred.rank - 1;
  const pos = sum(mul(y, yPred), axis);
  const negv = max(mul(sub(1, y), yPred), axis);
  return mean(relu(add(sub(negv, pos), 1)));
}

/** Σ y·log(y/ŷ) over the last axis (both clipped into [ε, 1]), averaged. */
export function kullbackLeiblerDivergence(yTrue: Tensor, yPred: Tensor): Tensor {
  const y = clipByValue(align(yTrue, yPred, 'kullbackLeiblerDivergence'), EPSILON, 1);
  const p = clipByValue(yPred, EPSILON, 1);
  return mean(sum(mul(y, log(div(y, p))), yPred.rank - 1));
}

/** mean(ŷ − y·log(ŷ + ε)). */
export function poisson(yTrue: Tensor, yPred: Tensor): Tensor {
  const y = align(yTrue, yPred, 'poisson');
  return mean(sub(yPred, mul(y, log(add(yPred, EPSILON)))));
}

/** Keras cosine-similarity loss: −Σ ŷ/‖ŷ‖ · y/‖y‖ over the last axis (norms floored at 1e-6), averaged. */
export function cosineSimilarity(yTrue: Tensor, yPred: Tensor): Tensor {
  const y = align(yTrue, yPred, 'cosineSimilarity');
  const axis = yPred.rank - 1;
  // x / √max(Σx², 1e-12)
  const unit = (x: Tensor) => div(x, sqrt(maximum(sum(square(x), axis, true), 1e-12)));
  return neg(mean(sum(mul(unit(y), unit(yPred)), axis)));
}

/** Canonical loss names → functions; lookup ignores case and underscores, so Keras snake_case works too. */
const LOSSES: Record<string, LossFn> = {
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  binaryCrossentropy,
  meanSquaredError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredLogarithmicError,
  huber,
  logcosh,
  hinge,
  squaredHinge,
  categoricalHinge,
  kullbackLeiblerDivergence,
  poisson,
  cosineSimilarity,
};
/** Short and historical aliases (Keras `mse`, `kld`, `huber_loss`, TF.js `cosineProximity`, ...). */
const ALIASES: Record<string, keyof typeof LOSSES> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError',
  kld: 'kullbackLeiblerDivergence',
  kldivergence: 'kullbackLeiblerDivergence',
  huberloss: 'huber',
  logcoshloss: 'logcosh',
  cosineproximity: 'cosineSimilarity',
};
const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();
const BY_KEY = new Map<string, keyof typeof LOSSES>([
  ...Object.keys(LOSSES).map((k) => [norm(k), k] as [string, string]),
  ...Object.entries(ALIASES),
]);

/** Options `getLoss` passes on to the losses that take them (crossentropies: fromLogits, labelSmoothing; huber: delta). */
export interface LossOptions extends CrossentropyOptions {
  delta?: number;
}

/**
 * A loss function from a Keras/TF.js name ('categoricalCrossentropy', 'categorical_crossentropy', 'mse', 'mae',
 * 'huber', Keras class names like 'BinaryCrossentropy', ...) or a function (returned as is).
 * `opts` bind options such as `{ fromLogits: true }`.
 * @example const loss = getLoss('sparse_categorical_crossentropy', { fromLogits: true }); loss(labels, logits)
 */
export function getLoss(nameOrFn: string | LossFn, opts: LossOptions = {}): LossFn {
  if (typeof nameOrFn === 'function') return nameOrFn;
  const key = typeof nameOrFn === 'string' ? BY_KEY.get(norm(nameOrFn)) : undefined;
  if (!key)
    throw new ValueError(
      `getLoss: unknown loss '${String(nameOrFn)}'; valid names: ${[...Object.keys(LOSSES), ...Object.keys(ALIASES)].join(', ')} ` +
        `(snake_case and any capitalisation also work), or pass a function (yTrue, yPred) => Tensor`,
    );
  const fn = LOSSES[key];
  // Each loss takes only its own options: anything else given here would be ignored, so it is refused.
  const known =
    key === 'huber'
      ? ['delta']
      : key === 'sparseCategoricalCrossentropy'
        ? ['fromLogits']
        : key === 'categoricalCrossentropy' || key === 'binaryCrossentropy'
          ? CE_KEYS
          : [];
  if (!known.length && Object.keys(opts ?? {}).length)
    throw new ValueError(
      `getLoss('${key}'): this loss takes no options, got ${Object.keys(opts)
        .map((k) => `'${k}'`)
        .join(', ')}`,
    );
  checkOptions(`getLoss('${key}')`, opts, known);
  let bound: LossFn;
  if (key === 'huber') bound = (t, p) => huber(t, p, opts.delta ?? 1);
  else if (key === 'categoricalCrossentropy' || key === 'binaryCrossentropy')
    bound = (t, p) => (fn as typeof binaryCrossentropy)(t, p, opts);
  else if (key === 'sparseCategoricalCrossentropy')
    bound = (t, p) => sparseCategoricalCrossentropy(t, p, opts);
  else bound = fn;
  Object.defineProperty(bound, 'name', { value: key });
  return bound;
}

/** Every canonical loss name `getLoss` knows. */
export const lossNames = (): string[] => Object.keys(LOSSES);
