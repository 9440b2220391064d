// TF.js's topology JSON both ways: `model.toJSON()` (installed on Model here) and `tg.models.modelFromJSON`.
import { type Model, installTopologyWriter } from '../../nn/keras/model.js';
import { FormatError } from '../errors.js';
import { joinPath } from '../node-fs.js';
import { type JsonValue, isJsonObject, parseJsonSafe } from '../safe-json.js';
import { readTfjsModel } from '../tfjs.js';
import type { JsonObject } from './cfg.js';
import { customObjectsMap } from './custom-layer.js';
import { KerasImportError } from './errors.js';
import { type ImportedModel, modelFromFile } from './load.js';
import { withScopedLayers } from './registry.js';
import { tfjsModelTopology } from './save-tfjs.js';

installTopologyWriter((m: Model) => tfjsModelTopology(m, `${m.name}.toJSON`));

/** TF.js `io.ModelAndWeightsConfig`: a topology, and optionally the weights manifest and where its shards are. */
export interface ModelAndWeightsConfig {
  /** The model topology (`model.toJSON(null, false)`), or a Keras `{model_config, ...}` object. */
  modelTopology: JsonObject;
  /** The weights manifest of a model.json; its shards are read from the `pathPrefix` folder. */
  weightsManifest?: JsonValue[];
  /** The folder holding the weight shards (a local path: tapegrad does not fetch URLs). */
  pathPrefix?: string;
}

/** Keys of a ModelAndWeightsConfig, and the descriptive keys of a model.json that may come along with them. */
const CONFIG_KEYS = [
  'modelTopology',
  'weightsManifest',
  'pathPrefix',
  'format',
  'generatedBy',
  'convertedBy',
];

const refuse = (msg: string): never => {
  throw new KerasImportError(`models.modelFromJSON: ${msg}`);
};

/** The argument as a model.json-like object `{modelTopology, weightsManifest?}` and the shards' folder. */
function normalize(arg: unknown): { json: JsonObject; prefix: string | null } {
  let v = arg as JsonValue;
  if (typeof arg === 'string') {
    try {
      v = parseJsonSafe(arg, '<json>');
    } catch (e) {
      throw e instanceof FormatError
        ? e
        : new KerasImportError(`models.modelFromJSON: ${(e as Error).message}`);
    }
  }
  if (!isJsonObject(v))
    refuse(
      `expected a model topology object (model.toJSON()) or {modelTopology, weightsManifest?, pathPrefix?}, got ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`,
    );
  const o = v as JsonObject;
  // NOTE: as TF.js: an object without modelTopology is the topology itself
  if (!('modelTopology' in o)) return { json: { modelTopology: o }, prefix: null };
  const unknown = Object.keys(o).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length)
    refuse(
      `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${CONFIG_KEYS.join(', ')})`,
    );
  if (!isJsonObject(o.modelTopology)) refuse('modelTopology must be an object (the model topology JSON)');
  const manifest = o.weightsManifest;
  const prefix = o.pathPrefix;
  if (prefix !== undefined && typeof prefix !== 'string')
    refuse(`pathPrefix must be a string, got ${typeof prefix}`);
  if (manifest === undefined || manifest === null) {
    if (prefix !== undefined)
      refuse('pathPrefix is given without a weightsManifest: there are no weights to read');
    return { json: { modelTopology: o.modelTopology }, prefix: null };
  }
  if (typeof prefix !== 'string' || prefix === '')
    refuse(
      'weightsManifest needs pathPrefix, the folder holding its weight shards (or use tg.keras.loadModel(path))',
    );
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(prefix as string))
    refuse(
      `pathPrefix '${prefix as string}' is a URL; tapegrad reads shards from local files (download them first)`,
    );
  return { json: { modelTopology: o.modelTopology, weightsManifest: manifest }, prefix: prefix as string };
}

/**
 * Build a model from TF.js's topology JSON (TF.js `tf.models.modelFromJSON`): `model.toJSON()` of tapegrad or of
 * tfjs-layers (object or string), a Keras `{model_config}` JSON, or `{modelTopology, weightsManifest, pathPrefix}`.
 * Without a weights manifest the weights keep their initial (random) values; with one, every weight is read from
 * the shards in the `pathPrefix` folder and must match (the model's `loadReport` lists them). `customObjects` maps the
 * class names of custom layers in the topology to a tg.Layer subclass or a `registerLayer` implementation, for this
 * call only.
 */
export async function modelFromJSON(
  modelAndWeightsConfig: ModelAndWeightsConfig | JsonObject | string,
  customObjects?: unknown,
): Promise<ImportedModel> {
  // TF.js's customObjects: class name → implementation, for this call only (custom-layer.ts)
  const scoped = customObjectsMap(customObjects, 'models.modelFromJSON');
  const { json, prefix } = normalize(modelAndWeightsConfig);
  // NOTE: the shards resolve beside a model.json in the prefix folder (kept inside it), as TF.js fetches prefix/path
  const file = readTfjsModel(
    json,
    '<modelFromJSON>',
    prefix === null ? null : joinPath(prefix, 'model.json'),
  );
  if (!file.modelConfig) refuse('modelTopology holds no model config (no class_name or model_config)');
  return withScopedLayers(scoped, () => modelFromFile(file));
}

/** TF.js's `tf.models` namespace (`tg.models`). */
export const models = { modelFromJSON };
