// Layer: the one building block. Named weights, lazy build from the first input shape (Keras semantics),
// train/eval mode, hooks, and child discovery so parameters get paths like `conv1.kernel`.
import { type DType, isFloat } from '../core/dtype.js';
import { ShapeError, TapegradError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import type { Shape } from '../core/shape.js';
import { withScope } from '../core/tape.js';
import { keep, keepAll, withLayerFrame } from '../core/lifetime.js';
import { Tensor, writeValues } from '../core/tensor.js';
import { type InitializerSpec, getInitializer } from './initializers.js';
import { SymbolicTensor, applySymbolic } from './symbolic.js';
import { isInferringShapes } from './shape-inference.js';

export type LayerIO = Tensor | Tensor[];
/** A shape with the batch axis first; null = unknown (Keras `None`). */
export type ShapeWithBatch = (number | null)[];

export interface LayerArgs {
  name?: string;
  /** Input shape without the batch axis (Keras `input_shape`). */
  inputShape?: (number | null)[];
  batchInputShape?: (number | null)[];
  batchSize?: number;
  trainable?: boolean;
  dtype?: DType;
}

/** The options every layer takes (TF.js `LayerArgs`). */
export const LAYER_OPTIONS: readonly string[] = [
  'name',
  'inputShape',
  'batchInputShape',
  'batchSize',
  'trainable',
  'dtype',
];

/**
 * A layer's own option names (beyond LayerArgs), for `static options`: the mapped type makes the compiler demand
 * every key of the args type `A` and refuse any other, so the runtime list cannot drift from the type.
 */
export const layerOptions = <A>(keys: {
  [K in Exclude<keyof A, keyof LayerArgs>]-?: true;
}): readonly string[] => Object.keys(keys);

/** The options object of a layer class's constructor. */
export type OptionsOf<C extends abstract new (...a: any[]) => unknown> = NonNullable<
  ConstructorParameters<C>[0]
>;

export interface CallKwargs {
  training?: boolean;
  [key: string]: unknown;
}

export interface Weight {
  name: string;
  value: Tensor;
  trainable: boolean;
}

export type ForwardHook = (layer: Layer, inputs: LayerIO, output: LayerIO) => LayerIO | void;
export type ForwardPreHook = (layer: Layer, inputs: LayerIO) => LayerIO | void;
/** Called with the gradient of the layer's output when backward reaches it. */
export type BackwardHook = (layer: Layer, gradOutput: Tensor) => Tensor | void;

const nameCounts = new Map<string, number>();
/** Keras-style unique default names: dense, dense_1, dense_2, ... */
export function uniqueName(prefix: string, zeroBased = true): string {
  const n = nameCounts.get(prefix) ?? 0;
  nameCounts.set(prefix, n + 1);
  if (!zeroBased) return `${prefix}_${n + 1}`;
  return n === 0 ? prefix : `${prefix}_${n}`;
}
/** Forget issued names (Keras `clear_session`), so the next dense is `dense` again. */
export const resetLayerNames = (): void => nameCounts.clear();

let trainableChanges = 0;
/** Bumped by every `trainable` assignment: fit/trainOnBatch re-read which weights train only when it moved. */
export const trainableVersion = (): number => trainableChanges;

/** Keras's to_snake_case: Conv2D → conv2d, MaxPooling2D → max_pooling2d, SimpleRNN → simple_rnn. */
export const snakeCase = (s: string): string =>
  s
    .replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();

export const shapesOf = (x: LayerIO): Shape[] => (Array.isArray(x) ? x.map((t) => t.shape) : [x.shape]);
export const fmtBatchShape = (s: readonly (number | null)[]): string =>
  `(${s.map((d) => (d === null ? 'None' : d)).join(', ')}${s.length === 1 ? ',' : ''})`;

/**
 * The model a layer was added to (Sequential.add) that can build it from a declared input shape: a layer of
 * `tg.sequential({ layers: [dense({ units, inputShape })] })` has its weights before any call, as in TF.js and Keras.
 */
const containers = new WeakMap<Layer, { ensureBuilt(): boolean }>();
const building = new Set<object>();
export function noteContainer(layer: Layer, model: { ensureBuilt(): boolean }): void {
  containers.set(layer, model);
}
/** Build an unbuilt layer's container when it declares its input shape (no-op otherwise, or while it builds). */
function buildByContainer(layer: Layer): void {
  const m = containers.get(layer);
  if (m === undefined || building.has(m)) return;
  building.add(m);
  try {
    m.ensureBuilt();
  } finally {
    building.delete(m);
  }
}

/** A layer's weight penalties; regularizers.ts installs it (it imports this file, so this file cannot import it). */
let penaltiesOf: ((layer: Layer) => Tensor[]) | null = null;
/** Called once by nn/regularizers.ts. */
export function installPenalties(f: (layer: Layer) => Tensor[]): void {
  penaltiesOf = f;
}

export abstract class Layer {
  /** Keras class name (Dense, Conv2D, ...). */
  static className = 'Layer';
  /**
   * The layer's own option names beyond LAYER_OPTIONS; when set, the constructor refuses any other key by name.
   * NOTE: null on Layer itself, so user subclasses that pass extra keys to `super` keep working unless they opt in.
   */
  static options: readonly string[] | null = null;
  /** Options the layer cannot do without (Keras's required arguments): the constructor names a missing one. */
  static required: readonly string[] = [];
  name: string;
  private trainableFlag = true;
  /** Train mode (dropout active, batch-norm batch statistics). Keras layers start in inference mode. */
  training = false;
  built = false;
  dtype: DType;
  batchInputShape?: ShapeWithBatch;
  protected ownWeights: Weight[] = [];
  private fwdHooks: ForwardHook[] = [];
  private preHooks: ForwardPreHook[] = [];
  private bwdHooks: BackwardHook[] = [];
  /** The implementation behind `call`; `call` itself is routed through `apply` so hooks always fire. */
  protected callImpl: (inputs: LayerIO, kwargs: CallKwargs) => LayerIO;

  constructor(args: LayerArgs = {}) {
    const known = (new.target as typeof Layer).options;
    if (known) {
      if (args === null || typeof args !== 'object' || Array.isArray(args))
        throw new ValueError(
          `${this.className}: options must be an object, got ${Array.isArray(args) ? 'an array' : args === null ? 'null' : typeof args}`,
        );
      checkOptions(this.className, args, [...known, ...LAYER_OPTIONS]);
    }
    for (const k of (new.target as typeof Layer).required)
      if ((args as Record<string, unknown>)[k] === undefined)
        throw new ValueError(
          `${args.name ? `${args.name} (${this.className})` : this.className}: the option '${k}' is required`,
        );
    this.name = args.name ?? uniqueName(snakeCase(this.className));
    if (args.trainable !== undefined) this.trainable = args.trainable;
    this.dtype = args.dtype ?? 'float32';
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    const impl = this.call;
    this.callImpl = (x, kw) => impl.call(this, x, kw);
    this.call = (x: LayerIO, kw?: CallKwargs) => this.apply(x, kw) as LayerIO;
    // NOTE: `build` is routed like `call`: a direct `layer.build(shape)` marks the layer built (Keras), and
    // building a built layer is a no-op, so weights set after a build are kept.
    const buildImpl = this.build;
    this.build = (s: Shape | Shape[]) => {
      if (this.isBuilt()) return;
      withScope(this.name, () => buildImpl.call(this, s));
      this.built = true;
    };
  }

  /** The Keras class name; a user subclass that does not set `static className` goes by its JS class name. */
  get className(): string {
    const ctor = this.constructor as typeof Layer;
    return Object.prototype.hasOwnProperty.call(ctor, 'className') || !ctor.name ? ctor.className : ctor.name;
  }

  /** Create weights for this input shape (batch axis first). Called once, before the first call. */
  build(_inputShape: Shape | Shape[]): void {}

  /** The computation. Override in subclasses; users call `apply`. */
  abstract call(inputs: LayerIO, kwargs?: CallKwargs): LayerIO;

  /** Run the layer: builds on first use, runs hooks, names the scope; symbolic inputs build a graph. */
  apply(
    inputs: LayerIO | SymbolicTensor | SymbolicTensor[],
    kwargs: CallKwargs = {},
  ): LayerIO | SymbolicTensor | SymbolicTensor[] {
    if (
      inputs instanceof SymbolicTensor ||
      (Array.isArray(inputs) && inputs.some((t) => t instanceof SymbolicTensor))
    )
      return applySymbolic(this, inputs as SymbolicTensor | SymbolicTensor[], kwargs);
    let x = inputs as LayerIO;
    checkInputs(this, x);
    const hooks = !isInferringShapes();
    if (hooks && this.preHooks.length) for (const h of this.preHooks) x = keepAll(h(this, keepAll(x)) ?? x);
    // NOTE: a declared input shape wins over the first input (Keras builds from input_shape).
    if (!this.built) {
      if (this.batchInputShape) this.buildShape(this.batchInputShape as Shape);
      else this.buildFor(x);
    }
    const kw = { training: this.training, ...kwargs };
    // NOTE: a lifetime frame: what the call makes and neither returns nor needs for backward is released here.
    let y = withLayerFrame(this.name, () =>
      withScope(this.name, () => {
        try {
          return this.callImpl(x, kw);
        } catch (e) {
          if (
            e instanceof TapegradError &&
            !e.message.startsWith(`${this.name} (`) &&
            !e.message.startsWith(`${this.name}:`)
          )
            e.message = `${this.name} (${this.className}): ${e.message}`;
          throw e;
        }
      }),
    );
    if (hooks && this.fwdHooks.length) {
      keepAll(x); // hooks are user code: what they are shown may be kept
      keepAll(y);
      for (const h of this.fwdHooks) y = keepAll(h(this, x, y) ?? y);
    }
    if (hooks && this.bwdHooks.length)
      for (const t of Array.isArray(y) ? y : [y])
        t.registerHook((g) => this.bwdHooks.reduce<Tensor>((acc, h) => h(this, acc) ?? acc, g));
    return y;
  }

  /** Build from an input: `build` gets a Shape for one tensor, Shape[] for a list. */
  buildFor(x: LayerIO): void {
    this.buildShape(Array.isArray(x) ? x.map((t) => t.shape) : x.shape);
  }
  buildShape(s: Shape | Shape[]): void {
    this.build(s);
  }

  /** Create a weight (Keras `add_weight`); its path name is `<layer>.<name>` once a model names it. */
  addWeight(
    name: string,
    shape: Shape,
    init: InitializerSpec = 'glorotUniform',
    opts: { trainable?: boolean; dtype?: DType } = {},
  ): Tensor {
    const t = keep(getInitializer(init)(shape, opts.dtype ?? this.dtype));
    const trainable = opts.trainable ?? true;
    t.requiresGrad = trainable;
    t.name = `${this.name}.${name}`;
    this.ownWeights.push({ name, value: t, trainable });
    return t;
  }

  /** Sub-layers, found as own properties (a layer, or an array of layers), in declaration order. */
  children(): [string, Layer][] {
    const out: [string, Layer][] = [];
    for (const [k, v] of Object.entries(this)) {
      if (v instanceof Layer) out.push([k, v]);
      else if (Array.isArray(v) && v.length && v.every((e) => e instanceof Layer))
        v.forEach((e, i) => out.push([`${k}.${i}`, e]));
    }
    return out;
  }

  /** Every weight with its path (own weights first, then children's), Keras order. */
  namedWeights(prefix = ''): [string, Weight][] {
    const own = this.ownWeights.map((w): [string, Weight] => [`${prefix}${w.name}`, w]);
    return [
      ...own,
      ...this.children().flatMap(([k, c]) => c.namedWeights(`${prefix}${this.childPrefix(k, c)}.`)),
    ];
  }
  /** How a child's weights are prefixed (Keras containers use the child's layer name). */
  protected childPrefix(key: string, _child: Layer): string {
    return key;
  }

  /**
   * Whether the layer's weights train (Keras `trainable`). A weight trains only when it is trainable itself and so are
   * its layer and every layer that holds it. NOTE: as Keras 2, setting it sets every sub-layer's too (so a frozen
   * base model's BatchNormalization runs in inference mode); the `trainable` option of a constructor sets this layer's
   * flag only, and its sub-layers' weights are frozen through it.
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }
  set trainable(on: boolean) {
    if (typeof on !== 'boolean')
      throw new ValueError(
        `${this.name} (${this.className}): trainable must be true or false, got ${String(on)}`,
      );
    this.trainableFlag = on;
    trainableChanges++;
    for (const [, c] of this.children()) c.trainable = on;
  }

  /** The weights held by sub-layers that are not trainable (frozen with everything they hold). */
  private frozenByChildren(): Set<Tensor> {
    const out = new Set<Tensor>();
    const walk = (l: Layer): void => {
      for (const [, c] of l.children())
        if (!c.trainable) for (const w of c.weights) out.add(w.value);
        else walk(c);
    };
    walk(this);
    return out;
  }
  /** Every weight with its path and whether it trains (see `trainable`). */
  private weightsTraining(): [string, Weight, boolean][] {
    if (!this.built) buildByContainer(this);
    const ws = this.namedWeights();
    if (!this.trainable) return ws.map(([n, w]) => [n, w, false]);
    const frozen = this.frozenByChildren();
    return ws.map(([n, w]) => [n, w, w.trainable && !frozen.has(w.value)]);
  }

  get weights(): Weight[] {
    if (!this.built) buildByContainer(this);
    return this.namedWeights().map(([, w]) => w);
  }
  get trainableWeights(): Weight[] {
    return this.weightsTraining()
      .filter(([, , on]) => on)
      .map(([, w]) => w);
  }
  get nonTrainableWeights(): Weight[] {
    return this.weightsTraining()
      .filter(([, , on]) => !on)
      .map(([, w]) => w);
  }
  /** Trainable parameters with paths, e.g. `['conv1.kernel', t]`. Errors on an unbuilt model. */
  namedParameters(): [string, Tensor][] {
    this.assertBuilt('read its parameters');
    return this.weightsTraining()
      .filter(([, , on]) => on)
      .map(([n, w]) => [n, w.value]);
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  /** Values of the float weights (NOTE: an integer counter such as BatchNorm's num_batches_tracked is no parameter). */
  countParams(): number {
    return this.weights.reduce((a, w) => a + (isFloat(w.value.dtype) ? w.value.size : 0), 0);
  }
  /** Copies of the weight values in Keras order (as Keras `get_weights()`: changing them changes nothing). */
  getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.value.data.slice(), w.value.shape));
  }
  /** Overwrite weight values in Keras order; shapes must match. */
  setWeights(values: Tensor[]): void {
    const ws = this.weights;
    if (!ws.length && values.length && !this.isBuilt()) this.assertBuilt('set');
    if (values.length !== ws.length)
      throw new ValueError(
        `${this.name}.setWeights: expected ${ws.length} arrays (${ws.map((w) => w.name).join(', ')}), got ${values.length}`,
      );
    ws.forEach((w, i) => {
      const v = values[i];
      if (v.shape.length !== w.value.shape.length || v.shape.some((d, j) => d !== w.value.shape[j]))
        throw new ShapeError(
          `${this.name}.setWeights: '${w.name}' has shape ${fmtShape(w.value.shape)} but the value has shape ${fmtShape(v.shape)}`,
        );
      writeValues(w.value, v.data);
    });
  }

  assertBuilt(action: string): void {
    if (!this.isBuilt())
      throw new ValueError(
        `${this.name}: the ${this.children().length ? 'model' : 'layer'} is not built yet, so it has no weights to ${action}; ` +
          'call build(inputShape), or run it once on an input (or give the first layer an inputShape)',
      );
  }
  isBuilt(): boolean {
    return this.built && this.children().every(([, c]) => c.isBuilt());
  }

  /** Switch this layer and all children to train (true) or inference (false) mode. */
  train(on = true): this {
    this.training = on;
    for (const [, c] of this.children()) c.train(on);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Whether any forward, pre-forward or backward hook is registered on this layer (not its children). */
  get hasHooks(): boolean {
    return this.fwdHooks.length + this.preHooks.length + this.bwdHooks.length > 0;
  }
  registerForwardHook(h: ForwardHook): () => void {
    this.fwdHooks.push(h);
    return () => void (this.fwdHooks = this.fwdHooks.filter((f) => f !== h));
  }
  registerForwardPreHook(h: ForwardPreHook): () => void {
    this.preHooks.push(h);
    return () => void (this.preHooks = this.preHooks.filter((f) => f !== h));
  }
  registerBackwardHook(h: BackwardHook): () => void {
    this.bwdHooks.push(h);
    return () => void (this.bwdHooks = this.bwdHooks.filter((f) => f !== h));
  }

  /**
   * The layer's weight regularization penalties (its own weights' and its sub-layers'), one scalar per regularized
   * weight, differentiable; empty before the layer is built (Keras `layer.losses`).
   * NOTE: TF.js's `layer.losses` holds functions that compute these (its `calculateLosses()` calls them); tapegrad
   * gives the values, as Keras and `model.losses` do.
   */
  get losses(): Tensor[] {
    // NOTE: without regularizers.ts loaded no layer was given a regularizer, so there is no penalty
    return penaltiesOf ? penaltiesOf(this) : [];
  }
  /** TF.js `calculateLosses()`: the values of `losses`. */
  calculateLosses(): Tensor[] {
    return this.losses;
  }

  /** Keras config (the JSON `config` of this layer). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: this.dtype };
    if (this.batchInputShape) c.batch_input_shape = this.batchInputShape;
    return c;
  }
  /** Optional: the parameter count as a formula, e.g. `(4·4·1+1)·10 = 170`. */
  paramFormula(): string | null {
    return null;
  }
  /** Expected input rank (with batch) for a clear error before the call; null = any. */
  expectedRank(): number | null {
    return null;
  }
  /** Optional: the axes of the expected input in words, e.g. `[batch, height, width, channels]`, for errors. */
  expectedLayout(): string | null {
    return null;
  }
}

/** Check rank before calling, with a hint about the usual cause. */
function checkInputs(layer: Layer, x: LayerIO): void {
  const want = layer.expectedRank();
  if (want === null || Array.isArray(x)) return;
  if (!(x instanceof Tensor))
    throw new ValueError(`${layer.name} (${layer.className}): input must be a Tensor, got ${typeof x}`);
  if (x.rank === want) return;
  const layout = layer.expectedLayout();
  // NOTE: one axis short is either the batch axis or (for conv/pool layers) the channel axis; name both.
  const hint =
    x.rank === want - 1
      ? ` — is the batch axis missing? (inputs are [batch, ...])${want >= 3 ? ` Or the channel axis? (e.g. reshape ${fmtShape(x.shape)} to ${fmtShape([...x.shape, 1])})` : ''}`
      : x.rank > want && want === 2
        ? ' — add a Flatten layer before it'
        : x.rank === want + 1 && want === 3
          ? ' — a recurrent layer before it may need returnSequences: false, or the input has an extra axis'
          : '';
  throw new ShapeError(
    `${layer.name} (${layer.className}): expected input of rank ${want}${layout ? ` ${layout}` : ' (batch first)'}, got shape ${fmtShape(x.shape)}${hint}`,
  );
}

/** Every layer under `root` (itself first), each once however often it is shared, depth first through children(). */
export function layersUnder(root: Layer): Layer[] {
  const seen = new Set<Layer>();
  const walk = (l: Layer): void => {
    if (seen.has(l)) return;
    seen.add(l);
    for (const [, c] of l.children()) walk(c);
  };
  walk(root);
  return [...seen];
}
