// Data types: the typed array behind each dtype and the promotion rule for mixed inputs.
import { DTypeError, ValueError } from './errors.js';

export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

/** Limits on tensor buffers allocated inside {@link withAllocationLimit} (e.g. while building a model from a file). */
export interface AllocationLimit {
  /** Largest single buffer in bytes. */
  maxBytes: number;
  /** Largest sum of buffers allocated inside the scope, in bytes. */
  maxTotalBytes?: number;
}
let limit: (AllocationLimit & { used: number; where: string }) | null = null;
const ITEM: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };
/** V8's longest typed array (2^32 - 1 elements on 64-bit Node); longer requests are refused with a typed error. */
const MAX_LENGTH = 2 ** 32 - 1;

/**
 * Run `f` with a cap on tensor allocations: any buffer above `maxBytes`, or one that brings the scope's total above
 * `maxTotalBytes`, throws a ValueError naming `where` before anything is allocated. Used by file importers, whose
 * configs can describe arbitrarily large weights and activations.
 */
export function withAllocationLimit<T>(l: AllocationLimit, where: string, f: () => T): T {
  const prev = limit;
  limit = { ...l, used: 0, where };
  try {
    return f();
  } finally {
    limit = prev;
  }
}

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(b < 1024 ** 3 ? 3 : 1)} GiB`;

export function allocArray(dtype: DType, n: number): TypedArray {
  checkAllocation(dtype, n);
  return allocUnchecked(dtype, n);
}

/** A zero-filled array for a request already passed through checkAllocation. */
export function allocUnchecked(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
  }
}

/**
 * A plain copy of a, of the same type: what `a.slice()` gives, but a view of shared memory (a wasm buffer) is copied
 * with one memcpy. NOTE: V8's slice of a SharedArrayBuffer view copies element by element (relaxed-atomic loads):
 * ~9× slower (143 against 16 µs for 128 KiB on Node 20), and every `.data` of a resident tensor and every eviction
 * is such a copy.
 */
export function plainCopy<T extends TypedArray>(a: T): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  out.set(a);
  return out;
}

/** Validate a request for n values of dtype and count it against the current allocation limit (throws if over). */
export function checkAllocation(dtype: DType, n: number): void {
  if (!Object.prototype.hasOwnProperty.call(ITEM, dtype))
    throw new DTypeError(`unknown dtype '${String(dtype)}' (use float32, float64 or int32)`);
  const bytes = n * ITEM[dtype];
  if (!(n >= 0 && n <= MAX_LENGTH))
    throw new ValueError(`cannot allocate a ${dtype} tensor of ${n} elements (the most is ${MAX_LENGTH})`);
  if (limit) {
    if (bytes > limit.maxBytes)
      throw new ValueError(
        `${limit.where}: a ${dtype} tensor of ${n} elements (${gib(bytes)}) is above the limit of ${gib(limit.maxBytes)} per tensor`,
      );
    limit.used += bytes;
    if (limit.maxTotalBytes !== undefined && limit.used > limit.maxTotalBytes)
      throw new ValueError(
        `${limit.where}: allocations reach ${gib(limit.used)}, above the limit of ${gib(limit.maxTotalBytes)} in total`,
      );
  }
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

export const isFloat = (d: DType): boolean => d !== 'int32';

// NOTE: float64 wins over float32 wins over int32 (PyTorch-style promotion); ints never win.
export function promote(a: DType, b: DType): DType {
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}
