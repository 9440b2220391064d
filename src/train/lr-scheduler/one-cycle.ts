// PyTorch 1.13 `OneCycleLR`: the 1cycle policy (warm up to maxLr, anneal to maxLr / divFactor / finalDivFactor),
// two or three phases, cosine or linear annealing, with momentum (or Adam's beta1) cycled inversely.
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRScheduler, checkInt, checkNum, groupOf, show } from './base.js';
import { type MomentumKey, momentumKey, writeMomentum } from './momentum.js';

/** Options of {@link OneCycleLR} (PyTorch's names in camelCase). */
export interface OneCycleLROptions {
  /** The peak rate (`max_lr`, required). */
  maxLr: number;
  /** Steps in the cycle; else `epochs` · `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /**
   * Cycle the optimizer's momentum (SGD, RMSprop, built with momentum > 0) or beta1 (Adam, AdamW, Adamax, NAdam)
   * inversely to the rate (default true, as PyTorch; other optimizers need false).
   */
  cycleMomentum?: boolean;
  /** Momentum at the peak rate (default 0.85). */
  baseMomentum?: number;
  /** Momentum at the start and end (default 0.95). */
  maxMomentum?: number;
  /** Initial rate = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final rate = initial rate / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial rate, then annihilation) as the original paper (default false). */
  threePhase?: boolean;
  /** Index of the last batch when resuming (default -1). */
  lastEpoch?: number;
}

const KEYS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
  'lastEpoch',
];

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * PyTorch `OneCycleLR`: call `step()` after every batch. The optimizer's rate starts at maxLr / divFactor.
 * @example new tg.optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 1000 })
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  threePhase: boolean;
  readonly cycleMomentum: boolean;
  /** The cycled hyperparameter (`momentum` or `beta1`), null without cycleMomentum. */
  readonly momentumKey: MomentumKey | null;
  protected readonly stateKeys = ['totalSteps', 'pctStart', 'annealStrategy', 'threePhase'];

  constructor(optimizer: Optimizer, o: OneCycleLROptions) {
    const name = 'OneCycleLR';
    checkOptionsObject(name, o, KEYS, { required: true });
    super(name, optimizer, o.lastEpoch);
    if (o.totalSteps !== undefined) this.totalSteps = checkInt(name, 'totalSteps', o.totalSteps, 1);
    else if (o.epochs === undefined || o.stepsPerEpoch === undefined)
      throw new ValueError(`${name}: give totalSteps, or both epochs and stepsPerEpoch`);
    else
      this.totalSteps =
        checkInt(name, 'epochs', o.epochs, 1) * checkInt(name, 'stepsPerEpoch', o.stepsPerEpoch, 1);
    // NOTE: epochs / stepsPerEpoch next to totalSteps are refused (PyTorch ignores them)
    if (o.totalSteps !== undefined && (o.epochs !== undefined || o.stepsPerEpoch !== undefined))
      throw new ValueError(`${name}: give totalSteps or epochs and stepsPerEpoch, not both`);
    this.pctStart = checkNum(name, 'pctStart', o.pctStart ?? 0.3, 0, 1);
    const anneal = o.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear')
      throw new ValueError(`${name}: annealStrategy must be 'cos' or 'linear', got ${show(anneal)}`);
    this.annealStrategy = anneal;
    this.threePhase = o.threePhase ?? false;
    if (typeof this.threePhase !== 'boolean')
      throw new ValueError(`${name}: threePhase must be a boolean, got ${show(o.threePhase)}`);
    const maxLr = checkNum(name, 'maxLr', o.maxLr, 0);
    const div = checkNum(name, 'divFactor', o.divFactor ?? 25, 0);
    const finalDiv = checkNum(name, 'finalDivFactor', o.finalDivFactor ?? 1e4, 0);
    if (div === 0 || finalDiv === 0)
      throw new ValueError(`${name}: divFactor and finalDivFactor must be > 0`);
    const g = groupOf(optimizer);
    // the group's initial, peak and final rates (PyTorch stores them in the param group)
    if (this.lastEpoch === -1) {
      g.initial_lr = maxLr / div;
      g.max_lr = maxLr;
      g.min_lr = g.initial_lr / finalDiv;
    }
    this.baseLrs = [g.initial_lr];
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (typeof this.cycleMomentum !== 'boolean')
      throw new ValueError(`${name}: cycleMomentum must be a boolean, got ${show(o.cycleMomentum)}`);
    if (this.cycleMomentum) {
      this.momentumKey = momentumKey(name, optimizer, true);
      const maxM = checkNum(name, 'maxMomentum', o.maxMomentum ?? 0.95, 0, 1);
      const baseM = checkNum(name, 'baseMomentum', o.baseMomentum ?? 0.85, 0, 1);
      if (this.lastEpoch === -1) {
        writeMomentum(optimizer, this.momentumKey, maxM);
        g.max_momentum = maxM;
        g.base_momentum = baseM;
      }
    } else {
      // NOTE: refused rather than ignored (PyTorch ignores them without cycle_momentum)
      if (o.baseMomentum !== undefined || o.maxMomentum !== undefined)
        throw new ValueError(`${name}: baseMomentum and maxMomentum are used only with cycleMomentum: true`);
      this.momentumKey = null;
    }
    for (const k of [
      'initial_lr',
      'max_lr',
      'min_lr',
      ...(this.cycleMomentum ? ['max_momentum', 'base_momentum'] : []),
    ])
      if (g[k] === undefined)
        throw new ValueError(
          `${name}: lastEpoch ${this.lastEpoch} resumes a cycle, but the optimizer has no ${k} (construct with lastEpoch -1)`,
        );
    this.initialStep();
  }

  /** PyTorch's phases for the present totalSteps, pctStart and threePhase. */
  private phases(): Phase[] {
    const n = this.totalSteps;
    const p = this.pctStart;
    if (this.threePhase)
      return [
        {
          endStep: p * n - 1,
          startLr: 'initial_lr',
          endLr: 'max_lr',
          startMomentum: 'max_momentum',
          endMomentum: 'base_momentum',
        },
        {
          endStep: 2 * p * n - 2,
          startLr: 'max_lr',
          endLr: 'initial_lr',
          startMomentum: 'base_momentum',
          endMomentum: 'max_momentum',
        },
        {
          endStep: n - 1,
          startLr: 'initial_lr',
          endLr: 'min_lr',
          startMomentum: 'max_momentum',
          endMomentum: 'max_momentum',
        },
      ];
    return [
      {
        endStep: p * n - 1,
        startLr: 'initial_lr',
        endLr: 'max_lr',
        startMomentum: 'max_momentum',
        endMomentum: 'base_momentum',
      },
      {
        endStep: n - 1,
        startLr: 'max_lr',
        endLr: 'min_lr',
        startMomentum: 'base_momentum',
        endMomentum: 'max_momentum',
      },
    ];
  }

  private anneal(start: number, end: number, pct: number): number {
    // cos: end + (start - end)/2 · (cos(π pct) + 1); linear: (end - start)·pct + start
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const t = this.lastEpoch;
    if (t > this.totalSteps)
      throw new ValueError(
        `${this.name}: tried to step ${t + 1} times; the specified number of total steps is ${this.totalSteps}`,
      );
    const g = groupOf(this.optimizer);
    const phases = this.phases();
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const ph = phases[i];
      if (t <= ph.endStep || i === phases.length - 1) {
        if (ph.endStep === start)
          throw new ValueError(
            `${this.name}: pctStart ${this.pctStart} with totalSteps ${this.totalSteps} makes phase ${i + 1} empty (PyTorch divides by zero here); choose another pctStart`,
          );
        const pct = (t - start) / (ph.endStep - start);
        if (this.momentumKey)
          writeMomentum(
            this.optimizer,
            this.momentumKey,
            this.anneal(g[ph.startMomentum], g[ph.endMomentum], pct),
          );
        return [this.anneal(g[ph.startLr], g[ph.endLr], pct)];
      }
      start = ph.endStep;
    }
    /* c8 ignore next */
    throw new Error('unreachable');
  }
}
