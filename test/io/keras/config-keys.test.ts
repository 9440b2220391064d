// Keras config keys: a key the builder does not read is refused by name unless docs/keras-import.md lists it as
// ignored (and why); the documented list and the code's list are the same.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { IGNORED_AT_DEFAULT, IGNORED_KEYS } from '../../../src/io/keras/cfg.js';

const dense = (extra: Record<string, unknown>) => ({
  class_name: 'Sequential',
  config: {
    name: 's',
    layers: [
      { class_name: 'Dense', config: { name: 'd', units: 2, batch_input_shape: [null, 3], ...extra } },
    ],
  },
});

describe('Keras config keys', () => {
  it('an unknown key is refused, naming the layer, the key and the known options', () => {
    expect(() => tg.keras.modelFromJson(dense({ unitz: 4 }))).toThrow(tg.KerasImportError);
    expect(() => tg.keras.modelFromJson(dense({ unitz: 4 }))).toThrow(
      /<config>: layer 'd' \(Dense\): unknown option 'unitz' \(known: activation, .*units, use_bias; ignored as inert: see docs\/keras-import\.md\)/,
    );
  });
  it('an option of another class is refused too (reset_after on an LSTM)', () => {
    const cfg = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'LSTM',
            config: { name: 'l', units: 2, reset_after: true, batch_input_shape: [null, 4, 3] },
          },
        ],
      },
    };
    expect(() => tg.keras.modelFromJson(cfg)).toThrow(/layer 'l' \(LSTM\): unknown option 'reset_after'/);
  });
  it('documented inert keys load (initializers, regularizers, constraints, implementation knobs)', () => {
    const m = tg.keras.modelFromJson(
      dense({
        kernel_initializer: { class_name: 'GlorotUniform', config: {} },
        bias_regularizer: null,
        kernel_constraint: null,
        activity_regularizer: null,
        autocast: true,
        lora_rank: null,
        quantization_config: null,
      }),
    );
    expect(m.countParams()).toBe(8);
  });
  it('keys ignored only at their default are refused at another value (LoRA changes the kernel)', () => {
    expect(() => tg.keras.modelFromJson(dense({ lora_rank: 4 }))).toThrow(
      /layer 'd' \(Dense\): unknown option 'lora_rank'/,
    );
  });
  it('docs/keras-import.md lists exactly the ignored keys of the code', () => {
    const doc = readFileSync(new URL('../../../docs/keras-import.md', import.meta.url), 'utf8');
    const sec = doc.slice(doc.indexOf('## Ignored config keys'), doc.indexOf('## Unknown layers'));
    const documented = [...sec.matchAll(/^\| `(\w+)`\s*\|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual([...Object.keys(IGNORED_KEYS), ...Object.keys(IGNORED_AT_DEFAULT)].sort());
  });
  it('a Keras 1 Embedding config (output_dim, init, dropout, input_dtype) builds and looks rows up', () => {
    const cfg = {
      class_name: 'Sequential',
      keras_version: '1.2.2',
      config: [
        {
          class_name: 'Embedding',
          config: {
            name: 'e',
            input_dim: 5,
            output_dim: 3,
            input_length: 4,
            batch_input_shape: [null, 4],
            init: 'uniform',
            dropout: 0.0,
            mask_zero: false,
            W_regularizer: null,
            activity_regularizer: null,
            W_constraint: null,
            trainable: true,
            input_dtype: 'int32',
          },
        },
      ],
    };
    const m = tg.keras.modelFromJson(cfg);
    const table = tg.tensor(
      Array.from({ length: 15 }, (_, i) => i),
      [5, 3],
    );
    m.setWeights([table]);
    const y = m.predict(tg.tensor([[4, 0, 2, 2]], undefined, { dtype: 'int32' })) as tg.Tensor;
    // rows 4, 0, 2, 2 of the table
    expect(Array.from(y.data)).toEqual([12, 13, 14, 0, 1, 2, 6, 7, 8, 6, 7, 8]);
  });
});
