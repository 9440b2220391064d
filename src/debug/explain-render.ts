// Turning a recorded forward pass and its backward walk into named, shape-annotated steps:
// `cols = im2col(X)  [1,16,16,12] → [196,108]`, and per vjp `dX = col2im(dcols)`.
import { fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { BackwardRecord, OpRecord } from './record.js';

/** Base names for op outputs (a counter is added when a name repeats). */
const BASE: Record<string, string> = {
  im2col: 'cols',
  col2im: 'img',
  matmul: 'M',
  add: 'S',
  sub: 'D',
  mul: 'P',
  div: 'Q',
  broadcastTo: 'B',
  reshape: 'R',
  transpose: 'T',
  sum: 'Σ',
  max: 'mx',
  sigmoid: 'σ',
  tanh: 'th',
  relu: 'A',
  poolArgmax: 'idx',
  take: 'G',
  scatterAdd: 'sc',
  slice: 'sl',
  concat: 'cat',
  pad: 'pd',
  exp: 'E',
  log: 'L',
  neg: 'N',
  compare: 'cmp',
  where: 'wh',
  cast: 'C',
};

/** Names tensors uniquely; known tensors (inputs, parameters) are given up front. */
export class Namer {
  private names = new Map<Tensor, string>();
  private used = new Map<string, number>();
  constructor(known: [Tensor, string][] = []) {
    for (const [t, n] of known) this.set(t, n);
  }
  set(t: Tensor, name: string): string {
    this.names.set(t, name);
    this.used.set(name, (this.used.get(name) ?? 0) + 1);
    return name;
  }
  has(t: Tensor): boolean {
    return this.names.has(t);
  }
  get(t: Tensor): string {
    return (
      this.names.get(t) ??
      (t.size === 1 ? `${+Number(t.data[0]).toPrecision(4)}` : `const${fmtShape(t.shape)}`)
    );
  }
  /** A fresh name from `base` (base, base2, base3, ...). */
  fresh(base: string): string {
    let k = (this.used.get(base) ?? 0) + 1;
    let name = k === 1 ? base : `${base}${k}`;
    while (this.used.has(name)) name = `${base}${++k}`;
    this.used.set(base, k);
    this.used.set(name, 1);
    return name;
  }
  name(t: Tensor, base: string): string {
    return this.names.get(t) ?? this.set(t, this.fresh(base));
  }
}

export interface Step {
  /** `name = op(args)` */
  lhs: string;
  /** Shapes: `[a] · [b] → [c]`. */
  shapes: string;
  /** Optional explanation appended after the shapes. */
  note?: string;
}

const argText = (r: OpRecord, names: Namer): string => {
  const p = r.params as Record<string, unknown> | null;
  const ins = r.inputs.map((t) => names.get(t));
  if (r.op === 'matmul' && p) return `${ins[0]}${p.transA ? 'ᵀ' : ''}, ${ins[1]}${p.transB ? 'ᵀ' : ''}`;
  if (r.op === 'transpose' && p) return `${ins[0]}, [${(p.perm as number[]).join(',')}]`;
  if ((r.op === 'sum' || r.op === 'max') && p) return `${ins[0]}, axes [${(p.axes as number[]).join(',')}]`;
  // x·0.01: 'x mul 0.01'; 1 - x: '1 sub x'
  if (r.op === 'binaryScalar' && p)
    return p.scalarFirst
      ? `${String(p.s)} ${String(p.op)} ${ins[0]}`
      : `${ins[0]} ${String(p.op)} ${String(p.s)}`;
  return ins.join(', ');
};

const shapeText = (r: OpRecord): string => {
  if (r.op === 'matmul') {
    const p = r.params as { transA: boolean; transB: boolean };
    const [a, b] = r.inputs.map((t) => fmtShape(t.shape));
    return `${a}${p.transA ? 'ᵀ' : ''} · ${b}${p.transB ? 'ᵀ' : ''} → ${fmtShape(r.output.shape)}`;
  }
  return `${r.inputs.map((t) => fmtShape(t.shape)).join(', ')} → ${fmtShape(r.output.shape)}`;
};

/** One named step per forward op. The last op's output is named `outName`. */
export function forwardSteps(ops: OpRecord[], names: Namer, outName = 'Y', output?: Tensor): Step[] {
  return ops.map((r) => {
    const isOut = output ? r.output === output : r === ops[ops.length - 1];
    const base =
      r.op === 'reshape' && r.inputs[0].node === null && names.has(r.inputs[0])
        ? `${names.get(r.inputs[0])}mat`
        : (BASE[r.op] ?? r.op);
    const name = isOut ? names.set(r.output, outName) : names.name(r.output, base);
    return { lhs: `${name} = ${r.op}(${argText(r, names)})`, shapes: shapeText(r) };
  });
}

export interface VjpGroup {
  /** The forward op being differentiated. */
  forward: OpRecord;
  /** `dY` style name of the gradient it received. */
  gradOut: string;
  steps: Step[];
  /** Lines like `dZ = dS` for gradients passed through without an op. */
  passes: string[];
}

/**
 * Group the backward ops by the forward op whose vjp ran them, in the order the walker visited them.
 * Gradients are named after the forward tensors: the gradient of `cols` is `dcols`.
 */
export function backwardGroups(
  forward: OpRecord[],
  bwd: BackwardRecord,
  names: Namer,
): { groups: VjpGroup[]; accumulations: Step[] } {
  const gname = (t: Tensor) => `d${names.get(t)}`;
  const contributions = new Map<Tensor, number>();
  const groups: VjpGroup[] = [];
  for (const idx of bwd.order) {
    const f = forward[idx];
    const v = bwd.vjps.get(idx);
    if (!v) continue;
    if (!names.has(v.gradOut)) names.set(v.gradOut, gname(f.output));
    // One wanted name per input slot: dX, or dX#2 for a second contribution to the same tensor.
    const want = v.gradIns.map((g, i) => {
      if (!g) return '';
      const x = f.inputs[i];
      const k = (contributions.get(x) ?? 0) + 1;
      contributions.set(x, k);
      return k === 1 ? gname(x) : `${gname(x)}#${k}`;
    });
    const steps: Step[] = [];
    for (const r of bwd.ops.filter((o) => o.vjpOf === idx)) {
      const slot = v.gradIns.indexOf(r.output);
      const name =
        slot >= 0 && !names.has(r.output)
          ? names.set(r.output, want[slot])
          : names.name(r.output, `g${BASE[r.op] ?? r.op}`);
      steps.push({ lhs: `${name} = ${r.op}(${argText(r, names)})`, shapes: shapeText(r) });
    }
    const passes: string[] = [];
    v.gradIns.forEach((g, i) => {
      if (!g) return;
      if (!names.has(g)) names.set(g, want[i]);
      if (names.get(g) !== want[i])
        passes.push(`${want[i]} = ${names.get(g)}${g === v.gradOut ? ' (passed through unchanged)' : ''}`);
    });
    groups.push({ forward: f, gradOut: names.get(v.gradOut), steps, passes });
  }
  const accumulations = bwd.ops
    .filter((o) => o.vjpOf === -1)
    .map((r) => ({
      lhs: `${names.name(r.output, 'acc')} = ${r.op}(${argText(r, names)})`,
      shapes: shapeText(r),
      note: 'a tensor used twice: its gradients add up',
    }));
  return { groups, accumulations };
}

/** Align `lhs  shapes  note` columns. */
export function formatSteps(steps: Step[], indent = '  '): string[] {
  const w = Math.max(0, ...steps.map((s) => s.lhs.length));
  const w2 = Math.max(0, ...steps.map((s) => s.shapes.length));
  return steps.map((s) =>
    `${indent}${s.lhs.padEnd(w)}   ${s.note ? s.shapes.padEnd(w2) : s.shapes}${s.note ? `   ${s.note}` : ''}`.trimEnd(),
  );
}
