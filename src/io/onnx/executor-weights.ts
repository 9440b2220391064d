// Prepared weights of a compiled ONNX executor (a Conv's kernel rearranged with a BatchNormalization folded in, a
// Gemm's B transposed and scaled), cached with a check that the initializers they were made from are unchanged.
// NOTE: the check compares the current values bit for bit with the snapshot the preparation was made from (one
// read of each weight, cheaper than preparing it again): fine-tuning (an optimizer writing in place, `t.data = a`,
// a user's own writes into `t.data`) is always what runs; nothing is cached forever.
import type { TypedArray } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';

const bits = (a: TypedArray): Uint32Array | Int32Array =>
  a instanceof Float64Array
    ? new Uint32Array(a.buffer, a.byteOffset, a.length * 2)
    : new Uint32Array(a.buffer, a.byteOffset, a.length);

/** A value derived from some tensors, remade when any of their values changed since it was made. */
export class Prepared<T> {
  private value: T | null = null;
  private snaps: (Uint32Array | Int32Array)[] = [];
  /** The arrays the snapshots were taken from, and their bit views (remade when a tensor's array changes). */
  private seen: TypedArray[] = [];
  private views: (Uint32Array | Int32Array)[] = [];
  /** How many times the value was made (tests read it). */
  made = 0;

  constructor(
    private readonly sources: readonly Tensor[],
    private readonly make: () => T,
  ) {}

  get(): T {
    if (this.value === null || this.changed()) {
      this.value = this.make();
      this.made++;
      this.seen = this.sources.map((t) => t.raw);
      this.views = this.seen.map(bits);
      this.snaps = this.views.map((v) => v.slice());
    }
    return this.value;
  }

  private changed(): boolean {
    for (let s = 0; s < this.sources.length; s++) {
      const raw = this.sources[s].raw;
      if (raw !== this.seen[s]) {
        if (raw.length !== this.seen[s].length) return true;
        this.seen[s] = raw;
        this.views[s] = bits(raw);
      }
      const a = this.views[s];
      const b = this.snaps[s];
      if (a.length !== b.length) return true;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
    }
    return false;
  }
}
