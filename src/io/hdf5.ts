// A small safe HDF5 reader: h5wasm runs in a worker thread, and the whole file comes back as a plain JS tree.
import { checkOptions } from '../core/options.js';
import { HDF5_OPTIONS } from './option-keys.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import { FormatError } from './errors.js';
import { hdf5Request } from './hdf5-pool.js';
import type { Hdf5WireObject, Hdf5WireType } from './hdf5-worker-source.js';
import { type ElemType, decodeElements, elemName, isSupportedElem } from './numeric.js';
import { isZip } from './zip.js';
import { type ByteSource, loadSource } from './source.js';

export { closeHdf5Worker } from './hdf5-pool.js';

export interface Hdf5Options {
  /** Name used in error messages when the source is bytes. */
  name?: string;
  /** Largest file accepted (default 4 GiB). */
  maxFileBytes?: number;
  /** Largest single dataset read (default 1 GiB); larger ones are refused before any allocation. */
  maxDatasetBytes?: number;
  /** Largest total of dataset bytes read from one file (default 1.5 GiB: the WASM heap holds at most 2 GiB). */
  maxTotalBytes?: number;
  /** Give up (and restart the HDF5 worker) after this long (default 120 s). */
  timeoutMs?: number;
  /** Path prefixes (e.g. `/optimizer_weights`) whose datasets are listed but whose values are not read. */
  skipData?: string[];
}

/** A dataset's values in tapegrad's dtypes (float16 widened to float32, integers narrowed to int32 with checks). */
export interface Hdf5Array {
  path: string;
  shape: number[];
  dtype: DType;
  /** The element type in the file, e.g. `float32`, `float16`, `int64`. */
  sourceDtype: string;
  data: TypedArray;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Byte offset of the HDF5 signature (0, 512, 1024, 2048, ... for files with a user block), or -1.
 * NOTE: bytes that start as a ZIP archive are one (a Keras 3 `.keras`), also when a stored (uncompressed)
 * `model.weights.h5` entry happens to put its signature at a user-block offset: only offset 0 is then HDF5.
 */
export function hdf5SignatureOffset(bytes: Uint8Array): number {
  const zip = isZip(bytes);
  for (let off = 0; off + 8 <= bytes.length; off = off === 0 ? 512 : off * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[off + i] === b)) return off;
    if (zip) break;
  }
  return -1;
}

/** True when the bytes start (or have a user block followed by) the HDF5 signature. */
export function isHdf5(bytes: Uint8Array): boolean {
  return hdf5SignatureOffset(bytes) >= 0;
}

/**
 * Open an HDF5 file from a path or bytes. Every group, attribute and dataset is read in a worker thread (so a corrupt
 * file can never crash or hang the caller) and returned as an {@link Hdf5File}. Any failure is a `FormatError` or
 * `FileError` naming the file and, where known, the HDF5 path.
 */
export async function openHdf5(src: ByteSource, opts: Hdf5Options = {}): Promise<Hdf5File> {
  checkOptions('openHdf5', opts, HDF5_OPTIONS);
  const { bytes, name } = loadSource(src, 'hdf5', { name: opts.name, maxBytes: opts.maxFileBytes });
  if (bytes.length < 8 || hdf5SignatureOffset(bytes) < 0)
    throw new FormatError(`${name}: not an HDF5 file (no HDF5 signature; ${bytes.length} bytes)`);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  // NOTE: the bytes are copied because the worker takes ownership of (detaches) the buffer it is sent (and a Node
  // Buffer's `slice` is a view, possibly into Node's shared pool).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const outcome = await hdf5Request(
    {
      bytes: copy.buffer,
      maxDatasetBytes: opts.maxDatasetBytes ?? 1024 ** 3,
      maxTotalBytes: opts.maxTotalBytes ?? 1.5 * 1024 ** 3,
      maxAttrBytes: 64 * 1024 ** 2,
      maxObjects: 1_000_000,
      skipData: opts.skipData ?? [],
    },
    timeoutMs,
  );
  if (outcome.kind === 'timeout')
    throw new FormatError(`${name}: HDF5 reading did not finish within ${timeoutMs} ms`);
  if (outcome.kind === 'crash') throw new FormatError(`${name}: the HDF5 reader failed (${outcome.message})`);
  const r = outcome.response;
  if (!r.ok) {
    const detail = summariseHdf5Log(r.log);
    const tail = detail ? ` (${detail})` : '';
    if (r.message.startsWith('HDF5 could not open')) throw new FormatError(`${name}: ${r.message}${tail}`);
    const what = r.aborted ? 'HDF5 aborted while reading' : 'HDF5 could not read';
    throw new FormatError(`${name}: ${what} ${r.path}: ${r.message}${tail}`);
  }
  return new Hdf5File(name, r.objects);
}

/** The innermost messages of HDF5's printed error stack, e.g. `truncated file: eof = 5000, ...`. */
function summariseHdf5Log(log: string[]): string {
  const lines = log.join('\n').split('\n');
  const msgs: string[] = [];
  for (const l of lines) {
    const m = /#\d+: .* in [\w]+\(\): (.*)$/.exec(l);
    if (m) msgs.push(m[1].trim());
  }
  return [...new Set(msgs.slice(-2))].join('; ');
}

/** An HDF5 file read into memory: groups, attributes and dataset values addressed by absolute paths (`/a/b`). */
export class Hdf5File {
  private readonly objects = new Map<string, Hdf5WireObject>();
  private readonly cache = new Map<string, Hdf5Array>();

  constructor(
    /** The file name used in error messages. */
    readonly name: string,
    objects: Hdf5WireObject[],
  ) {
    for (const o of objects) this.objects.set(o.path, o);
  }

  private obj(path: string): Hdf5WireObject | undefined {
    return this.objects.get(normPath(path));
  }

  /** What is at `path`: 'group', 'dataset', 'link', 'other', or undefined when nothing is. */
  kind(path: string): Hdf5WireObject['kind'] | undefined {
    return this.obj(path)?.kind;
  }

  /** True when a group exists at `path`. */
  isGroup(path: string): boolean {
    return this.kind(path) === 'group';
  }

  /** True when a dataset exists at `path`. */
  isDataset(path: string): boolean {
    return this.kind(path) === 'dataset';
  }

  /** Names of the members of group `path`, in HDF5's iteration order (by name unless creation order is tracked). */
  children(path = '/'): string[] {
    const o = this.group(path);
    return [...(o.children ?? [])];
  }

  /** Names of the subgroups of group `path`. */
  groups(path = '/'): string[] {
    const p = normPath(path);
    return this.children(p).filter((n) => this.kind(join(p, n)) === 'group');
  }

  /** Absolute paths of every dataset in the file (or below `under`), in traversal order. */
  datasetPaths(under = '/'): string[] {
    const p = normPath(under);
    const out: string[] = [];
    for (const [path, o] of this.objects)
      if (o.kind === 'dataset' && (p === '/' || path === p || path.startsWith(p + '/'))) out.push(path);
    return out;
  }

  /** Names of the attributes of the object at `path`. */
  attrNames(path = '/'): string[] {
    return this.need(path).attrs.map((a) => a.name);
  }

  /** True when the object at `path` has attribute `name`. */
  hasAttr(path: string, name: string): boolean {
    return this.obj(path)?.attrs.some((a) => a.name === name) ?? false;
  }

  /** The raw value h5wasm decoded for an attribute (string, string[], number, typed array, ...), or undefined. */
  attr(path: string, name: string): unknown {
    const a = this.need(path).attrs.find((x) => x.name === name);
    if (!a) return undefined;
    if (a.error !== undefined)
      throw new FormatError(`${this.name}: attribute ${name} of ${normPath(path)}: ${a.error}`);
    return a.value;
  }

  /** A string attribute (bytes are decoded as UTF-8; a one-element array gives its element), or undefined. */
  attrString(path: string, name: string): string | undefined {
    const v = this.attr(path, name);
    if (v === undefined || v === null) return undefined;
    const s = asString(v);
    if (s === undefined)
      throw new FormatError(`${this.name}: attribute ${name} of ${normPath(path)} is not a string`);
    return s;
  }

  /**
   * A string-array attribute. Like Keras's `load_attributes_from_hdf5_group`, an attribute too large for one HDF5
   * header is read from its chunks `name0`, `name1`, ... and joined. Undefined when neither form exists.
   */
  attrStrings(path: string, name: string): string[] | undefined {
    if (this.hasAttr(path, name)) return this.stringList(path, name);
    if (!this.hasAttr(path, `${name}0`)) return undefined;
    const out: string[] = [];
    for (let k = 0; this.hasAttr(path, `${name}${k}`); k++) out.push(...this.stringList(path, `${name}${k}`));
    return out;
  }

  private stringList(path: string, name: string): string[] {
    const v = this.attr(path, name);
    // NOTE: h5py writes an empty list as an empty float64 array (Keras does so for layers without weights).
    if (ArrayBuffer.isView(v) && (v as Uint8Array).length === 0) return [];
    const items = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
    return items.map((x, i) => {
      const s = asString(x);
      if (s === undefined)
        throw new FormatError(`${this.name}: attribute ${name}[${i}] of ${normPath(path)} is not a string`);
      return s;
    });
  }

  /** Shape and file element type of a dataset without converting its values. */
  datasetInfo(path: string): { shape: number[] | null; sourceDtype: string; refused?: string } {
    const o = this.dataset(path);
    return { shape: o.shape ?? null, sourceDtype: wireTypeName(o.type), refused: o.refused ?? o.error };
  }

  /** A numeric dataset's values (converted to float32/float64/int32). Refused or unreadable datasets throw. */
  read(path: string): Hdf5Array {
    const p = normPath(path);
    const hit = this.cache.get(p);
    if (hit) return hit;
    const o = this.dataset(p);
    const where = `${this.name}: dataset ${p}`;
    if (o.error !== undefined) throw new FormatError(`${where}: ${o.error}`);
    if (o.refused !== undefined)
      throw new FormatError(`${where} of shape [${o.shape?.join(',')}] refused: ${o.refused}`);
    if (o.shape === null || o.shape === undefined)
      throw new FormatError(`${where}: has no dataspace (empty dataset)`);
    if (o.strings !== undefined) throw new FormatError(`${where}: holds strings, not numbers`);
    const t = elemOf(o.type);
    if (!t || !o.raw) throw new FormatError(`${where}: element type ${wireTypeName(o.type)} is not numeric`);
    const count = o.shape.reduce((a, b) => a * b, 1);
    const dec = decodeElements(new Uint8Array(o.raw), t, count, where);
    const out: Hdf5Array = { path: p, shape: [...o.shape], ...dec };
    this.cache.set(p, out);
    return out;
  }

  /** A string dataset's values. */
  readStrings(path: string): string[] {
    const o = this.dataset(path);
    if (o.strings === undefined)
      throw new FormatError(`${this.name}: dataset ${normPath(path)} does not hold strings`);
    return [...o.strings];
  }

  /** A numeric dataset as a Tensor. */
  tensor(path: string): Tensor {
    const a = this.read(path);
    return new Tensor(a.data, a.shape);
  }

  private need(path: string): Hdf5WireObject {
    const o = this.obj(path);
    if (!o) throw new FormatError(`${this.name}: no object at HDF5 path ${normPath(path)}`);
    return o;
  }

  private group(path: string): Hdf5WireObject {
    const o = this.need(path);
    if (o.kind !== 'group')
      throw new FormatError(`${this.name}: ${normPath(path)} is a ${o.kind}, not a group`);
    return o;
  }

  private dataset(path: string): Hdf5WireObject {
    const o = this.need(path);
    if (o.kind !== 'dataset')
      throw new FormatError(`${this.name}: ${normPath(path)} is a ${o.kind}, not a dataset`);
    return o;
  }
}

/**
 * Read every numeric dataset of an HDF5 file (below `under`) as a Map from absolute path to values; handy for
 * inputs/outputs files such as the fixtures' `*_inputs_and_outputs.h5`.
 */
export async function readHdf5Datasets(
  src: ByteSource,
  under = '/',
  opts: Hdf5Options = {},
): Promise<Map<string, Hdf5Array>> {
  const f = await openHdf5(src, opts);
  const out = new Map<string, Hdf5Array>();
  for (const p of f.datasetPaths(under)) out.set(p, f.read(p));
  return out;
}

function elemOf(t: Hdf5WireType | undefined): ElemType | null {
  if (!t || t.vlen) return null;
  // HDF5 classes: 0 integer, 1 float, 8 enum (h5py stores numpy bools as an int8 enum).
  const kind = t.cls === 1 ? 'f' : t.cls === 0 || t.cls === 8 ? (t.signed ? 'i' : 'u') : null;
  if (!kind) return null;
  const e: ElemType = { kind, size: t.size, littleEndian: true };
  return isSupportedElem(e) ? e : null;
}

function wireTypeName(t: Hdf5WireType | undefined): string {
  if (!t) return 'unknown';
  if (t.cls === 3) return 'string';
  const e = elemOf(t);
  if (e) return elemName(e);
  return `HDF5 class ${t.cls} (${t.size} bytes)`;
}

function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array || v instanceof Int8Array) return new TextDecoder().decode(v);
  if (Array.isArray(v) && v.length === 1) return asString(v[0]);
  return undefined;
}

function normPath(p: string): string {
  const parts = p.split('/').filter((s) => s.length > 0);
  return '/' + parts.join('/');
}

function join(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
