// readKerasFile: detect a Keras-family file from its bytes and read it into the neutral KerasFile structure.
import { checkOptions } from '../../core/options.js';
import { HDF5_OPTIONS, READ_KERAS_OPTIONS, pickOptions } from '../option-keys.js';
import { FormatError } from '../errors.js';
import { type Hdf5Options, isHdf5, openHdf5 } from '../hdf5.js';
import { OPTIMIZER_PATHS, kerasH5Layout, readKeras3Weights, readLegacyH5 } from './h5.js';
import type { KerasFile } from './types.js';
import { readKeras3Zip } from './zip.js';
import { isJsonObject, parseJsonBytes } from '../safe-json.js';
import { type ByteSource, loadSource } from '../source.js';
import { type TfjsOptions, readTfjsModel } from '../tfjs.js';
import { type ZipLimits, isZip } from '../zip.js';

export interface ReadKerasOptions extends Hdf5Options, ZipLimits, TfjsOptions {}

/** The container a file's bytes start with: 'hdf5', 'zip', 'json', or 'unknown'. */
export function sniffContainer(bytes: Uint8Array): 'hdf5' | 'zip' | 'json' | 'unknown' {
  // NOTE: a zip first: a .keras whose stored model.weights.h5 lands at an HDF5 user-block offset is still a zip
  if (isZip(bytes)) return 'zip';
  if (isHdf5(bytes)) return 'hdf5';
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  return bytes[i] === 0x7b ? 'json' : 'unknown';
}

/**
 * Read any Keras-family model or weights file. The format is detected from the bytes, not the file name: legacy
 * Keras 1/2 `.h5` (full model or save_weights), Keras 3 `.keras` zip or `.weights.h5`, TF.js `model.json` (shards
 * read relative to the json path, or from `opts.shards`), and `model.to_json()` architecture files.
 * Every failure is a FormatError/FileError naming the file and the field.
 */
export async function readKerasFile(src: ByteSource, opts: ReadKerasOptions = {}): Promise<KerasFile> {
  checkOptions('readKerasFile', opts, READ_KERAS_OPTIONS);
  const { bytes, name, path } = loadSource(src, 'keras', { name: opts.name, maxBytes: opts.maxFileBytes });
  const kind = sniffContainer(bytes);
  if (kind === 'hdf5') {
    const f = await openHdf5(bytes, {
      ...pickOptions(opts, HDF5_OPTIONS),
      name,
      skipData: [...OPTIMIZER_PATHS, ...(opts.skipData ?? [])],
    });
    const layout = kerasH5Layout(f);
    if (layout === null)
      throw new FormatError(
        `${name}: HDF5 file is not a Keras model or weights file (no model_config, model_weights, layer_names or layers group)`,
      );
    if (layout === 'keras3-weights')
      return {
        format: 'keras3-weights',
        source: name,
        kerasVersion: null,
        backend: null,
        modelConfig: null,
        trainingConfig: null,
        metadata: null,
        layers: readKeras3Weights(f),
      };
    return readLegacyH5(f, layout);
  }
  if (kind === 'zip') return readKeras3Zip(bytes, name, opts);
  if (kind === 'json') {
    const json = parseJsonBytes(bytes, name);
    if (!isJsonObject(json)) throw new FormatError(`${name}: JSON is not an object`);
    if ('weightsManifest' in json || 'modelTopology' in json) return readTfjsModel(json, name, path, opts);
    if (typeof json.class_name === 'string' && 'config' in json) {
      const str = (k: string): string | null => (typeof json[k] === 'string' ? (json[k] as string) : null);
      return {
        format: 'keras-json',
        source: name,
        kerasVersion: str('keras_version'),
        backend: str('backend'),
        modelConfig: json,
        trainingConfig: null,
        metadata: null,
        layers: [],
      };
    }
    throw new FormatError(
      `${name}: JSON is neither a TF.js model.json (modelTopology/weightsManifest) nor a Keras model config`,
    );
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new FormatError(
    `${name}: not a Keras file: neither HDF5, ZIP nor JSON (first bytes: ${head || 'none, empty file'})`,
  );
}
