// Keras 1 configs that Keras 2 changed or dropped: Embedding with output_dim, Merge(mode='cos'), and
// BatchNormalization modes 1 and 2. Expected numbers are Keras 1.2.2's formulas evaluated by hand in float64.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const seq = (layers: object[]) =>
  tg.keras.modelFromJson({ class_name: 'Sequential', keras_version: '1.2.2', config: layers });
const close = (got: ArrayLike<number>, want: number[], tol = 1e-6) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(tol));
};

describe('Keras 1 Embedding', () => {
  it('a config with output_dim (and Keras 1 init, dropout 0, input_length) builds; rows are looked up', () => {
    const m = seq([
      {
        class_name: 'Embedding',
        config: {
          name: 'embedding_1',
          input_dim: 5,
          output_dim: 2,
          input_length: 3,
          init: 'uniform',
          dropout: 0.0,
          mask_zero: false,
          W_regularizer: null,
          W_constraint: null,
          activity_regularizer: null,
          input_dtype: 'int32',
          trainable: true,
          batch_input_shape: [null, 3],
        },
      },
    ]);
    const W = tg.tensor(
      Float32Array.from({ length: 10 }, (_, i) => i / 10),
      [5, 2],
    );
    m.setWeights([W]);
    const y = m.predict(tg.tensor(Int32Array.from([4, 0, 2]), [1, 3], { dtype: 'int32' })) as tg.Tensor;
    expect(y.shape).toEqual([1, 3, 2]);
    close(y.data, [0.8, 0.9, 0, 0.1, 0.4, 0.5]);
  });
});

describe('Keras 1 Embedding dropout (whole rows of the table, training only)', () => {
  const model = () =>
    seq([
      {
        class_name: 'Embedding',
        config: { name: 'emb', input_dim: 40, output_dim: 3, dropout: 0.5, batch_input_shape: [null, 40] },
      },
    ]);
  it('training: every row is all 0 or all 1/(1 − 0.5) = 2 times W, the same for a repeated index; inference: W', () => {
    const m = model();
    m.setWeights([tg.ones([40, 3])]);
    // indices 0..39, then the same again as a second sample: one mask per call for the whole batch
    const idx = tg.tensor(
      Int32Array.from({ length: 80 }, (_, i) => i % 40),
      [2, 40],
      { dtype: 'int32' },
    );
    const y = (m.apply(idx, { training: true }) as tg.Tensor).data;
    const rows = Array.from({ length: 80 }, (_, r) => Array.from(y.slice(r * 3, r * 3 + 3)));
    for (const row of rows)
      expect([
        [0, 0, 0],
        [2, 2, 2],
      ]).toContainEqual(row);
    for (let r = 0; r < 40; r++) expect(rows[r + 40]).toEqual(rows[r]);
    const dropped = rows.slice(0, 40).filter((row) => row[0] === 0).length;
    // Binomial(40, 0.5): outside [5, 35] with probability < 1e-6
    expect(dropped).toBeGreaterThan(4);
    expect(dropped).toBeLessThan(36);
    expect(Array.from((m.predict(idx) as tg.Tensor).data)).toEqual(Array(240).fill(1));
  });
  it('exports as a Keras 2/3 Embedding without the Keras 1-only dropout (as Keras 2 loaded it)', async () => {
    const file = await tg.readKerasFile(await tg.keras.saveModel(model(), null, { format: 'keras' }));
    const layers = (file.modelConfig as { config: { layers: { class_name: string; config: object }[] } })
      .config.layers;
    const emb = layers.find((l) => l.class_name === 'Embedding');
    expect(emb?.config).not.toHaveProperty('dropout');
    expect(file.layers.map((l) => l.name)).toContain('embedding');
  });
});

const cosModel = (dotAxes: unknown) =>
  tg.keras.modelFromJson({
    class_name: 'Model',
    keras_version: '1.2.2',
    config: {
      name: 'm',
      input_layers: [
        ['a', 0, 0],
        ['b', 0, 0],
      ],
      output_layers: [['merge_1', 0, 0]],
      layers: ['a', 'b']
        .map((n) => ({
          name: n,
          class_name: 'InputLayer',
          config: { batch_input_shape: [null, 2], input_dtype: 'float32', sparse: false, name: n },
          inbound_nodes: [],
        }))
        .concat([
          {
            name: 'merge_1',
            class_name: 'Merge',
            config: {
              name: 'merge_1',
              mode: 'cos',
              concat_axis: -1,
              dot_axes: dotAxes,
              output_shape: null,
              output_mask: null,
              mode_type: 'raw',
              output_shape_type: 'raw',
              arguments: {},
            } as never,
            inbound_nodes: [
              [
                ['a', 0, 0],
                ['b', 0, 0],
              ],
            ] as never,
          },
        ]),
    },
  });

describe("Keras 1 Merge(mode='cos')", () => {
  it('cos = ⟨a,b⟩ / max(√(⟨a,a⟩⟨b,b⟩), 1e-7), shape [batch, 1]', () => {
    const m = cosModel([1, 1]);
    const a = tg.tensor([
      [3, 4],
      [1, 0],
      [0, 0],
      [1e-4, 0],
    ]);
    const b = tg.tensor([
      [4, 3],
      [-1, 0],
      [1, 2],
      [1e-4, 0],
    ]);
    const y = m.predict([a, b]) as tg.Tensor;
    expect(y.shape).toEqual([4, 1]);
    // 24/25; −1; 0/1e-7 = 0; 1e-8 / max(1e-8, 1e-7) = 0.1 (Keras 1's epsilon, where Keras 2's Dot(normalize) gives 1)
    close(y.data, [0.96, -1, 0, 0.1], 1e-5);
    expect(m.layers.find((l) => l.name === 'merge_1')?.className).toBe('Merge');
  });
  it('dot_axes -1 is the same contraction; other axes are refused by name', () => {
    const y = cosModel(-1).predict([tg.tensor([[3, 4]]), tg.tensor([[4, 3]])]) as tg.Tensor;
    close(y.data, [0.96], 1e-6);
    expect(() => cosModel([2, 2])).toThrow(/merge_1.*dot_axes.*\[2,2\] is not supported/);
  });
  it('saving it is refused: Keras 2 and 3 have no such layer', async () => {
    await expect(tg.keras.saveModel(cosModel([1, 1]), null, { format: 'h5' })).rejects.toThrow(
      /merge_1.*Keras 1 Merge\(mode='cos'\).*cannot be saved/,
    );
  });
});

const bnModel = (mode: number, inputShape: number[], extra: object = {}) =>
  seq([
    {
      class_name: 'BatchNormalization',
      config: {
        name: 'bn',
        mode,
        axis: -1,
        epsilon: 1e-3,
        momentum: 0.99,
        beta_init: 'zero',
        gamma_init: 'one',
        gamma_regularizer: null,
        beta_regularizer: null,
        trainable: true,
        batch_input_shape: [null, ...inputShape],
        ...extra,
      },
    },
  ]);

describe('Keras 1 BatchNormalization modes', () => {
  const gamma = [1, 2, 1, 0.5];
  const beta = [0, 0, 1, -1];
  const weights = (running: number[]) => [
    tg.tensor(gamma),
    tg.tensor(beta),
    tg.tensor(running),
    tg.tensor(running.map((v) => v + 2)),
  ];

  it('mode 1: each sample over its features, y = γ(x − μ)/(√(σ² + ε) + ε) + β, the same in training', () => {
    const m = bnModel(1, [4]);
    m.setWeights(weights([5, 5, 5, 5]));
    const rows = [
      [1, 2, 3, 6],
      [-2, 0, 0, 2],
    ];
    const want = rows.flatMap((r) => {
      const mu = r.reduce((s, v) => s + v, 0) / 4;
      const v = r.reduce((s, x) => s + (x - mu) ** 2, 0) / 4;
      const sd = Math.sqrt(v + 1e-3) + 1e-3;
      return r.map((x, j) => (gamma[j] * (x - mu)) / sd + beta[j]);
    });
    // by hand for the first row: μ = 3, σ² = 3.5, so x₀ → (1 − 3)/(√3.501 + 0.001) = −1.0683...
    expect(want[0]).toBeCloseTo(-2 / (Math.sqrt(3.501) + 0.001), 12);
    close((m.predict(tg.tensor(rows)) as tg.Tensor).data, want, 1e-5);
    close((m.apply(tg.tensor(rows), { training: true }) as tg.Tensor).data, want, 1e-5);
  });

  it('mode 2: batch statistics in inference too; running statistics neither used nor updated', () => {
    const m = bnModel(2, [4]);
    const w = weights([100, -100, 3, 7]);
    m.setWeights(w);
    const rows = [
      [1, 2, 0, 4],
      [3, 6, 0, -4],
    ];
    // per feature: μ = (2, 4, 0, 0), σ² = (1, 4, 0, 16)
    const mu = [2, 4, 0, 0];
    const v = [1, 4, 0, 16];
    const want = rows.flatMap((r) =>
      r.map((x, j) => (gamma[j] * (x - mu[j])) / Math.sqrt(v[j] + 1e-3) + beta[j]),
    );
    close((m.predict(tg.tensor(rows)) as tg.Tensor).data, want, 1e-5);
    close((m.apply(tg.tensor(rows), { training: true }) as tg.Tensor).data, want, 1e-5);
    const after = m.getWeights();
    [2, 3].forEach((i) => expect(Array.from(after[i].data)).toEqual(Array.from(w[i].data)));
  });

  it('mode 1 needs the last axis; an unknown mode and saving are refused by name', async () => {
    expect(() => bnModel(1, [3, 2], { axis: 1 }).predict(tg.ones([1, 3, 2])) as tg.Tensor).toThrow(
      /bn \(BatchNormalization, mode 1\).*axis must be -1/,
    );
    expect(() => bnModel(3, [4])).toThrow(
      /bn.*field 'mode': mode 3 is not a Keras 1 BatchNormalization mode/,
    );
    await expect(tg.keras.saveModel(bnModel(2, [4]), null, { format: 'keras' })).rejects.toThrow(
      /bn.*BatchNormalization\(mode=2\).*cannot be saved/,
    );
  });
});
