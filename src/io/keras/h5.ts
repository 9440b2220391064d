// Keras HDF5 layouts: legacy full model / save_weights (layer_names + weight_names) and Keras 3 `layers/<name>/vars/<i>`.
import { FormatError } from '../errors.js';
import type { Hdf5File } from '../hdf5.js';
import type { KerasFile, KerasLayerWeights, KerasWeight } from './types.js';
import { type JsonValue, isJsonObject, parseJsonSafe } from '../safe-json.js';

/** Which Keras layout an opened HDF5 file has, or null when it is not a Keras model/weights file. */
export function kerasH5Layout(f: Hdf5File): 'h5-model' | 'h5-weights' | 'keras3-weights' | null {
  if (f.hasAttr('/', 'model_config') || f.isGroup('/model_weights')) return 'h5-model';
  if (f.attrStrings('/', 'layer_names') !== undefined) return 'h5-weights';
  if (f.isGroup('/layers') || f.isGroup('/vars')) return 'keras3-weights';
  return null;
}

/** HDF5 path prefixes holding optimizer state, which the readers list but never load. */
export const OPTIMIZER_PATHS = ['/optimizer_weights', '/optimizer'];

/**
 * Read a legacy Keras 1/2 HDF5 file, following Keras's `legacy_h5_format`: the layer list is the `layer_names`
 * attribute (possibly chunked as `layer_names0`, `layer_names1`, ...) of `/model_weights` (full model) or of the root
 * (save_weights), and each layer group's `weight_names` attribute names its datasets in `layer.weights` order.
 */
export function readLegacyH5(f: Hdf5File, format: 'h5-model' | 'h5-weights'): KerasFile {
  const base = format === 'h5-model' ? '/model_weights' : '/';
  const modelConfig = jsonAttr(f, '/', 'model_config');
  const trainingConfig = jsonAttr(f, '/', 'training_config');
  if (format === 'h5-model' && modelConfig === null)
    throw new FormatError(`${f.name}: full-model HDF5 file has no model_config attribute`);
  const kerasVersion =
    stringAttr(f, '/', 'keras_version') ?? (f.isGroup(base) ? stringAttr(f, base, 'keras_version') : null);
  const backend = stringAttr(f, '/', 'backend') ?? (f.isGroup(base) ? stringAttr(f, base, 'backend') : null);
  const layers: KerasLayerWeights[] = [];
  if (f.isGroup(base)) {
    const names = f.attrStrings(base, 'layer_names');
    if (names === undefined) throw new FormatError(`${f.name}: group ${base} has no layer_names attribute`);
    for (const layerName of names) {
      const g = join(base, layerName);
      if (!f.isGroup(g))
        throw new FormatError(`${f.name}: layer_names lists '${layerName}' but there is no group ${g}`);
      const weightNames = f.attrStrings(g, 'weight_names') ?? [];
      const weights = weightNames.map((wn) => readWeight(f, g, wn, wn));
      layers.push({ name: layerName, path: g, weights });
    }
  }
  return {
    format,
    source: f.name,
    kerasVersion,
    backend,
    modelConfig,
    trainingConfig,
    metadata: null,
    layers,
  };
}

/**
 * Read the Keras 3 weights layout (`model.weights.h5` inside a `.keras` zip, or a `save_weights` file): every group
 * under `/layers` is one layer, and its datasets (`vars/0`, `vars/1`, ..., and nested objects such as `cell/vars/0`)
 * are its weights, ordered with `vars` first and numbers compared numerically. Layers follow `layerOrder` (the
 * config's layer names) where given, then the file's order. Optimizer state under `/optimizer` is not read.
 */
export function readKeras3Weights(f: Hdf5File, layerOrder: string[] = []): KerasLayerWeights[] {
  const layers: KerasLayerWeights[] = [];
  if (f.isGroup('/vars')) {
    const own = collectWeights(f, '/vars', '/');
    if (own.length) layers.push({ name: '', path: '/', weights: own });
  }
  if (f.isGroup('/layers')) {
    const present = f.groups('/layers');
    const ordered = [
      ...layerOrder.filter((n) => present.includes(n)),
      ...present.filter((n) => !layerOrder.includes(n)),
    ];
    for (const n of ordered) {
      const g = join('/layers', n);
      layers.push({ name: n, path: g, weights: collectWeights(f, g, g) });
    }
  }
  for (const top of f.groups('/')) {
    if (top === 'layers' || top === 'vars' || top === 'optimizer') continue;
    const g = join('/', top);
    const ws = collectWeights(f, g, g);
    if (ws.length) layers.push({ name: top, path: g, weights: ws });
  }
  return layers;
}

/** Datasets below `group` in Keras 3 order, named relative to `rel`. */
function collectWeights(f: Hdf5File, group: string, rel: string): KerasWeight[] {
  const out: KerasWeight[] = [];
  const names = [...f.children(group)].sort(keras3Order);
  for (const n of names) {
    const p = join(group, n);
    if (f.isDataset(p)) out.push(readWeight(f, rel, relative(rel, p), relative(rel, p)));
    else if (f.isGroup(p)) out.push(...collectWeights(f, p, rel));
  }
  return out;
}

/** `vars` before other members, then natural order (`2` before `10`). */
function keras3Order(a: string, b: string): number {
  if (a === 'vars' && b !== 'vars') return -1;
  if (b === 'vars' && a !== 'vars') return 1;
  return a.localeCompare(b, 'en', { numeric: true });
}

function readWeight(f: Hdf5File, group: string, relPath: string, name: string): KerasWeight {
  const p = join(group, relPath);
  if (!f.isDataset(p))
    throw new FormatError(`${f.name}: weight '${name}' of group ${group} is missing (no dataset ${p})`);
  const a = f.read(p);
  return { name, path: p, shape: a.shape, dtype: a.dtype, sourceDtype: a.sourceDtype, data: a.data };
}

function stringAttr(f: Hdf5File, path: string, name: string): string | null {
  if (!f.hasAttr(path, name)) return null;
  return f.attrString(path, name) ?? null;
}

function jsonAttr(f: Hdf5File, path: string, name: string): JsonValue | null {
  const s = stringAttr(f, path, name);
  if (s === null || s === '' || s === 'null') return null;
  const v = parseJsonSafe(s, `${f.name}: attribute ${name}`);
  if (v !== null && !isJsonObject(v))
    throw new FormatError(`${f.name}: attribute ${name} is JSON but not an object`);
  return v;
}

function join(parent: string, name: string): string {
  const p = parent.endsWith('/') ? parent.slice(0, -1) : parent;
  return `${p}/${name}`;
}

function relative(base: string, p: string): string {
  return base === '/' ? p.slice(1) : p.slice(base.length + 1);
}
