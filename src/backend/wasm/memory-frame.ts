// Memory framing for the wasm kernels: the fixed regions at the start of the shared memory (window geometry, the
// pool's job table, per-thread GEMM work areas), the arena of resident storage above them, and the frame of one
// kernel call (resident operands used in place, plain ones copied into temporary blocks and back).
import type { WindowGeom } from '../../core/window-geom.js';
import { packWindowGeom } from '../../core/window-geom.js';
import type { WasmExports } from './exports.js';
import { Arena } from './arena.js';
import { onOrphan } from '../../core/storage.js';
import { TapegradError } from '../../core/errors.js';

/** Fixed regions at the start of the scratch: window geometry, the pool's job table, then per-thread GEMM work. */
export function wasmLayout(heapBase: number): {
  geom: number;
  table: number;
  tableBytes: number;
  work: number;
} {
  const geom = align(heapBase);
  return { geom, table: geom + 64, tableBytes: 16384, work: geom + 64 + 16384 };
}

const PAGE = 65536;
const align = (n: number): number => (n + 63) & ~63;
/** Thread work areas reserved below the arena (ThreadPool accepts at most 64 threads). */
const MAX_THREADS = 64;
/** The arena stops a page short of the wasm32 limit. */
const MEMORY_LIMIT = 4 * 1024 ** 3 - PAGE;

/** The arrays the wasm kernels take: 4-byte elements. */
export type Arr = Float32Array | Int32Array;
/** The most pointers (inputs, outputs and scratch blocks) one kernel call takes. */
const MAX_PTRS = 6;
/** A kernel call's body: the pointers of its inputs, outputs and scratch blocks, in that order (unused ones stale). */
export type RunPtrs = (p0: number, p1: number, p2: number, p3: number, p4: number, p5: number) => void;
const NO_SCRATCH: number[] = [];

/**
 * One kernel call's frame, reused by every call at its depth. NOTE: arrays with counts, never emptied by
 * `length = 0` (that drops an array's backing store and the next push allocates a new one): this runs for every
 * kernel call (issue 12).
 */
interface Frame {
  /** Pointers of the inputs, then the outputs, then the scratch blocks. */
  ptrs: number[];
  /** Temporary blocks to free: the first nTemps. */
  temps: number[];
  nTemps: number;
  /** Plain outputs to copy back: pointer, array, pointer, array, ... (the first nBack; nulled after). */
  back: (number | Arr | null)[];
  nBack: number;
}

/** The wasm kernels' view of their memory: fixed regions, the arena, and enter/leave of one call. */
export class WasmMemory {
  readonly arena: Arena;
  /** Where the 14 i32 of window geometry go (putGeom). */
  readonly geom: number;
  /** Bytes of one thread's GEMM work area. */
  readonly workBytes: number;
  private readonly work: number;
  /** Views of the whole memory; call fresh() first (the memory may have grown since). */
  f32: Float32Array;
  i32: Int32Array;
  /**
   * Frames reused by depth of nested calls (a kernel call does not nest today; the depth keeps that safe).
   * NOTE: one frame object and pointer array per call was a steady allocation of every training step (issue 12).
   */
  private readonly frames: Frame[] = [];
  private depth = 0;

  constructor(
    ex: WasmExports,
    readonly memory: WebAssembly.Memory,
  ) {
    const L = wasmLayout(ex.heapBase());
    this.workBytes = align(ex.gemmWorkBytes());
    this.geom = L.geom;
    this.work = L.work;
    this.arena = new Arena(memory, this.workPtr(MAX_THREADS), MEMORY_LIMIT);
    const arena = this.arena;
    onOrphan((ss) => arena.adopt(ss));
    const need = this.workPtr(MAX_THREADS) - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / PAGE)); // untouched pages of shared memory cost no RAM
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
  }

  /** Thread t's GEMM work area. */
  workPtr(t: number): number {
    return this.work + t * this.workBytes;
  }
  /** Renew the views when the memory grew. */
  fresh(): void {
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
  }
  private put(p: number, a: Arr): void {
    (a instanceof Int32Array ? this.i32 : this.f32).set(a, p >>> 2);
  }
  private get(p: number, out: Arr): void {
    out.set((out instanceof Int32Array ? this.i32 : this.f32).subarray(p >>> 2, (p >>> 2) + out.length));
  }

  /**
   * Pointers for one kernel call: resident arrays are used in place (pinned, so nothing evicts them mid-call),
   * plain ones are copied into temporary blocks; `scratch` adds blocks of those byte sizes. Null when the memory
   * is exhausted (the caller then runs the JS reference).
   */
  enter(ins: Arr[], outs: Arr[], scratch: number[] = NO_SCRATCH): Frame | null {
    const arena = this.arena;
    const nIn = ins.length;
    const nAll = nIn + outs.length;
    let f = this.frames[this.depth];
    if (f === undefined) f = this.frames[this.depth] = { ptrs: [], temps: [], nTemps: 0, back: [], nBack: 0 };
    this.depth++;
    // NOTE: the array only grows: shrinking its length trims the backing store and the next longer call reallocates
    // it. Entries past this call's count are stale and never read (callers index by position).
    if (f.ptrs.length < nAll + scratch.length) f.ptrs.length = nAll + scratch.length;
    const ptrs = f.ptrs;
    // Resident operands first, each looked up once: pinned before anything is allocated (nothing evicts them).
    // NOTE: indexed loops, no spread arrays or closures: this runs for every kernel call.
    let plain = 0;
    for (let i = 0; i < nAll; i++) {
      const p = arena.ptrOf(i < nIn ? ins[i] : outs[i - nIn]);
      ptrs[i] = p;
      if (p >= 0) arena.pin(p);
      else plain++;
    }
    let copyIn = false;
    for (let i = 0; plain > 0 && i < nAll; i++) {
      if (ptrs[i] >= 0) continue;
      const a = i < nIn ? ins[i] : outs[i - nIn];
      const p = arena.alloc(a.length * 4);
      if (p < 0) {
        this.leave(f, false);
        return null;
      }
      f.temps[f.nTemps++] = p;
      if (i >= nIn) {
        f.back[f.nBack++] = p;
        f.back[f.nBack++] = a;
      } else copyIn = true;
      ptrs[i] = p;
      plain--;
    }
    for (let j = 0; j < scratch.length; j++) {
      const t = arena.alloc(scratch[j]);
      if (t < 0) {
        this.leave(f, false);
        return null;
      }
      f.temps[f.nTemps++] = t;
      ptrs[nAll + j] = t;
    }
    this.fresh();
    // inputs that got a temporary block (plain arrays) are copied in; resident ones are read in place
    if (copyIn) for (let i = 0; i < nIn; i++) if (arena.ptrOf(ins[i]) < 0) this.put(ptrs[i], ins[i]);
    return f;
  }
  /** Copy plain outputs back (unless the call failed), free the temporary blocks, unpin. */
  leave(f: Frame, copy = true): void {
    const { temps, back, nTemps, nBack } = f;
    f.nTemps = 0;
    f.nBack = 0;
    try {
      if (copy && nBack > 0) {
        this.fresh();
        for (let i = 0; i < nBack; i += 2) this.get(back[i] as number, back[i + 1] as Arr);
      }
    } finally {
      for (let i = 1; i < nBack; i += 2) back[i] = null; // hold no caller's array past its call
      this.depth--;
      for (let i = 0; i < nTemps; i++) this.arena.free(temps[i]);
      this.arena.unpinAll();
    }
  }
  /**
   * enter → run → leave, or false when the memory is exhausted. `run` gets the pointers as arguments (inputs, then
   * outputs, then scratch blocks; at most MAX_PTRS).
   * NOTE: arguments, not an array the kernel wrapper destructures: until V8 optimizes a wrapper (a training run's
   * first steps) `([pa, pb, po]) =>` runs the iterator protocol, ~0.5 µs and ~380 bytes a call (issue 12).
   */
  call(ins: Arr[], outs: Arr[], run: RunPtrs, scratch: number[] = NO_SCRATCH): boolean {
    if (ins.length + outs.length + scratch.length > MAX_PTRS)
      throw new TapegradError(
        `memory frame: ${ins.length + outs.length + scratch.length} pointers, at most ${MAX_PTRS}`,
      );
    const f = this.enter(ins, outs, scratch);
    if (!f) return false;
    let done = false;
    try {
      const p = f.ptrs;
      run(p[0], p[1], p[2], p[3], p[4], p[5]);
      done = true;
    } finally {
      this.leave(f, done);
    }
    return true;
  }
  /** Write a window geometry where the kernels read it (`geom`). */
  putGeom(g: WindowGeom): void {
    this.i32.set(packWindowGeom(g), this.geom >>> 2);
  }
}
