// The 'wasm' backend: float32 kernels in WebAssembly SIMD (asm/) on a shared memory where op outputs stay resident
// (arena.ts); plain-array operands are copied in and out per call. Large calls are split over a thread pool.
// Anything else (float64, memory exhausted) runs on the JS reference. This file has the elementwise, reduction,
// gather and LSTM-gate kernels; matmul-kernel.ts and window-kernels.ts the rest, over kernel-context.ts.
import type { Kernels } from '../kernels.js';
import { BINARY, COMPARE, GATE_ACT, UNARY, type WasmExports } from './exports.js';
export type { WasmExports } from './exports.js';
import { jsKernels } from '../js.js';
import { asBatched2d, fastMovement } from './movement.js';
import type { ThreadPool } from './pool.js';
import type { Arena } from './arena.js';
import { PARALLEL_MIN, isArr, isF32, kernelContext } from './kernel-context.js';
import { matmulKernels } from './matmul-kernel.js';
import { windowKernels } from './window-kernels.js';
import { channelKernels } from './channel-kernels.js';
export { PARALLEL_MIN, splitRange } from './kernel-context.js';

/** Values from which a transpose runs in wasm (below it the JS gather costs less than the call). */
const TRANSPOSE_MIN = 1024;
/** Which arguments of an elementwise kernel are pointers (op code first; `where` has a cond dtype flag). */
const PTRS_1_1 = [false, true, true];
const PTRS_2_1 = [false, true, true, true];
const PTRS_SCALAR = [false, true, false, false, true];
const SCALAR_F32 = new Float32Array(1);
const SCALAR_BITS = new Int32Array(SCALAR_F32.buffer);
const PTRS_WHERE = [true, false, true, true, true];

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
  const ctx = kernelContext(ex, memory, pool);
  const { arena, call, elementwise, split } = ctx;

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
        !call([x], [out], (px, po) => elementwise('unary', [UNARY[op], px, po], PTRS_1_1, x.length))
      )
        jsKernels.unary(op, x, out);
    },
    binary(op, a, b, out) {
      if (
        !isF32(a) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([a, b], [out], (pa, pb, po) =>
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
        !call([a], [out], (pa, po) =>
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
        !call([a, b], [out], (pa, pb, po) =>
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
        !call([cond, a, b], [out], (pc, pa, pb, po) =>
          elementwise('where', [pc, cond instanceof Int32Array ? 1 : 0, pa, pb, po], PTRS_WHERE, out.length),
        )
      )
        jsKernels.where(cond, a, b, out);
    },
    // NOTE: one pass on the calling thread: a dense layer's output is small next to the product before it
    biasAdd(x, bias, out) {
      if (
        bias.length === 0 ||
        !isF32(x) ||
        !isF32(bias) ||
        !isF32(out) ||
        !call([x, bias], [out], (px, pb, po) => ex.biasAdd(px, pb, po, out.length / bias.length, bias.length))
      )
        jsKernels.biasAdd(x, bias, out);
    },
    cast: jsKernels.cast,
    reduce(op, x, outer, mid, inner, out) {
      if (
        !isF32(x) ||
        !isF32(out) ||
        !call(
          [x],
          [out],
          (px, po, acc) =>
            op === 'sum'
              ? ex.reduceSum(px, outer, mid, inner, po, acc)
              : ex.reduceMax(px, outer, mid, inner, po),
          [Math.max(inner, 16) * 8],
        )
      )
        jsKernels.reduce(op, x, outer, mid, inner, out);
    },
    logSoftmax(x, outer, mid, inner, out) {
      if (!isF32(x) || !isF32(out) || !call([x], [out], (px, po) => ex.logSoftmax(px, outer, mid, inner, po)))
        jsKernels.logSoftmax(x, outer, mid, inner, out);
    },
    logSoftmaxGrad(g, y, outer, mid, inner, out) {
      if (
        !isF32(g) ||
        !isF32(y) ||
        !isF32(out) ||
        !call([g, y], [out], (pg, py, po) => ex.logSoftmaxGrad(pg, py, outer, mid, inner, po))
      )
        jsKernels.logSoftmaxGrad(g, y, outer, mid, inner, out);
    },
    firstNonFinite(x) {
      let at = -1;
      if (x.length === 0 || !isF32(x) || !call([x], [], (px) => (at = ex.firstNonFinite(px, x.length))))
        return jsKernels.firstNonFinite(x);
      return at;
    },
    argmax(x, outer, mid, inner, out) {
      if (!isF32(x) || !call([x], [out], (px, po) => ex.argmax(px, outer, mid, inner, po)))
        jsKernels.argmax(x, outer, mid, inner, out);
    },
    topk: jsKernels.topk, // NOTE: no wasm kernel: the JS heap (x is a typed array, resident or not)
    take(x, idx, out) {
      // NOTE: a plain (non-resident) source much larger than what is taken — fit's batch rows of a whole data set
      // — is read in place by the JS kernel: the wasm one would first copy all of it into kernel memory (188 MB
      // per step for Fashion-MNIST, and wasm memory never shrinks).
      if (
        (arena.ptrOf(x) < 0 && x.length > 4 * out.length) ||
        !isF32(x) ||
        !isF32(out) ||
        !call([x, idx], [out], (px, pi, po) => ex.take(px, pi, po, idx.length))
      )
        fastMovement.take(x, idx, out);
    },
    // NOTE: a transpose whose merged axes are a batched 2-D one ([B, R, C] → [B, C, R]: NCHW ↔ NHWC, matrices) runs
    // as 4×4 SIMD blocks in wasm; any other permutation, or a small one, is gathered in JS (movement.ts).
    transpose(x, shape, perm, out) {
      if (out.length >= TRANSPOSE_MIN && isArr(x) && isArr(out)) {
        const brc = asBatched2d(shape, perm);
        if (
          brc !== null &&
          call([x], [out], (px, po) =>
            split(
              'transpose3',
              [px, po, brc[1], brc[2]],
              brc[0],
              out.length >= PARALLEL_MIN.elementwiseElems,
            ),
          )
        )
          return;
      }
      fastMovement.transpose(x, shape, perm, out);
    },
    scatterAdd(g, idx, out) {
      if (
        !isF32(g) ||
        !isF32(out) ||
        !call([g, idx], [out], (pg, pi, po) => ex.scatterAdd(pg, pi, po, idx.length, out.length))
      )
        fastMovement.scatterAdd(g, idx, out);
    },
    // NOTE: one single-threaded pass per LSTM step (a [batch, units] step is too small to split across workers).
    lstmGates(z, c, units, act, rec, out) {
      if (
        !isF32(z) ||
        !isF32(c) ||
        !isF32(out) ||
        !call([z, c], [out], (pz, pc, po) =>
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
        !call([g, z, c], [out], (pg, pz, pc, po) =>
          ex.lstmGatesGrad(GATE_ACT[act], GATE_ACT[rec], pg, pz, pc, po, units, 0, c.length / units),
        )
      )
        jsKernels.lstmGatesGrad(g, z, c, units, act, rec, out);
    },
    ...channelKernels(ctx),
    ...matmulKernels(ctx),
    ...windowKernels(ctx),
  };
  return k;
}
