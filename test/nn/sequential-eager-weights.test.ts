// A layer of a Sequential whose first layer declares its input shape has its weights before any call, as in TF.js
// (`tf.sequential({layers: [tf.layers.dense({units: 2, inputShape: [3]})]}).layers[0].getWeights()` gives 2 arrays)
// and Keras; before, they read [] and setWeights said to give the first layer an inputShape.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

describe('weights of a layer inside a Sequential with a declared input shape', () => {
  it('are there before the model is called: getWeights, weights, countParams, setWeights', () => {
    const m = tg.sequential({
      layers: [tg.layers.dense({ units: 2, inputShape: [3] }), tg.layers.dense({ units: 4 })],
    });
    expect(m.layers[1].getWeights().map((t) => t.shape)).toEqual([[2, 4], [4]]);
    expect(m.layers[0].weights.length).toBe(2);
    expect(m.layers[0].countParams()).toBe(8);
    m.layers[0].setWeights([tg.ones([3, 2]), tg.tensor([1, -1], [2])]);
    m.layers[1].setWeights([tg.ones([2, 4]), tg.zeros([4])]);
    // [1, 1, 1]·ones(3×2) + [1, −1] = [4, 2]; ·ones(2×4) = 6 each
    expect(Array.from((m.predict(tg.ones([1, 3])) as tg.Tensor).data)).toEqual([6, 6, 6, 6]);
  });
  it('a layer added later is built by the same rule; without a declared shape the error stays', () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    m.add(tg.layers.dense({ units: 5 }));
    expect(m.layers[1].getWeights().map((t) => t.shape)).toEqual([[2, 5], [5]]);
    const n = tg.sequential({ layers: [tg.layers.dense({ units: 2, name: 'd' })] });
    expect(n.layers[0].getWeights()).toEqual([]);
    expect(() => n.layers[0].setWeights([tg.ones([3, 2]), tg.zeros([2])])).toThrow(
      /d: the layer is not built yet/,
    );
  });
});
