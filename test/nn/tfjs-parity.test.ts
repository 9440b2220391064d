// tg.layers against real TF.js (@tensorflow/tfjs-layers on the cpu backend): the same model built in both, tapegrad's
// initial weights copied into TF.js layer by layer, then predict, trainOnBatch (tg.train.* optimizers, TF.js
// convention), fit's History and evaluate compared value by value. Deliberate differences are left out here and kept
// in the comments of the code (Keras 3 hardSigmoid, LSTM/GRU defaults sigmoid + GRU resetAfter, hinge's {0,1} labels,
// 'accuracy' chosen by shapes, model.getWeights() in per-layer order) and in TF.js's own bugs (DepthwiseConv2D ignores
// dilationRate, centered RMSprop subtracts epsilon, SeparableConv2D channelsFirst with a bias fails).
import { beforeAll, describe, expect, it } from 'vitest';
import { rand, tf, tfl, useCpu } from '../support/tfjs-layers.js';
import * as tg from '../../src/index.js';

beforeAll(useCpu);

type AnyLayers = Record<string, (cfg?: object) => unknown>;
type Make = (L: AnyLayers) => unknown[];

/** The same Sequential in both libraries, TF.js holding tapegrad's initial weights. */
function twin(make: Make) {
  tg.setSeed(7);
  const a = tg.sequential({ layers: make(tg.layers as unknown as AnyLayers) as tg.Layer[] });
  const b = tfl.sequential({ layers: make(tfl.layers as unknown as AnyLayers) as tfl.layers.Layer[] });
  a.getWeights(); // builds the model (its layers are built lazily)
  expect(a.layers.length).toBe(b.layers.length);
  a.layers.forEach((l, i) => {
    const ws = l.getWeights();
    if (ws.length)
      b.layers[i].setWeights(ws.map((w) => tf.tensor(Array.from(w.data as Float32Array), [...w.shape])));
  });
  return { a, b };
}

/** Every layer's weights, in order, in both (moving statistics included). */
function expectSameWeights(a: tg.Sequential, b: tfl.Sequential, atol: number) {
  const wa = a.layers.flatMap((l) => l.getWeights().map((w) => Array.from(w.data as Float32Array)));
  const wb = b.layers.flatMap((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
  expect(wa.length).toBe(wb.length);
  wa.forEach((w, i) => expectClose(w, wb[i], atol, `weight ${i}`));
}

function expectClose(x: ArrayLike<number>, y: ArrayLike<number>, atol: number, what: string) {
  expect(x.length, what).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst, what).toBeLessThanOrEqual(atol);
}

function expectSamePredict(make: Make, shape: number[], atol = 1e-5) {
  const { a, b } = twin(make);
  const x = rand(
    shape.reduce((p, q) => p * q, 1),
    3,
  );
  const ya = a.predict(new tg.Tensor(x, shape)) as tg.Tensor;
  const yb = b.predict(tf.tensor(x, shape)) as tf.Tensor;
  expect(ya.shape).toEqual(yb.shape);
  expectClose(ya.data as Float32Array, yb.dataSync(), atol, 'predict');
}

describe('predict against TF.js', () => {
  it('Dense with each activation name both accept', () => {
    for (const activation of [
      'elu',
      'linear',
      'relu',
      'relu6',
      'selu',
      'sigmoid',
      'softmax',
      'softplus',
      'softsign',
      'tanh',
      'swish',
      'mish',
      'gelu',
    ])
      expectSamePredict((L) => [L.dense({ units: 5, activation, inputShape: [4] })], [3, 4]);
  });

  it('convolutions and pooling with padding, strides and dilation', () => {
    for (const padding of ['valid', 'same'])
      for (const [strides, dilationRate] of [
        [1, 1],
        [2, 1],
        [1, 2],
      ]) {
        const c = { padding, strides, dilationRate };
        expectSamePredict(
          (L) => [L.conv1d({ filters: 3, kernelSize: 3, inputShape: [11, 2], ...c })],
          [2, 11, 2],
        );
        expectSamePredict(
          (L) => [L.conv2d({ filters: 3, kernelSize: [3, 2], inputShape: [9, 10, 2], ...c })],
          [2, 9, 10, 2],
        );
        expectSamePredict(
          (L) => [
            L.separableConv2d({
              filters: 3,
              kernelSize: 3,
              depthMultiplier: 2,
              inputShape: [9, 10, 2],
              ...c,
            }),
          ],
          [2, 9, 10, 2],
        );
        if (dilationRate === 1) {
          expectSamePredict(
            (L) => [
              L.conv2dTranspose({ filters: 3, kernelSize: 3, padding, strides, inputShape: [5, 6, 2] }),
            ],
            [2, 5, 6, 2],
          );
          expectSamePredict(
            (L) => [L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, inputShape: [9, 10, 2], ...c })],
            [2, 9, 10, 2],
          );
          for (const pool of ['maxPooling2d', 'averagePooling2d'])
            expectSamePredict(
              (L) => [
                L[pool]({ poolSize: 3, strides: strides === 1 ? 1 : 2, padding, inputShape: [7, 8, 2] }),
              ],
              [2, 7, 8, 2],
            );
        }
      }
  });

  it('recurrent layers: goBackwards, returnSequences, Bidirectional merge modes, TimeDistributed', () => {
    // NOTE: the gates are given explicitly: tg.layers defaults to Keras 2+'s sigmoid (and GRU resetAfter), TF.js to hardSigmoid
    const gates = { recurrentActivation: 'sigmoid' };
    for (const goBackwards of [false, true])
      for (const returnSequences of [false, true]) {
        // NOTE: a fresh options object per layer: TF.js's RNN constructors write their cell into the one they get
        const c = () => ({ units: 3, goBackwards, returnSequences, inputShape: [5, 2] });
        expectSamePredict((L) => [L.simpleRNN(c())], [3, 5, 2]);
        expectSamePredict((L) => [L.lstm({ ...c(), ...gates })], [3, 5, 2]);
        expectSamePredict((L) => [L.gru({ ...c(), ...gates, resetAfter: false })], [3, 5, 2]);
      }
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave'])
      expectSamePredict(
        (L) => [
          L.bidirectional({
            mergeMode,
            inputShape: [5, 2],
            layer: L.lstm({ units: 3, returnSequences: true, ...gates }),
          }),
        ],
        [3, 5, 2],
      );
    expectSamePredict(
      (L) => [L.timeDistributed({ inputShape: [5, 2], layer: L.dense({ units: 4, activation: 'relu' }) })],
      [3, 5, 2],
    );
  });

  it('normalization, reshaping and padding layers', () => {
    expectSamePredict(
      (L) => [L.layerNormalization({ axis: [-2, -1], epsilon: 0.1, inputShape: [4, 3] })],
      [3, 4, 3],
    );
    expectSamePredict((L) => [L.batchNormalization({ axis: 1, inputShape: [2, 3, 4] })], [3, 2, 3, 4]);
    expectSamePredict((L) => [L.upSampling2d({ size: [2, 3], inputShape: [3, 4, 2] })], [2, 3, 4, 2]);
    expectSamePredict(
      (L) => [
        L.zeroPadding2d({
          padding: [
            [1, 2],
            [0, 3],
          ],
          inputShape: [3, 4, 2],
        }),
      ],
      [2, 3, 4, 2],
    );
    expectSamePredict(
      (L) => [
        L.cropping2D({
          cropping: [
            [1, 0],
            [1, 2],
          ],
          inputShape: [5, 6, 2],
        }),
      ],
      [2, 5, 6, 2],
    );
    expectSamePredict(
      (L) => [L.permute({ dims: [3, 1, 2], inputShape: [3, 4, 2] }), L.reshape({ targetShape: [2, -1] })],
      [2, 3, 4, 2],
    );
    expectSamePredict((L) => [L.repeatVector({ n: 3, inputShape: [4] }), L.flatten()], [2, 4]);
  });
});

type Opt = [() => tg.Optimizer, () => tf.Optimizer];
const OPTIMIZERS: Record<string, Opt> = {
  sgd: [() => tg.train.sgd(0.1), () => tf.train.sgd(0.1)],
  momentum: [() => tg.train.momentum(0.1, 0.9), () => tf.train.momentum(0.1, 0.9)],
  nesterov: [() => tg.train.momentum(0.1, 0.9, true), () => tf.train.momentum(0.1, 0.9, true)],
  adam: [() => tg.train.adam(0.05, 0.8, 0.9, 1e-3), () => tf.train.adam(0.05, 0.8, 0.9, 1e-3)],
  rmsprop: [() => tg.train.rmsprop(0.05, 0.8, 0.5), () => tf.train.rmsprop(0.05, 0.8, 0.5)],
  adagrad: [() => tg.train.adagrad(0.1), () => tf.train.adagrad(0.1)],
};

const N = 10;
const X = rand(N * 4, 11);
const LABELS = Array.from({ length: N }, (_, i) => (i * 7) % 3);
const ONE_HOT = Float32Array.from(LABELS.flatMap((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))));
const mlp =
  (act: string, bn: boolean): Make =>
  (L) => [
    L.dense({ units: 5, activation: 'relu', inputShape: [4] }),
    ...(bn ? [L.batchNormalization({ momentum: 0.9 })] : []),
    L.dense({ units: 3, activation: act }),
  ];

async function expectSameSteps(
  loss: string,
  opt: Opt,
  bn: boolean,
  y: Float32Array,
  yShape: number[],
  act: string,
  metrics: string[] = [],
) {
  const { a, b } = twin(mlp(act, bn));
  a.compile({ optimizer: opt[0](), loss, metrics });
  b.compile({ optimizer: opt[1](), loss, metrics });
  for (let step = 0; step < 3; step++) {
    const ra = [await a.trainOnBatch(new tg.Tensor(X, [N, 4]), new tg.Tensor(y, yShape))].flat() as number[];
    const rb = [await b.trainOnBatch(tf.tensor(X, [N, 4]), tf.tensor(y, yShape))].flat() as number[];
    expectClose(ra, rb, 2e-5 * Math.max(1, Math.abs(rb[0])), `${loss} step ${step}`);
  }
  expectSameWeights(a, b, 2e-5);
}

describe('training against TF.js', () => {
  it('trainOnBatch with each optimizer: losses, weights and BatchNormalization moving statistics', async () => {
    for (const opt of Object.values(OPTIMIZERS))
      await expectSameSteps('meanSquaredError', opt, true, rand(N * 3, 5), [N, 3], 'linear');
    await expectSameSteps('categoricalCrossentropy', OPTIMIZERS.adam, true, ONE_HOT, [N, 3], 'softmax', [
      'accuracy',
      'mse',
    ]);
  });

  it('each loss name both accept', async () => {
    const pm = Float32Array.from(rand(N * 3, 5), (v) => (v > 0 ? 1 : -1));
    const pos = Float32Array.from(rand(N * 3, 5), (v) => v + 1.5);
    const cases: [string, Float32Array, number[], string][] = [
      ['meanSquaredError', rand(N * 3, 5), [N, 3], 'linear'],
      ['meanAbsoluteError', rand(N * 3, 5), [N, 3], 'linear'],
      ['meanAbsolutePercentageError', pos, [N, 3], 'softplus'],
      ['meanSquaredLogarithmicError', pos, [N, 3], 'softplus'],
      ['poisson', pos, [N, 3], 'softplus'],
      ['logcosh', rand(N * 3, 5), [N, 3], 'linear'],
      ['cosineProximity', rand(N * 3, 5), [N, 3], 'linear'],
      ['hinge', pm, [N, 3], 'tanh'],
      ['squaredHinge', pm, [N, 3], 'tanh'],
      ['categoricalHinge', ONE_HOT, [N, 3], 'softmax'],
      ['categoricalCrossentropy', ONE_HOT, [N, 3], 'softmax'],
      ['kullbackLeiblerDivergence', ONE_HOT, [N, 3], 'softmax'],
      ['sparseCategoricalCrossentropy', Float32Array.from(LABELS), [N, 1], 'softmax'],
      ['binaryCrossentropy', Float32Array.from(pm, (v) => (v > 0 ? 1 : 0)), [N, 3], 'sigmoid'],
    ];
    for (const [loss, y, shape, act] of cases)
      await expectSameSteps(loss, OPTIMIZERS.sgd, false, y, shape, act);
  });

  it("fit's History (validationSplit, a batch size that does not divide, no shuffling) and evaluate", async () => {
    const n = 11;
    const x = rand(n * 4, 11);
    const y = Float32Array.from(
      Array.from({ length: n }, (_, i) => (i * 7) % 3).flatMap((l) =>
        [0, 1, 2].map((k) => (k === l ? 1 : 0)),
      ),
    );
    const { a, b } = twin((L) => [
      L.dense({ units: 5, activation: 'relu', inputShape: [4] }),
      L.batchNormalization(),
      L.dense({ units: 3, activation: 'softmax' }),
    ]);
    a.compile({
      optimizer: tg.train.sgd(0.3),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy', 'mse'],
    });
    b.compile({
      optimizer: tf.train.sgd(0.3),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy', 'mse'],
    });
    const args = { epochs: 3, batchSize: 3, shuffle: false, validationSplit: 0.3, verbose: 0 } as const;
    const ha = await a.fit(new tg.Tensor(x, [n, 4]), new tg.Tensor(y, [n, 3]), args);
    const hb = await b.fit(tf.tensor(x, [n, 4]), tf.tensor(y, [n, 3]), args);
    // NOTE: Keras 2+ names the metric 'accuracy'; TF.js keeps Keras 1's 'acc'
    for (const k of ['loss', 'accuracy', 'mse', 'val_loss', 'val_accuracy', 'val_mse'])
      expectClose(ha.history[k] as number[], hb.history[k.replace('accuracy', 'acc')] as number[], 1e-5, k);
    expectSameWeights(a, b, 1e-5);
    const ea = Object.values(
      a.evaluate(new tg.Tensor(x, [n, 4]), new tg.Tensor(y, [n, 3]), { batchSize: 4 }),
    );
    const eb = (b.evaluate(tf.tensor(x, [n, 4]), tf.tensor(y, [n, 3]), { batchSize: 4 }) as tf.Scalar[]).map(
      (t) => t.dataSync()[0],
    );
    expectClose(ea, eb, 1e-5, 'evaluate');
  });
});
