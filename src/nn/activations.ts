// Keras activation names → tapegrad ops.
import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { relu, sigmoid, tanh } from '../ops/elementwise/builders.js';
import * as act from '../ops/composite/activations.js';

export type ActivationFn = (x: Tensor) => Tensor;
export type ActivationSpec = string | ActivationFn | null | undefined;

const ACTIVATIONS: Record<string, ActivationFn> = {
  linear: act.linear,
  relu,
  sigmoid,
  tanh,
  softmax: (x) => act.softmax(x, -1),
  logSoftmax: (x) => act.logSoftmax(x, -1),
  elu: (x) => act.elu(x),
  selu: act.selu,
  softplus: act.softplus,
  softsign: act.softsign,
  // NOTE: Keras 3's hard_sigmoid (relu6(x+3)/6); Keras 2 / TF.js models are mapped by the importer.
  hardSigmoid: (x) => act.hardSigmoid(x),
  swish: act.swish,
  silu: act.silu,
  gelu: (x) => act.gelu(x),
  relu6: act.relu6,
  exponential: act.exponential,
  leakyRelu: (x) => act.leakyRelu(x),
  mish: act.mish,
  hardSilu: act.hardSilu,
  hardSwish: act.hardSilu,
  celu: (x) => act.celu(x),
  glu: (x) => act.glu(x),
  hardTanh: act.hardTanh,
  logSigmoid: act.logSigmoid,
  softShrink: (x) => act.softShrink(x),
  hardShrink: (x) => act.hardShrink(x),
  tanhShrink: act.tanhShrink,
  squareplus: (x) => act.squareplus(x),
  sparsePlus: act.sparsePlus,
};

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Names already resolved. NOTE: layers resolve their activation on every call; the regex ran once per call. */
const byName = new Map<string, ActivationFn>();

/** Resolve 'relu', 'hard_sigmoid', 'hardSigmoid', a function, or null/undefined (= linear). */
export function getActivation(spec: ActivationSpec): ActivationFn {
  if (spec === null || spec === undefined) return act.linear;
  if (typeof spec === 'function') return spec;
  if (typeof spec !== 'string')
    throw new ValueError(`activation: expected a name, a function or null, got ${typeof spec}`);
  const known = byName.get(spec);
  if (known) return known;
  const key = camel(spec);
  const f = Object.hasOwn(ACTIVATIONS, key) ? ACTIVATIONS[key] : undefined;
  if (!f)
    throw new ValueError(
      `activation: unknown name '${spec}' (known: ${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  byName.set(spec, f);
  return f;
}
export const activationNames = (): string[] => Object.keys(ACTIVATIONS);
