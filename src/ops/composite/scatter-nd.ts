// Index-tuple gathers and scatters (TF.js gatherND, scatterND, tensorScatterUpdate; the ONNX importer's GatherND,
// ScatterND and ScatterElements): the index tuples are read as numbers into flat offsets (bookkeeping, as `gather`
// does), data moves through take / scatterAdd, so gradients flow to the data and to the updates.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import type { Shape } from '../../core/shape.js';
import { add, cast, maximum, minimum, mul, where } from '../elementwise/builders.js';
import { scatterAdd, take } from '../network/builders.js';
import { reshape } from '../movement/builders.js';

const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
/** Row-major strides of a shape. */
export const strides = (shape: readonly number[]): number[] =>
  shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));

/**
 * The flat offset into data (strides `st`) of each element f of an index tensor of shape `shape`: its own
 * coordinates off `axis`, and `along(f)` on it (GatherElements/ScatterElements).
 */
export function elementOffsets(
  shape: readonly number[],
  st: readonly number[],
  axis: number,
  along: (f: number) => number,
): Int32Array {
  const size = prod(shape);
  const flat = new Int32Array(size);
  for (let f = 0; f < size; f++) {
    let rem = f;
    let off = 0;
    for (let d = shape.length - 1; d >= 0; d--) {
      const co = rem % shape[d];
      rem = (rem - co) / shape[d];
      off += (d === axis ? along(f) : co) * st[d];
    }
    flat[f] = off;
  }
  return flat;
}

/**
 * An index along a dim of size n, checked: with `negative` (ONNX) −n..−1 count from the end, else (TF.js) only
 * 0..n−1 is valid. The error names the op (`op`, an op name or an ONNX node) and the index.
 */
export function checkIndex(v: number, n: number, what: string, op: string, negative: boolean): number {
  if (!(Number.isInteger(v) && v >= (negative ? -n : 0) && v < n))
    throw new ShapeError(`${op}: index ${v} is out of range for ${what} of size ${n}`);
  return v < 0 ? v + n : v;
}

/** What tupleOffsets needs of the indices: their values, their shape, and whether negative ones count from the end. */
export interface IndexTuples {
  values: ArrayLike<number>;
  shape: readonly number[];
  negative: boolean;
}

/**
 * Offsets into a tensor of shape `shape` of each index tuple (the last axis of the indices, k long) after `b` shared
 * leading (batch) axes: one offset per tuple, plus the size of the slice each tuple addresses.
 */
export function tupleOffsets(
  op: string,
  shape: readonly number[],
  idx: IndexTuples,
  b = 0,
): { offs: number[]; inner: number } {
  const k = idx.shape[idx.shape.length - 1];
  if (
    idx.shape.length < 1 ||
    k === undefined ||
    b + k > shape.length ||
    idx.shape.slice(0, b).some((d, i) => d !== shape[i])
  )
    throw new ShapeError(
      `${op}: indices ${fmtShape(idx.shape)} do not address ${fmtShape(shape)}${b ? ` (batch_dims ${b})` : ''}`,
    );
  const v = idx.values;
  const st = strides(shape);
  const perBatch = prod(idx.shape.slice(b, -1));
  const offs: number[] = [];
  const tuples = k === 0 ? prod(idx.shape.slice(0, -1)) : v.length / k;
  for (let t = 0; t < tuples; t++) {
    // the batch coordinates of tuple t, then its k indices
    let off = 0;
    let rem = Math.floor(t / perBatch);
    for (let d = b - 1; d >= 0; d--) {
      off += (rem % shape[d]) * st[d];
      rem = Math.floor(rem / shape[d]);
    }
    for (let j = 0; j < k; j++)
      off += checkIndex(v[t * k + j], shape[b + j], `axis ${b + j}`, op, idx.negative) * st[b + j];
    offs.push(off);
  }
  return { offs, inner: prod(shape.slice(b + k)) };
}

/** Each tuple's offset expanded to the `inner` consecutive offsets of the slice it addresses. */
export const flatOf = (offs: number[], inner: number): Int32Array => {
  const flat = new Int32Array(offs.length * inner);
  offs.forEach((o, t) => {
    for (let e = 0; e < inner; e++) flat[t * inner + e] = o + e;
  });
  return flat;
};

/** x's slices at the index tuples (b batch axes shared): the shape is indices.shape[:-1] + x.shape[b + k:]. */
export function gatherNDAt(op: string, x: Tensor, idx: IndexTuples, b = 0): Tensor {
  const { offs, inner } = tupleOffsets(op, x.shape, idx, b);
  const out = [...idx.shape.slice(0, -1), ...x.shape.slice(b + idx.shape[idx.shape.length - 1])];
  return take(x, new Tensor(flatOf(offs, inner), out));
}

export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';

/**
 * data with updates written at flat offsets: 'add' adds them all (one scatterAdd); 'none', 'mul', 'max' and 'min'
 * go in layers where each offset appears once (the j-th write to an offset in layer j), applied in order, so
 * repeated offsets take the last write ('none') or combine ('mul', 'max', 'min').
 */
export function scatterReduce(
  op: string,
  data: Tensor,
  updates: Tensor,
  flat: Int32Array,
  red: ScatterReduction,
): Tensor {
  if (updates.size !== flat.length)
    throw new ShapeError(
      `${op}: updates ${fmtShape(updates.shape)} do not match the indices (${flat.length} values)`,
    );
  // NOTE: scatterAdd sums floats: integer data goes through float64 (exact for int32) and back
  const dt = data.dtype === 'int32' ? 'float64' : data.dtype;
  const u = reshape(cast(updates, dt), [flat.length]);
  const scatter = (vals: Tensor, at: Int32Array) =>
    cast(scatterAdd(vals, new Tensor(at, [at.length]), data.shape), data.dtype);
  if (red === 'add') return add(data, scatter(u, flat));
  const seen = new Map<number, number>();
  const layers: number[][] = [];
  flat.forEach((o, i) => {
    const j = seen.get(o) ?? 0;
    seen.set(o, j + 1);
    (layers[j] ??= []).push(i);
  });
  let y = data;
  for (const sel of layers) {
    const at = Int32Array.from(sel, (i) => flat[i]);
    const mask = new Int32Array(data.size);
    at.forEach((o) => (mask[o] = 1));
    const s = scatter(take(u, new Tensor(Int32Array.from(sel), [sel.length])), at);
    const m = new Tensor(mask, data.shape);
    const v = red === 'none' ? s : red === 'mul' ? mul(y, s) : red === 'max' ? maximum(y, s) : minimum(y, s);
    y = where(m, v, y);
  }
  return y;
}

/** TF.js's indices: an int32 tensor (a float one is refused by name, as TF.js does), its values and shape. */
function tfIndices(op: string, indices: Tensor): IndexTuples {
  assertTensor(indices, op, 'indices');
  if (indices.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${indices.dtype}`);
  if (indices.rank < 1) throw new ShapeError(`${op}: indices must be of rank 1 or higher, got a scalar`);
  return { values: indices.raw, shape: indices.shape, negative: false };
}

/** updates must be indices.shape[:-1] + shape[k:] (TF's ScatterNd rule). */
function checkUpdates(op: string, idx: IndexTuples, updates: Tensor, shape: Shape): void {
  const k = idx.shape[idx.shape.length - 1];
  const want = [...idx.shape.slice(0, -1), ...shape.slice(k)];
  if (want.length !== updates.rank || want.some((d, i) => d !== updates.shape[i]))
    throw new ShapeError(
      `${op}: updates must have shape ${fmtShape(want)} (indices ${fmtShape(idx.shape)} into ${fmtShape(shape)}), got ${fmtShape(updates.shape)}`,
    );
}

/** TF.js `tf.gatherND(x, indices)`: the slices of x at the index tuples along the last axis of indices. */
export function gatherND(x: Tensor, indices: Tensor): Tensor {
  assertTensor(x, 'gatherND', 'x');
  return gatherNDAt('gatherND', x, tfIndices('gatherND', indices));
}

/** TF.js `tf.scatterND(indices, updates, shape)`: zeros of `shape` with the updates added at the tuples (repeats sum). */
export function scatterND(indices: Tensor, updates: Tensor, shape: Shape): Tensor {
  const idx = tfIndices('scatterND', indices);
  assertTensor(updates, 'scatterND', 'updates');
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ValueError(`scatterND: shape must be a list of sizes >= 0, got ${JSON.stringify(shape)}`);
  checkUpdates('scatterND', idx, updates, shape);
  const { offs, inner } = tupleOffsets('scatterND', shape, idx);
  const dt = updates.dtype === 'int32' ? 'float64' : updates.dtype;
  const flat = flatOf(offs, inner);
  const y = scatterAdd(reshape(cast(updates, dt), [flat.length]), new Tensor(flat, [flat.length]), shape);
  return cast(y, updates.dtype);
}

/**
 * TF.js `tf.tensorScatterUpdate(tensor, indices, updates)`: tensor with the slices at the tuples replaced by updates;
 * a repeated tuple takes its last update (TF.js's cpu kernel writes them in order).
 */
export function tensorScatterUpdate(tensor: Tensor, indices: Tensor, updates: Tensor): Tensor {
  assertTensor(tensor, 'tensorScatterUpdate', 'tensor');
  assertTensor(updates, 'tensorScatterUpdate', 'updates');
  const idx = tfIndices('tensorScatterUpdate', indices);
  if (updates.dtype !== tensor.dtype)
    throw new DTypeError(
      `tensorScatterUpdate: updates (${updates.dtype}) must have the dtype of tensor (${tensor.dtype})`,
    );
  checkUpdates('tensorScatterUpdate', idx, updates, tensor.shape);
  const { offs, inner } = tupleOffsets('tensorScatterUpdate', tensor.shape, idx);
  return scatterReduce('tensorScatterUpdate', tensor, updates, flatOf(offs, inner), 'none');
}
