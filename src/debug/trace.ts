// `tg.trace(f, ...inputs)`: run f once and return every primitive it dispatched as data (op, shapes,
// dtype, FLOPs, bytes, layer scope), printable as a table, Graphviz DOT, or a standalone SVG graph.
import { fmtShape } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import { bytesOf, flopsOf, humanCount } from './cost.js';
import { captureOps, type OpRecord } from './record.js';
import { type GraphEdgeSpec, type GraphNodeSpec, layeredSvg } from '../plot/svg-graph.js';

/** Where an op input came from: an earlier row, a traced argument, or another leaf (weight, constant). */
export type TraceSource =
  { kind: 'op'; row: number } | { kind: 'arg'; index: number } | { kind: 'leaf'; name: string };

export interface TraceRow {
  index: number;
  op: string;
  inputShapes: number[][];
  inputSources: TraceSource[];
  outputShape: number[];
  dtype: DType;
  flops: number;
  bytes: number;
  /** Layer path when the op ran inside a layer, '' otherwise. */
  scope: string;
  params: unknown;
}

const leafName = (t: Tensor): string =>
  t.name ?? (t.size === 1 ? `const ${+Number(t.data[0]).toPrecision(4)}` : `const ${fmtShape(t.shape)}`);

function paramText(op: string, p: unknown): string {
  if (!p || typeof p !== 'object') return '';
  const o = p as Record<string, unknown>;
  if (op === 'matmul') return [o.transA ? 'transA' : '', o.transB ? 'transB' : ''].filter(Boolean).join(',');
  if (op === 'im2col' || op === 'col2im' || op === 'poolArgmax') {
    const g = o.geom as Record<string, number>;
    return `k${g.kh}x${g.kw} s${g.strideH},${g.strideW} d${g.dilationH},${g.dilationW} pad${g.padTop},${g.padLeft}`;
  }
  if (op === 'transpose') return `perm ${(o.perm as number[]).join(',')}`;
  if (op === 'sum' || op === 'max')
    return `axes ${(o.axes as number[]).join(',')}${o.keepdims ? ' keep' : ''}`;
  if (op === 'compare') return String(o.op);
  if (op === 'cast') return String(o.dtype);
  return '';
}

/** The ops one call of a function ran. */
export class Trace {
  readonly rows: TraceRow[];
  constructor(
    records: OpRecord[],
    readonly args: Tensor[],
    /** Whatever f returned. */
    readonly result: unknown,
  ) {
    const producer = new Map<Tensor, number>();
    this.rows = records.map((r, i) => {
      const row: TraceRow = {
        index: i,
        op: r.op,
        inputShapes: r.inputs.map((t) => [...t.shape]),
        inputSources: r.inputs.map((t): TraceSource => {
          const p = producer.get(t);
          if (p !== undefined) return { kind: 'op', row: p };
          const a = args.indexOf(t);
          return a >= 0 ? { kind: 'arg', index: a } : { kind: 'leaf', name: leafName(t) };
        }),
        outputShape: [...r.output.shape],
        dtype: r.output.dtype,
        flops: flopsOf(r),
        bytes: bytesOf(r),
        scope: r.scope,
        params: r.params,
      };
      producer.set(r.output, i);
      return row;
    });
  }
  get totalFlops(): number {
    return this.rows.reduce((a, r) => a + r.flops, 0);
  }
  get totalBytes(): number {
    return this.rows.reduce((a, r) => a + r.bytes, 0);
  }

  private srcText(s: TraceSource, shape: number[]): string {
    const base = s.kind === 'op' ? `%${s.row}` : s.kind === 'arg' ? `arg${s.index}` : s.name;
    return s.kind === 'leaf' && base.startsWith('const') ? base : `${base}${fmtShape(shape)}`;
  }

  /** A fixed-width table: one row per op, then the totals. */
  toString(): string {
    const head = ['#', 'op', 'inputs', 'output', 'dtype', 'FLOPs', 'bytes', 'scope', 'params'];
    const cells = this.rows.map((r) => [
      `%${r.index}`,
      r.op,
      r.inputSources.map((s, i) => this.srcText(s, r.inputShapes[i])).join(', '),
      fmtShape(r.outputShape),
      r.dtype,
      humanCount(r.flops),
      humanCount(r.bytes),
      r.scope || '-',
      paramText(r.op, r.params),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) =>
      c
        .map((v, i) => v.padEnd(widths[i]))
        .join('  ')
        .trimEnd();
    const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
    return [
      line(head),
      rule,
      ...cells.map(line),
      rule,
      `${this.rows.length} ops, ${humanCount(this.totalFlops)} FLOPs, ${humanCount(this.totalBytes)} bytes moved`,
    ].join('\n');
  }

  /** Graph nodes and edges (ops in execution order, leaves first seen as inputs). */
  graph(): { nodes: GraphNodeSpec[]; edges: GraphEdgeSpec[] } {
    const nodes: GraphNodeSpec[] = [];
    const edges: GraphEdgeSpec[] = [];
    const leaves = new Map<string, string>();
    for (const r of this.rows) {
      r.inputSources.forEach((s, i) => {
        let from: string;
        if (s.kind === 'op') from = `op${s.row}`;
        else {
          const key = s.kind === 'arg' ? `arg${s.index}` : `${s.name}${fmtShape(r.inputShapes[i])}`;
          if (!leaves.has(key)) {
            const id = `leaf${leaves.size}`;
            leaves.set(key, id);
            const label = s.kind === 'arg' ? `arg${s.index}` : s.name;
            nodes.push({
              id,
              kind: 'leaf',
              lines: label.startsWith('const') ? [label] : [label, fmtShape(r.inputShapes[i])],
            });
          }
          from = leaves.get(key)!;
        }
        edges.push({ from, to: `op${r.index}` });
      });
      const lines = [`%${r.index} ${r.op}`, `→ ${fmtShape(r.outputShape)}`];
      if (r.scope) lines.push(r.scope);
      nodes.push({ id: `op${r.index}`, kind: 'op', lines });
    }
    return { nodes, edges };
  }

  /** Graphviz DOT source (render with `dot -Tsvg`). */
  toDot(name = 'trace'): string {
    const { nodes, edges } = this.graph();
    const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const out = [`digraph ${q(name)} {`, '  rankdir=TB;', '  node [fontname="monospace", fontsize=10];'];
    for (const n of nodes) {
      const label = n.lines.join('\\n');
      out.push(
        `  ${n.id} [label="${label.replace(/"/g, '\\"')}", shape=${n.kind === 'op' ? 'box, style=filled, fillcolor="#dbe8fb"' : 'ellipse'}];`,
      );
    }
    for (const e of edges) out.push(`  ${e.from} -> ${e.to};`);
    out.push('}');
    return out.join('\n');
  }

  /** A standalone SVG drawing of the op graph (no Graphviz needed). */
  toSvg(title = `${this.rows.length} ops, ${humanCount(this.totalFlops)} FLOPs`): string {
    const { nodes, edges } = this.graph();
    return layeredSvg(nodes, edges, title);
  }
}

/**
 * Run `f(...inputs)` once and record every primitive it dispatches (forward only), with shapes, dtype,
 * FLOPs, bytes and the layer scope each op ran in.
 */
export function trace<T>(f: (...xs: Tensor[]) => T, ...inputs: Tensor[]): Trace {
  const { result, ops } = captureOps(() => f(...inputs));
  return new Trace(ops, inputs, result);
}
