// BatchNormalization and LayerNormalization: Keras fixtures, moving-statistics updates vs manual math, gradchecks,
// parameter counts in the summary, errors.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  expectKeras,
  expectThrowsWith,
  fixTensor,
  getCase,
  gradcheckLayer,
  loadCases,
  randTensor,
} from '../support/layers.js';

/** Per-channel mean and population variance of a [rows, c] table (naive loops). */
function channelStats(data: ArrayLike<number>, rows: number, c: number): [number[], number[]] {
  const mean = Array.from({ length: c }, (_, j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += data[r * c + j];
    return s / rows;
  });
  const v = Array.from({ length: c }, (_, j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += (data[r * c + j] - mean[j]) ** 2;
    return s / rows;
  });
  return [mean, v];
}

/** (x - m)/√(v + eps)·g + b on a [rows, c] table. */
const naiveNorm = (
  x: ArrayLike<number>,
  c: number,
  m: number[],
  v: number[],
  g: number[],
  b: number[],
  eps: number,
): number[] => Array.from(x, (xi, i) => ((xi - m[i % c]) / Math.sqrt(v[i % c] + eps)) * g[i % c] + b[i % c]);

afterAll(() => tg.closeHdf5Worker());

describe('BatchNormalization', () => {
  const cases = loadCases('layers/normalization/BatchNormalization.json');
  const cfg: [number, number, boolean, boolean][] = [
    [1e-5, -1, true, true],
    [1e-2, -1, true, true],
    [1e-5, 1, true, true],
    [1e-5, 2, true, true],
    [1e-5, 3, true, false],
    [1e-5, -1, false, true],
    [1e-3, -1, false, false],
  ];
  cfg.forEach(([epsilon, axis, center, scale], i) =>
    it(`matches Keras case ${i} in inference mode (epsilon ${epsilon}, axis ${axis}, center ${center}, scale ${scale})`, () => {
      const c = getCase(cases, `normalization.BatchNormalization.${i}`);
      const layer = new tg.BatchNormalization({ epsilon, axis, center, scale });
      const x = fixTensor(c.input!);
      layer.build(x.shape);
      layer.built = true;
      layer.setWeights(c.weights!.map((w) => fixTensor(w, false)));
      expectKeras(layer.apply(x) as tg.Tensor, c.expected, `BatchNormalization.${i}`);
    }),
  );

  it('training mode: normalises with batch statistics and updates moving = moving·momentum + batch·(1 - momentum)', () => {
    const layer = new tg.BatchNormalization({ momentum: 0.9, dtype: 'float64' });
    const x = randTensor([5, 3], 21, -2, 3);
    layer.build(x.shape);
    layer.built = true;
    const [g, b, mm0, mv0] = [
      [1.5, -0.5, 2],
      [0.1, 0.2, -0.3],
      [0.4, -1, 0.25],
      [2, 0.5, 1.5],
    ];
    layer.setWeights([g, b, mm0, mv0].map((a) => tg.tensor(a, [3], { dtype: 'float64' })));
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    const [m, v] = channelStats(x.data, 5, 3);
    expectClose(
      y.data,
      naiveNorm(x.data, 3, m, v, g, b, 1e-3),
      { rtol: 1e-12, atol: 1e-12 },
      'batch-normalised output',
    );
    const mm1 = mm0.map((a, j) => a * 0.9 + m[j] * 0.1);
    const mv1 = mv0.map((a, j) => a * 0.9 + v[j] * 0.1);
    expectClose(layer.movingMean.data, mm1, { rtol: 1e-12, atol: 1e-14 }, 'moving_mean');
    expectClose(layer.movingVariance.data, mv1, { rtol: 1e-12, atol: 1e-14 }, 'moving_variance');
    // inference: the (updated) moving statistics, and no further update
    const after = Array.from(layer.movingMean.data);
    const x2 = randTensor([4, 3], 22);
    const y2 = layer.apply(x2) as tg.Tensor;
    expectClose(
      y2.data,
      naiveNorm(x2.data, 3, mm1, mv1, g, b, 1e-3),
      { rtol: 1e-12, atol: 1e-12 },
      'inference output',
    );
    expect(Array.from(layer.movingMean.data), 'moving_mean unchanged by inference').toEqual(after);
  });

  it('a channels-first image batch averages over batch and spatial axes; layer.train() switches the mode', () => {
    const layer = new tg.BatchNormalization({ axis: 1, momentum: 0.5, dtype: 'float64' });
    const x = randTensor([2, 3, 2, 2], 23);
    layer.train();
    layer.apply(x);
    // channel j of [n, c, h, w] → rows of a [n·h·w, c] table
    const rows = tg.reshape(tg.transpose(x, [0, 2, 3, 1]), [8, 3]);
    const [m, v] = channelStats(rows.data, 8, 3);
    expectClose(
      layer.movingMean.data,
      m.map((a) => a * 0.5),
      { rtol: 1e-12, atol: 1e-14 },
    );
    expectClose(
      layer.movingVariance.data,
      v.map((a) => 0.5 + a * 0.5),
      { rtol: 1e-12, atol: 1e-14 },
    );
  });

  it('a non-trainable BatchNormalization runs in inference mode even when training (Keras)', () => {
    const layer = new tg.BatchNormalization({ trainable: false, dtype: 'float64' });
    const x = randTensor([4, 2], 24);
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    expectClose(
      y.data,
      Array.from(x.data, (a) => a / Math.sqrt(1 + 1e-3)),
      { rtol: 1e-12, atol: 1e-14 },
    );
    expectClose(layer.movingMean.data, [0, 0], { rtol: 0, atol: 0 });
  });

  it('gradchecks w.r.t. input, gamma and beta in training and inference modes', () => {
    const layer = new tg.BatchNormalization({
      dtype: 'float64',
      gammaInitializer: { className: 'Constant', config: { value: 1.3 } },
      betaInitializer: 'ones',
    });
    gradcheckLayer(layer, randTensor([4, 3], 25), { training: true });
    gradcheckLayer(layer, randTensor([4, 3], 26), { training: false });
  });

  it('8 channels: 32 params, 16 non-trainable in the summary; Keras weight order; config', () => {
    tg.resetLayerNames();
    const m = tg.sequential({
      layers: [
        tg.layers.conv2d({ filters: 8, kernelSize: 3, inputShape: [6, 6, 2] }),
        tg.layers.batchNormalization(),
      ],
    });
    const text = m.summary({ print: false });
    expect(text).toMatch(/batch_normalization \(BatchNormalization\)\s+\(None, 4, 4, 8\)\s+32/);
    expect(text).toContain(`Total params: ${(3 * 3 * 2 + 1) * 8 + 32}`);
    expect(text).toContain('Non-trainable params: 16');
    const bn = m.layers[1];
    expect(bn.weights.map((w) => [w.name, w.trainable])).toEqual([
      ['gamma', true],
      ['beta', true],
      ['moving_mean', false],
      ['moving_variance', false],
    ]);
    expect(bn.paramFormula()).toBe('4·8 = 32 (16 non-trainable)');
    expect(bn.getConfig()).toMatchObject({
      axis: -1,
      momentum: 0.99,
      epsilon: 1e-3,
      center: true,
      scale: true,
    });
    expect(bn.namedParameters().map(([k]) => k)).toEqual(['gamma', 'beta']);
    // a model run in training mode (as fit does) passes the mode down and updates the moving statistics
    m.apply(randTensor([2, 6, 6, 2], 27, -1, 1, 'float32'), { training: true });
    expect(Array.from((bn as tg.BatchNormalization).movingMean.data).some((v) => v !== 0)).toBe(true);
  });

  it('matches the DL4J Keras 2.1.3 CNN with BatchNormalization (Conv2D → BN → relu → Conv2D → Flatten → Dense)', async () => {
    const dir = new URL('../../../shared/keras-fixtures/dl4j-cnn-batchnorm/', import.meta.url);
    const f = await tg.openHdf5(fileURLToPath(new URL('cnn_batch_norm.h5', dir)));
    const w = (layer: string, name: string) => f.tensor(`/model_weights/${layer}/${layer}/${name}:0`);
    const m = tg.sequential({
      layers: [
        tg.layers.conv2d({ filters: 1, kernelSize: 3, inputShape: [10, 10, 3] }),
        tg.layers.batchNormalization({ epsilon: 1e-3 }),
        tg.layers.activation({ activation: 'relu' }),
        tg.layers.conv2d({ filters: 1, kernelSize: 3 }),
        tg.layers.flatten(),
        tg.layers.dense({ units: 1 }),
      ],
    });
    m.setWeights([
      w('conv2d_1', 'kernel'),
      w('conv2d_1', 'bias'),
      ...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((k) => w('batch_normalization_1', k)),
      w('conv2d_2', 'kernel'),
      w('conv2d_2', 'bias'),
      w('dense_1', 'kernel'),
      w('dense_1', 'bias'),
    ]);
    const x = tg.cast(tg.readNpy(fileURLToPath(new URL('input.npy', dir))), 'float32');
    const want = tg.readNpy(fileURLToPath(new URL('predictions.npy', dir)));
    const y = m.predict(x) as tg.Tensor;
    expect(y.shape).toEqual([5, 1]);
    expectClose(y.data, want.data, { rtol: 1e-4, atol: 1e-5 }, 'predictions');
  });

  it('errors name the layer and both shapes', () => {
    const layer = new tg.BatchNormalization({ name: 'bn' });
    layer.apply(tg.zeros([2, 3]));
    expectThrowsWith(
      () => layer.apply(tg.zeros([2, 4])),
      ['bn', 'BatchNormalization', '[2,4]', 'built for 3'],
    );
    expectThrowsWith(
      () => new tg.BatchNormalization({ axis: 3, name: 'bn2' }).apply(tg.zeros([2, 3])),
      ['bn2', 'axis 3', '[2,3]'],
    );
  });
});

describe('LayerNormalization', () => {
  it('matches a naive per-sample loop over the last axis and over two axes', () => {
    const x = randTensor([3, 4, 5], 31, -2, 2);
    const l1 = new tg.LayerNormalization({ dtype: 'float64', betaInitializer: 'ones' });
    const y1 = l1.apply(x) as tg.Tensor;
    const rows = 12;
    const want: number[] = [];
    for (let r = 0; r < rows; r++) {
      const seg = Array.from(x.data.subarray(r * 5, r * 5 + 5));
      const m = seg.reduce((a, b) => a + b, 0) / 5;
      const v = seg.reduce((a, b) => a + (b - m) ** 2, 0) / 5;
      want.push(...seg.map((a) => (a - m) / Math.sqrt(v + 1e-3) + 1));
    }
    expectClose(y1.data, want, { rtol: 1e-12, atol: 1e-12 }, 'axis -1');
    const l2 = new tg.LayerNormalization({ axis: [1, 2], epsilon: 1e-5, dtype: 'float64' });
    const y2 = l2.apply(x) as tg.Tensor;
    expect(l2.getWeights().map((w) => w.shape)).toEqual([
      [4, 5],
      [4, 5],
    ]);
    const want2: number[] = [];
    for (let s = 0; s < 3; s++) {
      const seg = Array.from(x.data.subarray(s * 20, s * 20 + 20));
      const m = seg.reduce((a, b) => a + b, 0) / 20;
      const v = seg.reduce((a, b) => a + (b - m) ** 2, 0) / 20;
      want2.push(...seg.map((a) => (a - m) / Math.sqrt(v + 1e-5)));
    }
    expectClose(y2.data, want2, { rtol: 1e-12, atol: 1e-12 }, 'axes [1, 2]');
  });

  it('gradchecks w.r.t. input, gamma and beta; counts and configures', () => {
    const layer = new tg.LayerNormalization({
      dtype: 'float64',
      gammaInitializer: { className: 'Constant', config: { value: 0.7 } },
    });
    gradcheckLayer(layer, randTensor([2, 4], 32));
    expect(layer.countParams()).toBe(8);
    expect(layer.paramFormula()).toBe('2·4 = 8');
    expect(layer.getConfig()).toMatchObject({ axis: -1, epsilon: 1e-3, center: true, scale: true });
    expectThrowsWith(
      () => layer.apply(tg.zeros([2, 5], { dtype: 'float64' })),
      [layer.name, 'LayerNormalization', '[2,5]', 'built for [4]'],
    );
  });
});
