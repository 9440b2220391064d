// The 'wasm' backend: float32 kernels in WebAssembly SIMD (asm/), copied in and out of a grow-only scratch
// region on every call, split over a thread pool when large. Anything else runs on the JS reference.
import type { TypedArray } from '../core/dtype.js';
import type { BinaryOp, CompareOp, Kernels, UnaryOp, WindowGeom } from './kernels.js';
import { jsKernels } from './js.js';
import { fastMovement } from './movement.js';
import type { PoolFn, ThreadPool } from './pool.js';

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
  /** Bytes of wasm memory in use (grows, never shrinks). */
  memoryBytes(): number;
}

/** Build the Kernels object over an instantiated module, its shared memory and a thread pool. */
export function createWasmKernels(
  ex: WasmExports,
  memory: WebAssembly.Memory,
  pool: ThreadPool,
): WasmKernels {
  const L = wasmLayout(ex.heapBase());
  const workBytes = align(ex.gemmWorkBytes());
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  const GEOM = L.geom; // 14 i32 of window geometry
  const workPtr = (t: number): number => L.work + t * workBytes;

  /** Pointers for regions of the given byte sizes after the per-thread work areas, growing memory once; null if it cannot. */
  function layout(...bytes: number[]): number[] | null {
    let top = workPtr(Math.max(1, pool.threads));
    const ptrs = bytes.map((b) => {
      const p = top;
      top += align(b);
      return p;
    });
    const have = memory.buffer.byteLength;
    if (top > have) {
      try {
        memory.grow(Math.ceil((top - have) / PAGE));
      } catch {
        return null; // NOTE: past the 4 GiB wasm32 limit the call runs on the JS reference instead.
      }
    }
    if (f32.buffer.byteLength !== memory.buffer.byteLength) {
      f32 = new Float32Array(memory.buffer);
      i32 = new Int32Array(memory.buffer);
    }
    return ptrs;
  }
  const put = (p: number, a: Float32Array | Int32Array): void =>
    (a instanceof Int32Array ? i32 : f32).set(a, p >>> 2);
  const get = (p: number, out: Float32Array | Int32Array): void =>
    out.set((out instanceof Int32Array ? i32 : f32).subarray(p >>> 2, (p >>> 2) + out.length));
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

  const k: WasmKernels = {
    ...fastMovement,
    name: 'wasm',
    pool,
    memoryBytes: () => memory.buffer.byteLength,
    unary(op, x, out) {
      if (!isF32(x) || !isF32(out)) return jsKernels.unary(op, x, out);
      const p = layout(x.length * 4);
      if (!p) return jsKernels.unary(op, x, out);
      put(p[0], x);
      ex.unary(UNARY[op], p[0], p[0], x.length);
      get(p[0], out);
    },
    binary(op, a, b, out) {
      if (!isF32(a) || !isF32(b) || !isF32(out)) return jsKernels.binary(op, a, b, out);
      const p = layout(a.length * 4, b.length * 4);
      if (!p) return jsKernels.binary(op, a, b, out);
      put(p[0], a);
      put(p[1], b);
      ex.binary(BINARY[op], p[0], p[1], p[0], out.length);
      get(p[0], out);
    },
    compare(op, a, b, out) {
      if (!isF32(a) || !isF32(b) || !isF32(out)) return jsKernels.compare(op, a, b, out);
      const p = layout(a.length * 4, b.length * 4);
      if (!p) return jsKernels.compare(op, a, b, out);
      put(p[0], a);
      put(p[1], b);
      ex.compare(COMPARE[op], p[0], p[1], p[0], out.length);
      get(p[0], out);
    },
    where(cond, a, b, out) {
      if (cond instanceof Float64Array || !isF32(a) || !isF32(b) || !isF32(out))
        return jsKernels.where(cond, a, b, out);
      const p = layout(cond.length * 4, a.length * 4, b.length * 4);
      if (!p) return jsKernels.where(cond, a, b, out);
      put(p[0], cond);
      put(p[1], a);
      put(p[2], b);
      ex.where(p[0], cond instanceof Int32Array ? 1 : 0, p[1], p[2], p[1], out.length);
      get(p[1], out);
    },
    cast: jsKernels.cast,
    reduce(op, x, outer, mid, inner, out) {
      if (!isF32(x) || !isF32(out)) return jsKernels.reduce(op, x, outer, mid, inner, out);
      const p = layout(x.length * 4, out.length * 4, inner * 8);
      if (!p) return jsKernels.reduce(op, x, outer, mid, inner, out);
      put(p[0], x);
      if (op === 'sum') ex.reduceSum(p[0], outer, mid, inner, p[1], p[2]);
      else ex.reduceMax(p[0], outer, mid, inner, p[1]);
      get(p[1], out);
    },
    argmax(x, outer, mid, inner, out) {
      if (!isF32(x)) return jsKernels.argmax(x, outer, mid, inner, out);
      const p = layout(x.length * 4, out.length * 4);
      if (!p) return jsKernels.argmax(x, outer, mid, inner, out);
      put(p[0], x);
      ex.argmax(p[0], outer, mid, inner, p[1]);
      get(p[1], out);
    },
    take(x, idx, out) {
      if (!isF32(x) || !isF32(out)) return fastMovement.take(x, idx, out);
      const p = layout(x.length * 4, idx.length * 4, out.length * 4);
      if (!p) return fastMovement.take(x, idx, out);
      put(p[0], x);
      put(p[1], idx);
      ex.take(p[0], p[1], p[2], idx.length);
      get(p[2], out);
    },
    scatterAdd(g, idx, out) {
      if (!isF32(g) || !isF32(out)) return fastMovement.scatterAdd(g, idx, out);
      const p = layout(g.length * 4, idx.length * 4, out.length * 4);
      if (!p) return fastMovement.scatterAdd(g, idx, out);
      put(p[0], g);
      put(p[1], idx);
      ex.scatterAdd(p[0], p[1], p[2], idx.length, out.length);
      get(p[2], out);
    },
    matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB) {
      if (!isF32(a) || !isF32(b) || !isF32(out))
        return jsKernels.matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB);
      if (out.length === 0) return;
      const p = layout(a.length * 4, b.length * 4, out.length * 4);
      if (!p) return jsKernels.matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB);
      put(p[0], a);
      put(p[1], b);
      const batch = Math.max(batchA, batchB);
      const flops = 2 * batch * m * n * kk;
      const T = flops >= PARALLEL_MIN.matmulFlops ? pool.threads : 1;
      const want =
        T === 1 ? 1 : Math.min(CHUNKS_PER_THREAD * T, Math.max(T, Math.floor(flops / CHUNK_FLOPS)));
      const pre = [p[0], p[1], p[2], batchA, batchB, m, n, kk, transA ? 1 : 0, transB ? 1 : 0];
      // NOTE: chunks of whole batches, else of rows (multiples of the 4-row micro-tile), else of columns (multiples
      // of 8) for short wide products; every output element is summed in the same order in any chunk, so results
      // do not depend on the thread count.
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
      get(p[2], out);
    },
    im2col(x, g, out) {
      if (!isF32(x) || !isF32(out)) return jsKernels.im2col(x, g, out);
      const p = layout(x.length * 4, out.length * 4);
      if (!p) return jsKernels.im2col(x, g, out);
      put(p[0], x);
      putGeom(g);
      const rows = g.n * g.outH * g.outW;
      split('im2col', [p[0], GEOM, p[1]], rows, windowSplit(g, out.length));
      get(p[1], out);
    },
    col2im(cols, g, out) {
      if (!isF32(cols) || !isF32(out)) return jsKernels.col2im(cols, g, out);
      const p = layout(cols.length * 4, out.length * 4);
      if (!p) return jsKernels.col2im(cols, g, out);
      put(p[0], cols);
      putGeom(g);
      split('col2im', [p[0], GEOM, p[1]], g.n, windowSplit(g, cols.length));
      get(p[1], out);
    },
    poolArgmax(x, g, out) {
      if (!isF32(x)) return jsKernels.poolArgmax(x, g, out);
      const p = layout(x.length * 4, out.length * 4);
      if (!p) return jsKernels.poolArgmax(x, g, out);
      put(p[0], x);
      putGeom(g);
      split('poolArgmax', [p[0], GEOM, p[1]], g.n, windowSplit(g, x.length));
      get(p[1], out);
    },
    conv2d(x, w, bias, g, o, out) {
      const kk = g.kh * g.kw * g.c;
      if (out.length === 0) return;
      // NOTE: an empty window (k = 0) or a depth too large for the per-thread scratch goes to the reference.
      if (
        !isF32(x) ||
        !isF32(w) ||
        !isF32(out) ||
        (bias && !isF32(bias)) ||
        kk === 0 ||
        ex.convBlockRows(kk) < 4
      )
        return jsKernels.conv2d(x, w, bias, g, o, out);
      const rows = g.n * g.outH * g.outW;
      const panels = Math.ceil(o / 8) * 8;
      const p = layout(x.length * 4, w.length * 4, kk * panels * 4, o * 4, out.length * 4);
      if (!p) return jsKernels.conv2d(x, w, bias, g, o, out);
      put(p[0], x);
      put(p[1], w);
      if (bias) put(p[3], bias);
      ex.convPackW(p[1], kk, o, p[2]);
      putGeom(g);
      const flops = 2 * rows * kk * o;
      const parts =
        flops >= PARALLEL_MIN.matmulFlops && pool.threads > 1 ? Math.ceil(rows / CONV_CHUNK_ROWS) : 1;
      // NOTE: every output row is computed the same way in any chunk, so the thread count never changes a result.
      pool.run(
        'convRows',
        splitRange(rows, Math.min(parts, 256), 4).map(([s, e]) => [
          p[0],
          GEOM,
          p[2],
          p[3],
          bias ? 1 : 0,
          p[4],
          o,
          s,
          e,
        ]),
        { base: workPtr(0), stride: workBytes },
      );
      get(p[4], out);
    },
    poolMax(x, g, out) {
      if (!isF32(x) || !isF32(out)) return jsKernels.poolMax(x, g, out);
      const p = layout(x.length * 4, out.length * 4);
      if (!p) return jsKernels.poolMax(x, g, out);
      put(p[0], x);
      putGeom(g);
      split('poolMax', [p[0], GEOM, p[1]], g.n, windowSplit(g, x.length));
      get(p[1], out);
    },
  };
  return k;
}
