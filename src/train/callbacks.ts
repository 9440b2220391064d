// Training callbacks used by `fit`: the hook interface, History, EarlyStopping, ModelCheckpoint, TerminateOnNaN.
// They see the model only through a small interface, so this file does not depend on the layers package.
import { checkOptionsObject } from '../core/options.js';
import { ValueError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

/** Per-batch or per-epoch values (`loss`, `acc`, `val_loss`, ...). */
export type Logs = Record<string, number>;

/** What callbacks may touch on a model. `fit` stops after the current epoch once `stopTraining` is true. */
export interface CallbackModel {
  getWeights(): Tensor[];
  setWeights(w: Tensor[]): void;
  stopTraining?: boolean;
}

/**
 * The hooks `fit` calls, all optional; each may return a promise, which `fit` awaits. Batches and epochs are
 * 0-based.
 */
export interface Callback {
  setModel?(model: CallbackModel): void;
  setParams?(params: Record<string, unknown>): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** A callback base class that keeps the model `fit` hands it; subclasses override the hooks they need. */
export class BaseCallback implements Callback {
  model: CallbackModel | null = null;
  params: Record<string, unknown> = {};
  setModel(model: CallbackModel): void {
    this.model = model;
  }
  setParams(params: Record<string, unknown>): void {
    this.params = params;
  }
  /** The model, or a clear error when the callback is used outside `fit` without `setModel`. */
  protected requireModel(who: string): CallbackModel {
    if (!this.model)
      throw new ValueError(`${who}: no model set; pass the callback to fit() or call setModel(model) first`);
    return this.model;
  }
}

/**
 * Runs a list of callbacks in order. Each hook returns a promise only if some callback returned one, so
 * synchronous loops can ignore the result. `stopTraining` reflects the model's flag.
 */
export class CallbackList {
  constructor(
    readonly callbacks: Callback[],
    readonly model?: CallbackModel,
  ) {
    if (model) for (const c of callbacks) c.setModel?.(model);
  }
  get stopTraining(): boolean {
    return this.model?.stopTraining === true;
  }
  setParams(params: Record<string, unknown>): void {
    for (const c of this.callbacks) c.setParams?.(params);
  }
  private run(call: (c: Callback) => void | Promise<void>): void | Promise<void> {
    for (let i = 0; i < this.callbacks.length; i++) {
      const r = call(this.callbacks[i]);
      if (r instanceof Promise)
        return (async () => {
          await r;
          for (const c of this.callbacks.slice(i + 1)) await call(c);
        })();
    }
  }
  onTrainBegin(logs?: Logs) {
    return this.run((c) => c.onTrainBegin?.(logs));
  }
  onTrainEnd(logs?: Logs) {
    return this.run((c) => c.onTrainEnd?.(logs));
  }
  onEpochBegin(epoch: number, logs?: Logs) {
    return this.run((c) => c.onEpochBegin?.(epoch, logs));
  }
  onEpochEnd(epoch: number, logs?: Logs) {
    return this.run((c) => c.onEpochEnd?.(epoch, logs));
  }
  onBatchBegin(batch: number, logs?: Logs) {
    return this.run((c) => c.onBatchBegin?.(batch, logs));
  }
  onBatchEnd(batch: number, logs?: Logs) {
    return this.run((c) => c.onBatchEnd?.(batch, logs));
  }
}

/** Keras History: `epoch` indices and one list per log key. */
export class HistoryCallback extends BaseCallback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  onTrainBegin(): void {
    this.epoch = [];
    this.history = {};
  }
  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
  }
}

export { HistoryCallback as History };

/** Options of {@link EarlyStopping} (Keras names, camelCase). */
export interface EarlyStoppingOptions {
  /** Log key to watch (default 'val_loss'). */
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement to wait before stopping (default 0). */
  patience?: number;
  /** 'auto' (default) minimises losses/errors and maximises accuracy-like metrics. */
  mode?: 'auto' | 'min' | 'max';
  /** Improvements count only once they also beat this value. */
  baseline?: number;
  /** Put back the weights of the best epoch when training ends. */
  restoreBestWeights?: boolean;
  /** Epochs to skip before watching (warm-up). */
  startFromEpoch?: number;
  verbose?: 0 | 1;
}

/** Words of a metric name that Keras maximises (its metrics with direction 'up'), matched as whole words. */
const MAXIMISE = new Set(['acc', 'accuracy', 'auc', 'precision', 'recall', 'f1', 'iou']);
const MINIMISE = /loss|error|mse|mae|mape|msle|crossentropy|hinge|divergence|kld|poisson|logcosh|huber/i;

/**
 * 'min' or 'max' for a monitor under 'auto' (Keras: loss is minimised, metrics with direction up maximised): a name
 * ending in 'loss' (an output's loss, `val_iou_head_loss`) is minimised; else one with a maximised word (split on '_'
 * and at camelCase humps: `val_binary_accuracy`, `cls_auc`, `binaryAccuracy`) is maximised, one naming an error or a
 * loss function minimised; any other needs `mode`.
 */
export function monitorDirection(monitor: string, mode: 'auto' | 'min' | 'max', who: string): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto')
    throw new ValueError(`${who}: mode must be 'auto', 'min' or 'max', got '${String(mode)}'`);
  const m = monitor.replace(/^val_/, '');
  // NOTE: a trailing _<n> is the count fit appends to a repeated metric name (loss_1, accuracy_2)
  if (/loss(_\d+)?$/i.test(m)) return 'min';
  const words = m
    .replace(/([a-z0-9])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split('_');
  if (words.some((w) => MAXIMISE.has(w))) return 'max';
  if (MINIMISE.test(m)) return 'min';
  throw new ValueError(
    `${who}: cannot tell whether '${monitor}' should be minimised or maximised; pass mode: 'min' or 'max'`,
  );
}

/**
 * Keras 3 EarlyStopping: stop when `monitor` has not improved by more than `minDelta` for `patience` epochs.
 * With `restoreBestWeights`, the best epoch's weights are put back at the end of training (whether or not it
 * stopped early, as Keras 3).
 * NOTE: the best value is reset in onTrainBegin, so one instance can be reused across fits (Keras keeps it).
 * @example await model.fit(x, y, { epochs: 100, callbacks: [new EarlyStopping({ monitor: 'val_loss', patience: 3 })] })
 */
export class EarlyStopping extends BaseCallback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline?: number;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly direction: 'min' | 'max';
  readonly verbose: 0 | 1;
  wait = 0;
  stoppedEpoch = 0;
  best: number;
  bestEpoch = 0;
  bestWeights: Tensor[] | null = null;

  constructor(o: EarlyStoppingOptions = {}) {
    super();
    checkOptionsObject('EarlyStopping', o, [
      'monitor',
      'minDelta',
      'patience',
      'mode',
      'baseline',
      'restoreBestWeights',
      'startFromEpoch',
      'verbose',
    ]);
    this.monitor = o.monitor ?? 'val_loss';
    this.minDelta = Math.abs(o.minDelta ?? 0);
    this.patience = o.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new ValueError(`EarlyStopping: patience must be a non-negative integer, got ${this.patience}`);
    this.baseline = o.baseline;
    this.restoreBestWeights = o.restoreBestWeights ?? false;
    this.startFromEpoch = o.startFromEpoch ?? 0;
    this.verbose = o.verbose ?? 0;
    this.direction = monitorDirection(this.monitor, o.mode ?? 'auto', 'EarlyStopping');
    this.best = this.direction === 'min' ? Infinity : -Infinity;
  }

  /** min: v − δ < ref; max: v + δ > ref. */
  private isImprovement(v: number, ref: number): boolean {
    return this.direction === 'min' ? v + this.minDelta < ref : v - this.minDelta > ref;
  }

  private snapshot(): Tensor[] {
    return this.requireModel('EarlyStopping')
      .getWeights()
      .map((w) => new Tensor(w.data.slice(), w.shape));
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.bestWeights = null;
    this.best = this.direction === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      console.warn(
        `EarlyStopping: monitor '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ') || 'none'})`,
      );
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // the first watched epoch is the best so far
      this.bestWeights = this.snapshot();
      this.bestEpoch = epoch;
    }
    this.wait++;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.snapshot();
      // the wait restarts only when the baseline is beaten too
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.requireModel('EarlyStopping').stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights) {
      if (this.verbose)
        console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.requireModel('EarlyStopping').setWeights(this.bestWeights);
    }
  }
}

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Path template: `{epoch}`, `{epoch:02d}`, `{val_loss:.4f}` are filled from the 1-based epoch and the logs. */
  filepath: string;
  /** Writes the model to a path (the model's own save function). */
  save: (path: string) => void | Promise<void>;
  monitor?: string;
  /** Save only when `monitor` improved on the best so far. */
  saveBestOnly?: boolean;
  mode?: 'auto' | 'min' | 'max';
  /** 'epoch' (default) or a number of batches between saves. */
  saveFreq?: 'epoch' | number;
  verbose?: 0 | 1;
}

/** Fill `{key}`, `{key:0Nd}` and `{key:.Nf}` placeholders (Python str.format subset Keras filepaths use). */
export function formatPath(template: string, values: Record<string, number>): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (whole, key: string, spec: string | undefined) => {
    const v = values[key];
    if (v === undefined)
      throw new ValueError(
        `ModelCheckpoint: filepath '${template}' uses {${key}}, which is not in the logs (${Object.keys(values).join(', ')})`,
      );
    if (!spec) return String(v);
    const d = /^(0?)(\d*)d$/.exec(spec);
    if (d) return String(Math.trunc(v)).padStart(Number(d[2] || 0), d[1] ? '0' : ' ');
    const f = /^\.(\d+)f$/.exec(spec);
    if (f) return v.toFixed(Number(f[1]));
    throw new ValueError(
      `ModelCheckpoint: unsupported format '${whole}' in filepath (use {k}, {k:0Nd} or {k:.Nf})`,
    );
  });
}

/**
 * Keras ModelCheckpoint: calls `save(path)` at the end of each epoch (or every `saveFreq` batches), optionally
 * only when `monitor` improved. Saving itself is the model's job.
 * @example new ModelCheckpoint({ filepath: 'ckpt/epoch-{epoch:02d}.keras', save: (p) => model.save(p), saveBestOnly: true })
 */
export class ModelCheckpoint extends BaseCallback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly saveFreq: 'epoch' | number;
  readonly verbose: 0 | 1;
  private readonly saveFn: (path: string) => void | Promise<void>;
  private readonly mode: 'auto' | 'min' | 'max';
  best: number | null = null;
  /** Paths written so far. */
  saved: string[] = [];
  private batches = 0;
  private epoch = 0;

  constructor(o: ModelCheckpointOptions) {
    super();
    checkOptionsObject(
      'ModelCheckpoint',
      o,
      ['filepath', 'save', 'monitor', 'saveBestOnly', 'mode', 'saveFreq', 'verbose'],
      { required: true },
    );
    if (typeof o.filepath !== 'string' || !o.filepath)
      throw new ValueError('ModelCheckpoint: filepath must be a non-empty string');
    if (typeof o.save !== 'function')
      throw new ValueError(
        'ModelCheckpoint: save must be a function (path) => void, e.g. (p) => model.save(p)',
      );
    const freq = o.saveFreq ?? 'epoch';
    if (freq !== 'epoch' && !(Number.isInteger(freq) && freq > 0))
      throw new ValueError(
        `ModelCheckpoint: saveFreq must be 'epoch' or a positive integer, got ${String(freq)}`,
      );
    this.filepath = o.filepath;
    this.saveFn = o.save;
    this.monitor = o.monitor ?? 'val_loss';
    this.saveBestOnly = o.saveBestOnly ?? false;
    this.saveFreq = freq;
    this.verbose = o.verbose ?? 0;
    this.mode = o.mode ?? 'auto';
    if (this.saveBestOnly) monitorDirection(this.monitor, this.mode, 'ModelCheckpoint');
  }

  onTrainBegin(): void {
    this.batches = 0;
    this.best = null;
  }
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }
  onBatchEnd(_batch: number, logs: Logs = {}): void | Promise<void> {
    if (this.saveFreq === 'epoch') return;
    this.batches++;
    if (this.batches % this.saveFreq === 0) return this.maybeSave(this.epoch, logs);
  }
  onEpochEnd(epoch: number, logs: Logs = {}): void | Promise<void> {
    if (this.saveFreq === 'epoch') return this.maybeSave(epoch, logs);
  }

  private maybeSave(epoch: number, logs: Logs): void | Promise<void> {
    if (this.saveBestOnly) {
      const v = logs[this.monitor];
      if (v === undefined) {
        console.warn(
          `ModelCheckpoint: can save the best model only with '${this.monitor}' in the logs (available: ${Object.keys(logs).join(', ') || 'none'}); skipping`,
        );
        return;
      }
      const dir = monitorDirection(this.monitor, this.mode, 'ModelCheckpoint');
      if (this.best !== null && !(dir === 'min' ? v < this.best : v > this.best)) return;
      this.best = v;
    }
    const path = formatPath(this.filepath, { ...logs, epoch: epoch + 1 });
    if (this.verbose) console.log(`Epoch ${epoch + 1}: saving model to ${path}`);
    this.saved.push(path);
    return this.saveFn(path);
  }
}

/** Keras TerminateOnNaN: stops training as soon as a batch loss is NaN or infinite. */
export class TerminateOnNaN extends BaseCallback {
  onBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.warn(`TerminateOnNaN: batch ${batch} has loss ${loss}; stopping training`);
      this.requireModel('TerminateOnNaN').stopTraining = true;
    }
  }
}

/** TF.js-style factories: `tg.callbacks.earlyStopping({ monitor: 'val_loss', patience: 3 })`. */
export const earlyStopping = (args: ConstructorParameters<typeof EarlyStopping>[0] = {}): EarlyStopping =>
  new EarlyStopping(args);
export const modelCheckpoint = (args: ConstructorParameters<typeof ModelCheckpoint>[0]): ModelCheckpoint =>
  new ModelCheckpoint(args);
