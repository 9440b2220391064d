// Adam and AdamW (decoupled weight decay): one pure rule, two PyTorch-style classes.
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { add, div, maximum, mul, sqrt, square, sub } from '../../ops/elementwise/builders.js';
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

export interface AdamOptions extends ClipOptions {
  /** Learning rate (default 1e-3) or a schedule. */
  lr?: LearningRate;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 for 'pytorch', 1e-7 for 'keras' and 'tfjs'. */
  epsilon?: number;
  /** Adam: L2 added to the gradient. AdamW: decoupled decay p ← p - lr·wd·p (default 0.01 in AdamW). */
  weightDecay?: number;
  /** Use the running maximum of v (Reddi et al.; PyTorch/Keras `amsgrad`). */
  amsgrad?: boolean;
  /**
   * Where epsilon goes. 'pytorch' and 'tfjs' (the default): p ← p - lr · m̂ / (√v̂ + ε), with m̂ = m/(1-β₁ᵗ),
   * v̂ = v/(1-β₂ᵗ), ε added outside the square root of the bias-corrected v̂.
   * 'keras': p ← p - lr·√(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε), ε added to √v before bias correction
   * (the paper's "ε-hat" form; identical to the default with ε scaled by √(1-β₂ᵗ)).
   */
  convention?: Convention;
}

export interface AdamHyper extends BaseHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
  amsgrad: boolean;
  /** AdamW: weight decay applied to the parameter, not the gradient. */
  decoupled: boolean;
}

/** The Adam rule (state `m`, `v`, and `vMax` with amsgrad); `decoupled` makes it AdamW. */
export function adamRule(o: AdamOptions = {}, decoupled = false): UpdateRule<SlotState, AdamHyper> {
  const name = decoupled ? 'adamw' : 'adam';
  checkOptions(decoupled ? 'AdamW' : 'Adam', o, [
    'lr',
    'beta1',
    'beta2',
    'epsilon',
    'weightDecay',
    'amsgrad',
    'convention',
    ...CLIP_KEYS,
  ]);
  const convention = checkConvention(name, o.convention ?? 'pytorch');
  const hp: AdamHyper = {
    lr: o.lr ?? 1e-3,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    epsilon: o.epsilon ?? (convention === 'pytorch' ? 1e-8 : 1e-7),
    weightDecay: o.weightDecay ?? (decoupled ? 0.01 : 0),
    amsgrad: o.amsgrad ?? false,
    decoupled,
    convention,
  };
  checkLr(name, hp.lr);
  checkHyper(name, 'beta1', hp.beta1, 0, 1, false, true);
  checkHyper(name, 'beta2', hp.beta2, 0, 1, false, true);
  checkHyper(name, 'epsilon', hp.epsilon, 0);
  checkHyper(name, 'weightDecay', hp.weightDecay, 0);
  return pureRule({
    name,
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init(p) {
      const s: SlotState = { m: zerosLike(p), v: zerosLike(p) };
      if (hp.amsgrad) s.vMax = zerosLike(p);
      return s;
    },
    update(g0: Tensor, p0: Tensor, s: SlotState, t: number, it = t - 1) {
      const lr = resolveLr(hp.lr, it, name);
      const { beta1: b1, beta2: b2, epsilon: eps } = hp;
      // AdamW: p ← p·(1 - lr·wd) before the Adam step; Adam: g ← g + wd·p
      const p = hp.decoupled && hp.weightDecay ? mul(p0, 1 - lr * hp.weightDecay) : p0;
      const g = hp.decoupled ? g0 : withL2(g0, p0, hp.weightDecay);
      // m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²
      const m = add(mul(s.m, b1), mul(g, 1 - b1));
      const v = add(mul(s.v, b2), mul(square(g), 1 - b2));
      const vMax = hp.amsgrad ? maximum(s.vMax, v) : undefined;
      const vUse = vMax ?? v;
      const bc1 = 1 - Math.pow(b1, t);
      const bc2 = 1 - Math.pow(b2, t);
      const state: SlotState = vMax ? { m, v, vMax } : { m, v };
      if (hp.convention === 'keras') {
        // p ← p - α·m/(√v + ε) with α = lr·√(1-β₂ᵗ)/(1-β₁ᵗ)
        const alpha = (lr * Math.sqrt(bc2)) / bc1;
        return { param: sub(p, mul(div(m, add(sqrt(vUse), eps)), alpha)), state };
      }
      // p ← p - lr · (m/(1-β₁ᵗ)) / (√(v/(1-β₂ᵗ)) + ε)
      const mHat = div(m, bc1);
      const vHat = div(vUse, bc2);
      return { param: sub(p, mul(div(mHat, add(sqrt(vHat), eps)), lr)), state };
    },
  });
}

/**
 * Adam (Kingma & Ba), PyTorch `torch.optim.Adam` semantics: weight decay is L2 in the gradient.
 * @example const opt = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer {
  constructor(params?: ParamsInput, opts: AdamOptions = {}) {
    super(adamRule(opts, false), params, opts);
  }
}

/**
 * AdamW (Loshchilov & Hutter), PyTorch `torch.optim.AdamW`: p ← p·(1 - lr·wd) then the Adam step (wd default 0.01).
 * @example const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends Optimizer {
  constructor(params?: ParamsInput, opts: AdamOptions = {}) {
    super(adamRule(opts, true), params, opts);
  }
}
