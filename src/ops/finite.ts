// Whether a tensor's values are all finite, and where its first NaN or ±Inf is: the backend's firstNonFinite kernel
// (the wasm one reads 4 floats a step; an exact test, where a sum of the values overflows for large finite ones).
// NOTE: the checks of every fit / trainOnBatch / predict input and of every optimizer update ran a JS scan per value
// (~0.27 ms a step for the seed CNN's 98,304 input values), then a one-row kernel sum, scalar and latency-bound
// (~0.14 ms, 6% of a tg.layers predict of the seed CNN): issue 12.
import type { Tensor } from '../core/tensor.js';
import { kernels } from '../backend/kernels.js';

/** Values checked per kernel call from a plain array, which is copied into wasm memory a chunk (1 MiB) at a time. */
const CHUNK = 1 << 18;

/** Flat index of the first NaN or ±Inf in `t`, or -1 (int32 tensors are always finite). */
export function firstNonFinite(t: Tensor): number {
  if (t.dtype === 'int32') return -1;
  const d = t.raw;
  const k = kernels();
  // NOTE: a resident output is checked whole, where it lies (a subarray of it would be copied like a plain array)
  const step = t.storage.resident ? d.length : CHUNK;
  for (let off = 0; off < d.length; off += step) {
    const len = Math.min(step, d.length - off);
    const at = k.firstNonFinite(len === d.length ? d : d.subarray(off, off + len));
    if (at >= 0) return off + at;
  }
  return -1;
}

/** True when every value of `t` is finite. */
export const allFinite = (t: Tensor): boolean => firstNonFinite(t) < 0;
