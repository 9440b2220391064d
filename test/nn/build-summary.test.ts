// layer.build(shape) marks the layer built (Keras semantics), and functional summaries list layers in Keras's
// `model.layers` order: by depth from the outputs for models built in code, the saved order for imported ones.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

describe('layer.build', () => {
  it('marks the layer built, so weights set after build are kept and no second set of weights appears', () => {
    const d = tg.layers.dense({ units: 2 });
    d.build([null, 3] as number[]);
    expect(d.built).toBe(true);
    expect(d.weights.map((w) => w.name)).toEqual(['kernel', 'bias']);
    d.setWeights([
      tg.tensor([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
      tg.tensor([10, 20]),
    ]);
    const y = d.apply(tg.tensor([[1, 2, 3]])) as tg.Tensor;
    // y = x·K + b = [1+3, 2+3] + [10, 20]
    expect(Array.from(y.data)).toEqual([14, 25]);
    expect(d.weights.length).toBe(2);
  });
  it('building twice is a no-op (same weight tensors, values kept)', () => {
    const c = tg.layers.conv2d({ filters: 2, kernelSize: 3 });
    c.build([1, 5, 5, 1]);
    const k = c.weights[0].value;
    c.setWeights([tg.ones([3, 3, 1, 2]), tg.zeros([2])]);
    c.build([1, 5, 5, 1]);
    expect(c.weights.length).toBe(2);
    expect(c.weights[0].value).toBe(k);
    expect(Array.from(c.weights[0].value.data)).toEqual(Array(18).fill(1));
  });
  it('a model built with buildModel keeps its weights on a second buildModel', () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [2] })] });
    m.buildModel([null, 2]);
    m.setWeights([tg.tensor([[2], [3]]), tg.tensor([1])]);
    m.buildModel([null, 2]);
    expect(Array.from((m.predict(tg.tensor([[1, 1]])) as tg.Tensor).data)).toEqual([6]);
  });
});

const rowNames = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.match(/^(\w+) \(\w+\)/)?.[1])
    .filter((n): n is string => !!n && n !== 'Layer');

describe('functional summary order', () => {
  it("a model built in code: Keras's depth order (both inputs first), one row per layer", () => {
    tg.resetLayerNames();
    const i1 = tg.input({ shape: [4], name: 'in_a' });
    const i2 = tg.input({ shape: [4], name: 'in_b' });
    const a = tg.layers.dense({ units: 3, name: 'da' }).apply(i1) as tg.SymbolicTensor;
    const b = tg.layers.dense({ units: 3, name: 'db' }).apply(i2) as tg.SymbolicTensor;
    const out = tg.layers.concatenate({ name: 'cat' }).apply([a, b]) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [i1, i2], outputs: out });
    // Worked by hand from Keras's _map_graph_network: depths cat 0, da/db 1, in_a/in_b 2; ties by first meeting
    // on the walk from the output (cat, da, in_a, db, in_b).
    expect(m.layers.map((l) => l.name)).toEqual(['in_a', 'in_b', 'da', 'db', 'cat']);
    expect(rowNames(m.summary({ print: false }))).toEqual(['in_a', 'in_b', 'da', 'db', 'cat']);
  });
  it('a shared layer is one row listing both calls (node 0 and node 1); different shapes show multiple', () => {
    const i1 = tg.input({ shape: [4], name: 's_in1' });
    const i2 = tg.input({ shape: [2, 4], name: 's_in2' });
    const shared = tg.layers.dense({ units: 3, name: 'shared' });
    const y1 = shared.apply(i1) as tg.SymbolicTensor;
    const y2 = shared.apply(i2) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [i1, i2], outputs: [y1, y2] });
    const text = m.summary({ print: false });
    const row = text.split('\n').find((l) => l.startsWith('shared (Dense)'))!;
    expect(row).toMatch(/^shared \(Dense\)\s+multiple\s+15\s+s_in1\[0\]\[0\], s_in2\[0\]\[0\]$/);
    expect(rowNames(text)).toEqual(['s_in1', 's_in2', 'shared']);
  });
  it('an imported multi-input model lists layers in the saved order, not the graph walk order', () => {
    // Keras 2 functional config: output = dense(concat([emb_2(input_2), emb_1(input_1)])), saved as Keras lists it.
    const emb = (name: string, input: string) => ({
      class_name: 'Embedding',
      name,
      config: { name, input_dim: 5, output_dim: 2, input_length: 3 },
      inbound_nodes: [[[input, 0, 0, {}]]],
    });
    const inp = (name: string) => ({
      class_name: 'InputLayer',
      name,
      config: { name, batch_input_shape: [null, 3], dtype: 'int32' },
      inbound_nodes: [],
    });
    const cfg = {
      class_name: 'Model',
      keras_version: '2.2.4',
      config: {
        name: 'two_in',
        layers: [
          inp('input_1'),
          inp('input_2'),
          emb('embedding_1', 'input_1'),
          emb('embedding_2', 'input_2'),
          {
            class_name: 'Concatenate',
            name: 'concatenate_1',
            config: { name: 'concatenate_1', axis: -1 },
            inbound_nodes: [
              [
                ['embedding_2', 0, 0, {}],
                ['embedding_1', 0, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [
          ['input_1', 0, 0],
          ['input_2', 0, 0],
        ],
        output_layers: [['concatenate_1', 0, 0]],
      },
    };
    const m = tg.keras.modelFromJson(cfg);
    const text = m.summary({ print: false });
    expect(rowNames(text)).toEqual(['input_1', 'input_2', 'embedding_1', 'embedding_2', 'concatenate_1']);
    expect(text).toMatch(
      /concatenate_1 \(Concatenate\)\s+\(None, 3, 4\)\s+0\s+embedding_2\[0\]\[0\], embedding_1\[0\]\[0\]/,
    );
  });
});
