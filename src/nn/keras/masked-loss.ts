// Masked model outputs in fit / evaluate / trainOnBatch: Keras leaves the padded steps of an output that carries a
// mask (Embedding(maskZero) → LSTM(returnSequences) → TimeDistributed(Dense), ...) out of the loss and the metrics.
// Modern Keras (tf.keras ≥ 2.11 `apply_valid_mask`, Keras 3; also standalone Keras 2.2) averages the per-step losses
// over the valid steps only: Σ(loss·m) / Σm, and weights each step's metric value by the mask.
//
// How: the targets and predictions of the valid steps are gathered into rows [valid steps, ...] and the loss runs on
// those rows. Every built-in loss is a mean of per-step values (each step holding the same number of elements), so
// its mean over the gathered rows is exactly Σ(loss·m) / Σm; the same holds for the built-in metrics. A loss or metric
// function of the user's returns one number for the batch, which cannot be weighted by step: refused by name.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { reshape } from '../../ops/movement/builders.js';
import { gather } from '../../ops/network/builders.js';
import { sum } from '../../ops/reduce/builders.js';
import { type LossFn, type MetricFn, getMetric, lossNames } from '../../train/index.js';
import { maskEntryOf } from './mask.js';

/** The targets and predictions of an output's valid steps, as rows, and how many there are. */
export interface ValidRows {
  yTrue: Tensor;
  yPred: Tensor;
  count: number;
  /** The layer that made the mask, for messages. */
  source: string;
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
  return { yTrue: rows(yTrue), yPred: rows(yPred), count: idx.length, source };
}

/**
 * One output's loss: on its valid steps when it carries a mask (Σ(loss·m) / Σm), else on the whole batch.
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
  if (!rows) return fn(yTrue, yPred);
  if (!maskable)
    throw new ValueError(
      `${where}: output ${output} carries the padding mask made by ${rows.source}; Keras leaves the masked steps ` +
        `out of the loss, which needs per-step losses, but the loss function '${fn.name || 'anonymous'}' returns one ` +
        'number for the batch. Use a built-in loss (a name, or tg.losses.getLoss(name, options)), or end the mask before ' +
        'the output (an RNN without returnSequences)',
    );
  return rows.count ? fn(rows.yTrue, rows.yPred) : sum(rows.yPred);
}

/**
 * One metric on one output: its value, and the weight it has when batches are averaged (the number of valid steps
 * for a masked output, as Keras weights metrics by the mask; null = the batch size).
 */
export function outputMetric(
  m: { name: string; fn: MetricFn; maskable: boolean },
  yTrue: Tensor,
  yPred: Tensor,
  rows: ValidRows | null,
  output: string,
  where: string,
): { value: number; weight: number | null } {
  const num = (v: Tensor | number) => (v instanceof Tensor ? v.item() : Number(v));
  if (!rows) return { value: num(m.fn(yTrue, yPred)), weight: null };
  if (!m.maskable)
    throw new ValueError(
      `${where}: output ${output} carries the padding mask made by ${rows.source}; Keras leaves the masked steps ` +
        `out of metrics too, but the metric function '${m.name}' returns one number for the batch. Use a built-in ` +
        'metric (a name or a tg.metrics function), or end the mask before the output',
    );
  // NOTE: a batch with no valid step adds nothing to the epoch's value (weight 0)
  if (!rows.count) return { value: 0, weight: 0 };
  return { value: num(m.fn(rows.yTrue, rows.yPred)), weight: rows.count };
}

/**
 * Running weighted sums of batch logs over an epoch or an evaluation: each log weighted as its batch says (the batch
 * size; the valid steps for a metric on a masked output).
 */
export function logTotals() {
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  return {
    add(b: { logs: Record<string, number>; weights: Record<string, number> }): void {
      for (const [k, v] of Object.entries(b.logs)) {
        const w = b.weights[k];
        sums[k] = (sums[k] ?? 0) + (w ? v * w : 0);
        counts[k] = (counts[k] ?? 0) + w;
      }
    },
    /** Each log's weighted mean (0 for a metric that had no valid step at all, as Keras's divide_no_nan). */
    means(): Record<string, number> {
      return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, counts[k] ? v / counts[k] : 0]));
    },
  };
}
