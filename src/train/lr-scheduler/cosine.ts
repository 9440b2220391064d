// Cosine annealing schedulers of torch.optim.lr_scheduler (1.13): CosineAnnealingLR in PyTorch's recursive
// (chainable) form, and CosineAnnealingWarmRestarts (SGDR) with fractional `step(epoch)`.
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRScheduler, checkInt, checkNum, show } from './base.js';

/** Options of {@link CosineAnnealingLR} (PyTorch `T_max` → `tMax`, `eta_min` → `etaMin`). */
export interface CosineAnnealingLROptions {
  /** Epochs of a half cosine period (`T_max`, required). */
  tMax: number;
  /** The lowest rate (`eta_min`, default 0). */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * PyTorch `CosineAnnealingLR`: η_t = η_min + ½(η_max - η_min)(1 + cos(π t / T_max)), computed as PyTorch does,
 * recursively from the optimizer's present rate (so it composes with other schedulers and gives PyTorch's exact
 * numbers); past `tMax` the cosine continues (the rate rises again), as in PyTorch.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  protected readonly stateKeys = ['tMax', 'etaMin'];
  constructor(optimizer: Optimizer, o: CosineAnnealingLROptions) {
    checkOptionsObject('CosineAnnealingLR', o, ['tMax', 'etaMin', 'lastEpoch'], { required: true });
    super('CosineAnnealingLR', optimizer, o.lastEpoch);
    this.tMax = checkInt('CosineAnnealingLR', 'tMax', o.tMax, 1);
    this.etaMin = checkNum('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, 0);
    this.initialStep();
  }
  protected getLr(): number[] {
    const { tMax: T, etaMin: eta, lastEpoch: t } = this;
    const base = this.baseLrs[0];
    if (t === 0) return [this.lr];
    // resuming (first step with lastEpoch > 0): the closed form
    if (this.stepCount === 1 && t > 0) return [eta + ((base - eta) * (1 + Math.cos((t * Math.PI) / T))) / 2];
    // the step after a minimum (t - 1 = T_max, 3T_max, ...): add back ½(η_max - η_min)(1 - cos(π/T_max))
    if ((t - 1 - T) % (2 * T) === 0) return [this.lr + ((base - eta) * (1 - Math.cos(Math.PI / T))) / 2];
    // ratio of consecutive cosine factors applied to (rate - η_min)
    return [
      ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (this.lr - eta) + eta,
    ];
  }
  protected override closedForm(): number[] {
    const { tMax: T, etaMin: eta, lastEpoch: t } = this;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
}

/** Options of {@link CosineAnnealingWarmRestarts} (PyTorch `T_0` → `t0`, `T_mult` → `tMult`, `eta_min` → `etaMin`). */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart (`T_0`, a positive integer, required). */
  t0: number;
  /** Factor by which the period grows after each restart (`T_mult`, an integer ≥ 1, default 1). */
  tMult?: number;
  /** The lowest rate (`eta_min`, default 0). */
  etaMin?: number;
  lastEpoch?: number;
}

/**
 * PyTorch `CosineAnnealingWarmRestarts` (SGDR): η = η_min + ½(η_max - η_min)(1 + cos(π T_cur / T_i)), restarting
 * when T_cur reaches T_i (then T_i ← T_i · tMult). `step()` advances one epoch; `step(epoch)` jumps to a possibly
 * fractional epoch (e.g. `epoch + i / iters` inside an epoch).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  /** The length of the present period (`T_i`). */
  tI: number;
  /** Epochs since the last restart (`T_cur`, fractional after `step(epoch)`). */
  tCur: number;
  protected readonly stateKeys = ['t0', 'tMult', 'etaMin', 'tI', 'tCur'];
  constructor(optimizer: Optimizer, o: CosineAnnealingWarmRestartsOptions) {
    const name = 'CosineAnnealingWarmRestarts';
    checkOptionsObject(name, o, ['t0', 'tMult', 'etaMin', 'lastEpoch'], { required: true });
    super(name, optimizer, o.lastEpoch);
    this.t0 = checkInt(name, 't0', o.t0, 1);
    this.tI = this.t0;
    this.tMult = checkInt(name, 'tMult', o.tMult ?? 1, 1);
    this.etaMin = checkNum(name, 'etaMin', o.etaMin ?? 0, 0);
    this.tCur = this.lastEpoch;
    this.initialStep();
  }
  protected getLr(): number[] {
    const eta = this.etaMin;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }
  /** One epoch on, or (with `epoch`, ≥ 0 and possibly fractional) to that epoch. */
  override step(epoch?: number): void {
    // NOTE: as PyTorch, this override does not count steps (stepCount stays as the constructor left it)
    let e: number;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      e = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      // restart: T_cur wraps, the period grows
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0)
        throw new ValueError(`${this.name}: step(epoch): epoch must be a number ≥ 0, got ${show(epoch)}`);
      e = epoch;
      if (e >= this.t0) {
        if (this.tMult === 1) this.tCur = e % this.t0;
        else {
          // the period n that epoch falls in: T_0(T_mult^n - 1)/(T_mult - 1) ≤ epoch
          const n = Math.trunc(Math.log((e / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = e - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = e;
      }
    }
    this.lastEpoch = Math.floor(e);
    this.setLr(this.getLr()[0]);
  }
}
