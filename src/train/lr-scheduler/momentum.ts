// Momentum cycling (OneCycleLR, CyclicLR): which hyperparameter of the optimizer's rule plays PyTorch's
// `momentum` (SGD, RMSprop) or `betas[0]` (Adam, AdamW, Adamax, NAdam), read and written through `rule.hp`.
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';

/** The name of the rule hyperparameter to cycle. */
export type MomentumKey = 'momentum' | 'beta1';

/**
 * The hyperparameter `cycleMomentum` drives: `momentum` when the rule has one, else `beta1` when `allowBeta1`
 * (OneCycleLR; PyTorch 1.13's CyclicLR cycles only `momentum`). Anything else is refused by name.
 */
export function momentumKey(name: string, opt: Optimizer, allowBeta1: boolean): MomentumKey {
  const hp = opt.rule.hp as unknown as Record<string, unknown>;
  const which = allowBeta1
    ? 'momentum (SGD, RMSprop) or beta1 (Adam, AdamW, Adamax, NAdam) hyperparameter'
    : 'momentum hyperparameter (SGD, RMSprop; as PyTorch 1.13, CyclicLR does not cycle Adam betas)';
  if (typeof hp.momentum === 'number') {
    // NOTE: PyTorch starts a momentum buffer when momentum becomes non-zero; tapegrad's SGD/RMSprop create
    // their buffer only when built with momentum > 0, so momentum 0 is refused rather than cycled.
    if (hp.momentum === 0)
      throw new ValueError(
        `${name}: cycleMomentum needs the optimizer built with momentum > 0 (${opt.rule.name} has momentum 0, so it keeps no momentum buffer); construct it with e.g. { momentum: 0.9 } or pass cycleMomentum: false`,
      );
    return 'momentum';
  }
  if (allowBeta1 && typeof hp.beta1 === 'number') return 'beta1';
  throw new ValueError(
    `${name}: cycleMomentum is true but the optimizer (${opt.rule.name}) has no ${which}; pass cycleMomentum: false`,
  );
}

/** Set the cycled hyperparameter. */
export function writeMomentum(opt: Optimizer, key: MomentumKey, v: number): void {
  (opt.rule.hp as unknown as Record<string, number>)[key] = v;
}

/** Read the cycled hyperparameter. */
export function readMomentum(opt: Optimizer, key: MomentumKey): number {
  return (opt.rule.hp as unknown as Record<string, number>)[key];
}
