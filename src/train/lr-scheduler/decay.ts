// The multiplicative decays of torch.optim.lr_scheduler (1.13): StepLR, MultiStepLR, ConstantLR, LinearLR,
// ExponentialLR and PolynomialLR, each in PyTorch's chainable form (a factor on the optimizer's present rate)
// with its closed form for `step(epoch)`.
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRScheduler, checkInt, checkNum, show } from './base.js';

/** Options of {@link StepLR} (PyTorch `step_size`, `gamma`, `last_epoch`). */
export interface StepLROptions {
  /** Epochs between two decays (`step_size`, required). */
  stepSize: number;
  /** Factor of each decay (default 0.1). */
  gamma?: number;
  /** Index of the last epoch when resuming (default -1: start). */
  lastEpoch?: number;
}

/**
 * PyTorch `StepLR`: the rate is multiplied by `gamma` every `stepSize` epochs.
 * @example const sched = new tg.optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 }); // sched.step() per epoch
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  protected readonly stateKeys = ['stepSize', 'gamma'];
  constructor(optimizer: Optimizer, o: StepLROptions) {
    checkOptionsObject('StepLR', o, ['stepSize', 'gamma', 'lastEpoch'], { required: true });
    super('StepLR', optimizer, o.lastEpoch);
    this.stepSize = checkInt('StepLR', 'stepSize', o.stepSize, 1);
    this.gamma = checkNum('StepLR', 'gamma', o.gamma ?? 0.1);
    this.initialStep();
  }
  protected getLr(): number[] {
    // × γ at every multiple of stepSize (not at epoch 0)
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return [this.lr];
    return [this.lr * this.gamma];
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Epoch indices where the rate is multiplied by gamma (a repeated index multiplies once per repeat). */
  milestones: number[];
  /** Factor of each decay (default 0.1). */
  gamma?: number;
  lastEpoch?: number;
}

/** PyTorch `MultiStepLR`: the rate is multiplied by `gamma` at each milestone epoch. */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[];
  readonly gamma: number;
  protected readonly stateKeys = ['milestones', 'gamma'];
  constructor(optimizer: Optimizer, o: MultiStepLROptions) {
    checkOptionsObject('MultiStepLR', o, ['milestones', 'gamma', 'lastEpoch'], { required: true });
    super('MultiStepLR', optimizer, o.lastEpoch);
    if (!Array.isArray(o.milestones))
      throw new ValueError(
        `MultiStepLR: milestones must be an array of epoch indices, got ${show(o.milestones)}`,
      );
    o.milestones.forEach((m, i) => checkInt('MultiStepLR', `milestones[${i}]`, m, 0));
    // NOTE: kept sorted; PyTorch keeps a Counter, so order does not matter and repeats multiply
    this.milestones = [...o.milestones].sort((a, b) => a - b);
    this.gamma = checkNum('MultiStepLR', 'gamma', o.gamma ?? 0.1);
    this.initialStep();
  }
  protected getLr(): number[] {
    // × γ^(how many times lastEpoch is a milestone)
    const n = this.milestones.filter((m) => m === this.lastEpoch).length;
    return n === 0 ? [this.lr] : [this.lr * this.gamma ** n];
  }
  protected override closedForm(): number[] {
    // γ^(number of milestones ≤ lastEpoch) (bisect_right)
    const n = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** n);
  }
}

/** Options of {@link ConstantLR}. */
export interface ConstantLROptions {
  /** Factor in (0, 1] applied until `totalIters` (default 1/3). */
  factor?: number;
  /** Epochs the factor applies for (default 5). */
  totalIters?: number;
  lastEpoch?: number;
}

/** PyTorch `ConstantLR`: the rate times `factor` for the first `totalIters` epochs, then the rate itself. */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;
  protected readonly stateKeys = ['factor', 'totalIters'];
  constructor(optimizer: Optimizer, o: ConstantLROptions = {}) {
    checkOptionsObject('ConstantLR', o, ['factor', 'totalIters', 'lastEpoch']);
    super('ConstantLR', optimizer, o.lastEpoch);
    this.factor = checkNum('ConstantLR', 'factor', o.factor ?? 1 / 3, 0, 1);
    // NOTE: factor 0 is refused (PyTorch accepts it, then multiplies by 1/0 at totalIters)
    if (this.factor === 0)
      throw new ValueError('ConstantLR: factor must be > 0 (the rate is divided by it at totalIters), got 0');
    this.totalIters = checkInt('ConstantLR', 'totalIters', o.totalIters ?? 5, 1);
    this.initialStep();
  }
  protected getLr(): number[] {
    // × factor at epoch 0, × 1/factor at totalIters, unchanged otherwise
    if (this.lastEpoch === 0) return [this.lr * this.factor];
    if (this.lastEpoch !== this.totalIters) return [this.lr];
    return [this.lr * (1 / this.factor)];
  }
  protected override closedForm(): number[] {
    const after = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + after * (1 - this.factor)));
  }
}

/** Options of {@link LinearLR}. */
export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from `totalIters` on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the linear change (default 5). */
  totalIters?: number;
  lastEpoch?: number;
}

/** PyTorch `LinearLR`: the factor on the rate goes linearly from `startFactor` to `endFactor` over `totalIters`. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  protected readonly stateKeys = ['startFactor', 'endFactor', 'totalIters'];
  constructor(optimizer: Optimizer, o: LinearLROptions = {}) {
    checkOptionsObject('LinearLR', o, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch']);
    super('LinearLR', optimizer, o.lastEpoch);
    this.startFactor = checkNum('LinearLR', 'startFactor', o.startFactor ?? 1 / 3, 0, 1);
    // NOTE: startFactor 0 is refused (PyTorch accepts it, then divides by zero at epoch 1)
    if (this.startFactor === 0)
      throw new ValueError('LinearLR: startFactor must be > 0 (the chainable form divides by it), got 0');
    this.endFactor = checkNum('LinearLR', 'endFactor', o.endFactor ?? 1, 0, 1);
    this.totalIters = checkInt('LinearLR', 'totalIters', o.totalIters ?? 5, 1);
    this.initialStep();
  }
  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return [this.lr * s];
    if (t > n) return [this.lr];
    // ratio of consecutive factors: 1 + (e - s) / (n·s + (t-1)(e - s))
    return [this.lr * (1 + (e - s) / (n * s + (t - 1) * (e - s)))];
  }
  protected override closedForm(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Factor applied every epoch (required). */
  gamma: number;
  lastEpoch?: number;
}

/** PyTorch `ExponentialLR`: the rate is multiplied by `gamma` every epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  protected readonly stateKeys = ['gamma'];
  constructor(optimizer: Optimizer, o: ExponentialLROptions) {
    checkOptionsObject('ExponentialLR', o, ['gamma', 'lastEpoch'], { required: true });
    super('ExponentialLR', optimizer, o.lastEpoch);
    this.gamma = checkNum('ExponentialLR', 'gamma', o.gamma);
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.lastEpoch === 0 ? [this.lr] : [this.lr * this.gamma];
  }
  protected override closedForm(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** Options of {@link PolynomialLR}. */
export interface PolynomialLROptions {
  /** Epochs over which the rate decays to 0 (default 5). */
  totalIters?: number;
  /** Power of the polynomial (default 1). */
  power?: number;
  lastEpoch?: number;
}

/** PyTorch `PolynomialLR`: rate · (1 - min(t, totalIters)/totalIters)^power, in chainable form. */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;
  protected readonly stateKeys = ['totalIters', 'power'];
  constructor(optimizer: Optimizer, o: PolynomialLROptions = {}) {
    checkOptionsObject('PolynomialLR', o, ['totalIters', 'power', 'lastEpoch']);
    super('PolynomialLR', optimizer, o.lastEpoch);
    this.totalIters = checkInt('PolynomialLR', 'totalIters', o.totalIters ?? 5, 1);
    this.power = checkNum('PolynomialLR', 'power', o.power ?? 1);
    this.initialStep();
  }
  protected getLr(): number[] {
    const { totalIters: n, lastEpoch: t } = this;
    if (t === 0 || t > n) return [this.lr];
    // ((1 - t/n) / (1 - (t-1)/n))^power
    const f = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** this.power;
    return [this.lr * f];
  }
  protected override closedForm(): number[] {
    const n = this.totalIters;
    return this.baseLrs.map((b) => b * (1.0 - Math.min(n, this.lastEpoch) / n) ** this.power);
  }
}
