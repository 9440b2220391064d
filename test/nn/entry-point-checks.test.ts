// Model entry points (predict, fit, evaluate) check what they are given before any layer runs: the number of
// inputs, their shapes against the model's declared ones, one batch size, and NaN/Inf in x and y named by tensor,
// sample and feature (not reported later as a learning-rate problem or a NaN in some kernel gradient).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const cnn = () =>
  tg.sequential({
    layers: [
      tg.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1] }),
      tg.layers.flatten(),
      tg.layers.dense({ units: 3 }),
    ],
  });
const twoInputs = () => {
  const a = tg.input({ shape: [3], name: 'a' });
  const b = tg.input({ shape: [2], name: 'b' });
  return tg.model({
    inputs: [a, b],
    outputs: tg.layers
      .dense({ units: 1 })
      .apply(tg.layers.concatenate().apply([a, b]) as tg.SymbolicTensor) as tg.SymbolicTensor,
  });
};

describe('input count and shapes', () => {
  it('a one-input model given two inputs is refused by name, not a TypeError inside Flatten', () => {
    const m = cnn();
    const x = tg.zeros([2, 6, 6, 1]);
    expect(() => m.predict([x, x])).toThrow(tg.ValueError);
    expect(() => m.predict([x, x])).toThrow(
      /predict: model 'sequential\w*' takes 1 input but 2 were given \(shapes \[2,6,6,1\], \[2,6,6,1\]\)/,
    );
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    expect(() => m.evaluate([x, x], tg.zeros([2, 3]))).toThrow(
      /evaluate: model .* takes 1 input but 2 were given/,
    );
    return expect(m.fit([x, x], tg.zeros([2, 3]), { verbose: 0 })).rejects.toThrow(
      /fit: model .* takes 1 input but 2 were given/,
    );
  });

  it('a two-input functional model given one input, or shapes that do not fit, is refused with the shapes', () => {
    const m = twoInputs();
    expect(() => m.predict(tg.zeros([4, 3]))).toThrow(/takes 2 inputs but 1 was given/);
    expect(() => m.predict([tg.zeros([4, 3]), tg.zeros([4, 5])])).toThrow(
      /input 1 of model .* must have shape \[-1,2\] \(-1 = any\), got \[4,5\]/,
    );
    expect(() => m.predict([tg.zeros([4, 3]), tg.zeros([5, 2])])).toThrow(
      /every input needs the same batch size on axis 0; got \[4,3\], \[5,2\]/,
    );
    expect(() => m.predict([tg.zeros([4, 3]), 'x' as unknown as tg.Tensor])).toThrow(
      /input 1 of model .* is string, not a Tensor/,
    );
  });

  it('a missing batch axis gets a hint; a Sequential model leaves shapes to its first layer, which names itself', () => {
    const m = cnn();
    expect(() => m.predict(tg.zeros([6, 6, 1]))).toThrow(/conv2d\w* \(Conv2D\).*\[6,6,1\].*batch axis/);
    expect(() => m.predict(tg.zeros([2, 1, 6, 6]))).toThrow(/conv2d\w* \(Conv2D\)/);
    const a = tg.input({ shape: [6, 6, 1], name: 'img' });
    const f = tg.model({ inputs: a, outputs: tg.layers.flatten().apply(a) as tg.SymbolicTensor });
    expect(() => f.predict(tg.zeros([6, 6, 1]))).toThrow(/got \[6,6,1\] — is the batch axis missing\?/);
    expect(() => f.predict(tg.zeros([2, 1, 6, 6]))).toThrow(
      /must have shape \[-1,6,6,1\] .* got \[2,1,6,6\] — channels first\?/,
    );
    expect(() => m.predict(tg.zeros([2, 6, 6, 1]), { batchSize: 0 })).toThrow(
      /batchSize must be a positive integer/,
    );
  });
});

describe('NaN and Inf in the data are named', () => {
  it('predict: which tensor, sample and feature', () => {
    const m = cnn();
    const v = new Float32Array(3 * 36);
    v[36 + 6 * 2 + 4] = NaN; // sample 1, row 2, column 4
    expect(() => m.predict(tg.tensor(v, [3, 6, 6, 1]))).toThrow(
      /predict: x has NaN at sample 1, feature \[2,4,0\] \(x has shape \[3,6,6,1\]\)/,
    );
    const two = twoInputs();
    expect(() =>
      two.predict([
        tg.ones([2, 3]),
        tg.tensor([
          [1, 2],
          [Infinity, 0],
        ]),
      ]),
    ).toThrow(/x\[1\] has Inf at sample 1, feature \[0\]/);
  });

  it('fit and evaluate: x and y, validation data too; int labels are not scanned', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = tg.ones([4, 3]);
    const y = tg.tensor([
      [0, 0],
      [0, 0],
      [0, -Infinity],
      [0, 0],
    ]);
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow(
      /fit: y has -Inf at sample 2, feature \[1\] \(y has shape \[4,2\]\)/,
    );
    expect(() => m.evaluate(x, y)).toThrow(/evaluate: y has -Inf at sample 2/);
    const vx = tg.tensor([
      [1, 2, 3],
      [NaN, 0, 0],
    ]);
    await expect(
      m.fit(x, tg.zeros([4, 2]), { verbose: 0, validationData: [vx, tg.zeros([2, 2])] }),
    ).rejects.toThrow(/fit \(validationData\): x has NaN at sample 1, feature \[0\]/);
    const c = tg.sequential({ layers: [tg.layers.dense({ units: 3, inputShape: [3] })] });
    c.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const h = await c.fit(x, tg.tensor([0, 1, 2, 1], [4], { dtype: 'int32' }), { verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
  });
});
