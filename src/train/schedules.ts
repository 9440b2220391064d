// Learning-rate schedules: anything that maps the number of updates already applied to a learning rate.
import { checkOptionsObject } from '../core/options.js';
import { ValueError } from '../core/errors.js';

/** A schedule object (Keras `LearningRateSchedule`): `valueAt(step)` is the rate for the update after `step` updates. */
export interface LRSchedule {
  valueAt(step: number): number;
}

/** What every optimizer accepts as `lr`: a constant, a schedule object, or a plain `(step) => lr` function. */
export type LearningRate = number | LRSchedule | ((step: number) => number);

/**
 * The learning rate for the update that follows `step` completed updates.
 * NOTE: schedules see the 0-based count of updates already applied (Keras `optimizer.iterations`), so the
 * first update uses `valueAt(0)`.
 */
export function resolveLr(lr: LearningRate, step: number, where = 'optimizer'): number {
  const v = typeof lr === 'number' ? lr : typeof lr === 'function' ? lr(step) : lr.valueAt(step);
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ValueError(`${where}: learning rate at step ${step} is ${String(v)}; expected a finite number`);
  return v;
}

function positive(name: string, v: number, where: string): void {
  if (!(v > 0) || !Number.isFinite(v))
    throw new ValueError(`${where}: ${name} must be a positive number, got ${v}`);
}

/** Options of {@link exponentialDecay} (Keras `ExponentialDecay`). */
export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}
/**
 * Keras ExponentialDecay: lr · rate^(step / decaySteps) (the exponent floored when `staircase`).
 * @example new Adam(params, { lr: exponentialDecay({ initialLearningRate: 1e-2, decaySteps: 1000, decayRate: 0.9 }) })
 */
export function exponentialDecay(o: ExponentialDecayOptions): LRSchedule {
  checkOptionsObject('exponentialDecay', o, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase'], {
    required: true,
  });
  positive('decaySteps', o.decaySteps, 'exponentialDecay');
  return {
    valueAt(step) {
      const p = step / o.decaySteps;
      // lr(t) = lr0 · r^(t/T)
      return o.initialLearningRate * Math.pow(o.decayRate, o.staircase ? Math.floor(p) : p);
    },
  };
}

/** Options of {@link stepDecay} (PyTorch `StepLR`, counted in updates). */
export interface StepDecayOptions {
  initialLearningRate: number;
  stepSize: number;
  gamma?: number;
}
/** PyTorch StepLR: lr · γ^⌊step / stepSize⌋ (γ defaults to 0.1). */
export function stepDecay(o: StepDecayOptions): LRSchedule {
  checkOptionsObject('stepDecay', o, ['initialLearningRate', 'stepSize', 'gamma'], { required: true });
  positive('stepSize', o.stepSize, 'stepDecay');
  const gamma = o.gamma ?? 0.1;
  return { valueAt: (step) => o.initialLearningRate * Math.pow(gamma, Math.floor(step / o.stepSize)) };
}

/** Options of {@link cosineDecay} (Keras `CosineDecay`, including its optional linear warmup). */
export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** Floor as a fraction of the initial rate (default 0). */
  alpha?: number;
  /** Steps of linear warmup; as Keras, used only with `warmupTarget` (without it the decay starts at step 0). */
  warmupSteps?: number;
  /** Rate reached at the end of warmup; the cosine then starts from it (Keras `warmup_target`). */
  warmupTarget?: number;
}
/**
 * Keras CosineDecay: lr · ((1-α) · ½(1 + cos(π · min(t, T)/T)) + α), after an optional linear warmup from
 * `initialLearningRate` to `warmupTarget` over `warmupSteps` (Keras ignores `warmupSteps` without a `warmupTarget`).
 */
export function cosineDecay(o: CosineDecayOptions): LRSchedule {
  checkOptionsObject(
    'cosineDecay',
    o,
    ['initialLearningRate', 'decaySteps', 'alpha', 'warmupSteps', 'warmupTarget'],
    { required: true },
  );
  positive('decaySteps', o.decaySteps, 'cosineDecay');
  const alpha = o.alpha ?? 0;
  // NOTE: as Keras, warmupSteps acts only with a warmupTarget (without one, the decay starts at step 0)
  const w = o.warmupTarget === undefined ? 0 : (o.warmupSteps ?? 0);
  const top = o.warmupTarget ?? o.initialLearningRate;
  return {
    valueAt(step) {
      if (w > 0 && step < w) return o.initialLearningRate + ((top - o.initialLearningRate) * step) / w;
      const t = Math.min(step - w, o.decaySteps);
      // ½(1 + cos(π t / T)), rescaled to [α, 1]
      const cos = 0.5 * (1 + Math.cos((Math.PI * t) / o.decaySteps));
      return top * ((1 - alpha) * cos + alpha);
    },
  };
}

/**
 * Linear warmup in front of another rate: from `startLearningRate` (default 0) to `after.valueAt(0)` over
 * `warmupSteps` updates, then `after` shifted by the warmup (so it starts from its own step 0).
 */
export function linearWarmup(after: LearningRate, warmupSteps: number, startLearningRate = 0): LRSchedule {
  positive('warmupSteps', warmupSteps, 'linearWarmup');
  return {
    valueAt(step) {
      if (step >= warmupSteps) return resolveLr(after, step - warmupSteps, 'linearWarmup');
      const target = resolveLr(after, 0, 'linearWarmup');
      return startLearningRate + ((target - startLearningRate) * step) / warmupSteps;
    },
  };
}

/**
 * Keras PiecewiseConstantDecay: `values[0]` while step ≤ boundaries[0], `values[i]` while
 * boundaries[i-1] < step ≤ boundaries[i], and the last value after the last boundary.
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): LRSchedule {
  if (values.length !== boundaries.length + 1)
    throw new ValueError(
      `piecewiseConstant: needs one more value than boundaries, got ${boundaries.length} boundaries and ${values.length} values`,
    );
  for (let i = 1; i < boundaries.length; i++)
    if (!(boundaries[i] > boundaries[i - 1]))
      throw new ValueError(`piecewiseConstant: boundaries must increase, got [${boundaries}]`);
  return {
    valueAt(step) {
      const i = boundaries.findIndex((b) => step <= b);
      return values[i < 0 ? values.length - 1 : i];
    },
  };
}

/** Options of {@link ReduceLROnPlateau} (Keras names, camelCase). */
export interface ReduceLROnPlateauOptions {
  /** The starting rate. */
  initialLearningRate: number;
  /** Log key watched by `onEpochEnd` (default 'val_loss'). */
  monitor?: string;
  /** Multiplier applied on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  mode?: 'min' | 'max' | 'auto';
  /** Smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound on the rate (default 0). */
  minLr?: number;
}

/**
 * Keras ReduceLROnPlateau as a schedule object: pass it as an optimizer's `lr` and also to `fit` as a callback
 * (or call `update(value)` yourself, PyTorch-style). The rate changes only between epochs.
 * @example const plateau = new ReduceLROnPlateau({ initialLearningRate: 1e-3, patience: 2 });
 *          const opt = new Adam(params, { lr: plateau }); await model.fit(x, y, { callbacks: [plateau] });
 */
export class ReduceLROnPlateau implements LRSchedule {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly mode: 'min' | 'max';
  lr: number;
  best: number;
  wait = 0;
  cooldownCounter = 0;
  private readonly initial: number;

  constructor(o: ReduceLROnPlateauOptions) {
    checkOptionsObject(
      'ReduceLROnPlateau',
      o,
      ['initialLearningRate', 'monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr'],
      { required: true },
    );
    this.monitor = o.monitor ?? 'val_loss';
    this.factor = o.factor ?? 0.1;
    if (!(this.factor < 1) || !(this.factor >= 0))
      throw new ValueError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.factor}`);
    this.patience = o.patience ?? 10;
    this.minDelta = Math.abs(o.minDelta ?? 1e-4);
    this.cooldown = o.cooldown ?? 0;
    this.minLr = o.minLr ?? 0;
    const mode = o.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max')
      throw new ValueError(`ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got '${String(mode)}'`);
    // NOTE: 'auto' maximises monitors containing 'acc' (Keras rule), minimises everything else.
    this.mode = mode === 'auto' ? (this.monitor.includes('acc') ? 'max' : 'min') : mode;
    this.initial = this.lr = o.initialLearningRate;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  valueAt(): number {
    return this.lr;
  }

  /** Feed one epoch's value of the monitored quantity; returns the (possibly reduced) rate. */
  update(value: number): number {
    if (!Number.isFinite(value)) return this.lr;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    // improvement: value < best - δ (min) or value > best + δ (max)
    const better =
      this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
    if (better) {
      this.best = value;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait++;
      if (this.wait >= this.patience && this.lr > this.minLr) {
        this.lr = Math.max(this.lr * this.factor, this.minLr);
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
    return this.lr;
  }

  /** Callback hook: reads `logs[monitor]`; a missing key warns once per epoch (as Keras) and changes nothing. */
  onEpochEnd(_epoch: number, logs: Record<string, number> = {}): void {
    const v = logs[this.monitor];
    if (v === undefined) {
      console.warn(
        `ReduceLROnPlateau: monitor '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ') || 'none'})`,
      );
      return;
    }
    this.update(v);
  }

  /** Callback hook: a fresh plateau counter (the rate is kept, as Keras). */
  onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  /** Back to the initial rate and a fresh plateau counter. */
  reset(): void {
    this.lr = this.initial;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownCounter = 0;
  }
}
