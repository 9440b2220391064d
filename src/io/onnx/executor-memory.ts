// The values of a compiled ONNX executor and the buffers they live in: planned once per input shape, as ONNX
// Runtime's arena plans them. A value's buffer is taken when its first step writes it and handed back after its
// last reader (or its writer, for a step that may write over its own inputs), so later values reuse it; views
// (Reshape, Flatten, a layout relabel) share their source's buffer and keep it alive as long as they are read.
// NOTE: a buffer is reused only for a value of the same element type and size: a resident (wasm) buffer is used in
// place by the kernels only as the whole view the backend allocated, never as a subarray.
import type { DType, TypedArray } from '../../core/dtype.js';
import type { Storage } from '../../core/storage.js';
import type { Kernels } from '../../ops/direct-kernels.js';

/** One value of the compiled graph (an ONNX value, or a layout copy / scratch the executor adds). */
export interface Val {
  id: number;
  name: string;
  /** The ONNX (logical) shape: NCHW for 4-D values, whatever the buffer's layout. */
  shape: number[];
  dtype: DType;
  /** A 4-D value whose buffer holds it channels-last (N, H, W, C). */
  nhwc: boolean;
  /** A view: the buffer is this value's (same size, same values in memory order). */
  alias: Val | null;
  /** Known when compiling (Constant nodes and what depends only on shapes and constants). */
  constant: TypedArray | null;
  /** A graph input: the caller's array, bound at each run. */
  input: boolean;
  /**
   * A 2-D [N, C·H·W] view (Flatten) of a channels-last [N, C, H, W] value: its features are in (H, W, C) order. Only
   * a Gemm that permutes its weights to match reads it so; any other reader gets an NCHW copy.
   */
  flatNhwc?: number[];
  /** An activation applied later, after the max pooling that alone reads this value (executor-steps.ts). */
  pending?: (x: TypedArray, k: Kernels) => void;
}

export const sizeOfShape = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
export const rootOf = (v: Val): Val => {
  let r = v;
  while (r.alias) r = r.alias;
  return r;
};

/** What the planner needs of a step: the values it reads and writes, and whether it may write over what it reads. */
export interface PlannedStep {
  reads: Val[];
  writes: Val[];
  inPlace: boolean;
}

/** A buffer of the arena: resident backend storage when the backend offers it, else a plain array. */
export interface Buffer {
  dtype: DType;
  size: number;
  storage: Storage | null;
  plain: TypedArray | null;
}

const plainOf = (dtype: DType, n: number): TypedArray =>
  dtype === 'float64' ? new Float64Array(n) : dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);

/**
 * Assign a buffer to every value that needs one (not inputs, constants or views); returns the buffers and, by
 * value id, the buffer index (-1: none). `keepToEnd` values (graph outputs) are never handed back.
 */
export function planBuffers(
  vals: readonly Val[],
  steps: readonly PlannedStep[],
  keepToEnd: readonly Val[],
  k: Kernels,
): { buffers: Buffer[]; bufferOf: Int32Array } {
  const lastUse = new Map<Val, number>();
  steps.forEach((s, i) => {
    for (const v of [...s.reads, ...s.writes]) lastUse.set(rootOf(v), i);
  });
  for (const v of keepToEnd) lastUse.set(rootOf(v), steps.length);
  const bufferOf = new Int32Array(vals.length).fill(-1);
  const buffers: Buffer[] = [];
  const free: number[] = [];
  const take = (v: Val): number => {
    const n = sizeOfShape(v.shape);
    const at = free.findIndex((b) => buffers[b].dtype === v.dtype && buffers[b].size === n);
    if (at >= 0) return free.splice(at, 1)[0];
    // NOTE: the backend's alloc keeps big buffers in its own memory (kernels read them in place); it returns
    // null for small ones, which stay plain arrays (copying those costs less than tracking them)
    const storage = k.alloc?.(v.dtype, n) ?? null;
    // NOTE: marked as a frame's working set is (core/storage.ts `framed`): the resident budget never copies it out,
    // which mid-run would leave the run's arrays pointing at a block the backend may hand to someone else. The
    // block goes back when the executor is collected (the backend's finalizer), and a model keeps few executors.
    if (storage) storage.cell.framed = true;
    buffers.push({ dtype: v.dtype, size: n, storage, plain: storage ? null : plainOf(v.dtype, n) });
    return buffers.length - 1;
  };
  const release = (i: number, s: PlannedStep, pick: (v: Val) => boolean) => {
    for (const v of s.reads) {
      const r = rootOf(v);
      if (pick(r) && lastUse.get(r) === i && bufferOf[r.id] >= 0 && !free.includes(bufferOf[r.id]))
        free.push(bufferOf[r.id]);
    }
  };
  const owns = (r: Val) => !r.input && r.constant === null;
  steps.forEach((s, i) => {
    // an in-place step may write over an input it is the last reader of
    if (s.inPlace) release(i, s, owns);
    for (const w of s.writes) {
      const r = rootOf(w);
      if (owns(r) && bufferOf[r.id] < 0) bufferOf[r.id] = take(r);
    }
    if (!s.inPlace) release(i, s, owns);
    // a value written and never read (an unused output) gives its buffer back at once
    for (const w of s.writes) {
      const r = rootOf(w);
      if (
        owns(r) &&
        lastUse.get(r) === i &&
        !s.reads.some((x) => rootOf(x) === r) &&
        !free.includes(bufferOf[r.id])
      )
        free.push(bufferOf[r.id]);
    }
  });
  for (const v of vals) if (v.alias) bufferOf[v.id] = bufferOf[rootOf(v).id];
  return { buffers, bufferOf };
}

/**
 * Where each value's array comes from at a run, by value id: a buffer index (≥ 0), or -1 − i for graph input i, or
 * null for a constant (its array is fixed).
 */
export function valueSources(
  vals: readonly Val[],
  bufferOf: Int32Array,
  inputs: readonly Val[],
): (number | null)[] {
  return vals.map((v, i) => {
    const r = rootOf(v);
    if (bufferOf[i] >= 0) return bufferOf[i];
    if (r.constant !== null) return null;
    return -1 - inputs.indexOf(r);
  });
}

/** The arrays of a run, by value id: buffers (their current view), the inputs' arrays, constants. */
export function bindValues(
  vals: readonly Val[],
  sources: readonly (number | null)[],
  buffers: readonly Buffer[],
  inputs: readonly TypedArray[],
  out: TypedArray[],
): void {
  for (let i = 0; i < vals.length; i++) {
    const s = sources[i];
    // NOTE: a resident buffer is read through its storage each run: if the backend ever moved it out of its memory
    // (the resident budget), the run uses the plain copy instead of memory that is no longer this buffer's
    if (s === null) out[i] = rootOf(vals[i]).constant!;
    else if (s >= 0) {
      const b = buffers[s];
      out[i] = b.storage !== null ? b.storage.view : b.plain!;
    } else out[i] = inputs[-1 - s];
  }
}
