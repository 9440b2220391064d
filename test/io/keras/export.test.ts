// Export back to Keras: .h5 (legacy full model) and .keras (Keras 3 zip), verified by re-importing and by the
// layout Keras reads (layer_names / weight_names attributes, Keras 3 `layers/<name>/vars/<i>` paths).
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { fixture } from './fixtures.js';

afterAll(() => tg.closeHdf5Worker());

async function roundTrip(m: tg.Model, x: tg.Tensor | tg.Tensor[], format: 'h5' | 'keras') {
  const bytes = await tg.keras.saveModel(m, null, { format });
  const back = await tg.keras.loadModel(bytes);
  const y0 = m.predict(x);
  const y1 = back.predict(x);
  const a = Array.isArray(y0) ? y0 : [y0];
  const b = Array.isArray(y1) ? y1 : [y1];
  a.forEach((t, i) => expect(Array.from(b[i].data)).toEqual(Array.from(t.data)));
  expect(back.getWeights().map((w) => w.shape)).toEqual(m.getWeights().map((w) => w.shape));
  return { bytes, back };
}

describe('saveModel', () => {
  it('imported models (Sequential CNN+BN, tf.keras functional LSTM, TF.js RNN) survive .h5 and .keras', async () => {
    const cnn = await tg.keras.loadModel(fixture('dl4j-cnn-batchnorm/cnn_batch_norm.h5'));
    const x = tg.randn([2, 10, 10, 3]);
    await roundTrip(cnn, x, 'h5');
    await roundTrip(cnn, x, 'keras');
    const rnn = await tg.keras.loadModel(fixture('dl4j-tfkeras-sample/rnn_134.h5'));
    await roundTrip(rnn, tg.randn([2, 4, 1]), 'h5');
    const tfjs = await tg.keras.loadModel(fixture('tfjs-ux-simplernn/model.json'));
    await roundTrip(tfjs, tg.randn([2, 25, 5]), 'keras');
  });
  it('the legacy .h5 has the attributes and paths Keras reads', async () => {
    const cnn = await tg.keras.loadModel(fixture('dl4j-cnn-batchnorm/cnn_batch_norm.h5'));
    const f = await tg.openHdf5(await tg.keras.saveModel(cnn, null, { format: 'h5' }));
    expect(f.attrString('/', 'keras_version')).toBe('2.1.3');
    expect(JSON.parse(f.attrString('/', 'model_config')!).class_name).toBe('Sequential');
    expect(f.attrStrings('/model_weights', 'layer_names')).toEqual([
      'conv2d_1',
      'batch_normalization_1',
      'activation_1',
      'conv2d_2',
      'flatten_1',
      'dense_1',
    ]);
    expect(f.attrStrings('/model_weights/batch_normalization_1', 'weight_names')).toEqual([
      'batch_normalization_1/gamma:0',
      'batch_normalization_1/beta:0',
      'batch_normalization_1/moving_mean:0',
      'batch_normalization_1/moving_variance:0',
    ]);
    expect(f.read('/model_weights/conv2d_1/conv2d_1/kernel:0').shape).toEqual([3, 3, 3, 1]);
  });
  it('code-built models (functional with a shared layer, nested Sequential) save as .keras and .h5', async () => {
    const a = tg.input({ shape: [4], name: 'a' });
    const b = tg.input({ shape: [4], name: 'b' });
    const shared = tg.layers.dense({ units: 3, activation: 'relu', name: 'shared' });
    const inner = tg.sequential({
      name: 'inner',
      layers: [
        tg.layers.dense({ units: 2, inputShape: [3], name: 'inner_dense' }),
        tg.layers.batchNormalization({ name: 'inner_bn' }),
      ],
    });
    const merged = tg.layers
      .concatenate({ name: 'cat' })
      .apply([shared.apply(a), shared.apply(b)] as tg.SymbolicTensor[]) as tg.SymbolicTensor;
    const out = inner.apply(
      tg.layers.dense({ units: 3, name: 'proj' }).apply(merged) as tg.SymbolicTensor,
    ) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [a, b], outputs: out, name: 'towers' });
    const x = [tg.randn([2, 4]), tg.randn([2, 4])];
    for (const fmt of ['keras', 'h5'] as const) {
      const { back } = await roundTrip(m, x, fmt);
      expect(back.loadReport.ok).toBe(true);
    }
  });
  it('refuses what Keras could not load the same way', async () => {
    const rnn = await tg.keras.loadModel(fixture('dl4j-tfkeras-sample/rnn_134.h5'));
    await expect(tg.keras.saveModel(rnn, null, { format: 'keras' })).rejects.toThrow(
      /hard_sigmoid, which Keras 3 defines differently/,
    );
    const custom = tg.sequential({
      layers: [tg.layers.dense({ units: 2, inputShape: [3], activation: (t: tg.Tensor) => tg.mul(t, 3) })],
    });
    await expect(tg.keras.saveModel(custom, null)).rejects.toThrow(/custom activation function/);
  });
});
