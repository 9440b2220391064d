// Regularizers in Keras / TF.js files: configs of Keras 1 ({name, l1, l2}), Keras 2 (L1L2 / L2), Keras 3 (L1, L2,
// L1L2 with module) and TF.js (L1L2) are applied to the imported layers (the penalty shows in model.losses and in
// the loss); unknown classes load with a note in the load report; the writers keep them (h5 as L1L2, .keras as
// Keras 3's class, TF.js as L1L2, which real tfjs-layers loads and trains with the same step).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import * as tg from '../../../src/index.js';
import { fixture } from './fixtures.js';
import { tf, tfjsLoad, useCpu } from './tfjs-reference.js';

beforeAll(useCpu);
afterAll(() => tg.closeHdf5Worker());

const sumSq = (v: ArrayLike<number>): number => Array.from(v).reduce((a, x) => a + x * x, 0);
const sumAbs = (v: ArrayLike<number>): number => Array.from(v).reduce((a, x) => a + Math.abs(x), 0);

/** A Keras 2 Sequential of one Dense(2) on 3 features with extra config keys. */
const dense = (extra: Record<string, unknown>, version = '2.4.0') => ({
  class_name: 'Sequential',
  keras_version: version,
  config: {
    name: 's',
    layers: [
      { class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3], ...extra } },
    ],
  },
});
const kernelOf = (m: tg.Model): Float32Array => m.getWeights()[0].data as Float32Array;

describe('import applies regularizers', () => {
  it('Keras 2 L1L2 and L2 kernel regularizers: model.losses and the evaluated loss include them', () => {
    const m = tg.keras.modelFromJson(
      dense({
        kernel_regularizer: { class_name: 'L1L2', config: { l1: 0.5, l2: 0.25 } },
        bias_regularizer: { class_name: 'L2', config: { l2: 2 } },
      }),
    );
    m.setWeights([
      tg.tensor([
        [1, -2],
        [0.5, 3],
        [-1, 0],
      ]),
      tg.tensor([0.5, -1]),
    ]);
    const losses = m.losses.map((t) => t.item());
    expect(losses[0]).toBeCloseTo(0.5 * 7.5 + 0.25 * 15.25, 5);
    expect(losses[1]).toBeCloseTo(2 * 1.25, 5);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tg.tensor([[1, 1, 1]]);
    const y = tg.tensor([[0, 0]]);
    // prediction [0.5+0.5, 1-1] = [1, 0]: mse 0.5
    expect(m.evaluate(x, y).loss).toBeCloseTo(0.5 + losses[0] + losses[1], 5);
  });
  it('activity_regularizer on Dense: ÷ batch size in tf.keras files (2.2.4-tf, 2.4+), whole-batch in standalone Keras', () => {
    const x = tg.tensor([
      [1, -2, 5],
      [3, 4, 0],
    ]);
    const y = tg.tensor([
      [1, -2],
      [3, 4],
    ]); // the prediction itself: mse 0
    for (const [version, want] of [
      ['2.4.0', (0.1 * 10) / 2],
      ['2.2.4-tf', (0.1 * 10) / 2],
      ['2.1.6', 0.1 * 10],
    ] as const) {
      const m = tg.keras.modelFromJson(
        dense(
          {
            activity_regularizer: {
              module: 'keras.regularizers',
              class_name: 'L1',
              config: { l1: 0.1 },
              registered_name: null,
            },
          },
          version,
        ),
      );
      m.setWeights([
        tg.tensor([
          [1, 0],
          [0, 1],
          [0, 0],
        ]),
        tg.tensor([0, 0]),
      ]);
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      expect(m.evaluate(x, y).loss, version).toBeCloseTo(want, 5);
    }
  });
  it('a Keras 3 model adds its activity penalties undivided (Keras 3 Layer.__call__), ActivityRegularization too', () => {
    const k3 = (className: string, config: Record<string, unknown>) => ({
      module: 'keras.layers',
      class_name: className,
      registered_name: null,
      config,
    });
    const cfg = {
      module: 'keras',
      class_name: 'Sequential',
      registered_name: null,
      config: {
        name: 's',
        layers: [
          k3('InputLayer', { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'in' }),
          k3('Dense', {
            name: 'd',
            units: 2,
            activity_regularizer: {
              module: 'keras.regularizers',
              class_name: 'L1',
              config: { l1: 0.1 },
              registered_name: null,
            },
          }),
          k3('ActivityRegularization', { name: 'a', l1: 0, l2: 0.5 }),
        ],
      },
    };
    const m = tg.keras.modelFromJson(cfg);
    m.setWeights([
      tg.tensor([
        [1, 0],
        [0, 1],
        [0, 0],
      ]),
      tg.tensor([0, 0]),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tg.tensor([
      [1, -2, 5],
      [3, 4, 0],
    ]);
    const y = tg.tensor([
      [1, -2],
      [3, 4],
    ]);
    expect(m.evaluate(x, y).loss).toBeCloseTo(0.1 * 10 + 0.5 * 30, 4);
  });
  it('Keras 1 {name: WeightRegularizer, l1, l2} configs, W_regularizer on Embedding → embeddings', () => {
    const cfg = {
      class_name: 'Sequential',
      keras_version: '1.2.2',
      config: [
        {
          class_name: 'Embedding',
          config: {
            name: 'e',
            input_dim: 4,
            output_dim: 2,
            input_length: 3,
            batch_input_shape: [null, 3],
            W_regularizer: { name: 'WeightRegularizer', l1: 0.0, l2: 0.5 },
          },
        },
        {
          class_name: 'LSTM',
          config: {
            name: 'l',
            output_dim: 2,
            U_regularizer: { name: 'L1L2Regularizer', l1: 0.25, l2: 0.0 },
            W_regularizer: null,
          },
        },
      ],
    };
    const m = tg.keras.modelFromJson(cfg);
    // (getWeights of a Keras 1 model gives Keras 1's per-gate arrays: read the weights themselves)
    const ws = m.weights.map((w) => w.value);
    expect(m.weights.map((w) => w.name)).toEqual(['embeddings', 'kernel', 'recurrent_kernel', 'bias']);
    const losses = m.losses.map((t) => t.item());
    expect(losses).toHaveLength(2);
    expect(losses[0]).toBeCloseTo(0.5 * sumSq(ws[0].data), 5); // embeddings
    expect(losses[1]).toBeCloseTo(0.25 * sumAbs(ws[2].data), 5); // LSTM recurrent kernel
  });
  it('an unknown class loads, and the load report says it is not applied; a bad factor is refused', async () => {
    const m = tg.keras.modelFromJson(
      dense({
        kernel_regularizer: {
          module: 'my_pkg',
          class_name: 'MyRegularizer',
          config: { factor: 0.01 },
          registered_name: 'my_pkg>MyRegularizer',
        },
      }),
    );
    expect(m.losses).toEqual([]);
    const bytes = await tg.keras.saveModel(m, null, { format: 'keras' });
    const back = await tg.keras.loadModel(bytes);
    expect(back.loadReport.notes.join('\n')).toMatch(
      /layer 'd' \(Dense\): kernel_regularizer MyRegularizer is not applied/,
    );
    expect(() =>
      tg.keras.modelFromJson(dense({ kernel_regularizer: { class_name: 'L2', config: { l2: -1 } } })),
    ).toThrow(/layer 'd' \(Dense\): field 'kernel_regularizer': L2 l2 must be a non-negative number, got -1/);
    expect(() =>
      tg.keras.modelFromJson(dense({ kernel_regularizer: { class_name: 'L2', config: { l1: 0.1 } } })),
    ).toThrow(/field 'kernel_regularizer': L2 has no argument 'l1'/);
  });
  it('BatchNormalization gamma/beta and PReLU alpha regularizers are applied; another set key is noted', async () => {
    const cfg = {
      class_name: 'Sequential',
      keras_version: '2.4.0',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'BatchNormalization',
            config: {
              name: 'bn',
              batch_input_shape: [null, 3],
              gamma_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.1 } },
              beta_regularizer: { class_name: 'L1L2', config: { l1: 0.2, l2: 0 } },
            },
          },
          {
            class_name: 'PReLU',
            config: { name: 'p', alpha_regularizer: { class_name: 'L2', config: { l2: 0.3 } } },
          },
          { class_name: 'Dense', config: { name: 'd', units: 1, foo_regularizer: 'l2' } },
        ],
      },
    };
    const m = tg.keras.modelFromJson(cfg);
    m.setWeights([
      tg.tensor([1, -2, 3]), // gamma
      tg.tensor([0.5, 0, -1]), // beta
      tg.tensor([0, 0, 0]),
      tg.tensor([1, 1, 1]),
      tg.tensor([0.5, 0.25, 2]), // alpha
      tg.tensor([[1], [1], [1]]),
      tg.tensor([0]),
    ]);
    expect(m.losses.map((t) => t.item())).toEqual([
      expect.closeTo(0.1 * 14, 5),
      expect.closeTo(0.2 * 1.5, 5),
      expect.closeTo(0.3 * (0.25 + 0.0625 + 4), 5),
    ]);
    const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format: 'h5' }));
    expect(back.losses.map((t) => t.item())).toEqual(m.losses.map((t) => t.item()));
    expect(back.loadReport.notes.join('\n')).toMatch(
      /layer 'd' \(Dense\): foo_regularizer is not applied \(tapegrad's Dense has no such penalty\)/,
    );
  });
});

describe('Keras fixtures carrying regularizers', () => {
  it('Keras 3 .keras MLP (kernel L2 0.002 on two Dense layers): losses = 0.002·ΣW² of those kernels', async () => {
    const m = await tg.keras.loadModel(fixture('keras3-mnist-mlp/Digit_Recognition_MLP.keras'));
    const ws = m.getWeights();
    const losses = m.losses.map((t) => t.item());
    expect(losses).toHaveLength(2);
    expect(losses[0]).toBeCloseTo(0.002 * sumSq(ws[0].data), 4);
    expect(losses[1]).toBeCloseTo(0.002 * sumSq(ws[2].data), 4);
    // and the .keras writer keeps Keras 3's L2 class
    const parts = unzipSync(await tg.keras.saveModel(m, null, { format: 'keras' }));
    const cfg = JSON.parse(strFromU8(parts['config.json']));
    const layers = cfg.config.layers.filter((l: { class_name: string }) => l.class_name === 'Dense');
    expect(layers[0].config.kernel_regularizer).toEqual({
      module: 'keras.regularizers',
      class_name: 'L2',
      config: { l2: 0.002 },
      registered_name: null,
    });
    expect(layers[2].config.kernel_regularizer).toBeUndefined();
    const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format: 'h5' }));
    expect(back.losses.map((t) => t.item())).toEqual(losses);
  });
  it('hls4ml Keras 2.0.8 JSON (kernel L1L2 l1 = 1e-4 on four Dense layers)', async () => {
    const dir = 'hls4ml-weights-only';
    const m = await tg.keras.loadModel({
      config: fixture(`${dir}/KERAS_3layer_batch_norm.json`),
      weights: fixture(`${dir}/KERAS_3layer_batch_norm_weights.h5`),
    });
    const kernels = m.weights.filter((w) => w.name === 'kernel').map((w) => w.value.data);
    expect(kernels).toHaveLength(4);
    const losses = m.losses.map((t) => t.item());
    kernels.forEach((k, i) => expect(losses[i]).toBeCloseTo(9.999999747378752e-5 * sumAbs(k), 6));
  });
});

describe('writers keep regularizers', () => {
  const build = (activity: boolean) => {
    tg.resetLayerNames();
    const m = tg.sequential({
      layers: [
        tg.layers.dense({
          units: 3,
          inputShape: [4],
          activation: 'relu',
          kernelRegularizer: tg.regularizers.l2({ l2: 0.03 }),
          biasRegularizer: tg.regularizers.l1({ l1: 0.2 }),
          ...(activity ? { activityRegularizer: tg.regularizers.l1l2({ l1: 0.01, l2: 0.02 }) } : {}),
        }),
        tg.layers.dense({ units: 1, kernelRegularizer: 'l1l2' }),
      ],
    });
    tg.setSeed(11);
    m.setWeights(m.getWeights().map((w) => tg.randn(w.shape)));
    return m;
  };
  for (const format of ['h5', 'keras'] as const)
    it(`code-built → .${format} → import: same penalties and the same evaluated loss`, async () => {
      const m = build(true);
      const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format }));
      expect(back.losses.map((t) => t.item())).toEqual(m.losses.map((t) => t.item()));
      tg.setSeed(12);
      const x = tg.randn([5, 4]);
      const y = tg.randn([5, 1]);
      for (const k of [m, back]) k.compile({ optimizer: 'sgd', loss: 'mse' });
      expect(back.evaluate(x, y).loss).toBeCloseTo(m.evaluate(x, y).loss, 6);
      // and the re-imported model saves the same regularizers again
      const again = await tg.keras.loadModel(await tg.keras.saveModel(back, null, { format }));
      expect(again.losses.map((t) => t.item())).toEqual(m.losses.map((t) => t.item()));
    });
  it('TF.js: L1L2 written; real tfjs-layers computes the same penalties and takes the same SGD step', async () => {
    const m = build(false);
    const a = tg.keras.toTfjsArtifacts(m);
    const topo = a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } };
    expect(topo.config.layers[0].config.kernel_regularizer).toEqual({
      class_name: 'L1L2',
      config: { l1: 0, l2: 0.03 },
    });
    const t = await tfjsLoad(a);
    const tfLosses = t.layers.flatMap((l) => l.calculateLosses().map((s) => s.dataSync()[0]));
    const ours = m.losses.map((s) => s.item());
    expect(tfLosses).toHaveLength(3);
    tfLosses.forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 5));
    // one SGD step in both: TF.js adds its regularization losses in its train function
    tg.setSeed(13);
    const x = tg.randn([6, 4]);
    const y = tg.randn([6, 1]);
    t.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const tfLoss = (await t.trainOnBatch(
      tf.tensor(Array.from(x.data), [6, 4]),
      tf.tensor(Array.from(y.data), [6, 1]),
    )) as number;
    m.compile({ optimizer: tg.train.sgd(0.1), loss: 'mse' });
    const loss = (await m.trainOnBatch(x, y)) as number;
    expect(loss).toBeCloseTo(tfLoss, 5);
    const tfKernel = t.layers[0].getWeights()[0].dataSync();
    const kernel = kernelOf(m);
    for (let i = 0; i < kernel.length; i++) expect(kernel[i]).toBeCloseTo(tfKernel[i], 5);
  });
  it('TF.js: an activity regularizer is refused (tfjs-layers throws when it calls such a layer)', () => {
    expect(() => tg.keras.toTfjsArtifacts(build(true))).toThrow(
      /layer 'dense' \(Dense\) has an activity regularizer, which tfjs-layers cannot run/,
    );
  });
});
