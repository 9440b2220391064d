// PyTorch's loss modules on values: `nn.MSELoss`, `L1Loss`, `SmoothL1Loss`, `HuberLoss`, `BCELoss`,
// `BCEWithLogitsLoss` and `KLDivLoss`, called as `criterion.forward(input, target)`, each with PyTorch's `reduction`.
// The class-index losses (CrossEntropyLoss, NLLLoss) are in class-losses.ts.
// NOTE: the per-element losses are compositions of tape ops written here: the library's composites (mseLoss,
// maeLoss, huberLoss in ops/composite/losses.ts; Keras's in train/losses.ts) return means only, and Keras's clip
// probabilities at 1e-7 where PyTorch clamps logs at -100.
import { ShapeError, ValueError, describeValue } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { checkOptionsObject } from '../../core/options.js';
import { shapesEqual } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { warnOnce } from './functional-args.js';
import {
  abs,
  add,
  div,
  equal,
  exp,
  greater,
  less,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  neg,
  softplus,
  square,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { mean, sum } from '../../ops/reduce/builders.js';
import { Module } from './base.js';

export type Reduction = 'mean' | 'sum' | 'none';
const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
/** PyTorch's shape text in its loss messages: torch.Size([3, 4]). */
const torchSize = (s: readonly number[]): string => `torch.Size([${s.join(', ')}])`;

/**
 * PyTorch's `_Loss`: a module called as `forward(input, target)` whose `reduction` is 'mean' (default: over every
 * element), 'sum' or 'none' (the per-element losses).
 */
export abstract class Loss<R extends string = Reduction> extends Module {
  readonly reduction: R;
  private warned = false;
  constructor(opts: object, keys: readonly string[], reductions = REDUCTIONS) {
    super((opts as { name?: string } | null)?.name);
    const cls = new.target.className;
    if (!Array.isArray(keys))
      throw new ValueError(
        `${cls}: a loss module's constructor passes its option names to super(opts, keys); tg.nn.Loss itself is ` +
          'the base class of the loss modules (MSELoss, CrossEntropyLoss, ...), not a loss',
      );
    checkOptionsObject(cls, opts, ['reduction', ...keys, 'name'], { required: true });
    const r = (opts as { reduction?: unknown }).reduction ?? 'mean';
    if (typeof r !== 'string' || !reductions.includes(r))
      throw new ValueError(
        `${cls}: ${show(r)} is not a valid value for reduction (expected ${reductions.map((v) => `'${v}'`).join(', ')})`,
      );
    this.reduction = r as R;
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
  /** Both arguments are tensors and the input is float (PyTorch's losses take float inputs). */
  protected checkArgs(input: unknown, target: unknown): asserts input is Tensor {
    if (!(input instanceof Tensor))
      throw new ValueError(`input (the 1st argument) must be a Tensor, got ${describeValue(input)}`);
    if (!(target instanceof Tensor))
      throw new ValueError(`target (the 2nd argument) must be a Tensor, got ${describeValue(target)}`);
    if (!isFloat(input.dtype)) throw new ValueError(`input must be float32 or float64, got ${input.dtype}`);
  }
  /** PyTorch's UserWarning when an elementwise loss broadcasts a target of another size (once per module). */
  protected warnBroadcast(input: Tensor, target: Tensor): void {
    if (this.warned || shapesEqual(input.shape, target.shape)) return;
    this.warned = true;
    console.warn(
      `tapegrad: ${this.name} (${this.className}): Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
  /** The reduction of per-element losses. */
  protected reduce(per: Tensor): Tensor {
    const r: string = this.reduction;
    return r === 'none' ? per : r === 'sum' ? sum(per) : mean(per);
  }
  /** A weight option held as a buffer on `prop`, as PyTorch's `_WeightedLoss` registers it (in stateDict when set). */
  protected weightBuffer(name: string, w: unknown, prop = name): void {
    if (w !== undefined && w !== null && !(w instanceof Tensor))
      throw new ValueError(
        `${this.className}: ${prop} must be a Tensor or null, got ${describeValue(w)} (make one with tg.tensor)`,
      );
    this.addBuffer(name, (w as Tensor | null | undefined) ?? null, true, prop);
  }
}

/** PyTorch `nn.MSELoss({ reduction })`: (input − target)², broadcast. */
export class MSELoss extends Loss {
  static override className = 'MSELoss';
  constructor(opts: { reduction?: Reduction; name?: string } = {}) {
    super(opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    this.warnBroadcast(input, target);
    return this.reduce(square(sub(input, target)));
  }
}

/** PyTorch `nn.L1Loss({ reduction })`: |input − target|, broadcast (gradient sign(input − target), 0 at a tie). */
export class L1Loss extends Loss {
  static override className = 'L1Loss';
  constructor(opts: { reduction?: Reduction; name?: string } = {}) {
    super(opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    this.warnBroadcast(input, target);
    return this.reduce(abs(sub(input, target)));
  }
}

/** A threshold option: a number ≥ 0 (or > 0), PyTorch's message otherwise. */
function threshold(who: string, what: string, v: unknown, positive: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new ValueError(`${who}: ${what} must be a number, got ${show(v)}`);
  if (positive ? !(v > 0) : v < 0)
    throw new ValueError(
      `${who}: ${who === 'HuberLoss' ? 'huber_loss' : 'smooth_l1_loss'} does not support ${positive ? 'non-positive' : 'negative'} values for ${what}, got ${v}`,
    );
  return v;
}

/**
 * PyTorch `nn.SmoothL1Loss({ reduction, beta = 1 })`: with e = |input − target|, 0.5·e²/β where e < β, else e − 0.5·β;
 * β = 0 is L1Loss.
 */
export class SmoothL1Loss extends Loss {
  static override className = 'SmoothL1Loss';
  readonly beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number; name?: string } = {}) {
    super(opts, ['beta']);
    this.beta = threshold('SmoothL1Loss', 'beta', opts.beta ?? 1, false);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    this.warnBroadcast(input, target);
    const e = abs(sub(input, target));
    if (this.beta === 0) return this.reduce(e);
    // with q = min(e, β): 0.5·q²/β + (e − q)
    const q = minimum(e, this.beta);
    return this.reduce(add(mul(square(q), 0.5 / this.beta), sub(e, q)));
  }
}

/** PyTorch `nn.HuberLoss({ reduction, delta = 1 })`: with e = |input − target|, 0.5·e² where e ≤ δ, else δ·(e − 0.5·δ). */
export class HuberLoss extends Loss {
  static override className = 'HuberLoss';
  readonly delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number; name?: string } = {}) {
    super(opts, ['delta']);
    this.delta = threshold('HuberLoss', 'delta', opts.delta ?? 1, true);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    this.warnBroadcast(input, target);
    const e = abs(sub(input, target));
    // with q = min(e, δ): 0.5·q² + δ·(e − q) (huberLoss's composition, per element)
    const q = minimum(e, this.delta);
    return this.reduce(add(mul(square(q), 0.5), mul(sub(e, q), this.delta)));
  }
}

/** Target and input of one shape, with PyTorch's message (the binary losses do not broadcast). */
function sameSize(input: Tensor, target: Tensor, logits: boolean): void {
  if (shapesEqual(input.shape, target.shape)) return;
  throw new ShapeError(
    logits
      ? `Target size (${torchSize(target.shape)}) must be the same as input size (${torchSize(input.shape)})`
      : `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}) is deprecated. Please ensure they have the same size.`,
  );
}

/**
 * max(log x, −100) and max(log(1 − x), −100) (as log1p(−x)), PyTorch's clamp; at x = 0 (x = 1) the value is −100 with a
 * zero gradient, not 0·∞.
 */
function clampedLog(x: Tensor): Tensor {
  const pos = greater(x, 0);
  return where(pos, maximum(log(where(pos, x, 1)), -100), -100);
}
function clampedLog1m(x: Tensor): Tensor {
  const below = less(x, 1);
  return where(below, maximum(log1p(neg(where(below, x, 0))), -100), -100);
}

/**
 * PyTorch `nn.BCELoss({ weight, reduction })` on probabilities in [0, 1]: −w·(y·log x + (1 − y)·log(1 − x)), each log
 * clamped at −100; weight broadcasts against the input.
 * NOTE: the gradient is the tape's, −w·(y/x − (1 − y)/(1 − x)); PyTorch's hand-written one divides by
 * max(x·(1 − x), 1e-12) instead, so the two differ where x·(1 − x) < 1e-12 (x within 1e-12 of 0 or 1).
 */
export class BCELoss extends Loss {
  static override className = 'BCELoss';
  declare weight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; name?: string } = {}) {
    super(opts, ['weight']);
    this.weightBuffer('weight', opts.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    sameSize(input, target, false);
    const d = input.raw;
    for (let i = 0; i < d.length; i++)
      if (!(d[i] >= 0 && d[i] <= 1))
        throw new ValueError(
          `all elements of input should be between 0 and 1 (got ${d[i]} at position ${i}; for logits use BCEWithLogitsLoss)`,
        );
    const per = neg(add(mul(target, clampedLog(input)), mul(sub(1, target), clampedLog1m(input))));
    return this.reduce(this.weight ? mul(per, this.weight) : per);
  }
}

/**
 * PyTorch `nn.BCEWithLogitsLoss({ weight, reduction, posWeight })` on logits x: (1 − y)·softplus(x) + p·y·softplus(−x)
 * (= PyTorch's (1 − y)·x + (1 + (p − 1)·y)·log(1 + e⁻ˣ), stable for any x), times weight; posWeight p (one per class,
 * broadcast against the last axis) weighs the positive term.
 */
export class BCEWithLogitsLoss extends Loss {
  static override className = 'BCEWithLogitsLoss';
  declare weight: Tensor | null;
  declare posWeight: Tensor | null;
  constructor(
    opts: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null; name?: string } = {},
  ) {
    super(opts, ['weight', 'posWeight']);
    this.weightBuffer('weight', opts.weight);
    this.weightBuffer('pos_weight', opts.posWeight, 'posWeight');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    sameSize(input, target, true);
    const pos = this.posWeight ? mul(target, this.posWeight) : target;
    const per = add(mul(sub(1, target), softplus(input)), mul(pos, softplus(neg(input))));
    return this.reduce(this.weight ? mul(per, this.weight) : per);
  }
}

/**
 * PyTorch `nn.KLDivLoss({ reduction, logTarget })` on log-probabilities x: y·(log y − x) with 0 where y = 0
 * (xlogy), or with logTarget e^y·(y − x); reduction may also be 'batchmean' (the sum over the batch size, the KL
 * divergence itself).
 * NOTE: 'mean' (the default, as PyTorch) divides by every element, not the batch size; PyTorch 1.13 warns about it
 * (a UserWarning, shown once), so does tapegrad, once per message.
 */
/** PyTorch 1.13's warning for KLDivLoss / F.kl_div with reduction 'mean'. */
export const KLDIV_MEAN_WARNING =
  "reduction: 'mean' divides the total loss by both the batch size and the support size. 'batchmean' divides only by the batch size, and aligns with the KL div math definition. 'mean' will be changed to behave the same as 'batchmean' in the next major release.";
export class KLDivLoss extends Loss<Reduction | 'batchmean'> {
  static override className = 'KLDivLoss';
  readonly logTarget: boolean;
  constructor(opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean; name?: string } = {}) {
    super(opts, ['logTarget'], [...REDUCTIONS, 'batchmean']);
    const lt = opts.logTarget ?? false;
    if (typeof lt !== 'boolean')
      throw new ValueError(`KLDivLoss: logTarget must be true or false, got ${show(lt)}`);
    this.logTarget = lt;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    const y = target;
    const per = this.logTarget
      ? mul(exp(y), sub(y, input))
      : // xlogy(y, y) − y·x, with log 1 (not log 0) where y = 0
        sub(mul(y, log(where(equal(y, 0), 1, y))), mul(y, input));
    if (this.reduction === 'mean') {
      // PyTorch 1.13's UserWarning, after the checks passed; F.klDiv's module (named after it) warns under its name
      const prefix = this.name.startsWith('nn.functional.') ? this.name : 'KLDivLoss';
      warnOnce(`${prefix}: ${KLDIV_MEAN_WARNING}`);
    }
    if (this.reduction !== 'batchmean') return this.reduce(per);
    return input.rank === 0 ? sum(per) : div(sum(per), input.shape[0]);
  }
}
