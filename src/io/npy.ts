// NumPy .npy files (format versions 1, 2 and 3): read into Tensors, write Tensors byte-for-byte as numpy.save does.
import { checkOptions } from '../core/options.js';
import type { DType, TypedArray } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { FormatError, FileError } from './errors.js';
import { type ElemKind, checkedSize, decodeElements } from './numeric.js';
import { type ByteSource, loadSource, viewOf } from './source.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** A decoded .npy array before it becomes a Tensor. */
export interface NpyArray {
  shape: number[];
  dtype: DType;
  /** The numpy dtype string from the header, e.g. `<f4`, `|u1`, `<i8`. */
  descr: string;
  data: TypedArray;
}

/** Largest header accepted (numpy itself refuses headers over 10,000 bytes by default; we allow more). */
const MAX_HEADER = 1 << 20;

/**
 * Decode .npy bytes. Supports little/big-endian `f2 f4 f8`, `i1 i2 i4 i8`, `u1 u2 u4 u8` and `b1`; float16 widens to
 * float32, integers and bools become int32 (64-bit values outside the int32 range are an error). The data must be
 * exactly `prod(shape) * itemsize` bytes, checked before anything is allocated. `fortran_order: True` is refused.
 */
export function parseNpy(bytes: Uint8Array, name = '<bytes>'): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    throw new FormatError(`${name}: not a .npy file (bad magic; expected \\x93NUMPY)`);
  const major = bytes[6];
  const dv = viewOf(bytes);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FormatError(`${name}: truncated .npy header`);
    hlen = dv.getUint32(8, true);
    start = 12;
  } else throw new FormatError(`${name}: unsupported .npy format version ${major}.${bytes[7]}`);
  if (hlen > MAX_HEADER)
    throw new FormatError(`${name}: header length ${hlen} is above the limit of ${MAX_HEADER}`);
  if (start + hlen > bytes.length)
    throw new FormatError(
      `${name}: truncated: header needs ${hlen} bytes but only ${bytes.length - start} follow`,
    );
  const headerBytes = bytes.subarray(start, start + hlen);
  const header = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : latin1(headerBytes);
  const dict = parseHeaderDict(header, name);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string')
    throw new FormatError(
      `${name}: header field 'descr' must be a dtype string (structured dtypes are not supported)`,
    );
  if (typeof fortran !== 'boolean')
    throw new FormatError(`${name}: header field 'fortran_order' missing or not True/False`);
  if (!Array.isArray(shape)) throw new FormatError(`${name}: header field 'shape' missing or not a tuple`);
  if (fortran)
    throw new FormatError(
      `${name}: fortran_order arrays are not supported (save with np.ascontiguousarray(a) first)`,
    );
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new FormatError(`${name}: dtype '${descr}' is not supported (only numeric f/i/u/b types)`);
  const size = Number(m[3]);
  const kind = m[2] as ElemKind;
  const count = checkedSize(shape, `${name}: header field 'shape'`);
  const dataStart = start + hlen;
  const need = count * size;
  const have = bytes.length - dataStart;
  if (need !== have)
    throw new FormatError(
      `${name}: shape (${shape.join(', ')}) of '${descr}' needs ${need} data bytes but the file has ${have}` +
        (have < need ? ' (truncated)' : ' (trailing bytes)'),
    );
  const dec = decodeElements(
    bytes.subarray(dataStart),
    { kind, size, littleEndian: m[1] !== '>' },
    count,
    `${name}: data`,
  );
  return { shape: shape as number[], dtype: dec.dtype, descr, data: dec.data };
}

/** Read a .npy file (path or bytes) into a Tensor; see {@link parseNpy} for the accepted dtypes. */
export function readNpy(src: ByteSource, opts: { name?: string; maxBytes?: number } = {}): Tensor {
  checkOptions('readNpy', opts, ['name', 'maxBytes']);
  const { bytes, name } = loadSource(src, 'npy', opts);
  const a = parseNpy(bytes, name);
  return new Tensor(a.data, a.shape);
}

const DESCR: Record<DType, string> = { float32: '<f4', float64: '<f8', int32: '<i4' };

/**
 * Encode a Tensor (or `{data, shape}`) as .npy bytes, exactly as `numpy.save` lays them out: format 1.0 (2.0 when the
 * header is too long), keys sorted, header padded with spaces to a 64-byte boundary, C order, little-endian.
 */
export function encodeNpy(t: Tensor | { data: TypedArray; shape: readonly number[] }): Uint8Array {
  const data = t.data;
  const dtype: DType =
    data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : 'int32';
  const shape = [...t.shape];
  if (data.length !== shape.reduce((a, b) => a * b, 1))
    throw new FormatError(`npy: ${data.length} values do not fill shape (${shape.join(', ')})`);
  const shapeRepr =
    shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  // numpy leaves room for the first axis to grow in place: pad to 21 digits for it (GROWTH_AXIS_MAX_DIGITS).
  if (shape.length > 0) header += ' '.repeat(Math.max(0, 21 - String(shape[0]).length));
  const hlen = header.length + 1; // + the final '\n'
  let v = 1;
  let prefix = 10;
  let pad = 64 - ((prefix + hlen) % 64);
  if (hlen + pad > 0xffff) {
    v = 2;
    prefix = 12;
    pad = 64 - ((prefix + hlen) % 64);
  }
  const total = prefix + hlen + pad;
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = v;
  out[7] = 0;
  const dv = viewOf(out);
  if (v === 1) dv.setUint16(8, hlen + pad, true);
  else dv.setUint32(8, hlen + pad, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.fill(0x20, prefix + header.length, total - 1);
  out[total - 1] = 0x0a;
  // NOTE: typed arrays use the platform byte order; every platform Node supports in practice is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** Write a Tensor to a .npy file atomically (temp file + fsync + rename). */
export function writeNpy(path: string, t: Tensor | { data: TypedArray; shape: readonly number[] }): void {
  if (typeof path !== 'string') throw new FileError(`writeNpy: path must be a string`);
  writeFileAtomic(path, encodeNpy(t), 'writeNpy');
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

type HeaderValue = string | boolean | number | number[];

/** Parse the header's Python dict literal (strings, True/False, ints, tuples of ints) without eval. */
function parseHeaderDict(src: string, name: string): Map<string, HeaderValue> {
  let i = 0;
  const fail = (what: string): never => {
    throw new FormatError(
      `${name}: malformed .npy header (${what} at character ${i}): ${JSON.stringify(src.slice(0, 120))}`,
    );
  };
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const str = (): string => {
    const q = src[i];
    if (q !== "'" && q !== '"') fail('expected a string');
    const end = src.indexOf(q, i + 1);
    if (end < 0) fail('unterminated string');
    const s = src.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  const int = (): number => {
    const m = /^\d+L?/.exec(src.slice(i, i + 32));
    if (!m) fail('expected an integer');
    i += m![0].length;
    return Number(m![0].replace('L', ''));
  };
  const value = (): HeaderValue => {
    ws();
    const c = src[i];
    if (c === "'" || c === '"') return str();
    if (src.startsWith('True', i)) return ((i += 4), true);
    if (src.startsWith('False', i)) return ((i += 5), false);
    if (c === '(') {
      i++;
      const items: number[] = [];
      for (;;) {
        ws();
        if (src[i] === ')') break;
        items.push(int());
        ws();
        if (src[i] === ',') i++;
        else if (src[i] !== ')') fail("expected ',' or ')'");
        if (items.length > 64) fail('more than 64 dimensions');
      }
      i++;
      return items;
    }
    if (c === '[') fail('structured dtype (a list) is not supported');
    return int();
  };
  const out = new Map<string, HeaderValue>();
  ws();
  if (src[i] !== '{') fail("expected '{'");
  i++;
  for (;;) {
    ws();
    if (src[i] === '}') break;
    const key = str();
    ws();
    if (src[i] !== ':') fail("expected ':'");
    i++;
    out.set(key, value());
    ws();
    if (src[i] === ',') i++;
    else if (src[i] !== '}') fail("expected ',' or '}'");
  }
  return out;
}
