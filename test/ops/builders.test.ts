// The user-facing op builders above the primitives: broadcasting and dtype promotion, matmul with vectors
// and batch broadcasting, shape sugar, reductions, activations and losses against formulas written here,
// with gradchecks, plus regressions for pow at 0 and logSumExp of -Inf rows.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';
import { erfSimpson, ravel, unravel } from '../support/naive-prims.js';

const int = (min: number, max: number) => fc.integer({ min, max });
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const t64 = (d: ArrayLike<number>, s: readonly number[]) => tg.tensor(Float64Array.from(d), s);
const rnd = (s: readonly number[], seed: number, lo = -2, hi = 2) => t64(uniform(size(s), seed, lo, hi), s);
const arr = (t: tg.Tensor) => Array.from(t.data);
const gc = (f: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[], what = '') => {
  const r = tg.gradcheck(f, xs, { mode: 'random', directions: 3 });
  if (!r.ok) expect.fail(`${what} gradcheck worst ${JSON.stringify(r.worst)}`);
};

/** Two shapes that broadcast: drop leading axes of one, set some axes of either to 1. */
const bcastPair = fc
  .record({
    s: fc.array(int(1, 3), { maxLength: 4 }),
    dropA: int(0, 4),
    dropB: int(0, 4),
    onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ s, dropA, dropB, onesA, onesB }) => ({
    a: s.slice(Math.min(dropA, s.length)).map((d, i) => (onesA[i] ? 1 : d)),
    b: s.slice(Math.min(dropB, s.length)).map((d, i) => (onesB[i] ? 1 : d)),
  }));
/** NumPy broadcasting by index arithmetic: out[o] = f(a[o mapped], b[o mapped]). */
function naiveBroadcast(a: tg.Tensor, b: tg.Tensor, f: (x: number, y: number) => number) {
  const n = Math.max(a.rank, b.rank);
  const dim = (t: tg.Tensor, i: number) => t.shape[t.rank - n + i] ?? 1;
  const shape = Array.from({ length: n }, (_, i) => Math.max(dim(a, i), dim(b, i)));
  const at = (t: tg.Tensor, o: number[]) =>
    t.data[
      ravel(
        t.shape.map((d, k) => (d === 1 ? 0 : o[n - t.rank + k])),
        t.shape,
      )
    ];
  return {
    shape,
    data: Array.from({ length: size(shape) }, (_, i) =>
      f(at(a, unravel(i, shape)), at(b, unravel(i, shape))),
    ),
  };
}

describe('broadcasting binary ops', () => {
  const ops: [string, (a: tg.Tensor, b: tg.Tensor) => tg.Tensor, (x: number, y: number) => number][] = [
    ['add', tg.add, (x, y) => x + y],
    ['sub', tg.sub, (x, y) => x - y],
    ['mul', tg.mul, (x, y) => x * y],
    ['div', (a, b) => tg.div(a, tg.add(tg.abs(b), 0.5)), (x, y) => x / (Math.abs(y) + 0.5)],
    ['maximum', tg.maximum, Math.max],
    ['minimum', tg.minimum, Math.min],
  ];
  it.each(ops)('%s broadcasts like NumPy and its gradient sums back to each operand', (name, op, ref) => {
    fc.assert(
      fc.property(bcastPair, int(0, 1000), ({ a: sa, b: sb }, seed) => {
        const a = rnd(sa, seed);
        const b = rnd(sb, seed + 1);
        const y = op(a, b);
        const want = naiveBroadcast(a, b, ref);
        expect(y.shape).toEqual(want.shape);
        expectClose(y.data, want.data, {}, `${name} ${sa} ${sb}`);
        gc(op, [a, b], `${name} ${sa} ${sb}`);
      }),
      { seed: 5, numRuns: 40 },
    );
  });

  it('promotes dtypes: float64 > float32 > int32, numbers take the tensor dtype', () => {
    const i = tg.tensor([1, 2], undefined, { dtype: 'int32' });
    expect(tg.add(i, 1).dtype).toBe('int32');
    expect(arr(tg.add(i, 0.5))).toEqual([1.5, 2.5]);
    expect(tg.mul(i, tg.tensor([1.5, 2])).dtype).toBe('float32');
    expect(tg.mul(tg.tensor([1, 2]), t64([1, 2], [2])).dtype).toBe('float64');
    expect(tg.add(2, t64([1], [1])).dtype).toBe('float64');
  });
});

describe('matmul builder', () => {
  const arb = fc.record({
    m: int(1, 3),
    k: int(1, 3),
    n: int(1, 3),
    ba: fc.array(int(1, 2), { maxLength: 2 }),
    bb: fc.array(int(1, 2), { maxLength: 2 }),
    vecA: fc.boolean(),
    vecB: fc.boolean(),
    seed: int(0, 1000),
  });
  it('vectors, broadcast batch axes: equals naive sums of products, gradients pass gradcheck', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const bb = c.bb.map((d, i) =>
          c.ba.length - c.bb.length + i >= 0 && c.ba[c.ba.length - c.bb.length + i] !== d ? 1 : d,
        );
        const sa = c.vecA ? [c.k] : [...c.ba, c.m, c.k];
        const sb = c.vecB ? [c.k] : [...bb, c.k, c.n];
        const a = rnd(sa, c.seed);
        const b = rnd(sb, c.seed + 1);
        const y = tg.matmul(a, b);
        // naive: promote vectors to matrices, broadcast batches, then drop the vector axes
        const A = c.vecA ? t64(a.data, [1, c.k]) : a;
        const B = c.vecB ? t64(b.data, [c.k, 1]) : b;
        const batchA = A.shape.slice(0, -2);
        const batchB = B.shape.slice(0, -2);
        const nb = Math.max(batchA.length, batchB.length);
        const batch = Array.from({ length: nb }, (_, i) =>
          Math.max(batchA[batchA.length - nb + i] ?? 1, batchB[batchB.length - nb + i] ?? 1),
        );
        const M = A.shape[A.rank - 2];
        const N = B.shape[B.rank - 1];
        const pick = (t: tg.Tensor, bi: number[], i: number, j: number) => {
          const tb = t.shape.slice(0, -2);
          const idx = [...tb.map((d, q) => (d === 1 ? 0 : bi[nb - tb.length + q])), i, j];
          return t.data[ravel(idx, t.shape)];
        };
        const full = [...batch, M, N];
        const want = Array.from({ length: size(full) }, (_, f) => {
          const o = unravel(f, full);
          let s = 0;
          for (let q = 0; q < c.k; q++)
            s += pick(A, o.slice(0, -2), o[nb], q) * pick(B, o.slice(0, -2), q, o[nb + 1]);
          return s;
        });
        const wantShape = [...batch, ...(c.vecA ? [] : [M]), ...(c.vecB ? [] : [N])];
        expect(y.shape).toEqual(wantShape);
        expectClose(y.data, want, {}, JSON.stringify(c));
        gc((p, q) => tg.matmul(p, q), [a, b], JSON.stringify(c));
      }),
      { seed: 6, numRuns: 60 },
    );
  });
  it('a stack of matrices times one matrix is one product over the stacked rows (transB too): same bits per slice', () => {
    for (const [lead, transB] of [
      [[3, 5], false],
      [[2, 2, 4], true],
    ] as const) {
      const k = 7;
      const n = 6;
      const f32 = (sh: readonly number[], seed: number) =>
        tg.tensor(Float32Array.from(uniform(size(sh), seed, -2, 2)), sh);
      const a = f32([...lead, k], 1);
      const b = f32(transB ? [n, k] : [k, n], 2);
      const [y, ops] = (() => {
        const seen: string[] = [];
        const off = tg.onOp((e) => seen.push(`${e.op} ${e.inputs.map((t) => t.shape.join('×')).join(' ')}`));
        try {
          return [tg.matmul(a, b, { transB }), seen] as const;
        } finally {
          off();
        }
      })();
      const rows = size(lead);
      // one product of [rows, k] (not lead[0..-1] products of [lead[-1], k])
      expect(ops.filter((o) => o.startsWith('matmul'))).toEqual([`matmul ${rows}×${k} ${b.shape.join('×')}`]);
      expect(y.shape).toEqual([...lead.slice(0, -1), lead[lead.length - 1], n]);
      const flat = tg.reshape(a, [rows, k]);
      for (let r = 0; r < rows; r++) {
        const one = tg.matmul(tg.slice(flat, [r, 0], [1, k]), b, { transB });
        expect(Array.from(y.data.subarray(r * n, (r + 1) * n))).toEqual(Array.from(one.data));
      }
      gc((p, q) => tg.matmul(p, q, { transB }), [rnd([...lead, k], 3), rnd(transB ? [n, k] : [k, n], 4)]);
    }
    // a mismatch names the caller's shapes, not the stacked rows
    expect(() => tg.matmul(tg.zeros([2, 3, 4]), tg.zeros([5, 6]))).toThrow(
      'matmul: [2,3,4] · [5,6]: inner sizes 4 and 5 differ',
    );
    expect(() => tg.matmul(tg.zeros([2, 3, 4]), tg.zeros([6, 5]), { transB: true })).toThrow(
      'matmul: [2,3,4] · [6,5]ᵀ: inner sizes 4 and 5 differ',
    );
  });
});

describe('shape sugar', () => {
  it('split, stack, tile, squeeze, expandDims, flatten, negative slice begins', () => {
    const x = t64([0, 1, 2, 3, 4, 5], [2, 3]);
    const [p, q] = tg.split(x, [1, 2], 1);
    expect(p.toArray()).toEqual([[0], [3]]);
    expect(q.toArray()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(tg.split(x, 2, 0).map((t) => t.toArray())).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
    expect(tg.stack([t64([1, 2], [2]), t64([3, 4], [2])], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(tg.stack([t64([1, 2], [2]), t64([3, 4], [2])]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tg.tile(x, [2, 2]).toArray()).toEqual([
      [0, 1, 2, 0, 1, 2],
      [3, 4, 5, 3, 4, 5],
      [0, 1, 2, 0, 1, 2],
      [3, 4, 5, 3, 4, 5],
    ]);
    expect(tg.squeeze(tg.zeros([1, 2, 1, 3])).shape).toEqual([2, 3]);
    expect(tg.squeeze(tg.zeros([1, 2, 1]), [2]).shape).toEqual([1, 2]);
    expect(tg.expandDims(x, -1).shape).toEqual([2, 3, 1]);
    expect(tg.flatten(tg.zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(tg.slice(x, [-1, -2]).toArray()).toEqual([[4, 5]]);
    expect(tg.concat([x, x], -1).shape).toEqual([2, 6]);
    gc((a) => tg.tile(a, [3, 2]), [x]);
    gc((a, b) => tg.stack([a, b], 1), [x, rnd([2, 3], 1)]);
    gc((a) => tg.concat(tg.split(a, 3, 1).reverse(), 1), [x]);
  });
});

describe('reductions', () => {
  it('sum/mean/max/min/variance/argmax/argmin/logSumExp with axes and keepdims equal naive loops; gradients pass', () => {
    const arb = fc.record({
      s: fc.array(int(1, 3), { minLength: 1, maxLength: 3 }),
      axes: fc.array(int(-3, 2), { maxLength: 2 }),
      keep: fc.boolean(),
      seed: int(0, 1000),
    });
    fc.assert(
      fc.property(arb, ({ s, axes, keep, seed }) => {
        const ax = [
          ...new Set(
            axes.filter((a) => a >= -s.length && a < s.length).map((a) => (a + s.length) % s.length),
          ),
        ].sort();
        const x = rnd(s, seed); // continuous: no ties
        const outShape = s.flatMap((d, i) => (ax.includes(i) ? (keep ? [1] : []) : [d]));
        const groups = new Map<number, number[]>();
        arr(x).forEach((v, i) => {
          const o = ravel(
            unravel(i, s).flatMap((v2, d) => (ax.includes(d) ? (keep ? [0] : []) : [v2])),
            outShape,
          );
          groups.set(o, [...(groups.get(o) ?? []), v]);
        });
        const per = (f: (g: number[]) => number) =>
          Array.from({ length: size(outShape) }, (_, o) => f(groups.get(o)!));
        const mean = (g: number[]) => g.reduce((a, b) => a + b, 0) / g.length;
        const cases: [string, tg.Tensor, number[]][] = [
          ['sum', tg.sum(x, ax, keep), per((g) => g.reduce((a, b) => a + b, 0))],
          ['mean', tg.mean(x, ax, keep), per(mean)],
          ['max', tg.max(x, ax, keep), per((g) => Math.max(...g))],
          ['min', tg.min(x, ax, keep), per((g) => Math.min(...g))],
          ['variance', tg.variance(x, ax, keep), per((g) => mean(g.map((v) => (v - mean(g)) ** 2)))],
          [
            'logSumExp',
            tg.logSumExp(x, ax, keep),
            per((g) => Math.log(g.reduce((a, v) => a + Math.exp(v), 0))),
          ],
        ];
        for (const [name, y, want] of cases) {
          expect(y.shape, name).toEqual(outShape);
          expectClose(y.data, want, { rtol: 1e-12, atol: 1e-12 }, name);
        }
        gc((a) => tg.variance(a, ax, keep), [x], 'variance');
        gc((a) => tg.logSumExp(a, ax, keep), [x], 'logSumExp');
        gc((a) => tg.min(a, ax, keep), [x], 'min');
        const axis = ax.length ? ax[0] : s.length - 1;
        const am = tg.argmax(x, axis);
        const aw = tg.argmin(x, axis);
        const o = s.filter((_, d) => d !== axis);
        arr(am).forEach((k, i) => {
          const idx = unravel(i, o);
          const col = Array.from(
            { length: s[axis] },
            (_, j) => x.data[ravel([...idx.slice(0, axis), j, ...idx.slice(axis)], s)],
          );
          expect(k).toBe(col.indexOf(Math.max(...col)));
          expect(aw.data[i]).toBe(col.indexOf(Math.min(...col)));
        });
      }),
      { seed: 8, numRuns: 60 },
    );
  });

  it('logSumExp and softmax are stable for huge values and give -Inf for a row of -Inf', () => {
    expect(arr(tg.logSumExp(t64([1000, 1000], [2])))).toEqual([1000 + Math.log(2)]);
    expect(arr(tg.softmax(t64([1000, 0, -1000], [3])))).toEqual([1, 0, 0]);
    expect(arr(tg.logSumExp(t64([-Infinity, -Infinity, 0, 1], [2, 2]), 1))).toEqual([
      -Infinity,
      Math.log(Math.E + 1),
    ]);
    expect(arr(tg.logSumExp(t64([Infinity, 0], [2])))).toEqual([Infinity]);
  });
});

describe('activations against their formulas', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const sp = (v: number) => Math.log1p(Math.exp(v));
  const A = 1.6732632423543772;
  const S = 1.0507009873554805;
  const acts: [string, (x: tg.Tensor) => tg.Tensor, (v: number) => number][] = [
    ['elu', (x) => tg.elu(x, 0.7), (v) => (v > 0 ? v : 0.7 * (Math.exp(v) - 1))],
    ['selu', tg.selu, (v) => S * (v > 0 ? v : A * (Math.exp(v) - 1))],
    ['softplus', tg.softplus, sp],
    ['softsign', tg.softsign, (v) => v / (1 + Math.abs(v))],
    ['hardSigmoid', (x) => tg.hardSigmoid(x), (v) => Math.min(Math.max(v + 3, 0), 6) / 6],
    ['hardSigmoid keras2', (x) => tg.hardSigmoid(x, true), (v) => Math.min(Math.max(0.2 * v + 0.5, 0), 1)],
    ['swish', tg.swish, (v) => v * sig(v)],
    ['gelu', (x) => tg.gelu(x), (v) => 0.5 * v * (1 + erfSimpson(v / Math.SQRT2))],
    [
      'gelu tanh',
      (x) => tg.gelu(x, true),
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
    ['relu6', tg.relu6, (v) => Math.min(Math.max(v, 0), 6)],
    ['leakyRelu', (x) => tg.leakyRelu(x, 0.1), (v) => (v > 0 ? v : 0.1 * v)],
    ['mish', tg.mish, (v) => v * Math.tanh(sp(v))],
    [
      'reluAdvanced',
      (x) => tg.reluAdvanced(x, { maxValue: 6, negativeSlope: 0.2, threshold: 1 }),
      (v) => (v > 1 ? Math.min(v, 6) : 0.2 * (v - 1)),
    ],
    ['thresholdedRelu', (x) => tg.thresholdedRelu(x, 1), (v) => (v > 1 ? v : 0)],
    ['erf', tg.erf, erfSimpson],
  ];
  // NOTE: inputs avoid the kinks at 0, 1, ±3, 6 and ±2.5 (hardSigmoid keras2) by at least 0.05.
  const kinks = [0, 1, 3, -3, 6, 2.5, -2.5];
  const xs = Array.from(uniform(60, 77, -8, 8)).filter((v) => kinks.every((k) => Math.abs(v - k) > 0.05));
  it.each(acts)('%s', (name, f, ref) => {
    const x = t64(xs, [xs.length]);
    expectClose(f(x).data, xs.map(ref), { rtol: 1e-10, atol: 1e-12 }, name);
    gc(f, [x], name);
    expectClose(
      f(tg.tensor(Float32Array.from(xs))).data,
      xs.map(ref),
      { rtol: 1e-5, atol: 1e-6 },
      `${name} float32`,
    );
  });

  it('softmax and logSoftmax along any axis', () => {
    const x = rnd([2, 3, 4], 9);
    for (const axis of [0, 1, -1]) {
      const a = (axis + 3) % 3;
      const y = tg.softmax(x, axis);
      const ly = tg.logSoftmax(x, axis);
      arr(y).forEach((v, i) => {
        const idx = unravel(i, x.shape);
        let z = 0;
        for (let j = 0; j < x.shape[a]; j++)
          z += Math.exp(
            x.data[
              ravel(
                idx.map((q, d) => (d === a ? j : q)),
                x.shape,
              )
            ],
          );
        expect(v).toBeCloseTo(Math.exp(x.data[i]) / z, 12);
        expect(ly.data[i]).toBeCloseTo(x.data[i] - Math.log(z), 12);
      });
      gc((t) => tg.softmax(t, axis), [x]);
    }
  });
});

describe('losses against their formulas', () => {
  const logits = rnd([4, 3], 10);
  const lab = [2, 0, 1, 2];
  const rowLse = (r: number) => Math.log([0, 1, 2].reduce((s, q) => s + Math.exp(logits.data[r * 3 + q]), 0));
  it('crossEntropy with class indices (int32 or whole floats) and with probability rows', () => {
    const want = lab.reduce((s, c, r) => s - (logits.data[r * 3 + c] - rowLse(r)), 0) / 4;
    expect(tg.crossEntropy(logits, tg.tensor(Int32Array.from(lab))).item()).toBeCloseTo(want, 12);
    expect(tg.crossEntropy(logits, tg.tensor(lab)).item()).toBeCloseTo(want, 12);
    const probs = rnd([4, 3], 11, 0, 1);
    const wantP =
      [0, 1, 2, 3].reduce(
        (s, r) =>
          s - [0, 1, 2].reduce((t, q) => t + probs.data[r * 3 + q] * (logits.data[r * 3 + q] - rowLse(r)), 0),
        0,
      ) / 4;
    expect(tg.crossEntropy(logits, probs).item()).toBeCloseTo(wantP, 12);
    expect(tg.crossEntropy(logits, tg.oneHot(tg.tensor(Int32Array.from(lab)), 3)).item()).toBeCloseTo(
      want,
      6,
    );
    gc((z) => tg.crossEntropy(z, tg.tensor(Int32Array.from(lab))), [logits]);
    gc((z, p) => tg.crossEntropy(z, p), [logits, probs]);
  });

  it('mse, mae and huber', () => {
    const p = rnd([3, 4], 12);
    const t = rnd([3, 4], 13);
    const d = arr(p).map((v, i) => v - t.data[i]);
    const avg = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(tg.mseLoss(p, t).item()).toBeCloseTo(avg(d.map((v) => v * v)), 12);
    expect(tg.maeLoss(p, t).item()).toBeCloseTo(avg(d.map(Math.abs)), 12);
    const hub = (v: number, delta: number) =>
      Math.abs(v) <= delta ? 0.5 * v * v : delta * (Math.abs(v) - 0.5 * delta);
    expect(tg.huberLoss(p, t, 0.7).item()).toBeCloseTo(avg(d.map((v) => hub(v, 0.7))), 12);
    gc((a, b) => tg.mseLoss(a, b), [p, t]);
    gc((a, b) => tg.huberLoss(a, b, 0.7), [p, t]);
    expect(arr(tg.oneHot(tg.tensor(Int32Array.from([1, 0])), 3))).toEqual([0, 1, 0, 1, 0, 0]);
  });
});

describe('pow', () => {
  it('x² has gradient 0 at 0 (not NaN); the exponent gradient at base 0 is 0; odd powers of negatives work', () => {
    expect(arr(tg.grad((x: tg.Tensor) => tg.sum(tg.pow(x, 2)))(t64([0, 1.5], [2])))).toEqual([0, 3]);
    expect(arr(tg.grad((x: tg.Tensor) => tg.sum(tg.pow(x, 3)))(t64([-2], [1])))).toEqual([12]);
    const [ga, gb] = tg.grads((a: tg.Tensor, b: tg.Tensor) => tg.sum(tg.pow(a, b)))(
      t64([0, 2], [2]),
      t64([2, 3], [2]),
    );
    expect(arr(ga)).toEqual([0, 12]);
    expect(arr(gb)).toEqual([0, 8 * Math.log(2)]);
    expect(tg.hvp((x) => tg.sum(tg.pow(x, 3)), t64([0, 2], [2]), t64([1, 1], [2])).toArray()).toEqual([
      0, 12,
    ]);
  });
});

describe('dropout', () => {
  it('identity when not training or rate 0; otherwise zeros about `rate` and scales the rest by 1/(1-rate)', () => {
    const x = tg.ones([4000], { dtype: 'float64' });
    expect(tg.dropout(x, 0.5, { training: false })).toBe(x);
    expect(tg.dropout(x, 0)).toBe(x);
    const y = arr(tg.dropout(x, 0.25, { rng: new tg.Rng(3) }));
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => Math.abs(v - 4 / 3) < 1e-12)).toBe(true);
    expect(Math.abs(1 - kept.length / y.length - 0.25)).toBeLessThan(0.03);
    expect(arr(tg.dropout(x, 0.25, { rng: new tg.Rng(3) }))).toEqual(y);
    expect(() => tg.dropout(x, 1)).toThrow(tg.ValueError);
  });
});
