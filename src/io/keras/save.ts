// saveModel: a tapegrad model as Keras legacy HDF5 (.h5, model_config + model_weights) or Keras 3 (.keras zip).
import { checkOptions } from '../../core/options.js';
import { SAVE_MODEL_OPTIONS } from '../option-keys.js';
import { strToU8, zipSync } from 'fflate';
import type { Tensor } from '../../core/tensor.js';
import type { Layer } from '../../nn/layer.js';
import { RNNBase } from '../../nn/keras/layers/rnn-base.js';
import { Bidirectional, TimeDistributed } from '../../nn/keras/layers/wrappers.js';
import { MultiHeadAttention } from '../../nn/keras/layers/attention.js';
import { Model } from '../../nn/keras/model.js';
import { writeFileAtomic } from '../atomic.js';
import type { JsonValue } from '../safe-json.js';
import { KerasImportError } from './errors.js';
import { type ExportTarget, exportClassName, exportModelConfig, modelLayers } from './export-config.js';
import { H5Writer } from './h5-writer.js';
import { TFJS_SHARD_NAME, toTfjsArtifacts } from './save-tfjs.js';
import { importedFrom } from './models.js';
import { kerasSnakeCase } from './weights.js';

/** The Keras 3 version whose `.keras` layout the writer follows. */
export const KERAS3_FORMAT_VERSION = '3.8.0';

export interface SaveModelOptions {
  /**
   * 'h5' (legacy Keras 2 full-model HDF5), 'keras' (Keras 3 zip) or 'tfjs' (TF.js layers model: model.json plus
   * `group1-shard1of1.bin` beside it); default from the path's extension (`.keras`, `.json`), else 'h5'.
   */
  format?: 'h5' | 'keras' | 'tfjs';
}

/** JSON with every non-ASCII character escaped (as Python's json.dumps does), for HDF5 string attributes. */
const asciiJson = (v: JsonValue): string =>
  JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Save a model so Keras can load it: `keras.models.load_model('m.h5')` (tf.keras 2.x / Keras 3 legacy loader) or
 * `keras.saving.load_model('m.keras')`. Returns the file's bytes, and writes them when `path` is given.
 */
export async function saveModel(
  model: Model,
  path: string | null,
  opts: SaveModelOptions = {},
): Promise<Uint8Array> {
  checkOptions('keras.saveModel', opts, SAVE_MODEL_OPTIONS);
  if (!(model instanceof Model))
    throw new KerasImportError(
      `saveModel: expected a tapegrad model, got ${(model as object)?.constructor?.name ?? typeof model}`,
    );
  if (!model.isBuilt() && !model.ensureBuilt())
    throw new KerasImportError(
      `saveModel: model '${model.name}' is not built yet; build it or run it once first`,
    );
  const format =
    opts.format ?? (path && /\.keras$/i.test(path) ? 'keras' : path && /\.json$/i.test(path) ? 'tfjs' : 'h5');
  if (format === 'tfjs') return saveTfjs(model, path);
  if (format !== 'h5' && format !== 'keras')
    throw new KerasImportError(`saveModel: unknown format '${String(format)}' (use 'h5', 'keras' or 'tfjs')`);
  const bytes = format === 'keras' ? await saveKeras3(model) : await saveLegacyH5(model);
  if (path) {
    // NOTE: atomic (temp file, fsync, rename): a failed or killed save leaves the previous model file loadable.
    writeFileAtomic(path, bytes, 'saveModel');
  }
  return bytes;
}

/** model.json's bytes; with a path, the shard is written beside it first, then model.json (both atomically). */
function saveTfjs(model: Model, path: string | null): Uint8Array {
  const a = toTfjsArtifacts(model);
  const json = strToU8(JSON.stringify(a.modelJson));
  if (path) {
    // NOTE: shard first: a save that fails between the two files never leaves a model.json naming a missing shard.
    const dir = path.replace(/[^/\\]*$/, '');
    writeFileAtomic(dir + TFJS_SHARD_NAME, new Uint8Array(a.weightData), 'saveModel');
    writeFileAtomic(path, json, 'saveModel');
  }
  return json;
}

/** The Keras version recorded on export: the imported model's semantics (Keras 1 configs were converted to Keras 2). */
function exportVersion(model: Model): string {
  const ctx = importedFrom.get(model);
  if (!ctx) return KERAS3_FORMAT_VERSION;
  if (ctx.major === 1) return '2.1.6';
  if (ctx.major === 2) return ctx.version && !/tfjs/i.test(ctx.version) ? ctx.version : '2.1.6';
  return ctx.version ?? KERAS3_FORMAT_VERSION;
}

interface NamedWeight {
  name: string;
  value: Tensor;
  trainable: boolean;
}

/** A layer's weights in Keras order with legacy names (`dense_1/kernel:0`); nested models list trainable ones first. */
function legacyWeights(layer: Layer, scope: string): NamedWeight[] {
  if (layer instanceof Model) {
    const inner = modelLayers(layer).flatMap((l) => legacyWeights(l, l.name));
    return [...inner.filter((w) => w.trainable), ...inner.filter((w) => !w.trainable)];
  }
  const all = layer.namedWeights();
  const children = layer.children();
  const own = all.length - children.reduce((a, [, c]) => a + c.weights.length, 0);
  const out: NamedWeight[] = all
    .slice(0, own)
    .map(([p, w]) => ({ name: `${scope}/${p.split('.').pop()}:0`, value: w.value, trainable: w.trainable }));
  for (const [, c] of children) out.push(...legacyWeights(c, `${scope}/${c.name}`));
  return out;
}

async function saveLegacyH5(model: Model): Promise<Uint8Array> {
  const config = exportModelConfig(model, { keras3: false });
  const version = exportVersion(model);
  const w = await H5Writer.create();
  try {
    w.attrString('/', 'keras_version', version);
    w.attrString('/', 'backend', 'tensorflow');
    w.attrString('/', 'model_config', asciiJson(config));
    w.group('/model_weights');
    const layers = modelLayers(model);
    w.attrStrings(
      '/model_weights',
      'layer_names',
      layers.map((l) => l.name),
    );
    w.attrString('/model_weights', 'backend', 'tensorflow');
    w.attrString('/model_weights', 'keras_version', version);
    for (const l of layers) {
      const g = `/model_weights/${l.name}`;
      w.group(g);
      const ws = legacyWeights(l, l.name);
      w.attrStrings(
        g,
        'weight_names',
        ws.map((x) => x.name),
      );
      for (const x of ws) w.dataset(`${g}/${x.name}`, x.value.data as Float32Array, [...x.value.shape]);
    }
    return w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Keras 3 container names: snake_case class name, `_1`, `_2`, ... for repeats. */
function keras3Keys(layers: Layer[]): string[] {
  const used = new Map<string, number>();
  return layers.map((l) => {
    const base = kerasSnakeCase(exportClassName(l));
    const k = used.get(base);
    used.set(base, k === undefined ? 0 : k + 1);
    return k === undefined ? base : `${base}_${k + 1}`;
  });
}

/** Write one object's state the way Keras 3's saving_lib walks it: `vars/<i>`, then tracked children. */
function writeKeras3State(w: H5Writer, layer: Layer, path: string): void {
  w.group(`${path}/vars`);
  w.attrString(`${path}/vars`, 'name', layer.name);
  const vars = (ws: Tensor[], at: string) =>
    ws.forEach((t, i) => w.dataset(`${at}/vars/${i}`, t.data as Float32Array, [...t.shape]));
  if (layer instanceof Model) {
    const inner = modelLayers(layer).filter((l) => l.className !== 'InputLayer');
    const keys = keras3Keys(inner);
    w.group(`${path}/layers`);
    inner.forEach((l, i) => writeKeras3State(w, l, `${path}/layers/${keys[i]}`));
  } else if (layer instanceof Bidirectional) {
    writeKeras3State(w, layer.backwardLayer, `${path}/backward_layer`);
    writeKeras3State(w, layer.forwardLayer, `${path}/forward_layer`);
  } else if (layer instanceof TimeDistributed) {
    writeKeras3State(w, layer.layer, `${path}/layer`);
  } else if (layer instanceof RNNBase) {
    // NOTE: Keras 3 recurrent layers keep their weights on the cell (`cell/vars/0..2`).
    w.group(`${path}/cell/vars`);
    w.attrString(`${path}/cell/vars`, 'name', `${kerasSnakeCase(layer.className)}_cell`);
    vars(layer.getWeights(), `${path}/cell`);
  } else if (layer instanceof MultiHeadAttention) {
    // NOTE: Keras 3 MultiHeadAttention keeps its weights on EinsumDense sub-layers (`query_dense/vars/0..1`, ...).
    const ws = layer.getWeights();
    const per = ws.length / 4;
    ['query', 'key', 'value', 'output'].forEach((k, i) => {
      w.group(`${path}/${k}_dense/vars`);
      w.attrString(`${path}/${k}_dense/vars`, 'name', k === 'output' ? 'attention_output' : k);
      vars(ws.slice(i * per, (i + 1) * per), `${path}/${k}_dense`);
    });
  } else vars(layer.getWeights(), path);
}

/** Keras 2 and Keras 3 disagree on hard_sigmoid; a Keras 2 model using it cannot be described in Keras 3 terms. */
function checkKeras3Semantics(model: Model, config: JsonValue): void {
  const ctx = importedFrom.get(model);
  if (!ctx || ctx.major >= 3) return;
  const text = JSON.stringify(config);
  if (/"(recurrent_)?activation":\s*"hard_sigmoid"/.test(text))
    throw new KerasImportError(
      `saveModel: model '${model.name}' (from Keras ${ctx.version ?? ctx.major}) uses hard_sigmoid, which Keras 3 defines differently (relu6(x+3)/6 instead of clip(0.2x+0.5)); save it as .h5 instead`,
    );
}

async function saveKeras3(model: Model): Promise<Uint8Array> {
  const target: ExportTarget = { keras3: true };
  const config = exportModelConfig(model, target);
  checkKeras3Semantics(model, config);
  const w = await H5Writer.create();
  let weights: Uint8Array;
  try {
    w.group('/layers');
    w.group('/vars');
    w.attrString('/vars', 'name', model.name);
    const inner = modelLayers(model).filter((l) => l.className !== 'InputLayer');
    const keys = keras3Keys(inner);
    inner.forEach((l, i) => writeKeras3State(w, l, `/layers/${keys[i]}`));
    weights = w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
  const metadata = {
    keras_version: KERAS3_FORMAT_VERSION,
    date_saved: new Date().toISOString().replace('T', '@').slice(0, 19),
  };
  return zipSync({
    'metadata.json': strToU8(JSON.stringify(metadata)),
    'config.json': strToU8(JSON.stringify(config)),
    'model.weights.h5': [weights, { level: 0 }],
  });
}
