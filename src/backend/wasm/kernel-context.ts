// What every wasm kernel wrapper shares: the memory frame (operands in, outputs out), the thread pool with each
// thread's GEMM work area, the window geometry block, and the ways a call is cut into chunks for the threads.
import type { TypedArray } from '../../core/dtype.js';
import type { WindowGeom } from '../kernels.js';
import type { WasmExports } from './exports.js';
import { type PoolFn, type ThreadPool, type WorkArea, rangeStart } from './pool.js';
import type { Arena } from './arena.js';
import { type Arr, type RunPtrs, WasmMemory } from './memory-frame.js';

/**
 * Work (flops or elements) below which a kernel stays on the calling thread: handing a job to a worker costs
 * ~10 µs while it spins (the pool's spinMicros), ~20–50 µs once it sleeps. A conv forward or a window sweep is
 * cheaper to split than a matmul (no shared operand to re-pack per chunk).
 */
export const PARALLEL_MIN = {
  matmulFlops: 4e6,
  convFlops: 2e6,
  windowElems: 1 << 16,
  elementwiseElems: 1 << 18,
};
/** At most this many chunks per thread (dynamic load balancing: the faster thread claims more). */
export const CHUNKS_PER_THREAD = 4;

export const isF32 = (a: TypedArray): a is Float32Array => a instanceof Float32Array;
export const isArr = (a: TypedArray): a is Arr => a instanceof Float32Array || a instanceof Int32Array;

/** Split [0,n) into `parts` contiguous ranges whose inner boundaries are multiples of `step`. */
export function splitRange(n: number, parts: number, step = 1): [number, number][] {
  const units = Math.ceil(n / step);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const s = rangeStart(n, units, p, step, i);
    const e = rangeStart(n, units, p, step, i + 1);
    if (e > s) out.push([s, e]);
  }
  return out;
}

/**
 * The chunk list `ranges.map(f)` for pool.run, built with push.
 * NOTE: not `map`: once V8 optimizes a caller, its inlined `map` builds a holey array, and pool.run, optimized on
 * packed chunk lists, deopts ("wrong map") and runs unoptimized for ~70 more training steps (issue 12).
 */
export function chunksOf(
  ranges: [number, number][],
  f: (s: number, e: number, i: number) => number[],
): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ranges.length; i++) out.push(f(ranges[i][0], ranges[i][1], i));
  return out;
}

/** The shared state and helpers of one backend instance (see createWasmKernels). */
export interface KernelContext {
  ex: WasmExports;
  pool: ThreadPool;
  mem: WasmMemory;
  arena: Arena;
  /** Pointer of the 14-i32 window geometry block the window and conv kernels read. */
  GEOM: number;
  /** Bytes of each thread's work area. */
  workBytes: number;
  /** Every thread's GEMM work area (thread t gets base + t·stride). */
  WORK: WorkArea;
  /** Copy plain operands in, run, copy outputs out (false: no room, run the reference). */
  call(ins: Arr[], outs: Arr[], run: RunPtrs, scratch?: number[]): boolean;
  putGeom(g: WindowGeom): void;
  split(fn: PoolFn, pre: number[], n: number, big: boolean): void;
  elementwise(fn: PoolFn, args: number[], ptrs: boolean[], n: number): void;
  windowSplit(g: WindowGeom, elems: number): boolean;
}

export function kernelContext(ex: WasmExports, memory: WebAssembly.Memory, pool: ThreadPool): KernelContext {
  const mem = new WasmMemory(ex, memory);
  const { arena, geom: GEOM, workBytes } = mem;
  // a worker given up on inside a chunk may still write its job's blocks: none is reused until it has stopped
  pool.onStuck = () => arena.quarantineLive(() => pool.stuckWorkers() > 0);
  const WORK: WorkArea = { base: mem.workPtr(0), stride: workBytes };
  const call = (ins: Arr[], outs: Arr[], run: RunPtrs, scratch?: number[]): boolean =>
    mem.call(ins, outs, run, scratch);
  const putGeom = (g: WindowGeom): void => mem.putGeom(g);
  /**
   * Run fn over ranges of [0,n) (CHUNKS_PER_THREAD per thread when `big`), with args (lo, hi) appended to `pre`.
   * NOTE: several ranges per thread, claimed in turn: when one core runs slower (this 2-core machine's second core
   * often gives ~1.4× one core, not 2×), the faster thread takes more. Session 6 measured one range per thread
   * faster (conv → pool then kept each image in one core's cache); session 15, in-process A/B of blocks of steps,
   * medians: the seed CNN predict 2.05 → 1.71 ms, its training step 6.27 → 6.09, the ONNX CNN 0.92 → 0.82, the
   * wider CNN's step 145 → 133 (batch 32) and 507 → 426 ms (batch 128), with the conv forward cut the same way.
   */
  function split(fn: PoolFn, pre: number[], n: number, big: boolean): void {
    // NOTE: every chunk is `pre` itself with (lo, hi) written at its end (callers pass a fresh array): no array per
    // chunk, since the JS around every kernel call is paid in full until V8 optimizes it (first steps; issue 12).
    const slot = pre.length;
    pre.push(0, 0);
    pool.runSplit(fn, pre, slot, n, big ? CHUNKS_PER_THREAD * pool.threads : 1, 1);
  }
  /**
   * An elementwise kernel fn(...args, n) over n 4-byte elements, where args flagged in `ptrs` are pointers; large
   * ones are cut into ranges of whole f32x4 groups that threads share.
   * NOTE: each element is computed alone, so the split never changes a result.
   */
  function elementwise(fn: PoolFn, args: number[], ptrs: boolean[], n: number): void {
    const parts =
      pool.threads > 1 && n >= PARALLEL_MIN.elementwiseElems ? CHUNKS_PER_THREAD * pool.threads : 1;
    if (parts === 1) {
      if (n <= 0) return; // splitRange gives no chunk
      args.push(n); // one chunk from element 0: the (fresh) args themselves, as in `split`
      return pool.run(fn, [args]);
    }
    pool.run(
      fn,
      chunksOf(splitRange(n, parts, 4), (s, e) => {
        const chunk: number[] = [];
        for (let i = 0; i < args.length; i++) chunk.push(ptrs[i] ? args[i] + s * 4 : args[i]);
        chunk.push(e - s);
        return chunk;
      }),
    );
  }
  const windowSplit = (g: WindowGeom, elems: number): boolean =>
    pool.threads > 1 && g.n > 1 && elems >= PARALLEL_MIN.windowElems;
  return { ex, pool, mem, arena, GEOM, workBytes, WORK, call, putGeom, split, elementwise, windowSplit };
}
