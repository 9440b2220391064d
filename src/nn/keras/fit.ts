// compile / fit / evaluate for models: the Keras training loop over tapegrad's tape and optimizers.
import { yieldToEventLoop } from '../../core/storage.js';
import { ValueError, ShapeError, fmtShape } from '../../core/errors.js';
import { globalRng, type Rng } from '../../core/random.js';
import { noGrad } from '../../core/tape.js';
import { withFrame } from '../../core/lifetime.js';
import { Tensor } from '../../core/tensor.js';
import { gather } from '../../ops/network/builders.js';
import {
  type Callback,
  getLoss,
  getMetric,
  type LossFn,
  type MetricFn,
  Optimizer,
  train,
} from '../../train/index.js';
import type { Model } from './model.js';
import { assertFiniteData, assertModelInputs } from './data-checks.js';
import { ProgressBar } from './progress.js';

export interface CompileArgs {
  optimizer: Optimizer | string;
  /** One loss for every output, or one per output (Keras `loss=[...]`); a multi-output model sums them. */
  loss: string | LossFn | (string | LossFn)[];
  /** Computed on every output (Keras 2: `<output layer>_<metric>` when there are several outputs). */
  metrics?: (string | MetricFn)[];
}
export interface Compiled {
  optimizer: Optimizer;
  /** The (first) loss. */
  loss: LossFn;
  /** One loss per output, or a single one used for all outputs. */
  losses: LossFn[];
  lossName: string;
  metrics: { name: string; fn: MetricFn }[];
}
export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  validationData?: [Tensor | Tensor[], Tensor | Tensor[]];
  shuffle?: boolean;
  callbacks?: Callback[];
  /** 0 silent, 1 progress bar (plain lines when not a TTY). */
  verbose?: 0 | 1;
  initialEpoch?: number;
  rng?: Rng;
  /** Where progress lines go (default process.stdout). */
  log?: (line: string, sameLine: boolean) => void;
}
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

const OPTIMIZERS: Record<string, () => Optimizer> = {
  sgd: () => train.sgd(0.01),
  adam: () => train.adam(0.001),
  adamw: () => train.adamw(0.001),
  rmsprop: () => train.rmsprop(0.001),
  adagrad: () => train.adagrad(0.001),
};

export function compileModel(model: Model, args: CompileArgs): Compiled {
  const optimizer =
    typeof args.optimizer === 'string'
      ? Object.hasOwn(OPTIMIZERS, args.optimizer.toLowerCase())
        ? OPTIMIZERS[args.optimizer.toLowerCase()]()
        : undefined
      : args.optimizer;
  if (!optimizer)
    throw new ValueError(
      `compile: unknown optimizer '${String(args.optimizer)}' (use ${Object.keys(OPTIMIZERS).join(', ')} or an optimizer object)`,
    );
  model.assertBuilt('optimize');
  optimizer.setParameters(model.namedParameters());
  const losses = (Array.isArray(args.loss) ? args.loss : [args.loss]).map((l) => getLoss(l));
  if (!losses.length)
    throw new ValueError('compile: loss is an empty list; give one loss, or one per output');
  const lossName = typeof args.loss === 'string' ? args.loss : 'loss';
  const metrics = (args.metrics ?? []).map((m) => ({
    name: typeof m === 'string' ? m : m.name || 'metric',
    fn: getMetric(m),
  }));
  return { optimizer, loss: losses[0], losses, lossName, metrics };
}

const list = (x: Tensor | Tensor[]): Tensor[] => (Array.isArray(x) ? x : [x]);
const one = (xs: Tensor[]): Tensor | Tensor[] => (xs.length === 1 ? xs[0] : xs);

/** Rows `idx` of every tensor (gathered along the batch axis). */
function rows(ts: Tensor[], idx: Int32Array): Tensor[] {
  const at = new Tensor(idx, [idx.length]);
  return ts.map((t) => gather(t, at, 0));
}
const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);

/**
 * Check what an entry point was given before any layer runs: the inputs against the model's (count, shapes), every
 * tensor's batch size, and NaN/Inf in x and y named by tensor, sample and feature. Returns the number of samples.
 * NOTE: one pass over the data per call (not per batch and epoch): cheaper, and it names the sample's own index.
 */
function checkData(model: Model, xs: Tensor[], ys: Tensor[], where: string): number {
  assertModelInputs(xs, model.inputSpecs(), model.name, where);
  for (const t of ys)
    if (!(t instanceof Tensor)) throw new ValueError(`${where}: a target is ${typeof t}, not a Tensor`);
  xs.forEach((t, i) => assertFiniteData(t, xs.length === 1 ? 'x' : `x[${i}]`, where));
  ys.forEach((t, i) => assertFiniteData(t, ys.length === 1 ? 'y' : `y[${i}]`, where));
  const n = xs[0]?.shape[0];
  for (const t of [...xs, ...ys])
    if (t.rank === 0 || t.shape[0] !== n)
      throw new ShapeError(
        `${where}: every input and target needs the same batch size on axis 0; got ${[...xs, ...ys].map((u) => fmtShape(u.shape)).join(', ')}`,
      );
  if (!n) throw new ValueError(`${where}: no samples`);
  return n;
}

/** Output names for per-output logs: the output layers' names for a functional model, else output_1, ... */
function outputNames(model: Model, n: number): string[] {
  const outs = (model as { outputs?: { node?: { layer: { name: string } } | null }[] }).outputs;
  return Array.from({ length: n }, (_, i) => outs?.[i]?.node?.layer.name ?? `output_${i + 1}`);
}

/** Total loss (Σ over outputs of each output's loss) and the per-output parts. */
function lossAndMetrics(model: Model, c: Compiled, xs: Tensor[], ys: Tensor[], training: boolean) {
  const pred = list(model.apply(one(xs), { training }) as Tensor | Tensor[]);
  if (pred.length !== ys.length)
    throw new ValueError(`fit: the model has ${pred.length} outputs but ${ys.length} targets were given`);
  if (c.losses.length > 1 && c.losses.length !== pred.length)
    throw new ValueError(
      `fit: compile got ${c.losses.length} losses but the model has ${pred.length} outputs; give one loss, or one per output`,
    );
  const parts = pred.map((p, i) => (c.losses[i] ?? c.losses[0])(ys[i], p));
  const loss = parts.slice(1).reduce((a, b) => a.add(b), parts[0]);
  return { loss, parts, pred };
}

/**
 * The names of a step's logs, in order (TF.js `metricsNames`): 'loss', then (several outputs) `<output>_loss`, then
 * each metric on each output (Keras 2 names).
 */
function logNames(model: Model, c: Compiled, outputs: number): string[] {
  if (outputs <= 1) return ['loss', ...c.metrics.map((m) => m.name)];
  const names = outputNames(model, outputs);
  return [
    'loss',
    ...names.map((n) => `${n}_loss`),
    ...c.metrics.flatMap((m) => names.map((n) => `${n}_${m.name}`)),
  ];
}

/** One batch's logs, named by `logNames`. */
function batchLogs(
  model: Model,
  c: Compiled,
  ys: Tensor[],
  r: { loss: Tensor; parts: Tensor[]; pred: Tensor[] },
): Record<string, number> {
  const values = [r.loss.item()];
  if (r.pred.length > 1) for (const p of r.parts) values.push(p.item());
  noGrad(() => {
    for (const m of c.metrics)
      r.pred.forEach((p, i) => {
        const v = m.fn(ys[i], p);
        values.push(v instanceof Tensor ? v.item() : Number(v));
      });
  });
  const out: Record<string, number> = {};
  logNames(model, c, r.pred.length).forEach((k, i) => (out[k] = values[i]));
  return out;
}

/**
 * One optimizer step on a batch (fit's steps, trainOnBatch): loss, backward, update; returns the batch's logs.
 * NOTE: the caller runs it in a lifetime frame, so the batch's activations and gradients are released as it ends.
 */
function trainStep(model: Model, c: Compiled, bx: Tensor[], by: Tensor[], op: string, at: string) {
  c.optimizer.zeroGrad();
  const r = lossAndMetrics(model, c, bx, by, true);
  const loss = r.loss.item();
  if (!Number.isFinite(loss))
    throw new ValueError(
      `${op}: the loss became ${loss} ${at}; lower the learning rate or run tg.checkNumerics(true) to find the op`,
    );
  r.loss.backward();
  c.optimizer.step();
  return batchLogs(model, c, by, r);
}

/**
 * TF.js `model.trainOnBatch(x, y)` (Keras `train_on_batch`): one optimizer step on exactly this batch, in training
 * mode; the loss, or [loss, ...] in `metricsNames` order when there are metrics or several outputs.
 */
export function trainOnBatchModel(
  model: Model,
  x: Tensor | Tensor[],
  y: Tensor | Tensor[],
): number | number[] {
  const where = `${model.name}.trainOnBatch`;
  const c = model.compiled;
  if (!c) throw new ValueError(`${where}: call compile({optimizer, loss}) first`);
  const xs = list(x);
  const ys = list(y);
  checkData(model, xs, ys, where);
  const wasTraining = model.training;
  model.train(true);
  try {
    const logs = withFrame('internal', where, () => trainStep(model, c, xs, ys, where, 'on this batch'));
    const values = Object.values(logs);
    return values.length === 1 ? values[0] : values;
  } finally {
    model.train(wasTraining);
  }
}

/** What trainOnBatch and evaluate report, in order (TF.js `model.metricsNames`). */
export function metricsNamesOf(model: Model): string[] {
  const c = model.compiled;
  if (!c) throw new ValueError(`${model.name}.metricsNames: call compile({optimizer, loss}) first`);
  const outs = (model as { outputs?: unknown }).outputs;
  return logNames(model, c, Array.isArray(outs) ? outs.length : 1);
}

export async function fitModel(
  model: Model,
  x: Tensor | Tensor[],
  y: Tensor | Tensor[],
  args: FitArgs = {},
): Promise<History> {
  const c = model.compiled;
  if (!c) throw new ValueError(`${model.name}.fit: call compile({optimizer, loss}) first`);
  let xs = list(x);
  let ys = list(y);
  let n = checkData(model, xs, ys, `${model.name}.fit`);
  const { epochs = 1, batchSize = 32, shuffle = true, verbose = 1, initialEpoch = 0 } = args;
  const rng = args.rng ?? globalRng;
  let val: [Tensor[], Tensor[]] | null = args.validationData
    ? [list(args.validationData[0]), list(args.validationData[1])]
    : null;
  if (val) checkData(model, val[0], val[1], `${model.name}.fit (validationData)`);
  if (!val && args.validationSplit) {
    // NOTE: as Keras, the validation split is the LAST fraction of the data, taken before shuffling.
    // Keras/TF.js split at floor(n·(1 − split)), so the validation part is the rest (3 of 10 for 0.25).
    const nv = n - Math.floor(n * (1 - args.validationSplit));
    if (nv < 1 || nv >= n)
      throw new ValueError(
        `fit: validationSplit ${args.validationSplit} leaves no training or no validation samples for ${n} samples`,
      );
    val = [rows(xs, range(n - nv, n)), rows(ys, range(n - nv, n))];
    [xs, ys] = [rows(xs, range(0, n - nv)), rows(ys, range(0, n - nv))];
    n -= nv;
  }
  const cbs = args.callbacks ?? [];
  const history: History = { epoch: [], history: {} };
  const steps = Math.ceil(n / batchSize);
  const bar = new ProgressBar(steps, verbose === 1, args.log);
  model.stopTraining = false;
  for (const cb of cbs) cb.setModel?.(model as any);
  for (const cb of cbs) await cb.onTrainBegin?.();
  const wasTraining = model.training;
  try {
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      for (const cb of cbs) await cb.onEpochBegin?.(epoch);
      bar.start(`Epoch ${epoch + 1}/${epochs}`);
      const order = range(0, n);
      if (shuffle)
        for (let i = n - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      const sums: Record<string, number> = {};
      let seen = 0;
      model.train(true);
      for (let s = 0; s < steps; s++) {
        const idx = order.subarray(s * batchSize, Math.min(n, (s + 1) * batchSize));
        const logs = withFrame('internal', 'a fit step', () =>
          trainStep(model, c, rows(xs, idx), rows(ys, idx), 'fit', `at epoch ${epoch + 1}, batch ${s + 1}`),
        );
        for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v * idx.length;
        seen += idx.length;
        const avg = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen]));
        bar.update(s + 1, avg);
        for (const cb of cbs) await cb.onBatchEnd?.(s, logs);
        await yieldToEventLoop(); // NOTE: as Keras, callbacks and the page get a turn between batches
      }
      model.train(false);
      const logs: Record<string, number> = Object.fromEntries(
        Object.entries(sums).map(([k, v]) => [k, v / seen]),
      );
      if (val)
        for (const [k, v] of Object.entries(evaluateModel(model, one(val[0]), one(val[1]), { batchSize })))
          logs[`val_${k}`] = v;
      bar.end(logs);
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      for (const cb of cbs) await cb.onEpochEnd?.(epoch, logs);
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  for (const cb of cbs) await cb.onTrainEnd?.(history as any);
  return history;
}

export function evaluateModel(
  model: Model,
  x: Tensor | Tensor[],
  y: Tensor | Tensor[],
  args: { batchSize?: number } = {},
): Record<string, number> {
  const c = model.compiled;
  if (!c) throw new ValueError(`${model.name}.evaluate: call compile({optimizer, loss}) first`);
  const xs = list(x);
  const ys = list(y);
  const n = checkData(model, xs, ys, `${model.name}.evaluate`);
  const bs = args.batchSize ?? 32;
  const sums: Record<string, number> = {};
  noGrad(() => {
    for (let i = 0; i < n; i += bs) {
      const idx = range(i, Math.min(n, i + bs));
      const logs = withFrame('internal', 'an evaluate step', () => {
        const by = rows(ys, idx);
        return batchLogs(model, c, by, lossAndMetrics(model, c, rows(xs, idx), by, false));
      });
      for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v * idx.length;
    }
  });
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
}
