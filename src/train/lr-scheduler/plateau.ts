// PyTorch 1.13 `torch.optim.lr_scheduler.ReduceLROnPlateau`, driven by `step(metric)` (tapegrad's top-level
// `tg.ReduceLROnPlateau` is the Keras-style schedule/callback; this one acts on an optimizer directly).
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import type { Optimizer } from '../optim/optimizer.js';
import {
  SchedulerBase,
  type StateDict,
  checkInt,
  checkNum,
  checkStateKeys,
  decodeNum,
  encodeNum,
  readLr,
  show,
  writeLr,
} from './base.js';

/** Options of the PyTorch-style {@link ReduceLROnPlateau} (PyTorch's names in camelCase). */
export interface TorchReduceLROnPlateauOptions {
  /** 'min' (default: reduce when the metric stops decreasing) or 'max'. */
  mode?: 'min' | 'max';
  /** new rate = rate · factor (default 0.1; must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Smallest significant improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default: best · (1 ∓ threshold)) or 'abs' (best ∓ threshold). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate (default 0). */
  minLr?: number;
  /** A reduction smaller than eps is skipped (default 1e-8). */
  eps?: number;
}

const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'];

/**
 * PyTorch's `ReduceLROnPlateau`: call `step(metric)` once per epoch with the validation loss (or accuracy with
 * mode 'max'); after more than `patience` epochs without improvement the optimizer's rate is multiplied by
 * `factor`. Reachable as `tg.optim.lrScheduler.ReduceLROnPlateau`.
 * NOTE: `getLastLr()` works before the first step (the optimizer's rate); PyTorch 1.13's has no get_last_lr.
 * @example const sched = new tg.optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 2 }); sched.step(valLoss);
 */
export class ReduceLROnPlateau extends SchedulerBase {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** Epochs since the last improvement (PyTorch `num_bad_epochs`). */
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: Optimizer, o: TorchReduceLROnPlateauOptions = {}) {
    const name = 'lrScheduler.ReduceLROnPlateau';
    checkOptionsObject(name, o, KEYS);
    super(name, optimizer);
    this.factor = checkNum(name, 'factor', o.factor ?? 0.1, 0);
    if (!(this.factor < 1)) throw new ValueError(`${name}: factor must be < 1, got ${this.factor}`);
    this.patience = checkInt(name, 'patience', o.patience ?? 10, 0);
    this.threshold = checkNum(name, 'threshold', o.threshold ?? 1e-4, 0);
    this.cooldown = checkInt(name, 'cooldown', o.cooldown ?? 0, 0);
    this.minLr = checkNum(name, 'minLr', o.minLr ?? 0, 0);
    this.eps = checkNum(name, 'eps', o.eps ?? 1e-8, 0);
    const mode = o.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max')
      throw new ValueError(`${name}: mode must be 'min' or 'max', got ${show(mode)}`);
    this.mode = mode;
    const tm = o.thresholdMode ?? 'rel';
    if (tm !== 'rel' && tm !== 'abs')
      throw new ValueError(`${name}: thresholdMode must be 'rel' or 'abs', got ${show(tm)}`);
    this.thresholdMode = tm;
    this.best = this.modeWorse;
    this.lastLr = [readLr(name, optimizer)];
  }

  /** The worst possible metric for the mode. */
  private get modeWorse(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Whether `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === 'rel' ? a > best * (t + 1) : a > best + t;
  }

  /** Feed one epoch's metric (a number or a one-element tensor); reduces the rate after a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor && metric.size === 1 ? metric.item() : metric;
    if (typeof current !== 'number')
      throw new ValueError(
        `${this.name}.step: metric must be a number or a one-element Tensor, got ${show(metric)}`,
      );
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    // bad epochs during cooldown do not count
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = readLr(this.name, this.optimizer);
      const next = Math.max(old * this.factor, this.minLr);
      // reductions smaller than eps are skipped
      if (old - next > this.eps) writeLr(this.optimizer, next);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = [readLr(this.name, this.optimizer)];
  }

  /** Plain JSON; `best` is stored as a string while it is ±Infinity. */
  stateDict(): StateDict {
    return {
      best: encodeNum(this.best),
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
    };
  }

  /** Load the counters written by `stateDict` (the options are the constructor's). */
  loadStateDict(state: StateDict): void {
    const s = checkStateKeys(this.name, state, this.stateDict());
    this.best = decodeNum(this.name, 'best', s.best);
    this.numBadEpochs = s.numBadEpochs as number;
    this.cooldownCounter = s.cooldownCounter as number;
    this.lastEpoch = s.lastEpoch as number;
    this.lastLr = [...(s.lastLr as number[])];
  }
}
