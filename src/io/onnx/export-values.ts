// An exported graph must compute from its inputs: a value a layer made from its input's numbers outside tapegrad's
// ops (a tensor built from `x.data`) is no traced op, so the exporter would write it as a Constant holding the traced
// sample's values, and the ONNX model would ignore its input. To catch that, the model is traced once more on inputs
// with other values (the same shapes) and the two traces are compared: the same primitives with the same parameters,
// and every constant they read (no traced op's output, no weight) with the same numbers. What differs is refused,
// naming the layer (the scope the primitive ran in).
import { ValueError, fmtShape } from '../../core/errors.js';
import type { OpEvent } from '../../core/tape.js';
import { Tensor } from '../../core/tensor.js';

/** An export that would write a value computed from the input's numbers as a constant. */
export class InputValueExportError extends ValueError {}

/** One traced run: its primitives, and the layer scope each ran in. */
export interface ScopedTrace {
  events: OpEvent[];
  scopes: string[];
}

/**
 * The sample inputs with other values of the same shapes and kinds: the values in reverse order (so index inputs
 * stay valid), or, where they are all equal (the default zeros sample), each one + 1. Null when nothing changes.
 */
export function variedInputs(xs: Tensor[]): Tensor[] | null {
  let changed = false;
  const out = xs.map((x) => {
    const raw = x.raw;
    if (raw.length === 0) return x;
    const v = raw[0];
    const copy = raw.slice();
    if (raw.every((u) => u === v || (Number.isNaN(u) && Number.isNaN(v)))) copy.fill(v + 1);
    else copy.reverse();
    changed ||= copy.some((u, i) => !Object.is(u, raw[i]));
    return new Tensor(copy, [...x.shape]);
  });
  return changed ? out : null;
}

const sameValues = (a: Tensor, b: Tensor): boolean =>
  a.dtype === b.dtype &&
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => d === b.shape[i]) &&
  a.raw.every((v, i) => v === b.raw[i] || (Number.isNaN(v) && Number.isNaN(b.raw[i])));

/** Parameters as comparable text (typed arrays as plain lists). */
export const paramText = (p: unknown): string =>
  JSON.stringify(p ?? null, (_k, v: unknown) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );

/**
 * Compare the trace `a` (the one exported; `needed` are the events the outputs depend on, `xs` its inputs) with `b`,
 * the same model on other input values. Throws an InputValueExportError naming the layer of the first difference.
 */
export function checkInputIndependent(
  a: ScopedTrace,
  b: ScopedTrace,
  needed: ReadonlySet<OpEvent>,
  xs: readonly Tensor[],
  model: string,
): void {
  const where = (i: number) => (a.scopes[i] ? `layer '${a.scopes[i]}'` : `${model} (outside any layer)`);
  const refuse = (i: number, why: string) =>
    new InputValueExportError(
      `onnx export: ${where(i)} ${why}, so an exported graph would hold the traced sample's numbers instead of computing them from its input (the layer reads its input's values outside tapegrad's ops, draws random numbers when not training, or carries a state over from an earlier call); ${model} cannot be exported to ONNX`,
    );
  const n = Math.min(a.events.length, b.events.length);
  for (let i = 0; i < n; i++)
    if (a.events[i].op !== b.events[i].op || a.events[i].inputs.length !== b.events[i].inputs.length)
      throw refuse(
        i,
        `runs different primitives for different input values ('${a.events[i].op}' where another input runs '${b.events[i].op}', op ${i} of the trace)`,
      );
  if (a.events.length !== b.events.length)
    throw refuse(
      n < a.events.length ? n : n - 1,
      `runs ${a.events.length} primitives on the sample but ${b.events.length} on other input values`,
    );
  // values that come from the trace: op outputs, graph inputs, and tensors over their storage (detach())
  const traced = new Set<object>();
  for (const e of a.events) traced.add(e.out.storage);
  for (const x of xs) traced.add(x.storage);
  a.events.forEach((e, i) => {
    if (!needed.has(e)) return;
    const f = b.events[i];
    if (paramText(e.params) !== paramText(f.params))
      throw refuse(i, `gives primitive '${e.op}' parameters that change with the input's values`);
    e.inputs.forEach((t, j) => {
      if (traced.has(t.storage) || t.requiresGrad || t.name) return;
      if (!sameValues(t, f.inputs[j]))
        throw refuse(
          i,
          `gives primitive '${e.op}' (input ${j}) a ${fmtShape(t.shape)} constant that changes with the input's values`,
        );
    });
  });
}
