// A refused strict keras.loadWeights loads nothing: every layer keeps the weights it had, also the layers whose
// stored weights matched. With { strict: false } what matches loads.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { WeightMismatchError } from '../../../src/io/keras/api.js';
import { kerasFixturesDir } from '../fixtures-dir.js';

afterAll(() => tg.closeHdf5Worker());

const snapshot = (m: tg.Model) => m.getWeights().map((w) => Array.from(w.data));

describe('strict loadWeights is all or nothing', () => {
  it('a mismatch in the last layer leaves the matching first layer untouched', async () => {
    const src = tg.sequential({
      layers: [
        tg.layers.dense({ units: 4, inputShape: [3], name: 'a' }),
        tg.layers.dense({ units: 2, name: 'b' }),
      ],
    });
    src.predict(tg.zeros([1, 3]));
    const file = await tg.keras.saveModel(src, null, { format: 'h5' });
    const dst = tg.sequential({
      layers: [
        tg.layers.dense({ units: 4, inputShape: [3], name: 'a' }),
        tg.layers.dense({ units: 3, name: 'b' }), // the file has 2 units
      ],
    });
    dst.predict(tg.zeros([1, 3]));
    const before = snapshot(dst);
    await expect(tg.keras.loadWeights(dst, file)).rejects.toThrow(
      /layer 'b' \(Dense\): weight 'kernel' expects shape \(4, 3\) but the stored 'b\/kernel:0' has shape \(4, 2\)[^]*Nothing was loaded/,
    );
    expect(snapshot(dst)).toEqual(before);
    // not strict: the matching layer loads, the other keeps its weights
    const report = await tg.keras.loadWeights(dst, file, { strict: false });
    expect(report.ok).toBe(false);
    expect(Array.from(dst.layers[0].getWeights()[0].data)).toEqual(
      Array.from(src.layers[0].getWeights()[0].data),
    );
    expect(Array.from(dst.layers[1].getWeights()[0].data)).toEqual(before[2]);
  });

  const fixtures = kerasFixturesDir();
  it.skipIf(!fixtures)('hls4ml KERAS_3layer_weights.h5 into a model whose output layer differs', async () => {
    const m = tg.sequential({
      layers: [
        tg.layers.dense({ units: 64, inputShape: [16], name: 'fc1_relu' }),
        tg.layers.dense({ units: 32, name: 'fc2_relu' }),
        tg.layers.dense({ units: 32, name: 'fc3_relu' }),
        tg.layers.dense({ units: 4, name: 'output_softmax' }), // the file has 5 units
      ],
    });
    m.predict(tg.zeros([1, 16]));
    const before = snapshot(m);
    await expect(
      tg.keras.loadWeights(m, join(fixtures!, 'hls4ml-weights-only', 'KERAS_3layer_weights.h5')),
    ).rejects.toThrow(WeightMismatchError);
    expect(snapshot(m)).toEqual(before);
  });
  if (!fixtures) it.skip('fixture case skipped: ../shared/keras-fixtures is not present', () => {});
});
