// ONNX TensorProto ↔ tapegrad Tensor: element types, raw_data (little-endian) or the typed fields, bounded sizes.
// NOTE: tapegrad has float32, float64 and int32. Every ONNX integer and bool type becomes int32; int64 values beyond
// the int32 range saturate (ONNX uses INT64_MAX/INT64_MIN as "to the end" in Slice), and the original element type
// travels with the value so outputs and exports keep it. FLOAT16 and BFLOAT16 become float32 (exactly; see
// float16.ts), their bits read from raw_data or, as the ONNX spec stores them, from int32_data.
import { Tensor } from '../../core/tensor.js';
import { FormatError } from '../errors.js';
import { bfloat16ToNumber, halfToNumber, numberToBfloat16, numberToHalf } from './float16.js';
import { DATA_TYPE_NAMES, DataType, type OnnxTensorProto, num } from './proto.js';

/** A value as the importer holds it: the tensor and the ONNX element type it stands for. */
export interface OnnxValue {
  t: Tensor;
  type: number;
}

const INT_TYPES = new Set<number>([
  DataType.UINT8,
  DataType.INT8,
  DataType.UINT16,
  DataType.INT16,
  DataType.INT32,
  DataType.INT64,
  DataType.BOOL,
  DataType.UINT32,
  DataType.UINT64,
]);
/** The 16-bit float types, held as float32. */
const HALF_TYPES = new Set<number>([DataType.FLOAT16, DataType.BFLOAT16]);
/** Element types tapegrad can hold, by ONNX code. */
export const SUPPORTED_TYPES = [DataType.FLOAT, DataType.DOUBLE, ...HALF_TYPES, ...INT_TYPES];
export const typeName = (code: number): string => DATA_TYPE_NAMES[code] ?? `type ${code}`;
export const isIntType = (code: number): boolean => INT_TYPES.has(code);

const BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};
/** 16-bit float bits → number, by type. */
const fromBits = (type: number) => (type === DataType.FLOAT16 ? halfToNumber : bfloat16ToNumber);
/** The most dims a tensor may have (ONNX has no limit; real models stay far below). */
export const MAX_RANK = 32;

const clampI32 = (v: number): number => (v > 2147483647 ? 2147483647 : v < -2147483648 ? -2147483648 : v);

/** The dims of a TensorProto, checked: non-negative integers, at most MAX_RANK of them. */
export function protoDims(p: OnnxTensorProto, where: string): number[] {
  if (p.dims.length > MAX_RANK)
    throw new FormatError(`${where}: ${p.dims.length} dims (the most is ${MAX_RANK})`);
  const dims = p.dims.map(num);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new FormatError(`${where}: dims [${dims.join(', ')}] must be non-negative integers`);
  return dims;
}

/** Decode a TensorProto into a Tensor (checked against its dims); `where` names it in errors. */
export function tensorFromProto(p: OnnxTensorProto, where: string): OnnxValue {
  const type = p.dataType;
  if (p.dataLocation === 1 || p.externalData.length)
    throw new FormatError(
      `${where}: data stored in an external file is not supported (save the model with its weights inside the .onnx)`,
    );
  if (type !== DataType.FLOAT && type !== DataType.DOUBLE && !HALF_TYPES.has(type) && !isIntType(type))
    throw new FormatError(
      `${where}: element type ${typeName(type)} is not supported (supported: ${SUPPORTED_TYPES.map(typeName).join(', ')})`,
    );
  const dims = protoDims(p, where);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = p.rawData && p.rawData.length ? p.rawData : null;
  const fail = (got: number, field: string) =>
    new FormatError(`${where}: ${field} holds ${got} values but dims [${dims.join(', ')}] need ${n}`);
  if (raw) {
    const item = BYTES[type];
    if (raw.length !== n * item) throw fail(raw.length / item, 'raw_data');
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (type === DataType.FLOAT) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return { t: new Tensor(out, dims), type };
    }
    if (type === DataType.DOUBLE) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return { t: new Tensor(out, dims), type };
    }
    if (HALF_TYPES.has(type)) {
      const bits = fromBits(type);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bits(dv.getUint16(2 * i, true));
      return { t: new Tensor(out, dims), type };
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * item;
      out[i] =
        type === DataType.INT64
          ? clampI32(Number(dv.getBigInt64(o, true)))
          : type === DataType.UINT64
            ? clampI32(Number(dv.getBigUint64(o, true)))
            : type === DataType.UINT32
              ? clampI32(dv.getUint32(o, true))
              : type === DataType.INT32
                ? dv.getInt32(o, true)
                : type === DataType.INT16
                  ? dv.getInt16(o, true)
                  : type === DataType.UINT16
                    ? dv.getUint16(o, true)
                    : type === DataType.INT8
                      ? dv.getInt8(o)
                      : dv.getUint8(o);
    }
    return { t: new Tensor(out, dims), type };
  }
  if (type === DataType.FLOAT) {
    if (p.floatData.length !== n) throw fail(p.floatData.length, 'float_data');
    return { t: new Tensor(Float32Array.from(p.floatData), dims), type };
  }
  if (type === DataType.DOUBLE) {
    if (p.doubleData.length !== n) throw fail(p.doubleData.length, 'double_data');
    return { t: new Tensor(Float64Array.from(p.doubleData), dims), type };
  }
  if (HALF_TYPES.has(type)) {
    // the spec stores 16-bit floats as their bits, one to an int32_data entry
    if (p.int32Data.length !== n) throw fail(p.int32Data.length, 'int32_data');
    return { t: new Tensor(Float32Array.from(p.int32Data, fromBits(type)), dims), type };
  }
  const src =
    type === DataType.INT64
      ? p.int64Data.map(num)
      : type === DataType.UINT32 || type === DataType.UINT64
        ? p.uint64Data.map(num)
        : p.int32Data;
  if (src.length !== n) throw fail(src.length, type === DataType.INT64 ? 'int64_data' : 'int32_data');
  return { t: new Tensor(Int32Array.from(src, clampI32), dims), type };
}

/** A TensorProto (as a plain object for protobufjs) holding `v`; floats and ints go to raw_data, little-endian
 * (FLOAT16 / BFLOAT16 rounded to nearest, ties to even). */
export function tensorToProto(v: OnnxValue, name: string): Record<string, unknown> {
  const { t, type } = v;
  const n = t.size;
  const item = BYTES[type];
  if (item === undefined) throw new FormatError(`onnx export: cannot write element type ${typeName(type)}`);
  const raw = new Uint8Array(n * item);
  const dv = new DataView(raw.buffer);
  const d = t.raw;
  for (let i = 0; i < n; i++) {
    const x = d[i];
    if (type === DataType.FLOAT) dv.setFloat32(4 * i, x, true);
    else if (type === DataType.DOUBLE) dv.setFloat64(8 * i, x, true);
    else if (type === DataType.FLOAT16) dv.setUint16(2 * i, numberToHalf(x), true);
    else if (type === DataType.BFLOAT16) dv.setUint16(2 * i, numberToBfloat16(x), true);
    else if (type === DataType.INT64) dv.setBigInt64(8 * i, BigInt(Math.trunc(x)), true);
    else if (type === DataType.INT32) dv.setInt32(4 * i, x, true);
    else if (type === DataType.BOOL || type === DataType.UINT8)
      dv.setUint8(i, x ? (type === DataType.BOOL ? 1 : x) : 0);
    else throw new FormatError(`onnx export: cannot write element type ${typeName(type)}`);
  }
  return { name, dims: [...t.shape], dataType: type, rawData: raw };
}
