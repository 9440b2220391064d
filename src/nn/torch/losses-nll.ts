// PyTorch's likelihood losses `nn.PoissonNLLLoss` and `nn.GaussianNLLLoss`, PyTorch 1.13's formulas (values and
// gradients) as compositions of tape ops.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { shapesEqual } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import {
  add,
  cast,
  div,
  exp,
  greater,
  log,
  maximum,
  mul,
  square,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { expandDims } from '../../ops/movement/builders.js';
import { min } from '../../ops/reduce/builders.js';
import { numberOption } from './distance.js';
import { show } from './functional-args.js';
import { shapeOf, tensorArg } from './losses-margin.js';
import { Loss, type Reduction } from './losses.js';

function boolOption(who: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${who}: ${what} must be true or false, got ${show(v)}`);
  return v;
}

/**
 * PyTorch `nn.PoissonNLLLoss({ logInput = true, full = false, eps = 1e-8, reduction })`: eˣ − y·x on log-rates
 * (logInput), else x − y·log(x + eps); full adds Stirling's y·log y − y + ½·log(2πy) where y > 1. Input and target
 * broadcast.
 */
export class PoissonNLLLoss extends Loss {
  static override className = 'PoissonNLLLoss';
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(
    opts: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction; name?: string } = {},
  ) {
    super(opts, ['logInput', 'full', 'eps']);
    this.logInput = boolOption('PoissonNLLLoss', 'logInput', opts.logInput ?? true);
    this.full = boolOption('PoissonNLLLoss', 'full', opts.full ?? false);
    this.eps = numberOption('PoissonNLLLoss', 'eps', opts.eps ?? 1e-8);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    shapeOf(['input', input], ['target', target]);
    const y = cast(target, input.dtype);
    let per = this.logInput ? sub(exp(input), mul(y, input)) : sub(input, mul(y, log(add(input, this.eps))));
    if (this.full) {
      // Stirling's term where y > 1 (0 elsewhere; the log reads 2 there, so y = 0 gives no 0·log 0)
      const big = greater(y, 1);
      const ys = where(big, y, 2);
      const stirling = add(sub(mul(ys, log(ys)), ys), mul(log(mul(ys, 2 * Math.PI)), 0.5));
      per = add(per, where(big, stirling, 0));
    }
    return this.reduce(per);
  }
}

/**
 * PyTorch `nn.GaussianNLLLoss({ full = false, eps = 1e-6, reduction })`, forward(input, target, var):
 * ½·(log v + (x − y)²/v) (+ ½·log 2π when full) with v = max(var, eps). var has the input's shape, or that shape
 * without its last axis, or with a last axis of 1 (one variance per sample); negative variances are refused.
 * NOTE: as PyTorch, the clamp at eps is not recorded: var's gradient is that of v, passed through unchanged.
 */
export class GaussianNLLLoss extends Loss {
  static override className = 'GaussianNLLLoss';
  readonly full: boolean;
  readonly eps: number;
  constructor(opts: { full?: boolean; eps?: number; reduction?: Reduction; name?: string } = {}) {
    super(opts, ['full', 'eps']);
    this.full = boolOption('GaussianNLLLoss', 'full', opts.full ?? false);
    this.eps = numberOption('GaussianNLLLoss', 'eps', opts.eps ?? 1e-6);
  }
  override forward(input: Tensor, target: Tensor, variance?: Tensor): Tensor {
    this.checkArgs(input, target);
    let v = tensorArg(variance, 'var (the 3rd argument)');
    if (!shapesEqual(v.shape, input.shape)) {
      const lead = input.shape.slice(0, -1);
      if (input.rank > 0 && shapesEqual(lead, v.shape)) v = expandDims(v, -1);
      else if (!(
        input.rank > 0 &&
        v.rank > 0 &&
        shapesEqual(lead, v.shape.slice(0, -1)) &&
        v.shape[v.rank - 1] === 1
      ))
        throw new ShapeError(
          `var is of incorrect size: var ${fmtShape(v.shape)} for input ${fmtShape(input.shape)} (expected the input's shape, that shape without its last axis, or with a last axis of 1)`,
        );
    }
    shapeOf(['input', input], ['target', target]);
    if (v.size > 0 && min(v).item() < 0) throw new ValueError('var has negative entry/entries');
    const vc = add(v, sub(maximum(v, this.eps), v).detach());
    let per = mul(add(log(vc), div(square(sub(input, target)), vc)), 0.5);
    if (this.full) per = add(per, 0.5 * Math.log(2 * Math.PI));
    return this.reduce(per);
  }
}
