// `inspect`: what a Keras file holds (format, Keras version, backend, layers and weights) without building a model.
import { checkOptions } from '../../core/options.js';
import { READ_KERAS_OPTIONS } from '../option-keys.js';
import { readKerasFile, type ReadKerasOptions } from './files.js';
import type { KerasFile } from './types.js';
import { isJsonObject } from '../safe-json.js';
import type { ByteSource } from '../source.js';
import { makeContext } from './context.js';
import { parseModelConfig } from './spec.js';

export interface InspectResult {
  source: string;
  format: string;
  kerasVersion: string | null;
  /** The Keras major version the importer will assume, and why. */
  kerasMajor: number;
  kerasMajorFrom: string;
  backend: string | null;
  backendFrom: string;
  modelClass: string | null;
  /** Layers of the config (class and name), nested models flattened with `model/` prefixes. */
  layers: { name: string; className: string }[];
  /** Stored weights per layer. */
  weights: { layer: string; name: string; shape: number[]; dtype: string }[];
  params: number;
  metadata: unknown;
}

/** Describe a Keras file. */
export async function inspectKerasFile(src: ByteSource, opts: ReadKerasOptions = {}): Promise<InspectResult> {
  checkOptions('keras.inspect', opts, READ_KERAS_OPTIONS);
  return describeFile(await readKerasFile(src, opts));
}

/** Describe an already-read KerasFile. */
export function describeFile(f: KerasFile): InspectResult {
  const ctx = makeContext(f);
  const layers: InspectResult['layers'] = [];
  let modelClass: string | null = null;
  if (f.modelConfig) {
    modelClass =
      isJsonObject(f.modelConfig) && typeof f.modelConfig.class_name === 'string'
        ? f.modelConfig.class_name
        : null;
    const spec = parseModelConfig(f.modelConfig, ctx);
    const walk = (s: typeof spec, prefix: string): void => {
      for (const l of s.layers) {
        layers.push({ name: prefix + l.name, className: l.fileClassName });
        if (l.model) walk(l.model, `${prefix}${l.name}/`);
      }
    };
    walk(spec, '');
  }
  const weights = f.layers.flatMap((l) =>
    l.weights.map((w) => ({ layer: l.name, name: w.name, shape: [...w.shape], dtype: w.sourceDtype })),
  );
  const params = f.layers.reduce(
    (a, l) => a + l.weights.reduce((b, w) => b + w.shape.reduce((x, y) => x * y, 1), 0),
    0,
  );
  return {
    source: f.source,
    format: f.format,
    kerasVersion: f.kerasVersion,
    kerasMajor: ctx.major,
    kerasMajorFrom: ctx.majorFrom,
    backend: ctx.backend,
    backendFrom: ctx.backendFrom,
    modelClass,
    layers,
    weights,
    params,
    metadata: f.metadata,
  };
}

/** Text form of an inspection. */
export function formatInspect(r: InspectResult): string {
  const out: string[] = [];
  out.push(`file:     ${r.source}`);
  out.push(`format:   ${r.format}`);
  out.push(
    `keras:    ${r.kerasVersion ?? 'not recorded'} (read as Keras ${r.kerasMajor}${r.kerasMajorFrom === 'file' ? '' : `, ${r.kerasMajorFrom}`})`,
  );
  out.push(
    `backend:  ${r.backend ?? 'not recorded'}${r.backendFrom === 'weight names' ? ' (inferred from weight names)' : ''}`,
  );
  if (r.modelClass)
    out.push(`model:    ${r.modelClass}, ${r.layers.length} layer${r.layers.length === 1 ? '' : 's'}`);
  if (r.layers.length) {
    out.push('layers:');
    const w = Math.max(...r.layers.map((l) => l.name.length));
    for (const l of r.layers) out.push(`  ${l.name.padEnd(w)}  ${l.className}`);
  }
  out.push(
    `weights:  ${r.weights.length} array${r.weights.length === 1 ? '' : 's'}, ${r.params.toLocaleString('en-US')} values`,
  );
  for (const x of r.weights)
    out.push(`  ${x.layer}: ${x.name} (${x.shape.join(', ')}${x.shape.length === 1 ? ',' : ''}) ${x.dtype}`);
  return out.join('\n');
}
