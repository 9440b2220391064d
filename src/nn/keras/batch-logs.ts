// One batch of fit / evaluate / trainOnBatch: the loss of every output, the metrics, and the logs named as Keras
// names them ('loss', `<output>_loss`, the metrics; a repeated name gets _1, _2, ... as Keras 2).
import { ValueError } from '../../core/errors.js';
import { noGrad } from '../../core/tape.js';
import type { Tensor } from '../../core/tensor.js';
import type { Model } from './model.js';
import type { Compiled } from './fit.js';
import { addPenalties, collectActivityLosses } from '../regularizers.js';
import {
  type BatchLogs,
  type MetricValue,
  type ValidRows,
  outputLoss,
  outputMetric,
  validRows,
} from './masked-loss.js';
import { type LossWeights, weightedLoss } from './class-weight.js';

export const list = (x: Tensor | Tensor[]): Tensor[] => (Array.isArray(x) ? x : [x]);
export const one = (xs: Tensor[]): Tensor | Tensor[] => (xs.length === 1 ? xs[0] : xs);

/** Output names for per-output logs: the output layers' names for a functional model, else output_1, ... */
export function outputNames(model: Model, n: number): string[] {
  const outs = (model as { outputs?: { node?: { layer: { name: string } } | null }[] }).outputs;
  return Array.from({ length: n }, (_, i) => outs?.[i]?.node?.layer.name ?? `output_${i + 1}`);
}

/**
 * Total loss (Σ over outputs of each output's loss) and the per-output parts; an output carrying a mask leaves its
 * masked steps out (masked-loss.ts), and `rows` keeps its valid steps for the metrics.
 */
export function lossAndMetrics(
  model: Model,
  c: Compiled,
  xs: Tensor[],
  ys: Tensor[],
  training: boolean,
  where: string,
  weights: LossWeights | null = null,
) {
  // the activity regularizers' penalties of this forward pass (nn/regularizers.ts)
  const [out, activity] = collectActivityLosses(() => model.apply(one(xs), { training }));
  const pred = list(out as Tensor | Tensor[]);
  if (pred.length !== ys.length)
    throw new ValueError(`fit: the model has ${pred.length} outputs but ${ys.length} targets were given`);
  if (c.losses.length > 1 && c.losses.length !== pred.length)
    throw new ValueError(
      `fit: compile got ${c.losses.length} losses but the model has ${pred.length} outputs; give one loss, or one per output`,
    );
  const names = outputNames(model, pred.length);
  const rows = pred.map((p, i) => validRows(ys[i], p, `'${names[i]}'`, where));
  const parts = pred.map((p, i) => {
    const k = c.losses.length > 1 ? i : 0;
    // fit's classWeight / sampleWeight weight each sample's loss (class-weight.ts)
    const w = weights?.[i];
    if (w) return weightedLoss(c.losses[k], c.lossMaskable[k], ys[i], p, w, rows[i], `'${names[i]}'`, where);
    return outputLoss(c.losses[k], c.lossMaskable[k], ys[i], p, rows[i], `'${names[i]}'`, where);
  });
  // as Keras, the loss includes the regularization penalties (weights and activity; nn/regularizers.ts)
  // NOTE: in evaluate and fit's val_loss too, as Keras; TF.js's test function leaves them out of both
  const loss = addPenalties(
    model,
    parts.slice(1).reduce((a, b) => a.add(b), parts[0]),
    activity,
  );
  return { loss, parts, pred, rows };
}

/**
 * Keras 2's unique metric names: a name already taken (two metrics 'mse', two functions both named 'metric')
 * becomes `name_1`, then `name_2`, ...
 */
function unique(names: string[]): string[] {
  const taken = new Set<string>();
  return names.map((base) => {
    let name = base;
    for (let j = 1; taken.has(name); j++) name = `${base}_${j}`;
    taken.add(name);
    return name;
  });
}

/**
 * The names of a step's logs, in order (TF.js `metricsNames`): 'loss', then (several outputs) `<output>_loss`, then
 * each metric on each output (Keras 2 names), made unique.
 */
export function logNames(model: Model, c: Compiled, outputs: number): string[] {
  if (outputs <= 1) return unique(['loss', ...c.metrics.map((m) => m.name)]);
  const names = outputNames(model, outputs);
  return unique([
    'loss',
    ...names.map((n) => `${n}_loss`),
    ...c.metrics.flatMap((m) => names.map((n) => `${n}_${m.name}`)),
  ]);
}

/**
 * One batch's logs, named by `logNames`, and the weight of each when batches are averaged: the batch size `n`,
 * except for a metric on a masked output, weighted by its number of valid steps (Keras weights metrics by the mask).
 * A stateful metric (precision, recall) also gives its counts, which the epoch sums (masked-loss.ts `logTotals`).
 */
export function batchLogs(
  model: Model,
  c: Compiled,
  ys: Tensor[],
  r: { loss: Tensor; parts: Tensor[]; pred: Tensor[]; rows: (ValidRows | null)[] },
  where: string,
): BatchLogs {
  const n = ys[0].shape[0];
  const values: MetricValue[] = [{ value: r.loss.item(), weight: n }];
  if (r.pred.length > 1) for (const p of r.parts) values.push({ value: p.item(), weight: n });
  const names = outputNames(model, r.pred.length);
  noGrad(() => {
    for (const m of c.metrics)
      r.pred.forEach((p, i) => values.push(outputMetric(m, ys[i], p, r.rows[i], `'${names[i]}'`, where)));
  });
  const b: BatchLogs = { logs: {}, weights: {}, states: {} };
  logNames(model, c, r.pred.length).forEach((k, i) => {
    const v = values[i];
    b.logs[k] = v.value;
    b.weights[k] = v.weight ?? n;
    if (v.state) b.states[k] = v.state;
  });
  return b;
}
