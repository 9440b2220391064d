// Embedding (Keras fixtures, scatter-add gradient, mask, errors) and GaussianNoise/GaussianDropout (inference
// pass-through vs Keras, training-mode noise statistics).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  expectKeras,
  expectThrowsWith,
  fixTensor,
  getCase,
  loadCases,
  randTensor,
  withWeights,
} from '../support/layers.js';

describe('Embedding', () => {
  const cases = loadCases('layers/embeddings/Embedding.json');
  const cfg: [number, number, number, boolean][] = [
    [5, 3, 7, false],
    [20, 5, 10, true],
    [33, 2, 5, false],
  ];
  cfg.forEach(([inputDim, outputDim, inputLength, maskZero], i) =>
    it(`matches Keras case ${i} (inputDim ${inputDim}, outputDim ${outputDim}, maskZero ${maskZero})`, () => {
      const c = getCase(cases, `embeddings.Embedding.${i}`);
      const layer = new tg.Embedding({ inputDim, outputDim, inputLength, maskZero });
      expect(layer.batchInputShape).toEqual([null, inputLength]);
      const x = fixTensor(c.input!);
      layer.build(x.shape);
      layer.built = true;
      layer.setWeights(c.weights!.map((w) => fixTensor(w, false)));
      expectKeras(layer.apply(x) as tg.Tensor, c.expected, `Embedding.${i}`);
      const mask = layer.computeMask(x);
      if (maskZero) expect(Array.from(mask!.data)).toEqual(c.input!.data.map((v) => (v !== 0 ? 1 : 0)));
      else expect(mask).toBeNull();
    }),
  );

  it('looks rows up for int32 and float indices of any rank; the gradient scatter-adds into the table', () => {
    const layer = new tg.Embedding({ inputDim: 4, outputDim: 3, dtype: 'float64' });
    const idx = tg.tensor(
      [
        [1, 3, 1],
        [0, 1, 2],
      ],
      undefined,
      { dtype: 'int32' },
    );
    const y = layer.apply(idx) as tg.Tensor;
    expect(y.shape).toEqual([2, 3, 3]);
    const E = layer.embeddings.data;
    const flat = [1, 3, 1, 0, 1, 2];
    expectClose(
      y.data,
      flat.flatMap((r) => [E[r * 3], E[r * 3 + 1], E[r * 3 + 2]]),
      { rtol: 0, atol: 0 },
    );
    const yf = layer.apply(
      tg.tensor([
        [1, 3, 1],
        [0, 1, 2],
      ]),
    ) as tg.Tensor;
    expectClose(yf.data, y.data, { rtol: 0, atol: 0 });
    // d/dE Σ c ⊙ y: row r collects c of every position holding index r
    const c = randTensor([2, 3, 3], 51);
    tg.sum(tg.mul(y, c)).backward();
    const want = new Array<number>(12).fill(0);
    flat.forEach((r, p) => [0, 1, 2].forEach((j) => (want[r * 3 + j] += c.data[p * 3 + j])));
    expectClose(layer.embeddings.grad!.data, want, { rtol: 1e-12, atol: 1e-14 });
  });

  it('gradchecks w.r.t. the embeddings', () => {
    const layer = new tg.Embedding({ inputDim: 3, outputDim: 2, dtype: 'float64' });
    const idx = tg.tensor([[2, 0, 2, 1]]);
    layer.apply(idx);
    const res = tg.gradcheck(
      (w) => withWeights(layer, [w], () => layer.apply(idx) as tg.Tensor),
      layer.getWeights(),
    );
    expect(res.ok, JSON.stringify(res.worst)).toBe(true);
  });

  it('initialises U(-0.05, 0.05), counts parameters, configures, and rejects bad indices', () => {
    const layer = tg.layers.embedding({ inputDim: 1000, outputDim: 8, name: 'emb' });
    layer.apply(tg.tensor([[0]]));
    const w = Array.from(layer.getWeights()[0].data);
    expect(Math.max(...w)).toBeLessThanOrEqual(0.05);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...w) - Math.min(...w)).toBeGreaterThan(0.09);
    expect(layer.countParams()).toBe(8000);
    expect(layer.paramFormula()).toBe('1,000·8 = 8,000');
    expect(layer.getConfig()).toMatchObject({ input_dim: 1000, output_dim: 8, mask_zero: false });
    expectThrowsWith(
      () => layer.apply(tg.tensor([[3, 1000]])),
      ['emb', 'Embedding', 'index 1000', '[1,2]', '0 to 999'],
    );
    expectThrowsWith(() => layer.apply(tg.tensor([[1.5]])), ['emb', 'index 1.5', 'not an integer']);
    expectThrowsWith(() => layer.apply(tg.tensor([[-1]])), ['emb', 'index -1', 'out of range']);
  });
});

describe('GaussianNoise / GaussianDropout', () => {
  for (const [kind, make] of [
    ['GaussianNoise', () => new tg.GaussianNoise({ stddev: 0.5 })],
    ['GaussianDropout', () => new tg.GaussianDropout({ rate: 0.3 })],
  ] as const)
    it(`${kind} passes through in inference (Keras case)`, () => {
      const c = getCase(loadCases(`layers/noise/${kind}.json`), `noise.${kind}.0`);
      const x = fixTensor(c.input!);
      const d = new tg.Dense({ units: 2 });
      d.build(x.shape);
      d.built = true;
      d.setWeights(c.weights!.map((w) => fixTensor(w, false)));
      expectKeras(make().apply(d.apply(x) as tg.Tensor) as tg.Tensor, c.expected, kind);
    });

  /** Sample mean and standard deviation. */
  const stats = (a: ArrayLike<number>): [number, number] => {
    const v = Array.from(a);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return [m, Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length)];
  };

  it('GaussianNoise adds N(0, stddev²) in training mode only; gradient w.r.t. input is 1', () => {
    const layer = new tg.GaussianNoise({ stddev: 0.5, seed: 3 });
    const x = tg.full([200, 100], 2, { dtype: 'float64' }).requireGrad();
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    const [m, s] = stats(y.data);
    // 20,000 samples: the standard error of the mean is 0.0035, of the std about 0.0025
    expect(Math.abs(m - 2)).toBeLessThan(0.02);
    expect(Math.abs(s - 0.5)).toBeLessThan(0.02);
    tg.sum(y).backward();
    expect(Array.from(x.grad!.data).every((g) => g === 1)).toBe(true);
    expect(layer.apply(x)).toBe(x);
    expect(layer.getConfig()).toMatchObject({ stddev: 0.5, seed: 3 });
  });

  it('GaussianDropout multiplies by N(1, rate/(1-rate)) in training mode only', () => {
    const layer = new tg.GaussianDropout({ rate: 0.2, seed: 4 });
    const x = tg.full([200, 100], 3, { dtype: 'float64' });
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    const [m, s] = stats(y.data);
    expect(Math.abs(m - 3)).toBeLessThan(0.03);
    expect(Math.abs(s - 3 * Math.sqrt(0.2 / 0.8))).toBeLessThan(0.03);
    expect(layer.apply(x)).toBe(x);
    expectThrowsWith(() => new tg.GaussianDropout({ rate: 1 }), ['GaussianDropout', 'rate', '[0, 1)']);
    expectThrowsWith(() => new tg.GaussianNoise({ stddev: -1 }), ['GaussianNoise', 'stddev']);
  });
});
