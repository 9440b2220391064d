// Keras semantics checked against independent formulas: functional graphs (Keras 2 and Keras 3 node formats,
// nested models, shared layers, several inputs/outputs), hard_sigmoid per Keras version, causal Conv1D,
// channels_first Flatten before Dense, and getWeights/setWeights in Keras order.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const kt = (layer: string, node = 0, t = 0) => ({
  class_name: '__keras_tensor__',
  config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, node, t] },
});
const dense = (x: number[], k: tg.Tensor, b: tg.Tensor): number[] => {
  const m = k.shape[1];
  return Array.from(
    { length: m },
    (_, j) => b.data[j] + x.reduce((s, xi, i) => s + xi * k.data[i * m + j], 0),
  );
};

describe('functional graphs', () => {
  // Keras 3 config: two inputs, a shared Dense applied to both, an Add, a nested Sequential, two outputs
  const cfg = {
    module: 'keras',
    class_name: 'Functional',
    registered_name: null,
    config: {
      name: 'two_towers',
      trainable: true,
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, 3], dtype: 'float32', name: 'a' },
          registered_name: null,
          name: 'a',
          inbound_nodes: [],
        },
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, 3], dtype: 'float32', name: 'b' },
          registered_name: null,
          name: 'b',
          inbound_nodes: [],
        },
        {
          module: 'keras.layers',
          class_name: 'Dense',
          config: {
            name: 'shared',
            units: 3,
            activation: 'tanh',
            dtype: {
              module: 'keras',
              class_name: 'DTypePolicy',
              config: { name: 'float32' },
              registered_name: null,
            },
          },
          registered_name: null,
          name: 'shared',
          inbound_nodes: [
            { args: [kt('a')], kwargs: {} },
            { args: [kt('b')], kwargs: {} },
          ],
        },
        {
          module: 'keras.layers',
          class_name: 'Add',
          config: { name: 'add' },
          registered_name: null,
          name: 'add',
          inbound_nodes: [{ args: [[kt('shared', 0), kt('shared', 1)]], kwargs: {} }],
        },
        {
          module: 'keras',
          class_name: 'Sequential',
          registered_name: null,
          name: 'head',
          config: {
            name: 'head',
            layers: [
              {
                module: 'keras.layers',
                class_name: 'InputLayer',
                config: { batch_shape: [null, 3], dtype: 'float32', name: 'head_in' },
                registered_name: null,
              },
              {
                module: 'keras.layers',
                class_name: 'Dense',
                config: { name: 'h1', units: 2, activation: 'relu' },
                registered_name: null,
              },
              {
                module: 'keras.layers',
                class_name: 'BatchNormalization',
                config: { name: 'bn', epsilon: 0.5 },
                registered_name: null,
              },
            ],
          },
          inbound_nodes: [{ args: [kt('add')], kwargs: {} }],
        },
      ],
      input_layers: [
        ['a', 0, 0],
        ['b', 0, 0],
      ],
      output_layers: [
        ['head', 0, 0],
        ['add', 0, 0],
      ],
    },
  };
  it('builds Keras 3 graphs with shared layers, a nested model and two inputs/outputs, in Keras weight order', () => {
    const m = tg.keras.modelFromJson(cfg);
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 3], [3], [3, 2], [2], [2], [2], [2], [2]]);
    const ws = m.getWeights().map((w) => tg.randn(w.shape));
    ws[7] = tg.add(tg.abs(ws[7]), 0.1); // a positive moving variance
    m.setWeights(ws);
    const [xa, xb] = [tg.randn([1, 3]), tg.randn([1, 3])];
    const [y, s] = m.predict([xa, xb]) as tg.Tensor[];
    const sh = (x: tg.Tensor) => dense(Array.from(x.data), ws[0], ws[1]).map(Math.tanh);
    const sum = sh(xa).map((v, i) => v + sh(xb)[i]);
    sum.forEach((v, i) => expect(s.data[i]).toBeCloseTo(v, 5));
    const h = dense(sum, ws[2], ws[3]).map((v) => Math.max(v, 0));
    const [g, be, mu, va] = [ws[4], ws[5], ws[6], ws[7]].map((t) => t.data);
    h.forEach((v, i) =>
      expect(y.data[i]).toBeCloseTo(((v - mu[i]) / Math.sqrt(va[i] + 0.5)) * g[i] + be[i], 4),
    );
  });
  it('builds the same graph from Keras 2 style node lists', () => {
    const k2 = JSON.parse(JSON.stringify(cfg));
    for (const l of k2.config.layers)
      l.inbound_nodes = l.inbound_nodes.map((n: { args: unknown[] }) => {
        const first = n.args[0];
        const list = Array.isArray(first) ? first : [first];
        return (list as { config: { keras_history: unknown[] } }[]).map((t) => [
          ...t.config.keras_history,
          {},
        ]);
      });
    const a = tg.keras.modelFromJson(cfg);
    const b = tg.keras.modelFromJson(k2);
    b.setWeights(a.getWeights());
    const x = [tg.randn([2, 3]), tg.randn([2, 3])];
    const ya = a.predict(x) as tg.Tensor[];
    const yb = b.predict(x) as tg.Tensor[];
    expect(Array.from(yb[0].data)).toEqual(Array.from(ya[0].data));
  });
});

describe('version-dependent semantics', () => {
  const hs = (version: string) => ({
    class_name: 'Sequential',
    keras_version: version,
    config: {
      name: 's',
      layers: [
        {
          class_name: 'Activation',
          config: { name: 'a', activation: 'hard_sigmoid', batch_input_shape: [null, 5] },
        },
      ],
    },
  });
  it('hard_sigmoid is clip(0.2x+0.5) for Keras 1/2 and relu6(x+3)/6 for Keras 3', () => {
    const xs = [-4, -1, 0, 1.5, 2.6];
    const x = tg.tensor([xs]);
    const k2 = tg.keras.modelFromJson(hs('2.2.4')).predict(x) as tg.Tensor;
    const k3 = tg.keras.modelFromJson(hs('3.8.0')).predict(x) as tg.Tensor;
    xs.forEach((v, i) => {
      expect(k2.data[i]).toBeCloseTo(Math.min(1, Math.max(0, 0.2 * v + 0.5)), 6);
      expect(k3.data[i]).toBeCloseTo(Math.min(6, Math.max(0, v + 3)) / 6, 6);
    });
  });
  it('causal Conv1D pads (k-1)·d steps on the left only', () => {
    const c = {
      class_name: 'Sequential',
      keras_version: '2.3.1',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'Conv1D',
            config: {
              name: 'c',
              filters: 1,
              kernel_size: [3],
              dilation_rate: [2],
              padding: 'causal',
              use_bias: false,
              batch_input_shape: [null, 6, 1],
            },
          },
        ],
      },
    };
    const m = tg.keras.modelFromJson(c);
    m.setWeights([tg.tensor([1, 10, 100], [3, 1, 1])]);
    const xs = [1, 2, 3, 4, 5, 6];
    const y = m.predict(tg.tensor(xs, [1, 6, 1])) as tg.Tensor;
    // y[t] = 1·x[t-4] + 10·x[t-2] + 100·x[t], zero before the start
    const at = (t: number) => (t >= 0 ? xs[t] : 0);
    expect(Array.from(y.data)).toEqual(xs.map((_, t) => at(t - 4) + 10 * at(t - 2) + 100 * at(t)));
  });
  it('channels_first Flatten moves channels last before flattening (Keras 2.1+); Keras 1 "th" flattens C,H,W', () => {
    const mk = (flatCfg: Record<string, unknown>, version: string) => ({
      class_name: 'Sequential',
      keras_version: version,
      config: {
        name: 's',
        layers: [
          { class_name: 'Flatten', config: { name: 'f', batch_input_shape: [null, 2, 2, 3], ...flatCfg } },
        ],
      },
    });
    const x = tg.arange(0, 12).reshape([1, 2, 2, 3]);
    const k2 = tg.keras.modelFromJson(mk({ data_format: 'channels_first' }, '2.2.4')).predict(x) as tg.Tensor;
    // input [C=2, H=2, W=3] → [H, W, C] order: out[(h·3 + w)·2 + c] = x[c, h, w]
    const want: number[] = [];
    for (let h = 0; h < 2; h++)
      for (let w = 0; w < 3; w++) for (let ch = 0; ch < 2; ch++) want.push(ch * 6 + h * 3 + w);
    expect(Array.from(k2.data)).toEqual(want);
    const k1 = tg.keras.modelFromJson(mk({}, '1.2.2')).predict(x) as tg.Tensor;
    expect(Array.from(k1.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});

describe('Keras 1 functional models and weights loaded into code-built models', () => {
  it('reads Keras 1 Model configs (3-element node refs, Merge(mode=concat), output_dim)', () => {
    const k1 = {
      class_name: 'Model',
      keras_version: '1.2.2',
      config: {
        name: 'm',
        input_layers: [['x', 0, 0]],
        output_layers: [['merge_1', 0, 0]],
        layers: [
          {
            name: 'x',
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, 3], input_dtype: 'float32', name: 'x' },
            inbound_nodes: [],
          },
          {
            name: 'a',
            class_name: 'Dense',
            config: { name: 'a', output_dim: 2, init: 'glorot_uniform', bias: true, activation: 'linear' },
            inbound_nodes: [[['x', 0, 0]]],
          },
          {
            name: 'b',
            class_name: 'Dense',
            config: { name: 'b', output_dim: 4, bias: false, activation: 'relu' },
            inbound_nodes: [[['x', 0, 0]]],
          },
          {
            name: 'merge_1',
            class_name: 'Merge',
            config: { name: 'merge_1', mode: 'concat', concat_axis: -1 },
            inbound_nodes: [
              [
                ['a', 0, 0],
                ['b', 0, 0],
              ],
            ],
          },
        ],
      },
    };
    const m = tg.keras.modelFromJson(k1);
    expect(m.getWeights().map((w) => w.shape)).toEqual([[3, 2], [2], [3, 4]]);
    const [ka, ba, kb] = m.getWeights();
    const x = [0.3, -1, 2];
    const y = m.predict(tg.tensor([x])) as tg.Tensor;
    const want = [...dense(x, ka, ba), ...dense(x, kb, tg.zeros([4])).map((v) => Math.max(v, 0))];
    want.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 5));
  });
});
