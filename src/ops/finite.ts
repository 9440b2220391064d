// Whether a tensor's values are all finite, and where its first NaN or ±Inf is. One backend sum settles the common
// case (NaN and ±Inf propagate through a sum, so a finite sum means every value is finite); a scan runs only when the
// sum is not finite, to find the index (or to find none: finite values whose sum overflowed).
// NOTE: the checks of every fit / trainOnBatch / predict input and of every optimizer update ran a JS scan per value:
// ~0.27 ms a step for the seed CNN's 98,304 input values, 7% of a trainOnBatch step (issue 12).
import type { TypedArray } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import { kernels } from '../backend/kernels.js';

/** Values summed per kernel call from a plain array, which is copied into wasm memory a chunk (1 MiB) at a time. */
const CHUNK = 1 << 18;
const one = new Float32Array(1);

/** Whether the sum of float32 values is finite; `inPlace`: the array is an op output resident in kernel memory. */
function sumIsFinite(d: TypedArray, inPlace: boolean): boolean {
  const k = kernels();
  // NOTE: a resident output is summed whole, where it lies (a subarray of it would be copied like a plain array)
  const step = inPlace ? d.length : CHUNK;
  for (let off = 0; off < d.length; off += step) {
    const len = Math.min(step, d.length - off);
    k.reduce('sum', len === d.length ? d : d.subarray(off, off + len), 1, len, 1, one);
    if (!Number.isFinite(one[0])) return false;
  }
  return true;
}

/** Flat index of the first NaN or ±Inf in `t`, or -1 (int32 tensors are always finite). */
export function firstNonFinite(t: Tensor): number {
  if (t.dtype === 'int32') return -1;
  const d = t.raw;
  if (t.dtype === 'float32' && sumIsFinite(d, t.storage.resident)) return -1;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) return i; // NaN - NaN and Inf - Inf are NaN; every finite v gives 0
  }
  return -1;
}

/** True when every value of `t` is finite. */
export const allFinite = (t: Tensor): boolean => firstNonFinite(t) < 0;
