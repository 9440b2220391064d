// Losses vs plain-loop references, published Keras documentation values, and gradcheck in float64.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, prng, uniform } from '../support/check.js';

const EPS = 1e-7;
const t64 = (v: ArrayLike<number>, shape: number[]) => tg.tensor(Array.from(v), shape, { dtype: 'float64' });
const clip = (p: number) => Math.min(Math.max(p, EPS), 1 - EPS);

/** Random probability-like rows (not normalised), one-hot rows and labels. */
function data(rows: number, classes: number, seed: number) {
  const r = prng(seed);
  const scores = Array.from({ length: rows * classes }, () => 0.05 + r());
  const logits = Array.from({ length: rows * classes }, () => 4 * r() - 2);
  const labels = Array.from({ length: rows }, () => Math.floor(r() * classes));
  const hot = labels.flatMap((l) => Array.from({ length: classes }, (_, j) => (j === l ? 1 : 0)));
  return { scores, logits, labels, hot };
}

function refCategorical(y: number[], p: number[], c: number, fromLogits: boolean): number {
  const rows = y.length / c;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = p.slice(i * c, (i + 1) * c);
    let logp: number[];
    if (fromLogits) {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      logp = row.map((v) => v - lse);
    } else {
      const s = row.reduce((a, b) => a + b, 0);
      logp = row.map((v) => Math.log(clip(v / s)));
    }
    for (let j = 0; j < c; j++) total -= y[i * c + j] * logp[j];
  }
  return total / rows;
}

function refBinary(y: number[], p: number[], fromLogits: boolean): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    if (fromLogits) {
      const s = 1 / (1 + Math.exp(-p[i]));
      total -= y[i] * Math.log(s) + (1 - y[i]) * Math.log(1 - s);
    } else total -= y[i] * Math.log(clip(p[i])) + (1 - y[i]) * Math.log(1 - clip(p[i]));
  }
  return total / y.length;
}

describe('cross-entropies vs plain loops', () => {
  const C = 4;
  const R = 5;
  const d = data(R, C, 3);
  it('categorical from probabilities (renormalised and clipped) and from logits', () => {
    expect(tg.categoricalCrossentropy(t64(d.hot, [R, C]), t64(d.scores, [R, C])).item()).toBeCloseTo(
      refCategorical(d.hot, d.scores, C, false),
      12,
    );
    expect(
      tg.categoricalCrossentropy(t64(d.hot, [R, C]), t64(d.logits, [R, C]), { fromLogits: true }).item(),
    ).toBeCloseTo(refCategorical(d.hot, d.logits, C, true), 12);
  });
  it('categorical with label smoothing uses y(1-s) + s/C', () => {
    const s = 0.2;
    const ys = d.hot.map((v) => v * (1 - s) + s / C);
    expect(
      tg
        .categoricalCrossentropy(t64(d.hot, [R, C]), t64(d.logits, [R, C]), {
          fromLogits: true,
          labelSmoothing: s,
        })
        .item(),
    ).toBeCloseTo(refCategorical(ys, d.logits, C, true), 12);
  });
  it('categorical over a sequence axis [B, T, C] averages over B·T rows', () => {
    const x = data(6, 3, 9);
    expect(
      tg
        .categoricalCrossentropy(t64(x.hot, [2, 3, 3]), t64(x.logits, [2, 3, 3]), { fromLogits: true })
        .item(),
    ).toBeCloseTo(refCategorical(x.hot, x.logits, 3, true), 12);
  });
  it('zero probabilities are clipped to 1e-7, giving a finite loss of -log(1e-7)', () => {
    const v = tg.categoricalCrossentropy(t64([1, 0], [1, 2]), t64([0, 1], [1, 2])).item();
    expect(v).toBeCloseTo(-Math.log(EPS), 6);
  });
  it('sparse equals categorical of the one-hot rows; labels [N], [N,1], int32 or float', () => {
    const want = refCategorical(d.hot, d.logits, C, true);
    const logits = t64(d.logits, [R, C]);
    expect(
      tg
        .sparseCategoricalCrossentropy(tg.tensor(d.labels, [R], { dtype: 'int32' }), logits, {
          fromLogits: true,
        })
        .item(),
    ).toBeCloseTo(want, 12);
    expect(
      tg.sparseCategoricalCrossentropy(t64(d.labels, [R, 1]), logits, { fromLogits: true }).item(),
    ).toBeCloseTo(want, 12);
    expect(tg.sparseCategoricalCrossentropy(t64(d.labels, [R]), t64(d.scores, [R, C])).item()).toBeCloseTo(
      refCategorical(d.hot, d.scores, C, false),
      12,
    );
  });
  it('sparse from logits: the one-hot sum bit for bit (value and gradient, float32 and float64, rank 3), finite at -Inf', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const logits = tg.tensor(uniform(2 * 3 * C, 5, -4, 4), [2, 3, C], { dtype });
      const labels = tg.tensor([0, 3, 1, 2, 2, 0], [2, 3], { dtype: 'int32' });
      const hot = tg.tensor(
        [0, 3, 1, 2, 2, 0].flatMap((l) => [0, 1, 2, 3].map((k) => (k === l ? 1 : 0))),
        [2, 3, C],
        { dtype },
      );
      const a = tg.valueAndGrads((x: tg.Tensor) =>
        tg.sparseCategoricalCrossentropy(labels, x, { fromLogits: true }),
      )(logits);
      const b = tg.valueAndGrads((x: tg.Tensor) => tg.categoricalCrossentropy(hot, x, { fromLogits: true }))(
        logits,
      );
      expect(a.value.item()).toBe(b.value.item());
      expect(Array.from(a.grads[0].data)).toEqual(Array.from(b.grads[0].data));
    }
    // row 0: logits [0, -Inf, 1, 2], label 0; row 1: [3, 0, 1, 2], label 2
    const inf = t64([0, -Infinity, 1, 2, 3, 0, 1, 2], [2, C]);
    const lse = (xs: number[]) => Math.log(xs.reduce((s, v) => s + Math.exp(v), 0));
    expect(tg.sparseCategoricalCrossentropy(t64([0, 2], [2]), inf, { fromLogits: true }).item()).toBeCloseTo(
      (lse([0, 1, 2]) - 0 + (lse([3, 0, 1, 2]) - 1)) / 2,
      12,
    );
    expect(() =>
      tg.sparseCategoricalCrossentropy(t64([0, 9, 1, 2, 3], [R]), t64(d.logits, [R, C]), {
        fromLogits: true,
      }),
    ).toThrow(/^sparseCategoricalCrossentropy: label 9 at position 1 is out of range for 4 classes/);
  });
  it('sparse rejects out-of-range and non-integer labels and wrong label shapes', () => {
    const logits = t64(d.logits, [R, C]);
    expect(() => tg.sparseCategoricalCrossentropy(t64([0, 1, 2, 3, 4], [R]), logits)).toThrow(
      /label 4 .* out of range for 4 classes/,
    );
    expect(() => tg.sparseCategoricalCrossentropy(t64([0, 1, 2, 3, 0.5], [R]), logits)).toThrow(/label 0.5/);
    expect(() => tg.sparseCategoricalCrossentropy(t64([0, 1], [2]), logits)).toThrow(
      /labels \[2\] must have shape \[5\]/,
    );
    expect(() => tg.categoricalCrossentropy(t64(d.labels, [R]), logits)).toThrow(
      /sparseCategoricalCrossentropy/,
    );
  });
  it('binary from probabilities (clipped) and from logits, stable for large logits', () => {
    const y = [0, 1, 1, 0, 1, 0];
    const p = [0.2, 0.9, 0, 1, 0.5, 0.01];
    expect(tg.binaryCrossentropy(t64(y, [3, 2]), t64(p, [3, 2])).item()).toBeCloseTo(
      refBinary(y, p, false),
      12,
    );
    const z = [-3, 2, 0.5, -0.1, 4, 1];
    expect(tg.binaryCrossentropy(t64(y, [3, 2]), t64(z, [3, 2]), { fromLogits: true }).item()).toBeCloseTo(
      refBinary(y, z, true),
      12,
    );
    // log(1 + e^100) ≈ 100 without overflow
    expect(tg.binaryCrossentropy(t64([0], [1]), t64([100], [1]), { fromLogits: true }).item()).toBeCloseTo(
      100,
      10,
    );
    expect(tg.binaryCrossentropy(t64([0.5], [1]), t64([1], [1]), { labelSmoothing: 0.2 }).item()).toBeCloseTo(
      refBinary([0.5], [1], false),
      12,
    );
  });
});

describe('regression losses vs plain loops', () => {
  const yt = Array.from(uniform(12, 1, -2, 2));
  const yp = Array.from(uniform(12, 2, -2, 2));
  const pos = Array.from(uniform(12, 3, 0.1, 3));
  const mean = (f: (i: number) => number) =>
    Array.from({ length: 12 }, (_, i) => f(i)).reduce((a, b) => a + b, 0) / 12;
  const T = t64(yt, [4, 3]);
  const P = t64(yp, [4, 3]);
  const cases: [string, (a: tg.Tensor, b: tg.Tensor) => tg.Tensor, number][] = [
    ['meanSquaredError', tg.meanSquaredError, mean((i) => (yp[i] - yt[i]) ** 2)],
    ['meanAbsoluteError', tg.meanAbsoluteError, mean((i) => Math.abs(yp[i] - yt[i]))],
    [
      'meanAbsolutePercentageError',
      tg.meanAbsolutePercentageError,
      100 * mean((i) => Math.abs(yt[i] - yp[i]) / Math.max(Math.abs(yt[i]), EPS)),
    ],
    [
      'huber (δ = 1)',
      tg.huber,
      mean((i) => {
        const e = Math.abs(yp[i] - yt[i]);
        return e <= 1 ? 0.5 * e * e : e - 0.5;
      }),
    ],
    [
      'huber (δ = 0.3)',
      (a, b) => tg.huber(a, b, { delta: 0.3 }),
      mean((i) => {
        const e = Math.abs(yp[i] - yt[i]);
        return e <= 0.3 ? 0.5 * e * e : 0.3 * e - 0.045;
      }),
    ],
    ['logcosh', tg.logcosh, mean((i) => Math.log(Math.cosh(yp[i] - yt[i])))],
    [
      'hinge (±1 from sign)',
      (a, b) => tg.hinge(tg.sign(a), b),
      mean((i) => Math.max(1 - Math.sign(yt[i]) * yp[i], 0)),
    ],
    [
      'squaredHinge',
      (a, b) => tg.squaredHinge(tg.sign(a), b),
      mean((i) => Math.max(1 - Math.sign(yt[i]) * yp[i], 0) ** 2),
    ],
  ];
  for (const [name, f, want] of cases) it(name, () => expect(f(T, P).item()).toBeCloseTo(want, 12));

  it('meanSquaredLogarithmicError, poisson and kullbackLeiblerDivergence on positive values', () => {
    const Q = t64(pos, [4, 3]);
    const A = t64(yt.map(Math.abs), [4, 3]);
    const at = yt.map(Math.abs);
    expect(tg.meanSquaredLogarithmicError(A, Q).item()).toBeCloseTo(
      mean((i) => (Math.log(pos[i] + 1) - Math.log(Math.max(at[i], EPS) + 1)) ** 2),
      12,
    );
    expect(tg.poisson(A, Q).item()).toBeCloseTo(
      mean((i) => pos[i] - at[i] * Math.log(pos[i] + EPS)),
      12,
    );
    // KL over rows of 3 with both sides clipped into [ε, 1]
    const c01 = (v: number) => Math.min(Math.max(v, EPS), 1);
    let kl = 0;
    for (let i = 0; i < 12; i++) kl += c01(at[i] / 3) * Math.log(c01(at[i] / 3) / c01(pos[i] / 3));
    expect(tg.kullbackLeiblerDivergence(tg.div(A, 3), tg.div(Q, 3)).item()).toBeCloseTo(kl / 4, 12);
  });

  it('categoricalHinge and cosineSimilarity per row', () => {
    let ch = 0,
      cs = 0;
    for (let r = 0; r < 4; r++) {
      const y = yt.slice(r * 3, r * 3 + 3);
      const p = yp.slice(r * 3, r * 3 + 3);
      const posv = y.reduce((s, v, j) => s + v * p[j], 0);
      const negv = Math.max(...p.map((v, j) => (1 - y[j]) * v));
      ch += Math.max(negv - posv + 1, 0);
      const ny = Math.hypot(...y);
      const np = Math.hypot(...p);
      cs -= posv / (ny * np);
    }
    expect(tg.categoricalHinge(T, P).item()).toBeCloseTo(ch / 4, 12);
    expect(tg.cosineSimilarity(T, P).item()).toBeCloseTo(cs / 4, 12);
  });

  it('targets [N] against predictions [N, 1] are aligned; other mismatches are ShapeErrors naming both shapes', () => {
    const y = t64([1, 2, 3], [3]);
    const p = t64([1.5, 2, 2], [3, 1]);
    expect(tg.meanSquaredError(y, p).item()).toBeCloseTo((0.25 + 0 + 1) / 3, 14);
    expect(() => tg.meanSquaredError(t64([1, 2], [2]), p)).toThrow(/targets \[2\] and predictions \[3,1\]/);
    expect(() => tg.meanSquaredError(y, tg.tensor([1, 2, 3], [3], { dtype: 'int32' }))).toThrow(
      tg.DTypeError,
    );
  });
});

describe('published Keras documentation examples', () => {
  const yt = t64([0, 1, 0, 0], [2, 2]);
  const yp = t64([0.6, 0.4, 0.4, 0.6], [2, 2]);
  const docs: [string, () => tg.Tensor, number][] = [
    [
      'categorical_crossentropy',
      () =>
        tg.categoricalCrossentropy(
          t64([0, 1, 0, 0, 0, 1], [2, 3]),
          t64([0.05, 0.95, 0, 0.1, 0.8, 0.1], [2, 3]),
        ),
      1.177,
    ],
    [
      'sparse_categorical_crossentropy',
      () => tg.sparseCategoricalCrossentropy(t64([1, 2], [2]), t64([0.05, 0.95, 0, 0.1, 0.8, 0.1], [2, 3])),
      1.177,
    ],
    ['binary_crossentropy', () => tg.binaryCrossentropy(yt, yp), 0.815],
    [
      'binary_crossentropy from logits',
      () =>
        tg.binaryCrossentropy(t64([0, 1, 0, 0], [4]), t64([-18.6, 0.51, 2.94, -12.8], [4]), {
          fromLogits: true,
        }),
      0.865,
    ],
    ['mean_squared_error', () => tg.meanSquaredError(yt, t64([1, 1, 1, 0], [2, 2])), 0.5],
    ['mean_absolute_error', () => tg.meanAbsoluteError(yt, t64([1, 1, 1, 0], [2, 2])), 0.5],
    [
      'mean_absolute_percentage_error',
      () => tg.meanAbsolutePercentageError(t64([2, 1, 2, 3], [2, 2]), t64([1, 1, 1, 0], [2, 2])),
      50,
    ],
    [
      'mean_squared_logarithmic_error',
      () => tg.meanSquaredLogarithmicError(yt, t64([1, 1, 1, 0], [2, 2])),
      0.24,
    ],
    ['huber', () => tg.huber(yt, yp), 0.155],
    ['log_cosh', () => tg.logcosh(yt, t64([1, 1, 0, 0], [2, 2])), 0.108],
    ['hinge', () => tg.hinge(yt, yp), 1.3],
    ['squared_hinge', () => tg.squaredHinge(yt, yp), 1.86],
    ['categorical_hinge', () => tg.categoricalHinge(yt, yp), 1.4],
    ['kl_divergence', () => tg.kullbackLeiblerDivergence(yt, yp), 0.458],
    ['poisson', () => tg.poisson(yt, t64([1, 1, 0, 0], [2, 2])), 0.5],
    [
      'cosine_similarity',
      () => tg.cosineSimilarity(t64([0, 1, 1, 1], [2, 2]), t64([1, 0, 1, 1], [2, 2])),
      -0.5,
    ],
  ];
  for (const [name, f, want] of docs)
    it(name, () => expect(Math.abs(f().item() - want)).toBeLessThan(6e-4 * Math.max(1, Math.abs(want))));
});

describe('gradients (float64 gradcheck)', () => {
  const opts = { throwOnFail: true, atol: 1e-6, rtol: 1e-4 } as const;
  const d = data(3, 4, 21);
  const hot = t64(d.hot, [3, 4]);
  const probs = t64(d.scores, [3, 4]);
  const logits = t64(d.logits, [3, 4]);
  const yb = t64([0, 1, 1, 0, 1, 0.3], [2, 3]);
  const pb = t64([0.2, 0.7, 0.6, 0.1, 0.9, 0.4], [2, 3]);
  const fns: [string, (x: tg.Tensor) => tg.Tensor, tg.Tensor][] = [
    ['categorical from probabilities', (x) => tg.categoricalCrossentropy(hot, x), probs],
    [
      'categorical from logits + smoothing',
      (x) => tg.categoricalCrossentropy(hot, x, { fromLogits: true, labelSmoothing: 0.1 }),
      logits,
    ],
    [
      'sparse from probabilities',
      (x) => tg.sparseCategoricalCrossentropy(tg.tensor(d.labels, [3], { dtype: 'int32' }), x),
      probs,
    ],
    [
      'sparse from logits',
      (x) =>
        tg.sparseCategoricalCrossentropy(tg.tensor(d.labels, [3], { dtype: 'int32' }), x, {
          fromLogits: true,
        }),
      logits,
    ],
    ['binary from probabilities', (x) => tg.binaryCrossentropy(yb, x), pb],
    [
      'binary from logits',
      (x) => tg.binaryCrossentropy(yb, x, { fromLogits: true }),
      t64([-2, 0.3, 1.5, -0.7, 3, 0.1], [2, 3]),
    ],
    ['meanSquaredError', (x) => tg.meanSquaredError(yb, x), pb],
    ['meanAbsoluteError', (x) => tg.meanAbsoluteError(yb, x), pb],
    ['huber', (x) => tg.huber(yb, x, 0.25), pb],
    ['logcosh', (x) => tg.logcosh(yb, x), pb],
    ['hinge', (x) => tg.hinge(tg.sign(yb), x), t64([-0.2, 0.3, 0.5, 0.7, -1.5, 0.4], [2, 3])],
    [
      'kullbackLeiblerDivergence',
      (x) => tg.kullbackLeiblerDivergence(t64([0.2, 0.5, 0.3, 0.1, 0.1, 0.8], [2, 3]), x),
      pb,
    ],
    ['poisson', (x) => tg.poisson(yb, x), pb],
    ['cosineSimilarity', (x) => tg.cosineSimilarity(yb, x), pb],
    ['categoricalHinge', (x) => tg.categoricalHinge(yb, x), pb],
    ['meanSquaredLogarithmicError', (x) => tg.meanSquaredLogarithmicError(yb, x), pb],
  ];
  for (const [name, f, x] of fns) it(name, () => expect(tg.gradcheck(f, [x], opts).ok).toBe(true));

  it('the categorical gradient from logits is (softmax − y)/N', () => {
    const g = tg.grad((x) => tg.categoricalCrossentropy(hot, x, { fromLogits: true }))(logits);
    const want: number[] = [];
    for (let i = 0; i < 3; i++) {
      const row = d.logits.slice(i * 4, i * 4 + 4);
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      row.forEach((v, j) => want.push((Math.exp(v) / z - d.hot[i * 4 + j]) / 3));
    }
    expectClose(g.data, want, { rtol: 1e-10, atol: 1e-14 });
  });
});

describe('float32 and getLoss', () => {
  it('losses keep float32 and agree with float64 to float32 precision', () => {
    const d = data(4, 3, 5);
    const v32 = tg.categoricalCrossentropy(tg.tensor(d.hot, [4, 3]), tg.tensor(d.logits, [4, 3]), {
      fromLogits: true,
    });
    expect(v32.dtype).toBe('float32');
    expect(v32.item()).toBeCloseTo(refCategorical(d.hot, d.logits, 3, true), 5);
    expect(tg.binaryCrossentropy(tg.tensor([1, 0]), tg.tensor([0.9, 0.2])).dtype).toBe('float32');
  });

  it('maps Keras and TF.js names (camelCase, snake_case, class names, short aliases) to the functions', () => {
    const y = t64([0, 1, 1, 0], [2, 2]);
    const p = t64([0.3, 0.6, 0.8, 0.1], [2, 2]);
    const same = (a: string, f: tg.LossFn) => expect(tg.getLoss(a)(y, p).item()).toBe(f(y, p).item());
    same('categoricalCrossentropy', tg.categoricalCrossentropy);
    same('categorical_crossentropy', tg.categoricalCrossentropy);
    same('CategoricalCrossentropy', tg.categoricalCrossentropy);
    same('binaryCrossentropy', tg.binaryCrossentropy);
    same('binary_crossentropy', tg.binaryCrossentropy);
    same('meanSquaredError', tg.meanSquaredError);
    same('mse', tg.meanSquaredError);
    same('MSE', tg.meanSquaredError);
    same('mean_squared_error', tg.meanSquaredError);
    same('mae', tg.meanAbsoluteError);
    same('huber', tg.huber);
    same('huber_loss', tg.huber);
    same('kld', tg.kullbackLeiblerDivergence);
    same('cosineProximity', tg.cosineSimilarity);
    expect(tg.getLoss('sparse_categorical_crossentropy').name).toBe('sparseCategoricalCrossentropy');
    const lab = tg.tensor([1, 0], [2], { dtype: 'int32' });
    expect(tg.getLoss('sparseCategoricalCrossentropy', { fromLogits: true })(lab, p).item()).toBe(
      tg.sparseCategoricalCrossentropy(lab, p, { fromLogits: true }).item(),
    );
    expect(tg.getLoss('huber', { delta: 0.1 })(y, p).item()).toBe(tg.huber(y, p, 0.1).item());
    const mine: tg.LossFn = (a, b) => tg.sum(tg.sub(a, b));
    expect(tg.getLoss(mine)).toBe(mine);
    expect(tg.losses.meanSquaredError).toBe(tg.meanSquaredError);
  });

  it('an unknown name lists the valid ones', () => {
    expect(() => tg.getLoss('meanSquaredErr')).toThrow(tg.ValueError);
    expect(() => tg.getLoss('meanSquaredErr')).toThrow(
      /unknown loss 'meanSquaredErr'; valid names: categoricalCrossentropy, .*mse, mae/,
    );
  });
});

describe('sparse labels and arguments', () => {
  it('sparseCategoricalCrossentropy has no ignored class: -100 is out of range on both paths, with one message', () => {
    const logits = tg.tensor([
      [1, 2],
      [3, 1],
    ]);
    const labels = tg.tensor([-100, 0]);
    const msg =
      'sparseCategoricalCrossentropy: label -100 at position 0 is out of range for 2 classes (expected an integer in [0, 1])';
    expect(() => tg.sparseCategoricalCrossentropy(labels, logits, { fromLogits: true })).toThrow(msg);
    expect(() => tg.sparseCategoricalCrossentropy(labels, tg.softmax(logits, -1))).toThrow(msg);
    expect(() => tg.sparseCategoricalCrossentropy(tg.tensor([0, 2]), logits, { fromLogits: true })).toThrow(
      /label 2 at position 1 is out of range for 2 classes/,
    );
  });

  it('null options and plain arrays are refused naming the loss', () => {
    const y = tg.tensor([[0, 1]]);
    const p = tg.tensor([[0.2, 0.8]]);
    expect(() => tg.categoricalCrossentropy(y, p, null as never)).toThrow(
      /^categoricalCrossentropy: options \(the 3rd argument\) must be an object \{ fromLogits, labelSmoothing \}, got null$/,
    );
    expect(() => tg.sparseCategoricalCrossentropy(tg.tensor([1]), p, null as never)).toThrow(
      /^sparseCategoricalCrossentropy: options \(the 3rd argument\) must be an object/,
    );
    expect(() => tg.huber(y, p, null as never)).toThrow(
      /^huber: delta \(the 3rd argument\) must be a number or \{ delta \}/,
    );
    expect(() => tg.huber(y, p, '2' as never)).toThrow(/^huber: delta .* got a string/);
    for (const [name, f] of [
      ['categoricalCrossentropy', tg.categoricalCrossentropy],
      ['sparseCategoricalCrossentropy', tg.sparseCategoricalCrossentropy],
      ['binaryCrossentropy', tg.binaryCrossentropy],
      ['meanSquaredError', tg.meanSquaredError],
    ] as const)
      expect(() => f([[0, 1]] as never, p)).toThrow(
        new RegExp(`^${name}: yTrue \\(the targets, 1st argument\\) is an array, expected a Tensor`),
      );
  });
});
