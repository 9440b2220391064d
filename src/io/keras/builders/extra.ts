// Builders for the small Keras 3 layers of nn/keras/layers/extra.ts: GroupNormalization, UnitNormalization, Rescaling,
// Identity, Attention and AdditiveAttention.
import {
  AdditiveAttention,
  Attention,
  GroupNormalization,
  KerasIdentity,
  Rescaling,
  UnitNormalization,
} from '../../../nn/keras/layers/extra.js';
import type { LayerCfg } from '../cfg.js';
import { defineLayers } from '../registry.js';
import { baseArgs, regularizerArgs } from './common.js';

/**
 * An attention dropout rate in [0, 1), after tf.keras 2's extra keys: `causal` (a causal mask, refused when true) and
 * the dropout generator choices `rng_type`, `force_generator`. NOTE: those two only pick how the training-time dropout
 * draws its numbers.
 */
function attentionDropout(c: LayerCfg): number {
  if (c.bool('causal', false)) c.fail('causal', 'a causal attention mask is not supported');
  c.touch('rng_type', 'force_generator');
  const r = c.num('dropout', 0);
  if (!(r >= 0 && r < 1)) c.fail('dropout', `must be in [0, 1), got ${r}`);
  return r;
}

/** A number or a list of numbers (Rescaling's scale and offset). */
function numbers(c: LayerCfg, key: string, def?: number): number | number[] {
  const v = c.raw(key);
  if ((v === undefined || v === null) && def !== undefined) return def;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((u) => typeof u === 'number')) return v as number[];
  return c.fail(key, `expected a number or a list of numbers, got ${JSON.stringify(v)}`);
}

defineLayers({
  GroupNormalization: {
    build: (c, b) =>
      new GroupNormalization({
        ...baseArgs(c),
        ...regularizerArgs(c, b, ['gammaRegularizer', 'betaRegularizer']),
        groups: c.int('groups', 32),
        axis: c.int('axis', -1),
        epsilon: c.num('epsilon', 1e-3),
        center: c.bool('center', true),
        scale: c.bool('scale', true),
      }),
  },
  UnitNormalization: {
    build: (c) => {
      const a = c.raw('axis');
      const axis =
        a === undefined || a === null
          ? -1
          : typeof a === 'number'
            ? a
            : Array.isArray(a) && a.every((x) => typeof x === 'number')
              ? (a as number[])
              : c.fail('axis', `expected an axis or list of axes, got ${JSON.stringify(a)}`);
      return new UnitNormalization({ ...baseArgs(c), axis });
    },
  },
  Rescaling: {
    build: (c) =>
      new Rescaling({ ...baseArgs(c), scale: numbers(c, 'scale'), offset: numbers(c, 'offset', 0) }),
  },
  Identity: { build: (c) => new KerasIdentity(baseArgs(c)) },
  Attention: {
    build: (c) => {
      const mode = c.str('score_mode', 'dot');
      if (mode !== 'dot' && mode !== 'concat')
        c.fail('score_mode', `expected 'dot' or 'concat', got '${mode}'`);
      return new Attention({
        ...baseArgs(c),
        useScale: c.bool('use_scale', false),
        scoreMode: mode as 'dot' | 'concat',
        dropout: attentionDropout(c),
      });
    },
  },
  AdditiveAttention: {
    build: (c) => {
      // Keras 3 AdditiveAttention drops score_mode from its config; 'concat' would add Attention's concat weight
      if (c.str('score_mode', 'dot') !== 'dot') c.fail('score_mode', "AdditiveAttention takes only 'dot'");
      return new AdditiveAttention({
        ...baseArgs(c),
        useScale: c.bool('use_scale', true),
        dropout: attentionDropout(c),
      });
    },
  },
});
