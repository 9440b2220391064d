// The timing protocol of every benchmark cell: a fresh model timed step by step in a plain synchronous loop (first
// steps and a steady run); in a second process, another fresh model in a loop that yields to the event loop after
// every call. Cells are medians with p90 beside them, never the fastest call.

/** A workload's step: synchronous, or returning a promise (tfjs training, `fit`), which the loops await. */
export type Step = () => unknown;

export interface Stats {
  /** Steps timed. */
  n: number;
  /** Median milliseconds per step. */
  median: number;
  /** 90th percentile, milliseconds per step. */
  p90: number;
  mean: number;
  min: number;
  max: number;
}

export interface LoopOptions {
  /** Keep stepping until at least this many steps ... */
  minSteps: number;
  /** ... and this many milliseconds have passed (or maxSteps is reached). */
  budgetMs: number;
  maxSteps: number;
  /**
   * Steps that start within this many ms of the loop's start are warm-up, excluded from the steady statistics
   * (default 0: only the first 5 steps are).
   */
  warmupMs?: number;
  /** ... and keep stepping until this many steps follow the warm-up (default 1). */
  minSteady?: number;
}

export interface Measurement {
  /** The first KEPT_STEPS steps of the synchronous loop from a fresh model, in order, in ms. */
  syncTimes: number[];
  /** How many steps the synchronous loop ran. */
  syncSteps: number;
  /** Mean of steps 1–5 of the fresh model (warm-up is what users see first). */
  firstMs: number;
  /** The synchronous loop after its warm-up (warmSteps: at least 5 steps, and every step started in warmupMs). */
  sync: Stats;
  /**
   * Median of steps 5–10 of the fresh model over the steady synchronous median (≤ 1.2: steady from the 5th step);
   * where `from5thRuns` is set, the median of those.
   */
  from5th: number;
  /**
   * The same ratio in each of several fresh processes (this cell's first), where the workload asks for more than one
   * (bench/workloads.ts `firstSteps`); bench/run.ts fills it in. Absent: one process, this one.
   */
  from5thRuns?: number[];
  /**
   * The yielding loop of a fresh model in a process of its own (bench/run.ts runs the cell twice and puts it here),
   * after the same warm-up window; each time includes its setImmediate turn. null where not measured.
   */
  yielding: Stats | null;
  /**
   * Sync over yielding throughput (the yielding median over the synchronous one) in each of several pairs of fresh
   * processes run one right after the other (this cell's own pair first), where the workload asks for more than one
   * (bench/workloads.ts `firstSteps`); bench/run.ts fills it in. Absent: the cell's own two processes only.
   */
  syncYieldRuns?: number[];
}

/** Steps of a synchronous loop a Measurement keeps (a fast cell runs hundreds of thousands; its statistics use all). */
export const KEPT_STEPS = 2000;

/** q-quantile by linear interpolation between order statistics (q = 0.5: the median). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile: no values');
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q; // rank (n−1)·q, interpolated between its neighbours
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function stats(xs: readonly number[]): Stats {
  return {
    n: xs.length,
    median: quantile(xs, 0.5),
    p90: quantile(xs, 0.9),
    mean: xs.reduce((a, b) => a + b, 0) / xs.length,
    // NOTE: reduce, not Math.min(...xs): a fast cell times hundreds of thousands of steps, past the argument limit
    min: xs.reduce((a, b) => Math.min(a, b), Infinity),
    max: xs.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

/**
 * How many leading steps of a synchronous run count as warm-up (excluded from its steady statistics): the first 5,
 * and every step that started within warmupMs of the loop's start (a step starts when the ones before it have
 * ended); always leaves at least one step.
 * NOTE: a window in time, the same in quick and full runs, so both exclude the same warm-up (V8 tiers the library's
 * JavaScript up over its first ~1 s of steps) and their steady medians agree; a count such as n/5 would make the
 * shorter quick run take its median inside the warm-up.
 */
export function warmSteps(times: readonly number[], warmupMs = 0): number {
  let warm = 0;
  for (let start = 0; warm < times.length && start < warmupMs; warm++) start += times[warm];
  return Math.min(times.length - 1, Math.max(5, warm));
}

const isPromise = (r: unknown): r is Promise<unknown> =>
  typeof (r as { then?: unknown } | null)?.then === 'function';

/** Step until the options are satisfied: minSteps, the time budget, and minSteady steps after the warm-up window. */
async function loop(
  step: Step,
  o: LoopOptions,
  each: (step: Step) => Promise<void> | void,
): Promise<number[]> {
  const times: number[] = [];
  const t0 = performance.now();
  const minSteady = o.minSteady ?? 1;
  const more = (): boolean =>
    times.length < o.minSteps ||
    performance.now() - t0 < o.budgetMs ||
    times.length - warmSteps(times, o.warmupMs) < minSteady;
  while (times.length < o.maxSteps && more()) {
    const t = performance.now();
    const r = each(step);
    if (r) await r;
    times.push(performance.now() - t);
  }
  return times;
}

/**
 * The plain loop users write: `for (...) step()`. NOTE: a synchronous step is never awaited (an await would give
 * the engine a turn the user's loop does not); a step that returns a promise is awaited, as its users must.
 */
export function syncLoop(step: Step, o: LoopOptions): Promise<number[]> {
  return loop(step, o, (s) => {
    const r = s();
    if (isPromise(r)) return r.then(() => undefined);
  });
}

/** The loop that yields after every call: `await step(); await new Promise((r) => setImmediate(r))`, timed whole. */
export function yieldingLoop(step: Step, o: LoopOptions): Promise<number[]> {
  return loop(step, o, async (s) => {
    await s();
    await new Promise((r) => setImmediate(r));
  });
}

/** The synchronous loop of one fresh step function: first steps, steady statistics, the 5th-step check. */
export async function measure(step: Step, o: LoopOptions): Promise<Measurement> {
  const syncTimes = await syncLoop(step, o);
  if (syncTimes.length < 2) throw new Error(`measure: need at least 2 steps, got ${syncTimes.length}`);
  const steady = stats(syncTimes.slice(warmSteps(syncTimes, o.warmupMs)));
  const head = syncTimes.slice(0, 5);
  const early = syncTimes.slice(4, 10);
  return {
    syncTimes: syncTimes.slice(0, KEPT_STEPS),
    syncSteps: syncTimes.length,
    firstMs: head.reduce((a, b) => a + b, 0) / head.length,
    sync: steady,
    from5th: early.length ? quantile(early, 0.5) / steady.median : NaN,
    yielding: null,
  };
}

/**
 * The yielding loop of one fresh step function, its steady statistics after the same warm-up window as `measure`'s.
 * NOTE: a fresh step function, in a process of its own (bench/run.ts), not the synchronous loop's model after it:
 * a loop that runs second starts with the library's JavaScript already optimized by the first one's seconds of
 * steps, and the sync/yielding ratio then measures the order (session 12: the seed CNN's sync loop read 0.80–0.93×
 * the yielding loop run after it, and 0.98–1.18× the yielding loop run before it, in one process).
 */
export async function measureYielding(step: Step, o: LoopOptions): Promise<Stats> {
  const times = await yieldingLoop(step, o);
  if (times.length < 2) throw new Error(`measureYielding: need at least 2 steps, got ${times.length}`);
  return stats(times.slice(warmSteps(times, o.warmupMs)));
}

/** Two steps timed alternately in one process: each one's steady statistics after a shared warm-up. */
export interface Interleaved {
  a: Stats;
  b: Stats;
}

/**
 * Time two steps alternately in one plain synchronous loop (a pair per round, the order swapped every round so
 * neither always runs first), for two configurations whose ratio is the point: both see the same machine at the same
 * moment, where two cells minutes apart each see its own phase of it.
 * `block` > 1 runs that many steps of one side before the other's (a round is a block of each): each side then runs
 * mostly after its own steps, as in a loop of its own (its pool's workers still spinning, its arrays in cache),
 * while the two still alternate every few tens of ms.
 * Rounds that start within o.warmupMs of the start are warm-up (at least the first 5); then rounds run until the
 * budget has passed and at least o.minSteady (default 1) and o.minSteps rounds are steady.
 */
export async function interleaved(a: Step, b: Step, o: LoopOptions, block = 1): Promise<Interleaved> {
  const ta: number[] = [];
  const tb: number[] = [];
  // NOTE: awaiting `time` of a synchronous step is a microtask turn only: no task (finalizers, timers) runs between
  // the steps, as in syncLoop
  const time = async (step: Step, into: number[]): Promise<void> => {
    for (let i = 0; i < block; i++) {
      const t = performance.now();
      const r = step();
      if (isPromise(r)) await r;
      into.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  let warm = -1; // rounds of warm-up, fixed when the first round starts after the window
  for (let round = 0; round < o.maxSteps; round++) {
    const elapsed = performance.now() - t0;
    if (warm < 0 && round >= 5 && elapsed >= (o.warmupMs ?? 0)) warm = round;
    const steady = warm < 0 ? 0 : round - warm;
    if (warm >= 0 && steady >= Math.max(1, o.minSteady ?? 1, o.minSteps) && elapsed >= o.budgetMs) break;
    if (round % 2 === 0) {
      await time(a, ta);
      await time(b, tb);
    } else {
      await time(b, tb);
      await time(a, ta);
    }
  }
  if (warm < 0 || warm * block >= ta.length)
    throw new Error(`interleaved: no steady round within maxSteps ${o.maxSteps}`);
  return { a: stats(ta.slice(warm * block)), b: stats(tb.slice(warm * block)) };
}
