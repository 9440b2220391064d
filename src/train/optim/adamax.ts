// Adamax (Adam with the infinity norm): the pure rule and the PyTorch-style class.
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { abs, add, div, maximum, mul, sub } from '../../ops/elementwise/builders.js';
import { type LearningRate, resolveLr } from '../schedules.js';
import {
  type BaseHyper,
  type Convention,
  type SlotState,
  type UpdateRule,
  checkConvention,
  checkHyper,
  checkLr,
  pureRule,
  withL2,
} from './rule.js';
import { CLIP_KEYS, type ClipOptions, Optimizer, type ParamsInput } from './optimizer.js';
import { checkOptions } from '../../core/options.js';

export interface AdamaxOptions extends ClipOptions {
  /** Learning rate (default 0.002 for 'pytorch' and 'tfjs', 0.001 for 'keras') or a schedule. */
  lr?: LearningRate;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 for 'pytorch', 1e-7 otherwise. */
  epsilon?: number;
  /**
   * TF.js `decay` (as Adagrad's `lrDecay`): the rate used at update t is lr / (1 + (t-1)·lrDecay) (default 0);
   * t counts the optimizer's updates under 'keras' and 'tfjs' (TF.js's `iteration`), the parameter's own under
   * 'pytorch' (optimizer.ts).
   */
  lrDecay?: number;
  weightDecay?: number;
  /**
   * Where epsilon goes; both keep m ← β₁m + (1-β₁)g and step by lr/(1-β₁ᵗ).
   * 'pytorch': u ← max(β₂u, |g| + ε), p ← p - lr/(1-β₁ᵗ) · m / u.
   * 'keras' and 'tfjs': u ← max(β₂u, |g|), p ← p - lr/(1-β₁ᵗ) · m / (u + ε).
   * NOTE: the two differ even at a constant ε (ε enters u and decays with it in PyTorch); each is implemented as
   * its library writes it.
   */
  convention?: Convention;
}

export interface AdamaxHyper extends BaseHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
  lrDecay: number;
}

/** The Adamax rule (state `m`, and `u` the exponentially weighted infinity norm). */
export function adamaxRule(o: AdamaxOptions = {}): UpdateRule<SlotState, AdamaxHyper> {
  checkOptions('Adamax', o, [
    'lr',
    'beta1',
    'beta2',
    'epsilon',
    'lrDecay',
    'weightDecay',
    'convention',
    ...CLIP_KEYS,
  ]);
  const convention = checkConvention('adamax', o.convention ?? 'pytorch');
  const hp: AdamaxHyper = {
    lr: o.lr ?? (convention === 'keras' ? 0.001 : 0.002),
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    epsilon: o.epsilon ?? (convention === 'pytorch' ? 1e-8 : 1e-7),
    lrDecay: o.lrDecay ?? 0,
    weightDecay: o.weightDecay ?? 0,
    convention,
  };
  checkLr('adamax', hp.lr);
  checkHyper('adamax', 'beta1', hp.beta1, 0, 1, false, true);
  checkHyper('adamax', 'beta2', hp.beta2, 0, 1, false, true);
  checkHyper('adamax', 'epsilon', hp.epsilon, 0);
  checkHyper('adamax', 'lrDecay', hp.lrDecay, 0);
  checkHyper('adamax', 'weightDecay', hp.weightDecay, 0);
  return pureRule({
    name: 'adamax',
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init: (p) => ({ m: zerosLike(p), u: zerosLike(p) }),
    update(g0: Tensor, p: Tensor, s: SlotState, t: number, it = t - 1) {
      // lr_t = lr / (1 + (t-1)·lrDecay)
      const lr = resolveLr(hp.lr, it, 'adamax') / (1 + (t - 1) * hp.lrDecay);
      const { beta1: b1, beta2: b2, epsilon: eps } = hp;
      const g = withL2(g0, p, hp.weightDecay);
      // m ← β₁m + (1-β₁)g
      const m = add(mul(s.m, b1), mul(g, 1 - b1));
      const clr = lr / (1 - Math.pow(b1, t));
      if (hp.convention === 'pytorch') {
        // u ← max(β₂u, |g| + ε);  p ← p - lr/(1-β₁ᵗ) · m/u
        const u = maximum(mul(s.u, b2), add(abs(g), eps));
        return { param: sub(p, mul(div(m, u), clr)), state: { m, u } };
      }
      // u ← max(β₂u, |g|);  p ← p - lr/(1-β₁ᵗ) · m/(u + ε)
      const u = maximum(mul(s.u, b2), abs(g));
      return { param: sub(p, mul(div(m, add(u, eps)), clr)), state: { m, u } };
    },
  });
}

/**
 * Adamax (Kingma & Ba, section 7.1), PyTorch `torch.optim.Adamax` semantics by default.
 * @example const opt = new Adamax(model.parameters(), { lr: 2e-3 });
 */
export class Adamax extends Optimizer {
  constructor(params?: ParamsInput, opts: AdamaxOptions = {}) {
    super(adamaxRule(opts), params, opts);
  }
}
