// tf.keras class aliases (UnifiedGRU, UnifiedLSTM, BatchNormalizationV2, ...) build the same layers as the
// plain Keras names: same weights in, same numbers out.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const seq = (layers: unknown[]) => ({
  class_name: 'Sequential',
  keras_version: '2.2.4-tf',
  backend: 'tensorflow',
  config: { name: 's', layers },
});
// NOTE: reset_after is a GRU option only; an LSTM config carrying it is refused as an unknown option.
const rnnCfg = (cls: string) => ({
  class_name: cls,
  config: {
    name: 'r',
    units: 3,
    return_sequences: true,
    ...(cls.endsWith('GRU') ? { reset_after: true } : {}),
    batch_input_shape: [null, 4, 2],
  },
});
const bnCfg = (cls: string) => ({
  class_name: cls,
  config: { name: 'bn', axis: -1, momentum: 0.99, epsilon: 0.001, batch_input_shape: [null, 5] },
});

describe('tf.keras aliases', () => {
  const pairs: [string, string, unknown, number[]][] = [
    ['UnifiedGRU', 'GRU', rnnCfg, [2, 4, 2]],
    ['UnifiedLSTM', 'LSTM', rnnCfg, [2, 4, 2]],
    ['BatchNormalizationV2', 'BatchNormalization', bnCfg, [3, 5]],
    ['BatchNormalizationV1', 'BatchNormalization', bnCfg, [3, 5]],
  ];
  for (const [alias, plain, make, shape] of pairs)
    it(`${alias} equals ${plain}`, () => {
      const cfg = make as (c: string) => unknown;
      const a = tg.keras.modelFromJson(seq([cfg(alias)]));
      const b = tg.keras.modelFromJson(seq([cfg(plain)]));
      const ws = b.getWeights().map((w, i) => tg.rand(w.shape, { low: 0.5, high: 1.5, rng: new tg.Rng(i) })); // positive, so a moving variance is valid
      expect(a.getWeights().map((w) => w.shape)).toEqual(ws.map((w) => w.shape));
      a.setWeights(ws);
      b.setWeights(ws);
      const x = tg.randn(shape, { rng: new tg.Rng(9) });
      const ya = Array.from((a.predict(x) as tg.Tensor).data);
      expect(ya.every(Number.isFinite)).toBe(true);
      expect(ya).toEqual(Array.from((b.predict(x) as tg.Tensor).data));
    });
});
