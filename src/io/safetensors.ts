// safetensors files: 8-byte header length, JSON header (dtype/shape/data_offsets, __metadata__), then raw tensor bytes.
import { checkOptions } from '../core/options.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { FormatError } from './errors.js';
import { type ElemType, checkedSize, decodeElements } from './numeric.js';
import { isJsonObject, parseJsonSafe } from './safe-json.js';
import { fmtBytes } from './fmt-bytes.js';
import { type ByteSource, loadSource, viewOf } from './source.js';

/** Reader dtypes: safetensors name → element type. F8 types are not supported. */
const ELEMS: Record<string, ElemType> = {
  F64: { kind: 'f', size: 8, littleEndian: true },
  F32: { kind: 'f', size: 4, littleEndian: true },
  F16: { kind: 'f', size: 2, littleEndian: true },
  BF16: { kind: 'bf', size: 2, littleEndian: true },
  I64: { kind: 'i', size: 8, littleEndian: true },
  I32: { kind: 'i', size: 4, littleEndian: true },
  I16: { kind: 'i', size: 2, littleEndian: true },
  I8: { kind: 'i', size: 1, littleEndian: true },
  U64: { kind: 'u', size: 8, littleEndian: true },
  U32: { kind: 'u', size: 4, littleEndian: true },
  U16: { kind: 'u', size: 2, littleEndian: true },
  U8: { kind: 'u', size: 1, littleEndian: true },
  BOOL: { kind: 'b', size: 1, littleEndian: true },
};
const WRITE_NAME: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };

/** Largest JSON header accepted (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

export interface Safetensors {
  /** Tensors by name, in data-offset order. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Map<string, string>;
}

/**
 * Decode safetensors bytes. The header is validated before any tensor is sliced: every entry needs a known dtype, a
 * shape of non-negative integers and `data_offsets` whose span equals `prod(shape) * itemsize`; the spans must tile
 * the data area exactly (no overlap, no hole, nothing past the end), as the reference implementation requires.
 * F16/BF16 widen to float32; integer and bool types become int32 (64-bit values outside int32 are an error).
 */
export function parseSafetensors(bytes: Uint8Array, name = '<bytes>'): Safetensors {
  if (bytes.length < 8)
    throw new FormatError(
      `${name}: truncated safetensors file (${bytes.length} bytes, needs an 8-byte header length)`,
    );
  const n64 = viewOf(bytes).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER))
    throw new FormatError(`${name}: header length ${n64} is above the limit of ${fmtBytes(MAX_HEADER)}`);
  const n = Number(n64);
  if (8 + n > bytes.length)
    throw new FormatError(
      `${name}: header length ${n} runs past the end of the ${bytes.length}-byte file (truncated)`,
    );
  const text = new TextDecoder('utf-8').decode(bytes.subarray(8, 8 + n));
  if (!text.startsWith('{')) throw new FormatError(`${name}: header does not start with '{'`);
  const header = parseJsonSafe(text, `${name}: header`, { maxDepth: 16 });
  if (!isJsonObject(header)) throw new FormatError(`${name}: header is not a JSON object`);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata = new Map<string, string>();
  const specs: { key: string; elem: ElemType; shape: number[]; begin: number; end: number; count: number }[] =
    [];
  for (const [key, v] of Object.entries(header)) {
    if (key === '__metadata__') {
      if (!isJsonObject(v)) throw new FormatError(`${name}: __metadata__ must be an object of strings`);
      for (const [mk, mv] of Object.entries(v)) {
        if (typeof mv !== 'string') throw new FormatError(`${name}: __metadata__['${mk}'] is not a string`);
        metadata.set(mk, mv);
      }
      continue;
    }
    const where = `${name}: tensor '${key}'`;
    if (!isJsonObject(v)) throw new FormatError(`${where}: entry is not an object`);
    const dt = v.dtype;
    if (typeof dt !== 'string' || !Object.hasOwn(ELEMS, dt))
      throw new FormatError(`${where}: dtype ${JSON.stringify(dt)} is not supported`);
    if (!Array.isArray(v.shape)) throw new FormatError(`${where}: shape is not an array`);
    const count = checkedSize(v.shape, `${where} shape`);
    const off = v.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)
    )
      throw new FormatError(`${where}: data_offsets must be two non-negative integers`);
    const [begin, end] = off as number[];
    const elem = ELEMS[dt];
    if (end < begin) throw new FormatError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLen)
      throw new FormatError(
        `${where}: data_offsets [${begin}, ${end}] run past the ${dataLen} data bytes (truncated?)`,
      );
    if (end - begin !== count * elem.size)
      throw new FormatError(
        `${where}: shape [${v.shape.join(',')}] of ${dt} needs ${count * elem.size} bytes but data_offsets span ${end - begin}`,
      );
    specs.push({ key, elem, shape: v.shape as number[], begin, end, count });
  }
  specs.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const s of specs) {
    if (s.begin < pos)
      throw new FormatError(
        `${name}: tensor '${s.key}' overlaps the tensor before it (offset ${s.begin} < ${pos})`,
      );
    if (s.begin > pos)
      throw new FormatError(
        `${name}: data bytes ${pos}..${s.begin} belong to no tensor (hole before '${s.key}')`,
      );
    pos = s.end;
  }
  if (pos !== dataLen)
    throw new FormatError(`${name}: ${dataLen - pos} trailing data bytes belong to no tensor`);
  const tensors = new Map<string, Tensor>();
  for (const s of specs) {
    const raw = bytes.subarray(dataStart + s.begin, dataStart + s.end);
    const dec = decodeElements(raw, s.elem, s.count, `${name}: tensor '${s.key}'`);
    tensors.set(s.key, new Tensor(dec.data, s.shape));
  }
  return { tensors, metadata };
}

/** Read a safetensors file (path or bytes). */
export function loadSafetensors(
  src: ByteSource,
  opts: { name?: string; maxBytes?: number } = {},
): Safetensors {
  checkOptions('loadSafetensors', opts, ['name', 'maxBytes']);
  const { bytes, name } = loadSource(src, 'safetensors', opts);
  return parseSafetensors(bytes, name);
}

type TensorLike = Tensor | { data: TypedArray; shape: readonly number[] };
type NamedTensors = Map<string, TensorLike> | Record<string, TensorLike>;

/**
 * Encode tensors (sorted by name) and optional string metadata as safetensors bytes; the header is padded with
 * spaces to a multiple of 8 bytes so the data area is aligned.
 */
export function encodeSafetensors(
  tensors: NamedTensors,
  metadata?: Map<string, string> | Record<string, string>,
): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(
    ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
  );
  const header: Record<string, unknown> = Object.create(null);
  if (metadata) {
    const meta: Record<string, string> = Object.create(null);
    for (const [k, v] of metadata instanceof Map ? metadata.entries() : Object.entries(metadata)) {
      if (typeof v !== 'string') throw new FormatError(`safetensors: metadata '${k}' must be a string`);
      meta[k] = v;
    }
    header.__metadata__ = meta;
  }
  let off = 0;
  const datas: Uint8Array[] = [];
  for (const [key, t] of entries) {
    if (['__metadata__', '__proto__', 'constructor', 'prototype'].includes(key))
      throw new FormatError(`safetensors: '${key}' is a reserved name and cannot name a tensor`);
    const d = t.data;
    const dtype: DType =
      d instanceof Float32Array ? 'float32' : d instanceof Float64Array ? 'float64' : 'int32';
    if (d.length !== t.shape.reduce((a, b) => a * b, 1))
      throw new FormatError(
        `safetensors: tensor '${key}' has ${d.length} values for shape [${t.shape.join(',')}]`,
      );
    header[key] = { dtype: WRITE_NAME[dtype], shape: [...t.shape], data_offsets: [off, off + d.byteLength] };
    datas.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    off += d.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  viewOf(out).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const b of datas) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** Write tensors to a safetensors file atomically (temp file + fsync + rename). */
export function saveSafetensors(
  path: string,
  tensors: NamedTensors,
  metadata?: Map<string, string> | Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata), 'saveSafetensors');
}
