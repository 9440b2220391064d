// A synchronous thread pool over shared WebAssembly memory: the caller runs one slice of a kernel itself
// and waits (Atomics.wait) for workers running the other slices on the same memory.
// NOTE: the Kernels interface is synchronous, so there is no message passing on the hot path: each worker
// blocks on its own small control SharedArrayBuffer, the caller writes a job there and notifies it.
import { TapegradError } from '../core/errors.js';

/** The wasm exports a worker can run, by index (the worker source lists the same names in the same order). */
export const POOL_FNS = ['matmulSlice', 'im2col', 'col2im', 'poolArgmax'] as const;
export type PoolFn = (typeof POOL_FNS)[number];

/** Control block of one worker: Int32 slots. */
export const CTL = { SEQ: 0, DONE: 1, STATUS: 2, READY: 3, FN: 4, NARGS: 5, ARGS: 8, SIZE: 32 } as const;
const MAX_ARGS = CTL.SIZE - CTL.ARGS;

/** What a spawned worker receives. */
export interface SpawnOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** CTL.SIZE Int32 slots, this worker's alone. */
  control: SharedArrayBuffer;
}
/** A live worker as the pool sees it. */
export interface WorkerHandle {
  terminate(): void;
  /** Set once the worker has exited or raised an uncaught error. */
  readonly dead: boolean;
  /** The message of the last failure the worker reported, if any (read synchronously). */
  takeError(): string | undefined;
}
/** Starts a worker running the pool worker source (see pool-worker.ts); injected so the pool has no Node imports. */
export type SpawnWorker = (o: SpawnOptions) => WorkerHandle;

interface Slot {
  h: WorkerHandle;
  ctl: Int32Array;
  seq: number;
}

type Exports = Record<PoolFn, (...args: number[]) => void>;

/** Worker threads sharing one WebAssembly.Memory; `run` is synchronous. */
export class ThreadPool {
  private slots: (Slot | null)[] = [];
  private nThreads = 1;
  /** Jobs handed to workers so far (tests use it to check that a call really ran in parallel). */
  posted = 0;
  /** A worker that takes longer than max(floorMs, slowFactor × the caller's own slice) is declared stuck. */
  timeout = { floorMs: 10_000, slowFactor: 50 };

  constructor(
    private readonly spawn: SpawnWorker | null,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly exports: Exports,
  ) {}

  /** Total threads including the caller (1 = no workers). Capped at 1 without a spawner. */
  get threads(): number {
    return this.spawn ? this.nThreads : 1;
  }

  /** Set the thread count (including the caller); workers start now and are used once they report ready. */
  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new TapegradError(`setNumThreads: expected an integer in [1, 64], got ${n}`);
    this.nThreads = n;
    while (this.slots.length > n - 1) this.kill(this.slots.length - 1, true);
    if (this.spawn) for (let i = 0; i < n - 1; i++) this.ensure(i);
  }

  /** Workers that have started and wait for jobs. */
  readyWorkers(): number {
    return this.slots.filter((s) => s && !s.h.dead && Atomics.load(s.ctl, CTL.READY) === 1).length;
  }

  /** Resolve once every worker of the current thread count is ready (or after `ms`). */
  async whenReady(ms = 10_000): Promise<boolean> {
    const end = Date.now() + ms;
    while (this.readyWorkers() < this.threads - 1) {
      if (Date.now() > end) return false;
      for (let i = 0; i < this.threads - 1; i++) this.ensure(i);
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /** Stop every worker (they are unref'd, so this is only needed to free them early). */
  shutdown(): void {
    for (let i = this.slots.length - 1; i >= 0; i--) this.kill(i, true);
  }

  private ensure(i: number): Slot | null {
    const s = this.slots[i];
    if (s && !s.h.dead) return s;
    if (s) this.kill(i, false);
    if (!this.spawn) return null;
    const control = new SharedArrayBuffer(CTL.SIZE * 4);
    const slot: Slot = { h: this.spawn({ module: this.module, memory: this.memory, control }), ctl: new Int32Array(control), seq: 0 };
    this.slots[i] = slot;
    return slot;
  }

  private kill(i: number, drop: boolean): void {
    const s = this.slots[i];
    if (s) s.h.terminate();
    if (drop) this.slots.length = Math.min(this.slots.length, i);
    else this.slots[i] = null;
  }

  /**
   * Run exports[fn](...jobs[t]) for every t, job 0 on the calling thread and the others on ready workers (the
   * caller runs those whose worker is not ready). Throws TapegradError if a worker fails or is stuck.
   */
  run(fn: PoolFn, jobs: number[][]): void {
    const f = this.exports[fn];
    const posted: [number, Slot][] = [];
    const mine: number[][] = [jobs[0]];
    for (let t = 1; t < jobs.length; t++) {
      const s = t - 1 < this.threads - 1 ? this.ensure(t - 1) : null;
      if (!s || Atomics.load(s.ctl, CTL.READY) !== 1) {
        mine.push(jobs[t]);
        continue;
      }
      const args = jobs[t];
      if (args.length > MAX_ARGS) throw new TapegradError(`thread pool: ${fn} has ${args.length} arguments (max ${MAX_ARGS})`);
      s.ctl[CTL.FN] = POOL_FNS.indexOf(fn);
      s.ctl[CTL.NARGS] = args.length;
      for (let a = 0; a < args.length; a++) s.ctl[CTL.ARGS + a] = args[a];
      s.seq = (s.seq + 1) | 0;
      Atomics.store(s.ctl, CTL.SEQ, s.seq);
      Atomics.notify(s.ctl, CTL.SEQ);
      posted.push([t, s]);
      this.posted++;
    }
    const t0 = performance.now();
    let err: unknown = null;
    try {
      for (const args of mine) f(...args);
    } catch (e) {
      err = e;
    }
    const own = performance.now() - t0;
    const limit = Math.max(this.timeout.floorMs, this.timeout.slowFactor * own);
    const failures: string[] = [];
    for (const [t, s] of posted) {
      const deadline = performance.now() + limit;
      let done = Atomics.load(s.ctl, CTL.DONE);
      while (done !== s.seq) {
        const left = deadline - performance.now();
        if (left <= 0 || s.h.dead) break;
        Atomics.wait(s.ctl, CTL.DONE, done, Math.min(left, 50));
        done = Atomics.load(s.ctl, CTL.DONE);
      }
      const i = this.slots.indexOf(s);
      if (done !== s.seq) {
        failures.push(`worker ${t} ${s.h.dead ? 'died' : `did not finish within ${Math.round(limit)} ms (stuck)`} running ${fn}${s.h.dead ? `: ${s.h.takeError() ?? 'no message'}` : ''}`);
        if (i >= 0) this.kill(i, false);
      } else if (Atomics.load(s.ctl, CTL.STATUS) !== 0) {
        failures.push(`worker ${t} failed running ${fn}: ${s.h.takeError() ?? 'no message'}`);
      }
    }
    if (err) throw err instanceof TapegradError ? err : new TapegradError(`wasm ${fn} failed: ${(err as Error).message ?? err}`);
    if (failures.length) throw new TapegradError(`thread pool: ${failures.join('; ')}`);
  }
}
