// Reference kernels in plain loops: the oracle every fast kernel is tested against.
import type { TypedArray } from '../core/dtype.js';
import { ValueError } from '../core/errors.js';
import { stridesOf } from '../core/shape.js';
import type { BinaryOp, CompareOp, Kernels, UnaryOp, WindowGeom } from './kernels.js';
import { lstmGates, lstmGatesGrad } from './lstm.js';
import { channelAffine, channelSums, channelMoments } from './channel.js';
import { topk } from './topk.js';
import { erf, intPow, softplus } from './scalar-math.js';
export { erf } from './scalar-math.js';

const UNARY: Record<UnaryOp, (v: number) => number> = {
  neg: (v) => -v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  // NOTE: NaN stays NaN (PyTorch, TF.js): max(x, 0) with a NaN-propagating max.
  relu: (v) => (v > 0 ? v : v === v ? 0 : v),
  // NOTE: split by sign so neither branch overflows exp.
  sigmoid: (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
  erf,
  floor: Math.floor,
  log1p: Math.log1p,
  expm1: Math.expm1,
  softplus,
};

/** a op b for one pair of values: the reference's rules (also used by the inference kernels' per-operand loops). */
export const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  // NOTE: NaN propagates (as NumPy and WASM's f32x4.max): a NaN operand is never replaced by the other one.
  maximum: (a, b) => (a >= b || a !== a ? a : b),
  minimum: (a, b) => (a <= b || a !== a ? a : b),
  // NOTE: 0 where x ≤ 0 whatever g is (a NaN or infinite g included, as PyTorch's threshold_backward); a NaN x
  // gives NaN (relu'(NaN) is no number: NaN in, NaN out), where PyTorch passes g through
  reluGrad: (g, x) => (x > 0 ? g : x === x ? 0 : x),
};

/**
 * The rule of a binary op for int32 operands: mul and pow wrap modulo 2³² (a double product is not exact past 2⁵³,
 * so a·b stored to int32 would lose its low bits); the others are exact in a double and wrap when stored.
 */
export function intBinaryRule(op: BinaryOp): (a: number, b: number) => number {
  return op === 'mul' ? Math.imul : op === 'pow' ? intPow : BINARY[op];
}

/** out[i] = x[i] op s, or s op x[i] when `scalarFirst` (a scalar operand read once, never broadcast). */
export function scalarBinary(
  op: BinaryOp,
  x: TypedArray,
  s: number,
  scalarFirst: boolean,
  out: TypedArray,
): void {
  const n = out.length;
  if (out instanceof Int32Array && (op === 'mul' || op === 'pow')) {
    const f = intBinaryRule(op);
    if (scalarFirst) for (let i = 0; i < n; i++) out[i] = f(s, x[i]);
    else for (let i = 0; i < n; i++) out[i] = f(x[i], s);
    return;
  }
  // NOTE: the common ops get their own loops (no call per element)
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = x[i] + s;
  else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = x[i] * s;
  else if (op === 'sub' && !scalarFirst) for (let i = 0; i < n; i++) out[i] = x[i] - s;
  else if (op === 'div' && !scalarFirst) for (let i = 0; i < n; i++) out[i] = x[i] / s;
  else {
    const f = BINARY[op]; // the reference's rule (its NaN handling for maximum/minimum)
    if (scalarFirst) for (let i = 0; i < n; i++) out[i] = f(s, x[i]);
    else for (let i = 0; i < n; i++) out[i] = f(x[i], s);
  }
}

const COMPARE: Record<CompareOp, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
};

/** Visit every multi-index of `shape` in row-major order, calling fn(flatOut, srcOffset) with src strides. */
function forEachIndex(
  shape: readonly number[],
  srcStrides: readonly number[],
  srcBase: number,
  fn: (i: number, src: number) => void,
): void {
  const r = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const idx = new Array<number>(r).fill(0);
  let src = srcBase;
  for (let i = 0; i < total; i++) {
    fn(i, src);
    for (let d = r - 1; d >= 0; d--) {
      idx[d]++;
      src += srcStrides[d];
      if (idx[d] < shape[d]) break;
      src -= srcStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Each window's first maximum as a flat index into x (-1 if the window sees only padding), in output order. */
function poolScan(x: TypedArray, g: WindowGeom, emit: (o: number, best: number) => void): void {
  let o = 0;
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ch = 0; ch < g.c; ch++, o++) {
          let best = -1;
          let bv = -Infinity;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
              if (ix < 0 || ix >= g.w) continue;
              const src = ((b * g.h + iy) * g.w + ix) * g.c + ch;
              // NOTE: ties go to the first maximum in row-major window order (strict >); the first NaN wins, so a
              // NaN in a window makes its max NaN (PyTorch's max_pool2d).
              const v = x[src];
              if (best < 0 || v > bv || (v !== v && bv === bv)) [bv, best] = [v, src];
            }
          }
          emit(o, best);
        }
}

/** The maximum of x[base + k·inner] for k < mid (a NaN wins): one row of a softmax over [outer, mid, inner]. */
export function rowMax(x: TypedArray, base: number, mid: number, inner: number): number {
  let m = -Infinity;
  for (let k = 0; k < mid; k++) {
    const v = x[base + k * inner];
    if (v > m || v !== v) m = v;
  }
  return m;
}
/** Σ exp(x[base + k·inner] − m) for k < mid, in float64. */
export function rowSumExp(x: TypedArray, base: number, mid: number, inner: number, m: number): number {
  let s = 0;
  for (let k = 0; k < mid; k++) s += Math.exp(x[base + k * inner] - m);
  return s;
}

export const jsKernels: Kernels = {
  name: 'js',
  // NOTE: the arithmetic ops get their own loops (their rule is the operator): a call per element through the table
  // returns a boxed number, a heap allocation per value, wherever V8 does not inline the call. Rules with NaN cases
  // (relu, reluGrad, maximum, ...) are written once, in the tables.
  unary(op, x, out) {
    const n = x.length;
    if (op === 'neg') for (let i = 0; i < n; i++) out[i] = -x[i];
    else {
      const f = UNARY[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]);
    }
  },
  binary(op, a, b, out) {
    const n = out.length;
    if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
    else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
    else if (out instanceof Int32Array && (op === 'mul' || op === 'pow')) {
      const f = intBinaryRule(op);
      for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    } else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
    else if (op === 'div') for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
    else {
      const f = BINARY[op];
      for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    }
  },
  binaryScalar(op, a, s, scalarFirst, out) {
    scalarBinary(op, a, out instanceof Float32Array ? Math.fround(s) : s, scalarFirst, out);
  },
  compare(op, a, b, out) {
    const f = COMPARE[op];
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]) ? 1 : 0;
  },
  where(cond, a, b, out) {
    for (let i = 0; i < out.length; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
  },
  biasAdd(x, bias, out) {
    const c = bias.length;
    for (let i = 0, j = 0; i < out.length; i++, j = j + 1 === c ? 0 : j + 1) out[i] = x[i] + bias[j];
  },
  cast(x, out) {
    if (out instanceof Int32Array) for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
    else out.set(x);
  },
  reduce(op, x, outer, mid, inner, out) {
    // NOTE: an int32 sum wraps at every step (exact, where a double sum of millions of large values is not)
    if (op === 'sum' && out instanceof Int32Array) {
      for (let o = 0; o < outer; o++)
        for (let j = 0; j < inner; j++) {
          let acc = 0;
          for (let m = 0; m < mid; m++) acc = (acc + x[(o * mid + m) * inner + j]) | 0;
          out[o * inner + j] = acc;
        }
      return;
    }
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        let acc = op === 'sum' ? 0 : -Infinity;
        for (let m = 0; m < mid; m++) {
          const v = x[(o * mid + m) * inner + j];
          acc = op === 'sum' ? acc + v : v > acc || Number.isNaN(v) ? v : acc;
        }
        out[o * inner + j] = acc;
      }
  },
  logSoftmax(x, outer, mid, inner, out) {
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * mid * inner + j;
        const m = rowMax(x, base, mid, inner);
        const s = rowSumExp(x, base, mid, inner, m);
        // NOTE: a row with a NaN or a +∞ is NaN throughout (PyTorch: ∞ − ∞ has no value, and softmax's Σ is
        // undefined); a row of −∞ (or none) gives x − (−∞): NaN for −∞ entries, as the composition
        // (x − m) − log Σ exp(x − m) does (ops/composite/activations.ts)
        const lse = m - m !== 0 ? (m === Infinity ? NaN : m) : m + Math.log(s);
        for (let k = 0; k < mid; k++) out[base + k * inner] = x[base + k * inner] - lse;
      }
  },
  logSoftmaxGrad(g, y, outer, mid, inner, out) {
    const f32 = out instanceof Float32Array;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * mid * inner + j;
        let s = 0;
        for (let k = 0; k < mid; k++) s += g[base + k * inner];
        // NOTE: float32 rounds Σg and e^y·Σg as the composition exp → sum → mul → sub does
        const sr = f32 ? Math.fround(s) : s;
        for (let k = 0; k < mid; k++) {
          const at = base + k * inner;
          const e = Math.exp(y[at]);
          out[at] = g[at] - (f32 ? Math.fround(Math.fround(e) * sr) : e * sr);
        }
      }
  },
  firstNonFinite(x) {
    for (let i = 0; i < x.length; i++) if (x[i] - x[i] !== 0) return i; // NaN and ±Inf give NaN; finite v gives 0
    return -1;
  },
  argmax(x, outer, mid, inner, out) {
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        let best = 0;
        let bv = -Infinity;
        for (let m = 0; m < mid; m++) {
          const v = x[(o * mid + m) * inner + j];
          // NOTE: the first NaN wins, as NumPy's and PyTorch's argmax (NaN is the maximum).
          if (v > bv || (v !== v && bv === bv)) [bv, best] = [v, m];
        }
        out[o * inner + j] = best;
      }
  },
  matmul(a, b, out, batchA, batchB, m, n, k, transA, transB) {
    // NOTE: int32 products and sums wrap modulo 2³² at every step (exact; a double sum is not past 2⁵³)
    const int = out instanceof Int32Array;
    const batch = Math.max(batchA, batchB);
    for (let bi = 0; bi < batch; bi++) {
      const ao = batchA === 1 ? 0 : bi * m * k;
      const bo = batchB === 1 ? 0 : bi * k * n;
      const oo = bi * m * n;
      const [as, bs] = [transA ? m : 1, transB ? 1 : n]; // steps along k in a and b
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          const a0 = ao + (transA ? i : i * k);
          const b0 = bo + (transB ? j * k : j);
          let s = 0;
          if (int) for (let p = 0; p < k; p++) s = (s + Math.imul(a[a0 + p * as], b[b0 + p * bs])) | 0;
          else for (let p = 0; p < k; p++) s += a[a0 + p * as] * b[b0 + p * bs];
          out[oo + i * n + j] = s;
        }
    }
  },
  transpose(x, shape, perm, out) {
    const st = stridesOf(shape);
    forEachIndex(
      perm.map((p) => shape[p]),
      perm.map((p) => st[p]),
      0,
      (i, src) => (out[i] = x[src]),
    );
  },
  broadcastTo(x, inShape, outShape, out) {
    const st = stridesOf(inShape).map((s, d) => (inShape[d] === 1 ? 0 : s));
    forEachIndex(outShape, st, 0, (i, src) => (out[i] = x[src]));
  },
  slice(x, shape, begin, size, out) {
    const st = stridesOf(shape);
    const base = begin.reduce((acc, b, d) => acc + b * st[d], 0);
    forEachIndex(size, st, base, (i, src) => (out[i] = x[src]));
  },
  pad(x, shape, before, after, value, out) {
    const outShape = shape.map((d, i) => d + before[i] + after[i]);
    out.fill(value);
    const ost = stridesOf(outShape);
    const base = before.reduce((acc, b, d) => acc + b * ost[d], 0);
    // walk the input in order; write at the shifted output position
    forEachIndex(shape, ost, base, (i, dst) => (out[dst] = x[i]));
  },
  concat(xs, outer, dims, inner, out) {
    const total = dims.reduce((a, b) => a + b, 0) * inner;
    let off = 0;
    xs.forEach((x, t) => {
      const w = dims[t] * inner;
      for (let o = 0; o < outer; o++) for (let j = 0; j < w; j++) out[o * total + off + j] = x[o * w + j];
      off += w;
    });
  },
  im2col(x, g, out) {
    let row = 0;
    for (let b = 0; b < g.n; b++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++, row++) {
          let col = row * g.kh * g.kw * g.c;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
              const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
              const src = ((b * g.h + iy) * g.w + ix) * g.c;
              for (let ch = 0; ch < g.c; ch++) out[col++] = inside ? x[src + ch] : 0;
            }
          }
        }
  },
  col2im(cols, g, out) {
    out.fill(0);
    let row = 0;
    for (let b = 0; b < g.n; b++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++, row++) {
          let col = row * g.kh * g.kw * g.c;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) {
                col += g.c;
                continue;
              }
              const dst = ((b * g.h + iy) * g.w + ix) * g.c;
              for (let ch = 0; ch < g.c; ch++) out[dst + ch] += cols[col++];
            }
          }
        }
  },
  poolArgmax(x, g, out) {
    poolScan(x, g, (o, best) => (out[o] = best));
  },
  conv2d(x, w, bias, g, o, out, act = 'linear', nchw = false) {
    // NOTE: direct loops (no patch matrix), summing taps in im2col's column order so results match the composition.
    const per = g.outH * g.outW;
    let row = 0;
    for (let b = 0; b < g.n; b++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++, row++)
          for (let j = 0; j < o; j++) {
            let s = 0;
            let p = 0;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
                const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                const src = ((b * g.h + iy) * g.w + ix) * g.c;
                // NOTE: padding contributes 0·w, as the patch matrix does (so a NaN weight gives NaN there too).
                for (let ch = 0; ch < g.c; ch++, p++) s += (inside ? x[src + ch] : 0) * w[p * o + j];
              }
            }
            out[nchw ? (b * o + j) * per + (row - b * per) : row * o + j] = bias ? s + bias[j] : s;
          }
    if (act === 'relu') for (let i = 0; i < out.length; i++) out[i] = UNARY.relu(out[i]);
    else if (act !== 'linear') throw new ValueError(`conv2d kernel: unknown activation '${String(act)}'`);
  },
  // NOTE: the two convolution gradients are defined as their compositions, run on the reference kernels above.
  conv2dBackpropInput(g, w, geom, o, out) {
    const rows = geom.n * geom.outH * geom.outW;
    const k = geom.kh * geom.kw * geom.c;
    const t = new (out.constructor as Float64ArrayConstructor)(rows * k);
    jsKernels.matmul(g, w, t, 1, 1, rows, k, o, false, true); // t = g·wᵀ
    jsKernels.col2im(t, geom, out);
  },
  conv2dBackpropFilter(x, g, geom, o, out) {
    const rows = geom.n * geom.outH * geom.outW;
    const k = geom.kh * geom.kw * geom.c;
    const cols = new (out.constructor as Float64ArrayConstructor)(rows * k);
    jsKernels.im2col(x, geom, cols);
    jsKernels.matmul(cols, g, out, 1, 1, k, o, rows, true, false); // im2col(x)ᵀ·g
  },
  poolMax(x, g, out) {
    poolScan(x, g, (o, best) => (out[o] = best < 0 ? 0 : x[best]));
  },
  poolMaxGrad(x, dy, g, out) {
    out.fill(0);
    poolScan(x, g, (o, best) => {
      if (best >= 0) out[best] += dy[o];
    });
  },
  avgPool(x, g, divisors, out) {
    // NOTE: the sum in the accumulator type of the reduce kernel (a JS number), stored (rounded to out's type) before
    // the division, as sum → div would store it
    const stored = out instanceof Float32Array ? Math.fround : (v: number) => v;
    let o = 0;
    for (let b = 0; b < g.n; b++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++) {
          const d = divisors[divisors.length === 1 ? 0 : oy * g.outW + ox];
          for (let ch = 0; ch < g.c; ch++, o++) {
            let s = 0;
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
                if (ix >= 0 && ix < g.w) s += x[((b * g.h + iy) * g.w + ix) * g.c + ch];
              }
            }
            out[o] = stored(s) / d;
          }
        }
  },
  take(x, idx, out) {
    for (let i = 0; i < idx.length; i++) out[i] = x[idx[i]];
  },
  scatterAdd(g, idx, out) {
    out.fill(0);
    for (let i = 0; i < idx.length; i++) out[idx[i]] += g[i];
  },
  lstmGates,
  lstmGatesGrad,
  channelMoments,
  channelAffine,
  channelSums,
  topk,
};

export type { WindowGeom, TypedArray };
