// Keras activation names → tapegrad activations, honouring how each Keras version defines them (hard_sigmoid).
import type { Tensor } from '../../core/tensor.js';
import { mul } from '../../ops/elementwise/builders.js';
import { hardSigmoid } from '../../ops/composite/activations.js';
import type { ActivationFn, ActivationSpec } from '../../nn/activations.js';
import { activationNames } from '../../nn/activations.js';
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { type LayerCfg, brief } from './cfg.js';
import type { KerasContext } from './context.js';

/** Keras 1/2 and TF.js hard sigmoid: clip(0.2·x + 0.5, 0, 1). */
export const hardSigmoidKeras2: ActivationFn = (x: Tensor) => hardSigmoid(x, true);
/** Keras 3 hard sigmoid: relu6(x + 3) / 6. */
export const hardSigmoidKeras3: ActivationFn = (x: Tensor) => hardSigmoid(x, false);
/** Keras 3 hard_silu / hard_swish: x · relu6(x + 3) / 6. */
const hardSilu: ActivationFn = (x: Tensor) => mul(x, hardSigmoid(x, false));

Object.defineProperty(hardSigmoidKeras2, 'name', { value: 'hard_sigmoid' });
Object.defineProperty(hardSigmoidKeras3, 'name', { value: 'hard_sigmoid' });
Object.defineProperty(hardSilu, 'name', { value: 'hard_silu' });

/** Keras names whose tapegrad activation has exactly the Keras meaning in every version. */
const SAME: Record<string, string> = {
  linear: 'linear',
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  elu: 'elu',
  selu: 'selu',
  exponential: 'exponential',
  swish: 'swish',
  silu: 'silu',
  gelu: 'gelu',
  relu6: 'relu6',
  log_softmax: 'logSoftmax',
  leaky_relu: 'leakyRelu',
  mish: 'mish',
};

/**
 * Keras 3's newer activations (keras/src/activations, with their default arguments), the same functions in tapegrad;
 * Keras 2 has none of them.
 */
const KERAS3: Record<string, string> = {
  celu: 'celu',
  glu: 'glu',
  hard_shrink: 'hardShrink',
  hard_tanh: 'hardTanh',
  log_sigmoid: 'logSigmoid',
  soft_shrink: 'softShrink',
  sparse_plus: 'sparsePlus',
  squareplus: 'squareplus',
  tanh_shrink: 'tanhShrink',
};

const custom = new Map<string, ActivationFn>();

/** Register an activation function under a Keras name, for models that use a custom activation. */
export function registerActivation(name: string, fn: ActivationFn): void {
  if (typeof fn !== 'function') throw new TypeError(`registerActivation('${name}'): expected a function`);
  custom.set(name, fn);
}

/** The Keras activation names the importer understands. */
export const kerasActivationNames = (): string[] => [
  ...Object.keys(SAME),
  'hard_sigmoid',
  'hard_silu',
  'hard_swish',
  ...Object.keys(KERAS3).map((n) => `${n} (Keras 3)`),
  ...custom.keys(),
];

/**
 * The activation a config field names, as the Keras version that wrote it defines it. Accepts a name, null (linear),
 * or a serialized function object (`{class_name: 'function', config: 'relu'}`); anything else is an error naming
 * the layer and field.
 */
export function activationOf(c: LayerCfg, key: string, ctx: KerasContext, def = 'linear'): ActivationSpec {
  const v = c.raw(key);
  return resolveActivation(v === undefined ? def : v, c, key, ctx);
}

function resolveActivation(v: JsonValue, c: LayerCfg, key: string, ctx: KerasContext): ActivationSpec {
  if (v === null) return 'linear';
  if (isJsonObject(v)) {
    const inner = v.config;
    if (typeof inner === 'string') return resolveActivation(inner, c, key, ctx);
    if (isJsonObject(inner) && typeof inner.name === 'string')
      return resolveActivation(inner.name, c, key, ctx);
    if (typeof v.class_name === 'string') return resolveActivation(v.class_name, c, key, ctx);
    c.fail(key, `unrecognised activation ${brief(v)}`);
  }
  if (typeof v !== 'string') c.fail(key, `expected an activation name, got ${brief(v)}`);
  const fn = custom.get(v);
  if (fn) return fn;
  const name = v.replace(/^(keras\.activations\.|activations\.)/, '');
  if (name === 'hard_sigmoid' || name === 'hardSigmoid')
    // NOTE: Keras 1/2 and TF.js: clip(0.2x + 0.5); Keras 3 changed it to relu6(x + 3)/6.
    return ctx.major >= 3 && !ctx.tfjs ? hardSigmoidKeras3 : hardSigmoidKeras2;
  if (name === 'hard_silu' || name === 'hard_swish') return hardSilu;
  const mapped =
    (Object.hasOwn(SAME, name) ? SAME[name] : undefined) ??
    (ctx.major >= 3 && !ctx.tfjs && Object.hasOwn(KERAS3, name) ? KERAS3[name] : undefined) ??
    (activationNames().includes(name) ? name : undefined);
  if (mapped === undefined)
    c.fail(
      key,
      `unknown activation '${v}' (known: ${kerasActivationNames().join(', ')}); register it with keras.registerActivation('${v}', fn)`,
    );
  return mapped;
}
