// An imported ONNX graph as a tapegrad Model: one layer per node (so summary, hooks and scopes name ONNX nodes),
// float initializers as trainable weights of the first node that reads them, the graph run in file order.
import { type DType, plainCopy, withAllocationLimit } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { isRecording, noGrad } from '../../core/tape.js';
import { withFrame } from '../../core/lifetime.js';
import { fusedAllowed } from '../../ops/composite/window.js';
import { cast } from '../../ops/elementwise/builders.js';
import { concat, slice } from '../../ops/movement/builders.js';
import { type CallKwargs, Layer, type LayerIO, type ShapeWithBatch } from '../../nn/layer.js';
import { inferShapes, isInferringShapes } from '../../nn/shape-inference.js';
import { Model } from '../../nn/keras/model.js';
import type { SummaryRow } from '../../nn/keras/summary.js';
import type { OnnxGraphSpec, OnnxIO, OnnxNodeSpec } from './graph.js';
import { type Executor, type ValueInfo, compile, staticNodes } from './executor.js';
import { ExecutorCache } from './executor-cache.js';
import { InferencePlan } from './inference-plan.js';
import { Attrs, type OpContext, type OpDef } from './op-types.js';
import { DataType } from './proto.js';
import { isIntType, typeName } from './tensor-proto.js';

/** Where a node input comes from: a value computed at run time, a weight, a constant, or nothing (optional input). */
type Slot = { kind: 'value'; name: string } | { kind: 'fixed'; t: Tensor } | { kind: 'none' };

export interface OnnxModelOptions {
  /** Largest tensor any node may allocate, in bytes (default 1 GiB): a hostile Expand or ConstantOfShape stops here. */
  maxTensorBytes?: number;
}

/** One ONNX node as a layer; its class name is the ONNX operator. */
export class OnnxNode extends Layer {
  static override className = 'OnnxNode';
  readonly outTypes: number[];
  /** Per input slot: an initializer, or a value of Shape/Constant chains (set by the model; see OpContext). */
  staticInputs: readonly boolean[] = [];
  constructor(
    readonly spec: OnnxNodeSpec,
    readonly def: OpDef,
    readonly opset: number,
    readonly slots: Slot[],
    readonly inTypes: number[],
    readonly maxBytes: number,
  ) {
    super({ name: spec.name });
    this.built = true;
    const ctx = this.context(false);
    this.outTypes = def.outTypes
      ? def.outTypes(ctx)
      : spec.outputs.map(() => inTypes.find((t) => t) ?? DataType.FLOAT);
  }
  override get className(): string {
    return this.spec.opType;
  }
  /** Register an initializer this node owns (the first node that reads it). */
  own(name: string, t: Tensor, trainable: boolean): void {
    t.requiresGrad = trainable;
    t.name = name;
    this.ownWeights.push({ name, value: t, trainable });
  }
  private context(training: boolean): OpContext {
    return {
      node: this.spec,
      opset: this.opset,
      attrs: new Attrs(this.spec, this.spec.attrs),
      training,
      inTypes: this.inTypes,
      staticInputs: this.staticInputs,
    };
  }
  call(x: LayerIO, kw: CallKwargs = {}): LayerIO {
    const runtime = Array.isArray(x) ? x : [x];
    let k = 0;
    const swap = kw.initializers as Map<Tensor, Tensor> | undefined;
    const ins = this.slots.map((s) =>
      s.kind === 'value' ? runtime[k++] : s.kind === 'fixed' ? (swap?.get(s.t) ?? s.t) : null,
    );
    const outs = withAllocationLimit(
      { maxBytes: this.maxBytes },
      `onnx node '${this.spec.name}' (${this.spec.opType})`,
      () => this.def.run(ins, this.context(kw.training === true)),
    );
    return outs;
  }
  /** Names of the run-time values this node reads, in slot order. */
  get valueInputs(): string[] {
    return this.slots.flatMap((s) => (s.kind === 'value' ? [s.name] : []));
  }
}

const dtypeOfType = (code: number): DType =>
  code === DataType.DOUBLE ? 'float64' : isIntType(code) ? 'int32' : 'float32';

export class OnnxModel extends Model {
  static override className = 'OnnxModel';
  readonly layers: OnnxNode[];
  /** The graph inputs and outputs as the file declares them (dims: numbers, symbol names or null). */
  readonly graphInputs: OnnxIO[];
  readonly graphOutputs: OnnxIO[];
  readonly opset: number;
  readonly producer: string;
  /** Every initializer by its ONNX name (trainable weights, running statistics and constants alike). */
  readonly initializers: Map<string, Tensor>;
  /** ONNX element type of every value name (inputs, initializers, node outputs). */
  readonly valueTypes: Map<string, number>;

  constructor(g: OnnxGraphSpec, defs: OpDef[], opts: OnnxModelOptions = {}) {
    super({ name: g.name });
    this.graphInputs = g.inputs;
    this.graphOutputs = g.outputs;
    this.opset = g.opset;
    this.producer = g.producer;
    this.initializers = new Map([...g.initializers].map(([k, v]) => [k, v.t]));
    const types = new Map<string, number>([...g.initializers].map(([k, v]) => [k, v.type]));
    for (const i of g.inputs) types.set(i.name, i.elemType);
    // How each initializer is used decides whether it is a trainable weight.
    const use = new Map<string, 'param' | 'state' | 'value'>();
    g.nodes.forEach((n, i) =>
      n.inputs.forEach((name, slot) => {
        if (!g.initializers.has(name)) return;
        const d = defs[i];
        const kind = d.valueInputs?.includes(slot)
          ? 'value'
          : d.stateInputs?.includes(slot)
            ? 'state'
            : 'param';
        const prev = use.get(name);
        use.set(
          name,
          prev === 'param' || kind === 'param'
            ? 'param'
            : prev === 'state' || kind === 'state'
              ? 'state'
              : 'value',
        );
      }),
    );
    const owned = new Set<string>();
    const maxBytes = opts.maxTensorBytes ?? 1024 ** 3;
    this.layers = g.nodes.map((n, i) => {
      const slots: Slot[] = n.inputs.map((name) =>
        name === ''
          ? { kind: 'none' }
          : g.initializers.has(name)
            ? { kind: 'fixed', t: g.initializers.get(name)!.t }
            : { kind: 'value', name },
      );
      const layer = new OnnxNode(
        n,
        defs[i],
        g.opset,
        slots,
        n.inputs.map((x) => (x ? (types.get(x) ?? 0) : 0)),
        maxBytes,
      );
      layer.outTypes.forEach((t, j) => n.outputs[j] && types.set(n.outputs[j], t));
      for (const name of n.inputs) {
        const init = g.initializers.get(name);
        if (!init || owned.has(name)) continue;
        const u = use.get(name);
        if (u === 'value' || init.t.dtype === 'int32') continue;
        owned.add(name);
        layer.own(name, init.t, u === 'param');
      }
      return layer;
    });
    const folded = new Set([...staticNodes(this.layers)].flatMap((n) => n.spec.outputs));
    for (const l of this.layers)
      l.staticInputs = l.slots.map((s) => s.kind === 'fixed' || (s.kind === 'value' && folded.has(s.name)));
    this.valueTypes = types;
    this.built = true;
  }

  /** NOTE: made once (graph inputs never change): predict's checks read it on every call. */
  private declared: ShapeWithBatch[] | null = null;
  protected override declaredInputShape(): ShapeWithBatch[] {
    return (this.declared ??= this.graphInputs.map((i) =>
      (i.shape ?? []).map((d) => (typeof d === 'number' ? d : null)),
    ));
  }

  /** The graph inputs, checked against the declared shapes and cast to the declared types, by name. */
  private inputValues(xs: Tensor[]): Map<string, Tensor> {
    const values = new Map<string, Tensor>();
    this.checkedInputs(xs).forEach((t, i) => values.set(this.graphInputs[i].name, t));
    for (const [k, t] of this.initializers) values.set(k, t);
    return values;
  }

  /** The graph inputs in order, checked against the declared shapes and cast to the declared types. */
  private checkedInputs(xs: Tensor[]): Tensor[] {
    if (xs.length !== this.graphInputs.length)
      throw new ValueError(
        `${this.name}: expected ${this.graphInputs.length} inputs (${this.graphInputs.map((i) => i.name).join(', ')}), got ${xs.length}`,
      );
    // NOTE: a loop and push, not map: once this is optimized, V8's inlined map makes holey arrays, and the executor
    // code optimized on the packed ones deopts ("wrong map"), running slower until it is optimized again.
    const out: Tensor[] = [];
    for (let i = 0; i < xs.length; i++) {
      const io = this.graphInputs[i];
      const t = xs[i];
      if (!(t instanceof Tensor)) throw new ValueError(`${this.name}: input '${io.name}' must be a Tensor`);
      const s = io.shape;
      if (s && (t.rank !== s.length || s.some((d, j) => typeof d === 'number' && d !== t.shape[j])))
        throw new ShapeError(
          `${this.name}: input '${io.name}' expects shape [${s.map((d) => d ?? '?').join(',')}], got ${fmtShape(t.shape)}`,
        );
      // NOTE: inputs are cast to the declared element type (float32 for FLOAT, int32 for the integer types).
      out.push(cast(t, dtypeOfType(io.elemType)));
    }
    return out;
  }

  /** Run the graph node by node (each a layer call); `onNode` sees each node's outputs (summary uses it). */
  private runGraph(xs: Tensor[], kw: CallKwargs, onNode?: (n: OnnxNode, ys: Tensor[]) => void): Tensor[] {
    const values = this.inputValues(xs);
    for (const node of this.layers) {
      const ins = node.valueInputs.map((n) => values.get(n)!);
      const ys = node.apply(ins, { training: kw.training, initializers: kw.initializers }) as Tensor[];
      node.spec.outputs.forEach((name, j) => {
        if (!name) return;
        if (!ys[j])
          throw new ValueError(
            `onnx node '${node.spec.name}' (${node.spec.opType}): output ${j} ('${name}') was not produced`,
          );
        values.set(name, ys[j]);
      });
      onNode?.(node, ys);
    }
    return this.graphOutputs.map((o) => values.get(o.name)!);
  }

  /**
   * Run inference through the load-time plan (inference-plan.ts) instead of node by node. On by default; the plan
   * is used only when nothing could tell the difference: not training, no tape recording, no op listener (trace,
   * explain), no hook on a node, no initializer swap (callWith), not inferring shapes.
   */
  useInferencePlan = true;
  private plan: InferencePlan | null = null;
  private planApplies(kw: CallKwargs): boolean {
    return (
      this.useInferencePlan &&
      kw.training !== true &&
      !kw.initializers &&
      !isRecording() &&
      fusedAllowed() &&
      !isInferringShapes() &&
      this.layers.every((l) => !l.hasHooks)
    );
  }

  call(x: LayerIO, kw: CallKwargs = {}): LayerIO {
    const xs = Array.isArray(x) ? x : [x];
    let ys: Tensor[] | null = null;
    if (this.planApplies(kw)) {
      if (this.useExecutor) ys = this.executors.run(this.checkedInputs(xs));
      if (!ys) {
        this.plan ??= new InferencePlan(
          this.layers,
          this.graphOutputs.map((o) => o.name),
        );
        ys = this.plan.run(this.inputValues(xs));
      }
    } else ys = this.runGraph(xs, kw);
    return ys.length === 1 ? ys[0] : ys;
  }

  /**
   * Inference through the compiled executor (executor.ts) where the plan applies: compiled once per input shape
   * (executor-cache.ts), its weights re-prepared when they change. `false`: the inference plan.
   */
  useExecutor = true;
  private readonly executors = new ExecutorCache((xs) => this.compileFor(xs));
  /** Why the executor is off for this model (a shape that depends on the data), or null. */
  get executorOff(): string | null {
    return this.executors.off;
  }

  /** Compile for these inputs' shapes: one node-by-node run records every value's shape (and folds the static ones). */
  private compileFor(xs: Tensor[]): Executor {
    // NOTE: in a frame, without recording (predict's state): the recording run's tensors are released at its end
    return withFrame('internal', `${this.name}: compiling the executor`, () =>
      noGrad(() => {
        const folded = staticNodes(this.layers);
        const info = new Map<string, ValueInfo>();
        xs.forEach((t, i) =>
          info.set(this.graphInputs[i].name, { shape: [...t.shape], dtype: t.dtype, value: null }),
        );
        this.runGraph(xs, { training: false }, (n, ys) =>
          n.spec.outputs.forEach((o, j) => {
            const y = ys[j];
            if (o && y)
              info.set(o, {
                shape: [...y.shape],
                dtype: y.dtype,
                value: folded.has(n) ? plainCopy(y.raw) : null,
              });
          }),
        );
        return compile(
          this.layers,
          this.graphInputs.map((i) => i.name),
          this.graphOutputs.map((o) => o.name),
          info,
          folded,
        );
      }),
    );
  }

  /**
   * What the compiled executor does with each node for these inputs' shapes, one line per node: the kernel step
   * it became, what it was fused into, folded when compiling, or run node by node and why; then the buffers planned.
   */
  explainExecutor(x: Tensor | Tensor[]): string[] {
    const xs = Array.isArray(x) ? x : [x];
    if (this.executorOff !== null) return [`executor off for this model: ${this.executorOff}`];
    return withFrame('internal', `${this.name}.explainExecutor`, () =>
      noGrad(() => {
        const e = this.executors.get(this.checkedInputs(xs));
        const m = e.memory;
        return [...e.report, `buffers: ${m.buffers} for ${m.values} values (${m.elements} elements)`];
      }),
    );
  }

  /**
   * Batches of the graph's batch size when its first axis is fixed (an export traced with batch 8 runs 8 at a time);
   * a last partial batch is filled up with zero rows, whose outputs are dropped, so any sample count works.
   */
  override predict(x: Tensor | Tensor[], opts: { batchSize?: number } = {}): Tensor | Tensor[] {
    const d0 = this.graphInputs[0]?.shape?.[0];
    const o = opts.batchSize === undefined && typeof d0 === 'number' ? { batchSize: d0 } : opts;
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0] instanceof Tensor && xs[0].rank > 0 ? xs[0].shape[0] : 0;
    if (typeof d0 === 'number' && o.batchSize === d0 && n > 0 && n % d0 !== 0)
      return this.predictPadded(xs, Array.isArray(x), n, d0, o);
    return this.predictCompiled(x, o) ?? super.predict(x, o);
  }

  /** predict of n samples through a fixed batch size bs: zero rows up to a multiple of bs, outputs cut to n rows. */
  private predictPadded(
    xs: Tensor[],
    many: boolean,
    n: number,
    bs: number,
    opts: { batchSize?: number },
  ): Tensor | Tensor[] {
    this.checkPredictArgs(xs, opts); // on the caller's inputs, so errors show their shapes
    const total = Math.ceil(n / bs) * bs;
    return withFrame('internal', `${this.name}.predict`, () =>
      noGrad(() => {
        const padded = xs.map((t) =>
          t.rank > 0 && t.shape[0] === n
            ? concat([t, zeros([total - n, ...t.shape.slice(1)], { dtype: t.dtype })], 0)
            : t,
        );
        const ys = this.predict(many ? padded : padded[0], opts);
        const cut = (y: Tensor): Tensor =>
          y.rank > 0 && y.shape[0] === total
            ? slice(
                y,
                y.shape.map(() => 0),
                y.shape.map((d, a) => (a === 0 ? n : d)),
              )
            : y;
        return Array.isArray(ys) ? ys.map(cut) : cut(ys);
      }),
    );
  }

  /**
   * predict of one batch straight through the compiled executor, with predict's checks and errors but without the
   * layer call around the graph (its frame, scope and hook machinery cost more than the MLP's whole graph); null
   * when predict must take the layer path (several batches, hooks, executor off).
   */
  private predictCompiled(x: Tensor | Tensor[], opts: { batchSize?: number }): Tensor | Tensor[] | null {
    if (
      !this.useInferencePlan ||
      !this.useExecutor ||
      this.executorOff !== null ||
      this.hasHooks ||
      !fusedAllowed() ||
      isInferringShapes() ||
      !this.layers.every((l) => !l.hasHooks)
    )
      return null;
    const xs = Array.isArray(x) ? x : [x];
    const bs = opts.batchSize ?? 32;
    if (!xs.every((t) => t instanceof Tensor) || xs.length === 0 || xs[0].rank === 0 || xs[0].shape[0] > bs)
      return null;
    this.checkPredictArgs(xs, opts);
    const where = `${this.name}.predict`;
    // NOTE: no frame or recording state is needed unless an input is cast (nodes run as themselves open their own
    // frames, without recording): the executor makes nothing else but the outputs
    const run = () => this.executors.run(this.checkedInputs(xs));
    const cast = xs.some((t, i) => t.dtype !== dtypeOfType(this.graphInputs[i].elemType));
    const ys = cast ? withFrame('internal', where, () => noGrad(run)) : run();
    if (!ys) return null;
    return ys.length === 1 ? ys[0] : ys;
  }

  /**
   * Run the model with some initializers replaced by other tensors (by ONNX name): the functional form that
   * `tg.grads` needs, e.g. `tg.grads((w) => loss(m.callWith({ 'fc.weight': w }, x)))(m.initializers.get('fc.weight'))`.
   */
  callWith(
    initializers: Record<string, Tensor>,
    x: Tensor | Tensor[],
    opts: { training?: boolean } = {},
  ): Tensor | Tensor[] {
    const swap = new Map<Tensor, Tensor>();
    for (const [name, t] of Object.entries(initializers)) {
      const old = this.initializers.get(name);
      if (!old) throw new ValueError(`${this.name}.callWith: no initializer named '${name}'`);
      if (
        !(t instanceof Tensor) ||
        t.shape.length !== old.shape.length ||
        t.shape.some((d, i) => d !== old.shape[i])
      )
        throw new ShapeError(
          `${this.name}.callWith: '${name}' has shape ${fmtShape(old.shape)}, got ${t instanceof Tensor ? fmtShape(t.shape) : typeof t}`,
        );
      swap.set(old, t);
    }
    return this.apply(x, { training: opts.training ?? false, initializers: swap }) as Tensor | Tensor[];
  }

  /** Zeros for every input, symbolic or unknown dims set to `fill`. */
  sampleInputs(fill = 1): Tensor[] {
    return this.graphInputs.map((io) =>
      zeros(
        (io.shape ?? []).map((d) => (typeof d === 'number' ? d : fill)),
        { dtype: dtypeOfType(io.elemType) },
      ),
    );
  }

  /**
   * One row per node. Shapes come from running zeros with symbolic dims set to 1 and then 2: a dim that changes
   * with them prints as None (as Keras prints the batch axis).
   */
  protected summaryRows(): SummaryRow[] {
    const shapesAt = (fill: number) => {
      const m = new Map<OnnxNode, number[][]>();
      inferShapes(() =>
        this.runGraph(this.sampleInputs(fill), { training: false }, (n, ys) =>
          m.set(
            n,
            ys.map((y) => [...(y?.shape ?? [])]),
          ),
        ),
      );
      return m;
    };
    const one = shapesAt(1);
    let two: Map<OnnxNode, number[][]> | null = null;
    if (this.graphInputs.some((io) => (io.shape ?? []).some((d) => typeof d !== 'number')))
      try {
        two = shapesAt(2);
      } catch {
        two = null; // a graph traced for one batch size (hard-coded reshapes) is summarized at size 1
      }
    const counted = new Set<Tensor>();
    return this.layers.map((l) => {
      const a = one.get(l) ?? [];
      const b = two?.get(l);
      const params = l.weights.filter((w) => !counted.has(w.value)).reduce((s, w) => s + w.value.size, 0);
      l.weights.forEach((w) => counted.add(w.value));
      return {
        layer: l,
        outputShapes: a.map((s, j) => s.map((d, k) => (b && b[j] && b[j][k] !== d ? null : d))),
        params,
      };
    });
  }

  override getConfig() {
    return {
      name: this.name,
      opset: this.opset,
      nodes: this.layers.map((l) => ({
        name: l.name,
        op_type: l.spec.opType,
        inputs: l.spec.inputs,
        outputs: l.spec.outputs,
      })),
    };
  }

  /** A short description of the element type of a value, e.g. for `inspect`. */
  typeOf(name: string): string {
    return typeName(this.valueTypes.get(name) ?? 0);
  }
}
