// Plain row-major arrays for weight conversion before they become tensors: transpose, flip, concat, split.
import type { TypedArray } from '../../core/dtype.js';
import { stridesOf } from '../../core/shape.js';

/** A stored weight during conversion: name, shape, row-major values, and notes on what was done to it. */
export interface NdWeight {
  name: string;
  shape: number[];
  data: TypedArray;
  /** Conversions applied (e.g. `flipped (Theano kernel)`), for the load report. */
  notes: string[];
  /** The file's weight names this one came from (several for merged Keras 1 gates). */
  from: string[];
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const newLike = (d: TypedArray, n: number): TypedArray =>
  new (d.constructor as new (n: number) => TypedArray)(n);

/** out[i_perm] = a[i]: numpy `np.transpose(a, perm)`. */
export function transposeNd(w: NdWeight, perm: number[], note: string): NdWeight {
  const shape = perm.map((p) => w.shape[p]);
  const inSt = stridesOf(w.shape);
  const n = size(shape);
  const out = newLike(w.data, n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < shape.length; k++) src += idx[k] * inSt[perm[k]];
    out[o] = w.data[src];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return { ...w, shape, data: out, notes: [...w.notes, note] };
}

/** Reverse the given axes: numpy `a[::-1, ::-1, ...]` on those axes. */
export function flipNd(w: NdWeight, axes: number[], note: string): NdWeight {
  const st = stridesOf(w.shape);
  const n = size(w.shape);
  const out = newLike(w.data, n);
  const idx = new Array<number>(w.shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let k = 0; k < w.shape.length; k++)
      src += (axes.includes(k) ? w.shape[k] - 1 - idx[k] : idx[k]) * st[k];
    out[o] = w.data[src];
    for (let k = w.shape.length - 1; k >= 0; k--) {
      if (++idx[k] < w.shape[k]) break;
      idx[k] = 0;
    }
  }
  return { ...w, data: out, notes: [...w.notes, note] };
}

/** Concatenate along the last axis (all other axes equal): numpy `np.concatenate(ws, axis=-1)`. */
export function concatLast(ws: NdWeight[], name: string, note: string): NdWeight {
  const lead = ws[0].shape.slice(0, -1);
  const rows = size(lead);
  const widths = ws.map((w) => w.shape[w.shape.length - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = newLike(ws[0].data, rows * total);
  for (let r = 0; r < rows; r++) {
    let off = r * total;
    ws.forEach((w, i) => {
      const wd = widths[i];
      out.set(w.data.subarray(r * wd, (r + 1) * wd), off);
      off += wd;
    });
  }
  return { name, shape: [...lead, total], data: out, notes: [note], from: ws.flatMap((w) => w.from) };
}

/** Split along the last axis into `n` equal parts. */
export function splitLast(w: NdWeight, n: number): NdWeight[] {
  const last = w.shape[w.shape.length - 1];
  const part = last / n;
  const rows = size(w.shape.slice(0, -1));
  return Array.from({ length: n }, (_, p) => {
    const out = newLike(w.data, rows * part);
    for (let r = 0; r < rows; r++)
      out.set(w.data.subarray(r * last + p * part, r * last + (p + 1) * part), r * part);
    return { ...w, shape: [...w.shape.slice(0, -1), part], data: out };
  });
}

/** Same values under a new shape (sizes must agree). */
export function reshapeNd(w: NdWeight, shape: number[], note: string): NdWeight {
  return { ...w, shape, notes: [...w.notes, note] };
}
