// Keras 3 `.keras` archives: config.json + metadata.json + model.weights.h5, read from memory (never extracted).
import { HDF5_OPTIONS, pickOptions } from '../option-keys.js';
import { FormatError } from '../errors.js';
import { type Hdf5Options, openHdf5 } from '../hdf5.js';
import { OPTIMIZER_PATHS, readKeras3Weights } from './h5.js';
import type { KerasFile } from './types.js';
import { type JsonValue, isJsonObject, parseJsonBytes } from '../safe-json.js';
import { type ZipLimits, ZipArchive } from '../zip.js';

/**
 * Largest `config.json` / `metadata.json` inflated from a `.keras` archive (16 MiB): configs of real models are
 * kilobytes (a few hundred KiB for the largest Keras Applications), so anything near this is refused, not parsed.
 */
export const KERAS_CONFIG_MAX_BYTES = 16 * 1024 ** 2;

/**
 * Read a Keras 3 `.keras` zip held in memory. The archive's directory is validated first (entry names, count, total
 * declared size); only `config.json`, `metadata.json` and `model.weights.h5` are inflated.
 */
export async function readKeras3Zip(
  bytes: Uint8Array,
  name: string,
  opts: Hdf5Options & ZipLimits = {},
): Promise<KerasFile> {
  const zip = new ZipArchive(bytes, name, opts);
  if (!zip.has('config.json')) throw new FormatError(`${name}: Keras 3 archive has no config.json`);
  const config = parseJsonBytes(zip.read('config.json', KERAS_CONFIG_MAX_BYTES), `${name}: config.json`);
  if (!isJsonObject(config)) throw new FormatError(`${name}: config.json is not a JSON object`);
  const metadata = zip.has('metadata.json')
    ? parseJsonBytes(zip.read('metadata.json', KERAS_CONFIG_MAX_BYTES), `${name}: metadata.json`)
    : null;
  const meta = isJsonObject(metadata) ? metadata : {};
  let layers: KerasFile['layers'] = [];
  if (zip.has('model.weights.h5')) {
    const f = await openHdf5(zip.read('model.weights.h5'), {
      ...pickOptions(opts, HDF5_OPTIONS),
      name: `${name}: model.weights.h5`,
      skipData: OPTIMIZER_PATHS,
    });
    layers = readKeras3Weights(f, configLayerNames(config));
  } else if (zip.entries.some((e) => e.name.startsWith('model.weights.'))) {
    throw new FormatError(`${name}: only the HDF5 weights store (model.weights.h5) is supported`);
  }
  return {
    format: 'keras3',
    source: name,
    kerasVersion: typeof meta.keras_version === 'string' ? meta.keras_version : null,
    backend: typeof meta.backend === 'string' ? meta.backend : null,
    modelConfig: config,
    trainingConfig: config.compile_config ?? null,
    metadata,
    layers,
  };
}

/** Names of the top-level layers in a model config (`config.layers[*].config.name`), for ordering. */
export function configLayerNames(modelConfig: JsonValue): string[] {
  if (!isJsonObject(modelConfig)) return [];
  const inner = modelConfig.config;
  const list = Array.isArray(inner)
    ? inner
    : isJsonObject(inner) && Array.isArray(inner.layers)
      ? inner.layers
      : [];
  const out: string[] = [];
  for (const l of list) {
    if (!isJsonObject(l)) continue;
    const c = l.config;
    const n =
      isJsonObject(c) && typeof c.name === 'string' ? c.name : typeof l.name === 'string' ? l.name : null;
    if (n !== null) out.push(n);
  }
  return out;
}
