// Bring the kernels a training step calls only a few times onto V8's optimizing tier when the module loads.
import type { WasmExports } from './exports.js';

/** Floats each warm-up call reads: 256 KiB, inside the main thread's GEMM work area (2.3 MiB). */
const N = 65536;

/** The skinny product that runs sgemm's narrow-output path and its ragged-tile helper: [256×64]·[64×10]. */
const M = 256;
const K = 64;
const COLS = 10;

/**
 * Run the kernels below over zeroed memory of the GEMM work areas (unused until the first product) until V8 has
 * seen enough of each to compile it with TurboFan. `work`: thread 0's work area (64-byte aligned), `workBytes` its
 * size before alignment (thread 1's follows it). Returns the ms it took.
 * NOTE: V8 compiles a wasm function with TurboFan once it has run about 1.8 MB of its own code in the baseline tier
 * (Liftoff, 10–90× slower on this SIMD code). Every other kernel of the seed CNN's training step gets there in step
 * 1; these, called a few dozen times a step, got there at steps 4–11 (`--trace-wasm-compilation-times`, session 19)
 * and their baseline code cost ~0.6 ms a step until then: firstNonFinite (every gradient is checked for NaN),
 * sumSlices (a conv filter gradient's partial products), logSoftmax (once a step, in a classifier's loss), and sgemm's helpers for outputs narrower than 64 columns
 * and for ragged tiles (`smallBlock`, `edgeTile`: inlined into sgemm instead, they made its large products ~2%
 * slower). 2–4.5 ms here, once (page faults of the ~600 KiB it touches included).
 */
export function tierUp(ex: WasmExports, work: number, workBytes: number): number {
  const t = performance.now();
  const base = (work + 63) & ~63;
  for (let i = 0; i < 12; i++) ex.firstNonFinite(base, N);
  for (let i = 0; i < 6; i++) ex.sumSlices(base, 2, N / 2, base + N * 4);
  for (let i = 0; i < 3; i++) ex.logSoftmax(base, N / 256, 256, 1, base + N * 4);
  // operands in thread 1's work area, thread 0's as the product's scratch
  const a = (work + workBytes + 63) & ~63;
  const b = a + M * K * 4;
  const c = b + K * COLS * 4;
  for (let i = 0; i < 4; i++) ex.matmulSlice(a, b, c, 1, 1, M, COLS, K, 0, 0, 0, 1, 0, M, 0, COLS, base);
  return performance.now() - t;
}
