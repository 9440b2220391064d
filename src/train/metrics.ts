// Keras metrics: accuracy family, top-k, precision/recall, and every loss usable as a metric.
// NOTE: every metric returns a scalar Tensor (the prediction dtype) computed under noGrad, so it never joins the
// tape; call `.item()` for a number. Batch metrics are plain means, as Keras's per-batch values; precision and recall
// also have a state (`metricState`) that fit and evaluate sum over batches, as Keras's stateful metrics.
import { isFloat } from '../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import { noGrad } from '../core/tape.js';
import { type Tensor, assertTensor, scalar } from '../core/tensor.js';
import { neg } from '../ops/elementwise/builders.js';
import {
  type LossFn,
  binaryCrossentropy,
  categoricalCrossentropy,
  cosineSimilarity as cosineSimilarityLoss,
  getLoss,
  meanAbsoluteError,
  meanSquaredError,
  sparseCategoricalCrossentropy,
} from './losses.js';

/** A metric: (targets, predictions) → scalar tensor. */
export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

const outDtype = (yPred: Tensor) => (isFloat(yPred.dtype) ? yPred.dtype : 'float32');
const fraction = (hits: number, n: number, yPred: Tensor): Tensor =>
  scalar(n ? hits / n : 0, outDtype(yPred));

/** Both arguments are Tensors (a plain array is refused naming the call). */
function tensors(yTrue: unknown, yPred: unknown, op: string): void {
  assertTensor(yTrue, op, 'yTrue (the targets, 1st argument)');
  assertTensor(yPred, op, 'yPred (the predictions, 2nd argument)');
}

/** Targets with the predictions' shape (a trailing axis of size 1 may be missing on either side). */
function sameShape(yTrue: Tensor, yPred: Tensor, op: string): void {
  tensors(yTrue, yPred, op);
  const a = yTrue.shape;
  const b = yPred.shape;
  const ok =
    shapesEqual(a, b) ||
    (a.length === b.length - 1 && b[b.length - 1] === 1 && shapesEqual(a, b.slice(0, -1))) ||
    (a.length === b.length + 1 && a[a.length - 1] === 1 && shapesEqual(a.slice(0, -1), b));
  if (!ok)
    throw new ShapeError(`${op}: targets ${fmtShape(a)} and predictions ${fmtShape(b)} differ in shape`);
}

/** Index of the first maximum of each row of the last axis (TF argmax tie rule). */
function rowArgmax(t: Tensor): Int32Array {
  const c = t.shape[t.rank - 1];
  const rows = c ? t.size / c : 0;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (t.data[r * c + j] > t.data[r * c + best]) best = j;
    out[r] = best;
  }
  return out;
}

function classAxis(yPred: Tensor, op: string): number {
  if (yPred.rank < 1 || yPred.shape[yPred.rank - 1] < 1)
    throw new ShapeError(`${op}: predictions ${fmtShape(yPred.shape)} need a non-empty class axis last`);
  return yPred.shape[yPred.rank - 1];
}

/** Sparse labels: the predictions' shape without the class axis, or with a trailing 1. */
function sparseLabels(labels: Tensor, yPred: Tensor, op: string): ArrayLike<number> {
  const lead = yPred.shape.slice(0, -1);
  const ok =
    shapesEqual(labels.shape, lead) ||
    (labels.rank === yPred.rank &&
      labels.shape[labels.rank - 1] === 1 &&
      shapesEqual(labels.shape.slice(0, -1), lead));
  if (!ok)
    throw new ShapeError(
      `${op}: labels ${fmtShape(labels.shape)} must have shape ${fmtShape(lead)} (predictions ${fmtShape(yPred.shape)} without the class axis)`,
    );
  return labels.data;
}

/** Fraction of elements where (ŷ > threshold) equals y (targets 0/1). */
export function binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  sameShape(yTrue, yPred, 'binaryAccuracy');
  let hits = 0;
  for (let i = 0; i < yPred.size; i++) if ((yPred.data[i] > threshold ? 1 : 0) === yTrue.data[i]) hits++;
  return fraction(hits, yPred.size, yPred);
}

/** Fraction of rows where argmax(ŷ) = argmax(y) (one-hot targets). */
export function categoricalAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  tensors(yTrue, yPred, 'categoricalAccuracy');
  classAxis(yPred, 'categoricalAccuracy');
  if (!shapesEqual(yTrue.shape, yPred.shape))
    throw new ShapeError(
      `categoricalAccuracy: one-hot targets ${fmtShape(yTrue.shape)} must match predictions ${fmtShape(yPred.shape)}`,
    );
  const a = rowArgmax(yTrue);
  const b = rowArgmax(yPred);
  let hits = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) hits++;
  return fraction(hits, a.length, yPred);
}

/** Fraction of rows where argmax(ŷ) equals the integer label. */
export function sparseCategoricalAccuracy(labels: Tensor, yPred: Tensor): Tensor {
  tensors(labels, yPred, 'sparseCategoricalAccuracy');
  classAxis(yPred, 'sparseCategoricalAccuracy');
  const l = sparseLabels(labels, yPred, 'sparseCategoricalAccuracy');
  const b = rowArgmax(yPred);
  let hits = 0;
  for (let i = 0; i < b.length; i++) if (l[i] === b[i]) hits++;
  return fraction(hits, b.length, yPred);
}

/** TF `in_top_k`: the target's score is finite and fewer than k classes score strictly higher (ties count in). */
function inTopK(yPred: Tensor, row: number, target: number, k: number): boolean {
  const c = yPred.shape[yPred.rank - 1];
  if (!(target >= 0 && target < c && Number.isInteger(target))) return false;
  const v = yPred.data[row * c + target];
  if (!Number.isFinite(v)) return false;
  let above = 0;
  for (let j = 0; j < c; j++) if (yPred.data[row * c + j] > v) above++;
  return above < k;
}

function checkK(k: number, op: string): void {
  if (!Number.isInteger(k) || k < 1) throw new ValueError(`${op}: k must be a positive integer, got ${k}`);
}

/** Fraction of rows whose target class (argmax of the one-hot y) is among the k highest predictions (default 5). */
export function topKCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, k = 5): Tensor {
  checkK(k, 'topKCategoricalAccuracy');
  tensors(yTrue, yPred, 'topKCategoricalAccuracy');
  classAxis(yPred, 'topKCategoricalAccuracy');
  if (!shapesEqual(yTrue.shape, yPred.shape))
    throw new ShapeError(
      `topKCategoricalAccuracy: one-hot targets ${fmtShape(yTrue.shape)} must match predictions ${fmtShape(yPred.shape)}`,
    );
  const t = rowArgmax(yTrue);
  let hits = 0;
  for (let r = 0; r < t.length; r++) if (inTopK(yPred, r, t[r], k)) hits++;
  return fraction(hits, t.length, yPred);
}

/** Fraction of rows whose integer label is among the k highest predictions (default 5). */
export function sparseTopKCategoricalAccuracy(labels: Tensor, yPred: Tensor, k = 5): Tensor {
  checkK(k, 'sparseTopKCategoricalAccuracy');
  tensors(labels, yPred, 'sparseTopKCategoricalAccuracy');
  const c = classAxis(yPred, 'sparseTopKCategoricalAccuracy');
  const l = sparseLabels(labels, yPred, 'sparseTopKCategoricalAccuracy');
  const rows = yPred.size / c;
  let hits = 0;
  for (let r = 0; r < rows; r++) if (inTopK(yPred, r, l[r], k)) hits++;
  return fraction(hits, rows, yPred);
}

/** Which accuracy Keras's 'accuracy' string means for these shapes. */
export function accuracyKind(yTrue: Tensor, yPred: Tensor): 'binary' | 'sparse' | 'categorical' {
  const lastT = yTrue.shape[yTrue.rank - 1];
  const lastP = yPred.shape[yPred.rank - 1];
  // NOTE: rank-0/1 predictions (one score per sample) are binary too; Keras 2 would take argmax over the batch.
  if (yPred.rank <= 1 || lastP === 1) return 'binary';
  if (yTrue.rank < yPred.rank || (lastT === 1 && lastP > 1)) return 'sparse';
  return 'categorical';
}

/**
 * Keras's 'accuracy': binary when the predictions have one column, sparse categorical when the targets have a
 * lower rank (or one column against several), categorical otherwise.
 */
export function accuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  tensors(yTrue, yPred, 'accuracy');
  const kind = accuracyKind(yTrue, yPred);
  return kind === 'binary'
    ? binaryAccuracy(yTrue, yPred)
    : kind === 'sparse'
      ? sparseCategoricalAccuracy(yTrue, yPred)
      : categoricalAccuracy(yTrue, yPred);
}

/** Counts of (ŷ > threshold, y = 1) combinations for precision and recall. */
function confusion(yTrue: Tensor, yPred: Tensor, threshold: number, op: string) {
  sameShape(yTrue, yPred, op);
  let tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < yPred.size; i++) {
    const p = yPred.data[i] > threshold;
    const t = yTrue.data[i] === 1;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn };
}

/** Binary precision tp / (tp + fp) at `threshold` (0 when nothing is predicted positive, as TF.js). */
export function precision(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  const { tp, fp } = confusion(yTrue, yPred, threshold, 'precision');
  return fraction(tp, tp + fp, yPred);
}

/** Binary recall tp / (tp + fn) at `threshold` (0 when there are no positives, as TF.js). */
export function recall(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  const { tp, fn } = confusion(yTrue, yPred, threshold, 'recall');
  return fraction(tp, tp + fn, yPred);
}

/**
 * A metric Keras keeps as state (its `Precision`, `Recall`): `counts` of one batch, summed over the batches of an
 * epoch or an evaluation, and `result` of the sums. Its value does not depend on the batch size, which a mean of
 * per-batch values would.
 */
export interface MetricState {
  counts(yTrue: Tensor, yPred: Tensor): number[];
  result(counts: readonly number[]): number;
}
const ratio = (a: number, b: number): number => (b ? a / b : 0);
const STATES = new Map<MetricFn, MetricState>([
  [
    precision,
    {
      counts: (t, p) => {
        const c = confusion(t, p, 0.5, 'precision');
        return [c.tp, c.fp];
      },
      result: ([tp, fp]) => ratio(tp, tp + fp),
    },
  ],
  [
    recall,
    {
      counts: (t, p) => {
        const c = confusion(t, p, 0.5, 'recall');
        return [c.tp, c.fn];
      },
      result: ([tp, fn]) => ratio(tp, tp + fn),
    },
  ],
]);
/** The state of a metric fit and evaluate accumulate over batches (precision, recall); undefined for a mean metric. */
export const metricState = (fn: MetricFn): MetricState | undefined => STATES.get(fn);

/** A loss run as a metric: not recorded, result detached. */
function asMetric(f: LossFn): MetricFn {
  const m: MetricFn = (t, p) => noGrad(() => f(t, p)).detach();
  return Object.defineProperty(m, 'name', { value: f.name });
}

/** mean((ŷ − y)²) as a metric. */
export const mse: MetricFn = asMetric(meanSquaredError);
/** mean(|ŷ − y|) as a metric. */
export const mae: MetricFn = asMetric(meanAbsoluteError);
export { mse as meanSquaredError, mae as meanAbsoluteError };

/**
 * Keras's cosine_similarity metric: +Σ ŷ/‖ŷ‖ · y/‖y‖ over the last axis, averaged (1 when aligned). The loss of the
 * same name is its negative; TF.js's 'cosineProximity' keeps the loss's sign.
 */
export function cosineSimilarity(yTrue: Tensor, yPred: Tensor): Tensor {
  return noGrad(() => neg(cosineSimilarityLoss(yTrue, yPred))).detach();
}

/** Keras 'crossentropy' / 'ce': binary, sparse or categorical cross-entropy of probabilities, by the accuracy rule. */
export function crossentropy(yTrue: Tensor, yPred: Tensor): Tensor {
  tensors(yTrue, yPred, 'crossentropy');
  const kind = accuracyKind(yTrue, yPred);
  const f =
    kind === 'binary'
      ? binaryCrossentropy
      : kind === 'sparse'
        ? sparseCategoricalCrossentropy
        : categoricalCrossentropy;
  return noGrad(() => f(yTrue, yPred)).detach();
}

const METRICS: Record<string, MetricFn> = {
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  topKCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  precision,
  recall,
  crossentropy,
  cosineSimilarity,
};
const ALIASES: Record<string, string> = {
  acc: 'accuracy',
  ce: 'crossentropy',
  sparsetopk: 'sparseTopKCategoricalAccuracy',
  topk: 'topKCategoricalAccuracy',
};
const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

/**
 * A metric from a Keras/TF.js name ('accuracy'/'acc', 'binary_accuracy', 'categoricalAccuracy',
 * 'sparse_categorical_accuracy', 'top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy', 'precision',
 * 'recall', 'crossentropy', 'cosine_similarity', and every loss name such as 'mse' or 'mae') or a function
 * (returned as is).
 * @example getMetric('acc')(labels, probs).item()
 */
export function getMetric(nameOrFn: string | MetricFn): MetricFn {
  if (typeof nameOrFn === 'function') return nameOrFn;
  if (typeof nameOrFn !== 'string')
    throw new ValueError(`getMetric: expected a metric name or function, got ${String(nameOrFn)}`);
  const key = norm(nameOrFn);
  const hit = Object.keys(METRICS).find(
    (k) => norm(k) === (Object.hasOwn(ALIASES, key) ? norm(ALIASES[key]) : key),
  );
  if (hit) return METRICS[hit];
  try {
    return asMetric(getLoss(nameOrFn));
  } catch {
    throw new ValueError(
      `getMetric: unknown metric '${nameOrFn}'; valid names: ${[...Object.keys(METRICS), ...Object.keys(ALIASES)].join(', ')}, ` +
        `or any loss name (mse, mae, binaryCrossentropy, ...), or pass a function (yTrue, yPred) => Tensor`,
    );
  }
}
