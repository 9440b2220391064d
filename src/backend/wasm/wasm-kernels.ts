// The 'wasm' backend: float32 kernels in WebAssembly SIMD (asm/) on a shared memory where op outputs stay resident
// (arena.ts); plain-array operands are copied in and out per call. Large calls are split over a thread pool.
// Anything else (float64, memory exhausted) runs on the JS reference.
import type { TypedArray } from '../../core/dtype.js';
import type { Kernels, WindowGeom } from '../kernels.js';
import { BINARY, COMPARE, CONV_ACT, GATE_ACT, UNARY, type WasmExports } from './exports.js';
import { ValueError } from '../../core/errors.js';
export type { WasmExports } from './exports.js';
import { jsKernels } from '../js.js';
import { fastMovement } from './movement.js';
import { type PoolFn, type ThreadPool, type WorkArea, rangeStart } from './pool.js';
import type { Arena } from './arena.js';
import { type Arr, WasmMemory } from './memory-frame.js';

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
/** Flops per matmul chunk to aim for, and at most this many chunks per thread (dynamic load balancing). */
const CHUNK_FLOPS = 2e6;
const CHUNKS_PER_THREAD = 4;
/** Columns per tile of a wide product whose B is packed once for all threads. */
const TILE_COLS = 512;
const DEEP_K = 8192;
/** Products with at most this many outputs and depth ≥ DEEP_K are split along the depth (deepMatmul). */
const DEEP_OUT = 4096;

/**
 * Row slices of a filter gradient, summed separately then in order: ~FILTER_SLICE_ROWS each (at most 32), one when
 * the product is too small to share. NOTE: chosen by shape alone, so every thread count gives the same bits.
 */
const FILTER_SLICE_ROWS = 2048;
const FILTER_SPLIT_FLOPS = 4e6;
function filterSlices(rows: number, flops: number): [number, number][] {
  if (flops < FILTER_SPLIT_FLOPS) return [[0, rows]];
  return splitRange(rows, Math.min(32, Math.ceil(rows / FILTER_SLICE_ROWS)), 4);
}

/** Which arguments of an elementwise kernel are pointers (op code first; `where` has a cond dtype flag). */
const PTRS_1_1 = [false, true, true];
const PTRS_2_1 = [false, true, true, true];
const PTRS_SCALAR = [false, true, false, false, true];
const SCALAR_F32 = new Float32Array(1);
const SCALAR_BITS = new Int32Array(SCALAR_F32.buffer);
const PTRS_WHERE = [true, false, true, true, true];

const isF32 = (a: TypedArray): a is Float32Array => a instanceof Float32Array;

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
function chunksOf(ranges: [number, number][], f: (s: number, e: number, i: number) => number[]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ranges.length; i++) out.push(f(ranges[i][0], ranges[i][1], i));
  return out;
}

/** The wasm backend's Kernels plus the handles the loader and tests need. */
export interface WasmKernels extends Kernels {
  readonly pool: ThreadPool;
  /** Resident storage and temporary blocks in the kernels' memory. */
  readonly arena: Arena;
  /** Bytes of wasm memory in use (grows, never shrinks). */
  memoryBytes(): number;
}

/** Build the Kernels object over an instantiated module, its shared memory and a thread pool. */
export function createWasmKernels(
  ex: WasmExports,
  memory: WebAssembly.Memory,
  pool: ThreadPool,
): WasmKernels {
  const mem = new WasmMemory(ex, memory);
  const { arena, geom: GEOM, workBytes } = mem;
  const workPtr = (t: number): number => mem.workPtr(t);
  /** Every thread's GEMM work area (thread t gets base + t·stride). */
  const WORK: WorkArea = { base: workPtr(0), stride: mem.workBytes };
  const call = (ins: Arr[], outs: Arr[], run: (p: number[]) => void, scratch?: number[]): boolean =>
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
  const isArr = (a: TypedArray): a is Arr => a instanceof Float32Array || a instanceof Int32Array;
  /**
   * A deep product with a small output (a conv filter gradient: 27×12 summed over 32,768 pixels) cut into fixed
   * depth slices of ~4096 that threads share, then summed slice by slice in order.
   * NOTE: the slices depend only on the shape, so 1 and N threads still give the same bits.
   */
  function deepMatmul(
    a: Arr,
    b: Arr,
    out: Arr,
    m: number,
    n: number,
    kk: number,
    tA: boolean,
    tB: boolean,
  ): boolean {
    const slices = splitRange(kk, Math.min(16, Math.ceil(kk / 4096)), 4);
    const parts = slices.length;
    const mn = m * n;
    return call(
      [a, b],
      [out],
      ([pa, pb, po, partial]) => {
        pool.run(
          'matmulDepthSlice',
          chunksOf(slices, (k0, k1, i) => [
            pa,
            pb,
            partial + i * mn * 4,
            m,
            n,
            kk,
            tA ? 1 : 0,
            tB ? 1 : 0,
            k0,
            k1,
          ]),
          WORK,
        );
        mem.fresh();
        const f32 = mem.f32;
        const p0 = partial >>> 2;
        const o0 = po >>> 2;
        for (let j = 0; j < mn; j++) {
          let s = f32[p0 + j];
          for (let i = 1; i < parts; i++) s = Math.fround(s + f32[p0 + i * mn + j]);
          f32[o0 + j] = s;
        }
      },
      [parts * mn * 4],
    );
  }

  const k: WasmKernels = {
    ...fastMovement,
    name: 'wasm',
    pool,
    arena,
    memoryBytes: () => memory.buffer.byteLength,
    alloc: (dtype, n) => arena.resident(dtype, n),
    free: (s) => arena.release(s),
    hold: (ss) => arena.hold(ss),
    unhold: () => arena.unhold(),
    memory: () => ({
      ...arena.stats(),
      memoryBytes: memory.buffer.byteLength,
      budgetBytes: arena.residentLimit,
    }),
    setMemoryBudget: (bytes) => void (arena.residentLimit = bytes),
    unary(op, x, out) {
      if (
        !isF32(x) ||
        !isF32(out) ||
        !call([x], [out], ([px, po]) => elementwise('unary', [UNARY[op], px, po], PTRS_1_1, x.length))
      )
        jsKernels.unary(op, x, out);
    },
    binary(op, a, b, out) {
      if (
        !isF32(a) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([a, b], [out], ([pa, pb, po]) =>
          elementwise('binary', [BINARY[op], pa, pb, po], PTRS_2_1, out.length),
        )
      )
        jsKernels.binary(op, a, b, out);
    },
    binaryScalar(op, a, s, scalarFirst, out) {
      // NOTE: s goes to the workers as the bits of its float32 rounding (the job table holds int32 arguments)
      SCALAR_F32[0] = s;
      const bits = SCALAR_BITS[0];
      if (
        !isF32(a) ||
        !isF32(out) ||
        !call([a], [out], ([pa, po]) =>
          elementwise(
            'binaryScalar',
            [BINARY[op], pa, bits, scalarFirst ? 1 : 0, po],
            PTRS_SCALAR,
            out.length,
          ),
        )
      )
        jsKernels.binaryScalar(op, a, s, scalarFirst, out);
    },
    compare(op, a, b, out) {
      if (
        !isF32(a) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([a, b], [out], ([pa, pb, po]) =>
          elementwise('compare', [COMPARE[op], pa, pb, po], PTRS_2_1, out.length),
        )
      )
        jsKernels.compare(op, a, b, out);
    },
    where(cond, a, b, out) {
      if (
        !isArr(cond) ||
        !isF32(a) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([cond, a, b], [out], ([pc, pa, pb, po]) =>
          elementwise('where', [pc, cond instanceof Int32Array ? 1 : 0, pa, pb, po], PTRS_WHERE, out.length),
        )
      )
        jsKernels.where(cond, a, b, out);
    },
    cast: jsKernels.cast,
    reduce(op, x, outer, mid, inner, out) {
      if (
        !isF32(x) ||
        !isF32(out) ||
        !call(
          [x],
          [out],
          ([px, po, acc]) =>
            op === 'sum'
              ? ex.reduceSum(px, outer, mid, inner, po, acc)
              : ex.reduceMax(px, outer, mid, inner, po),
          [Math.max(inner, 16) * 8],
        )
      )
        jsKernels.reduce(op, x, outer, mid, inner, out);
    },
    firstNonFinite(x) {
      let at = -1;
      if (x.length === 0 || !isF32(x) || !call([x], [], ([px]) => (at = ex.firstNonFinite(px, x.length))))
        return jsKernels.firstNonFinite(x);
      return at;
    },
    argmax(x, outer, mid, inner, out) {
      if (!isF32(x) || !call([x], [out], ([px, po]) => ex.argmax(px, outer, mid, inner, po)))
        jsKernels.argmax(x, outer, mid, inner, out);
    },
    take(x, idx, out) {
      // NOTE: a plain (non-resident) source much larger than what is taken — fit's batch rows of a whole data set
      // — is read in place by the JS kernel: the wasm one would first copy all of it into kernel memory (188 MB
      // per step for Fashion-MNIST, and wasm memory never shrinks).
      if (
        (arena.ptrOf(x) < 0 && x.length > 4 * out.length) ||
        !isF32(x) ||
        !isF32(out) ||
        !call([x, idx], [out], ([px, pi, po]) => ex.take(px, pi, po, idx.length))
      )
        fastMovement.take(x, idx, out);
    },
    scatterAdd(g, idx, out) {
      if (
        !isF32(g) ||
        !isF32(out) ||
        !call([g, idx], [out], ([pg, pi, po]) => ex.scatterAdd(pg, pi, po, idx.length, out.length))
      )
        fastMovement.scatterAdd(g, idx, out);
    },
    // NOTE: one single-threaded pass per LSTM step (a [batch, units] step is too small to split across workers).
    lstmGates(z, c, units, act, rec, out) {
      if (
        !isF32(z) ||
        !isF32(c) ||
        !isF32(out) ||
        !call([z, c], [out], ([pz, pc, po]) =>
          ex.lstmGates(GATE_ACT[act], GATE_ACT[rec], pz, pc, po, units, 0, c.length / units),
        )
      )
        jsKernels.lstmGates(z, c, units, act, rec, out);
    },
    lstmGatesGrad(g, z, c, units, act, rec, out) {
      if (
        !isF32(g) ||
        !isF32(z) ||
        !isF32(c) ||
        !isF32(out) ||
        !call([g, z, c], [out], ([pg, pz, pc, po]) =>
          ex.lstmGatesGrad(GATE_ACT[act], GATE_ACT[rec], pg, pz, pc, po, units, 0, c.length / units),
        )
      )
        jsKernels.lstmGatesGrad(g, z, c, units, act, rec, out);
    },
    matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB) {
      if (out.length === 0) return;
      if (
        batchA === 1 &&
        batchB === 1 &&
        m * n <= DEEP_OUT &&
        kk >= DEEP_K &&
        isF32(a) &&
        isF32(b) &&
        isF32(out)
      )
        if (deepMatmul(a, b, out, m, n, kk, transA, transB)) return;
      const batch = Math.max(batchA, batchB);
      const flops = 2 * batch * m * n * kk;
      const T = flops >= PARALLEL_MIN.matmulFlops ? pool.threads : 1;
      // NOTE: with a deep k every chunk re-packs the whole shared operand, so deep products get one chunk per thread.
      const want =
        T === 1
          ? 1
          : kk >= DEEP_K
            ? T
            : Math.min(CHUNKS_PER_THREAD * T, Math.max(T, Math.floor(flops / CHUNK_FLOPS)));
      // NOTE: chunks of whole batches, else of rows (multiples of the 4-row micro-tile), else of columns
      // (multiples of 8) for short wide products; every output element is summed in the same order in any
      // chunk, so results do not depend on the thread count.
      // NOTE: each column chunk re-reads all of A, so chunks stay ≥ 16 rows (32 columns); row chunks of one
      // product share one packed copy of B (packBPanels) instead of each packing all of it.
      const byBatch = batch >= want;
      const rowParts = Math.min(want, Math.max(T, Math.floor(m / 16)));
      const rowChunks = byBatch ? [] : m >= n ? splitRange(m, rowParts, 4) : [];
      const shared = batch === 1 && rowChunks.length > 1 && n >= 64 && kk > 0;
      // NOTE: wide shared products are also cut into TILE_COLS-column blocks: tiles of a few ms keep both threads
      // busy to the end when one is descheduled (8 row chunks of a 2048² product take ~50 ms each).
      const colChunks =
        shared && n >= 2 * TILE_COLS ? splitRange(n, Math.round(n / TILE_COLS), 8) : [[0, n] as const];
      const n8 = Math.ceil(n / 8) * 8;
      const ok =
        isF32(a) &&
        isF32(b) &&
        isF32(out) &&
        call(
          [a, b],
          [out],
          ([pa, pb, po, packed]) => {
            if (shared) {
              pool.run(
                'packBPanels',
                chunksOf(splitRange(n, 2 * T, 8), (s, e) => [pb, transB ? 1 : 0, kk, n, packed, s, e]),
              );
              const tiles: number[][] = [];
              for (const [s, e] of rowChunks)
                for (const [j0, j1] of colChunks)
                  tiles.push([pa, packed, po, m, n, kk, transA ? 1 : 0, s, e, j0, j1]);
              pool.run('matmulTilePacked', tiles, WORK);
              return;
            }
            // chunk = pre, then (batch0, batch1, row0, row1, col0, col1) with one of the three pairs split
            const args = [
              pa,
              pb,
              po,
              batchA,
              batchB,
              m,
              n,
              kk,
              transA ? 1 : 0,
              transB ? 1 : 0,
              0,
              batch,
              0,
              m,
              0,
              n,
            ];
            if (byBatch) pool.runSplit('matmulSlice', args, 10, batch, want, 1, WORK);
            else if (rowChunks.length) pool.runSplit('matmulSlice', args, 12, m, rowParts, 4, WORK);
            else
              pool.runSplit(
                'matmulSlice',
                args,
                14,
                n,
                Math.min(want, Math.max(T, Math.floor(n / 32))),
                8,
                WORK,
              );
          },
          shared ? [kk * n8 * 4] : [],
        );
      if (!ok) jsKernels.matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB);
    },
    im2col(x, g, out) {
      const rows = g.n * g.outH * g.outW;
      if (
        !isF32(x) ||
        !isF32(out) ||
        !call([x], [out], ([px, po]) => {
          putGeom(g);
          split('im2col', [px, GEOM, po], rows, windowSplit(g, out.length));
        })
      )
        jsKernels.im2col(x, g, out);
    },
    col2im(cols, g, out) {
      if (
        !isF32(cols) ||
        !isF32(out) ||
        !call([cols], [out], ([pc, po]) => {
          putGeom(g);
          split('col2im', [pc, GEOM, po], g.n, windowSplit(g, cols.length));
        })
      )
        jsKernels.col2im(cols, g, out);
    },
    poolArgmax(x, g, out) {
      if (
        !isF32(x) ||
        !call([x], [out], ([px, po]) => {
          putGeom(g);
          split('poolArgmax', [px, GEOM, po], g.n, windowSplit(g, x.length));
        })
      )
        jsKernels.poolArgmax(x, g, out);
    },
    conv2d(x, w, bias, g, o, out, act = 'linear') {
      if (out.length === 0) return;
      const code = Object.hasOwn(CONV_ACT, act) ? CONV_ACT[act] : undefined;
      if (code === undefined) throw new ValueError(`conv2d kernel: unknown activation '${String(act)}'`);
      const kk = g.kh * g.kw * g.c;
      const rows = g.n * g.outH * g.outW;
      // NOTE: an empty window (k = 0) or a depth too large for the per-thread scratch goes to the reference.
      const ok =
        isF32(x) &&
        isF32(w) &&
        isF32(out) &&
        (!bias || isF32(bias)) &&
        kk > 0 &&
        ex.convBlockRows(kk) >= 4 &&
        call(
          bias ? [x, w, bias as Float32Array] : [x, w],
          [out],
          (p) => {
            const [px, pw] = p;
            const pb = bias ? p[2] : 0;
            const po = p[bias ? 3 : 2];
            const packed = p[bias ? 4 : 3];
            ex.convPackW(pw, kk, o, packed);
            putGeom(g);
            const flops = 2 * rows * kk * o;
            // NOTE: CHUNKS_PER_THREAD ranges of output rows per thread (see `split`); every output row is computed the
            // same way in any chunk, so the thread count never changes a result.
            const nParts =
              flops >= PARALLEL_MIN.convFlops && pool.threads > 1
                ? Math.min(CHUNKS_PER_THREAD * pool.threads, Math.ceil(rows / 4))
                : 1;
            if (ex.convBandOk(GEOM, workBytes))
              pool.runSplit(
                'convBandRows',
                [px, GEOM, packed, pb, bias ? 1 : 0, code, po, o, 0, 0, workBytes],
                8,
                rows,
                nParts,
                4,
                WORK,
              );
            else
              pool.runSplit(
                'convRows',
                [px, GEOM, packed, pb, bias ? 1 : 0, code, po, o, 0, 0],
                8,
                rows,
                nParts,
                4,
                WORK,
              );
          },
          [kk * Math.ceil(o / 8) * 8 * 4],
        );
      if (!ok) jsKernels.conv2d(x, w, bias, g, o, out, act);
    },
    conv2dBackpropInput(gr, w, g, o, out) {
      if (out.length === 0) return;
      const kk = g.kh * g.kw * g.c;
      const ok =
        isF32(gr) &&
        isF32(w) &&
        isF32(out) &&
        kk > 0 &&
        o > 0 &&
        ex.convBlockRows(kk) >= 4 &&
        call(
          [gr, w],
          [out],
          ([pg, pw, po, packed]) => {
            ex.convPackWT(pw, kk, o, packed);
            putGeom(g);
            const flops = 2 * g.n * g.outH * g.outW * kk * o;
            const parts = flops >= PARALLEL_MIN.matmulFlops && pool.threads > 1 ? g.n : 1;
            // NOTE: chunks of whole images, so no two threads add into the same pixel.
            pool.runSplit(
              'convInputRows',
              [pg, GEOM, packed, po, o, 0, 0],
              5,
              g.n,
              Math.min(parts, 256),
              1,
              WORK,
            );
          },
          [o * Math.ceil(kk / 8) * 8 * 4],
        );
      if (!ok) jsKernels.conv2dBackpropInput(gr, w, g, o, out);
    },
    conv2dBackpropFilter(x, gr, g, o, out) {
      if (out.length === 0) return;
      const kk = g.kh * g.kw * g.c;
      const rows = g.n * g.outH * g.outW;
      const slices = filterSlices(rows, 2 * rows * kk * o);
      const parts = slices.length;
      const ok =
        isF32(x) &&
        isF32(gr) &&
        isF32(out) &&
        kk > 0 &&
        o > 0 &&
        rows > 0 &&
        ex.convFilterBlockRows(kk) >= 4 &&
        call(
          [x, gr],
          [out],
          ([px, pg, po, partial]) => {
            putGeom(g);
            const dst = (i: number): number => (parts === 1 ? po : partial + i * kk * o * 4);
            // NOTE: windows read from a zero-padded band of input rows when one output row's band fits the scratch
            if (ex.convFilterBandOk(GEOM, workBytes))
              pool.run(
                'convFilterBandRows',
                chunksOf(slices, (s, e, i) => [px, GEOM, pg, o, s, e, dst(i), workBytes]),
                WORK,
              );
            else
              pool.run(
                'convFilterRows',
                chunksOf(slices, (s, e, i) => [px, GEOM, pg, o, s, e, dst(i)]),
                WORK,
              );
            if (parts > 1) ex.sumSlices(partial, parts, kk * o, po);
          },
          parts > 1 ? [parts * kk * o * 4] : [],
        );
      if (!ok) jsKernels.conv2dBackpropFilter(x, gr, g, o, out);
    },
    avgPool(x, g, divisors, out) {
      if (
        !isF32(x) ||
        !isF32(divisors) ||
        !isF32(out) ||
        (divisors.length !== 1 && divisors.length !== g.outH * g.outW) ||
        !call([x, divisors], [out], ([px, pd, po]) => {
          putGeom(g);
          split('avgPool', [px, GEOM, pd, divisors.length, po], g.n, windowSplit(g, x.length));
        })
      )
        jsKernels.avgPool(x, g, divisors, out);
    },
    poolMax(x, g, out) {
      if (
        !isF32(x) ||
        !isF32(out) ||
        !call([x], [out], ([px, po]) => {
          putGeom(g);
          split('poolMax', [px, GEOM, po], g.n, windowSplit(g, x.length));
        })
      )
        jsKernels.poolMax(x, g, out);
    },
  };
  return k;
}
