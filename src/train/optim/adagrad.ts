// Adagrad: the pure rule and the PyTorch-style class.
import type { Tensor } from '../../core/tensor.js';
import { full } from '../../core/tensor.js';
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

export interface AdagradOptions extends ClipOptions {
  /** Learning rate (default 0.01 for 'pytorch', 0.001 otherwise) or a schedule. */
  lr?: LearningRate;
  /** PyTorch `lr_decay`: the rate used at update t is lr / (1 + (t-1)·lrDecay). */
  lrDecay?: number;
  /** Starting value of the squared-gradient sum (default 0 for 'pytorch', 0.1 otherwise). */
  initialAccumulatorValue?: number;
  /** Default 1e-10 for 'pytorch', 1e-7 otherwise. */
  epsilon?: number;
  weightDecay?: number;
  /**
   * 'pytorch': s ← s + g², p ← p - lr · g / (√s + ε).
   * 'keras' and 'tfjs': s ← s + g², p ← p - lr · g / √(s + ε) (ε inside the root).
   */
  convention?: Convention;
}

export interface AdagradHyper extends BaseHyper {
  lrDecay: number;
  initialAccumulatorValue: number;
  epsilon: number;
}

/** The Adagrad rule (state `sum`). */
export function adagradRule(o: AdagradOptions = {}): UpdateRule<SlotState, AdagradHyper> {
  checkOptions('Adagrad', o, [
    'lr',
    'lrDecay',
    'initialAccumulatorValue',
    'epsilon',
    'weightDecay',
    'convention',
    ...CLIP_KEYS,
  ]);
  const convention = checkConvention('adagrad', o.convention ?? 'pytorch');
  const torch = convention === 'pytorch';
  const hp: AdagradHyper = {
    lr: o.lr ?? (torch ? 0.01 : 0.001),
    lrDecay: o.lrDecay ?? 0,
    initialAccumulatorValue: o.initialAccumulatorValue ?? (torch ? 0 : 0.1),
    epsilon: o.epsilon ?? (torch ? 1e-10 : 1e-7),
    weightDecay: o.weightDecay ?? 0,
    convention,
  };
  checkLr('adagrad', hp.lr);
  checkHyper('adagrad', 'lrDecay', hp.lrDecay, 0);
  checkHyper('adagrad', 'initialAccumulatorValue', hp.initialAccumulatorValue, 0);
  checkHyper('adagrad', 'epsilon', hp.epsilon, 0);
  checkHyper('adagrad', 'weightDecay', hp.weightDecay, 0);
  return pureRule({
    name: 'adagrad',
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init: (p) => ({ sum: full(p.shape, hp.initialAccumulatorValue, { dtype: p.dtype }) }),
    update(g0: Tensor, p: Tensor, s: SlotState, step: number, it = step - 1) {
      // lr_t = lr / (1 + (t-1)·lrDecay)
      const lr = resolveLr(hp.lr, it, 'adagrad') / (1 + (step - 1) * hp.lrDecay);
      const g = withL2(g0, p, hp.weightDecay);
      // s ← s + g²
      const sum = add(s.sum, square(g));
      const den = hp.convention === 'pytorch' ? add(sqrt(sum), hp.epsilon) : sqrt(add(sum, hp.epsilon));
      return { param: sub(p, mul(div(g, den), lr)), state: { sum } };
    },
  });
}

/**
 * Adagrad (Duchi et al.), PyTorch `torch.optim.Adagrad` semantics by default.
 * @example const opt = new Adagrad(model.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer {
  constructor(params?: ParamsInput, opts: AdagradOptions = {}) {
    super(adagradRule(opts), params, opts);
  }
}
