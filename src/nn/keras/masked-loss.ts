// Masked model outputs in fit / evaluate / trainOnBatch: Keras leaves the padded steps of an output that carries a
// mask (Embedding(maskZero) → LSTM(returnSequences) → TimeDistributed(Dense), ...) out of the loss and the metrics.
// Modern Keras (tf.keras ≥ 2.11 `apply_valid_mask`, Keras 3; also standalone Keras 2.2) averages the per-step losses
// over the valid steps only: Σ(loss·m) / Σm, and weights each step's metric value by the mask.
//
// How: the targets and predictions of the valid steps are gathered into rows [valid steps, ...] and the loss runs on
// those rows. Every built-in loss is a mean of per-step values (each step holding the same number of elements), so
// its mean over the gathered rows is exactly Σ(loss·m) / Σm; the same holds for the built-in metrics. A loss or metric
// function of the user's runs on the whole [batch, time, ...] tensors: one value per step ([batch, time]) is averaged
// over the valid steps, as Keras weights it by the mask; any other result (one number for the batch, one per
// sample) cannot be weighted by step and is refused by name.
//
// Without a mask, a result that is not a scalar (one value per sample, Keras's and TF.js's custom losses) is reduced
// by its mean, as Keras's `sum_over_batch_size` and TF.js's `tfc.mean(lossFunction(...))`.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { shapesEqual } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { reshape } from '../../ops/movement/builders.js';
import { gather } from '../../ops/network/builders.js';
import { mean, sum } from '../../ops/reduce/builders.js';
import { type LossFn, type MetricFn, getMetric, lossNames } from '../../train/index.js';
import type { MetricState } from '../../train/metrics.js';
import { maskEntryOf } from './mask.js';

/** The targets and predictions of an output's valid steps, as rows, and how many there are. */
export interface ValidRows {
  yTrue: Tensor;
  yPred: Tensor;
  count: number;
  /** The mask's shape [batch, time] and the flat indices of its valid steps. */
  steps: [number, number];
  at: Tensor;
  /** The layer that made the mask, for messages. */
  source: string;
}

/** A compiled metric: its log name, the function, whether it is built in (masked-loss rows), its epoch state. */
export interface CompiledMetric {
  name: string;
  fn: MetricFn;
  maskable: boolean;
  state?: MetricState;
}

/**
 * Whether compile's loss is one whose per-step values the mask can weight: a loss name, a `tg.losses` function or a
 * `getLoss(name, options)` result (named after the loss it binds).
 */
export const maskableLoss = (l: string | LossFn): boolean =>
  typeof l === 'string' || lossNames().includes(l.name);

/** The same for a metric: a name, or a function named after a built-in metric or loss (`tg.metrics.*`). */
export function maskableMetric(m: string | MetricFn): boolean {
  if (typeof m === 'string') return true;
  if (!m.name) return false;
  try {
    getMetric(m.name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The valid steps of an output carrying a [batch, time] mask (null without a mask): both tensors flattened over
 * batch and time and gathered at the steps whose mask is not 0. `output` names the output in messages.
 */
export function validRows(yTrue: Tensor, yPred: Tensor, output: string, where: string): ValidRows | null {
  const entry = maskEntryOf(yPred);
  if (!entry) return null;
  const { mask, source } = entry;
  const [b, t] = mask.shape;
  const about = `output ${output} carries the padding mask made by ${source} (shape ${fmtShape(mask.shape)})`;
  if (yPred.rank < 3 || yPred.shape[0] !== b || yPred.shape[1] !== t)
    throw new ValueError(
      `${where}: ${about}, but its predictions ${fmtShape(yPred.shape)} are not [batch, time, ...] along it`,
    );
  if (yTrue.rank < 2 || yTrue.shape[0] !== b || yTrue.shape[1] !== t)
    throw new ShapeError(
      `${where}: ${about}: the targets must be [batch, time, ...] = [${b}, ${t}, ...] as the predictions ` +
        `${fmtShape(yPred.shape)} (padded steps included; the mask leaves them out of the loss), got ${fmtShape(yTrue.shape)}`,
    );
  const m = mask.data;
  const idx: number[] = [];
  for (let i = 0; i < b * t; i++) if (m[i] !== 0) idx.push(i);
  const at = new Tensor(Int32Array.from(idx), [idx.length]);
  const rows = (x: Tensor) => gather(reshape(x, [b * t, ...x.shape.slice(2)]), at, 0);
  return { yTrue: rows(yTrue), yPred: rows(yPred), count: idx.length, steps: [b, t], at, source };
}

/** A loss's or metric's result as a Tensor; `what` names it ("the loss function 'f'") in the error. */
function result(v: unknown, what: string, where: string): Tensor {
  if (v instanceof Tensor) return v;
  throw new ValueError(
    `${where}: ${what} returned ${typeof v === 'number' ? `the number ${v}` : typeof v}; it must return a Tensor (tg.scalar(v) for a number)`,
  );
}
/** One number from a result: a scalar as is, one value per sample (or per element) by its mean. */
const meanOf = (v: Tensor): Tensor => (v.rank === 0 ? v : mean(v));

/**
 * A user function's per-step result [batch, time] averaged over the valid steps (Σ(v·m) / Σm, as Keras weights it
 * by the mask); any other shape is refused by name. No valid step: 0, kept on the tape.
 */
function overValidSteps(
  v: Tensor,
  rows: ValidRows,
  kind: string,
  what: string,
  output: string,
  where: string,
) {
  if (!shapesEqual(v.shape, rows.steps))
    throw new ValueError(
      `${where}: output ${output} carries the padding mask made by ${rows.source}; Keras leaves the masked steps ` +
        `out of the ${kind}, which needs one value per step, but ${what} returns ` +
        `${v.rank === 0 ? 'one number for the batch' : `shape ${fmtShape(v.shape)}`}, not ${fmtShape(rows.steps)} ` +
        `[batch, time]. Return one value per step (e.g. a mean over the last axis only), use a built-in ${kind} ` +
        `(a name${kind === 'loss' ? ', or tg.losses.getLoss(name, options)' : ' or a tg.metrics function'}), or end the mask ` +
        'before the output (an RNN without returnSequences)',
    );
  const valid = gather(reshape(v, [rows.steps[0] * rows.steps[1]]), rows.at, 0);
  return rows.count ? mean(valid) : sum(valid);
}

/**
 * One output's loss: on its valid steps when it carries a mask (Σ(loss·m) / Σm), else on the whole batch; a result
 * that is not a scalar is averaged (see the top of this file).
 * NOTE: a batch whose steps are all masked has loss 0 (Keras 3 divides by Σm + ε; tf.keras 2.11+ gives NaN), kept on
 * the tape through the empty rows so backward runs and changes nothing.
 */
export function outputLoss(
  fn: LossFn,
  maskable: boolean,
  yTrue: Tensor,
  yPred: Tensor,
  rows: ValidRows | null,
  output: string,
  where: string,
): Tensor {
  const what = `the loss function '${fn.name || 'anonymous'}'`;
  if (!rows) return meanOf(result(fn(yTrue, yPred), what, where));
  if (!maskable)
    return overValidSteps(result(fn(yTrue, yPred), what, where), rows, 'loss', what, output, where);
  return rows.count ? meanOf(result(fn(rows.yTrue, rows.yPred), what, where)) : sum(rows.yPred);
}

/** One metric's value on one output, and how fit and evaluate combine it over batches. */
export interface MetricValue {
  value: number;
  /** The weight of the value when batches are averaged (null: the batch size). */
  weight: number | null;
  /** A stateful metric's counts on this batch, summed over the epoch instead. */
  state?: { state: MetricState; counts: number[] };
}

/**
 * One metric on one output: its value, and the weight it has when batches are averaged (the number of valid steps
 * for a masked output, as Keras weights metrics by the mask; null = the batch size). A stateful metric (precision,
 * recall) also gives its counts.
 */
export function outputMetric(
  m: CompiledMetric,
  yTrue: Tensor,
  yPred: Tensor,
  rows: ValidRows | null,
  output: string,
  where: string,
): MetricValue {
  const what = `the metric function '${m.name}'`;
  const num = (v: unknown) => (typeof v === 'number' ? v : meanOf(result(v, what, where)).item());
  const stateful = (t: Tensor, p: Tensor): MetricValue => {
    const counts = m.state!.counts(t, p);
    return { value: m.state!.result(counts), weight: null, state: { state: m.state!, counts } };
  };
  if (!rows) return m.state ? stateful(yTrue, yPred) : { value: num(m.fn(yTrue, yPred)), weight: null };
  if (!m.maskable) {
    const v = m.fn(yTrue, yPred);
    const value = overValidSteps(result(v, what, where), rows, 'metric', what, output, where);
    return { value: value.item(), weight: rows.count };
  }
  if (m.state) return stateful(rows.yTrue, rows.yPred);
  // NOTE: a batch with no valid step adds nothing to the epoch's value (weight 0)
  if (!rows.count) return { value: 0, weight: 0 };
  return { value: num(m.fn(rows.yTrue, rows.yPred)), weight: rows.count };
}

/** A batch's logs as fit and evaluate sum them (see `logTotals`). */
export interface BatchLogs {
  logs: Record<string, number>;
  weights: Record<string, number>;
  /** The counts of the stateful metrics, by log name. */
  states: Record<string, { state: MetricState; counts: number[] }>;
}

/**
 * Running weighted sums of batch logs over an epoch or an evaluation: each log weighted as its batch says (the batch
 * size; the valid steps for a metric on a masked output). A stateful metric sums its counts instead (Keras's
 * Precision and Recall), so its value does not depend on the batch size.
 */
export function logTotals() {
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const states: BatchLogs['states'] = {};
  return {
    add(b: BatchLogs): void {
      for (const [k, v] of Object.entries(b.logs)) {
        const w = b.weights[k];
        sums[k] = (sums[k] ?? 0) + (w ? v * w : 0);
        counts[k] = (counts[k] ?? 0) + w;
      }
      for (const [k, s] of Object.entries(b.states)) {
        const total = (states[k] ??= { state: s.state, counts: s.counts.map(() => 0) });
        s.counts.forEach((c, i) => (total.counts[i] += c));
      }
    },
    /** Each log's weighted mean (0 for a metric that had no valid step at all, as Keras's divide_no_nan). */
    means(): Record<string, number> {
      return Object.fromEntries(
        Object.entries(sums).map(([k, v]) => [
          k,
          states[k] ? states[k].state.result(states[k].counts) : counts[k] ? v / counts[k] : 0,
        ]),
      );
    },
  };
}
