// Schedulers made of schedulers (torch.optim.lr_scheduler 1.13): SequentialLR (one after another at
// milestones) and ChainedScheduler (all of them at every step, their factors multiplying).
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import {
  LRScheduler,
  SchedulerBase,
  type StateDict,
  checkInt,
  checkStateKeys,
  groupOf,
  readLr,
  show,
} from './base.js';

/** Options of {@link SequentialLR}. */
export interface SequentialLROptions {
  /** The schedulers, in order, all on `optimizer`. */
  schedulers: LRScheduler[];
  /** The epochs where the next scheduler takes over (one fewer than schedulers, increasing). */
  milestones: number[];
  lastEpoch?: number;
}

function checkChildren(name: string, list: unknown, optimizer: Optimizer | null): LRScheduler[] {
  if (!Array.isArray(list) || list.length === 0)
    throw new ValueError(`${name}: schedulers must be a non-empty array of schedulers, got ${show(list)}`);
  const opt = optimizer ?? (list[0] as { optimizer?: Optimizer }).optimizer;
  list.forEach((s, i) => {
    // NOTE: only chainable schedulers (ReduceLROnPlateau and the composites have no lastEpoch to restart)
    if (!(s instanceof LRScheduler))
      throw new ValueError(
        `${name}: schedulers[${i}] must be a chainable scheduler (StepLR, LinearLR, ...), got ${s instanceof SchedulerBase ? s.name : show(s)}`,
      );
    if (s.optimizer !== opt)
      throw new ValueError(
        `${name}: schedulers[${i}] belongs to another optimizer; all schedulers must share ${optimizer ? 'the optimizer passed in' : "schedulers[0]'s optimizer"}`,
      );
  });
  return list as LRScheduler[];
}

/**
 * PyTorch `SequentialLR`: `schedulers[i]` drives the rate from `milestones[i-1]` on; at a milestone the next
 * scheduler restarts at its epoch 0 (`step(0)`, its closed form). Construct the children first, then this.
 * @example new SequentialLR(opt, { schedulers: [new LinearLR(opt, { totalIters: 5 }), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [5] })
 */
export class SequentialLR extends SchedulerBase {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];
  lastEpoch: number;

  constructor(optimizer: Optimizer, o: SequentialLROptions) {
    const name = 'SequentialLR';
    checkOptionsObject(name, o, ['schedulers', 'milestones', 'lastEpoch'], { required: true });
    super(name, optimizer);
    this.schedulers = checkChildren(name, o.schedulers, optimizer);
    if (!Array.isArray(o.milestones) || o.milestones.length !== this.schedulers.length - 1)
      throw new ValueError(
        `${name}: expected ${this.schedulers.length - 1} milestones (one fewer than the ${this.schedulers.length} schedulers), got ${show(o.milestones)}`,
      );
    o.milestones.forEach((m, i) => {
      checkInt(name, `milestones[${i}]`, m, 0);
      // NOTE: increasing milestones are required (PyTorch bisects them without checking)
      if (i > 0 && !(m > o.milestones[i - 1]))
        throw new ValueError(`${name}: milestones must increase, got [${o.milestones.join(', ')}]`);
    });
    this.milestones = [...o.milestones];
    this.lastEpoch = checkInt(name, 'lastEpoch', o.lastEpoch ?? -1, -1) + 1;
    // back to the initial rate, undo the children's constructor steps, and restart the first one
    optimizer.learningRate = groupOf(optimizer).initial_lr;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  /** One epoch on: the scheduler whose span holds the new epoch steps (restarting at 0 on its milestone). */
  step(): void {
    this.lastEpoch++;
    // bisect_right: the number of milestones ≤ lastEpoch
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  /** Plain JSON: `lastEpoch`, `milestones`, `lastLr` and every child's state dict. */
  stateDict(): StateDict {
    return {
      lastEpoch: this.lastEpoch,
      milestones: [...this.milestones],
      lastLr: [...this.lastLr],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(state: StateDict): void {
    const s = checkStateKeys(this.name, state, this.stateDict());
    const kids = s.schedulers as StateDict[];
    if (kids.length !== this.schedulers.length)
      throw new ValueError(
        `${this.name}.loadStateDict: ${kids.length} scheduler states for ${this.schedulers.length} schedulers`,
      );
    this.schedulers.forEach((c, i) => c.loadStateDict(kids[i]));
    this.lastEpoch = s.lastEpoch as number;
    (this.milestones as number[]).splice(0, this.milestones.length, ...(s.milestones as number[]));
    this.lastLr = [...(s.lastLr as number[])];
  }
}

/**
 * PyTorch `ChainedScheduler`: `step()` steps every scheduler in order, so their chainable factors multiply.
 * @example new ChainedScheduler([new ConstantLR(opt, { factor: 0.1, totalIters: 2 }), new ExponentialLR(opt, { gamma: 0.9 })])
 */
export class ChainedScheduler extends SchedulerBase {
  readonly schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[]) {
    const name = 'ChainedScheduler';
    const list = checkChildren(name, schedulers, null);
    super(name, list[0].optimizer);
    this.schedulers = list;
    this.lastLr = [readLr(name, this.optimizer)];
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = [readLr(this.name, this.optimizer)];
  }

  /** Plain JSON: `lastLr` and every child's state dict. */
  stateDict(): StateDict {
    return { lastLr: [...this.lastLr], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(state: StateDict): void {
    const s = checkStateKeys(this.name, state, this.stateDict());
    const kids = s.schedulers as StateDict[];
    if (kids.length !== this.schedulers.length)
      throw new ValueError(
        `${this.name}.loadStateDict: ${kids.length} scheduler states for ${this.schedulers.length} schedulers`,
      );
    this.schedulers.forEach((c, i) => c.loadStateDict(kids[i]));
    this.lastLr = [...(s.lastLr as number[])];
  }
}
