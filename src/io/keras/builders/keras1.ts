// Builders for the Keras 1 layers that Keras 2 has no class for (keras1.ts names them when converting a
// Keras 1 config): Merge(mode='cos'), BatchNormalization modes 1 and 2, Embedding with dropout.
import { CosineMerge, Keras1BatchNormalization, Keras1Embedding } from '../../../nn/keras/layers/keras1.js';
import { defineLayers } from '../registry.js';
import { baseArgs } from './common.js';

defineLayers({
  Keras1CosineMerge: {
    build: (c) => {
      // Keras 1 kept dot_axes as given (an int) or as the pair it resolved; two [batch, n] inputs contract axis 1.
      const d = c.raw('dot_axes');
      const ok =
        d === undefined ||
        d === null ||
        d === -1 ||
        d === 1 ||
        (Array.isArray(d) && d.length === 2 && d.every((v) => v === 1 || v === -1));
      if (!ok)
        c.fail(
          'dot_axes',
          `${JSON.stringify(d)} is not supported: Merge mode 'cos' is imported for two [batch, n] inputs (dot_axes -1 or [1, 1]); Keras 1's cos on higher-rank inputs produced tensors whose shape disagreed with its own shape inference`,
        );
      return new CosineMerge(baseArgs(c));
    },
  },
  Keras1BatchNormalization: {
    build: (c) => {
      const mode = c.int('mode', undefined, 1);
      if (mode !== 1 && mode !== 2) c.fail('mode', `expected 1 or 2, got ${mode}`);
      const epsilon = c.num('epsilon', 1e-3);
      if (!(epsilon > 0)) c.fail('epsilon', `must be positive, got ${epsilon}`);
      const a = c.raw('axis');
      const axis = a === undefined || a === null ? -1 : c.int('axis', -1);
      return new Keras1BatchNormalization({
        ...baseArgs(c),
        mode: mode as 1 | 2,
        axis,
        momentum: c.num('momentum', 0.99),
        epsilon,
      });
    },
  },
  Keras1Embedding: {
    build: (c) => {
      const len = c.raw('input_length');
      const args = baseArgs(c);
      if (!args.batchInputShape && typeof len === 'number') args.batchInputShape = [null, len];
      const rate = c.num('dropout', 0);
      if (!(rate >= 0 && rate < 1)) c.fail('dropout', `must be in [0, 1), got ${rate}`);
      return new Keras1Embedding({
        ...args,
        inputDim: c.int('input_dim', undefined, 1),
        outputDim: c.int('output_dim', undefined, 1),
        maskZero: c.bool('mask_zero', false),
        dropout: rate,
      });
    },
  },
});
