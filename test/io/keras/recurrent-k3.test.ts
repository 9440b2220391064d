// Keras 3 recurrent configs: RNN.get_config always writes `zero_output_for_mask`. false is what tapegrad does (a
// masked step repeats the previous output); true is what a Bidirectional that returns sequences does (Keras 3 saves
// it forced on both directions); true anywhere else is refused by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const dtype = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};
/** The options Keras 3.8's RNN.get_config writes (plus the cell's). */
const rnnConfig = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  trainable: true,
  dtype,
  return_sequences: false,
  return_state: false,
  go_backwards: false,
  stateful: false,
  unroll: false,
  zero_output_for_mask: false,
  units: 4,
  activation: 'tanh',
  use_bias: true,
  kernel_initializer: null,
  recurrent_initializer: null,
  bias_initializer: null,
  kernel_regularizer: null,
  recurrent_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  recurrent_constraint: null,
  bias_constraint: null,
  dropout: 0.0,
  recurrent_dropout: 0.0,
  seed: null,
  ...extra,
});
const layer = (className: string, config: Record<string, unknown>) => ({
  module: 'keras.layers',
  class_name: className,
  registered_name: null,
  config,
});
const keras3 = (...layers: Record<string, unknown>[]) => ({
  module: 'keras',
  class_name: 'Sequential',
  registered_name: null,
  config: {
    name: 'sequential',
    trainable: true,
    dtype,
    layers: [
      layer('InputLayer', {
        batch_shape: [null, 5, 3],
        dtype: 'float32',
        sparse: false,
        name: 'input_layer',
      }),
      ...layers,
    ],
  },
});
const lstmExtra = { recurrent_activation: 'sigmoid', unit_forget_bias: true };
const gruExtra = { recurrent_activation: 'sigmoid', reset_after: true };

/** Rows of x with the steps `masked` (time indices) set to the Masking value 0. */
function masked(x: tg.Tensor, steps: number[]): tg.Tensor {
  const d = Float32Array.from(x.data);
  const [n, t, f] = x.shape;
  for (let b = 0; b < n; b++) for (const s of steps) d.fill(0, (b * t + s) * f, (b * t + s + 1) * f);
  return tg.tensor(d, x.shape);
}

describe('Keras 3 recurrent layers with zero_output_for_mask', () => {
  it('SimpleRNN, LSTM, GRU and RNN(LSTMCell) configs as Keras 3 writes them load', () => {
    for (const l of [
      layer('SimpleRNN', rnnConfig('rnn')),
      layer('LSTM', rnnConfig('lstm', lstmExtra)),
      layer('GRU', rnnConfig('gru', gruExtra)),
      // Keras 3 RNN.get_config: the base layer's keys, the RNN flags, and the cell
      layer('RNN', {
        name: 'rnn_cell',
        trainable: true,
        dtype,
        return_sequences: false,
        return_state: false,
        go_backwards: false,
        stateful: false,
        unroll: false,
        zero_output_for_mask: false,
        cell: layer('LSTMCell', { name: 'cell', trainable: true, dtype, units: 4, ...lstmExtra }),
      }),
    ]) {
      const m = tg.keras.modelFromJson(keras3(l));
      expect((m.predict(tg.randn([2, 5, 3])) as tg.Tensor).shape).toEqual([2, 4]);
    }
  });

  it('false: a masked step repeats the previous output, as Keras computes it', () => {
    const m = tg.keras.modelFromJson(
      keras3(
        layer('Masking', { name: 'masking', mask_value: 0 }),
        layer('LSTM', rnnConfig('lstm', { ...lstmExtra, return_sequences: true })),
      ),
    );
    const y = m.predict(masked(tg.randn([2, 5, 3], { rng: new tg.Rng(1) }), [2])) as tg.Tensor;
    const at = (b: number, t: number) => Array.from(tg.slice(y, [b, t, 0], [1, 1, -1]).data);
    for (const b of [0, 1]) {
      expect(at(b, 2)).toEqual(at(b, 1));
      expect(at(b, 3)).not.toEqual(at(b, 2));
    }
  });

  it('true on a Bidirectional that returns sequences (Keras 3 saves it so): masked steps output zeros', () => {
    const inner = rnnConfig('forward_lstm', {
      ...lstmExtra,
      return_sequences: true,
      zero_output_for_mask: true,
    });
    const m = tg.keras.modelFromJson(
      keras3(
        layer('Masking', { name: 'masking', mask_value: 0 }),
        layer('Bidirectional', {
          name: 'bidirectional',
          trainable: true,
          dtype,
          merge_mode: 'concat',
          layer: layer('LSTM', inner),
          backward_layer: layer('LSTM', { ...inner, name: 'backward_lstm', go_backwards: true }),
        }),
      ),
    );
    const y = m.predict(masked(tg.randn([2, 5, 3], { rng: new tg.Rng(2) }), [4])) as tg.Tensor;
    expect(y.shape).toEqual([2, 5, 8]);
    for (const b of [0, 1]) {
      expect(Array.from(tg.slice(y, [b, 4, 0], [1, 1, -1]).data).every((v) => v === 0)).toBe(true);
      expect(Array.from(tg.slice(y, [b, 3, 0], [1, 1, -1]).data).some((v) => v !== 0)).toBe(true);
    }
  });

  it('true anywhere else is refused, naming the file, layer and field', () => {
    for (const cls of ['SimpleRNN', 'LSTM', 'GRU']) {
      const extra = cls === 'LSTM' ? lstmExtra : cls === 'GRU' ? gruExtra : {};
      expect(() =>
        tg.keras.modelFromJson(
          keras3(
            layer(cls, rnnConfig('r', { ...extra, return_sequences: true, zero_output_for_mask: true })),
          ),
        ),
      ).toThrow(
        new RegExp(
          `layer 'r' \\(${cls}\\): field 'zero_output_for_mask': true \\(zeros instead of the previous output at masked steps\\) is supported only on the layers of a Bidirectional`,
        ),
      );
    }
  });
});
