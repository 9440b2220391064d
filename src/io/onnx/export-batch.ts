// A symbolic batch axis for exported graphs (PyTorch's dynamic_axes): the model is traced at two batch sizes and
// the two primitive traces are compared. A dim that differs between them is batch-sized, written as a symbolic dim
// (inputs and outputs), -1 (a Reshape target with one batch-sized dim) or computed at run time from the input's
// batch (Expand targets, fills such as an RNN's zero initial state). Anything else that differs — a slice of the
// batch axis, a constant whose values depend on the batch, ops that change with it — is refused by name.
import { ValueError, fmtShape } from '../../core/errors.js';
import type { OpEvent } from '../../core/tape.js';
import type { Tensor } from '../../core/tensor.js';

export class BatchExportError extends ValueError {}

/** The two traces of one export, event by event. */
export class BatchTwin {
  private readonly events = new Map<OpEvent, OpEvent>();
  private readonly tensors = new Map<Tensor, Tensor>();
  constructor(
    a: OpEvent[],
    b: OpEvent[],
    /** The traced batch sizes (the sample's, and the one traced to compare). */
    readonly n1: number,
    readonly n2: number,
    /** What the model is called in errors. */
    readonly what: string,
  ) {
    if (
      a.length !== b.length ||
      a.some((e, i) => e.op !== b[i].op || e.inputs.length !== b[i].inputs.length)
    ) {
      const i = a.findIndex((e, j) => e.op !== b[j]?.op || e.inputs.length !== b[j]?.inputs.length);
      throw this.refuse(
        `runs different primitives at batch ${n1} and ${n2} (${a.length} vs ${b.length} ops; first difference at op ${i}: '${a[i]?.op}' vs '${b[i]?.op}')`,
      );
    }
    a.forEach((e, i) => {
      this.events.set(e, b[i]);
      this.tensors.set(e.out, b[i].out);
      e.inputs.forEach((t, j) => this.tensors.set(t, b[i].inputs[j]));
    });
  }

  refuse(why: string): BatchExportError {
    return new BatchExportError(
      `onnx export (dynamicBatch): ${this.what} ${why}; the batch axis cannot be made symbolic — export with { dynamicBatch: false } to fix the batch size at ${this.n1}`,
    );
  }

  /** The same event in the second trace. */
  twinEvent(e: OpEvent): OpEvent {
    return this.events.get(e)!;
  }
  /** The same tensor in the second trace (null for one the traces do not share, e.g. an unused weight). */
  twin(t: Tensor): Tensor | null {
    return this.tensors.get(t) ?? null;
  }

  /**
   * Each dim of a shape traced as `s1` and `s2`: a number when it does not change with the batch, else the factor k
   * of a dim that is k·batch in both traces. Anything else is refused, naming `what`.
   */
  dims(s1: readonly number[], s2: readonly number[], what: string): (number | { batchTimes: number })[] {
    if (s1.length !== s2.length)
      throw this.refuse(
        `has ${what} of rank ${s1.length} at batch ${this.n1} and ${s2.length} at batch ${this.n2}`,
      );
    return s1.map((d, i) => {
      if (d === s2[i]) return d;
      const k = d / this.n1;
      if (Number.isInteger(k) && k * this.n2 === s2[i]) return { batchTimes: k };
      throw this.refuse(
        `has ${what} ${fmtShape(s1)} at batch ${this.n1} but ${fmtShape(s2)} at batch ${this.n2} (axis ${i} is not a multiple of the batch)`,
      );
    });
  }
}

export const isBatchDim = (d: number | { batchTimes: number }): d is { batchTimes: number } =>
  typeof d !== 'number';
