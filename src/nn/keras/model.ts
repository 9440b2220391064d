// Models: a Layer that holds layers, with build/summary/predict, and compile/fit/evaluate (see fit.ts).
import { ValueError } from '../../core/errors.js';
import { checkOptions, checkOptionsObject } from '../../core/options.js';
import type { Shape } from '../../core/shape.js';
import { noGrad } from '../../core/tape.js';
import { withFrame } from '../../core/lifetime.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { concat, slice } from '../../ops/movement/builders.js';
import {
  type CallKwargs,
  Layer,
  type LayerArgs,
  type LayerIO,
  type ShapeWithBatch,
  noteContainer,
} from '../layer.js';
import { inferShapes } from '../shape-inference.js';
import { weightPenalties } from '../regularizers.js';
import { applyMasked } from './mask.js';
import { assertFiniteData, assertModelInputs, checkIntOption } from './data-checks.js';
import { type SummaryOptions, type SummaryRow, formatSummary } from './summary.js';
import {
  type CompileArgs,
  type FitArgs,
  type History,
  compileModel,
  evaluateModel,
  fitModel,
  metricsNamesOf,
  trainOnBatchModel,
  type Compiled,
} from './fit.js';
import type { LossWeightArgs } from './class-weight.js';

/** Every key of an options type, listed once; the Record makes the compiler demand each key and no other. */
const keysOf = <T>(keys: { [K in keyof T]-?: true }): readonly string[] => Object.keys(keys);
const SUMMARY_OPTIONS = keysOf<SummaryOptions>({ formulas: true, print: true, inputShape: true });
const COMPILE_OPTIONS = keysOf<CompileArgs>({ optimizer: true, loss: true, metrics: true });
const FIT_OPTIONS = keysOf<FitArgs>({
  epochs: true,
  batchSize: true,
  validationSplit: true,
  validationData: true,
  shuffle: true,
  callbacks: true,
  verbose: true,
  initialEpoch: true,
  rng: true,
  log: true,
  classWeight: true,
  sampleWeight: true,
});

/** Writes a model's TF.js topology JSON object (io/keras/model-json.ts installs it: src/nn does not import src/io). */
export type TopologyWriter = (model: Model) => Record<string, unknown>;
let topologyWriter: TopologyWriter | null = null;
/** Called once by io/keras/model-json.ts. */
export function installTopologyWriter(f: TopologyWriter): void {
  topologyWriter = f;
}

export abstract class Model extends Layer {
  static override className = 'Model';
  /** Set by callbacks (EarlyStopping) to end `fit` after the current epoch. */
  stopTraining = false;
  compiled: Compiled | null = null;
  /** The input shape the model was last built for (batch axis first). */
  builtInputShape: ShapeWithBatch | ShapeWithBatch[] | null = null;

  /** Build every layer for an input shape (batch axis first; null allowed) by running zeros through. */
  override build(inputShape: Shape | Shape[] | ShapeWithBatch | ShapeWithBatch[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as ShapeWithBatch[];
    const xs = shapes.map((s) => zeros(s.map((d) => d ?? 1)));
    inferShapes(() => this.callImpl(xs.length === 1 ? xs[0] : xs, { training: false }));
    this.builtInputShape ??= shapes.length === 1 ? shapes[0] : shapes;
    this.built = true;
  }
  /** Public build (Keras `model.build(input_shape)`). */
  buildModel(inputShape: ShapeWithBatch | ShapeWithBatch[]): this {
    this.builtInputShape = inputShape;
    this.build(inputShape as Shape);
    return this;
  }
  override buildFor(x: LayerIO): void {
    const s = this.declaredInputShape();
    if (s) this.buildModel(s);
    else super.buildFor(x);
  }
  /** Build from the first layer's inputShape if the model has one; true when built. */
  ensureBuilt(): boolean {
    if (this.isBuilt()) return true;
    const s = this.declaredInputShape();
    if (s) this.buildModel(s);
    return this.isBuilt();
  }
  protected declaredInputShape(): ShapeWithBatch | ShapeWithBatch[] | null {
    return this.batchInputShape ?? null;
  }
  /**
   * The model's inputs as entry points check them: one entry per input, its declared shape (batch axis first, null =
   * any) or null when only the count is known (a model built from its first call); null when nothing is known.
   */
  inputSpecs(): (ShapeWithBatch | null)[] | null {
    const many = (s: ShapeWithBatch | ShapeWithBatch[]): s is ShapeWithBatch[] => Array.isArray(s[0]);
    const d = this.declaredInputShape();
    if (d) return many(d) ? d : [d];
    const b = this.builtInputShape;
    // NOTE: a shape seen at the first call is not a declaration (Keras rebuilds for new shapes): count only.
    if (b) return many(b) ? b.map(() => null) : [null];
    return null;
  }
  override namedParameters(): [string, Tensor][] {
    this.ensureBuilt();
    return super.namedParameters();
  }
  /** Keras: counting the parameters of a model that is not built is an error, not 0. */
  override countParams(): number {
    if (!this.ensureBuilt()) this.assertBuilt('count');
    return super.countParams();
  }
  override namedWeights(prefix = '') {
    this.ensureBuilt();
    return super.namedWeights(prefix);
  }
  protected override childPrefix(_key: string, child: Layer): string {
    return child.name;
  }

  /** Rows of the summary table (each layer and its output shapes). */
  protected abstract summaryRows(opts: SummaryOptions): SummaryRow[];

  /** Print and return the Keras-format summary table. */
  summary(opts: SummaryOptions = {}): string {
    checkOptions(`${this.name}.summary`, opts, SUMMARY_OPTIONS);
    if (!this.ensureBuilt() && opts.inputShape) this.buildModel([null, ...opts.inputShape]);
    this.assertBuilt('summarize (or pass summary({ inputShape }))');
    const rows = this.summaryRows(opts);
    const ws = this.weights;
    const tr = this.trainableWeights.reduce((a, w) => a + w.value.size, 0);
    const text = formatSummary(
      this.name,
      rows,
      { trainable: tr, nonTrainable: ws.reduce((a, w) => a + w.value.size, 0) - tr },
      opts,
    );
    const p = opts.print ?? true;
    if (p) text.split('\n').forEach((l) => (typeof p === 'function' ? p(l) : console.log(l)));
    return text;
  }

  /** Inference in batches, without recording, in inference mode. */
  predict(x: Tensor | Tensor[], opts: { batchSize?: number } = {}): Tensor | Tensor[] {
    const xs = Array.isArray(x) ? x : [x];
    const bs = this.checkPredictArgs(xs, opts);
    const n = xs[0].shape[0];
    // NOTE: a lifetime frame: batch slices and per-batch outputs are released once the result is assembled.
    return withFrame('internal', `${this.name}.predict`, () => noGrad(() => this.predictBatches(xs, n, bs)));
  }

  /** predict's checks (options, inputs against the model's input specs, finite values); returns the batch size. */
  protected checkPredictArgs(xs: Tensor[], opts: { batchSize?: number }): number {
    const where = `${this.name}.predict`;
    checkOptions(where, opts, ['batchSize']);
    assertModelInputs(xs, this.inputSpecs(), this.name, where);
    xs.forEach((t, i) => assertFiniteData(t, xs.length === 1 ? 'x' : `x[${i}]`, where));
    return checkIntOption(where, 'batchSize', opts.batchSize ?? 32, 1);
  }

  private predictBatches(xs: Tensor[], n: number, bs: number): Tensor | Tensor[] {
    const outs: LayerIO[] = [];
    for (let i = 0; i < Math.max(n, 1); i += bs) {
      const b = xs.map((t) =>
        n <= bs
          ? t
          : slice(
              t,
              t.shape.map((_, a) => (a === 0 ? i : 0)),
              t.shape.map((d, a) => (a === 0 ? Math.min(bs, n - i) : d)),
            ),
      );
      outs.push(this.apply(b.length === 1 ? b[0] : b, { training: false }) as LayerIO);
    }
    if (outs.length === 1) return outs[0];
    if (outs[0] instanceof Tensor) return concat(outs as Tensor[], 0);
    return (outs[0] as Tensor[]).map((_, j) =>
      concat(
        outs.map((o) => (o as Tensor[])[j]),
        0,
      ),
    );
  }

  /** Configure training: optimizer, loss and metrics (TF.js/Keras `compile`). */
  compile(args: CompileArgs): void {
    checkOptionsObject(`${this.name}.compile`, args, COMPILE_OPTIONS, { required: true });
    this.ensureBuilt();
    this.compiled = compileModel(this, args);
  }
  /** Train for a number of epochs (TF.js `fit`): returns the History. */
  fit(x: Tensor | Tensor[], y: Tensor | Tensor[], args: FitArgs = {}): Promise<History> {
    try {
      checkOptionsObject(`${this.name}.fit`, args, FIT_OPTIONS, { what: 'options (the 3rd argument)' });
    } catch (e) {
      return Promise.reject(e);
    }
    return fitModel(this, x, y, args);
  }
  /**
   * One optimizer step on exactly this batch (TF.js `trainOnBatch`, Keras `train_on_batch`): no batching, no
   * shuffling, no callbacks. Resolves to the loss, or to [loss, ...] in `metricsNames` order when there are metrics or
   * several outputs.
   * NOTE: the step runs before this returns (a Promise, as in TF.js): a synchronous loop need not await it.
   */
  trainOnBatch(
    x: Tensor | Tensor[],
    y: Tensor | Tensor[],
    opts: LossWeightArgs = {},
  ): Promise<number | number[]> {
    try {
      // NOTE: Keras `train_on_batch(x, y, sample_weight, class_weight)`; TF.js's trainOnBatch takes neither
      checkOptionsObject(`${this.name}.trainOnBatch`, opts, ['classWeight', 'sampleWeight'], {
        what: 'options (the 3rd argument)',
      });
      return Promise.resolve(trainOnBatchModel(this, x, y, opts));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** The model's outputs on this batch as one call, in inference mode (TF.js `predictOnBatch`). */
  predictOnBatch(x: Tensor | Tensor[]): Tensor | Tensor[] {
    const xs = Array.isArray(x) ? x : [x];
    const n = xs[0]?.shape[0] ?? 0;
    return this.predict(x, { batchSize: Math.max(n, 1) });
  }
  /** What trainOnBatch and evaluate report, in order: 'loss', per-output losses, then metrics (TF.js `metricsNames`). */
  get metricsNames(): string[] {
    return metricsNamesOf(this);
  }
  /**
   * The weight regularization penalties, one scalar per regularized weight (Keras/TF.js `model.losses`), differentiable.
   * fit, trainOnBatch and evaluate add them, and each batch's activity-regularizer penalties, to the loss.
   * NOTE: the activity penalties depend on the batch, so they are not kept here (Keras keeps the last call's).
   */
  override get losses(): Tensor[] {
    this.ensureBuilt();
    return weightPenalties(this);
  }
  /**
   * The model's topology as TF.js's `model.toJSON(unused, returnString)` gives it: `{class_name, config,
   * keras_version, backend}` (the modelTopology of `tg.keras.toTfjsArtifacts`), a JSON string or, with
   * `returnString` false, the object. `tg.models.modelFromJSON` and TF.js's read it back.
   * NOTE: the first argument is unused, as in TF.js (JSON.stringify passes the key there).
   */
  toJSON(unused?: unknown, returnString?: true): string;
  toJSON(unused: unknown, returnString: false): Record<string, unknown>;
  toJSON(unused?: unknown, returnString?: boolean): string | Record<string, unknown>;
  toJSON(_unused?: unknown, returnString = true): string | Record<string, unknown> {
    if (typeof returnString !== 'boolean')
      throw new ValueError(
        `${this.name}.toJSON: returnString (the 2nd argument) must be a boolean, got ${typeof returnString}`,
      );
    if (!topologyWriter)
      throw new ValueError(
        `${this.name}.toJSON: the TF.js topology writer is not loaded (import from "tapegrad")`,
      );
    const topology = topologyWriter(this);
    return returnString ? JSON.stringify(topology) : topology;
  }
  /**
   * Loss and metrics on data, without training. `sampleWeight` (Keras `sample_weight`) weights each sample's loss as
   * fit does: Σ wᵢ·lossᵢ / n; metrics are not weighted (Keras weights only its `weighted_metrics`).
   */
  evaluate(
    x: Tensor | Tensor[],
    y: Tensor | Tensor[],
    args: { batchSize?: number; sampleWeight?: Tensor | (Tensor | null)[] } = {},
  ): Record<string, number> {
    checkOptionsObject(`${this.name}.evaluate`, args, ['batchSize', 'sampleWeight'], {
      what: 'options (the 3rd argument)',
    });
    return evaluateModel(this, x, y, args);
  }
}

/** A linear stack of layers (TF.js `tf.sequential`). */
export class Sequential extends Model {
  static override className = 'Sequential';
  static override options: readonly string[] = ['layers'];
  /** Carries masks from layer to layer (mask.ts). */
  static handlesMasks = true;
  layers: Layer[] = [];
  constructor(args: LayerArgs & { layers?: Layer[] } = {}) {
    super(args);
    for (const l of args.layers ?? []) this.add(l);
  }
  add(layer: Layer): this {
    if (!(layer instanceof Layer))
      throw new ValueError(`${this.name}.add: expected a layer, got ${typeof layer}`);
    if (this.layers.some((l) => l.name === layer.name))
      throw new ValueError(`${this.name}.add: a layer named '${layer.name}' is already in the model`);
    this.layers.push(layer);
    noteContainer(layer, this);
    this.built = false;
    return this;
  }
  protected override declaredInputShape(): ShapeWithBatch | null {
    const first = this.layers[0];
    // NOTE: a nested model as the first layer declares its input itself (Keras builds from its input shape)
    const inner = first instanceof Model ? (first as Sequential).declaredInputShape() : null;
    const nested = Array.isArray(inner?.[0]) ? (inner as unknown as ShapeWithBatch[])[0] : inner;
    return this.batchInputShape ?? first?.batchInputShape ?? nested ?? null;
  }
  /**
   * A Sequential model always takes one input (Keras).
   * NOTE: its shape is left to the first layer, whose errors name the layer and give layout hints (batch axis,
   * channels first, Flatten before Dense) that a model-level comparison of shapes could not.
   */
  override inputSpecs(): (ShapeWithBatch | null)[] {
    return [null];
  }
  call(x: LayerIO, kw: CallKwargs = {}): LayerIO {
    if (!this.layers.length) throw new ValueError(`${this.name}: the model has no layers`);
    let y = x;
    for (const l of this.layers) y = applyMasked(l, y, kw);
    return y;
  }
  protected summaryRows(): SummaryRow[] {
    const s = this.declaredInputShape() ?? (this.builtInputShape as ShapeWithBatch | null);
    if (!s) return this.layers.map((l) => ({ layer: l, outputShapes: [], params: l.countParams() }));
    const rows: SummaryRow[] = [];
    inferShapes(() => {
      let y: LayerIO = zeros(s.map((d) => d ?? 1));
      for (const l of this.layers) {
        y = l.apply(y, { training: false }) as LayerIO;
        const outs = Array.isArray(y) ? y : [y];
        rows.push({
          layer: l,
          outputShapes: outs.map((t) => [null, ...t.shape.slice(1)]),
          params: l.countParams(),
        });
      }
    });
    return rows;
  }
  override getConfig() {
    return {
      name: this.name,
      layers: this.layers.map((l) => ({ class_name: l.className, config: l.getConfig() })),
    };
  }
}
