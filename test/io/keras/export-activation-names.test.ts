// tg.layers takes TF.js's activation spellings (hardSigmoid, logSoftmax, leakyRelu, ...); a saved .h5 / .keras must
// carry Keras's own snake_case names, which are all Keras 3 knows (keras/src/activations/__init__.py: ALL_OBJECTS;
// `keras.activations.get('hardSigmoid')` raises "Unknown activation function"). The file reloads to the same numbers.
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

/** Keras 3's activation names (keras/src/activations/__init__.py, 3.8), swish and hard_swish being aliases. */
const KERAS3 = new Set(
  (
    'celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh leaky_relu linear ' +
    'log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink softmax softplus softsign sparse_plus ' +
    'squareplus swish tanh tanh_shrink'
  ).split(' '),
);
const CAMEL = [
  'hardSigmoid',
  'logSoftmax',
  'leakyRelu',
  'hardSilu',
  'logSigmoid',
  'hardTanh',
  'sparsePlus',
  'relu6',
];

describe('saved activation names are Keras names', () => {
  for (const format of ['h5', 'keras'] as const)
    it(`${format}: TF.js spellings are written in snake_case and reload to the same outputs`, async () => {
      const m = tg.sequential({
        layers: [
          tg.layers.dense({ units: 4, inputShape: [3], activation: CAMEL[0] as never }),
          ...CAMEL.slice(1).map((a) => tg.layers.dense({ units: 4, activation: a as never })),
          tg.layers.activation({ activation: 'hardSigmoid' as never }),
        ],
      });
      const x = tg.tensor([0.5, -1, 2, 1, 0.25, -0.75], [2, 3]);
      const y = (m.predict(x) as tg.Tensor).data;
      const bytes = await tg.keras.saveModel(m, null, { format });
      // the config as stored: the h5 attribute's JSON, or config.json inside the .keras zip
      const text =
        format === 'h5'
          ? Buffer.from(bytes).toString('latin1')
          : new TextDecoder().decode(unzipSync(bytes)['config.json']);
      const names = [...text.matchAll(/"activation": ?"([^"]*)"/g)].map((r) => r[1]);
      expect(names.length).toBeGreaterThanOrEqual(CAMEL.length + 1);
      for (const n of names) expect(KERAS3.has(n), `'${n}' is not a Keras activation name`).toBe(true);
      expect(names).toContain('hard_sigmoid');
      expect(names).toContain('log_softmax');
      const back = await tg.keras.loadModel(bytes);
      expect(Array.from((back.predict(x) as tg.Tensor).data)).toEqual(Array.from(y));
    });
});
