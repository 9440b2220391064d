// TensorFlow.js layers models: model.json (modelTopology + weightsManifest) and its binary weight shards.
import type { TypedArray } from '../core/dtype.js';
import { FormatError } from './errors.js';
import type { KerasFile, KerasLayerWeights, KerasWeight } from './keras/types.js';
import { isAbsolutePath, resolveInside } from './node-fs.js';
import { decodeElements } from './numeric.js';
import { type JsonValue, isJsonObject } from './safe-json.js';
import { loadSource } from './source.js';

/** Shard bytes supplied by the caller, keyed by the path written in the manifest (or its base name). */
export type ShardMap = Map<string, Uint8Array> | Record<string, Uint8Array>;

export interface TfjsOptions {
  /** Shard bytes by manifest path; when absent, shards are read from files next to the model.json path. */
  shards?: ShardMap;
  /** Largest single shard file accepted (default 2 GiB). */
  maxShardBytes?: number;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * Read a parsed TF.js `model.json`. Each manifest group's shards are concatenated in order and its weights are laid
 * out back to back; every weight's byte count is checked against what the shards hold before any value is decoded,
 * and the shards must be used up exactly. Quantised weights (uint8/uint16 affine, float16) are dequantised.
 * @param jsonPath path of model.json (shards resolve relative to its folder), or null when read from bytes
 */
export function readTfjsModel(
  json: JsonValue,
  name: string,
  jsonPath: string | null,
  opts: TfjsOptions = {},
): KerasFile {
  if (!isJsonObject(json)) throw new FormatError(`${name}: not a JSON object`);
  if (json.format === 'graph-model')
    throw new FormatError(`${name}: a TF.js graph model, not a layers model (no Keras layer topology)`);
  const topo = json.modelTopology;
  if (!isJsonObject(topo)) throw new FormatError(`${name}: modelTopology is missing or not an object`);
  // NOTE: tfjs-layers accepts both `{model_config, keras_version, ...}` and a bare model config as modelTopology.
  const modelConfig = isJsonObject(topo.model_config)
    ? topo.model_config
    : 'class_name' in topo
      ? topo
      : null;
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new FormatError(`${name}: weightsManifest is not an array`);
  const layers: KerasLayerWeights[] = [];
  const byLayer = new Map<string, KerasLayerWeights>();
  // First pass: validate every group's specs (names, shapes, dtypes, byte counts) before any shard is read.
  const seen = new Map<string, string>();
  const plans = manifest.map((group, g) => {
    const gw = `${name}: weightsManifest[${g}]`;
    if (!isJsonObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new FormatError(`${gw} needs 'paths' and 'weights' arrays`);
    const specs = group.weights.map((spec, i) => {
      const ws = `${gw}.weights[${i}]`;
      if (
        !isJsonObject(spec) ||
        typeof spec.name !== 'string' ||
        !Array.isArray(spec.shape) ||
        typeof spec.dtype !== 'string'
      )
        throw new FormatError(`${ws} needs name, shape and dtype`);
      // NOTE: two weights with one name would make assignment by name ambiguous.
      const first = seen.get(spec.name);
      if (first !== undefined)
        throw new FormatError(
          `${ws}: weight name '${spec.name}' is used twice (also ${first.slice(name.length + 2)})`,
        );
      seen.set(spec.name, ws);
      const where = `${ws} '${spec.name}'`;
      const count = shapeCount(spec.shape, `${where} shape`);
      const q = spec.quantization;
      const stored = isJsonObject(q) ? q.dtype : spec.dtype;
      const allowed = isJsonObject(q) ? ['uint8', 'uint16', 'float16'] : ['float32', 'int32', 'bool'];
      if (typeof stored !== 'string' || !allowed.includes(stored))
        throw new FormatError(`${where}: dtype ${String(stored)} is not supported`);
      return { spec, where, count, q, stored, need: count * BYTES[stored], i };
    });
    return { group: group as { paths: JsonValue[] }, gw, specs, g };
  });
  for (const { group, gw, specs, g } of plans) {
    const buf = loadGroup(group.paths, gw, jsonPath, opts);
    let off = 0;
    for (const { spec, where, count, q, stored, need, i } of specs) {
      if (off + need > buf.length)
        throw new FormatError(
          `${where} needs ${need} bytes at offset ${off} but the shards hold ${buf.length} bytes`,
        );
      const raw = buf.subarray(off, off + need);
      off += need;
      const w = decodeWeight(raw, spec.dtype as string, stored, q, count, where);
      const wname = spec.name as string;
      const weight: KerasWeight = {
        name: wname,
        path: `weightsManifest[${g}].weights[${i}]`,
        shape: spec.shape as number[],
        ...w,
      };
      const layerName = wname.includes('/') ? wname.slice(0, wname.indexOf('/')) : wname;
      let layer = byLayer.get(layerName);
      if (!layer) {
        layer = { name: layerName, path: '', weights: [] };
        byLayer.set(layerName, layer);
        layers.push(layer);
      }
      layer.weights.push(weight);
    }
    if (off !== buf.length)
      throw new FormatError(
        `${gw}: the shards hold ${buf.length} bytes but the weights use ${off} (shards do not match)`,
      );
  }
  const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);
  const generatedBy = str(json.generatedBy);
  const kerasVersion =
    str(topo.keras_version) ?? (generatedBy?.startsWith('keras v') ? generatedBy.slice(7) : null);
  const meta: { [k: string]: JsonValue } = {};
  for (const k of ['format', 'generatedBy', 'convertedBy', 'userDefinedMetadata'])
    if (json[k] !== undefined) meta[k] = json[k];
  return {
    format: 'tfjs',
    source: name,
    kerasVersion,
    backend: str(topo.backend),
    modelConfig,
    trainingConfig: (topo.training_config as JsonValue | undefined) ?? json.trainingConfig ?? null,
    metadata: meta,
    layers,
  };
}

function shapeCount(shape: JsonValue[], where: string): number {
  let n = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new FormatError(`${where}: dimension ${i} is ${JSON.stringify(d)}, not a non-negative integer`);
    n *= d;
  });
  if (!Number.isSafeInteger(n)) throw new FormatError(`${where}: too many elements`);
  return n;
}

function decodeWeight(
  raw: Uint8Array,
  dtype: string,
  stored: string,
  q: JsonValue | undefined,
  count: number,
  where: string,
): { dtype: KerasWeight['dtype']; sourceDtype: string; data: TypedArray } {
  if (!isJsonObject(q)) {
    if (dtype === 'float32')
      return { ...decodeElements(raw, { kind: 'f', size: 4, littleEndian: true }, count, where) };
    if (dtype === 'int32')
      return { ...decodeElements(raw, { kind: 'i', size: 4, littleEndian: true }, count, where) };
    return {
      ...decodeElements(raw, { kind: 'b', size: 1, littleEndian: true }, count, where),
      sourceDtype: 'bool',
    };
  }
  let values: Float32Array;
  if (stored === 'float16') {
    values = decodeElements(raw, { kind: 'f', size: 2, littleEndian: true }, count, where)
      .data as Float32Array;
  } else {
    const { scale, min } = q;
    if (typeof scale !== 'number' || typeof min !== 'number')
      throw new FormatError(`${where}: ${stored} quantization needs numeric scale and min`);
    const ints = decodeElements(
      raw,
      { kind: 'u', size: BYTES[stored], littleEndian: true },
      count,
      where,
    ).data;
    values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = ints[i] * scale + min; // affine dequantisation: q·scale + min
  }
  const sourceDtype = `${stored} (quantized)`;
  if (dtype === 'int32')
    return { dtype: 'int32', sourceDtype, data: Int32Array.from(values, (v) => Math.round(v)) };
  if (dtype !== 'float32')
    throw new FormatError(`${where}: quantized weights must be float32 or int32, not ${dtype}`);
  return { dtype: 'float32', sourceDtype, data: values };
}

/** Concatenate one manifest group's shards, from the caller's map or from files beside model.json. */
function loadGroup(
  paths: JsonValue[],
  where: string,
  jsonPath: string | null,
  opts: TfjsOptions,
): Uint8Array {
  const parts: Uint8Array[] = [];
  paths.forEach((p, k) => {
    if (typeof p !== 'string') throw new FormatError(`${where}.paths[${k}] is not a string`);
    parts.push(loadShard(p, `${where}.paths[${k}]`, jsonPath, opts));
  });
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of parts) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

function loadShard(p: string, where: string, jsonPath: string | null, opts: TfjsOptions): Uint8Array {
  if (opts.shards) {
    const get = (k: string): Uint8Array | undefined =>
      opts.shards instanceof Map
        ? opts.shards.get(k)
        : Object.hasOwn(opts.shards!, k)
          ? (opts.shards as Record<string, Uint8Array>)[k]
          : undefined;
    const hit = get(p) ?? get(p.split('/').pop() ?? p);
    if (!hit) throw new FormatError(`${where}: shard '${p}' was not supplied in the shards map`);
    return hit;
  }
  if (jsonPath === null)
    throw new FormatError(`${where}: model.json was given as bytes, so shard '${p}' needs the shards option`);
  const segs = p.split(/[\\/]/);
  if (isAbsolutePath(p) || /^[a-z][a-z0-9+.-]*:/i.test(p) || segs.includes('..'))
    throw new FormatError(
      `${where}: shard path '${p}' must be relative to model.json, without '..' or a URL scheme`,
    );
  // NOTE: the name comes from inside the file: resolved with symlinks and kept inside model.json's folder.
  const full = resolveInside(jsonPath, p, `${where}: shard`);
  const maxBytes = opts.maxShardBytes ?? 2 * 1024 ** 3;
  return loadSource(full, 'tfjs shard', { maxBytes }).bytes;
}
