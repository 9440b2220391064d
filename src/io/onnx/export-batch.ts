// A symbolic batch axis for exported graphs (PyTorch's dynamic_axes): the model is traced at two batch sizes and
// the two primitive traces are compared. A dim that differs between them is batch-sized, written as a symbolic dim
// (inputs and outputs), -1 (a Reshape target with one batch-sized dim) or computed at run time from the input's
// batch (Expand targets, fills such as an RNN's zero initial state). Anything else that differs — a slice of the
// batch axis, a constant whose values depend on the batch, an op parameter that does (a mean over the batch axis
// divides by its size), ops that change with it — is refused by name.
import { ValueError, fmtShape } from '../../core/errors.js';
import type { OpEvent } from '../../core/tape.js';
import type { Tensor } from '../../core/tensor.js';
import { paramText } from './export-values.js';

export class BatchExportError extends ValueError {}

type Params = Record<string, unknown>;
/**
 * The parameters of an op with those the exporter writes from the run-time batch left out (emitEvent's cases):
 * reshape and expand targets, slice bounds; a Pad's amounts have their own check.
 */
const BATCH_WRITTEN: Record<string, (p: Params) => Params> = {
  reshape: ({ shape: _s, ...rest }) => rest,
  broadcastTo: ({ shape: _s, ...rest }) => rest,
  slice: ({ begin: _b, size: _s, ...rest }) => rest,
  pad: ({ before: _b, after: _a, ...rest }) => rest,
};
/** A window op's geometry (im2col, poolArgmax, ...) without its image count, which the exporter writes as -1. */
const withoutImages = (p: Params): Params =>
  p.geom && typeof p.geom === 'object' ? { ...p, geom: { ...(p.geom as object), n: 0 } } : p;

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
    const scope = this.at && this.scopes.get(this.at);
    return new BatchExportError(
      `onnx export (dynamicBatch): ${this.what} ${why}${scope ? ` (in layer '${scope}')` : ''}; the batch axis cannot be made symbolic — export with { dynamicBatch: false } to fix the batch size at ${this.n1}`,
    );
  }

  /** The layer each op of the first trace ran in (export.ts fills it), for errors. */
  readonly scopes = new Map<OpEvent, string>();
  /** The op being written (emitEvent sets it): its layer is named in refusals. */
  at: OpEvent | null = null;

  /**
   * Refuse an op whose parameters change with the batch, other than those written from the run-time batch (a
   * number such as a mean's 1/n would be baked in at the traced batch size).
   */
  checkParams(e: OpEvent): void {
    const f = this.twinEvent(e);
    const norm = BATCH_WRITTEN[e.op] ?? ((p: Params) => p);
    const a = withoutImages(norm((e.params ?? {}) as Params));
    const b = withoutImages(norm((f.params ?? {}) as Params));
    const key = [...new Set([...Object.keys(a), ...Object.keys(b)])].find(
      (k) => paramText(a[k]) !== paramText(b[k]),
    );
    if (key === undefined) return;
    throw this.refuse(
      `gives primitive '${e.op}' the parameter ${key} = ${paramText(a[key])} at batch ${this.n1} but ${paramText(b[key])} at batch ${this.n2} (a mean or sum over the batch axis divided by its size, or the batch size used as a number)`,
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
