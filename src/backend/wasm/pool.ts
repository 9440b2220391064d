// A synchronous thread pool over shared WebAssembly memory: a kernel call is cut into chunks that the caller and
// the workers claim from a shared counter, so a descheduled worker never holds the caller up.
// NOTE: the Kernels interface is synchronous, so there is no message passing on the hot path: each worker
// blocks (Atomics.wait) on its own small control block; the caller writes a job there, works on chunks itself,
// then waits only for workers that actually started.
import { TapegradError } from '../../core/errors.js';

/** The wasm exports a worker can run, by index (the worker source lists the same names in the same order). */
export const POOL_FNS = [
  'matmulSlice',
  'matmulDepthSlice',
  'im2col',
  'col2im',
  'poolArgmax',
  'convRows',
  'poolMax',
  'convInputRows',
  'convFilterRows',
  'unary',
  'binary',
  'compare',
  'where',
  'packBPanels',
  'matmulTilePacked',
  'convBandRows',
  'avgPool',
  'convFilterBandRows',
] as const;
export type PoolFn = (typeof POOL_FNS)[number];

/**
 * Control block of one worker (Int32 slots). STATE: 0 idle, 1 posted, 2 running, 3 cancelled by the caller
 * before the worker woke. The job is a table in wasm memory: an Int32 claim counter at TABLE, then NCHUNKS rows
 * of NARGS arguments; with WORKSTRIDE > 0 the thread appends its own scratch pointer WORKBASE + t·WORKSTRIDE.
 */
export const CTL = {
  SEQ: 0,
  DONE: 1,
  STATUS: 2,
  READY: 3,
  STATE: 4,
  FN: 5,
  NARGS: 6,
  TABLE: 7,
  NCHUNKS: 8,
  WORKBASE: 9,
  WORKSTRIDE: 10,
  THREAD: 11,
  SIZE: 16,
} as const;
export const IDLE = 0;
export const POSTED = 1;
export const RUNNING = 2;
export const CANCELLED = 3;
/** Set by the pool on a worker it gave up on (stuck): the worker must not claim another chunk. */
export const RETIRED = 4;

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

/** Per-thread scratch: thread t gets base + t·stride as its last argument. */
export interface WorkArea {
  base: number;
  stride: number;
}

/** Worker threads sharing one WebAssembly.Memory; `run` is synchronous. */
export class ThreadPool {
  private slots: (Slot | null)[] = [];
  /** Workers given up on while still alive: until each has exited, jobs run on the caller alone. */
  private zombies: WorkerHandle[] = [];
  private nThreads = 1;
  private view: Int32Array;
  /** Jobs handed to workers so far, and chunks they ran (tests use these to check a call really ran in parallel). */
  posted = 0;
  /** A worker that takes longer than max(floorMs, slowFactor × the caller's own part) is declared stuck. */
  timeout = { floorMs: 10_000, slowFactor: 50 };

  /**
   * @param table byte offset of `tableBytes` of wasm memory reserved for job tables (counter + chunk arguments).
   */
  constructor(
    private readonly spawn: SpawnWorker | null,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly exports: Exports,
    private readonly table: number,
    private readonly tableBytes: number,
  ) {
    this.view = new Int32Array(memory.buffer);
  }

  /** Total threads including the caller (1 = no workers). Capped at 1 without a spawner. */
  get threads(): number {
    return this.spawn ? this.nThreads : 1;
  }

  /** Set the thread count (including the caller); workers start now and are used once they report ready. */
  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 64)
      throw new TapegradError(`setNumThreads: expected an integer in [1, 64], got ${n}`);
    this.nThreads = n;
    while (this.slots.length > n - 1) this.kill(this.slots.length - 1, true);
    if (this.spawn) for (let i = 0; i < n - 1; i++) this.ensure(i);
  }

  /** Workers that have started and wait for jobs. */
  readyWorkers(): number {
    return this.slots.filter((s) => s && !s.h.dead && Atomics.load(s.ctl, CTL.READY) === 1).length;
  }

  /** Resolve once every worker of the current thread count is ready (false after `ms`). */
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
    const ctl = new Int32Array(control);
    ctl[CTL.THREAD] = i + 1;
    const slot: Slot = { h: this.spawn({ module: this.module, memory: this.memory, control }), ctl, seq: 0 };
    this.slots[i] = slot;
    return slot;
  }

  private kill(i: number, drop: boolean): void {
    const s = this.slots[i];
    if (s) {
      // NOTE: terminate() takes effect asynchronously: a stuck worker may still be inside a chunk. RETIRED stops it
      // from claiming chunks of a later job (the table is reused), and zombies keeps later jobs off the workers
      // until it has exited.
      Atomics.store(s.ctl, CTL.STATE, RETIRED);
      if (!s.h.dead) this.zombies.push(s.h);
      s.h.terminate();
    }
    if (drop) this.slots.length = Math.min(this.slots.length, i);
    else this.slots[i] = null;
  }

  /**
   * Run exports[fn](...chunks[i], work?) for every chunk, each exactly once, on the calling thread and on ready
   * workers (whoever claims it first). Throws TapegradError if a chunk fails or a worker is stuck or dies.
   */
  run(fn: PoolFn, chunks: number[][], work?: WorkArea): void {
    if (chunks.length === 0) return;
    const f = this.exports[fn];
    const nargs = chunks[0].length;
    if ((1 + chunks.length * nargs) * 4 > this.tableBytes)
      throw new TapegradError(`thread pool: ${chunks.length} chunks of ${fn} do not fit the job table`);
    if (this.view.buffer !== this.memory.buffer) this.view = new Int32Array(this.memory.buffer);
    const v = this.view;
    const t0 = this.table >>> 2;
    chunks.forEach((c, i) => v.set(c, t0 + 1 + i * nargs));
    Atomics.store(v, t0, 0);
    const posted: [number, Slot][] = [];
    if (this.zombies.length) this.zombies = this.zombies.filter((h) => !h.dead); // NOTE: no new array per job
    const helpers = this.zombies.length ? 0 : Math.min(this.threads - 1, chunks.length - 1);
    for (let i = 0; i < helpers; i++) {
      const s = this.ensure(i);
      if (!s || Atomics.load(s.ctl, CTL.READY) !== 1) continue;
      const c = s.ctl;
      c[CTL.FN] = POOL_FNS.indexOf(fn);
      c[CTL.NARGS] = nargs;
      c[CTL.TABLE] = this.table;
      c[CTL.NCHUNKS] = chunks.length;
      c[CTL.WORKBASE] = work?.base ?? 0;
      c[CTL.WORKSTRIDE] = work?.stride ?? 0;
      s.seq = (s.seq + 1) | 0;
      // NOTE: SEQ before STATE: a worker that claims POSTED→RUNNING then reads the SEQ of this very job.
      Atomics.store(c, CTL.SEQ, s.seq);
      Atomics.store(c, CTL.STATE, POSTED);
      Atomics.notify(c, CTL.SEQ);
      posted.push([i + 1, s]);
      this.posted++;
    }
    const start = performance.now();
    let err: unknown = null;
    try {
      const args = new Array<number>(nargs + (work ? 1 : 0));
      if (work) args[nargs] = work.base;
      for (let i = Atomics.add(v, t0, 1); i < chunks.length; i = Atomics.add(v, t0, 1)) {
        for (let a = 0; a < nargs; a++) args[a] = chunks[i][a];
        f(...args);
      }
    } catch (e) {
      err = e;
      Atomics.store(v, t0, chunks.length); // let the workers stop early
    }
    const own = performance.now() - start;
    const failures: string[] = [];
    for (const [t, s] of posted) {
      // a worker that has not woken yet is cancelled: every chunk is already done
      if (Atomics.compareExchange(s.ctl, CTL.STATE, POSTED, CANCELLED) === POSTED) continue;
      const limit = Math.max(this.timeout.floorMs, this.timeout.slowFactor * own);
      const deadline = performance.now() + limit;
      let done = Atomics.load(s.ctl, CTL.DONE);
      while (done !== s.seq) {
        const left = deadline - performance.now();
        if (left <= 0 || s.h.dead) break;
        Atomics.wait(s.ctl, CTL.DONE, done, Math.min(left, 50));
        done = Atomics.load(s.ctl, CTL.DONE);
      }
      if (done !== s.seq) {
        failures.push(
          `worker ${t} ${s.h.dead ? `died running ${fn}: ${s.h.takeError() ?? 'no message'}` : `did not finish within ${Math.round(limit)} ms (stuck) running ${fn}`}`,
        );
        const i = this.slots.indexOf(s);
        if (i >= 0) this.kill(i, false);
      } else if (Atomics.load(s.ctl, CTL.STATUS) !== 0) {
        failures.push(`worker ${t} failed running ${fn}: ${s.h.takeError() ?? 'no message'}`);
      }
    }
    if (err)
      throw err instanceof TapegradError
        ? err
        : new TapegradError(`wasm ${fn} failed: ${(err as Error).message ?? err}`);
    if (failures.length) throw new TapegradError(`thread pool: ${failures.join('; ')}`);
  }
}
