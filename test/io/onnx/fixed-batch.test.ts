// A graph exported with a fixed batch size predicts any number of samples: the last batch is filled up with zero
// rows and their outputs dropped, so the rows equal the source model's.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

describe('onnx predict through a fixed batch size', () => {
  it('5 samples (and 1) through a batch-2 export return the Keras model’s rows', async () => {
    const rng = new tg.Rng(3);
    const k = tg.sequential();
    k.add(tg.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 2] }));
    k.add(tg.layers.flatten());
    k.add(tg.layers.dense({ units: 4, activation: 'softmax' }));
    k.setWeights(k.getWeights().map((w) => tg.randn([...w.shape], { rng })));
    const m = await tg.onnx.loadModel(tg.onnx.exportModel(k, { batchSize: 2, dynamicBatch: false }));
    expect(m.graphInputs[0].shape?.[0]).toBe(2);
    for (const n of [5, 1, 4]) {
      const x = tg.randn([n, 6, 6, 2], { rng });
      const want = k.predict(x) as tg.Tensor;
      const got = m.predict(x) as tg.Tensor;
      expect(got.shape).toEqual([n, 4]);
      got.data.forEach((v, i) => expect(Math.abs(v - want.data[i])).toBeLessThan(1e-5));
    }
    // the caller's shapes in errors, not the filled-up batch's
    expect(() => m.predict(tg.zeros([3, 6, 6, 3]))).toThrow(/\[3,6,6,3\]/);
  });
});
