// The compiled executors of one imported model (model.ts), one per input shape: the last shape is found without
// building a key, at most MAX_EXECUTORS shapes are kept (the oldest goes), an executor whose folded integer
// initializers changed is compiled again, and a shape that depends on the data turns the executor off for good.
import { fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { type Executor, ShapeChangedError } from './executor.js';

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class ExecutorCache {
  static readonly MAX_EXECUTORS = 4;
  /** Why the executor is off for this model (a node's output shape depended on the data), or null. */
  off: string | null = null;
  private readonly executors = new Map<string, Executor>();
  /** The executor of the last call and its inputs' shapes (the common case: the same shape again). */
  private last: { shapes: (readonly number[])[]; dtypes: string[]; key: string; e: Executor } | null = null;

  constructor(private readonly compile: (xs: Tensor[]) => Executor) {}

  /** The executor for these inputs' shapes and types, compiled when there is none. */
  get(xs: Tensor[]): Executor {
    const l = this.last;
    if (l && this.sameAsLast(xs) && this.executors.get(l.key) === l.e && l.e.valid()) return l.e;
    const key = xs.map((t) => `${t.dtype}${fmtShape(t.shape)}`).join(';');
    let e = this.executors.get(key);
    if (e && !e.valid()) {
      this.executors.delete(key);
      e = undefined;
    }
    if (!e) {
      e = this.compile(xs);
      if (this.executors.size >= ExecutorCache.MAX_EXECUTORS)
        this.executors.delete(this.executors.keys().next().value!);
      this.executors.set(key, e);
    }
    this.last = { shapes: xs.map((t) => t.shape), dtypes: xs.map((t) => t.dtype), key, e };
    return e;
  }

  /** The same inputs' shapes and types as the last call's (no allocation: this runs on every call). */
  private sameAsLast(xs: Tensor[]): boolean {
    const l = this.last!;
    if (l.shapes.length !== xs.length) return false;
    for (let i = 0; i < xs.length; i++)
      if (xs[i].dtype !== l.dtypes[i] || !sameDims(xs[i].shape, l.shapes[i])) return false;
    return true;
  }

  /**
   * The graph outputs for these (checked, cast) inputs, or null when the inference plan should run instead: no node
   * compiled (float64, say: nothing to gain), or the executor has just turned itself off.
   */
  run(xs: Tensor[]): Tensor[] | null {
    if (this.off !== null) return null;
    try {
      const e = this.get(xs);
      return e.compiledNodes > 0 ? e.run(xs) : null;
    } catch (err) {
      // NOTE: a shape that depends on the data cannot be compiled: this model runs the plan from now on
      if (!(err instanceof ShapeChangedError)) throw err;
      this.off = err.message;
      this.executors.clear();
      this.last = null;
      return null;
    }
  }
}
