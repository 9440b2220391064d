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
  'binaryScalar',
  'compare',
  'where',
  'packBPanels',
  'matmulTilePacked',
  'convBandRows',
  'avgPool',
  'convFilterBandRows',
  'transpose3',
  'poolMaxGrad',
  'channelMoments',
  'channelAffine',
  'channelSums',
  'convRowsNCHW',
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
  /** µs a worker spins for the next job before it sleeps (the pool's spinMicros). */
  SPIN: 12,
  /** Set to 1 by a retired worker once it has left its last chunk for good: it writes no more wasm memory. */
  LEFT: 13,
  SIZE: 16,
} as const;
export const IDLE = 0;
export const POSTED = 1;
export const RUNNING = 2;
export const CANCELLED = 3;
/** The pool's spinMicros unless set (Node: TAPEGRAD_SPIN_US); ONNX Runtime's intra-op threads spin the same way. */
export const DEFAULT_SPIN_MICROS = 300;
/** Set by the pool on a worker it gave up on (stuck): the worker must not claim another chunk. */
export const RETIRED = 4;
/**
 * The pool functions that read a window geometry (14 i32) through their argument 1 (asm/window.ts and the conv
 * kernels): the pool hands them a copy at the end of the job table (GEOM_BYTES), not the caller's block.
 */
const GEOM_FNS: ReadonlySet<PoolFn> = new Set<PoolFn>([
  'im2col',
  'col2im',
  'poolArgmax',
  'convRows',
  'poolMax',
  'convInputRows',
  'convFilterRows',
  'convBandRows',
  'avgPool',
  'convFilterBandRows',
  'poolMaxGrad',
  'convRowsNCHW',
]);
/** Bytes at the end of the job table that hold the job's copy of its window geometry (14 i32, rounded up). */
const GEOM_BYTES = 64;

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
  private zombies: Slot[] = [];
  /** Called as a worker is given up on inside a chunk (the wasm backend quarantines the arena's live blocks). */
  onStuck: (() => void) | null = null;
  private nThreads = 1;
  private view: Int32Array;
  /**
   * Reused by run: the caller's argument array per arity, and the workers a job was posted to (the first `post`
   * returns of them; each is nulled once waited on).
   * NOTE: never emptied by `length = 0`: that drops the array's backing store, and the next push allocates a new
   * one, once per kernel call (issue 12).
   */
  private readonly argArrays: number[][] = [];
  private readonly postedSlots: (Slot | null)[] = [];
  /** Jobs handed to workers so far, and chunks they ran (tests use these to check a call really ran in parallel). */
  posted = 0;
  /** A worker that takes longer than max(floorMs, slowFactor × the caller's own part) is declared stuck. */
  timeout = { floorMs: 10_000, slowFactor: 50 };
  private spinUs = DEFAULT_SPIN_MICROS;

  /**
   * µs an idle worker (and the caller waiting on one) spins before sleeping in Atomics.wait (0: sleep at once).
   * NOTE: a training step or a predict posts jobs tens of µs apart; a worker that spins takes the next one in ~1 µs
   * where waking from Atomics.wait costs 20–50 µs, which made splitting sub-millisecond kernels slower than not.
   */
  get spinMicros(): number {
    return this.spinUs;
  }
  set spinMicros(us: number) {
    if (!Number.isInteger(us) || us < 0 || us > 1_000_000)
      throw new TapegradError(`thread pool: spinMicros must be an integer in [0, 1000000], got ${us}`);
    this.spinUs = us;
    for (const s of this.slots) if (s) Atomics.store(s.ctl, CTL.SPIN, us);
  }

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
    ctl[CTL.SPIN] = this.spinUs;
    const slot: Slot = { h: this.spawn({ module: this.module, memory: this.memory, control }), ctl, seq: 0 };
    this.slots[i] = slot;
    return slot;
  }

  private kill(i: number, drop: boolean): void {
    const s = this.slots[i];
    if (s) {
      // NOTE: terminate() takes effect asynchronously: a stuck worker may still be inside a chunk. RETIRED stops it
      // from claiming chunks of a later job (the table is reused), and zombies keeps later jobs off the workers
      // until it has exited. A worker between jobs (IDLE, or CANCELLED: it never claimed the last one) is inside no
      // chunk and, retired, claims none: it needs no watching, so shrinking the pool (setNumThreads) does not leave
      // every later job on the caller until an event-loop turn reports the exit, which a synchronous loop never has.
      // NOTE: one given up on inside a chunk may finish it after the failing call returned, when its blocks may be
      // other tensors': no caller can wait for that (terminate() is asynchronous). So until it has stopped, nothing
      // it may write is reused: onStuck quarantines the arena's live blocks, and its work area and the job table
      // (with the job's geometry, copyGeom) serve no job. Its CTL.LEFT ends that in a synchronous loop too.
      const idle =
        Atomics.compareExchange(s.ctl, CTL.STATE, IDLE, RETIRED) === IDLE ||
        Atomics.compareExchange(s.ctl, CTL.STATE, CANCELLED, RETIRED) === CANCELLED;
      if (!idle) {
        Atomics.store(s.ctl, CTL.STATE, RETIRED);
        if (!s.h.dead && Atomics.load(s.ctl, CTL.LEFT) === 0) {
          this.zombies.push(s);
          this.onStuck?.();
        }
      }
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
    const n = chunks.length;
    if (n === 0) return;
    const nargs = chunks[0].length;
    if (this.helpersFor(n) === 0) {
      // NOTE: no worker takes part (one chunk, one thread): no job table, no atomics, no timing (issue 12)
      const f = this.exports[fn];
      const args = this.argsFor(nargs, work);
      try {
        for (let i = 0; i < n; i++) {
          const c = chunks[i];
          for (let a = 0; a < nargs; a++) args[a] = c[a];
          f(...args);
        }
      } catch (e) {
        throw asPoolError(fn, e);
      }
      return;
    }
    const t0 = this.tableFor(fn, n, nargs);
    const v = this.view;
    for (let i = 0; i < n; i++) v.set(chunks[i], t0 + 1 + i * nargs);
    this.runTable(fn, n, nargs, work);
  }

  /**
   * Run exports[fn](...args, work?) once per range of splitRange(n, parts, step), with the range's (lo, hi) written
   * into args[slot], args[slot + 1]: the same chunks as `run` over those ranges, without an array per chunk.
   * NOTE: `args` is the caller's fresh array and is overwritten; the ranges are exactly splitRange's, so a caller
   * moving from `run` keeps its results bit for bit.
   */
  runSplit(
    fn: PoolFn,
    args: number[],
    slot: number,
    n: number,
    parts: number,
    step: number,
    work?: WorkArea,
  ): void {
    const units = Math.ceil(n / step);
    const p = Math.max(1, Math.min(parts, units));
    if (n <= 0) return; // splitRange gives no chunk
    const nargs = args.length;
    if (this.helpersFor(p) === 0) {
      const f = this.exports[fn];
      if (work) args.push(work.base);
      try {
        for (let i = 0; i < p; i++) {
          args[slot] = rangeStart(n, units, p, step, i);
          args[slot + 1] = rangeStart(n, units, p, step, i + 1);
          f(...args);
        }
      } catch (e) {
        throw asPoolError(fn, e);
      }
      return;
    }
    const t0 = this.tableFor(fn, p, nargs);
    const v = this.view;
    for (let i = 0; i < p; i++) {
      args[slot] = rangeStart(n, units, p, step, i);
      args[slot + 1] = rangeStart(n, units, p, step, i + 1);
      v.set(args, t0 + 1 + i * nargs);
    }
    this.runTable(fn, p, nargs, work);
  }

  /** Workers a job of n chunks is offered to (none while a retired worker may still be running). */
  private helpersFor(n: number): number {
    return this.zombies.length && this.stuckWorkers() ? 0 : Math.min(this.threads - 1, n - 1);
  }

  /**
   * Workers given up on that may still be inside a chunk (writing wasm memory): not yet exited, and not yet past
   * their chunk. NOTE: the exit event needs an event-loop turn, which a synchronous loop never gives; CTL.LEFT,
   * written by the worker itself after its last write, is seen at once.
   */
  stuckWorkers(): number {
    if (this.zombies.length)
      this.zombies = this.zombies.filter((z) => !z.h.dead && Atomics.load(z.ctl, CTL.LEFT) === 0);
    return this.zombies.length;
  }

  /** The caller's argument array for nargs arguments plus the work pointer; reused across calls of one arity. */
  private argsFor(nargs: number, work?: WorkArea): number[] {
    const len = nargs + (work ? 1 : 0);
    let args = this.argArrays[len];
    if (args === undefined) args = this.argArrays[len] = new Array<number>(len).fill(0);
    if (work) args[nargs] = work.base;
    return args;
  }

  /** Check that n chunks of nargs fit the job table and return its Int32 index (the claim counter). */
  private tableFor(fn: PoolFn, n: number, nargs: number): number {
    if ((1 + n * nargs) * 4 > this.tableBytes - GEOM_BYTES)
      throw new TapegradError(`thread pool: ${n} chunks of ${fn} do not fit the job table`);
    if (this.view.buffer !== this.memory.buffer) this.view = new Int32Array(this.memory.buffer);
    return this.table >>> 2;
  }

  /**
   * Post the job already written in the table to ready workers, claim chunks on the caller, wait for the rest.
   * NOTE: four small functions (post, claim, awaitWorkers, waitDone), not one: as one function TurboFan took
   * 45–62 ms (2 threads busy) to compile it, at steps 6–13 of a training run, on a core the step needed; split,
   * the spin loop (waitDone) is compiled in step 1 and the rest costs 3–9 ms (issue 12: steps 5–10 / steady
   * 1.62 → 1.42–1.46, medians of 12 and 16 alternating fresh cells).
   */
  private runTable(fn: PoolFn, n: number, nargs: number, work?: WorkArea): void {
    const posted = this.post(fn, n, nargs, work);
    const start = performance.now();
    const err = this.claim(fn, n, nargs, work);
    if (posted === 0) {
      if (err !== null) throw asPoolError(fn, err);
      return;
    }
    const failures = this.awaitWorkers(posted, fn, performance.now() - start);
    if (err !== null) throw asPoolError(fn, err);
    if (failures !== null) throw new TapegradError(`thread pool: ${failures.join('; ')}`);
  }

  /**
   * Copy the job's window geometry (argument 1 of every row) to the end of the job table and point the rows at it.
   * NOTE: a worker given up on may resume inside its chunk after the caller has written the next op's geometry
   * over the caller's block; read there, it would write past its own output into any tensor. The table (and so
   * this copy) is left alone while such a worker may still run: jobs then run on the caller without it.
   */
  private copyGeom(n: number, nargs: number): void {
    const v = this.view;
    const row0 = (this.table >>> 2) + 1;
    const at = this.table + this.tableBytes - GEOM_BYTES;
    v.copyWithin(at >>> 2, v[row0 + 1] >>> 2, (v[row0 + 1] >>> 2) + GEOM_BYTES / 4);
    for (let i = 0; i < n; i++) v[row0 + i * nargs + 1] = at;
  }

  /**
   * Reset the claim counter and post the job to the ready workers among the first helpersFor(n); returns how
   * many, listed first in postedSlots.
   */
  private post(fn: PoolFn, n: number, nargs: number, work?: WorkArea): number {
    Atomics.store(this.view, this.table >>> 2, 0);
    const posted = this.postedSlots;
    let count = 0;
    const helpers = this.helpersFor(n);
    const fnIndex = POOL_FNS.indexOf(fn);
    for (let i = 0; i < helpers; i++) {
      const s = this.ensure(i);
      if (!s || Atomics.load(s.ctl, CTL.READY) !== 1) continue;
      if (count === 0 && GEOM_FNS.has(fn)) this.copyGeom(n, nargs); // before any worker can read a row
      const c = s.ctl;
      c[CTL.FN] = fnIndex;
      c[CTL.NARGS] = nargs;
      c[CTL.TABLE] = this.table;
      c[CTL.NCHUNKS] = n;
      c[CTL.WORKBASE] = work?.base ?? 0;
      c[CTL.WORKSTRIDE] = work?.stride ?? 0;
      s.seq = (s.seq + 1) | 0;
      // NOTE: SEQ before STATE: a worker that claims POSTED→RUNNING then reads the SEQ of this very job.
      Atomics.store(c, CTL.SEQ, s.seq);
      Atomics.store(c, CTL.STATE, POSTED);
      Atomics.notify(c, CTL.SEQ);
      posted[count++] = s;
      this.posted++;
    }
    return count;
  }

  /** Run chunks on the caller until the counter passes n; the error of a failed chunk, else null. */
  private claim(fn: PoolFn, n: number, nargs: number, work?: WorkArea): unknown {
    const f = this.exports[fn];
    const v = this.view;
    const t0 = this.table >>> 2;
    try {
      // NOTE: the caller reads its chunks from the table like a worker does: no JS array per chunk
      const args = this.argsFor(nargs, work);
      for (let i = Atomics.add(v, t0, 1); i < n; i = Atomics.add(v, t0, 1)) {
        const row = t0 + 1 + i * nargs;
        for (let a = 0; a < nargs; a++) args[a] = v[row + a];
        f(...args);
      }
    } catch (e) {
      Atomics.store(v, t0, n); // let the workers stop early
      return e ?? new Error(String(e));
    }
    return null;
  }

  /**
   * Wait for the `count` posted workers (spin, then sleep), nulling their entries; the failures, else null.
   * `own` = the caller's ms.
   */
  private awaitWorkers(count: number, fn: PoolFn, own: number): string[] | null {
    let failures: string[] | null = null;
    const posted = this.postedSlots;
    for (let p = 0; p < count; p++) {
      const s = posted[p]!;
      posted[p] = null;
      // a worker that has not woken yet is cancelled: every chunk is already done
      if (Atomics.compareExchange(s.ctl, CTL.STATE, POSTED, CANCELLED) === POSTED) continue;
      const limit = Math.max(this.timeout.floorMs, this.timeout.slowFactor * own);
      const done = this.waitDone(s, limit);
      if (done !== s.seq) {
        const t = s.ctl[CTL.THREAD];
        (failures ??= []).push(
          `worker ${t} ${s.h.dead ? `died running ${fn}: ${s.h.takeError() ?? 'no message'}` : `did not finish within ${Math.round(limit)} ms (stuck) running ${fn}`}`,
        );
        const i = this.slots.indexOf(s);
        if (i >= 0) this.kill(i, false);
      } else if (Atomics.load(s.ctl, CTL.STATUS) !== 0) {
        (failures ??= []).push(
          `worker ${s.ctl[CTL.THREAD]} failed running ${fn}: ${s.h.takeError() ?? 'no message'}`,
        );
      }
    }
    return failures;
  }

  /** Spin up to spinUs, then sleep in 50 ms waits, until s finishes its job or `limit` ms pass; the DONE read. */
  private waitDone(s: Slot, limit: number): number {
    const deadline = performance.now() + limit;
    let done = Atomics.load(s.ctl, CTL.DONE);
    if (done !== s.seq && this.spinUs > 0) {
      const end = performance.now() + Math.min(this.spinUs, limit * 1000) / 1000;
      // NOTE: the clock is read every 64th poll (as in the worker): each read makes a heap number for the collector
      for (let i = 1; (done = Atomics.load(s.ctl, CTL.DONE)) !== s.seq; i++)
        if ((i & 63) === 0 && performance.now() >= end) break;
    }
    while (done !== s.seq) {
      const left = deadline - performance.now();
      if (left <= 0 || s.h.dead) break;
      Atomics.wait(s.ctl, CTL.DONE, done, Math.min(left, 50));
      done = Atomics.load(s.ctl, CTL.DONE);
    }
    return done;
  }
}

/**
 * Start of range i of splitRange(n, p, step) with units = ceil(n / step) (i = p gives the end).
 * start_i = min(n, floor(units·i / p)·step), the last range ends at n.
 */
export function rangeStart(n: number, units: number, p: number, step: number, i: number): number {
  return i === p ? n : Math.min(n, Math.floor((units * i) / p) * step);
}

/** A kernel's failure as the TapegradError the pool throws. */
function asPoolError(fn: PoolFn, e: unknown): TapegradError {
  return e instanceof TapegradError
    ? e
    : new TapegradError(`wasm ${fn} failed: ${(e as Error).message ?? e}`);
}
