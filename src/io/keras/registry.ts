// The class → layer registry: built-in Keras classes, and user implementations registered by class or layer name.
import type { DType } from '../../core/dtype.js';
import type { Layer, LayerArgs } from '../../nn/layer.js';
import { type JsonObject, LayerCfg } from './cfg.js';
import type { KerasContext } from './context.js';
import type { NdWeight } from './ndarray.js';

/** What a builder can ask of the importer. */
export interface BuildCtx {
  ctx: KerasContext;
  /** Build a wrapped layer entry (`{class_name, config}`), e.g. the layer inside TimeDistributed. */
  nested(entry: JsonObject, key: string, parent: LayerCfg): Layer;
  /** Record a note for the load report. */
  warn(msg: string): void;
  /** The stored weights of a layer (name, shape) when a weight file is being loaded; empty otherwise. */
  fileWeights(layerName: string): { name: string; shape: number[] }[];
}

/** Context given to a weight converter. */
export interface WeightCtx {
  ctx: KerasContext;
  layer: Layer;
  cfg: JsonObject;
  /** Expected shapes in Keras order (from the built tapegrad layer). */
  expected: { name: string; shape: number[] }[];
}

/** Turns a layer's stored weights (file order) into the layer's Keras-2 order and layout. */
export type WeightConverter = (ws: NdWeight[], w: WeightCtx) => NdWeight[];

export interface LayerEntry {
  build: (c: LayerCfg, b: BuildCtx) => Layer;
  /** Version/backend conversions of stored weights (Keras 1 gates, Theano kernels, ...). */
  convertWeights?: WeightConverter;
}

const builtins = new Map<string, LayerEntry>();

/** Add built-in classes (used by the builder files). */
export function defineLayers(entries: Record<string, LayerEntry>): void {
  for (const [k, v] of Object.entries(entries)) builtins.set(k, v);
}

/** The built-in entry for a canonical class name. */
export const builtinEntry = (cls: string): LayerEntry | undefined => builtins.get(cls);

/** Canonical class names with a built-in implementation. */
export const builtinClassNames = (): string[] => [...builtins.keys()].sort();

/** A forward pass written by the user: inputs, the layer's weights (Keras order) and its Keras config. */
export type CustomCall = (
  inputs: import('../../core/tensor.js').Tensor | import('../../core/tensor.js').Tensor[],
  weights: import('../../core/tensor.js').Tensor[],
  config: Record<string, unknown>,
) => import('../../core/tensor.js').Tensor | import('../../core/tensor.js').Tensor[];

/** A user implementation: a forward function (with optional weight shapes), or a factory returning a Layer. */
export type CustomLayerImpl =
  | CustomCall
  | {
      call: CustomCall;
      /** Weight names and shapes (Keras order) for this config and input shape; default: the file's weights. */
      weights?: (
        config: Record<string, unknown>,
        inputShape: number[] | number[][],
      ) => { name: string; shape: number[]; trainable?: boolean }[];
    }
  | { layer: (config: Record<string, unknown>, args: LayerArgs & { dtype?: DType }) => Layer };

const byClass = new Map<string, CustomLayerImpl>();
const byName = new Map<string, CustomLayerImpl>();

/**
 * Register an implementation for a Keras class name (e.g. 'MyAttention') or a layer name (e.g. 'lambda_1').
 * Layer names win over class names; both win over built-ins. Pass `null` to remove a registration.
 */
export function registerLayer(
  key: string,
  impl: CustomLayerImpl | null,
  opts: { by?: 'class' | 'name' | 'auto' } = {},
): void {
  if (typeof key !== 'string' || !key)
    throw new TypeError('registerLayer: the first argument must be a class name or layer name');
  const by = opts.by ?? 'auto';
  const isClass = by === 'class' || (by === 'auto' && /^[A-Z]/.test(key));
  const map = isClass ? byClass : byName;
  if (impl === null) {
    map.delete(key);
    return;
  }
  if (!isCustomLayerImpl(impl))
    throw new TypeError(
      `registerLayer('${key}'): expected a function (inputs, weights, config) => output, {call, weights?}, or {layer: (config, args) => Layer}`,
    );
  map.set(key, impl);
}

/** Whether `impl` is what registerLayer takes: a forward function, `{call, weights?}` or `{layer}`. */
export const isCustomLayerImpl = (impl: unknown): impl is CustomLayerImpl =>
  typeof impl === 'function' ||
  (typeof impl === 'object' &&
    impl !== null &&
    (typeof (impl as { call?: unknown }).call === 'function' ||
      typeof (impl as { layer?: unknown }).layer === 'function'));

/** Class name → implementation for one import only (modelFromJSON's customObjects), or null. */
let scoped: Map<string, CustomLayerImpl> | null = null;
/**
 * Run `f` (synchronous: the whole model build) with `impls` resolving the layers of those class names before any
 * registration, and forget them after: customObjects of one call, not a global registration.
 */
export function withScopedLayers<T>(impls: Map<string, CustomLayerImpl>, f: () => T): T {
  const prev = scoped;
  scoped = impls;
  try {
    return f();
  } finally {
    scoped = prev;
  }
}

/**
 * The user implementation for a layer: the call's scoped classes first (TF.js's customObjects win over its global
 * registrations), then by layer name, then by class names (file's and canonical).
 */
export function customImpl(
  layerName: string,
  classNames: string[],
  registeredName: string | null,
): CustomLayerImpl | undefined {
  const inScope = scoped
    ? ((registeredName ? scoped.get(registeredName) : undefined) ??
      classNames.map((c) => scoped!.get(c)).find((x) => x !== undefined))
    : undefined;
  return (
    inScope ??
    byName.get(layerName) ??
    (registeredName ? byClass.get(registeredName) : undefined) ??
    classNames.map((c) => byClass.get(c)).find((x) => x !== undefined)
  );
}

/** Forget every user registration (tests). */
export function clearRegisteredLayers(): void {
  byClass.clear();
  byName.clear();
}

export { LayerCfg };
