// Every wasm kernel against the JS reference kernels on random shapes (odd sizes, SIMD tails, special values).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import { asBatched2d } from '../../src/backend/wasm/movement.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../../src/backend/kernels.js';
import { expectClose, expectSame, expectUlps, f32Arb, geomArb, randF32, wasm } from '../support/backend.js';

const K = wasm();
const UNARY: UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'sign',
  'relu',
  'sigmoid',
  'tanh',
  'sin',
  'cos',
  'erf',
  'floor',
  'log1p',
  'expm1',
  'softplus',
];
const EXACT_UNARY = new Set<UnaryOp>(['neg', 'sqrt', 'abs', 'sign', 'relu', 'floor']);
// exp and sigmoid run a float32 polynomial (measured ≤ 1 and ≤ 2 ulp over 2M samples); the others evaluate in f64
// and round once, like the reference, so they differ by at most an ulp where the two libms round differently.
const UNARY_ULPS: Partial<Record<UnaryOp, number>> = { exp: 2, sigmoid: 3 };
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];
const COMPARE: CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const f32s = (min = 0, max = 37) =>
  fc.array(f32Arb, { minLength: min, maxLength: max }).map((a) => Float32Array.from(a));

describe('wasm elementwise kernels', () => {
  it.each(UNARY)('unary %s matches the reference (special values, tails)', (op) => {
    fc.assert(
      fc.property(f32s(), (x) => {
        const a = new Float32Array(x.length);
        const b = new Float32Array(x.length);
        K.unary(op, x, a);
        jsKernels.unary(op, x, b);
        if (EXACT_UNARY.has(op)) expectSame(a, b, op);
        else expectUlps(a, b, UNARY_ULPS[op] ?? 1, op);
      }),
      { numRuns: 60 },
    );
  });
  it.each(['exp', 'sigmoid'] as const)(
    '%s stays within its ulp bound on dense ranges (the f32x4 polynomial path)',
    (op) => {
      for (const scale of [0.01, 1, 10, 86.9]) {
        const x = randF32(40_000, Math.round(scale * 100)).map((v) => v * scale);
        const a = new Float32Array(x.length);
        const b = new Float32Array(x.length);
        K.unary(op, x, a);
        jsKernels.unary(op, x, b);
        expectUlps(a, b, UNARY_ULPS[op] ?? 1, `${op} ×${scale}`);
      }
    },
  );
  it.each(BINARY)('binary %s matches the reference', (op) => {
    fc.assert(
      fc.property(
        fc.nat(37).chain((n) => fc.tuple(f32s(n, n), f32s(n, n))),
        ([x, y]) => {
          const a = new Float32Array(x.length);
          const b = new Float32Array(x.length);
          K.binary(op, x, y, a);
          jsKernels.binary(op, x, y, b);
          if (op === 'pow') expectClose(a, b, 2.4e-7, 1e-45, op);
          else expectSame(a, b, op);
        },
      ),
      { numRuns: 60 },
    );
  });
  it('biasAdd over rows of any width (SIMD groups and tails) gives the reference bits', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.nat(6), fc.integer({ min: 1, max: 13 }))
          .chain(([rows, cols]) => fc.tuple(f32s(rows * cols, rows * cols), f32s(cols, cols))),
        ([x, bias]) => {
          const a = new Float32Array(x.length);
          const b = new Float32Array(x.length);
          K.biasAdd(x, bias, a);
          jsKernels.biasAdd(x, bias, b);
          expectSame(a, b, `biasAdd [${x.length / bias.length}, ${bias.length}]`);
        },
      ),
      { numRuns: 60 },
    );
  });
  it.each(COMPARE)('compare %s matches the reference', (op) => {
    fc.assert(
      fc.property(
        fc.nat(37).chain((n) => fc.tuple(f32s(n, n), f32s(n, n))),
        ([x, y]) => {
          const a = new Float32Array(x.length);
          const b = new Float32Array(x.length);
          // NOTE: half the pairs equal so eq/ge/le see both outcomes.
          for (let i = 0; i < x.length; i += 2) y[i] = x[i];
          K.compare(op, x, y, a);
          jsKernels.compare(op, x, y, b);
          expectSame(a, b, op);
        },
      ),
      { numRuns: 40 },
    );
  });
  it('where with float32 and int32 conditions matches the reference', () => {
    fc.assert(
      fc.property(
        fc.nat(37).chain((n) => fc.tuple(f32s(n, n), f32s(n, n), f32s(n, n))),
        ([c, x, y]) => {
          for (const cond of [c, Int32Array.from(c, (v) => (Number.isFinite(v) ? Math.trunc(v) : 1))]) {
            const a = new Float32Array(x.length);
            const b = new Float32Array(x.length);
            K.where(cond, x, y, a);
            jsKernels.where(cond, x, y, b);
            expectSame(a, b, 'where');
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('wasm reductions', () => {
  it('logSoftmax over [outer, mid, inner] is within rounding of the reference (tails, strides, special rows)', () => {
    const dims = fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 37 }),
      fc.integer({ min: 1, max: 5 }),
    );
    fc.assert(
      fc.property(
        dims,
        fc.double({ min: 0.01, max: 200, noNaN: true }),
        fc.nat(1000),
        ([outer, mid, inner], scale, seed) => {
          const x = randF32(outer * mid * inner, seed).map((v) => v * scale); // gaps beyond 87 below the max too
          const a = new Float32Array(x.length);
          const b = new Float32Array(x.length);
          K.logSoftmax(x, outer, mid, inner, a);
          jsKernels.logSoftmax(x, outer, mid, inner, b);
          for (let i = 0; i < x.length; i++) {
            // x − lse: e^ within 2 ulp a term (the f32x4 polynomial), so lse within ~2 f32 ulps of |lse| ≤ |x|max + log mid
            const tol = 4e-7 * (scale + Math.log(mid) + Math.abs(x[i]) + 1);
            if (!(Math.abs(a[i] - b[i]) <= tol))
              expect.fail(`[${outer},${mid},${inner}] at ${i}: ${a[i]} vs ${b[i]}`);
          }
        },
      ),
      { numRuns: 80 },
    );
    // its gradient, g − e^y·Σg: the bits of the composition exp → sum → mul → sub (the reference rounds as it does)
    fc.assert(
      fc.property(dims, fc.nat(1000), ([outer, mid, inner], seed) => {
        const n = outer * mid * inner;
        const g = randF32(n, seed);
        const y = randF32(n, seed + 1).map((v, i) => (i % 7 === 3 ? v * 200 : v * 10 - 5)); // |y| ≥ 87 lanes too
        const a = new Float32Array(n);
        const b = new Float32Array(n);
        K.logSoftmaxGrad(g, y, outer, mid, inner, a);
        jsKernels.logSoftmaxGrad(g, y, outer, mid, inner, b);
        // the composition on wasm: e = exp(y), s = Σ g (keepdims), out = g − e·broadcast(s)
        const e = new Float32Array(n);
        K.unary('exp', y, e);
        const s = new Float32Array(outer * inner);
        K.reduce('sum', g, outer, mid, inner, s);
        const es = new Float32Array(n);
        for (let o = 0; o < outer; o++)
          for (let k = 0; k < mid; k++)
            for (let j = 0; j < inner; j++) {
              const at = (o * mid + k) * inner + j;
              es[at] = s[o * inner + j];
            }
        K.binary('mul', e, es, es);
        const c = new Float32Array(n);
        K.binary('sub', g, es, c);
        expectSame(a, c, `logSoftmaxGrad [${outer},${mid},${inner}] against the composition`);
        // and the reference within the rounding of its terms (g and e^y·Σg may nearly cancel)
        for (let i = 0; i < n; i++) {
          const tol = 1e-6 * (Math.abs(g[i]) + Math.abs(c[i] - g[i]) + 1e-30);
          if (!Object.is(a[i], b[i]) && !(Math.abs(a[i] - b[i]) <= tol))
            expect.fail(`logSoftmaxGrad at ${i}: ${a[i]} vs ${b[i]}`);
        }
      }),
      { numRuns: 60 },
    );
    // rows with a NaN, with +∞, of −∞ only: the composition's values (NaN throughout in each)
    const rows = Float32Array.from([
      1,
      NaN,
      2,
      3,
      1,
      Infinity,
      -2,
      5,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
    ]);
    const out = new Float32Array(rows.length);
    K.logSoftmax(rows, 3, 4, 1, out);
    expect(Array.from(out)).toEqual(Array(12).fill(NaN));
    const ref = new Float32Array(rows.length);
    jsKernels.logSoftmax(rows, 3, 4, 1, ref);
    expectSame(out, ref, 'special rows');
  });

  const dims = fc.tuple(
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 0, max: 9 }),
    fc.integer({ min: 1, max: 11 }),
  );
  it('sum, max and argmax over [outer, mid, inner] match the reference', () => {
    fc.assert(
      fc.property(dims, fc.nat(1000), fc.boolean(), ([o, m, i], seed, withNaN) => {
        const x = randF32(o * m * i, seed);
        if (withNaN && x.length) x[seed % x.length] = NaN;
        for (const op of ['sum', 'max'] as const) {
          const a = new Float32Array(o * i);
          const b = new Float32Array(o * i);
          K.reduce(op, x, o, m, i, a);
          jsKernels.reduce(op, x, o, m, i, b);
          if (op === 'sum') expectClose(a, b, 1e-6, 1e-7, op);
          else expectSame(a, b, op);
        }
        if (m > 0) {
          const a = new Int32Array(o * i);
          const b = new Int32Array(o * i);
          K.argmax(x, o, m, i, a);
          jsKernels.argmax(x, o, m, i, b);
          expectSame(a, b, 'argmax');
        }
      }),
      { numRuns: 80 },
    );
  });

  it('sum over a long middle axis of narrow rows (the register path) gives the reference bits', () => {
    for (const inner of [2, 3, 5, 8, 12, 15, 16, 17])
      for (const [outer, mid] of [
        [1, 1000],
        [3, 37],
        [2, 8],
        [1, 2],
      ]) {
        const x = randF32(outer * mid * inner, inner * 31 + mid);
        const a = new Float32Array(outer * inner);
        const b = new Float32Array(outer * inner);
        K.reduce('sum', x, outer, mid, inner, a);
        jsKernels.reduce('sum', x, outer, mid, inner, b);
        expectSame(a, b, `sum [${outer}, ${mid}, ${inner}]`);
      }
  });

  it('firstNonFinite finds the first NaN or ±Inf at every place of a block and its tail, and none in finite extremes', () => {
    // blocks of 64 floats, then a scalar tail: every position of lengths around the block size
    for (const n of [0, 1, 3, 63, 64, 65, 127, 128, 131, 200])
      for (let at = -1; at < n; at++)
        for (const bad of [NaN, Infinity, -Infinity]) {
          const x = randF32(n, n * 7 + at + 2);
          if (at >= 0) x[at] = bad;
          if (at >= 0 && at + 5 < n) x[at + 5] = NaN; // a later one does not win
          expect(K.firstNonFinite(x)).toBe(jsKernels.firstNonFinite(x));
          expect(K.firstNonFinite(x)).toBe(at);
        }
    // finite extremes: their sum overflows to Inf, their v − v is still 0
    const big = Float32Array.from({ length: 300 }, (_, i) => [3.4e38, -3.4e38, 1e-45, -0, 0, -1e-45][i % 6]);
    expect(K.firstNonFinite(big)).toBe(-1);
    expect(jsKernels.firstNonFinite(big)).toBe(-1);
    fc.assert(
      fc.property(f32s(0, 300), (x) => {
        expect(K.firstNonFinite(x)).toBe(jsKernels.firstNonFinite(x));
      }),
      { numRuns: 200 },
    );
  });
});

describe('wasm sgemm', () => {
  /** Tolerance from the float32 error bound: k·ε·Σ|a||b| per element. */
  function check(
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    tA: boolean,
    tB: boolean,
    seed: number,
  ): void {
    const a = randF32(batchA * m * k, seed);
    const b = randF32(batchB * k * n, seed + 1);
    const batch = Math.max(batchA, batchB);
    const got = new Float32Array(batch * m * n).fill(NaN);
    const want = new Float32Array(batch * m * n);
    const bound = new Float32Array(batch * m * n);
    K.matmul(a, b, got, batchA, batchB, m, n, k, tA, tB);
    jsKernels.matmul(a, b, want, batchA, batchB, m, n, k, tA, tB);
    jsKernels.matmul(a.map(Math.abs), b.map(Math.abs), bound, batchA, batchB, m, n, k, tA, tB);
    for (let i = 0; i < got.length; i++)
      if (!(Math.abs(got[i] - want[i]) <= 2 * (k + 2) * 6e-8 * bound[i] + 1e-30))
        expect.fail(
          `matmul ${batchA}/${batchB}×[${m},${k}]·[${k},${n}] tA=${tA} tB=${tB}: element ${i} ${got[i]} vs ${want[i]}`,
        );
  }
  it('matches the reference on odd shapes with transA/transB and shared or per-batch operands', () => {
    const batches = fc.constantFrom([1, 1], [3, 3], [1, 3], [3, 1]);
    fc.assert(
      fc.property(
        batches,
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 1, max: 29 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(1e6),
        ([ba, bb], m, n, k, tA, tB, seed) => check(ba, bb, m, n, k, tA, tB, seed),
      ),
      { numRuns: 150 },
    );
  });
  it('crosses every cache block edge (k > 256, m > 128, n > 2048)', () => {
    check(1, 1, 131, 2053, 261, false, false, 7);
    check(1, 1, 133, 17, 515, true, true, 8);
    check(2, 1, 7, 9, 300, false, true, 9);
  });
  it('packs transposed operands in 4×4 register blocks with ragged depth tails (n ≥ 64, k = 263)', () => {
    check(1, 1, 70, 75, 263, false, false, 10);
    check(1, 1, 70, 75, 263, false, true, 11);
    check(1, 1, 70, 75, 263, true, true, 12);
    check(1, 1, 70, 75, 263, true, false, 13);
  });
  it.each([
    [false, false],
    [false, true],
    [true, true],
    [true, false],
  ])(
    'NaN in A(5, 100) fills row 5 and NaN in B(7, 66) column 66, through the packs (tA=%s tB=%s)',
    (tA, tB) => {
      const [m, n, k] = [70, 75, 263];
      const a = randF32(m * k, 14);
      const b = randF32(k * n, 15);
      a[tA ? 100 * m + 5 : 5 * k + 100] = NaN;
      b[tB ? 66 * k + 7 : 7 * n + 66] = NaN;
      const c = new Float32Array(m * n);
      K.matmul(a, b, c, 1, 1, m, n, k, tA, tB);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++)
          if (Number.isNaN(c[i * n + j]) !== (i === 5 || j === 66))
            expect.fail(`element (${i}, ${j}) is ${c[i * n + j]}`);
    },
  );
  it('writes zeros when k = 0 and nothing when the output is empty', () => {
    const out = new Float32Array(6).fill(5);
    K.matmul(new Float32Array(0), new Float32Array(0), out, 1, 1, 2, 3, 0, false, false);
    expectSame(out, new Float32Array(6));
    expect(() =>
      K.matmul(new Float32Array(0), new Float32Array(12), new Float32Array(0), 1, 1, 0, 3, 4, false, false),
    ).not.toThrow();
  });
});

describe('wasm window kernels', () => {
  it('im2col, col2im and poolArgmax match the reference exactly', () => {
    fc.assert(
      fc.property(geomArb(), fc.nat(1e6), (g, seed) => {
        const x = randF32(g.n * g.h * g.w * g.c, seed);
        // NOTE: repeated values so pooling ties occur, and one NaN.
        for (let i = 0; i < x.length; i += 3) x[i] = Math.round(x[i] * 2) / 2;
        const rows = g.n * g.outH * g.outW;
        const cl = rows * g.kh * g.kw * g.c;
        const a = new Float32Array(cl);
        const b = new Float32Array(cl);
        K.im2col(x, g, a);
        jsKernels.im2col(x, g, b);
        expectSame(a, b, 'im2col');
        const cols = randF32(cl, seed + 5);
        const c = new Float32Array(x.length).fill(NaN);
        const d = new Float32Array(x.length);
        K.col2im(cols, g, c);
        jsKernels.col2im(cols, g, d);
        expectSame(c, d, 'col2im');
        if (x.length) x[seed % x.length] = NaN;
        const e = new Int32Array(g.n * g.outH * g.outW * g.c);
        const f = new Int32Array(e.length);
        K.poolArgmax(x, g, e);
        jsKernels.poolArgmax(x, g, f);
        expectSame(e, f, 'poolArgmax');
      }),
      { numRuns: 200 },
    );
  });
});

describe('wasm gathers', () => {
  it('take and scatterAdd match the reference (repeated indices sum in order)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(40), fc.nat(1e6), (n, m, seed) => {
        const x = randF32(n, seed);
        const idx = Int32Array.from(randF32(m, seed + 1), (v) =>
          Math.min(n - 1, Math.floor(((v + 1) / 2) * n)),
        );
        const a = new Float32Array(m);
        const b = new Float32Array(m);
        K.take(x, idx, a);
        jsKernels.take(x, idx, b);
        expectSame(a, b, 'take');
        const c = new Float32Array(n).fill(NaN);
        const d = new Float32Array(n);
        K.scatterAdd(randF32(m, seed + 2), idx, c);
        jsKernels.scatterAdd(randF32(m, seed + 2), idx, d);
        expectSame(c, d, 'scatterAdd');
      }),
      { numRuns: 100 },
    );
  });
  // NOTE: a permutation (Fisher–Yates on a seed) of a random rank-2..4 shape; sizes up to 70 so most cases pass
  // TRANSPOSE_MIN (1,024 values) and run the wasm kernel when asBatched2d matches (tails of the 4×4 blocks included).
  it('transpose matches the reference for float32 and int32, batched 2-D or not', () => {
    let batched = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 2, maxLength: 4 }),
        fc.nat(1e6),
        fc.boolean(),
        (shape, seed, int) => {
          const perm = shape.map((_, i) => i);
          for (let i = perm.length - 1, r = seed; i > 0; i--, r = Math.floor(r / (i + 1))) {
            const j = r % (i + 1);
            [perm[i], perm[j]] = [perm[j], perm[i]];
          }
          const n = shape.reduce((a, b) => a * b, 1);
          if (n > 200_000) return;
          const x = int ? Int32Array.from(randF32(n, seed), (v) => Math.round(v * 1e6)) : randF32(n, seed);
          const a = int ? new Int32Array(n) : new Float32Array(n).fill(NaN);
          const b = int ? new Int32Array(n) : new Float32Array(n);
          K.transpose(x, shape, perm, a);
          jsKernels.transpose(x, shape, perm, b);
          if (n >= 1024 && asBatched2d(shape, perm) !== null) batched++;
          expectSame(a, b, `transpose [${shape}] by [${perm}]`);
        },
      ),
      { numRuns: 150 },
    );
    expect(batched).toBeGreaterThan(20);
  });
  it('asBatched2d sees NCHW ↔ NHWC and a matrix as [B, R, C] → [B, C, R], and nothing else', () => {
    expect(asBatched2d([32, 32, 32, 12], [0, 3, 1, 2])).toEqual([32, 1024, 12]);
    expect(asBatched2d([32, 12, 32, 32], [0, 2, 3, 1])).toEqual([32, 12, 1024]);
    expect(asBatched2d([5, 7], [1, 0])).toEqual([1, 5, 7]);
    expect(asBatched2d([12, 1, 3, 3], [2, 3, 1, 0])).toEqual([1, 12, 9]); // ci = 1 drops out
    expect(asBatched2d([12, 3, 3, 3], [2, 3, 1, 0])).toBeNull(); // OIHW → HWIO reverses three groups
    expect(asBatched2d([2, 3, 4], [2, 1, 0])).toBeNull();
  });
});

describe('fallback and dtypes', () => {
  it('float64 and int32 calls give the reference result', () => {
    const a = Float64Array.from(randF32(12, 3));
    const b = Float64Array.from(randF32(12, 4));
    const o1 = new Float64Array(9);
    const o2 = new Float64Array(9);
    K.matmul(a, b, o1, 1, 1, 3, 3, 4, false, false);
    jsKernels.matmul(a, b, o2, 1, 1, 3, 3, 4, false, false);
    expectSame(o1, o2);
    const i = Int32Array.from([1, -2, 3, 7, 0]);
    const j = Int32Array.from([4, 5, -6, 7, 1]);
    const p1 = new Int32Array(5);
    const p2 = new Int32Array(5);
    K.binary('mul', i, j, p1);
    jsKernels.binary('mul', i, j, p2);
    expectSame(p1, p2);
    K.reduce('max', a, 3, 4, 1, o1.subarray(0, 3));
    jsKernels.reduce('max', a, 3, 4, 1, o2.subarray(0, 3));
    expectSame(o1, o2);
  });
  it('reuses its scratch memory: repeated calls do not grow it', () => {
    const x = randF32(5000, 1);
    const out = new Float32Array(5000);
    K.unary('exp', x, out);
    const before = K.memoryBytes();
    for (let r = 0; r < 50; r++) K.unary('exp', x, out);
    expect(K.memoryBytes()).toBe(before);
  });
});
