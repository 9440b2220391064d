// keras.loadWeights: stored weights into a model built in code (names differ, so layers pair by position as
// Keras's load_weights does), checked against the Keras-computed predictions.
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { compare, fixture } from './fixtures.js';

afterAll(() => tg.closeHdf5Worker());

describe('loadWeights into a code-built model', () => {
  it('MNIST MLP (Keras 2 save_weights) built with tg.layers reproduces Keras predictions', async () => {
    const d = 'dl4j-mnist-mlp/mnist_mlp_tf_keras_2';
    const m = tg.sequential({
      layers: [
        tg.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
        tg.layers.dropout({ rate: 0.2 }),
        tg.layers.dense({ units: 512, activation: 'relu' }),
        tg.layers.dropout({ rate: 0.2 }),
        tg.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const report = await tg.keras.loadWeights(m, fixture(`${d}_weights.h5`));
    expect(report.ok).toBe(true);
    expect(report.layers.every((l) => l.matchedBy === 'position')).toBe(true);
    const io = await tg.openHdf5(fixture(`${d}_inputs_and_outputs.h5`));
    const x = io.read(io.datasetPaths('/inputs')[0]);
    const want = io.read(io.datasetPaths('/predictions')[0]);
    const y = m.predict(tg.tensor(x.data, x.shape)) as tg.Tensor;
    expect(compare(y.data, want.data, 1e-4, 1e-6).ok).toBe(true);
  });
  it('a model with a different architecture gets every problem listed', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 10, inputShape: [784] })] });
    await expect(
      tg.keras.loadWeights(m, fixture('dl4j-mnist-mlp/mnist_mlp_tf_keras_2_weights.h5')),
    ).rejects.toThrow(/stored layer 'dense_2'.*matches no layer|has no layer/s);
  });
});
