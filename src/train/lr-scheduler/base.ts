// The machinery every PyTorch-style learning-rate scheduler shares (torch.optim.lr_scheduler._LRScheduler, 1.13):
// the optimizer's single rate read and written through `learningRate`, `initial_lr` and friends kept per
// optimizer, the chainable `step()`, `getLastLr()` and a plain-JSON state dict.
import { ValueError, describeValue } from '../../core/errors.js';
import { Optimizer } from '../optim/optimizer.js';

/**
 * What PyTorch keeps in a param group besides `lr` (`initial_lr`, and OneCycleLR's `max_lr`, `min_lr`,
 * `max_momentum`, `base_momentum`), one record per optimizer, so a second scheduler on the same optimizer sees
 * the first one's `initial_lr` as in PyTorch.
 * NOTE: tapegrad optimizers have one learning rate (no param groups): this is the one group's record.
 */
const groups = new WeakMap<Optimizer, Record<string, number>>();

/** The param-group record of `opt` (created empty on first use). */
export function groupOf(opt: Optimizer): Record<string, number> {
  let g = groups.get(opt);
  if (!g) groups.set(opt, (g = {}));
  return g;
}

/** The optimizer's rate; a schedule or function as `lr` cannot be driven by a scheduler, so it is refused. */
export function readLr(name: string, opt: Optimizer): number {
  const lr = opt.rule.hp.lr;
  if (typeof lr !== 'number')
    throw new ValueError(
      `${name}: the optimizer's learning rate is a ${typeof lr === 'function' ? 'function' : 'schedule object'}, not a number; a PyTorch-style scheduler sets the rate itself, so give the optimizer a number as lr (e.g. { lr: 0.1 })`,
    );
  return lr;
}

/** Set the optimizer's rate (checked by the optimizer: a finite number ≥ 0). */
export function writeLr(opt: Optimizer, lr: number): void {
  opt.learningRate = lr;
}

/** A ValueError unless `opt` is a tapegrad Optimizer. */
export function checkOptimizer(name: string, opt: unknown): asserts opt is Optimizer {
  if (!(opt instanceof Optimizer))
    throw new ValueError(
      `${name}: the first argument must be an optimizer (e.g. new tg.optim.SGD(params, { lr: 0.1 })), got ${show(opt)}`,
    );
}

/** A value for an error message: numbers as themselves, anything else described. */
export const show = (v: unknown): string =>
  typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : typeof v === 'string'
      ? `'${v}'`
      : describeValue(v);

/** A ValueError unless `v` is an integer ≥ `lo`. */
export function checkInt(name: string, field: string, v: unknown, lo: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo)
    throw new ValueError(`${name}: ${field} must be an integer ≥ ${lo}, got ${show(v)}`);
  return v;
}

/** A ValueError unless `v` is a finite number in [lo, hi]. */
export function checkNum(name: string, field: string, v: unknown, lo = -Infinity, hi = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    const range = lo === -Infinity && hi === Infinity ? 'a finite number' : `a number in [${lo}, ${hi}]`;
    throw new ValueError(`${name}: ${field} must be ${range}, got ${show(v)}`);
  }
  return v;
}

/** Plain-JSON state: numbers, strings, booleans, null and arrays / objects of them. */
export type StateDict = Record<string, unknown>;

/** ±Infinity and NaN as strings (JSON has no such numbers); other values unchanged. */
export const encodeNum = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
/** The inverse of {@link encodeNum}. */
export function decodeNum(name: string, key: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') return Number(v);
  throw new ValueError(`${name}.loadStateDict: '${key}' must be a number, got ${show(v)}`);
}

/**
 * Check a state dict against the one this scheduler would write: same keys (unknown and missing ones named),
 * and each value of the same kind (number, string, boolean, array, object).
 */
export function checkStateKeys(name: string, state: unknown, expected: StateDict): StateDict {
  const op = `${name}.loadStateDict`;
  if (state === null || typeof state !== 'object' || Array.isArray(state))
    throw new ValueError(`${op}: expected an object written by stateDict(), got ${show(state)}`);
  const s = state as StateDict;
  const extra = Object.keys(s).filter((k) => !(k in expected));
  if (extra.length)
    throw new ValueError(
      `${op}: unknown keys ${extra.join(', ')} (known: ${Object.keys(expected).join(', ')})`,
    );
  // a number may be stored as 'Infinity' / '-Infinity' / 'NaN' (encodeNum)
  const kind = (v: unknown) =>
    Array.isArray(v)
      ? 'array'
      : v === null
        ? 'null'
        : v === 'Infinity' || v === '-Infinity' || v === 'NaN'
          ? 'number'
          : typeof v;
  for (const [k, v] of Object.entries(expected)) {
    if (!(k in s)) throw new ValueError(`${op}: missing key '${k}'`);
    if (kind(s[k]) !== kind(v)) throw new ValueError(`${op}: '${k}' must be a ${kind(v)}, got ${show(s[k])}`);
  }
  return s;
}

/** What every scheduler has: the optimizer, `step`, `getLastLr`, and a plain-JSON state dict. */
export abstract class SchedulerBase {
  /** The scheduler's name in error messages. */
  readonly name: string;
  readonly optimizer: Optimizer;
  /** The rate set by the last `step` (PyTorch `_last_lr`). */
  protected lastLr: number[] = [];

  constructor(name: string, optimizer: Optimizer) {
    checkOptimizer(name, optimizer);
    this.name = name;
    this.optimizer = optimizer;
  }

  /**
   * The rate this scheduler set last, as PyTorch's `get_last_lr()`.
   * NOTE: a one-element array: tapegrad optimizers have a single learning rate (no param groups).
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  abstract stateDict(): StateDict;
  abstract loadStateDict(state: StateDict): void;
}

/**
 * The base of the chainable schedulers (PyTorch `_LRScheduler`): `step()` advances `lastEpoch` and sets the
 * optimizer's rate to `getLr()`; `step(epoch)` jumps to `epoch` and uses the closed form where there is one
 * (PyTorch's deprecated form, which SequentialLR relies on). Subclasses call `initialStep()` at the end of their
 * constructor, which sets the optimizer's rate to the schedule's first value.
 */
export abstract class LRScheduler extends SchedulerBase {
  /** The index of the last epoch (or batch) stepped; -1 before the constructor's implicit first step. */
  lastEpoch: number;
  /** The rate each schedule starts from (the optimizer's `initial_lr`). */
  baseLrs: number[];
  /** Calls of `step` (PyTorch `_step_count`; 1 after construction). */
  protected stepCount = 0;
  /** Names of the subclass fields saved by `stateDict` besides the common ones. */
  protected abstract readonly stateKeys: readonly string[];

  constructor(name: string, optimizer: Optimizer, lastEpoch: number | undefined) {
    super(name, optimizer);
    const le = checkInt(name, 'lastEpoch', lastEpoch ?? -1, -1);
    const g = groupOf(optimizer);
    const lr = readLr(name, optimizer);
    // lastEpoch -1: the optimizer's present rate becomes initial_lr unless an earlier scheduler set it
    if (le === -1) g.initial_lr ??= lr;
    else if (g.initial_lr === undefined)
      throw new ValueError(
        `${name}: lastEpoch ${le} resumes a schedule, but no scheduler has set this optimizer's initial_lr yet (PyTorch: "param 'initial_lr' is not specified"); construct the scheduler with lastEpoch -1, or load its stateDict`,
      );
    this.baseLrs = [g.initial_lr];
    this.lastEpoch = le;
  }

  /** The chainable rate for `lastEpoch` (reads the optimizer's present rate). */
  protected abstract getLr(): number[];
  /** The closed-form rate for `lastEpoch`, used by `step(epoch)`; null where PyTorch has none. */
  protected closedForm(): number[] | null {
    return null;
  }

  /** The optimizer's present rate (PyTorch `group['lr']`). */
  protected get lr(): number {
    return readLr(this.name, this.optimizer);
  }

  /** PyTorch `_initial_step`: reset the step count and step once. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /**
   * Advance one epoch (or batch) and set the optimizer's rate. With `epoch`, jump to it and use the closed form
   * (PyTorch's deprecated `step(epoch)`, without its warning).
   */
  step(epoch?: number): void {
    this.stepCount++;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = checkInt(this.name, 'step(epoch): epoch', epoch, 0);
      values = this.closedForm() ?? this.getLr();
    }
    this.setLr(values[0]);
  }

  /** Set the optimizer's rate and record it as the last rate. */
  protected setLr(lr: number): void {
    readLr(this.name, this.optimizer); // the optimizer's lr may have been replaced by a schedule since
    // NOTE: a negative or non-finite rate is refused (PyTorch would set it; e.g. OneCycleLR's linear anneal
    // extrapolated by the step after the cycle's last)
    if (!(lr >= 0) || !Number.isFinite(lr))
      throw new ValueError(
        `${this.name}: step to epoch ${this.lastEpoch} gives the learning rate ${lr}; a rate must be a finite number ≥ 0`,
      );
    writeLr(this.optimizer, lr);
    this.lastLr = [this.lr];
  }

  /** Plain JSON: `lastEpoch`, `stepCount`, `baseLrs`, `lastLr` and the scheduler's own fields. */
  stateDict(): StateDict {
    const self = this as unknown as Record<string, unknown>;
    const own = Object.fromEntries(
      this.stateKeys.map((k) => {
        const v = self[k];
        return [k, Array.isArray(v) ? [...(v as unknown[])] : v];
      }),
    );
    return {
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
      ...own,
    };
  }

  /** Load a state written by `stateDict` (same keys, same kinds of value); the optimizer's rate is not changed. */
  loadStateDict(state: StateDict): void {
    const s = checkStateKeys(this.name, state, this.stateDict());
    const self = this as unknown as Record<string, unknown>;
    this.lastEpoch = s.lastEpoch as number;
    this.stepCount = s.stepCount as number;
    this.baseLrs = [...(s.baseLrs as number[])];
    this.lastLr = [...(s.lastLr as number[])];
    for (const k of this.stateKeys) {
      const v = s[k];
      self[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
    }
  }
}
