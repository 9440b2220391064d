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
import { trainableVersion } from '../layer.js';
import { assertFiniteData, assertModelInputs, checkFitOptions, checkIntOption } from './data-checks.js';
import { ProgressBar } from './progress.js';
import { metricState } from '../../train/metrics.js';
import { type CompiledMetric, logTotals, maskableLoss, maskableMetric } from './masked-loss.js';
import { batchLogs, list, logNames, lossAndMetrics, one, outputNames } from './batch-logs.js';
import { type LossWeightArgs, type LossWeights, lossWeights, weightsAt } from './class-weight.js';

export interface CompileArgs {
  optimizer: Optimizer | string;
  /** One loss for every output, or one per output (Keras `loss=[...]`); a multi-output model sums them. */
  loss: string | LossFn | (string | LossFn)[];
  /** Computed on every output (Keras 2: `<output layer>_<metric>` when there are several outputs). */
  metrics?: string | MetricFn | (string | MetricFn)[];
}
export interface Compiled {
  optimizer: Optimizer;
  /** The (first) loss. */
  loss: LossFn;
  /** One loss per output, or a single one used for all outputs. */
  losses: LossFn[];
  lossName: string;
  /** Per loss: whether the mask of a masked output can weight its steps (masked-loss.ts). */
  lossMaskable: boolean[];
  metrics: CompiledMetric[];
  /** The parameters the optimizer is bound to (see `bindParameters`). */
  params: Tensor[];
  /** Weights that require a gradient but do not train now (a frozen layer's): a step does not differentiate them. */
  frozen: Tensor[];
  /** `trainableVersion()` when the parameters were last bound. */
  boundAt: number;
}
export interface FitArgs extends LossWeightArgs {
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  validationData?: [Tensor | Tensor[], Tensor | Tensor[]];
  shuffle?: boolean;
  /** Callbacks, or one object of hooks (TF.js `CustomCallbackArgs`). */
  callbacks?: Callback[] | Callback;
  /** 0 silent, 1 progress bar (plain lines when not a TTY), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
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
  // NOTE: Keras's defaults (lr 0.001 for both); TF.js layers' strings use adadelta(1) and adamax(0.002)
  adadelta: () => train.adadelta(0.001),
  adamax: () => train.adamax(0.001),
  nadam: () => train.nadam(0.001),
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
  const given = Array.isArray(args.loss) ? args.loss : [args.loss];
  const losses = given.map((l, i) => {
    if (typeof l !== 'string' && typeof l !== 'function')
      throw new ValueError(
        `${model.name}.compile: loss${Array.isArray(args.loss) ? `[${i}]` : ''} must be a loss name (e.g. ` +
          `'meanSquaredError', 'categoricalCrossentropy') or a function (yTrue, yPred) => Tensor, or a list of them ` +
          `(one per output); got ${describe(l)}`,
      );
    return getLoss(l);
  });
  if (!losses.length)
    throw new ValueError('compile: loss is an empty list; give one loss, or one per output');
  const lossName = typeof args.loss === 'string' ? args.loss : 'loss';
  const ms = args.metrics === undefined ? [] : Array.isArray(args.metrics) ? args.metrics : [args.metrics];
  ms.forEach((m, i) => {
    if (typeof m !== 'string' && typeof m !== 'function')
      throw new ValueError(
        `${model.name}.compile: metrics${Array.isArray(args.metrics) ? `[${i}]` : ''} must be a metric name (e.g. 'accuracy') or a function (yTrue, yPred) => ` +
          `Tensor; got ${describe(m)}`,
      );
  });
  const metrics = ms.map((m): CompiledMetric => {
    const fn = getMetric(m);
    const name = typeof m === 'string' ? m : m.name || 'metric';
    // NOTE: precision and recall sum their counts over an epoch (Keras's stateful metrics), by name or as tg.metrics.*
    return { name, fn, maskable: maskableMetric(m), state: metricState(fn) };
  });
  const c: Compiled = {
    optimizer,
    loss: losses[0],
    losses,
    lossName,
    lossMaskable: given.map(maskableLoss),
    metrics,
    params: [],
    frozen: [],
    boundAt: -1,
  };
  bindParameters(model, c, true);
  return c;
}

/**
 * Bind the optimizer to the weights that train now (a weight trains when it and every layer holding it is trainable).
 * NOTE: Keras reads `trainable` when it compiles and needs a recompile after a change; here fit re-reads it at its
 * start and at the start of every epoch (after onEpochBegin), and trainOnBatch at every call, so freezing or
 * unfreezing layers after compile takes effect without recompiling. The optimizer keeps the state of the parameters it
 * already had.
 */
function bindParameters(model: Model, c: Compiled, force = false): void {
  // NOTE: walking the model for its parameters costs ~0.1–0.3 ms, so a step re-reads them only after a `trainable`
  // assignment somewhere (trainOnBatch of the seed CNN lost ~6% to it on every call)
  if (!force && c.boundAt === trainableVersion()) return;
  c.boundAt = trainableVersion();
  const named = model.namedParameters();
  if (force || named.length !== c.params.length || named.some(([, t], i) => t !== c.params[i])) {
    c.optimizer.setParameters(named);
    c.params = named.map(([, t]) => t);
  }
  const on = new Set(c.params);
  c.frozen = model.weights.map((w) => w.value).filter((t) => t.requiresGrad && !on.has(t));
}

const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : typeof v === 'object'
      ? `an object ${JSON.stringify(v)?.slice(0, 60) ?? ''}`
      : `${typeof v} ${String(v)}`;
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

/**
 * One optimizer step on a batch (fit's steps, trainOnBatch): loss, backward, update; returns the batch's logs.
 * NOTE: the caller runs it in a lifetime frame, so the batch's activations and gradients are released as it ends.
 */
function trainStep(
  model: Model,
  c: Compiled,
  bx: Tensor[],
  by: Tensor[],
  op: string,
  at: string,
  weights: LossWeights | null = null,
) {
  c.optimizer.zeroGrad();
  // NOTE: frozen weights take no gradient during the step (no wasted backward work, no .grad piling up on them).
  for (const t of c.frozen) t.requiresGrad = false;
  try {
    const r = lossAndMetrics(model, c, bx, by, true, op, weights);
    const loss = r.loss.item();
    if (!Number.isFinite(loss))
      throw new ValueError(
        `${op}: the loss became ${loss} ${at}; lower the learning rate or run tg.checkNumerics(true) to find the op`,
      );
    // NOTE: as Keras, a model with no trainable weights trains nothing and still reports its loss.
    if (c.params.length) {
      r.loss.backward();
      c.optimizer.step();
    }
    return batchLogs(model, c, by, r, op);
  } finally {
    for (const t of c.frozen) t.requiresGrad = true;
  }
}

/**
 * TF.js `model.trainOnBatch(x, y)` (Keras `train_on_batch`): one optimizer step on exactly this batch, in training
 * mode; the loss, or [loss, ...] in `metricsNames` order when there are metrics or several outputs.
 */
export function trainOnBatchModel(
  model: Model,
  x: Tensor | Tensor[],
  y: Tensor | Tensor[],
  opts: LossWeightArgs = {},
): number | number[] {
  const where = `${model.name}.trainOnBatch`;
  const c = model.compiled;
  if (!c) throw new ValueError(`${where}: call compile({optimizer, loss}) first`);
  const xs = list(x);
  const ys = list(y);
  checkData(model, xs, ys, where);
  const weights = lossWeights(opts, ys, outputNames(model, ys.length), c.losses, where);
  bindParameters(model, c);
  const wasTraining = model.training;
  model.train(true);
  try {
    const { logs } = withFrame('internal', where, () =>
      trainStep(model, c, xs, ys, where, 'on this batch', weights),
    );
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
  checkFitOptions(`${model.name}.fit`, args);
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
  if (args.sampleWeight && !args.validationData && args.validationSplit)
    // NOTE: Keras splits sample_weight with the data and weights the validation loss by it; not done here
    throw new ValueError(
      `${model.name}.fit: sampleWeight with validationSplit is not supported (Keras splits the weights too and weights the validation loss by them); give validationData instead`,
    );
  const weights = lossWeights(args, ys, outputNames(model, ys.length), c.losses, `${model.name}.fit`);
  const cbs = callbackList(args.callbacks, `${model.name}.fit`);
  const history: History = { epoch: [], history: {} };
  const steps = Math.ceil(n / batchSize);
  const bar = new ProgressBar(steps, verbose, args.log);
  model.stopTraining = false;
  for (const cb of cbs) cb.setModel?.(model as any);
  // NOTE: TF.js's params (Keras's are verbose, epochs and steps).
  const params = {
    epochs,
    initialEpoch,
    samples: n,
    steps,
    batchSize,
    verbose,
    doValidation: val !== null,
    metrics: metricsNamesOf(model).flatMap((k) => (val ? [k, `val_${k}`] : [k])),
  };
  for (const cb of cbs) cb.setParams?.({ ...params });
  for (const cb of cbs) await cb.onTrainBegin?.();
  let lastLogs: Record<string, number> | undefined;
  const wasTraining = model.training;
  try {
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      for (const cb of cbs) await cb.onEpochBegin?.(epoch);
      bindParameters(model, c);
      bar.start(epoch, epochs);
      const order = range(0, n);
      if (shuffle)
        for (let i = n - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
      const totals = logTotals();
      model.train(true);
      for (let s = 0; s < steps; s++) {
        const idx = order.subarray(s * batchSize, Math.min(n, (s + 1) * batchSize));
        for (const cb of cbs) await cb.onBatchBegin?.(s, { batch: s, size: idx.length });
        const step = withFrame('internal', 'a fit step', () =>
          trainStep(
            model,
            c,
            rows(xs, idx),
            rows(ys, idx),
            'fit',
            `at epoch ${epoch + 1}, batch ${s + 1}`,
            weights && weightsAt(weights, idx),
          ),
        );
        const logs = step.logs;
        totals.add(step);
        for (const cb of cbs) await cb.onBatchEnd?.(s, logs);
        // NOTE: the bar after the user's callbacks, as Keras's ProgbarLogger (progress.ts)
        bar.update(s + 1, totals.means());
        // NOTE: as Keras 3 and TF.js, a callback that sets stopTraining in onBatchEnd ends the epoch here (the epoch's
        // logs, validation and onEpochEnd still come, over the batches that ran)
        if (model.stopTraining) break;
        await yieldToEventLoop(); // NOTE: as Keras, callbacks and the page get a turn between batches
      }
      model.train(false);
      const logs: Record<string, number> = totals.means();
      if (val)
        for (const [k, v] of Object.entries(evaluateModel(model, one(val[0]), one(val[1]), { batchSize })))
          logs[`val_${k}`] = v;
      for (const cb of cbs) await cb.onEpochEnd?.(epoch, logs);
      // NOTE: the History runs after the user's callbacks (Keras and TF.js append it last): it keeps what they added
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      // and the epoch's line last, as Keras's ProgbarLogger (after the History): it shows what they added
      bar.end(logs);
      lastLogs = logs;
      await yieldToEventLoop();
    }
  } finally {
    model.train(wasTraining);
  }
  // NOTE: as Keras, onTrainEnd gets the last epoch's logs (undefined when no epoch ran).
  for (const cb of cbs) await cb.onTrainEnd?.(lastLogs);
  return history;
}

const HOOKS = [
  'setModel',
  'setParams',
  'onTrainBegin',
  'onTrainEnd',
  'onEpochBegin',
  'onEpochEnd',
  'onBatchBegin',
  'onBatchEnd',
];
/**
 * fit's callbacks as a list: a list, or one callback (TF.js `CustomCallbackArgs`, an object of hooks). A key that looks
 * like a hook (`on` + a capital) but is none of them (a typo, TF.js's `onYield`) is refused by name.
 */
function callbackList(cbs: Callback[] | Callback | undefined, where: string): Callback[] {
  if (cbs === undefined || cbs === null) return [];
  const all = Array.isArray(cbs) ? cbs : [cbs];
  all.forEach((cb, i) => {
    const at = Array.isArray(cbs) ? `callbacks[${i}]` : 'callbacks';
    if (cb === null || typeof cb !== 'object')
      throw new ValueError(
        `${where}: ${at} must be a callback object, got ${cb === null ? 'null' : typeof cb}`,
      );
    for (const k of Object.keys(cb))
      if (/^on[A-Z]/.test(k) && !HOOKS.includes(k))
        throw new ValueError(`${where}: ${at} has an unknown hook '${k}' (known: ${HOOKS.join(', ')})`);
  });
  return all;
}

/**
 * Loss and metrics over the data in batches; the logs are the batches' values averaged by batch size (Keras's loss
 * tracker). With `sampleWeight` each batch's loss is Σ wᵢ·lossᵢ / batchSize (class-weight.ts), so the whole is
 * Σ wᵢ·lossᵢ / n, as Keras 3's "sum_over_batch_size" (keras/src/losses/loss.py `reduce_values` divides by the number
 * of elements, not by Σw) and fit's sampleWeight.
 */
export function evaluateModel(
  model: Model,
  x: Tensor | Tensor[],
  y: Tensor | Tensor[],
  args: { batchSize?: number; sampleWeight?: Tensor | (Tensor | null)[] } = {},
): Record<string, number> {
  const c = model.compiled;
  if (!c) throw new ValueError(`${model.name}.evaluate: call compile({optimizer, loss}) first`);
  const xs = list(x);
  const ys = list(y);
  const bs = checkIntOption(`${model.name}.evaluate`, 'batchSize', args.batchSize ?? 32, 1);
  const n = checkData(model, xs, ys, `${model.name}.evaluate`);
  const totals = logTotals();
  const where = `${model.name}.evaluate`;
  // NOTE: as Keras, metrics are not weighted (only its weighted_metrics, which tapegrad's compile does not take)
  const weights = lossWeights(
    { sampleWeight: args.sampleWeight },
    ys,
    outputNames(model, ys.length),
    c.losses,
    where,
  );
  noGrad(() => {
    for (let i = 0; i < n; i += bs) {
      const idx = range(i, Math.min(n, i + bs));
      totals.add(
        withFrame('internal', 'an evaluate step', () => {
          const by = rows(ys, idx);
          const r = lossAndMetrics(
            model,
            c,
            rows(xs, idx),
            by,
            false,
            where,
            weights && weightsAt(weights, idx),
          );
          return batchLogs(model, c, by, r, where);
        }),
      );
    }
  });
  return totals.means();
}
