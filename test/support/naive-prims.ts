// Independent forward references for every primitive, by index arithmetic over plain arrays (no tapegrad ops).
import type { DType, PrimName, Tensor } from '../../src/index.js';
import type { WindowGeom } from '../../src/backend/kernels.js';

export interface NaiveOut {
  shape: number[];
  data: number[];
  dtype: DType;
}
type Naive = (ins: Tensor[], p: any) => NaiveOut;

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
/** Row-major multi-index of flat position i. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
/** Flat position of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < shape.length; d++) f = f * shape[d] + idx[d];
  return f;
}
const arr = (t: Tensor): number[] => Array.from(t.data);
/** out[i] = f(multi-index of i) over `shape`. */
const build = (shape: number[], dtype: DType, f: (idx: number[]) => number): NaiveOut => ({
  shape,
  dtype,
  data: Array.from({ length: size(shape) }, (_, i) => f(unravel(i, shape))),
});

/** erf by composite Simpson integration of 2/√π·e^(-t²) (independent of the kernel's series). */
export function erfSimpson(x: number): number {
  const n = 4000;
  const h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
}

const UNARY: Record<string, (v: number) => number> = {
  neg: (v) => -v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  relu: (v) => Math.max(v, 0),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
  erf: erfSimpson,
  floor: Math.floor,
  log1p: (v) => Math.log(1 + v),
  expm1: (v) => Math.exp(v) - 1,
  softplus: (v) => Math.log(1 + Math.exp(v)),
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
  reluGrad: (g, x) => (x > 0 ? g : x === x ? 0 : x),
};
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
};

const unary =
  (op: string): Naive =>
  ([x]) => ({ shape: [...x.shape], dtype: x.dtype, data: arr(x).map(UNARY[op]) });
const binary =
  (op: string): Naive =>
  ([a, b]) => ({ shape: [...a.shape], dtype: a.dtype, data: arr(a).map((v, i) => BINARY[op](v, b.data[i])) });

function reduceRef(
  x: Tensor,
  axes: number[],
  keepdims: boolean,
  init: number,
  f: (acc: number, v: number) => number,
): NaiveOut {
  const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
  const out = new Array<number>(size(outShape)).fill(init);
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, x.shape);
    const o = idx.flatMap((v, d) => (axes.includes(d) ? (keepdims ? [0] : []) : [v]));
    const j = ravel(o, outShape);
    out[j] = f(out[j], x.data[i]);
  }
  return { shape: outShape, dtype: x.dtype, data: out };
}

/** For each im2col entry, the flat NHWC index it reads (-1 where the window is in the padding). */
export function im2colSources(g: WindowGeom): Int32Array {
  const cols = g.kh * g.kw * g.c;
  const src = new Int32Array(g.n * g.outH * g.outW * cols);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let ky = 0; ky < g.kh; ky++)
          for (let kx = 0; kx < g.kw; kx++)
            for (let ch = 0; ch < g.c; ch++) {
              const row = (b * g.outH + oy) * g.outW + ox;
              const col = (ky * g.kw + kx) * g.c + ch;
              const y = oy * g.strideH + ky * g.dilationH - g.padTop;
              const x = ox * g.strideW + kx * g.dilationW - g.padLeft;
              src[row * cols + col] =
                y >= 0 && y < g.h && x >= 0 && x < g.w ? ravel([b, y, x, ch], [g.n, g.h, g.w, g.c]) : -1;
            }
  return src;
}

/** Each window's first maximum as a flat index into x (padding never wins), shaped [n, outH, outW, c]. */
function naiveArgmax(x: Tensor, g: WindowGeom): NaiveOut {
  const src = im2colSources(g);
  const k = g.kh * g.kw;
  return build([g.n, g.outH, g.outW, g.c], 'int32', ([b, oy, ox, ch]) => {
    const row = (b * g.outH + oy) * g.outW + ox;
    let best = -1;
    for (let w = 0; w < k; w++) {
      const s = src[row * k * g.c + w * g.c + ch];
      if (s >= 0 && (best < 0 || x.data[s] > x.data[best])) best = s;
    }
    return best;
  });
}

/** Gate activations and their derivatives from the input alone: σ' = e⁻ˣ/(1+e⁻ˣ)², tanh' = 1/cosh², relu' = [x > 0]. */
const GATE: Record<string, { f: (x: number) => number; d: (x: number) => number }> = {
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), d: (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2 },
  tanh: { f: Math.tanh, d: (x) => 1 / Math.cosh(x) ** 2 },
  relu: { f: (x) => Math.max(x, 0), d: (x) => (x > 0 ? 1 : 0) },
  linear: { f: (x) => x, d: () => 1 },
};

export const NAIVE_PRIMS: Record<PrimName, Naive> = {
  neg: unary('neg'),
  exp: unary('exp'),
  log: unary('log'),
  sqrt: unary('sqrt'),
  abs: unary('abs'),
  sign: unary('sign'),
  relu: unary('relu'),
  sigmoid: unary('sigmoid'),
  tanh: unary('tanh'),
  sin: unary('sin'),
  cos: unary('cos'),
  erf: unary('erf'),
  floor: unary('floor'),
  log1p: unary('log1p'),
  expm1: unary('expm1'),
  softplus: unary('softplus'),
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  pow: binary('pow'),
  maximum: binary('maximum'),
  minimum: binary('minimum'),
  reluGrad: binary('reluGrad'),
  binaryScalar: ([x], p) => ({
    shape: [...x.shape],
    dtype: x.dtype,
    data: arr(x).map((v) => {
      const s = x.dtype === 'float32' ? Math.fround(p.s) : p.s;
      return p.scalarFirst ? BINARY[p.op](s, v) : BINARY[p.op](v, s);
    }),
  }),
  compare: ([a, b], p) => ({
    shape: [...a.shape],
    dtype: a.dtype,
    data: arr(a).map((v, i) => (COMPARE[p.op](v, b.data[i]) ? 1 : 0)),
  }),
  where: ([c, a, b]) => ({
    shape: [...a.shape],
    dtype: a.dtype,
    data: arr(c).map((v, i) => (v !== 0 ? a.data[i] : b.data[i])),
  }),
  biasAdd: ([x, b]) => ({
    shape: [...x.shape],
    dtype: x.dtype,
    data: arr(x).map((v, i) => v + b.data[i % b.size]),
  }),
  cast: ([x], p) => ({
    shape: [...x.shape],
    dtype: p.dtype,
    data: arr(x).map((v) =>
      p.dtype === 'int32' ? Math.trunc(v) : p.dtype === 'float32' ? Math.fround(v) : v,
    ),
  }),
  sum: ([x], p) => reduceRef(x, p.axes, p.keepdims, 0, (a, v) => a + v),
  max: ([x], p) => reduceRef(x, p.axes, p.keepdims, -Infinity, Math.max),
  argmax: ([x], p) => {
    const outShape = x.shape.filter((_, d) => d !== p.axis);
    return build(outShape, 'int32', (o) => {
      let best = 0;
      for (let m = 1; m < x.shape[p.axis]; m++) {
        const at = (k: number) => x.data[ravel([...o.slice(0, p.axis), k, ...o.slice(p.axis)], x.shape)];
        if (at(m) > at(best)) best = m;
      }
      return best;
    });
  },
  // each row sorted by (value descending, position ascending), its first k positions
  topkIndices: ([x], p) => {
    const n = x.shape[x.shape.length - 1];
    const v = arr(x);
    return build([...x.shape.slice(0, -1), p.k], 'int32', (o) => {
      const row = o.slice(0, -1).reduce((r, d, i) => r * x.shape[i] + d, 0);
      const order = Array.from({ length: n }, (_, j) => j).sort(
        (i, j) => v[row * n + j] - v[row * n + i] || i - j,
      );
      return order[o[o.length - 1]];
    });
  },
  // log(exp(xᵢ) / Σ_k exp(x_k)) along the axis, from the definition (no shift: the arbitraries' values are small)
  logSoftmaxFused: ([x], p) =>
    build([...x.shape], x.dtype, (o) => {
      let s = 0;
      for (let k = 0; k < x.shape[p.axis]; k++)
        s += Math.exp(x.data[ravel([...o.slice(0, p.axis), k, ...o.slice(p.axis + 1)], x.shape)]);
      return Math.log(Math.exp(x.data[ravel(o, x.shape)]) / s);
    }),
  // gᵢ − exp(yᵢ)·Σ_k g_k along the axis
  logSoftmaxGrad: ([g, y], p) =>
    build([...g.shape], g.dtype, (o) => {
      let s = 0;
      for (let k = 0; k < g.shape[p.axis]; k++)
        s += g.data[ravel([...o.slice(0, p.axis), k, ...o.slice(p.axis + 1)], g.shape)];
      return g.data[ravel(o, g.shape)] - Math.exp(y.data[ravel(o, y.shape)]) * s;
    }),
  reshape: ([x], p) => ({ shape: [...p.shape], dtype: x.dtype, data: arr(x) }),
  transpose: ([x], p) => {
    const perm: number[] = p.perm;
    return build(
      perm.map((a) => x.shape[a]),
      x.dtype,
      (o) => {
        const idx = new Array<number>(x.rank);
        perm.forEach((a, k) => (idx[a] = o[k]));
        return x.data[ravel(idx, x.shape)];
      },
    );
  },
  broadcastTo: ([x], p) => {
    const off = p.shape.length - x.rank;
    return build(
      [...p.shape],
      x.dtype,
      (o) =>
        x.data[
          ravel(
            x.shape.map((d, i) => (d === 1 ? 0 : o[off + i])),
            x.shape,
          )
        ],
    );
  },
  slice: ([x], p) =>
    build(
      [...p.size],
      x.dtype,
      (o) =>
        x.data[
          ravel(
            o.map((v, d) => v + p.begin[d]),
            x.shape,
          )
        ],
    ),
  pad: ([x], p) =>
    build(
      x.shape.map((d, i) => d + p.before[i] + p.after[i]),
      x.dtype,
      (o) => {
        const idx = o.map((v, d) => v - p.before[d]);
        return idx.every((v, d) => v >= 0 && v < x.shape[d]) ? x.data[ravel(idx, x.shape)] : p.value;
      },
    ),
  concat: (ins, p) => {
    const shape = ins[0].shape.map((d, i) => (i === p.axis ? ins.reduce((a, t) => a + t.shape[i], 0) : d));
    return build(shape, ins[0].dtype, (o) => {
      let k = o[p.axis];
      for (const t of ins) {
        if (k < t.shape[p.axis])
          return t.data[
            ravel(
              o.map((v, d) => (d === p.axis ? k : v)),
              t.shape,
            )
          ];
        k -= t.shape[p.axis];
      }
      throw new Error('concat reference: index past the end');
    });
  },
  matmul: ([a, b], p) => {
    const ra = a.rank;
    const rb = b.rank;
    const m = p.transA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = p.transA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = p.transB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batch = ra > 2 ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    const A = (bi: number, i: number, j: number) =>
      a.data[(ra > 2 ? bi * m * k : 0) + (p.transA ? j * m + i : i * k + j)];
    const B = (bi: number, i: number, j: number) =>
      b.data[(rb > 2 ? bi * k * n : 0) + (p.transB ? j * k + i : i * n + j)];
    return build([...batch, m, n], a.dtype, (o) => {
      const bi = ravel(o.slice(0, -2), batch);
      let s = 0;
      for (let q = 0; q < k; q++) s += A(bi, o[o.length - 2], q) * B(bi, q, o[o.length - 1]);
      return s;
    });
  },
  im2col: ([x], { geom: g }) => {
    const src = im2colSources(g);
    return {
      shape: [g.n * g.outH * g.outW, g.kh * g.kw * g.c],
      dtype: x.dtype,
      data: Array.from(src, (s) => (s < 0 ? 0 : x.data[s])),
    };
  },
  col2im: ([cols], { geom: g }) => {
    const src = im2colSources(g);
    const out = new Array<number>(g.n * g.h * g.w * g.c).fill(0);
    src.forEach((s, i) => s >= 0 && (out[s] += cols.data[i]));
    return { shape: [g.n, g.h, g.w, g.c], dtype: cols.dtype, data: out };
  },
  poolArgmax: ([x], { geom: g }) => ({ ...naiveArgmax(x, g), dtype: 'int32' }),
  // nchw: the same values at [n, j, oy, ox]
  conv2dFused: ([x, w, b], { geom: g, activation, nchw }) => {
    const src = im2colSources(g);
    const [k, o] = w.shape;
    const shape = nchw ? [g.n, o, g.outH, g.outW] : [g.n, g.outH, g.outW, o];
    return build(shape, x.dtype, (idx) => {
      const [n, oy, ox, j] = nchw ? [idx[0], idx[2], idx[3], idx[1]] : idx;
      const row = (n * g.outH + oy) * g.outW + ox;
      let s = 0;
      for (let p = 0; p < k; p++)
        s += (src[row * k + p] >= 0 ? x.data[src[row * k + p]] : 0) * w.data[p * o + j];
      const z = b ? s + b.data[j] : s;
      return activation === 'relu' ? Math.max(z, 0) : z; // relu(z) = max(z, 0)
    });
  },
  // y[n, oy, ox, ch] = Σ of the window's taps inside x / divisor (one for all windows or one per output pixel)
  avgPool2dFused: ([x], { geom: g, divisors }) =>
    build([g.n, g.outH, g.outW, g.c], x.dtype, ([n, oy, ox, ch]) => {
      let s = 0;
      for (let ky = 0; ky < g.kh; ky++)
        for (let kx = 0; kx < g.kw; kx++) {
          const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
          if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) s += x.data[((n * g.h + iy) * g.w + ix) * g.c + ch];
        }
      return s / divisors[divisors.length === 1 ? 0 : oy * g.outW + ox];
    }),
  // dx[s] = Σ over patch entries (row, p) reading s of Σ_j g[row, j]·w[p, j]
  conv2dBackpropInput: ([gy, w], { geom: g }) => {
    const src = im2colSources(g);
    const [k, o] = w.shape;
    const out = new Array<number>(g.n * g.h * g.w * g.c).fill(0);
    src.forEach((s, i) => {
      if (s < 0) return;
      const row = Math.floor(i / k);
      const p = i % k;
      for (let j = 0; j < o; j++) out[s] += gy.data[row * o + j] * w.data[p * o + j];
    });
    return { shape: [g.n, g.h, g.w, g.c], dtype: gy.dtype, data: out };
  },
  // dw[p, j] = Σ_rows patch(row, p)·g[row, j]
  conv2dBackpropFilter: ([x, gy], { geom: g }) => {
    const src = im2colSources(g);
    const k = g.kh * g.kw * g.c;
    const o = gy.shape[3];
    const rows = g.n * g.outH * g.outW;
    return build([k, o], x.dtype, ([p, j]) => {
      let s = 0;
      for (let r = 0; r < rows; r++) {
        const i = src[r * k + p];
        if (i >= 0) s += x.data[i] * gy.data[r * o + j];
      }
      return s;
    });
  },
  maxPool2dFused: ([x], { geom: g }) => {
    const idx = naiveArgmax(x, g);
    return { ...idx, dtype: x.dtype, data: idx.data.map((i) => x.data[i]) };
  },
  maxPool2dGrad: ([x, dy], { geom: g }) => {
    const out = new Array<number>(x.data.length).fill(0);
    naiveArgmax(x, g).data.forEach((i, j) => (out[i] += dy.data[j]));
    return { shape: [...x.shape], dtype: x.dtype, data: out };
  },
  take: ([x, idx]) => ({
    shape: [...idx.shape],
    dtype: x.dtype,
    data: Array.from(idx.data, (i) => x.data[i]),
  }),
  scatterAdd: ([g, idx], p) => {
    const out = new Array<number>(size(p.shape)).fill(0);
    idx.data.forEach((i, j) => (out[i] += g.data[j]));
    return { shape: [...p.shape], dtype: g.dtype, data: out };
  },
  // per channel c of axis p.axis: the values whose multi-index has c there
  channelMoments: ([x], p) => {
    const C = x.shape[p.axis];
    const vals = (c: number) => arr(x).filter((_, i) => unravel(i, x.shape)[p.axis] === c);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    return build([2, C], x.dtype, ([r, c]) => {
      const v = vals(c);
      const mu = mean(v);
      return r === 0 ? mu : mean(v.map((u) => (u - mu) ** 2));
    });
  },
  channelAffine: ([x, m, s, b], p) =>
    build([...x.shape], x.dtype, (idx) => {
      const c = idx[p.axis];
      return (x.data[ravel(idx, x.shape)] - m.data[c]) * s.data[c] + b.data[c];
    }),
  channelSums: ([a, x, m], p) => {
    const C = x.shape[p.axis];
    const out = new Array<number>(2 * C).fill(0);
    arr(x).forEach((v, i) => {
      const c = unravel(i, x.shape)[p.axis];
      out[c] += a.data[i];
      out[C + c] += a.data[i] * (v - m.data[c]);
    });
    return { shape: [2, C], dtype: x.dtype, data: out };
  },

  lstmGates: ([z, c], p) => {
    const [B, H] = c.shape;
    const [a, s] = [GATE[p.act as string], GATE[p.recAct as string]];
    return build([B, 2 * H], c.dtype, ([b, k]) => {
      const j = k % H;
      const zz = (gate: number) => z.data[b * 4 * H + gate * H + j];
      const c2 = s.f(zz(1)) * c.data[b * H + j] + s.f(zz(0)) * a.f(zz(2));
      return k < H ? s.f(zz(3)) * a.f(c2) : c2;
    });
  },
  // [dz_i dz_f dz_c dz_o | dc] by the chain rule on h' = s(z_o)·a(c'), c' = s(z_f)·c + s(z_i)·a(z_c)
  lstmGatesGrad: ([g, z, c], p) => {
    const [B, H] = c.shape;
    const [a, s] = [GATE[p.act as string], GATE[p.recAct as string]];
    return build([B, 5 * H], c.dtype, ([b, k]) => {
      const j = k % H;
      const part = Math.floor(k / H);
      const zz = (gate: number) => z.data[b * 4 * H + gate * H + j];
      const cp = c.data[b * H + j];
      const c2 = s.f(zz(1)) * cp + s.f(zz(0)) * a.f(zz(2));
      const [gh, gc] = [g.data[b * 2 * H + j], g.data[b * 2 * H + H + j]];
      const dh_dc2 = s.f(zz(3)) * a.d(c2);
      const dc2 = gc + gh * dh_dc2;
      return [
        dc2 * a.f(zz(2)) * s.d(zz(0)),
        dc2 * cp * s.d(zz(1)),
        dc2 * s.f(zz(0)) * a.d(zz(2)),
        gh * a.f(c2) * s.d(zz(3)),
        dc2 * s.f(zz(1)),
      ][part];
    });
  },
};
