// A tapegrad model as a TensorFlow.js layers model: model.json (modelTopology + weightsManifest) and one weight
// shard, as tfjs-layers' own `model.save` writes them, so `tf.loadLayersModel` runs it in the browser.
import type { Layer } from '../../nn/layer.js';
import { Bidirectional, TimeDistributed } from '../../nn/keras/layers/wrappers.js';
import { Model } from '../../nn/keras/model.js';
import { type JsonValue, isJsonObject } from '../safe-json.js';
import type { JsonObject } from './cfg.js';
import { KerasImportError } from './errors.js';
import { exportModelConfig, kerasActivationName, modelLayers } from './export-config.js';
import { importedFrom } from './models.js';

/** The tfjs-layers release whose model.json layout and layer semantics the writer follows (checked in the tests). */
export const TFJS_LAYERS_VERSION = '4.22.0';
/** The shard file name tfjs-layers' file writers use for a single shard. */
export const TFJS_SHARD_NAME = 'group1-shard1of1.bin';

/** One entry of a TF.js weights manifest group (`tf.io.WeightsManifestEntry`). */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** What `tf.io.fromMemory` / `tf.loadLayersModel` take (`tf.io.ModelArtifacts`), plus the model.json object. */
export interface TfjsArtifacts {
  /** The contents of model.json: modelTopology, weightsManifest (one group, one shard), format, generatedBy, ... */
  modelJson: JsonObject;
  modelTopology: JsonObject;
  weightSpecs: TfjsWeightSpec[];
  /** Every weight back to back, float32 little-endian, in weightSpecs order. */
  weightData: ArrayBuffer;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
}

/**
 * Layer classes tfjs-layers can deserialize (its serialization registry; test/io/keras/save-tfjs.test.ts checks
 * each one is registered there). Any other class is refused by name: TF.js would fail to load the file.
 */
export const TFJS_CLASSES: ReadonlySet<string> = new Set(
  (
    'InputLayer Sequential Model Functional Dense Activation Dropout SpatialDropout1D AlphaDropout GaussianNoise ' +
    'GaussianDropout Flatten Reshape Permute RepeatVector Masking Embedding ReLU LeakyReLU PReLU ELU ' +
    'ThresholdedReLU Softmax Conv1D Conv2D Conv3D Conv2DTranspose SeparableConv2D DepthwiseConv2D Cropping2D ' +
    'UpSampling2D ZeroPadding2D MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D ' +
    'AveragePooling3D GlobalAveragePooling1D GlobalAveragePooling2D GlobalMaxPooling1D GlobalMaxPooling2D ' +
    'BatchNormalization LayerNormalization SimpleRNN GRU LSTM TimeDistributed Bidirectional Add Multiply ' +
    'Average Maximum Minimum Concatenate Dot'
  ).split(' '),
);

/** Activation names tfjs-layers knows (Keras spelling; TF.js camel-cases them on load). */
export const TFJS_ACTIVATIONS: ReadonlySet<string> = new Set(
  'elu selu relu relu6 linear sigmoid hard_sigmoid softplus softsign tanh softmax log_softmax gelu mish swish'.split(
    ' ',
  ),
);

const refuse = (layer: string, cls: string, why: string): never => {
  throw new KerasImportError(`saveModel (tfjs): layer '${layer}' (${cls}) ${why}`);
};

/**
 * Rewrite the Keras 2 config into what tfjs-layers computes the same way, or refuse. NOTE: tfjs-layers constructors
 * ignore keys they do not know, so an option that changes the numbers and that TF.js lacks is refused here rather
 * than written into a file TF.js would load and run differently.
 */
function checkEntry(e: JsonObject, keras2HardSigmoid: boolean): void {
  const cls = String(e.class_name);
  const cfg = isJsonObject(e.config) ? e.config : {};
  const name = String(cfg.name ?? e.name ?? '?');
  if (cls === 'Sequential' || cls === 'Model') {
    const layers = (Array.isArray(cfg.layers) ? cfg.layers : []).filter(isJsonObject);
    for (const l of layers) checkEntry(l, keras2HardSigmoid);
    if (cls === 'Model') checkNestedModels(layers);
    return;
  }
  if (cls === 'Conv1D' && cfg.padding === 'causal')
    refuse(name, cls, "has padding 'causal', which TF.js's Conv1D does not implement (it throws at predict)");
  if (!TFJS_CLASSES.has(cls))
    refuse(name, cls, 'has no TF.js layers class (tfjs-layers cannot load it); it cannot be saved for TF.js');
  for (const k of ['activation', 'recurrent_activation']) {
    if (cfg[k] === undefined || cfg[k] === null) continue;
    // NOTE: an imported config may still carry a TF.js-style name. silu is Keras's other name of swish (the same
    // function); TF.js knows only 'swish'.
    if (typeof cfg[k] === 'string') cfg[k] = kerasActivationName(cfg[k] as string);
    if (cfg[k] === 'silu') cfg[k] = 'swish';
    const a = cfg[k];
    if (typeof a !== 'string' || !TFJS_ACTIVATIONS.has(a))
      refuse(name, cls, `uses activation ${JSON.stringify(a)} (${k}), which TF.js does not have`);
    if (a === 'hard_sigmoid' && !keras2HardSigmoid)
      refuse(
        name,
        cls,
        `uses hard_sigmoid (${k}) as Keras 3 defines it (relu6(x+3)/6); TF.js computes clip(0.2x+0.5, 0, 1)`,
      );
  }
  // NOTE: tfjs-layers throws when it calls a layer that has an activity regularizer, and knows one regularizer class
  if (cfg.activity_regularizer !== undefined && cfg.activity_regularizer !== null)
    refuse(
      name,
      cls,
      'has an activity regularizer, which tfjs-layers cannot run (its layers throw when called)',
    );
  for (const [k, v] of Object.entries(cfg))
    if (/_regularizer$/.test(k) && v !== null && !(isJsonObject(v) && v.class_name === 'L1L2'))
      refuse(name, cls, `has ${k} ${JSON.stringify(v).slice(0, 60)}; TF.js knows only the L1L2 regularizer`);
  const groups = cfg.groups;
  if (groups !== undefined && groups !== null && groups !== 1)
    refuse(name, cls, `has groups=${String(groups)}, which TF.js's ${cls} does not take`);
  if (cls === 'ReLU' && ((cfg.negative_slope ?? 0) !== 0 || (cfg.threshold ?? 0) !== 0))
    refuse(name, cls, 'has a negative_slope or threshold, which TF.js ReLU does not take (only max_value)');
  if (cls === 'GRU' && cfg.reset_after === true)
    refuse(
      name,
      cls,
      'has reset_after=true, which TF.js GRU does not support (build it with resetAfter: false)',
    );
  if (cls === 'LayerNormalization' && cfg.rms_scaling === true)
    refuse(name, cls, 'uses rms_scaling, which TF.js LayerNormalization does not take');
  if (cls === 'Bidirectional' && cfg.backward_layer != null)
    refuse(name, cls, 'has its own backward_layer, which TF.js Bidirectional does not take');
  for (const k of ['layer', 'backward_layer'])
    if (isJsonObject(cfg[k])) checkEntry(cfg[k] as JsonObject, keras2HardSigmoid);
}

/**
 * NOTE: a nested model's calls are already numbered as TF.js numbers them (from 1: export-config.ts, nested-nodes.ts),
 * and a nested Sequential gets the input shape it is called on; one that still has none (never called in the graph)
 * cannot be built by TF.js, so it is refused.
 */
function checkNestedModels(layers: JsonObject[]): void {
  for (const l of layers) {
    if (l.class_name !== 'Sequential') continue;
    const c = isJsonObject(l.config) ? l.config : {};
    const first = Array.isArray(c.layers) && isJsonObject(c.layers[0]) ? c.layers[0] : null;
    const firstCfg = first && isJsonObject(first.config) ? first.config : {};
    if (!('batch_input_shape' in firstCfg) && first?.class_name !== 'InputLayer')
      refuse(
        String(c.name),
        'Sequential',
        'is a nested Sequential without an input shape, which TF.js cannot build',
      );
  }
}

/** Every layer entry of a config by layer name (nested models included). */
function entriesByName(e: JsonObject, out = new Map<string, JsonObject>()): Map<string, JsonObject> {
  const cfg = isJsonObject(e.config) ? e.config : {};
  if (typeof cfg.name === 'string') out.set(cfg.name, e);
  for (const l of Array.isArray(cfg.layers) ? cfg.layers : []) if (isJsonObject(l)) entriesByName(l, out);
  return out;
}

interface NamedWeight {
  name: string;
  layer: Layer;
  data: ArrayLike<number>;
  shape: number[];
  dtype: string;
}

/**
 * A layer's weights with the names tfjs-layers gives its variables (and matches on load): `<layer>/<weight>`;
 * TimeDistributed's inner layer adds no scope; Bidirectional's halves are `<layer>/forward_<inner>/<weight>` and
 * `backward_<inner>`; a nested model's layers use their own names.
 */
function tfjsWeights(layer: Layer, scope: string, entries: Map<string, JsonObject>): NamedWeight[] {
  if (layer instanceof Model) {
    const inner = modelLayers(layer).flatMap((l) => tfjsWeights(l, l.name, entries));
    return [...new Map(inner.map((w) => [w.name, w])).values()]; // a shared layer once
  }
  if (layer instanceof Bidirectional) {
    const cfg = entries.get(layer.name)?.config;
    const inner =
      isJsonObject(cfg) && isJsonObject(cfg.layer) && isJsonObject(cfg.layer.config)
        ? cfg.layer.config.name
        : null;
    if (typeof inner !== 'string')
      refuse(layer.name, 'Bidirectional', 'has no wrapped layer name in its config');
    return [
      ...tfjsWeights(layer.forwardLayer, `${scope}/forward_${String(inner)}`, entries),
      ...tfjsWeights(layer.backwardLayer, `${scope}/backward_${String(inner)}`, entries),
    ];
  }
  if (layer instanceof TimeDistributed) return tfjsWeights(layer.layer, scope, entries);
  const children = layer.children();
  if (children.length)
    refuse(layer.name, layer.className, 'holds sub-layers that the TF.js writer does not know how to name');
  return layer.namedWeights().map(([p, w]) => ({
    name: `${scope}/${p.split('.').pop()}`,
    layer,
    data: w.value.data as ArrayLike<number>,
    shape: [...w.value.shape],
    dtype: w.value.dtype,
  }));
}

/**
 * The TF.js model topology of a model (`{class_name, config, keras_version, backend}`, what tfjs-layers'
 * `model.toJSON()` returns), checked for what TF.js can load. `where` names the caller in errors.
 */
export function tfjsModelTopology(model: Model, where: string): JsonObject {
  if (!(model instanceof Model))
    throw new KerasImportError(
      `${where}: expected a tapegrad model, got ${(model as object)?.constructor?.name ?? typeof model}`,
    );
  if (!model.isBuilt() && !model.ensureBuilt())
    throw new KerasImportError(
      `${where}: model '${model.name}' is not built yet; build it or run it once first`,
    );
  const config = exportModelConfig(model, { keras3: false });
  const ctx = importedFrom.get(model);
  checkEntry(config, ctx !== undefined && (ctx.major < 3 || ctx.tfjs));
  // NOTE: the topology is marked as TF.js's (as tfjs-layers' model.save marks it), so tapegrad reads it back with
  // TF.js's semantics (Keras 2 hard_sigmoid, which the checks above allow only where the model already meant it).
  return { ...config, keras_version: `tfjs-layers ${TFJS_LAYERS_VERSION}`, backend: 'TensorFlow.js' };
}

/**
 * The TF.js artifacts of a model, in memory: `tf.loadLayersModel(tf.io.fromMemory(a))` loads them, and
 * `modelJson` + `weightData` are what `saveModel(model, 'dir/model.json')` writes.
 */
export function toTfjsArtifacts(model: Model): TfjsArtifacts {
  const modelTopology = tfjsModelTopology(model, 'toTfjsArtifacts');
  const entries = entriesByName(modelTopology);
  const weights = modelLayers(model).flatMap((l) => tfjsWeights(l, l.name, entries));
  const seen = new Map<string, NamedWeight>();
  let count = 0;
  for (const w of weights) {
    const prev = seen.get(w.name);
    // NOTE: one layer reached through two models (a nested model also nested inside another): tfjs-layers lists its
    // weights once per model that holds it and its loader throws "Duplicate weight name", even on files it saved
    if (prev && prev.layer === w.layer)
      refuse(
        w.layer.name,
        w.layer.className,
        `is held by more than one model of the file (a layer or nested model that is also inside another nested model: its weight '${w.name}' would be listed once for each); tfjs-layers refuses such a file on load ("Duplicate weight name"), even one it saved itself. Save it as .h5 or .keras instead`,
      );
    if (prev && prev.layer !== w.layer)
      refuse(
        w.layer.name,
        w.layer.className,
        `has weight '${w.name}', a name another layer also gives; TF.js matches weights by name`,
      );
    if (w.dtype !== 'float32')
      refuse(
        w.layer.name,
        w.layer.className,
        `has ${w.dtype} weight '${w.name}'; TF.js layers models hold float32`,
      );
    if (prev) continue;
    seen.set(w.name, w);
    count += w.data.length;
  }
  const unique = [...seen.values()];
  // NOTE: Float32Array is platform-endian; a DataView writes little-endian on any machine, as TF.js reads it.
  const weightData = new ArrayBuffer(count * 4);
  const view = new DataView(weightData);
  let off = 0;
  for (const w of unique)
    for (let i = 0; i < w.data.length; i++, off += 4) view.setFloat32(off, w.data[i], true);
  const weightSpecs: TfjsWeightSpec[] = unique.map((w) => ({
    name: w.name,
    shape: w.shape,
    dtype: 'float32',
  }));
  const generatedBy = 'tapegrad';
  const modelJson: JsonObject = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology,
    weightsManifest: [{ paths: [TFJS_SHARD_NAME], weights: weightSpecs as unknown as JsonValue[] }],
  };
  return {
    modelJson,
    modelTopology,
    weightSpecs,
    weightData,
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
  };
}
