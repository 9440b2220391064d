// Models imported from real Keras / TF.js files (../shared/keras-fixtures), exported for TF.js and run by real
// tfjs-layers: the same predictions as tapegrad, and for the batch-norm CNN the predictions Keras itself stored.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { kerasFixturesDir } from '../fixtures-dir.js';
import { compare } from './fixtures.js';
import { expectSamePredictions, tfjsLoad, tfjsPredict, randomInput, useCpu } from './tfjs-reference.js';

const fixtures = kerasFixturesDir();
beforeAll(useCpu);
afterAll(() => tg.closeHdf5Worker());

const x = randomInput;

describe('imported Keras fixtures exported to TF.js', () => {
  it.skipIf(!fixtures)('dl4j-cnn-batchnorm (Keras 2.1.3): TF.js predicts what Keras stored', async () => {
    const m = await tg.keras.loadModel(join(fixtures!, 'dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'));
    const tm = await tfjsLoad(tg.keras.toTfjsArtifacts(m));
    const input = tg.cast(tg.readNpy(join(fixtures!, 'dl4j-cnn-batchnorm', 'input.npy')), 'float32');
    const want = tg.readNpy(join(fixtures!, 'dl4j-cnn-batchnorm', 'predictions.npy'));
    const got = tfjsPredict(tm, [input])[0];
    const c = compare(got, want.data as ArrayLike<number>, 1e-4, 1e-5);
    expect(c.ok, `TF.js against Keras's predictions.npy: ${c.worst}`).toBe(true);
    expectSamePredictions('cnn_batch_norm', m, tm, [input]);
  });

  it.skipIf(!fixtures)(
    'Keras 1 and Keras 2 LSTMs (hard_sigmoid gates, Keras 1 per-gate weights merged) run the same in TF.js',
    async () => {
      for (const f of ['simple_lstm_tf_keras_1_model.h5', 'simple_lstm_tf_keras_2_model.h5']) {
        const m = await tg.keras.loadModel(join(fixtures!, 'dl4j-small-rnn', f));
        const a = tg.keras.toTfjsArtifacts(m);
        expect(JSON.stringify(a.modelTopology)).toMatch(/"recurrent_activation":"hard_sigmoid"/);
        const batchShape = (m as tg.Sequential).batchInputShape ?? m.layers[0].batchInputShape;
        const shape = [3, ...(batchShape!.slice(1) as number[])];
        expectSamePredictions(f, m, await tfjsLoad(a), [x(shape, 21)]);
      }
    },
  );

  it.skipIf(!fixtures)('tf.keras functional LSTM (rnn_134) and the TF.js SimpleRNN round trip', async () => {
    const rnn = await tg.keras.loadModel(join(fixtures!, 'dl4j-tfkeras-sample', 'rnn_134.h5'));
    expectSamePredictions('rnn_134', rnn, await tfjsLoad(tg.keras.toTfjsArtifacts(rnn)), [x([2, 4, 1], 22)]);
    const tfjs = await tg.keras.loadModel(join(fixtures!, 'tfjs-ux-simplernn', 'model.json'));
    expectSamePredictions('tfjs-ux-simplernn', tfjs, await tfjsLoad(tg.keras.toTfjsArtifacts(tfjs)), [
      x([2, 25, 5], 23),
    ]);
  });

  it.skipIf(!fixtures)('refuses the tf.keras models TF.js cannot run, naming the layer', async () => {
    const cnn1d = await tg.keras.loadModel(join(fixtures!, 'dl4j-tfkeras-sample', 'cnn1d_18.h5'));
    expect(() => tg.keras.toTfjsArtifacts(cnn1d)).toThrow(/\(Conv1D\) has padding 'causal'/);
    const cnn2d = await tg.keras.loadModel(join(fixtures!, 'dl4j-tfkeras-sample', 'cnn2d_64.h5'));
    expect(() => tg.keras.toTfjsArtifacts(cnn2d)).toThrow(
      /'spatial_dropout2d_72' \(SpatialDropout2D\) has no TF\.js/,
    );
  });

  if (!fixtures) it.skip('fixture cases skipped: ../shared/keras-fixtures is not present', () => {});
});
