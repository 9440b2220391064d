// Builder for Keras MultiHeadAttention (Keras 3 and tf.keras 2.x configs), and its weights' order in the file.
import { MultiHeadAttention } from '../../../nn/keras/layers/attention.js';
import type { NdWeight } from '../ndarray.js';
import { defineLayers } from '../registry.js';
import { baseArgs } from './common.js';

/** The projection a stored weight belongs to: Keras 3 `query_dense/vars/0`, tf.keras `mha/query/kernel:0`. */
const ROLES = [
  /(^|\/)query(_dense)?\//,
  /(^|\/)key(_dense)?\//,
  /(^|\/)value(_dense)?\//,
  /(^|\/)(attention_)?output(_dense)?\//,
];
const roleOf = (w: NdWeight): number => ROLES.findIndex((r) => r.test(w.name));

defineLayers({
  MultiHeadAttention: {
    build: (c) => {
      const axes = c.raw('attention_axes');
      // NOTE: tf.keras 2.x stores the default resolved: [1] (the sequence axis of rank-3 inputs), the same as null
      const dflt =
        axes === undefined ||
        axes === null ||
        axes === 1 ||
        (Array.isArray(axes) && axes.length === 1 && axes[0] === 1);
      if (!dflt)
        c.fail('attention_axes', `only the default (null) is supported, got ${JSON.stringify(axes)}`);
      const os = c.raw('output_shape');
      const outputShape =
        os === undefined || os === null
          ? null
          : typeof os === 'number'
            ? os
            : Array.isArray(os) && os.length === 1 && typeof os[0] === 'number'
              ? os[0]
              : c.fail(
                  'output_shape',
                  `expected an integer or a one-element list, got ${JSON.stringify(os)}`,
                );
      const vd = c.raw('value_dim');
      // NOTE: flash_attention (Keras ≥ 3.6) picks a fused kernel computing the same numbers; build shapes come from the inputs.
      c.touch('flash_attention', 'query_shape', 'key_shape', 'value_shape');
      return new MultiHeadAttention({
        ...baseArgs(c),
        numHeads: c.int('num_heads', undefined, 1),
        keyDim: c.int('key_dim', undefined, 1),
        valueDim: vd === undefined || vd === null ? null : c.int('value_dim', undefined, 1),
        dropout: c.num('dropout', 0),
        useBias: c.bool('use_bias', true),
        outputShape,
      });
    },
    // NOTE: Keras 3 files list the sub-layers alphabetically (key_dense, output_dense, query_dense, value_dense);
    // the layer's order is query, key, value, output (kernel before bias in each), as tf.keras 2.x stores it.
    convertWeights: (ws) =>
      ws.every((w) => roleOf(w) >= 0) ? [...ws].sort((a, b) => roleOf(a) - roleOf(b)) : ws,
  },
});
