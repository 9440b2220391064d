// The 'wasm' backend: float32 kernels in WebAssembly SIMD (asm/), copied in and out of a grow-only scratch
// region on every call, split over a thread pool when large. Anything else runs on the JS reference.
import type { TypedArray } from '../core/dtype.js';
import type { BinaryOp, CompareOp, Kernels, UnaryOp, WindowGeom } from './kernels.js';
import { jsKernels } from './js.js';
import { fastMovement } from './movement.js';
import type { PoolFn, ThreadPool } from './pool.js';
import { Arena } from './arena.js';

/** The exports of build/wasm/kernels.wasm (pointers are byte offsets into the shared memory). */
export interface WasmExports {
  heapBase(): number;
  gemmWorkBytes(): number;
  matmulSlice(
    a: number,
    b: number,
    c: number,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    b0: number,
    b1: number,
    m0: number,
    m1: number,
    j0: number,
    j1: number,
    work: number,
  ): void;
  im2col(x: number, g: number, out: number, r0: number, r1: number): void;
  col2im(cols: number, g: number, out: number, n0: number, n1: number): void;
  poolArgmax(x: number, g: number, out: number, n0: number, n1: number): void;
  convBlockRows(k: number): number;
  convPackW(w: number, k: number, o: number, dst: number): void;
  convRows(
    x: number,
    g: number,
    wp: number,
    bias: number,
    hasBias: number,
    out: number,
    o: number,
    r0: number,
    r1: number,
    work: number,
  ): void;
  poolMax(x: number, g: number, out: number, n0: number, n1: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  binary(op: number, a: number, b: number, out: number, n: number): void;
  compare(op: number, a: number, b: number, out: number, n: number): void;
  where(cond: number, condInt: number, a: number, b: number, out: number, n: number): void;
  reduceSum(x: number, outer: number, mid: number, inner: number, out: number, acc: number): void;
  reduceMax(x: number, outer: number, mid: number, inner: number, out: number): void;
  argmax(x: number, outer: number, mid: number, inner: number, out: number): void;
  take(x: number, idx: number, out: number, n: number): void;
  scatterAdd(g: number, idx: number, out: number, n: number, size: number): void;
}

const UNARY: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  sign: 5,
  relu: 6,
  sigmoid: 7,
  tanh: 8,
  sin: 9,
  cos: 10,
  erf: 11,
  floor: 12,
};
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6 };
const COMPARE: Record<CompareOp, number> = { eq: 0, ne: 1, gt: 2, ge: 3, lt: 4, le: 5 };

/** Work (flops or elements) below which a kernel stays on the calling thread: waking workers costs ~20 µs. */
export const PARALLEL_MIN = { matmulFlops: 4e6, windowElems: 1 << 18 };
/** Output rows per conv2d chunk (a multiple of the 4-row micro-tile). */
const CONV_CHUNK_ROWS = 256;
/** Flops per matmul chunk to aim for, and at most this many chunks per thread (dynamic load balancing). */
const CHUNK_FLOPS = 2e6;
const CHUNKS_PER_THREAD = 4;
const DEEP_K = 8192;

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
const isF32 = (a: TypedArray): a is Float32Array => a instanceof Float32Array;

/** Split [0,n) into `parts` contiguous ranges whose inner boundaries are multiples of `step`. */
export function splitRange(n: number, parts: number, step = 1): [number, number][] {
  const units = Math.ceil(n / step);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const s = Math.min(n, Math.floor((units * i) / p) * step);
    const e = i === p - 1 ? n : Math.min(n, Math.floor((units * (i + 1)) / p) * step);
    if (e > s) out.push([s, e]);
  }
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

/** Thread work areas reserved below the arena (ThreadPool accepts at most 64 threads). */
const MAX_THREADS = 64;
/** The arena stops a page short of the wasm32 limit. */
const MEMORY_LIMIT = 4 * 1024 ** 3 - PAGE;

type Arr = Float32Array | Int32Array;

/** Build the Kernels object over an instantiated module, its shared memory and a thread pool. */
export function createWasmKernels(
  ex: WasmExports,
  memory: WebAssembly.Memory,
  pool: ThreadPool,
): WasmKernels {
  const L = wasmLayout(ex.heapBase());
  const workBytes = align(ex.gemmWorkBytes());
  const GEOM = L.geom; // 14 i32 of window geometry
  const workPtr = (t: number): number => L.work + t * workBytes;
  const arena = new Arena(memory, workPtr(MAX_THREADS), MEMORY_LIMIT);
  {
    const need = workPtr(MAX_THREADS) - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / PAGE)); // untouched pages of shared memory cost no RAM
  }
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  const fresh = (): void => {
    if (f32.buffer.byteLength !== memory.buffer.byteLength) {
      f32 = new Float32Array(memory.buffer);
      i32 = new Int32Array(memory.buffer);
    }
  };
  const put = (p: number, a: Arr): void => (a instanceof Int32Array ? i32 : f32).set(a, p >>> 2);
  const get = (p: number, out: Arr): void =>
    out.set((out instanceof Int32Array ? i32 : f32).subarray(p >>> 2, (p >>> 2) + out.length));

  interface Frame {
    /** Pointers of the inputs, then the outputs, then the scratch blocks. */
    ptrs: number[];
    temps: number[];
    back: [number, Arr][];
  }
  /**
   * Pointers for one kernel call: resident arrays are used in place (pinned, so nothing evicts them mid-call),
   * plain ones are copied into temporary blocks; `scratch` adds blocks of those byte sizes. Null when the memory
   * is exhausted (the caller then runs the JS reference).
   */
  function enter(ins: Arr[], outs: Arr[], scratch: number[] = []): Frame | null {
    for (const a of [...ins, ...outs]) {
      const p = arena.ptrOf(a);
      if (p >= 0) arena.pin(p);
    }
    const f: Frame = { ptrs: [], temps: [], back: [] };
    const temp = (bytes: number): number => {
      const t = arena.alloc(bytes);
      if (t >= 0) f.temps.push(t);
      return t;
    };
    const ok = [...ins, ...outs].every((a, i) => {
      let p = arena.ptrOf(a);
      if (p < 0) {
        p = temp(a.length * 4);
        if (p < 0) return false;
        if (i >= ins.length) f.back.push([p, a]);
      }
      f.ptrs.push(p);
      return true;
    });
    const okScratch = ok && scratch.every((b) => f.ptrs.push(temp(b)) && f.ptrs[f.ptrs.length - 1] >= 0);
    if (!okScratch) {
      leave(f, false);
      return null;
    }
    fresh();
    ins.forEach((a, i) => {
      if (f.temps.includes(f.ptrs[i])) put(f.ptrs[i], a);
    });
    return f;
  }
  /** Copy plain outputs back (unless the call failed), free the temporary blocks, unpin. */
  function leave(f: Frame, copy = true): void {
    try {
      if (copy) {
        fresh();
        for (const [p, a] of f.back) get(p, a);
      }
    } finally {
      for (const t of f.temps) arena.free(t);
      arena.unpinAll();
    }
  }
  /** enter → run → leave, or false when the memory is exhausted. */
  function call(ins: Arr[], outs: Arr[], run: (p: number[]) => void, scratch: number[] = []): boolean {
    const f = enter(ins, outs, scratch);
    if (!f) return false;
    let done = false;
    try {
      run(f.ptrs);
      done = true;
    } finally {
      leave(f, done);
    }
    return true;
  }
  function putGeom(g: WindowGeom): void {
    i32.set(
      [
        g.n,
        g.h,
        g.w,
        g.c,
        g.kh,
        g.kw,
        g.strideH,
        g.strideW,
        g.dilationH,
        g.dilationW,
        g.padTop,
        g.padLeft,
        g.outH,
        g.outW,
      ],
      GEOM >>> 2,
    );
  }
  /** Run fn over ranges of [0,n) (a few per thread when `big`), with args (lo, hi) appended to `pre`. */
  function split(fn: PoolFn, pre: number[], n: number, big: boolean): void {
    pool.run(
      fn,
      splitRange(n, big ? CHUNKS_PER_THREAD * pool.threads : 1).map(([s, e]) => [...pre, s, e]),
    );
  }
  const windowSplit = (g: WindowGeom, elems: number): boolean =>
    pool.threads > 1 && g.n > 1 && elems >= PARALLEL_MIN.windowElems;
  const isArr = (a: TypedArray): a is Arr => a instanceof Float32Array || a instanceof Int32Array;

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
    unary(op, x, out) {
      if (!isF32(x) || !isF32(out) || !call([x], [out], ([px, po]) => ex.unary(UNARY[op], px, po, x.length)))
        jsKernels.unary(op, x, out);
    },
    binary(op, a, b, out) {
      if (
        !isF32(a) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([a, b], [out], ([pa, pb, po]) => ex.binary(BINARY[op], pa, pb, po, out.length))
      )
        jsKernels.binary(op, a, b, out);
    },
    compare(op, a, b, out) {
      if (
        !isF32(a) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([a, b], [out], ([pa, pb, po]) => ex.compare(COMPARE[op], pa, pb, po, out.length))
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
          ex.where(pc, cond instanceof Int32Array ? 1 : 0, pa, pb, po, out.length),
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
          [inner * 8],
        )
      )
        jsKernels.reduce(op, x, outer, mid, inner, out);
    },
    argmax(x, outer, mid, inner, out) {
      if (!isF32(x) || !call([x], [out], ([px, po]) => ex.argmax(px, outer, mid, inner, po)))
        jsKernels.argmax(x, outer, mid, inner, out);
    },
    take(x, idx, out) {
      if (
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
    matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB) {
      if (out.length === 0) return;
      const ok =
        isF32(a) &&
        isF32(b) &&
        isF32(out) &&
        call([a, b], [out], ([pa, pb, po]) => {
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
          const pre = [pa, pb, po, batchA, batchB, m, n, kk, transA ? 1 : 0, transB ? 1 : 0];
          // NOTE: chunks of whole batches, else of rows (multiples of the 4-row micro-tile), else of columns
          // (multiples of 8) for short wide products; every output element is summed in the same order in any
          // chunk, so results do not depend on the thread count.
          // NOTE: each row chunk re-reads all of B (each column chunk all of A), so chunks stay ≥ 16 rows (32 columns).
          const chunks =
            batch >= want
              ? splitRange(batch, want).map(([s, e]) => [s, e, 0, m, 0, n])
              : m >= n
                ? splitRange(m, Math.min(want, Math.max(T, Math.floor(m / 16))), 4).map(([s, e]) => [
                    0,
                    batch,
                    s,
                    e,
                    0,
                    n,
                  ])
                : splitRange(n, Math.min(want, Math.max(T, Math.floor(n / 32))), 8).map(([s, e]) => [
                    0,
                    batch,
                    0,
                    m,
                    s,
                    e,
                  ]);
          pool.run(
            'matmulSlice',
            chunks.map((r) => [...pre, ...r]),
            { base: workPtr(0), stride: workBytes },
          );
        });
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
    conv2d(x, w, bias, g, o, out) {
      if (out.length === 0) return;
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
            const parts =
              flops >= PARALLEL_MIN.matmulFlops && pool.threads > 1 ? Math.ceil(rows / CONV_CHUNK_ROWS) : 1;
            // NOTE: every output row is computed the same way in any chunk, so the thread count never changes a result.
            pool.run(
              'convRows',
              splitRange(rows, Math.min(parts, 256), 4).map(([s, e]) => [
                px,
                GEOM,
                packed,
                pb,
                bias ? 1 : 0,
                po,
                o,
                s,
                e,
              ]),
              { base: workPtr(0), stride: workBytes },
            );
          },
          [kk * Math.ceil(o / 8) * 8 * 4],
        );
      if (!ok) jsKernels.conv2d(x, w, bias, g, o, out);
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
