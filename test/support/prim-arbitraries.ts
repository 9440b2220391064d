// fast-check arbitraries for every primitive in the table: random small shapes, attributes and inputs
// kept away from kinks and ties, so central differences are valid.
//
// NOTE (tie rule): inputs are drawn so that no finite-difference step (|εt| ≲ 1e-5) can cross a kink
// or a tie: relu/abs/sign see |x| >= 0.1; floor and casts to int32 see x at least 0.1 from an integer;
// log/sqrt/pow bases lie in [0.5, 3]; divisors satisfy |b| >= 0.1; maximum/minimum/compare operands
// differ by at least 0.1; max/argmax/poolArgmax see values whose pairwise gaps are at least 0.05
// ('distinct'). Where such a tie did occur the rules split (max), or give the first operand / first
// maximum (maximum, minimum, poolArgmax, argmax), which finite differences cannot confirm.
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import type { GradcheckOptions, PrimName, Tensor } from '../../src/index.js';
import type { WindowGeom } from '../../src/backend/kernels.js';

export interface PrimCase {
  /** Inputs in tg.run order: float64 where differentiable; indices (int32) and conditions are fixed. */
  inputs: Tensor[];
  /** Which inputs gradcheck moves; the others are held fixed. */
  diff: boolean[];
  params: any;
  /** gradcheck overrides (e.g. a larger step where the output is float32). */
  gc?: GradcheckOptions;
}

type Kind = 'any' | 'pos' | 'away0' | 'offInt' | 'distinct';
const int = (min: number, max: number) => fc.integer({ min, max });
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** n values of the given kind, from n uniform draws in [0, 1). */
export function values(n: number, kind: Kind): fc.Arbitrary<number[]> {
  return fc
    .array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: n, maxLength: n })
    .map((us) => {
      switch (kind) {
        case 'any':
          return us.map((u) => 4 * u - 2);
        case 'pos':
          return us.map((u) => 0.5 + 2.5 * u);
        case 'away0':
          return us.map((u) => (u < 0.5 ? -1 : 1) * (0.1 + 3.8 * Math.abs(u - 0.5)));
        case 'offInt':
          return us.map((u) => {
            const v = 4 * u - 2;
            const k = Math.floor(v);
            return k + 0.1 + 0.8 * (v - k);
          });
        case 'distinct': {
          // rank-based: sorted gaps are at least 0.05
          const order = us.map((u, i) => [u, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          const out = new Array<number>(n);
          order.forEach(([u, i], r) => (out[i] = 0.1 * r - 0.05 * n + 0.05 * u));
          return out;
        }
      }
    });
}

/** A float64 tensor of `shape` with values of `kind`. */
export const f64 = (shape: readonly number[], kind: Kind = 'any'): fc.Arbitrary<Tensor> =>
  values(size(shape), kind).map((v) => tg.tensor(Float64Array.from(v), shape));
const i32 = (shape: readonly number[], n: number): fc.Arbitrary<Tensor> =>
  fc
    .array(int(0, n - 1), { minLength: size(shape), maxLength: size(shape) })
    .map((v) => tg.tensor(Int32Array.from(v), shape));
export const shapeArb = (minRank = 0, maxRank = 3, maxDim = 4) =>
  fc.array(int(1, maxDim), { minLength: minRank, maxLength: maxRank });

const unary = (kind: Kind): fc.Arbitrary<PrimCase> =>
  shapeArb()
    .chain((s) => f64(s, kind))
    .map((x) => ({ inputs: [x], diff: [true], params: {} }));
const binary = (ka: Kind, kb: Kind): fc.Arbitrary<PrimCase> =>
  shapeArb()
    .chain((s) => fc.tuple(f64(s, ka), f64(s, kb)))
    .map(([a, b]) => ({ inputs: [a, b], diff: [true, true], params: {} }));
/** Two operands that differ by at least 0.1 everywhere (no ties for maximum/minimum/compare). */
const apart = shapeArb().chain((s) =>
  fc
    .tuple(values(size(s), 'any'), values(size(s), 'away0'))
    .map(([a, d]) => [
      tg.tensor(Float64Array.from(a), s),
      tg.tensor(Float64Array.from(a.map((v, i) => v + d[i])), s),
    ]),
);
const reduction = (kind: Kind): fc.Arbitrary<PrimCase> =>
  shapeArb(0, 4, 3).chain((s) =>
    fc
      .record({
        x: f64(s, kind),
        axes: fc.subarray([...s.keys()]),
        keepdims: fc.boolean(),
      })
      .map(({ x, axes, keepdims }) => ({ inputs: [x], diff: [true], params: { axes, keepdims } })),
  );

/** Output length of a window sweep, written out here independently of src/core/shape.ts. */
const sweep = (n: number, k: number, s: number, d: number, before: number, after: number) =>
  Math.floor((n + before + after - (k - 1) * d - 1) / s) + 1;
/** True when every window along an axis covers at least one real (unpadded) position. */
function windowsHitInput(n: number, k: number, s: number, d: number, before: number, out: number): boolean {
  for (let o = 0; o < out; o++) {
    let hit = false;
    for (let j = 0; j < k; j++) {
      const i = o * s - before + j * d;
      if (i >= 0 && i < n) hit = true;
    }
    if (!hit) return false;
  }
  return true;
}
/** Window geometry with random stride, dilation and (asymmetric) padding; `pool` keeps every window on real input. */
/** Whether every conv pre-activation z = im2col(x)·w + b is at least `gap` from 0 (or exactly 0 from padding alone). */
function preactsAwayFromZero(x: Tensor, w: Tensor, b: Tensor | null, g: WindowGeom, gap: number): boolean {
  const [xs, ws, o] = [x.data, w.data, w.shape[1]];
  for (let n = 0; n < g.n; n++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++)
        for (let j = 0; j < o; j++) {
          let z = b ? b.data[j] : 0;
          let inside = false;
          for (let ky = 0, p = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++)
              for (let ch = 0; ch < g.c; ch++, p++) {
                const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
                const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                inside = true;
                z += xs[((n * g.h + iy) * g.w + ix) * g.c + ch] * ws[p * o + j];
              }
          if (Math.abs(z) < gap && (inside || b)) return false;
        }
  return true;
}

export const geomArb = (pool: boolean): fc.Arbitrary<WindowGeom> =>
  fc
    .record({
      n: int(1, 2),
      h: int(1, 5),
      w: int(1, 5),
      c: int(1, 3),
      kh: int(1, 3),
      kw: int(1, 3),
      sh: int(1, 3),
      sw: int(1, 3),
      dh: int(1, 2),
      dw: int(1, 2),
      pt: int(0, 2),
      pb: int(0, 2),
      pl: int(0, 2),
      pr: int(0, 2),
    })
    .map((r) => ({
      n: r.n,
      h: r.h,
      w: r.w,
      c: r.c,
      kh: r.kh,
      kw: r.kw,
      strideH: r.sh,
      strideW: r.sw,
      dilationH: r.dh,
      dilationW: r.dw,
      padTop: r.pt,
      padLeft: r.pl,
      outH: sweep(r.h, r.kh, r.sh, r.dh, r.pt, r.pb),
      outW: sweep(r.w, r.kw, r.sw, r.dw, r.pl, r.pr),
    }))
    .filter((g) => g.outH >= 1 && g.outW >= 1)
    .filter(
      (g) =>
        !pool ||
        (windowsHitInput(g.h, g.kh, g.strideH, g.dilationH, g.padTop, g.outH) &&
          windowsHitInput(g.w, g.kw, g.strideW, g.dilationW, g.padLeft, g.outW)),
    );

const reshapeArb: fc.Arbitrary<PrimCase> = fc
  .record({
    dims: shapeArb(1, 4, 3),
    order: fc.array(int(0, 1000), { minLength: 4, maxLength: 4 }),
    merge: fc.boolean(),
    one: int(-1, 4),
  })
  .chain(({ dims, order, merge, one }) => {
    const target = dims
      .map((d, i) => [order[i], d] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, d]) => d);
    if (merge && target.length >= 2) target.splice(0, 2, target[0] * target[1]);
    if (one >= 0) target.splice(Math.min(one, target.length), 0, 1);
    return f64(dims).map((x) => ({ inputs: [x], diff: [true], params: { shape: target } }));
  });

const matmulArb: fc.Arbitrary<PrimCase> = fc
  .record({
    m: int(1, 4),
    k: int(1, 4),
    n: int(1, 4),
    batch: shapeArb(1, 2, 3),
    mode: fc.constantFrom('none', 'both', 'a', 'b'),
    transA: fc.boolean(),
    transB: fc.boolean(),
  })
  .chain(({ m, k, n, batch, mode, transA, transB }) => {
    const ba = mode === 'both' || mode === 'a' ? batch : [];
    const bb = mode === 'both' || mode === 'b' ? batch : [];
    return fc
      .tuple(f64([...ba, ...(transA ? [k, m] : [m, k])]), f64([...bb, ...(transB ? [n, k] : [k, n])]))
      .map(([a, b]) => ({ inputs: [a, b], diff: [true, true], params: { transA, transB } }));
  });

const GATE_ACTS = ['sigmoid', 'tanh', 'relu', 'linear'] as const;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const gateFn = (name: string) =>
  name === 'sigmoid'
    ? sigmoid
    : name === 'tanh'
      ? Math.tanh
      : name === 'relu'
        ? (v: number) => Math.max(v, 0)
        : (v: number) => v;

/**
 * lstmGates(z [B, 4H], c [B, H]) (withGrad: lstmGatesGrad(g [B, 2H], z, c)), activations from the fused rows' set.
 * NOTE (tie rule): with relu anywhere, z is drawn away from 0 and cases whose new carry c' = s(z_f)·c + s(z_i)·a(z_c)
 * lies within 0.05 of 0 are dropped (relu(c') has its kink there). An exact 0 stays: it only arises from terms
 * that relu gates hold at 0 under any small step (s(z) = 0 for z < 0), so c' cannot cross the kink.
 */
function lstmGatesArb(withGrad: boolean): fc.Arbitrary<PrimCase> {
  return fc
    .record({
      B: int(1, 3),
      H: int(1, 3),
      act: fc.constantFrom(...GATE_ACTS),
      recAct: fc.constantFrom(...GATE_ACTS),
    })
    .chain(({ B, H, act, recAct }) =>
      fc
        .tuple(
          f64([B, 2 * H]),
          f64([B, 4 * H], act === 'relu' || recAct === 'relu' ? 'away0' : 'any'),
          f64([B, H]),
        )
        .filter(([, z, c]) => {
          if (act !== 'relu') return true;
          const [a, s] = [gateFn(act), gateFn(recAct)];
          const [zd, cd] = [z.data, c.data];
          for (let b = 0; b < B; b++)
            for (let j = 0; j < H; j++) {
              const zr = (k: number) => zd[b * 4 * H + k * H + j];
              const c2 = s(zr(1)) * cd[b * H + j] + s(zr(0)) * a(zr(2));
              if (c2 !== 0 && Math.abs(c2) < 0.05) return false;
            }
          return true;
        })
        .map(([g, z, c]) => ({
          inputs: withGrad ? [g, z, c] : [z, c],
          diff: withGrad ? [true, true, true] : [true, true],
          params: { act, recAct },
        })),
    );
}

/** A channel row's case: x of rank 1–4 with a channel axis, its [C] vectors (`vectors`) and same-shape tensors (`full`, before x). */
function channelArb(full: number, vectors: number): fc.Arbitrary<PrimCase> {
  return shapeArb(1, 4)
    .chain((s) => fc.tuple(fc.constant(s), int(0, s.length - 1)))
    .chain(([s, axis]) =>
      fc
        .tuple(
          fc.array(f64(s), { minLength: full + 1, maxLength: full + 1 }),
          fc.array(f64([s[axis]]), { minLength: vectors, maxLength: vectors }),
        )
        .map(([xs, vs]) => ({
          inputs: [...xs, ...vs],
          diff: Array<boolean>(xs.length + vs.length).fill(true),
          params: { axis },
        })),
    );
}

/** One arbitrary per primitive; a primitive missing here fails test/ops/primitives.test.ts (and tsc). */
export const PRIM_ARBITRARIES: Record<PrimName, fc.Arbitrary<PrimCase>> = {
  neg: unary('any'),
  exp: unary('any'),
  sin: unary('any'),
  cos: unary('any'),
  tanh: unary('any'),
  sigmoid: unary('any'),
  erf: unary('any'),
  log: unary('pos'),
  sqrt: unary('pos'),
  abs: unary('away0'),
  relu: unary('away0'),
  sign: unary('away0'),
  floor: unary('offInt'),
  log1p: unary('pos'),
  expm1: unary('any'),
  softplus: unary('any'),
  add: binary('any', 'any'),
  sub: binary('any', 'any'),
  mul: binary('any', 'any'),
  div: binary('any', 'away0'),
  pow: binary('pos', 'any'),
  maximum: apart.map((ins) => ({ inputs: ins, diff: [true, true], params: {} })),
  minimum: apart.map((ins) => ({ inputs: ins, diff: [true, true], params: {} })),
  reluGrad: binary('any', 'away0'),
  binaryScalar: fc
    .tuple(
      fc.constantFrom('add', 'sub', 'mul', 'div'),
      fc.double({ min: 0.25, max: 3, noNaN: true }),
      fc.boolean(),
      fc.boolean(),
    )
    .chain(([op, mag, negative, scalarFirst]) =>
      shapeArb()
        .chain((s) => f64(s, op === 'div' && scalarFirst ? 'away0' : 'any'))
        .map((x) => ({
          inputs: [x],
          diff: [true],
          params: { op, s: negative ? -mag : mag, scalarFirst },
        })),
    ),
  compare: fc
    .tuple(apart, fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le'))
    .map(([ins, op]) => ({ inputs: ins, diff: [true, true], params: { op } })),
  where: shapeArb()
    .chain((s) =>
      fc
        .tuple(fc.array(fc.constantFrom(0, 1), { minLength: size(s), maxLength: size(s) }), f64(s), f64(s))
        .map(([c, a, b]) => [tg.tensor(Float64Array.from(c), s), a, b]),
    )
    .map((ins) => ({ inputs: ins, diff: [false, true, true], params: {} })),
  biasAdd: shapeArb(1, 3)
    .chain((s) => fc.tuple(f64(s), f64([s[s.length - 1]])))
    .map(([x, b]) => ({ inputs: [x, b], diff: [true, true], params: {} })),
  cast: fc.constantFrom('float32', 'float64', 'int32').chain((dtype) =>
    shapeArb()
      .chain((s) => f64(s, dtype === 'int32' ? 'offInt' : 'any'))
      .map((x) => ({
        inputs: [x],
        diff: [true],
        params: { dtype },
        // NOTE: a float32 output is only good to ~1e-7 relative, so the difference step must be large.
        gc: dtype === 'float32' ? { eps: 1e-3, atol: 1e-3, rtol: 1e-3 } : undefined,
      })),
  ),
  sum: reduction('any'),
  max: reduction('distinct'),
  argmax: shapeArb(1, 3)
    .chain((s) => fc.tuple(f64(s, 'distinct'), int(0, s.length - 1)))
    .map(([x, axis]) => ({ inputs: [x], diff: [true], params: { axis } })),
  topkIndices: shapeArb(1, 3)
    .chain((s) => fc.tuple(f64(s, 'distinct'), int(0, s[s.length - 1])))
    .map(([x, k]) => ({ inputs: [x], diff: [true], params: { k } })),
  logSoftmaxFused: shapeArb(1, 3)
    .chain((s) => fc.tuple(f64(s), int(0, s.length - 1)))
    .map(([x, axis]) => ({ inputs: [x], diff: [true], params: { axis } })),
  logSoftmaxGrad: shapeArb(1, 3)
    .chain((s) => fc.tuple(f64(s), f64(s), int(0, s.length - 1)))
    .map(([g, y, axis]) => ({ inputs: [g, y], diff: [true, true], params: { axis } })),
  reshape: reshapeArb,
  transpose: shapeArb(0, 4, 3).chain((s) =>
    fc
      .tuple(f64(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }))
      .map(([x, perm]) => ({ inputs: [x], diff: [true], params: { perm } })),
  ),
  broadcastTo: fc
    .record({
      out: shapeArb(0, 4, 3),
      keep: int(0, 4),
      ones: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    })
    .chain(({ out, keep, ones }) => {
      const k = Math.min(keep, out.length);
      const inShape = out.slice(out.length - k).map((d, i) => (ones[i] ? 1 : d));
      return f64(inShape).map((x) => ({ inputs: [x], diff: [true], params: { shape: out } }));
    }),
  slice: shapeArb(1, 3, 5).chain((s) =>
    fc
      .tuple(
        f64(s),
        fc.tuple(...s.map((d) => int(0, d - 1).chain((b) => fc.tuple(fc.constant(b), int(0, d - b))))),
      )
      .map(([x, bs]) => ({
        inputs: [x],
        diff: [true],
        params: { begin: bs.map((p) => p[0]), size: bs.map((p) => p[1]) },
      })),
  ),
  pad: shapeArb(0, 3).chain((s) =>
    fc
      .record({
        x: f64(s),
        before: fc.array(int(0, 2), { minLength: s.length, maxLength: s.length }),
        after: fc.array(int(0, 2), { minLength: s.length, maxLength: s.length }),
        value: fc.double({ min: -2, max: 2, noNaN: true }),
      })
      .map(({ x, before, after, value }) => ({
        inputs: [x],
        diff: [true],
        params: { before, after, value },
      })),
  ),
  concat: fc
    .record({
      s: shapeArb(1, 3, 3),
      axis: int(0, 2),
      dims: fc.array(int(0, 3), { minLength: 2, maxLength: 3 }),
    })
    .chain(({ s, axis, dims }) => {
      const a = axis % s.length;
      return fc
        .tuple(...dims.map((d) => f64(s.map((v, i) => (i === a ? d : v)))))
        .map((xs) => ({ inputs: xs, diff: xs.map(() => true), params: { axis: a } }));
    }),
  matmul: matmulArb,
  im2col: geomArb(false).chain((g) =>
    f64([g.n, g.h, g.w, g.c]).map((x) => ({ inputs: [x], diff: [true], params: { geom: g } })),
  ),
  col2im: geomArb(false).chain((g) =>
    f64([g.n * g.outH * g.outW, g.kh * g.kw * g.c]).map((x) => ({
      inputs: [x],
      diff: [true],
      params: { geom: g },
    })),
  ),
  poolArgmax: geomArb(true).chain((g) =>
    f64([g.n, g.h, g.w, g.c], 'distinct').map((x) => ({ inputs: [x], diff: [true], params: { geom: g } })),
  ),
  conv2dFused: fc
    .tuple(
      geomArb(false),
      int(1, 3),
      fc.boolean(),
      fc.constantFrom(undefined, 'linear', 'relu'),
      fc.boolean(),
    )
    .chain(([g, o, withBias, activation, nchw]) =>
      fc
        .tuple(f64([g.n, g.h, g.w, g.c]), f64([g.kh * g.kw * g.c, o]), f64([o]))
        // NOTE (tie rule): with relu, cases with a pre-activation within 0.05 of 0 are dropped (its kink), except
        // an exact 0 from a window wholly in padding with no bias, which no step can move
        .filter(
          ([x, w, b]) => activation !== 'relu' || preactsAwayFromZero(x, w, withBias ? b : null, g, 0.05),
        )
        .map(([x, w, b]) => ({
          inputs: withBias ? [x, w, b] : [x, w],
          diff: withBias ? [true, true, true] : [true, true],
          params: {
            geom: g,
            ...(activation === undefined ? {} : { activation }),
            ...(nchw ? { nchw } : {}),
          },
        })),
    ),
  avgPool2dFused: fc.tuple(geomArb(true), fc.boolean()).chain(([g, perPixel]) =>
    fc
      .tuple(
        f64([g.n, g.h, g.w, g.c]),
        fc.array(fc.double({ min: 0.5, max: 9, noNaN: true }), {
          minLength: perPixel ? g.outH * g.outW : 1,
          maxLength: perPixel ? g.outH * g.outW : 1,
        }),
      )
      .map(([x, divisors]) => ({ inputs: [x], diff: [true], params: { geom: g, divisors } })),
  ),
  conv2dBackpropInput: fc.tuple(geomArb(false), int(1, 3)).chain(([g, o]) =>
    fc.tuple(f64([g.n, g.outH, g.outW, o]), f64([g.kh * g.kw * g.c, o])).map(([gy, w]) => ({
      inputs: [gy, w],
      diff: [true, true],
      params: { geom: g },
    })),
  ),
  conv2dBackpropFilter: fc.tuple(geomArb(false), int(1, 3)).chain(([g, o]) =>
    fc.tuple(f64([g.n, g.h, g.w, g.c]), f64([g.n, g.outH, g.outW, o])).map(([x, gy]) => ({
      inputs: [x, gy],
      diff: [true, true],
      params: { geom: g },
    })),
  ),
  maxPool2dFused: geomArb(true).chain((g) =>
    f64([g.n, g.h, g.w, g.c], 'distinct').map((x) => ({ inputs: [x], diff: [true], params: { geom: g } })),
  ),
  // NOTE: no gradient flows to x (piecewise constant: the rule gives none)
  maxPool2dGrad: geomArb(true).chain((g) =>
    fc
      .tuple(f64([g.n, g.h, g.w, g.c], 'distinct'), f64([g.n, g.outH, g.outW, g.c]))
      .map(([x, dy]) => ({ inputs: [x, dy], diff: [false, true], params: { geom: g } })),
  ),
  take: fc
    .tuple(shapeArb(0, 3), shapeArb(0, 2))
    .chain(([xs, is]) =>
      fc
        .tuple(f64(xs), i32(is, size(xs)))
        .map(([x, idx]) => ({ inputs: [x, idx], diff: [true, false], params: {} })),
    ),
  scatterAdd: fc
    .tuple(shapeArb(0, 3), shapeArb(0, 2, 5))
    .chain(([out, gs]) =>
      fc
        .tuple(f64(gs), i32(gs, size(out)))
        .map(([g, idx]) => ({ inputs: [g, idx], diff: [true, false], params: { shape: out } })),
    ),
  lstmGates: lstmGatesArb(false),
  lstmGatesGrad: lstmGatesArb(true),
  channelMoments: channelArb(0, 0),
  channelAffine: channelArb(0, 3),
  channelSums: channelArb(1, 1),
};
