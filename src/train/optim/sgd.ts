// SGD with optional momentum and Nesterov momentum: the pure rule and the PyTorch-style class.
import type { Tensor } from '../../core/tensor.js';
import { zerosLike } from '../../core/tensor.js';
import { ValueError } from '../../core/errors.js';
import { add, mul, sub } from '../../ops/elementwise/builders.js';
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

export interface SGDOptions extends ClipOptions {
  /** Learning rate (default 0.01, Keras) or a schedule. */
  lr?: LearningRate;
  momentum?: number;
  /** PyTorch dampening of the momentum buffer (default 0). */
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /**
   * 'pytorch' (= 'tfjs' `tf.train.momentum`): b ← μb + (1-d)g, p ← p - lr·b (Nesterov: p ← p - lr(g + μb)).
   * 'keras': velocity v ← μv - lr·g, p ← p + v (Nesterov: p ← p + μv - lr·g).
   * The two agree while lr is constant; they differ when a schedule changes lr.
   */
  convention?: Convention;
}

export interface SGDHyper extends BaseHyper {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/** The SGD update rule (state: `momentum` when momentum ≠ 0, else none). */
export function sgdRule(o: SGDOptions = {}): UpdateRule<SlotState, SGDHyper> {
  checkOptions('SGD', o, [
    'lr',
    'momentum',
    'dampening',
    'nesterov',
    'weightDecay',
    'convention',
    ...CLIP_KEYS,
  ]);
  const hp: SGDHyper = {
    lr: o.lr ?? 0.01,
    momentum: o.momentum ?? 0,
    dampening: o.dampening ?? 0,
    nesterov: o.nesterov ?? false,
    weightDecay: o.weightDecay ?? 0,
    convention: checkConvention('sgd', o.convention ?? 'pytorch'),
  };
  checkLr('sgd', hp.lr);
  checkHyper('sgd', 'momentum', hp.momentum, 0, 1);
  checkHyper('sgd', 'dampening', hp.dampening, 0, 1);
  checkHyper('sgd', 'weightDecay', hp.weightDecay, 0);
  if (hp.nesterov && (hp.momentum === 0 || hp.dampening !== 0))
    throw new ValueError(
      `sgd: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${hp.momentum}, dampening ${hp.dampening})`,
    );
  return pureRule({
    name: 'sgd',
    hp,
    elementwise: true, // only elementwise ops: the optimizer may update every parameter at once
    init: (p): SlotState => (hp.momentum ? { momentum: zerosLike(p) } : {}),
    update(
      g0: Tensor,
      p: Tensor,
      s: SlotState,
      step: number,
      it = step - 1,
    ): { param: Tensor; state: SlotState } {
      const lr = resolveLr(hp.lr, it, 'sgd');
      const g = withL2(g0, p, hp.weightDecay);
      const mu = hp.momentum;
      if (!mu) return { param: sub(p, mul(g, lr)), state: {} };
      if (hp.convention === 'keras') {
        // v ← μv - lr·g; p ← p + v  (Nesterov: p ← p + μv - lr·g)
        const v = sub(mul(s.momentum, mu), mul(g, lr));
        const param = hp.nesterov ? sub(add(p, mul(v, mu)), mul(g, lr)) : add(p, v);
        return { param, state: { momentum: v } };
      }
      // b ← g on the parameter's first update (its own count: Optimizer.applyUpdates), then μb + (1-d)g; p ← p - lr·(Nesterov ? g + μb : b)
      const b = step === 1 ? g : add(mul(s.momentum, mu), hp.dampening ? mul(g, 1 - hp.dampening) : g);
      const d = hp.nesterov ? add(g, mul(b, mu)) : b;
      return { param: sub(p, mul(d, lr)), state: { momentum: b } };
    },
  });
}

/**
 * Stochastic gradient descent, PyTorch `torch.optim.SGD` semantics.
 * @example const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 */
export class SGD extends Optimizer {
  constructor(params?: ParamsInput, opts: SGDOptions = {}) {
    super(sgdRule(opts), params, opts);
  }
}
