// ONNX index-tuple and scatter operators: GatherND, ScatterND, ScatterElements (and its opset-9 name Scatter). The
// indices are read as numbers into flat offsets; data moves through take / scatterAdd, so gradients flow to data and
// updates.
import { ShapeError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { add, cast, maximum, minimum, mul, where } from '../../ops/elementwise/builders.js';
import { scatterAdd, take } from '../../ops/network/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { normAx } from './ops-shape.js';
import { type OpContext, type OpDef, need, unsupported, where as at } from './op-types.js';

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

/** The indices as numbers; refused while ops are traced (export) unless they are constants of the graph. */
function indexValues(idx: Tensor, c: OpContext): ArrayLike<number> {
  if (hasOpListeners() && !c.staticInputs?.[1])
    unsupported(
      c.node,
      'indices computed from a graph input while ops are traced (export)',
      'constant indices',
    );
  return idx.raw;
}
/** An index along a dim of size n, negative ones counted from the end, with a clear error when out of range. */
function wrap(v: number, n: number, what: string, c: OpContext): number {
  if (!(v >= -n && v < n))
    throw new ShapeError(`${at(c.node)}: index ${v} is out of range for ${what} of size ${n}`);
  return v < 0 ? v + n : v;
}

/**
 * Offsets into data of each index tuple (the last axis of indices, k long) after batch_dims shared leading axes:
 * one offset per tuple, plus the size of the slice each tuple addresses.
 */
function tupleOffsets(data: Tensor, idx: Tensor, b: number, c: OpContext): { offs: number[]; inner: number } {
  const k = idx.shape[idx.rank - 1];
  if (
    idx.rank < 1 ||
    k === undefined ||
    b + k > data.rank ||
    idx.shape.slice(0, b).some((d, i) => d !== data.shape[i])
  )
    throw new ShapeError(
      `${at(c.node)}: indices ${fmtShape(idx.shape)} do not address data ${fmtShape(data.shape)} (batch_dims ${b})`,
    );
  const v = indexValues(idx, c);
  const st = strides(data.shape);
  const perBatch = prod(idx.shape.slice(b, -1));
  const offs: number[] = [];
  for (let t = 0; t < v.length / k; t++) {
    // the batch coordinates of tuple t, then its k indices
    let off = 0;
    let rem = Math.floor(t / perBatch);
    for (let d = b - 1; d >= 0; d--) {
      off += (rem % data.shape[d]) * st[d];
      rem = Math.floor(rem / data.shape[d]);
    }
    for (let j = 0; j < k; j++) off += wrap(v[t * k + j], data.shape[b + j], `axis ${b + j}`, c) * st[b + j];
    offs.push(off);
  }
  return { offs, inner: prod(data.shape.slice(b + k)) };
}

const flatOf = (offs: number[], inner: number): Int32Array => {
  const flat = new Int32Array(offs.length * inner);
  offs.forEach((o, t) => {
    for (let e = 0; e < inner; e++) flat[t * inner + e] = o + e;
  });
  return flat;
};

function gatherND(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const idx = need(ins, 1, c.node, 'indices');
  const b = c.attrs.int('batch_dims', 0);
  const { offs, inner } = tupleOffsets(x, idx, b, c);
  const out = [...idx.shape.slice(0, -1), ...x.shape.slice(b + idx.shape[idx.rank - 1])];
  return take(x, new Tensor(flatOf(offs, inner), out));
}

/**
 * data with updates written at flat offsets: reduction 'add' adds them all (one scatterAdd); 'none', 'mul', 'max' and
 * 'min' go in layers where each offset appears once (the j-th write to an offset in layer j), applied in order, so
 * repeated offsets take the last write ('none') or combine ('mul', 'max', 'min').
 */
function scatterInto(data: Tensor, updates: Tensor, flat: Int32Array, c: OpContext): Tensor {
  const red = c.attrs.str('reduction', 'none');
  if (!['none', 'add', 'mul', 'max', 'min'].includes(red))
    unsupported(c.node, `reduction='${red}'`, "'none', 'add', 'mul', 'max', 'min'");
  if (updates.size !== flat.length)
    throw new ShapeError(
      `${at(c.node)}: updates ${fmtShape(updates.shape)} do not match the indices (${flat.length} values)`,
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

function scatterND(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const { offs, inner } = tupleOffsets(x, need(ins, 1, c.node, 'indices'), 0, c);
  return scatterInto(x, need(ins, 2, c.node, 'updates'), flatOf(offs, inner), c);
}

/** ScatterElements: updates[i…] goes to data[i… with i_axis replaced by indices[i…]]. */
function scatterElements(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const idx = need(ins, 1, c.node, 'indices');
  const upd = need(ins, 2, c.node, 'updates');
  const a = normAx(c.attrs.int('axis', 0), x.rank, c);
  if (idx.rank !== x.rank || idx.shape.some((d, i) => d !== upd.shape[i] || (i !== a && d > x.shape[i])))
    throw new ShapeError(
      `${at(c.node)}: indices ${fmtShape(idx.shape)} and updates ${fmtShape(upd.shape)} must match and fit in data ${fmtShape(x.shape)}`,
    );
  const v = indexValues(idx, c);
  const flat = elementOffsets(idx.shape, strides(x.shape), a, (f) => wrap(v[f], x.shape[a], `axis ${a}`, c));
  return scatterInto(x, upd, flat, c);
}

export const scatterOps: Record<string, OpDef> = {
  GatherND: { attrs: ['batch_dims'], valueInputs: [1], run: (ins, c) => [gatherND(ins, c)] },
  ScatterND: { attrs: ['reduction'], valueInputs: [1], run: (ins, c) => [scatterND(ins, c)] },
  ScatterElements: {
    attrs: ['axis', 'reduction'],
    valueInputs: [1],
    run: (ins, c) => [scatterElements(ins, c)],
  },
  // Scatter (opset 9-10) is ScatterElements without reduction
  Scatter: { attrs: ['axis'], valueInputs: [1], run: (ins, c) => [scatterElements(ins, c)] },
};
