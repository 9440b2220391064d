// The compiled executor of an imported ONNX graph (what ONNX Runtime does for inference): for one input shape the
// graph is compiled once into a flat list of steps that call the backend kernels directly on buffers planned
// once (executor-memory.ts), with weights prepared once and re-prepared only when they change
// (executor-weights.ts), bias and activation fused into the producing step, scalar and per-channel operands read
// where they are. Only the graph outputs become Tensors (copies the caller owns).
// What it compiles is in executor-steps.ts and executor-network.ts; any other node runs as itself (its operator on
// tapegrad's ops, as node by node) between compiled steps, and `report` says which and why, one line per node.
// NOTE: shapes come from one run of the node-by-node graph at that input shape (model.ts): values that depend only
// on shapes and constants (Shape → Gather → Concat → Reshape chains) are folded then; the integer initializers
// they read are watched, and a change recompiles.
import type { DType, TypedArray } from '../../core/dtype.js';
import { plainCopy, withAllocationLimit } from '../../core/dtype.js';
import { TapegradError, fmtShape } from '../../core/errors.js';
import { withFrame } from '../../core/lifetime.js';
import { noGrad } from '../../core/tape.js';
import { Storage } from '../../core/storage.js';
import { Tensor } from '../../core/tensor.js';
import { type Kernels, activeKernels } from '../../ops/direct-kernels.js';
import {
  type Buffer,
  type PlannedStep,
  type Val,
  bindValues,
  valueSources,
  planBuffers,
  rootOf,
} from './executor-memory.js';
import { compileNode } from './executor-steps.js';
import { Prepared } from './executor-weights.js';
import { ctxOf } from './inference-plan.js';
import type { OnnxNode } from './model.js';

/** What the recording run learned of a value: its shape and element type, and its values when they are static. */
export interface ValueInfo {
  shape: number[];
  dtype: DType;
  value: TypedArray | null;
}

/** One step: a kernel call (or a few) on the run's arrays by value id. */
export interface Step extends PlannedStep {
  /** The node it runs, for error messages (null: a layout copy the executor added). */
  node: OnnxNode | null;
  run(v: TypedArray[], k: Kernels): void;
}

/** A fallback node's output did not have the shape it had when the graph was compiled (a data-dependent shape). */
export class ShapeChangedError extends TapegradError {}

/**
 * Nodes whose outputs depend only on shapes and constants: Shape and Size, Constant, and any node whose run-time
 * inputs are all such outputs and whose initializers are integers. Their values are folded when compiling.
 */
export function staticNodes(nodes: readonly OnnxNode[]): Set<OnnxNode> {
  const known = new Set<string>();
  const out = new Set<OnnxNode>();
  for (const n of nodes) {
    const op = n.spec.opType;
    const ok =
      op === 'Shape' ||
      op === 'Size' ||
      (!op.startsWith('Random') &&
        op !== 'Dropout' &&
        n.valueInputs.every((x) => known.has(x)) &&
        n.slots.every((s) => s.kind !== 'fixed' || s.t.dtype === 'int32'));
    if (!ok) continue;
    out.add(n);
    for (const o of n.spec.outputs) if (o) known.add(o);
  }
  return out;
}

/** The compiler's state: values by name, steps so far, the report, layout copies made once per value. */
export class Compiler {
  readonly vals: Val[] = [];
  readonly steps: Step[] = [];
  readonly report: string[] = [];
  /** Integer initializers the compiled graph depends on (a change recompiles). */
  readonly watched = new Set<Tensor>();
  private readonly byName = new Map<string, Val>();
  private readonly layoutCopies = new Map<string, Val>();
  /** How many nodes read each value, plus one for a graph output. */
  readonly readers = new Map<string, number>();
  /** Nodes a fused step already covers. */
  readonly consumed = new Set<OnnxNode>();

  constructor(
    readonly nodes: readonly OnnxNode[],
    readonly info: ReadonlyMap<string, ValueInfo>,
    readonly outputs: readonly string[],
  ) {
    for (const n of nodes)
      for (const x of n.spec.inputs) if (x) this.readers.set(x, (this.readers.get(x) ?? 0) + 1);
    for (const o of outputs) this.readers.set(o, (this.readers.get(o) ?? 0) + 1);
  }

  /** A new value; `name` is an ONNX value name (then its recorded shape is the default) or a label. */
  add(name: string, shape: number[], dtype: DType, o: Partial<Val> = {}): Val {
    const v: Val = {
      id: this.vals.length,
      name,
      shape,
      dtype,
      nhwc: false,
      alias: null,
      constant: null,
      input: false,
      ...o,
    };
    this.vals.push(v);
    return v;
  }
  /** Define an ONNX value name (its recorded shape and type unless given). */
  define(name: string, o: Partial<Val> = {}): Val {
    const i = this.infoOf(name);
    const v = this.add(name, o.shape ?? i.shape, o.dtype ?? i.dtype, o);
    this.byName.set(name, v);
    return v;
  }
  val(name: string): Val {
    const v = this.byName.get(name);
    if (!v) throw new TapegradError(`onnx executor: value '${name}' is read before it is made`);
    return v;
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  infoOf(name: string): ValueInfo {
    const i = this.info.get(name);
    if (!i) throw new TapegradError(`onnx executor: no recorded shape for '${name}'`);
    return i;
  }
  /** The node that reads `name`, when exactly one node does and it is not a graph output. */
  soleReader(name: string): OnnxNode | null {
    if (this.readers.get(name) !== 1 || this.outputs.includes(name)) return null;
    return this.nodes.find((n) => n.spec.inputs.includes(name)) ?? null;
  }

  /** `v` with its buffer in NCHW order: itself, a view (one channel or a 1×1 image), or a transposed copy made once. */
  nchw(v: Val): Val {
    return v.nhwc || v.flatNhwc ? this.relayout(v, false) : v;
  }
  /** A 4-D `v` with its buffer in NHWC order. */
  nhwcOf(v: Val): Val {
    return v.nhwc ? v : this.relayout(v, true);
  }
  private relayout(v: Val, toNhwc: boolean): Val {
    this.settle(v);
    const key = `${v.id}:${toNhwc}`;
    const have = this.layoutCopies.get(key);
    if (have) return have;
    const [n, c, h, w] = v.flatNhwc ?? v.shape;
    const view = c === 1 || h * w === 1;
    const u = this.add(`${v.name} (${toNhwc ? 'NHWC' : 'NCHW'})`, v.shape, v.dtype, {
      nhwc: toNhwc,
      alias: view ? v : null,
    });
    if (!view) {
      const from = toNhwc ? [n, c, h, w] : [n, h, w, c];
      const perm = toNhwc ? [0, 2, 3, 1] : [0, 3, 1, 2];
      this.steps.push({
        node: null,
        reads: [v],
        writes: [u],
        inPlace: false,
        run: (a, k) => k.transpose(a[v.id], from, perm, a[u.id]),
      });
    }
    this.layoutCopies.set(key, u);
    return u;
  }

  /** Apply an activation still pending on `v` (its reader runs as itself), in place. */
  settle(v: Val): void {
    const act = v.pending;
    if (!act) return;
    v.pending = undefined;
    this.steps.push({ node: null, reads: [v], writes: [v], inPlace: true, run: (a, k) => act(a[v.id], k) });
  }

  /** Run node `n` as itself (its operator on tapegrad's ops) on the run's arrays, its outputs copied into buffers. */
  fallback(n: OnnxNode, why: string): void {
    const ctx = ctxOf(n);
    for (const s of n.slots) if (s.kind === 'value') this.settle(this.val(s.name));
    const ins = n.slots.map((s) => (s.kind === 'value' ? this.nchw(this.val(s.name)) : null));
    const outs = n.spec.outputs.map((o) => (o ? this.define(o) : null));
    const where = `onnx node '${n.spec.name}' (${n.spec.opType})`;
    this.steps.push({
      node: n,
      reads: ins.filter((v): v is Val => v !== null),
      writes: outs.filter((v): v is Val => v !== null),
      inPlace: false,
      run: (a) =>
        withAllocationLimit({ maxBytes: n.maxBytes }, where, () =>
          withFrame('internal', where, () =>
            noGrad(() => {
              const args = n.slots.map((s, i) =>
                s.kind === 'fixed'
                  ? s.t
                  : s.kind === 'none'
                    ? null
                    : new Tensor(new Storage(a[ins[i]!.id]), ins[i]!.shape),
              );
              const ys = n.def.run(args, ctx);
              outs.forEach((o, j) => {
                if (!o) return;
                const y = ys[j];
                if (!y || y.shape.length !== o.shape.length || y.shape.some((d, q) => d !== o.shape[q]))
                  throw new ShapeChangedError(
                    `${where}: output '${o.name}' has shape ${y ? fmtShape(y.shape) : 'none'}, compiled for ${fmtShape(o.shape)}`,
                  );
                a[o.id].set(y.raw);
              });
            }),
          ),
        ),
    });
    this.report.push(`${n.spec.name} (${n.spec.opType}): node by node — ${why}`);
  }
}

/** A graph compiled for one input shape. */
export class Executor {
  private readonly buffers: Buffer[];
  private readonly bufferOf: Int32Array;
  private readonly arrays: TypedArray[];
  private readonly sources: (number | null)[];
  private readonly inputArrays: TypedArray[] = [];
  private readonly watch: Prepared<true>;

  constructor(
    private readonly vals: Val[],
    private readonly steps: Step[],
    private readonly inputs: Val[],
    private readonly outputs: Val[],
    readonly report: string[],
    watched: Set<Tensor>,
    /** How many nodes became compiled steps (0: nothing to gain over the inference plan). */
    readonly compiledNodes: number,
  ) {
    ({ buffers: this.buffers, bufferOf: this.bufferOf } = planBuffers(vals, steps, outputs, activeKernels()));
    this.arrays = new Array<TypedArray>(vals.length);
    this.sources = valueSources(vals, this.bufferOf, inputs);
    this.watch = new Prepared([...watched], () => true);
    this.watch.get();
  }

  /** Buffers the plan allocated, and the elements they hold (tests and reports read it). */
  get memory(): { buffers: number; elements: number; values: number } {
    return {
      buffers: this.buffers.length,
      elements: this.buffers.reduce((s, b) => s + b.size, 0),
      values: this.vals.filter((v) => !v.alias && !v.input && v.constant === null).length,
    };
  }

  /** False when an integer initializer the compiled graph folded has changed (compile again). */
  valid(): boolean {
    return this.watch.get() === true && this.watch.made === 1;
  }

  run(xs: readonly Tensor[]): Tensor[] {
    const k = activeKernels();
    for (let i = 0; i < xs.length; i++) this.inputArrays[i] = xs[i].raw;
    const a = this.arrays;
    bindValues(this.vals, this.sources, this.buffers, this.inputArrays, a);
    for (const s of this.steps) {
      try {
        s.run(a, k);
      } catch (e) {
        const n = s.node;
        if (n && e instanceof TapegradError && !e.message.includes(`'${n.spec.name}'`))
          e.message = `onnx node '${n.spec.name}' (${n.spec.opType}): ${e.message}`;
        throw e;
      }
    }
    this.inputArrays.length = 0;
    // NOTE: copies (slice of a shared view is a plain array): nothing handed out aliases the executor's buffers. A
    // loop and push, not map (an optimized map makes holey arrays, and callers optimized on packed ones deopt).
    const ys: Tensor[] = [];
    for (let i = 0; i < this.outputs.length; i++) {
      const o = this.outputs[i];
      ys.push(new Tensor(plainCopy(a[o.id]), o.shape));
    }
    return ys;
  }
}

/** Compile the graph for the input shapes the recorded `info` holds. */
export function compile(
  nodes: readonly OnnxNode[],
  inputNames: readonly string[],
  outputNames: readonly string[],
  info: ReadonlyMap<string, ValueInfo>,
  folded: ReadonlySet<OnnxNode>,
): Executor {
  const c = new Compiler(nodes, info, outputNames);
  const inputs = inputNames.map((name) => c.define(name, { input: true }));
  let compiled = 0;
  for (const n of nodes) {
    if (c.consumed.has(n)) continue;
    if (folded.has(n) && n.spec.outputs.every((o) => !o || info.get(o)?.value)) {
      for (const o of n.spec.outputs) if (o) c.define(o, { constant: info.get(o)!.value });
      for (const s of n.slots) if (s.kind === 'fixed') c.watched.add(s.t);
      c.report.push(
        `${n.spec.name} (${n.spec.opType}): folded when compiling (depends only on shapes and constants)`,
      );
      continue;
    }
    const mark = { vals: c.vals.length, steps: c.steps.length };
    let why: string | null;
    try {
      why = compileNode(c, n);
    } catch (e) {
      // NOTE: what a rule cannot make sense of runs as the node itself, which says what is wrong when it runs
      if (!(e instanceof TapegradError)) throw e;
      if (c.vals.length !== mark.vals || c.steps.length !== mark.steps) throw e;
      why = `not compiled: ${e.message}`;
    }
    if (why !== null) c.fallback(n, why);
    else compiled++;
  }
  const outputs = outputNames.map((o) => c.nchw(c.val(o)));
  for (const o of outputs) {
    const r = rootOf(o);
    if (r.input || r.constant !== null) {
      // an output that is an input or a constant: copy it, so the run's copy-out reads a buffer like any other
      const u = c.add(`${o.name} (copy)`, o.shape, o.dtype);
      c.steps.push({ node: null, reads: [o], writes: [u], inPlace: false, run: (a) => a[u.id].set(a[o.id]) });
      outputs[outputs.indexOf(o)] = u;
    }
  }
  return new Executor(c.vals, c.steps, inputs, outputs, c.report, c.watched, compiled);
}
