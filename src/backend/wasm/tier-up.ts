// Bring the kernels a training step calls only a few times onto V8's optimizing tier when the module loads.
import type { WasmExports } from './exports.js';

/** Floats each warm-up call reads: 256 KiB, inside the main thread's GEMM work area (2.3 MiB). */
const N = 65536;

/**
 * Run firstNonFinite and sumSlices over the main thread's GEMM work area (zeroed and unused until the first
 * product) until V8 has seen enough of each to compile it with TurboFan. Returns the ms it took.
 * NOTE: V8 compiles a wasm function with TurboFan once it has run about 1.8 MB of its own code in the baseline tier
 * (Liftoff, 10–90× slower on this SIMD code). Every other kernel of the seed CNN's training step gets there in step
 * 1; these two, called a few times a step (every gradient is checked for NaN; a conv filter gradient sums its
 * partial products), got there at steps 5 and 11 (`--trace-wasm-compilation-times`, session 19), and their
 * baseline code cost ~0.25 ms a step until then. 1–2.5 ms here, once (page faults of the 512 KiB it touches
 * included).
 */
export function tierUp(ex: WasmExports, work: number): number {
  const t = performance.now();
  const base = (work + 63) & ~63;
  for (let i = 0; i < 12; i++) ex.firstNonFinite(base, N);
  for (let i = 0; i < 6; i++) ex.sumSlices(base, 2, N / 2, base + N * 4);
  return performance.now() - t;
}
