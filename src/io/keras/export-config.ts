// A tapegrad model → its Keras model config (legacy Keras 2 JSON for .h5, Keras 3 JSON for .keras).
import { Functional } from '../../nn/keras/functional.js';
import type { Layer } from '../../nn/layer.js';
import { InputLayer } from '../../nn/keras/layers/input.js';
import { Model, Sequential } from '../../nn/keras/model.js';
import type { SymbolicTensor } from '../../nn/symbolic.js';
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { type JsonObject, isInertKey, regularizerForTarget } from './cfg.js';
import { KerasImportError } from './errors.js';
import { KerasFunctional, importedLayers } from './models.js';
import { exportOffsets } from './nested-nodes.js';

/** Keys kept although "inert": they say where and how a layer runs. */
const KEEP = new Set(['name', 'trainable', 'dtype', 'batch_input_shape']);

export interface ExportTarget {
  /** Write Keras 3 (`.keras`) style configs instead of legacy Keras 2 ones. */
  keras3: boolean;
}

/** The layers of a model in Keras order (functional models include their InputLayers). */
export function modelLayers(m: Model): Layer[] {
  if (m instanceof KerasFunctional && m.layerOrder.length) return m.layerOrder;
  if (m instanceof Sequential || m instanceof Functional) return m.layers;
  return m.children().map(([, l]) => l);
}

/** Drop keys that do not change inference (initializers, regularizers, constraints, ...), recursively for wrapped layers. */
function cleanConfig(cfg: JsonObject, target: ExportTarget, className: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(cfg)) {
    // a set regularizer is kept, in the target's form, so that fine-tuning the saved model keeps its penalty
    if (/_regularizer$/.test(k) && v !== null) {
      out[k] = regularizerForTarget(v, target.keras3);
      continue;
    }
    if (isInertKey(k) && !KEEP.has(k) && !(className === 'Embedding' && k === 'input_dim')) continue;
    if (k === 'file_class_name') continue;
    if ((k === 'layer' || k === 'backward_layer') && isJsonObject(v)) {
      out[k] = entry(
        String(v.class_name),
        isJsonObject(v.config) ? cleanConfig(v.config, target, String(v.class_name)) : {},
        target,
      );
      continue;
    }
    out[k] = v;
  }
  return inTargetVocabulary(className, out, target);
}

/**
 * Write a config in the target's own words (docs/keras-import.md, "Export"): Keras 3 for `.keras`, Keras 2 for `.h5`.
 * Keras 3 refuses keywords its constructors do not have, so renamed ones are renamed and dropped ones dropped.
 */
function inTargetVocabulary(className: string, cfg: JsonObject, target: ExportTarget): JsonObject {
  const refuse = (why: string): never => {
    throw new KerasImportError(`saveModel: layer '${String(cfg.name)}' (${className}) ${why}`);
  };
  if (className === 'Keras1CosineMerge' || className === 'Keras1BatchNormalization')
    refuse(
      `is a Keras 1 ${className === 'Keras1CosineMerge' ? "Merge(mode='cos')" : `BatchNormalization(mode=${String(cfg.mode)})`}, which neither Keras 2 nor Keras 3 has; it cannot be saved`,
    );
  if (target.keras3) {
    // NOTE: Keras 3 takes the input shape only from an InputLayer (batch_shape); the writer adds one.
    delete cfg.batch_input_shape;
    if (className === 'Embedding') delete cfg.input_length;
    // Keras 2 writes noise_shape (always null) on SpatialDropout*, whose Keras 3 constructors do not take it.
    if (/^SpatialDropout/.test(className)) {
      delete cfg.noise_shape;
      // NOTE: Keras 3's SpatialDropout* constructors take only rate, seed, name, dtype (and data_format), not the
      // base Layer's trainable (test/fixtures/keras-constructor-args.json); the layer has no weights to freeze.
      delete cfg.trainable;
    }
    if (className === 'DepthwiseConv2D' || className === 'Conv2DTranspose') {
      if (cfg.groups !== undefined && cfg.groups !== 1)
        refuse(
          `has groups=${String(cfg.groups)}, which Keras 3's ${className} does not take; save it as .h5`,
        );
      delete cfg.groups;
    }
    if (className === 'LeakyReLU' && 'alpha' in cfg) {
      cfg.negative_slope = cfg.negative_slope ?? cfg.alpha;
      delete cfg.alpha;
    }
    if (className === 'Lambda' && !(isJsonObject(cfg.function) && cfg.function.class_name === '__lambda__'))
      refuse(
        'holds a Keras 1/2 Lambda (marshalled Python bytecode), which Keras 3 cannot load; save it as .h5',
      );
    if (className === 'ThresholdedReLU')
      refuse('is a ThresholdedReLU, a class Keras 3 removed; save it as .h5 (or use ReLU with threshold)');
  } else {
    if (className === 'LeakyReLU' && 'negative_slope' in cfg) {
      cfg.alpha = cfg.negative_slope;
      delete cfg.negative_slope;
    }
    if (className === 'LayerNormalization' && cfg.rms_scaling === false) delete cfg.rms_scaling;
  }
  return cfg;
}

const entry = (className: string, config: JsonObject, target: ExportTarget): JsonObject =>
  target.keras3
    ? { module: 'keras.layers', class_name: className, config, registered_name: null }
    : { class_name: className, config };

/** The Keras class a layer is exported as (an imported layer's canonical class; Keras 1's row-dropout Embedding is an Embedding). */
export function exportClassName(layer: Layer): string {
  const c = importedLayers.get(layer)?.className;
  return c === 'Keras1Embedding' ? 'Embedding' : (c ?? layer.className);
}

/**
 * An activation name as Keras spells it: tg.layers takes TF.js's spellings (hardSigmoid, logSoftmax, leakyRelu), Keras
 * knows only its snake_case names ("Unknown activation function: hardSigmoid"), and TF.js camel-cases them on load.
 */
export const kerasActivationName = (a: string): string => a.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A code-built layer's config from getConfig, completed where getConfig leaves out a semantic option. */
function configOf(layer: Layer): { className: string; config: JsonObject } {
  const imported = importedLayers.get(layer);
  // NOTE: Keras 1 Embedding dropout (training only) has no Keras 2/3 option; Keras 2's own loader of Keras 1
  // configs dropped it the same way, and inference is unchanged.
  // NOTE: the imported config with the layer's current name and `trainable` (frozen or unfrozen since the import)
  if (imported?.className === 'Keras1Embedding') {
    const { dropout: _dropout, ...config } = imported.config;
    return { className: 'Embedding', config: { ...config, name: layer.name, trainable: layer.trainable } };
  }
  if (imported)
    return {
      className: imported.className,
      config: { ...imported.config, name: layer.name, trainable: layer.trainable },
    };
  const cfg = JSON.parse(JSON.stringify(layer.getConfig())) as JsonObject;
  const args = (layer as unknown as { args?: Record<string, unknown> }).args ?? {};
  const cls = layer.className;
  if (cls === 'Flatten' && args.dataFormat)
    cfg.data_format = args.dataFormat === 'channelsFirst' ? 'channels_first' : 'channels_last';
  if (cls === 'Permute' && Array.isArray(args.dims)) cfg.dims = args.dims as number[];
  if (/SpatialDropout/.test(cls) && typeof args.rate === 'number') cfg.rate = args.rate;
  for (const k of ['activation', 'recurrent_activation']) {
    if (cfg[k] === 'custom')
      throw new KerasImportError(
        `saveModel: layer '${layer.name}' (${cls}) uses a custom activation function, which Keras cannot load; use a named activation`,
      );
    if (typeof cfg[k] === 'string') cfg[k] = kerasActivationName(cfg[k] as string);
  }
  return { className: cls, config: cfg };
}

/** The model config to store, and every (layer, Keras class) it contains for the weight writer. */
export function exportModelConfig(model: Model, target: ExportTarget): JsonObject {
  return modelEntry(model, target, true);
}

function layerEntry(layer: Layer, target: ExportTarget, calledOn?: JsonValue[]): JsonObject {
  if (layer instanceof Model) return modelEntry(layer, target, false, calledOn);
  const { className, config } = configOf(layer);
  if (className === 'InputLayer')
    return entry('InputLayer', inputConfig(layer as InputLayer, target), target);
  return entry(className, cleanConfig(config, target, className), target);
}

function inputConfig(l: InputLayer, target: ExportTarget): JsonObject {
  const shape = (l.batchInputShape ?? []) as JsonValue[];
  return target.keras3
    ? { batch_shape: shape, dtype: l.dtype, sparse: false, name: l.name }
    : { batch_input_shape: shape, dtype: l.dtype, sparse: false, name: l.name };
}

/** The input shape a Sequential's first layer declares (a nested model: its own input's, as Keras builds it). */
function firstInputShape(l: Layer | undefined): JsonValue[] | null {
  if (l instanceof Functional)
    return l.inputs.length === 1 ? ([null, ...l.inputs[0].shape.slice(1)] as JsonValue[]) : null;
  if (l instanceof Sequential)
    return (l.batchInputShape as JsonValue[] | undefined) ?? firstInputShape(l.layers[0]);
  return (l?.batchInputShape as JsonValue[] | undefined) ?? null;
}

function modelEntry(m: Model, target: ExportTarget, top: boolean, calledOn?: JsonValue[]): JsonObject {
  const mod: JsonObject = target.keras3 ? { module: 'keras', registered_name: null } : {};
  if (m instanceof Functional) {
    const cfg = functionalConfig(m, target);
    return { ...mod, class_name: target.keras3 ? 'Functional' : 'Model', config: cfg };
  }
  if (!(m instanceof Sequential))
    throw new KerasImportError(
      `saveModel: model '${m.name}' (${m.className}) is neither Sequential nor functional; Keras cannot describe it`,
    );
  // NOTE: a nested Sequential declared without an input shape gets the shape it is called on in the outer graph, so
  // Keras builds it on an Input as TF.js always does: then every Keras numbers its calls from 1 (nested-nodes.ts).
  const shape = (m.batchInputShape ?? firstInputShape(m.layers[0]) ?? calledOn ?? null) as JsonValue[] | null;
  const layers = m.layers.map((l) => layerEntry(l, target));
  if (target.keras3) {
    if (shape)
      layers.unshift(
        entry(
          'InputLayer',
          { batch_shape: shape, dtype: 'float32', sparse: false, name: `${m.name}_input` },
          target,
        ),
      );
  } else if (shape && layers.length) {
    const first = layers[0].config as JsonObject;
    if (
      isJsonObject(first) &&
      !('batch_input_shape' in first) &&
      !(layers[0].class_name === 'Sequential' || layers[0].class_name === 'Model')
    )
      first.batch_input_shape = shape;
  }
  if (top && !shape)
    throw new KerasImportError(
      `saveModel: Sequential '${m.name}' has no known input shape; build it first (model.buildModel([null, ...]))`,
    );
  const cfg: JsonObject = { name: m.name, layers };
  if (shape && !target.keras3) cfg.build_input_shape = shape;
  return { ...mod, class_name: 'Sequential', config: cfg };
}

function functionalConfig(m: Functional, target: ExportTarget): JsonObject {
  const nodeIndex = new Map<Layer, number>();
  const ref = new Map<number, [string, number, number]>();
  const producer = new Map<number, Layer>();
  const inbound = new Map<Layer, JsonValue[]>();
  const calledOn = new Map<Layer, JsonValue[]>();
  // a nested model's calls are numbered as the target numbers them (nested-nodes.ts), other layers' from 0
  const shifted = (id: number, r: [string, number, number], endpoint: boolean): [string, number, number] => {
    const l = producer.get(id);
    if (!(l instanceof Model)) return r;
    const o = exportOffsets(l instanceof Functional ? 'functional' : 'sequential', target.keras3);
    return [r[0], r[1] + (endpoint ? o.endpoint : o.inbound), r[2]];
  };
  for (const node of m.nodes) {
    const k = nodeIndex.get(node.layer) ?? 0;
    nodeIndex.set(node.layer, k + 1);
    node.outputs.forEach((t, i) => {
      ref.set(t.id, [node.layer.name, k, i]);
      producer.set(t.id, node.layer);
    });
    if (node.layer instanceof InputLayer) continue;
    if (node.layer instanceof Sequential && !calledOn.has(node.layer) && node.inputs.length === 1)
      calledOn.set(node.layer, [null, ...node.inputs[0].shape.slice(1)] as JsonValue[]);
    const refOf = (t: SymbolicTensor): [string, number, number] => {
      const r = ref.get(t.id);
      if (!r)
        throw new KerasImportError(
          `saveModel: model '${m.name}': a tensor feeding '${node.layer.name}' has no producing layer`,
        );
      return shifted(t.id, r, false);
    };
    // a training flag fixed in the call (Monte Carlo dropout, a base model called with training=False) is kept
    const kwargs: JsonObject =
      typeof node.kwargs?.training === 'boolean' ? { training: node.kwargs.training } : {};
    let n: JsonValue;
    if (target.keras3) {
      const kt = (t: SymbolicTensor): JsonObject => ({
        class_name: '__keras_tensor__',
        config: { shape: t.shape as JsonValue[], dtype: t.dtype, keras_history: refOf(t) },
      });
      n = { args: node.inputs.length === 1 ? [kt(node.inputs[0])] : [node.inputs.map(kt)], kwargs };
    } else n = node.inputs.map((t) => [...refOf(t), { ...kwargs }] as JsonValue[]);
    inbound.set(node.layer, [...(inbound.get(node.layer) ?? []), n]);
  }
  const layers = modelLayers(m).map((l) => ({
    ...layerEntry(l, target, calledOn.get(l)),
    name: l.name,
    inbound_nodes: inbound.get(l) ?? [],
  }));
  const endpoint = (t: SymbolicTensor): JsonValue[] => {
    const r = ref.get(t.id);
    if (!r)
      throw new KerasImportError(
        `saveModel: model '${m.name}': an input or output tensor is not part of the graph`,
      );
    return shifted(t.id, r, true);
  };
  return {
    name: m.name,
    trainable: m.trainable,
    layers,
    input_layers: m.inputs.map(endpoint),
    output_layers: m.outputs.map(endpoint),
  };
}
