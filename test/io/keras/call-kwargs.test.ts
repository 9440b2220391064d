// Call keyword arguments of functional configs: `training: true/false` fixed in a call stays the node's own
// (BatchNormalization(training=True) normalises by the batch in predict too, as Keras does), survives saving,
// and any other argument that would change the numbers is refused by name instead of dropped.
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

afterAll(() => tg.closeHdf5Worker());

type Kw = Record<string, unknown>;
/** tf.keras (Keras 2) functional config: x → layer(x, **kw). */
const keras2 = (layer: Record<string, unknown>, kw: Kw) => ({
  class_name: 'Model',
  keras_version: '2.4.0',
  backend: 'tensorflow',
  config: {
    name: 'm',
    layers: [
      {
        class_name: 'InputLayer',
        name: 'x',
        config: { name: 'x', batch_input_shape: [null, 2], dtype: 'float32' },
        inbound_nodes: [],
      },
      { ...layer, inbound_nodes: [[['x', 0, 0, kw]]] },
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [[layer.name as string, 0, 0]],
  },
});
/** Keras 3 functional config: x → layer(x, **kw). */
const keras3 = (layer: Record<string, unknown>, kw: Kw) => ({
  module: 'keras',
  class_name: 'Functional',
  registered_name: null,
  config: {
    name: 'm',
    trainable: true,
    layers: [
      {
        module: 'keras.layers',
        class_name: 'InputLayer',
        registered_name: null,
        name: 'x',
        config: { batch_shape: [null, 2], dtype: 'float32', name: 'x' },
        inbound_nodes: [],
      },
      {
        module: 'keras.layers',
        registered_name: null,
        ...layer,
        inbound_nodes: [
          {
            args: [
              {
                class_name: '__keras_tensor__',
                config: { shape: [null, 2], dtype: 'float32', keras_history: ['x', 0, 0] },
              },
            ],
            kwargs: kw,
          },
        ],
      },
    ],
    input_layers: [['x', 0, 0]],
    output_layers: [[layer.name as string, 0, 0]],
  },
});
const bn = {
  class_name: 'BatchNormalization',
  name: 'bn',
  config: { name: 'bn', axis: -1, epsilon: 0.001, momentum: 0.99, center: true, scale: true },
};
const x = tg.tensor([
  [1, 10],
  [3, 30],
]);
/** (x − batch mean)/√(batch variance + ε) with γ = 1, β = 0: what Keras's BatchNormalization(training=True) gives. */
const batchNormed = [-1, -1, 1, 1].map(
  (s, i) => (s * [1, 10][i % 2]) / Math.sqrt([1, 10][i % 2] ** 2 + 0.001),
);
const expectNear = (got: ArrayLike<number>, want: number[]) =>
  want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(1e-5));

describe('functional call keyword arguments', () => {
  for (const [fmt, cfg] of [
    ['Keras 2', keras2],
    ['Keras 3', keras3],
  ] as const)
    it(`${fmt}: BatchNormalization(training=True) uses the batch statistics in predict`, () => {
      const m = tg.keras.modelFromJson(cfg(bn, { training: true }));
      expectNear((m.predict(x) as tg.Tensor).data, batchNormed);
      // without the flag: the moving statistics (mean 0, variance 1)
      const plain = tg.keras.modelFromJson(cfg(bn, {}));
      expectNear(
        (plain.predict(x) as tg.Tensor).data,
        [1, 10, 3, 30].map((v) => v / Math.sqrt(1.001)),
      );
    });

  for (const format of ['h5', 'keras'] as const)
    it(`the flag survives saving as .${format}`, async () => {
      const m = tg.keras.modelFromJson(keras2(bn, { training: true }));
      const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format }));
      expectNear((back.predict(x) as tg.Tensor).data, batchNormed);
    });

  it('null values are the defaults; other arguments are refused, naming the layer and the argument', () => {
    const dense = { class_name: 'Dense', name: 'd', config: { name: 'd', units: 2 } };
    expect(() => tg.keras.modelFromJson(keras3(dense, { mask: null, training: null }))).not.toThrow();
    expect(() => tg.keras.modelFromJson(keras2(dense, { scale: 2 }))).toThrow(
      /model 'm': layer 'd' \(Dense\), call 0: call keyword argument 'scale' = 2 is not supported/,
    );
    expect(() => tg.keras.modelFromJson(keras2(dense, { mask: [['x', 0, 0]] }))).toThrow(
      /layer 'd' \(Dense\), call 0: a mask passed explicitly in the call/,
    );
    expect(() => tg.keras.modelFromJson(keras2(dense, { training: 'yes' }))).toThrow(
      /call keyword argument 'training' = "yes" is not supported/,
    );
  });
});
