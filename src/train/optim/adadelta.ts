// Adadelta: the pure rule and the PyTorch-style class.
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

export interface AdadeltaOptions extends ClipOptions {
  /** Learning rate (default 1.0 for 'pytorch', 0.001 otherwise) or a schedule. */
  lr?: LearningRate;
  /** Decay of both running averages (default 0.9 for 'pytorch', 0.95 otherwise). */
  rho?: number;
  /** Default 1e-6 for 'pytorch', 1e-7 otherwise. */
  epsilon?: number;
  weightDecay?: number;
  /**
   * All three follow one formula: v ← ρv + (1-ρ)g², Δ = √(a + ε)/√(v + ε) · g, a ← ρa + (1-ρ)Δ², p ← p - lr·Δ;
   * the convention only picks the defaults ('pytorch': lr 1, ρ 0.9, ε 1e-6; 'keras'/'tfjs': lr 0.001, ρ 0.95,
   * ε 1e-7).
   * NOTE: TF.js 4.x divides by √(v + ε) with v from before this step's update (its first step is then lr·g);
   * 'tfjs' follows Keras and PyTorch, which use the updated v.
   */
  convention?: Convention;
}

export interface AdadeltaHyper extends BaseHyper {
  rho: number;
  epsilon: number;
}

/** The Adadelta rule (state `squareAvg` = running mean of g², `accDelta` = running mean of Δ²). */
export function adadeltaRule(o: AdadeltaOptions = {}): UpdateRule<SlotState, AdadeltaHyper> {
  checkOptions('Adadelta', o, ['lr', 'rho', 'epsilon', 'weightDecay', 'convention', ...CLIP_KEYS]);
  const convention = checkConvention('adadelta', o.convention ?? 'pytorch');
  const torch = convention === 'pytorch';
  const hp: AdadeltaHyper = {
    lr: o.lr ?? (torch ? 1.0 : 0.001),
    rho: o.rho ?? (torch ? 0.9 : 0.95),
    epsilon: o.epsilon ?? (torch ? 1e-6 : 1e-7),
    weightDecay: o.weightDecay ?? 0,
    convention,
  };
  checkLr('adadelta', hp.lr);
  checkHyper('adadelta', 'rho', hp.rho, 0, 1);
  checkHyper('adadelta', 'epsilon', hp.epsilon, 0);
  checkHyper('adadelta', 'weightDecay', hp.weightDecay, 0);
  return pureRule({
    name: 'adadelta',
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init: (p) => ({ squareAvg: zerosLike(p), accDelta: zerosLike(p) }),
    update(g0: Tensor, p: Tensor, s: SlotState, step: number, it = step - 1) {
      const lr = resolveLr(hp.lr, it, 'adadelta');
      const { rho, epsilon: eps } = hp;
      const g = withL2(g0, p, hp.weightDecay);
      // v ← ρv + (1-ρ)g²
      const squareAvg = add(mul(s.squareAvg, rho), mul(square(g), 1 - rho));
      // Δ = √(a + ε) / √(v + ε) · g, with the updated v and the previous a
      const delta = mul(div(sqrt(add(s.accDelta, eps)), sqrt(add(squareAvg, eps))), g);
      // a ← ρa + (1-ρ)Δ²
      const accDelta = add(mul(s.accDelta, rho), mul(square(delta), 1 - rho));
      return { param: sub(p, mul(delta, lr)), state: { squareAvg, accDelta } };
    },
  });
}

/**
 * Adadelta (Zeiler), PyTorch `torch.optim.Adadelta` semantics and defaults (lr 1, ρ 0.9, ε 1e-6) by default.
 * @example const opt = new Adadelta(model.parameters(), { rho: 0.95 });
 */
export class Adadelta extends Optimizer {
  constructor(params?: ParamsInput, opts: AdadeltaOptions = {}) {
    super(adadeltaRule(opts), params, opts);
  }
}
