// Nadam (Adam with Nesterov momentum, Dozat 2016): the pure rule and the PyTorch-style class.
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

export interface NadamOptions extends ClipOptions {
  /** Learning rate (default 0.002 for 'pytorch', 0.001 otherwise) or a schedule. */
  lr?: LearningRate;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 for 'pytorch', 1e-7 otherwise. */
  epsilon?: number;
  /** ψ in the momentum schedule μ_t = β₁(1 - ½·0.96^(tψ)) (PyTorch `momentum_decay`; default 0.004 / 1). */
  momentumDecay?: number;
  weightDecay?: number;
  /**
   * One formula: m ← β₁m + (1-β₁)g, v ← β₂v + (1-β₂)g², v̂ = v/(1-β₂ᵗ),
   * p ← p - lr·[(1-μ_t)/(1-Π_t) · g + μ_{t+1}/(1-Π_t·μ_{t+1}) · m] / (√v̂ + ε), with Π_t = μ_1···μ_t.
   * 'pytorch' (`torch.optim.NAdam`): lr 0.002, ε 1e-8, ψ 0.004.
   * 'keras' and 'tfjs': Keras 3 `Nadam`, lr 0.001, ε 1e-7 and μ_t = β₁(1 - ½·0.96ᵗ), i.e. ψ = 1.
   * NOTE: PyTorch < 2.0 computed the next product as Π_t·μ_t·μ_{t+1} (fixed in pytorch/pytorch#92699); this is the
   * fixed form, which Keras and the paper use. Keras 2 used ψ = 0.004 (its `schedule_decay`): pass
   * momentumDecay: 0.004 for it. TF.js has no Nadam; 'tfjs' is Keras's.
   */
  convention?: Convention;
}

export interface NadamHyper extends BaseHyper {
  beta1: number;
  beta2: number;
  epsilon: number;
  momentumDecay: number;
}

/** The Nadam rule (state `m`, `v`; the product of the μ's is a function of the step, computed, not stored). */
export function nadamRule(o: NadamOptions = {}): UpdateRule<SlotState, NadamHyper> {
  checkOptions('Nadam', o, [
    'lr',
    'beta1',
    'beta2',
    'epsilon',
    'momentumDecay',
    'weightDecay',
    'convention',
    ...CLIP_KEYS,
  ]);
  const convention = checkConvention('nadam', o.convention ?? 'pytorch');
  const torch = convention === 'pytorch';
  const hp: NadamHyper = {
    lr: o.lr ?? (torch ? 0.002 : 0.001),
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    epsilon: o.epsilon ?? (torch ? 1e-8 : 1e-7),
    momentumDecay: o.momentumDecay ?? (torch ? 0.004 : 1),
    weightDecay: o.weightDecay ?? 0,
    convention,
  };
  checkLr('nadam', hp.lr);
  checkHyper('nadam', 'beta1', hp.beta1, 0, 1, false, true);
  checkHyper('nadam', 'beta2', hp.beta2, 0, 1, false, true);
  checkHyper('nadam', 'epsilon', hp.epsilon, 0);
  checkHyper('nadam', 'momentumDecay', hp.momentumDecay, 0);
  checkHyper('nadam', 'weightDecay', hp.weightDecay, 0);
  // μ_t = β₁(1 - ½·0.96^(tψ))
  const mu = (t: number) => hp.beta1 * (1 - 0.5 * Math.pow(0.96, t * hp.momentumDecay));
  // Π_t = μ_1···μ_t, extended from the nearest earlier one computed (a few kept: parameters may count differently)
  // NOTE: a changed beta1 or momentumDecay recomputes Π as if it had always held (PyTorch keeps the old factors).
  let key = '';
  let known: { t: number; prod: number }[] = [];
  const muProduct = (t: number): number => {
    const k = `${hp.beta1}/${hp.momentumDecay}`;
    if (k !== key) [key, known] = [k, []];
    let from = { t: 0, prod: 1 };
    for (const e of known) if (e.t <= t && e.t > from.t) from = e;
    let { t: i, prod } = from;
    while (i < t) prod *= mu(++i);
    if (!known.some((e) => e.t === t)) known = [{ t, prod }, ...known].slice(0, 8);
    return prod;
  };
  return pureRule({
    name: 'nadam',
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init: (p) => ({ m: zerosLike(p), v: zerosLike(p) }),
    update(g0: Tensor, p: Tensor, s: SlotState, t: number, it = t - 1) {
      const lr = resolveLr(hp.lr, it, 'nadam');
      const { beta1: b1, beta2: b2, epsilon: eps } = hp;
      const g = withL2(g0, p, hp.weightDecay);
      // m ← β₁m + (1-β₁)g;  v ← β₂v + (1-β₂)g²
      const m = add(mul(s.m, b1), mul(g, 1 - b1));
      const v = add(mul(s.v, b2), mul(square(g), 1 - b2));
      const muT = mu(t);
      const muNext = mu(t + 1);
      const prod = muProduct(t);
      // denominator √(v/(1-β₂ᵗ)) + ε
      const den = add(sqrt(div(v, 1 - Math.pow(b2, t))), eps);
      // p ← p - lr(1-μ_t)/(1-Π_t) · g/den - lr·μ_{t+1}/(1-Π_t·μ_{t+1}) · m/den
      const cg = (lr * (1 - muT)) / (1 - prod);
      const cm = (lr * muNext) / (1 - prod * muNext);
      const step = div(add(mul(g, cg), mul(m, cm)), den);
      return { param: sub(p, step), state: { m, v } };
    },
  });
}

/**
 * Nadam, PyTorch `torch.optim.NAdam` semantics by default (momentum schedule ψ = `momentumDecay`).
 * @example const opt = new Nadam(model.parameters(), { lr: 2e-3 });
 */
export class Nadam extends Optimizer {
  constructor(params?: ParamsInput, opts: NadamOptions = {}) {
    super(nadamRule(opts), params, opts);
  }
}
