// Element decoding shared by the readers: raw bytes of a file dtype → one of tapegrad's typed arrays.
import type { DType, TypedArray } from '../core/dtype.js';
import { FormatError } from './errors.js';

/** Kind of a file element type: float, signed int, unsigned int, bool, bfloat16. */
export type ElemKind = 'f' | 'i' | 'u' | 'b' | 'bf';

export interface ElemType {
  kind: ElemKind;
  /** Bytes per element. */
  size: number;
  littleEndian: boolean;
}

export interface Decoded {
  data: TypedArray;
  dtype: DType;
  /** The element type as stored in the file, e.g. `float16`, `int64`, `uint8`, `bool`. */
  sourceDtype: string;
}

/** Readable name of a file element type (`float16`, `int64`, `uint8`, `bool`, `bfloat16`). */
export function elemName(t: ElemType): string {
  if (t.kind === 'b') return 'bool';
  if (t.kind === 'bf') return 'bfloat16';
  return `${t.kind === 'f' ? 'float' : t.kind === 'i' ? 'int' : 'uint'}${t.size * 8}`;
}

/** True when this element type can be decoded by {@link decodeElements}. */
export function isSupportedElem(t: ElemType): boolean {
  switch (t.kind) {
    case 'f':
      return t.size === 2 || t.size === 4 || t.size === 8;
    case 'i':
    case 'u':
      return t.size === 1 || t.size === 2 || t.size === 4 || t.size === 8;
    case 'b':
      return t.size === 1;
    case 'bf':
      return t.size === 2;
  }
}

/** IEEE half-precision bits → number (subnormals, infinities and NaN included). */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24; // subnormal: f · 2^-24
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15); // normal: (1 + f/2^10) · 2^(e-15)
}

/** bfloat16 bits are the top 16 bits of a float32. */
function bf16ToNumber(h: number, scratch: DataView): number {
  scratch.setUint32(0, h << 16);
  return scratch.getFloat32(0);
}

/**
 * Decode `count` elements of type `t` from `bytes` (exactly `count * t.size` bytes, any alignment, either byte
 * order). Floats keep float32/float64 (float16 and bfloat16 widen to float32); integers and bools become int32, and a
 * value outside the int32 range is an error naming `where` and the index.
 */
export function decodeElements(bytes: Uint8Array, t: ElemType, count: number, where: string): Decoded {
  const sourceDtype = elemName(t);
  if (!isSupportedElem(t)) throw new FormatError(`${where}: element type ${sourceDtype} is not supported`);
  if (bytes.length !== count * t.size)
    throw new FormatError(
      `${where}: needs ${count * t.size} bytes for ${count} ${sourceDtype} values, got ${bytes.length}`,
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = t.littleEndian;
  const n = count;
  if (t.kind === 'f' && t.size === 4) {
    const out = new Float32Array(n);
    if (le && bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
    else for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, le);
    return { data: out, dtype: 'float32', sourceDtype };
  }
  if (t.kind === 'f' && t.size === 8) {
    const out = new Float64Array(n);
    if (le && bytes.byteOffset % 8 === 0) out.set(new Float64Array(bytes.buffer, bytes.byteOffset, n));
    else for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, le);
    return { data: out, dtype: 'float64', sourceDtype };
  }
  if (t.kind === 'f' || t.kind === 'bf') {
    const out = new Float32Array(n);
    const scratch = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < n; i++) {
      const h = dv.getUint16(2 * i, le);
      out[i] = t.kind === 'f' ? halfToNumber(h) : bf16ToNumber(h, scratch);
    }
    return { data: out, dtype: 'float32', sourceDtype };
  }
  const out = new Int32Array(n);
  const get = intReader(dv, t);
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (v < -2147483648 || v > 2147483647)
      throw new FormatError(`${where}: ${sourceDtype} value ${v} at index ${i} does not fit in int32`);
    out[i] = Number(v);
  }
  return { data: out, dtype: 'int32', sourceDtype };
}

function intReader(dv: DataView, t: ElemType): (i: number) => number | bigint {
  const le = t.littleEndian;
  const signed = t.kind === 'i';
  switch (t.size) {
    case 1:
      return t.kind === 'b'
        ? (i) => (dv.getUint8(i) ? 1 : 0)
        : signed
          ? (i) => dv.getInt8(i)
          : (i) => dv.getUint8(i);
    case 2:
      return signed ? (i) => dv.getInt16(2 * i, le) : (i) => dv.getUint16(2 * i, le);
    case 4:
      return signed ? (i) => dv.getInt32(4 * i, le) : (i) => dv.getUint32(4 * i, le);
    default:
      return signed ? (i) => dv.getBigInt64(8 * i, le) : (i) => dv.getBigUint64(8 * i, le);
  }
}

/** Product of dimensions after checking each is a non-negative safe integer; `where` names the field. */
export function checkedSize(shape: readonly unknown[], where: string): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new FormatError(`${where}: dimension ${i} is ${JSON.stringify(d)}, not a non-negative integer`);
    n *= d;
  }
  if (!Number.isSafeInteger(n))
    throw new FormatError(`${where}: shape [${shape.join(',')}] has too many elements`);
  return n;
}
