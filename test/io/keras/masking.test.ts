// Masking: with Embedding(mask_zero=True) or a Masking layer in front, recurrent layers skip padded steps, so a
// padded sequence gives what the unpadded sequence gives (the Keras rule: masked steps carry states over).
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';

const model = (first: Record<string, unknown>, rnn: Record<string, unknown>, len: number | null) => ({
  class_name: 'Sequential',
  keras_version: '2.2.4',
  config: {
    name: 's',
    layers: [
      {
        ...first,
        config: {
          ...(first.config as object),
          batch_input_shape: first.class_name === 'Embedding' ? [null, len] : [null, len, 2],
        },
      },
      rnn,
    ],
  },
});
const close = (a: tg.Tensor, b: tg.Tensor) => {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 5));
};

describe('masking', () => {
  it('Embedding(mask_zero) → LSTM: trailing padding changes nothing', () => {
    const cfg = (len: number) =>
      model(
        { class_name: 'Embedding', config: { name: 'e', input_dim: 6, output_dim: 3, mask_zero: true } },
        { class_name: 'LSTM', config: { name: 'l', units: 4, recurrent_activation: 'hard_sigmoid' } },
        len,
      );
    const padded = tg.keras.modelFromJson(cfg(6));
    const short = tg.keras.modelFromJson(cfg(3));
    short.setWeights(padded.getWeights());
    close(
      padded.predict(tg.tensor([[3, 1, 5, 0, 0, 0]])) as tg.Tensor,
      short.predict(tg.tensor([[3, 1, 5]])) as tg.Tensor,
    );
    // without the mask the padded steps would change the result
    const unmasked = tg.keras.modelFromJson(
      model(
        { class_name: 'Embedding', config: { name: 'e', input_dim: 6, output_dim: 3 } },
        { class_name: 'LSTM', config: { name: 'l', units: 4 } },
        6,
      ),
    );
    unmasked.setWeights(padded.getWeights());
    const d = tg.sub(
      unmasked.predict(tg.tensor([[3, 1, 5, 0, 0, 0]])) as tg.Tensor,
      short.predict(tg.tensor([[3, 1, 5]])) as tg.Tensor,
    );
    expect(Math.max(...Array.from(d.data).map(Math.abs))).toBeGreaterThan(1e-4);
  });
  it('Masking → SimpleRNN(return_sequences): masked steps repeat the previous output', () => {
    const cfg = (len: number) =>
      model(
        { class_name: 'Masking', config: { name: 'm', mask_value: -1 } },
        { class_name: 'SimpleRNN', config: { name: 'r', units: 3, return_sequences: true } },
        len,
      );
    const padded = tg.keras.modelFromJson(cfg(5));
    const short = tg.keras.modelFromJson(cfg(3));
    short.setWeights(padded.getWeights());
    const xs = [0.5, -0.2, 1, 0.3, -1, -1, 0.7, 0.1, -1, -1];
    const y = padded.predict(tg.tensor(xs, [1, 5, 2])) as tg.Tensor; // steps 2 and 4 are masked
    const y3 = short.predict(tg.tensor([0.5, -0.2, 1, 0.3, 0.7, 0.1], [1, 3, 2])) as tg.Tensor;
    const step = (t: number) => Array.from(y.data.slice(t * 3, t * 3 + 3));
    const ref = (t: number) => Array.from(y3.data.slice(t * 3, t * 3 + 3));
    [
      [0, 0],
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 2],
    ].forEach(([t, r]) => step(t).forEach((v, i) => expect(v).toBeCloseTo(ref(r)[i], 5)));
  });
  it('the mask passes through mask-transparent layers (Embedding → Dropout → Dense → LSTM)', () => {
    const cfg = (len: number) => ({
      class_name: 'Sequential',
      keras_version: '2.2.4',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'Embedding',
            config: {
              name: 'e',
              input_dim: 7,
              output_dim: 3,
              mask_zero: true,
              batch_input_shape: [null, len],
            },
          },
          { class_name: 'Dropout', config: { name: 'd', rate: 0.3 } },
          { class_name: 'Dense', config: { name: 'p', units: 2, activation: 'tanh' } },
          { class_name: 'LSTM', config: { name: 'l', units: 3 } },
        ],
      },
    });
    const padded = tg.keras.modelFromJson(cfg(5));
    const short = tg.keras.modelFromJson(cfg(2));
    short.setWeights(padded.getWeights());
    close(
      padded.predict(tg.tensor([[6, 2, 0, 0, 0]])) as tg.Tensor,
      short.predict(tg.tensor([[6, 2]])) as tg.Tensor,
    );
  });
  it('Bidirectional GRU: both directions skip the padding', () => {
    const cfg = (len: number) =>
      model(
        { class_name: 'Embedding', config: { name: 'e', input_dim: 5, output_dim: 2, mask_zero: true } },
        {
          class_name: 'Bidirectional',
          config: {
            name: 'b',
            merge_mode: 'concat',
            layer: { class_name: 'GRU', config: { name: 'g', units: 3 } },
          },
        },
        len,
      );
    const padded = tg.keras.modelFromJson(cfg(5));
    const short = tg.keras.modelFromJson(cfg(2));
    short.setWeights(padded.getWeights());
    close(
      padded.predict(tg.tensor([[4, 2, 0, 0, 0]])) as tg.Tensor,
      short.predict(tg.tensor([[4, 2]])) as tg.Tensor,
    );
  });
});

/** A Sequential config: Embedding(5, 1, mask_zero) over `len` steps, then `rest`, written by Keras `version`. */
const tokensThen = (version: string, rest: Record<string, unknown>[], len: number | null = 4) => ({
  class_name: 'Sequential',
  keras_version: version,
  config: {
    name: 's',
    layers: [
      {
        class_name: 'Embedding',
        config: {
          name: 'tokens',
          input_dim: 5,
          output_dim: 1,
          mask_zero: true,
          batch_input_shape: [null, len],
        },
      },
      ...rest,
    ],
  },
});
/** Token t embeds to t. */
const tokenWeights = (m: tg.Model) =>
  m.setWeights([tg.tensor([[0], [1], [2], [3], [4]]), ...m.getWeights().slice(1)]);

describe('GlobalAveragePooling1D with a mask', () => {
  it('Keras 2.4 Embedding(mask_zero) → GlobalAveragePooling1D: [[3, 1, 0, 0]] gives 2', () => {
    const m = tg.keras.modelFromJson(
      tokensThen('2.4.0', [{ class_name: 'GlobalAveragePooling1D', config: { name: 'gap' } }]),
    );
    tokenWeights(m);
    expect(Array.from((m.predict(tg.tensor([[3, 1, 0, 0]])) as tg.Tensor).data)).toEqual([2]);
  });
});

describe('Keras 3 drops a mask at a layer without mask support (Keras 2 and TF.js refuse it)', () => {
  const flatten = [
    { class_name: 'Flatten', config: { name: 'flat' } },
    { class_name: 'Dense', config: { name: 'out', units: 1 } },
  ];
  it('Keras 2 refuses the mask at Flatten; Keras 3 drops it there with one warning naming the layer', () => {
    expect(() => tg.keras.modelFromJson(tokensThen('2.4.0', flatten))).toThrow(
      /flat \(Flatten\) receives the padding mask made by tokens \(Embedding with maskZero\)/,
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const m = tg.keras.modelFromJson(tokensThen('3.3.3', flatten));
      m.predict(tg.tensor([[3, 1, 0, 0]]));
      m.predict(tg.tensor([[2, 0, 0, 0]]));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(
        /layer 'flat' \(Flatten\) receives the padding mask made by tokens .*as Keras 3 does, the mask is dropped/,
      );
    } finally {
      warn.mockRestore();
    }
  });
  it('the layers after it see no mask: an LSTM after a Reshape runs over the padding (as Keras 3)', () => {
    const rest = [
      { class_name: 'Reshape', config: { name: 'same', target_shape: [4, 1] } }, // returns its input as is
      { class_name: 'LSTM', config: { name: 'l', units: 2 } },
    ];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const k3 = tg.keras.modelFromJson(tokensThen('3.3.3', rest));
      const plain = tg.keras.modelFromJson({
        ...tokensThen('3.3.3', rest.slice(1)),
        config: {
          name: 's',
          layers: [
            {
              class_name: 'Embedding',
              config: { name: 'tokens', input_dim: 5, output_dim: 1, batch_input_shape: [null, 4] },
            },
            rest[1],
          ],
        },
      });
      plain.setWeights(k3.getWeights());
      const x = tg.tensor([[3, 1, 0, 0]]);
      expect(Array.from((k3.predict(x) as tg.Tensor).data)).toEqual(
        Array.from((plain.predict(x) as tg.Tensor).data),
      );
    } finally {
      warn.mockRestore();
    }
  });
  it('the load report records the dropped mask; a layer Keras 3 passes masks through is still refused', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const m = await tg.keras.loadModel({ config: tokensThen('3.3.3', flatten) });
      expect(m.loadReport.notes.join('\n')).toMatch(/layer 'flat' \(Flatten\) .*the mask is dropped/);
    } finally {
      warn.mockRestore();
    }
    // TimeDistributed around a layer that is not mask-transparent: not reproduced, so refused rather than dropped
    const functional = {
      class_name: 'Functional',
      keras_version: '3.3.3',
      config: {
        name: 'f',
        layers: [
          {
            class_name: 'InputLayer',
            name: 'in',
            config: { name: 'in', batch_input_shape: [null, 4] },
            inbound_nodes: [],
          },
          {
            class_name: 'Embedding',
            name: 'tokens',
            config: { name: 'tokens', input_dim: 5, output_dim: 2, mask_zero: true },
            inbound_nodes: [[['in', 0, 0, {}]]],
          },
          {
            class_name: 'TimeDistributed',
            name: 'td',
            config: { name: 'td', layer: { class_name: 'Flatten', config: { name: 'fl' } } },
            inbound_nodes: [[['tokens', 0, 0, {}]]],
          },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['td', 0, 0]],
      },
    };
    expect(() => tg.keras.modelFromJson(functional)).toThrow(
      /td \(TimeDistributed\) receives the padding mask/,
    );
  });
});
