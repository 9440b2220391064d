// RMSprop (optionally centered, with momentum): the pure rule and the PyTorch-style class.
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { add, div, mul, sqrt, square, sub } from '../../ops/elementwise/builders.js';
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

export interface RMSpropOptions extends ClipOptions {
  /** Learning rate (default 0.01 for 'pytorch', 0.001 otherwise) or a schedule. */
  lr?: LearningRate;
  /** Decay of the squared-gradient average (PyTorch `alpha`, Keras `rho`, TF.js `decay`); default 0.99 / 0.9. */
  rho?: number;
  momentum?: number;
  /** Default 1e-8 for 'pytorch', 1e-7 otherwise. */
  epsilon?: number;
  /** Divide by an estimate of the variance (v - ḡ²) instead of the raw second moment. */
  centered?: boolean;
  weightDecay?: number;
  /**
   * 'pytorch': p ← p - lr · g / (√v̄ + ε), momentum b ← μb + g/(√v̄ + ε), p ← p - lr·b.
   * 'keras' and 'tfjs': Δ = lr · g / √(v̄ + ε) (ε inside the root), momentum b ← μb + Δ, p ← p - b.
   * Here v̄ = v, or v - ḡ² when centered.
   * NOTE: TF.js 4.x computes √(v - ḡ² - ε) when centered (a sign slip); 'tfjs' follows Keras's √(v - ḡ² + ε).
   */
  convention?: Convention;
}

export interface RMSpropHyper extends BaseHyper {
  rho: number;
  momentum: number;
  epsilon: number;
  centered: boolean;
}

/** The RMSprop rule (state `v`, plus `momentum` and `meanGrad` when used). */
export function rmspropRule(o: RMSpropOptions = {}): UpdateRule<SlotState, RMSpropHyper> {
  checkOptions('RMSprop', o, [
    'lr',
    'rho',
    'momentum',
    'epsilon',
    'centered',
    'weightDecay',
    'convention',
    ...CLIP_KEYS,
  ]);
  const convention = checkConvention('rmsprop', o.convention ?? 'pytorch');
  const torch = convention === 'pytorch';
  const hp: RMSpropHyper = {
    lr: o.lr ?? (torch ? 0.01 : 0.001),
    rho: o.rho ?? (torch ? 0.99 : 0.9),
    momentum: o.momentum ?? 0,
    epsilon: o.epsilon ?? (torch ? 1e-8 : 1e-7),
    centered: o.centered ?? false,
    weightDecay: o.weightDecay ?? 0,
    convention,
  };
  checkLr('rmsprop', hp.lr);
  checkHyper('rmsprop', 'rho', hp.rho, 0, 1);
  checkHyper('rmsprop', 'momentum', hp.momentum, 0, 1);
  checkHyper('rmsprop', 'epsilon', hp.epsilon, 0);
  checkHyper('rmsprop', 'weightDecay', hp.weightDecay, 0);
  return pureRule({
    name: 'rmsprop',
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init(p) {
      const s: SlotState = { v: zerosLike(p) };
      if (hp.momentum) s.momentum = zerosLike(p);
      if (hp.centered) s.meanGrad = zerosLike(p);
      return s;
    },
    update(g0: Tensor, p: Tensor, s: SlotState, step: number, it = step - 1) {
      const lr = resolveLr(hp.lr, it, 'rmsprop');
      const { rho, momentum: mu, epsilon: eps } = hp;
      const g = withL2(g0, p, hp.weightDecay);
      // v ← ρv + (1-ρ)g²;  centered: ḡ ← ρḡ + (1-ρ)g, v̄ = v - ḡ²
      const v = add(mul(s.v, rho), mul(square(g), 1 - rho));
      const state: SlotState = { v };
      let vBar = v;
      if (hp.centered) {
        state.meanGrad = add(mul(s.meanGrad, rho), mul(g, 1 - rho));
        vBar = sub(v, square(state.meanGrad));
      }
      if (hp.convention === 'pytorch') {
        // u = g / (√v̄ + ε); p ← p - lr·u, or b ← μb + u, p ← p - lr·b
        const u = div(g, add(sqrt(vBar), eps));
        if (!mu) return { param: sub(p, mul(u, lr)), state };
        state.momentum = add(mul(s.momentum, mu), u);
        return { param: sub(p, mul(state.momentum, lr)), state };
      }
      // Δ = lr·g / √(v̄ + ε); p ← p - Δ, or b ← μb + Δ, p ← p - b
      const delta = mul(div(g, sqrt(add(vBar, eps))), lr);
      if (!mu) return { param: sub(p, delta), state };
      state.momentum = add(mul(s.momentum, mu), delta);
      return { param: sub(p, state.momentum), state };
    },
  });
}

/**
 * RMSprop (Hinton), PyTorch `torch.optim.RMSprop` semantics by default.
 * @example const opt = new RMSprop(model.parameters(), { lr: 1e-3, centered: true });
 */
export class RMSprop extends Optimizer {
  constructor(params?: ParamsInput, opts: RMSpropOptions = {}) {
    super(rmspropRule(opts), params, opts);
  }
}
