// tg.regularizers.orthogonalRegularizer (Keras 3 `keras.regularizers.OrthogonalRegularizer`): the penalty against a
// naive loop of Keras's formula (keras/src/regularizers/regularizers.py: rows/columns l2-normalized with
// `x · min(rsqrt(Σx²), 1/1e-7)`, then factor · 0.5 · Σ|off-diagonal of the Gram matrix| / (s(s−1)/2)), its gradient
// against central finite differences (float64), its use as a Dense kernelRegularizer in model.losses and evaluate,
// and its config.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

beforeEach(() => tg.resetLayerNames());

/** Keras's formula as a loop over the pairs of distinct rows (or columns) of an r×c matrix stored row-major. */
function naiveOrthogonal(d: ArrayLike<number>, r: number, c: number, factor: number, mode: string): number {
  const vec = (i: number): number[] =>
    mode === 'rows'
      ? Array.from({ length: c }, (_, k) => d[i * c + k])
      : Array.from({ length: r }, (_, k) => d[k * c + i]);
  const s = mode === 'rows' ? r : c;
  const unit = (v: number[]): number[] => {
    let q = 0;
    for (const x of v) q += x * x;
    const inv = Math.min(1 / Math.sqrt(q), 1e7); // ops.normalize: x · min(rsqrt(Σx²), 1/ε), ε = 1e-7
    return v.map((x) => x * inv);
  };
  const u = Array.from({ length: s }, (_, i) => unit(vec(i)));
  let total = 0;
  for (let i = 0; i < s; i++)
    for (let j = 0; j < s; j++) {
      if (i === j) continue;
      let dot = 0;
      for (let k = 0; k < u[i].length; k++) dot += u[i][k] * u[j][k];
      total += Math.abs(dot);
    }
  const pairs = (s * (s - 1)) / 2;
  return (factor * 0.5 * total) / pairs;
}

describe('tg.regularizers.orthogonalRegularizer', () => {
  it("rows and columns modes match Keras's formula (naive loop, float64)", () => {
    tg.setSeed(3);
    for (const [r, c] of [
      [3, 5],
      [5, 3],
      [2, 2],
    ] as const) {
      const x = tg.randn([r, c], { dtype: 'float64' });
      for (const mode of ['rows', 'columns'] as const) {
        const got = tg.regularizers.orthogonalRegularizer({ factor: 0.3, mode }).apply(x).item();
        expect(got).toBeCloseTo(naiveOrthogonal(x.data, r, c, 0.3, mode), 12);
      }
    }
  });
  it('orthogonal rows give 0, equal rows give factor; a zero row counts as orthogonal (as Keras)', () => {
    const reg = tg.regularizers.orthogonalRegularizer({ factor: 0.5 });
    const eye = tg.tensor([1, 0, 0, 0, 1, 0], [2, 3], { dtype: 'float64' });
    expect(reg.apply(eye).item()).toBe(0);
    const same = tg.tensor([1, 2, 3, 1, 2, 3], [2, 3], { dtype: 'float64' });
    expect(reg.apply(same).item()).toBeCloseTo(0.5, 12);
    const zero = tg.tensor([0, 0, 0, 1, 2, 3, -1, 2, 0], [3, 3], { dtype: 'float64' });
    expect(reg.apply(zero).item()).toBeCloseTo(naiveOrthogonal(zero.data, 3, 3, 0.5, 'rows'), 12);
  });
  it('the gradient matches central finite differences (float64)', () => {
    tg.setSeed(4);
    const base = tg.randn([3, 4], { dtype: 'float64' });
    for (const mode of ['rows', 'columns'] as const) {
      const x = tg.tensor(base.data, [3, 4], { dtype: 'float64', requiresGrad: true });
      const reg = tg.regularizers.orthogonalRegularizer({ factor: 0.7, mode });
      reg.apply(x).backward();
      const g = x.grad!.data;
      const h = 1e-6;
      for (let i = 0; i < 12; i++) {
        const p = Float64Array.from(base.data as Float64Array);
        const m = Float64Array.from(base.data as Float64Array);
        p[i] += h;
        m[i] -= h;
        const fd = (naiveOrthogonal(p, 3, 4, 0.7, mode) - naiveOrthogonal(m, 3, 4, 0.7, mode)) / (2 * h);
        expect(g[i]).toBeCloseTo(fd, 6);
      }
    }
  });
  it('Keras defaults (factor 0.01, mode rows), config {factor, mode}, the Keras string name', () => {
    const r = tg.regularizers.orthogonalRegularizer();
    expect(r.getConfig()).toEqual({ factor: 0.01, mode: 'rows' });
    expect(r).toBeInstanceOf(tg.OrthogonalRegularizer);
    expect(tg.regularizers.orthogonalRegularizer({ factor: 2, mode: 'columns' }).getConfig()).toEqual({
      factor: 2,
      mode: 'columns',
    });
    const m = tg.sequential({
      layers: [tg.layers.dense({ units: 3, inputShape: [4], kernelRegularizer: 'orthogonal_regularizer' })],
    });
    const w = m.getWeights()[0];
    expect(m.losses[0].item()).toBeCloseTo(naiveOrthogonal(w.data, 4, 3, 0.01, 'rows'), 6);
  });
  it('bad factor, bad mode, unknown option, a weight not of rank 2 are refused by name', () => {
    expect(() => tg.regularizers.orthogonalRegularizer({ factor: -1 })).toThrow(
      /orthogonalRegularizer: factor must be a non-negative finite number, got -1/,
    );
    expect(() => tg.regularizers.orthogonalRegularizer({ mode: 'diag' as never })).toThrow(
      /mode must be 'rows' or 'columns', got 'diag'/,
    );
    expect(() => tg.regularizers.orthogonalRegularizer({ l2: 1 } as never)).toThrow(/unknown option 'l2'/);
    const conv = tg.sequential({
      layers: [
        tg.layers.conv2d({
          filters: 2,
          kernelSize: 2,
          inputShape: [4, 4, 1],
          kernelRegularizer: tg.regularizers.orthogonalRegularizer(),
        }),
      ],
    });
    expect(() => conv.losses).toThrow(
      /\(Conv2D\): kernelRegularizer: OrthogonalRegularizer: the weight must have rank 2/,
    );
    expect(() => tg.regularizers.orthogonalRegularizer().apply(tg.ones([1, 3]))).toThrow(
      /mode 'rows' needs at least 2 rows/,
    );
  });
});

describe('as a Dense kernelRegularizer', () => {
  it('model.losses, evaluate and the config of the layer', () => {
    tg.setSeed(5);
    const reg = tg.regularizers.orthogonalRegularizer({ factor: 0.2, mode: 'columns' });
    const m = tg.sequential({
      layers: [tg.layers.dense({ units: 3, inputShape: [4], kernelRegularizer: reg, useBias: false })],
    });
    const w = m.getWeights()[0];
    const pen = naiveOrthogonal(w.data, 4, 3, 0.2, 'columns');
    expect(m.losses[0].item()).toBeCloseTo(pen, 6);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tg.randn([5, 4]);
    const y = m.predict(x) as tg.Tensor; // the prediction itself: mse 0, the loss is the penalty alone
    expect(m.evaluate(x, y).loss).toBeCloseTo(pen, 6);
    expect(m.layers[0].getConfig().kernel_regularizer).toEqual({
      class_name: 'OrthogonalRegularizer',
      config: { factor: 0.2, mode: 'columns' },
    });
  });
});
