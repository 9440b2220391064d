// Data movement kernels in plain JS, tuned for the common layouts (the wasm backend uses these directly:
// for pure copies, moving data into wasm memory and back would cost more than the move itself).
// They collapse adjacent axes first, then copy contiguous runs or sweep 2-D tiles.
import type { TypedArray } from '../../core/dtype.js';
import { stridesOf } from '../../core/shape.js';
import type { Kernels } from '../kernels.js';

/** Contiguous run length above which TypedArray.set beats an element loop. */
const SET_MIN = 32;

function copyRun(x: TypedArray, src: number, out: TypedArray, dst: number, len: number): void {
  if (len >= SET_MIN) out.set(x.subarray(src, src + len), dst);
  else for (let i = 0; i < len; i++) out[dst + i] = x[src + i];
}

/**
 * Visit the outer index space `shape` (all but the innermost collapsed axis) in row-major order, calling
 * fn(srcOffset, dstOffset) with src strides `sst` and dst strides `dst`.
 */
function sweep(
  shape: number[],
  sst: number[],
  dstSt: number[],
  srcBase: number,
  dstBase: number,
  fn: (s: number, d: number) => void,
): void {
  const r = shape.length;
  if (r === 0) return fn(srcBase, dstBase);
  if (shape.some((d) => d === 0)) return;
  if (r === 1) {
    for (let i = 0, s = srcBase, d = dstBase; i < shape[0]; i++, s += sst[0], d += dstSt[0]) fn(s, d);
    return;
  }
  if (r === 2) {
    for (let i = 0; i < shape[0]; i++)
      for (
        let j = 0, s = srcBase + i * sst[0], d = dstBase + i * dstSt[0];
        j < shape[1];
        j++, s += sst[1], d += dstSt[1]
      )
        fn(s, d);
    return;
  }
  const idx = new Array<number>(r).fill(0);
  let s = srcBase;
  let d = dstBase;
  for (;;) {
    fn(s, d);
    let ax = r - 1;
    for (; ax >= 0; ax--) {
      idx[ax]++;
      s += sst[ax];
      d += dstSt[ax];
      if (idx[ax] < shape[ax]) break;
      s -= sst[ax] * shape[ax];
      d -= dstSt[ax] * shape[ax];
      idx[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/**
 * Merge adjacent axes whose strides chain (stride[i] = stride[i+1]·size[i+1] in every stride list); drop size-1 axes.
 * NOTE: plain loops and push, not map/every/forEach: once V8 optimizes a caller, an inlined `map` builds a holey
 * array, and code optimized on the packed one deopts ("wrong map") and runs unoptimized for ~70 more steps.
 */
function collapse(shape: readonly number[], ...strides: number[][]): [number[], number[][]] {
  const sh: number[] = [];
  const st: number[][] = [];
  for (let k = 0; k < strides.length; k++) st.push([]);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = sh.length - 1;
    let chains = last >= 0;
    for (let k = 0; chains && k < strides.length; k++) chains = st[k][last] === strides[k][i] * shape[i];
    if (chains) {
      sh[last] *= shape[i];
      for (let k = 0; k < strides.length; k++) st[k][last] = strides[k][i];
    } else {
      sh.push(shape[i]);
      for (let k = 0; k < strides.length; k++) st[k].push(strides[k][i]);
    }
  }
  return [sh, st];
}

/** out[i] = x[src(i)] over an output index space with the given source strides (dst is contiguous). */
function gather(
  x: TypedArray,
  outShape: readonly number[],
  srcStrides: number[],
  srcBase: number,
  out: TypedArray,
): void {
  if (out.length === 0) return; // an empty output (a 0 axis): the broadcast path below would still copy a row
  // NOTE: indexed, not `[sh, [sst, dst]] =`: destructuring runs the iterator protocol until V8 optimizes the caller
  const c = collapse(outShape, srcStrides, stridesOf(outShape));
  const sh = c[0];
  const sst = c[1][0];
  const dst = c[1][1];
  if (sh.length === 0) {
    if (out.length) out[0] = x[srcBase];
    return;
  }
  gatherCollapsed(x, sh, sst, dst, srcBase, out);
}

function gatherCollapsed(
  x: TypedArray,
  sh: number[],
  sst: number[],
  dst: number[],
  srcBase: number,
  out: TypedArray,
): void {
  const r = sh.length - 1;
  if (r >= 1 && sst[0] === 0) {
    // NOTE: a broadcast outermost axis: build its first slice, then replicate it by doubling with copyWithin.
    gatherCollapsed(x, sh.slice(1), sst.slice(1), dst.slice(1), srcBase, out);
    const total = dst[0] * sh[0];
    for (let filled = dst[0]; filled < total; filled += Math.min(filled, total - filled))
      out.copyWithin(filled, 0, Math.min(filled, total - filled));
    return;
  }
  const len = sh[r];
  const step = sst[r];
  const outer = sh.slice(0, r);
  if (step === 1)
    return sweep(outer, sst.slice(0, r), dst.slice(0, r), srcBase, 0, (s, d) => copyRun(x, s, out, d, len));
  if (step === 0)
    return sweep(
      outer,
      sst.slice(0, r),
      dst.slice(0, r),
      srcBase,
      0,
      (s, d) => void out.fill(x[s], d, d + len),
    );
  // NOTE: a strided innermost read with a contiguous write (a transpose): sweep 2-D tiles so reads stay in cache
  // when the next-outer output axis reads contiguously.
  if (r >= 1 && sst[r - 1] === 1 && len >= 8 && sh[r - 1] >= 8) {
    const rows = sh[r - 1];
    const dRow = dst[r - 1];
    const T = 32;
    return sweep(sh.slice(0, r - 1), sst.slice(0, r - 1), dst.slice(0, r - 1), srcBase, 0, (s0, d0) => {
      for (let i0 = 0; i0 < rows; i0 += T)
        for (let j0 = 0; j0 < len; j0 += T) {
          const i1 = Math.min(rows, i0 + T);
          const j1 = Math.min(len, j0 + T);
          for (let i = i0; i < i1; i++)
            for (let j = j0, d = d0 + i * dRow + j0, s = s0 + i + j0 * step; j < j1; j++, d++, s += step)
              out[d] = x[s];
        }
    });
  }
  sweep(outer, sst.slice(0, r), dst.slice(0, r), srcBase, 0, (s, d) => {
    for (let j = 0; j < len; j++, s += step) out[d + j] = x[s];
  });
}

/** The output shape of a transpose and, for each of its axes, the stride of that axis in the source. */
function permuted(shape: readonly number[], perm: readonly number[]): [number[], number[]] {
  const st = stridesOf(shape);
  const sh: number[] = []; // NOTE: push, not map (see collapse)
  const sst: number[] = [];
  for (let d = 0; d < perm.length; d++) {
    sh.push(shape[perm[d]]);
    sst.push(st[perm[d]]);
  }
  return [sh, sst];
}

/**
 * A transpose as a batched 2-D one: `[B, R, C]` → `[B, C, R]` (B = 1 for a plain matrix), or null when its merged
 * axes are not that (e.g. OIHW → HWIO, which reorders three groups). NCHW ↔ NHWC and a matrix transpose are:
 * [N, H·W, C] ↔ [N, C, H·W].
 */
export function asBatched2d(
  shape: readonly number[],
  perm: readonly number[],
): [number, number, number] | null {
  const p = permuted(shape, perm);
  const c = collapse(p[0], p[1], stridesOf(p[0]));
  const os = c[0];
  const xs = c[1][0];
  const n = os.length;
  if (n < 2 || n > 3) return null;
  const C = os[n - 2]; // output rows = source columns
  const R = os[n - 1];
  if (xs[n - 2] !== 1 || xs[n - 1] !== C) return null;
  if (n === 3 && xs[0] !== R * C) return null;
  return [n === 3 ? os[0] : 1, R, C];
}

/** Transpose, broadcastTo, slice, pad, concat, take and scatterAdd for every dtype. */
export const fastMovement: Pick<
  Kernels,
  'transpose' | 'broadcastTo' | 'slice' | 'pad' | 'concat' | 'take' | 'scatterAdd'
> = {
  transpose(x, shape, perm, out) {
    const p = permuted(shape, perm);
    gather(x, p[0], p[1], 0, out);
  },
  broadcastTo(x, inShape, outShape, out) {
    const st = stridesOf(inShape);
    const sst: number[] = []; // NOTE: push, not map (see collapse)
    for (let d = 0; d < st.length; d++) sst.push(inShape[d] === 1 ? 0 : st[d]);
    gather(x, outShape, sst, 0, out);
  },
  slice(x, shape, begin, size, out) {
    const st = stridesOf(shape);
    gather(
      x,
      size,
      st,
      begin.reduce((acc, b, d) => acc + b * st[d], 0),
      out,
    );
  },
  pad(x, shape, before, after, value, out) {
    const outShape = shape.map((d, i) => d + before[i] + after[i]);
    out.fill(value);
    const ost = stridesOf(outShape);
    const base = before.reduce((acc, b, d) => acc + b * ost[d], 0);
    // walk the input in order and write each contiguous run at its shifted output position
    const c = collapse(shape, ost, stridesOf(shape));
    const sh = c[0];
    const dst = c[1][0];
    const sst = c[1][1];
    if (sh.length === 0) {
      if (x.length) out[base] = x[0];
      return;
    }
    const r = sh.length - 1;
    const len = sh[r];
    if (dst[r] !== 1) {
      sweep(sh, sst, dst, 0, base, (s, d) => (out[d] = x[s]));
      return;
    }
    sweep(sh.slice(0, r), sst.slice(0, r), dst.slice(0, r), 0, base, (s, d) => copyRun(x, s, out, d, len));
  },
  concat(xs, outer, dims, inner, out) {
    const total = dims.reduce((a, b) => a + b, 0) * inner;
    let off = 0;
    xs.forEach((x, t) => {
      const w = dims[t] * inner;
      for (let o = 0; o < outer; o++) copyRun(x, o * w, out, o * total + off, w);
      off += w;
    });
  },
  take(x, idx, out) {
    for (let i = 0; i < idx.length; i++) out[i] = x[idx[i]];
  },
  scatterAdd(g, idx, out) {
    out.fill(0);
    for (let i = 0; i < idx.length; i++) out[idx[i]] += g[i];
  },
};
