// PyTorch 1.13 `CyclicLR`: the rate cycles between baseLr and maxLr (triangular, triangular2, exp_range or a
// custom scale function), with momentum cycled inversely.
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRScheduler, checkNum, checkOptimizer, readLr, writeLr, show } from './base.js';
import { type MomentumKey, momentumKey, readMomentum, writeMomentum } from './momentum.js';

/** Options of {@link CyclicLR} (PyTorch's names in camelCase). */
export interface CyclicLROptions {
  /** Lower rate of the cycle (`base_lr`, required). */
  baseLr: number;
  /** Upper rate of the cycle (`max_lr`, required). */
  maxLr: number;
  /** Steps of the rising half (default 2000). */
  stepSizeUp?: number;
  /** Steps of the falling half (default stepSizeUp). */
  stepSizeDown?: number;
  /** 'triangular' (default), 'triangular2' (amplitude halved every cycle) or 'exp_range' (× gamma^iteration). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** The exp_range factor (default 1; only with mode 'exp_range'). */
  gamma?: number;
  /** A custom amplitude scale in [0, 1] (replaces `mode`). */
  scaleFn?: (x: number) => number;
  /** What scaleFn is given: the cycle number ('cycle', default) or the iteration ('iterations'). */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle the optimizer's momentum (SGD or RMSprop built with momentum > 0) inversely (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak rate (default 0.8). */
  baseMomentum?: number;
  /** Momentum at the base rate (default 0.9). */
  maxMomentum?: number;
  /** Index of the last batch when resuming (default -1). */
  lastEpoch?: number;
}

const KEYS = [
  'baseLr',
  'maxLr',
  'stepSizeUp',
  'stepSizeDown',
  'mode',
  'gamma',
  'scaleFn',
  'scaleMode',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'lastEpoch',
];

/**
 * PyTorch `CyclicLR`: call `step()` after every batch. Constructing it sets the optimizer's rate to baseLr.
 * @example new tg.optim.lrScheduler.CyclicLR(opt, { baseLr: 1e-3, maxLr: 0.1, stepSizeUp: 200 })
 */
export class CyclicLR extends LRScheduler {
  maxLr: number;
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  scaleMode: string;
  readonly cycleMomentum: boolean;
  baseMomentum = 0;
  maxMomentum = 0;
  readonly scaleFnCustom: ((x: number) => number) | null;
  private readonly momentumKey: MomentumKey | null = null;
  protected readonly stateKeys = [
    'maxLr',
    'totalSize',
    'stepRatio',
    'mode',
    'gamma',
    'scaleMode',
    'baseMomentum',
    'maxMomentum',
  ];

  constructor(optimizer: Optimizer, o: CyclicLROptions) {
    const name = 'CyclicLR';
    checkOptionsObject(name, o, KEYS, { required: true });
    checkOptimizer(name, optimizer);
    readLr(name, optimizer); // refuses a schedule as lr before it is overwritten
    const baseLr = checkNum(name, 'baseLr', o.baseLr, 0);
    // the optimizer starts at baseLr (before the base class records initial_lr)
    if ((o.lastEpoch ?? -1) === -1) writeLr(optimizer, baseLr);
    super(name, optimizer, o.lastEpoch);
    this.maxLr = checkNum(name, 'maxLr', o.maxLr, 0);
    const up = checkNum(name, 'stepSizeUp', o.stepSizeUp ?? 2000, 0);
    const down = checkNum(name, 'stepSizeDown', o.stepSizeDown ?? up, 0);
    if (!(up + down > 0)) throw new ValueError(`${name}: stepSizeUp + stepSizeDown must be > 0`);
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    if (o.scaleFn !== undefined) {
      if (typeof o.scaleFn !== 'function')
        throw new ValueError(`${name}: scaleFn must be a function (x) => scale, got ${show(o.scaleFn)}`);
      // NOTE: mode and gamma next to scaleFn are refused (PyTorch ignores them)
      if (o.mode !== undefined || o.gamma !== undefined)
        throw new ValueError(`${name}: mode and gamma are not used with scaleFn; remove them`);
      this.scaleFnCustom = o.scaleFn;
      this.mode = 'custom';
      this.scaleMode = o.scaleMode ?? 'cycle';
      if (this.scaleMode !== 'cycle' && this.scaleMode !== 'iterations')
        throw new ValueError(`${name}: scaleMode must be 'cycle' or 'iterations', got ${show(o.scaleMode)}`);
    } else {
      this.scaleFnCustom = null;
      const mode = o.mode ?? 'triangular';
      if (mode !== 'triangular' && mode !== 'triangular2' && mode !== 'exp_range')
        throw new ValueError(
          `${name}: mode must be 'triangular', 'triangular2' or 'exp_range' (or give scaleFn), got ${show(mode)}`,
        );
      // NOTE: scaleMode without scaleFn and gamma outside exp_range are refused (PyTorch ignores them)
      if (o.scaleMode !== undefined) throw new ValueError(`${name}: scaleMode is used only with scaleFn`);
      if (o.gamma !== undefined && mode !== 'exp_range')
        throw new ValueError(`${name}: gamma is used only with mode 'exp_range' (mode is '${mode}')`);
      this.mode = mode;
      this.scaleMode = mode === 'exp_range' ? 'iterations' : 'cycle';
    }
    this.gamma = checkNum(name, 'gamma', o.gamma ?? 1);
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (typeof this.cycleMomentum !== 'boolean')
      throw new ValueError(`${name}: cycleMomentum must be a boolean, got ${show(o.cycleMomentum)}`);
    if (this.cycleMomentum) {
      this.momentumKey = momentumKey(name, optimizer, false);
      const baseM = checkNum(name, 'baseMomentum', o.baseMomentum ?? 0.8, 0, 1);
      if (this.lastEpoch === -1) writeMomentum(optimizer, this.momentumKey, baseM);
      this.baseMomentum = readMomentum(optimizer, this.momentumKey);
      this.maxMomentum = checkNum(name, 'maxMomentum', o.maxMomentum ?? 0.9, 0, 1);
    } else if (o.baseMomentum !== undefined || o.maxMomentum !== undefined)
      throw new ValueError(`${name}: baseMomentum and maxMomentum are used only with cycleMomentum: true`);
    this.initialStep();
    // as PyTorch: the first step used initial_lr; from now on the cycle's lower end is baseLr
    this.baseLrs = [baseLr];
  }

  /** The amplitude scale at `x` (the cycle number or the iteration). */
  private scale(x: number): number {
    if (this.scaleFnCustom) return this.scaleFnCustom(x);
    if (this.mode === 'triangular2') return 1 / 2.0 ** (x - 1);
    if (this.mode === 'exp_range') return this.gamma ** x;
    return 1.0;
  }

  protected getLr(): number[] {
    const t = this.lastEpoch;
    const cycle = Math.floor(1 + t / this.totalSize);
    const x = 1 + t / this.totalSize - cycle;
    // position in the cycle: rising x / r, falling (x - 1)/(r - 1)
    const f = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scale(this.scaleMode === 'cycle' ? cycle : t);
    if (this.momentumKey) {
      const h = (this.maxMomentum - this.baseMomentum) * f;
      writeMomentum(this.optimizer, this.momentumKey, this.maxMomentum - h * s);
    }
    return this.baseLrs.map((b) => b + (this.maxLr - b) * f * s);
  }
}
