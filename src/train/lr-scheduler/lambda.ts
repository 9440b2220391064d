// The user-function schedulers of torch.optim.lr_scheduler (1.13): LambdaLR (rate = initial rate · f(epoch))
// and MultiplicativeLR (rate ← rate · f(epoch) every epoch after the first).
import { checkOptionsObject } from '../../core/options.js';
import { ValueError } from '../../core/errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRScheduler, show } from './base.js';

/** Options of {@link LambdaLR} and {@link MultiplicativeLR}. */
export interface LambdaLROptions {
  /** `(epoch) => factor` (PyTorch `lr_lambda`; one function, as tapegrad optimizers have one rate). */
  lrLambda: (epoch: number) => number;
  lastEpoch?: number;
}

function checkLambda(name: string, f: unknown): (epoch: number) => number {
  if (typeof f !== 'function')
    throw new ValueError(`${name}: lrLambda must be a function (epoch) => factor, got ${show(f)}`);
  return f as (epoch: number) => number;
}

/** The factor `f(epoch)`, refused unless a finite number. */
function factorAt(name: string, f: (epoch: number) => number, epoch: number): number {
  const v = f(epoch);
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ValueError(`${name}: lrLambda(${epoch}) returned ${show(v)}; expected a finite number`);
  return v;
}

/**
 * PyTorch `LambdaLR`: rate = initial rate · lrLambda(epoch).
 * NOTE: `stateDict` does not save the function (PyTorch saves only callable objects' attributes).
 * @example new tg.optim.lrScheduler.LambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch })
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambda: (epoch: number) => number;
  protected readonly stateKeys = [];
  constructor(optimizer: Optimizer, o: LambdaLROptions) {
    checkOptionsObject('LambdaLR', o, ['lrLambda', 'lastEpoch'], { required: true });
    super('LambdaLR', optimizer, o.lastEpoch);
    this.lrLambda = checkLambda('LambdaLR', o.lrLambda);
    this.initialStep();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((b) => b * factorAt(this.name, this.lrLambda, this.lastEpoch));
  }
}

/**
 * PyTorch `MultiplicativeLR`: rate ← rate · lrLambda(epoch) at every epoch after the first.
 * NOTE: `stateDict` does not save the function (as PyTorch for plain functions).
 */
export class MultiplicativeLR extends LRScheduler {
  readonly lrLambda: (epoch: number) => number;
  protected readonly stateKeys = [];
  constructor(optimizer: Optimizer, o: LambdaLROptions) {
    checkOptionsObject('MultiplicativeLR', o, ['lrLambda', 'lastEpoch'], { required: true });
    super('MultiplicativeLR', optimizer, o.lastEpoch);
    this.lrLambda = checkLambda('MultiplicativeLR', o.lrLambda);
    this.initialStep();
  }
  protected getLr(): number[] {
    if (this.lastEpoch > 0) return [this.lr * factorAt(this.name, this.lrLambda, this.lastEpoch)];
    return [this.lr];
  }
}
