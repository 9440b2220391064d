// Which Keras wrote a model (1, 2 or 3; TensorFlow or Theano backend), and the semantics that follow from it.
import type { KerasFile } from './types.js';
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';

export type KerasMajor = 1 | 2 | 3;

/** Everything about the writer of a model that changes how its config and weights are read. */
export interface KerasContext {
  /** File name for messages (`<config>` when there is no file). */
  source: string;
  /** The version string as stored (`2.1.3`, `2.2.4-tf`, `3.8.0`, `tfjs-layers 4.1.0`), or null. */
  version: string | null;
  major: KerasMajor;
  /** How `major` was decided. */
  majorFrom: 'file' | 'config style' | 'option' | 'default';
  backend: string | null;
  /** How `backend` was decided: the file's attribute, inferred from weight names, an option, or unknown. */
  backendFrom: 'file' | 'weight names' | 'option' | 'none';
  /** True when the model came from a TF.js layers model (TF.js activations). */
  tfjs: boolean;
}

/** Major version from a version string: `1.2.2` → 1, `2.2.4-tf` → 2, `3.8.0` → 3, `tfjs-layers 4.0` → 2. */
export function majorOf(version: string | null): KerasMajor | null {
  if (!version) return null;
  if (/tfjs/i.test(version)) return 2;
  const m = /(\d+)\./.exec(version) ?? /^(\d+)$/.exec(version.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 1 ? 1 : n === 2 ? 2 : 3;
}

const KERAS1_KEYS = [
  'output_dim',
  'nb_filter',
  'border_mode',
  'subsample',
  'dim_ordering',
  'init',
  'inner_activation',
  'W_regularizer',
  'pool_length',
  'filter_length',
  'nb_row',
];

/** Guess the writer from the config's style when no version is recorded. */
export function majorFromConfigStyle(modelConfig: JsonValue | null): KerasMajor | null {
  if (!modelConfig) return null;
  let k1 = false;
  let k3 = false;
  const seen = new Set<JsonValue>();
  const walk = (v: JsonValue, depth: number): void => {
    if (depth > 64 || v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach((x) => walk(x, depth + 1));
    if ('module' in v && 'registered_name' in v) k3 = true;
    if (v.class_name === 'Functional' || v.class_name === '__keras_tensor__') k3 = true;
    for (const key of KERAS1_KEYS) if (key in v) k1 = true;
    for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(modelConfig, 0);
  return k3 ? 3 : k1 ? 1 : null;
}

/** Infer the backend of a legacy file from its weight names: TensorFlow variables end in `:0`, Theano's do not. */
export function backendFromWeightNames(file: KerasFile): string | null {
  const names = file.layers.flatMap((l) => l.weights.map((w) => w.name));
  if (!names.length) return null;
  if (names.every((n) => /:\d+$/.test(n))) return 'tensorflow';
  if (names.every((n) => !/:\d+$/.test(n))) return 'theano';
  return null;
}

export interface ContextOptions {
  /** Override the Keras major version (1, 2 or 3). */
  kerasVersion?: KerasMajor | string;
  /** Override the backend that saved the weights ('tensorflow' or 'theano'). */
  backend?: string;
}

/** Build the context for a file (or a bare config), honouring overrides. */
export function makeContext(
  file: Pick<KerasFile, 'source' | 'kerasVersion' | 'backend' | 'format' | 'modelConfig' | 'layers'>,
  opts: ContextOptions = {},
): KerasContext {
  let version = file.kerasVersion;
  const tfjs = file.format === 'tfjs';
  let major: KerasMajor;
  let majorFrom: KerasContext['majorFrom'];
  if (opts.kerasVersion !== undefined) {
    const m = typeof opts.kerasVersion === 'number' ? opts.kerasVersion : majorOf(opts.kerasVersion);
    major = m ?? 2;
    majorFrom = 'option';
    if (typeof opts.kerasVersion === 'string') version = opts.kerasVersion;
  } else if (majorOf(version) !== null) {
    major = majorOf(version)!;
    majorFrom = 'file';
  } else if (file.format === 'keras3' || file.format === 'keras3-weights') {
    major = 3;
    majorFrom = 'file';
  } else {
    const guess = majorFromConfigStyle(file.modelConfig);
    major = guess ?? (file.format === 'h5-model' || file.format === 'h5-weights' ? 1 : 2);
    majorFrom = guess !== null ? 'config style' : 'default';
  }
  // NOTE: Keras itself treats a legacy HDF5 file without a keras_version attribute as written by Keras 1.
  let backend: string | null = file.backend;
  let backendFrom: KerasContext['backendFrom'] = backend ? 'file' : 'none';
  if (opts.backend) {
    backend = opts.backend;
    backendFrom = 'option';
  } else if (!backend && (file.format === 'h5-model' || file.format === 'h5-weights')) {
    backend = backendFromWeightNames(file as KerasFile);
    if (backend) backendFrom = 'weight names';
  }
  return { source: file.source, version, major, majorFrom, backend, backendFrom, tfjs };
}

/** Context for a bare config given in code (no file). */
export function configContext(
  modelConfig: JsonValue,
  opts: ContextOptions & { source?: string } = {},
): KerasContext {
  const v =
    isJsonObject(modelConfig) && typeof modelConfig.keras_version === 'string'
      ? modelConfig.keras_version
      : null;
  const b = isJsonObject(modelConfig) && typeof modelConfig.backend === 'string' ? modelConfig.backend : null;
  return makeContext(
    {
      source: opts.source ?? '<config>',
      kerasVersion: v,
      backend: b,
      format: 'keras-json',
      modelConfig,
      layers: [],
    },
    opts,
  );
}
