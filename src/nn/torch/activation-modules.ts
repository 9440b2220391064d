// PyTorch 1.13's activation modules that tg.nn lacked (`nn.GELU`, `nn.SiLU`, `nn.LeakyReLU`, `nn.PReLU`, ...), each
// a thin module over tapegrad's composite activations, with PyTorch's positional constructor arguments and defaults.
// NOTE: `inplace` is accepted as PyTorch's positional/keyword argument but only `false`: tapegrad ops never overwrite
// their input, so `inplace: true` (whose visible effect in PyTorch is the overwritten input) is refused by name.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import { type Tensor, full } from '../../core/tensor.js';
import {
  celu,
  elu,
  gelu,
  glu,
  hardSigmoid,
  leakyRelu,
  logSigmoid,
  mish,
  relu6,
  selu,
  silu,
  softmax,
  softsign,
  tanhShrink,
} from '../../ops/composite/activations.js';
import {
  add,
  div,
  greater,
  less,
  lessEqual,
  maximum,
  minimum,
  mul,
  neg,
  softplus,
  where,
} from '../../ops/elementwise/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { Module } from './base.js';
import { moduleOptions } from './options.js';
import { checkDim, softmaxDim } from './module.js';

const show = (v: unknown): string => (v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v)));

/** `inplace` must be false (see the NOTE at the top). */
function noInplace(cls: string, inplace: unknown): void {
  if (inplace !== false)
    throw new ValueError(
      `${cls}: inplace=${show(inplace)} is not supported (tapegrad ops do not overwrite their inputs); leave it false`,
    );
}
/** A finite number argument, named in the error otherwise. */
function num(cls: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new ValueError(`${cls}: ${what} must be a number, got ${show(v)}`);
  return v;
}

/** The activations whose only constructor argument is `inplace`. */
abstract class InplaceOnly extends Module {
  constructor(readonly inplace = false) {
    super();
    noInplace(new.target.className, inplace);
  }
}

/** PyTorch `nn.GELU(approximate='none')`: x·Φ(x) (erf), or the tanh approximation with 'tanh'. */
export class GELU extends Module {
  static override className = 'GELU';
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new ValueError(`GELU: approximate must be 'none' or 'tanh', got ${show(approximate)}`);
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate === 'tanh');
  }
}
/** PyTorch `nn.SiLU(inplace=False)`: x·σ(x). */
export class SiLU extends InplaceOnly {
  static override className = 'SiLU';
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}
/** PyTorch `nn.Mish(inplace=False)`: x·tanh(softplus(x)). */
export class Mish extends InplaceOnly {
  static override className = 'Mish';
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}
/** PyTorch `nn.SELU(inplace=False)`: scale·elu(x, α) with SELU's constants. */
export class SELU extends InplaceOnly {
  static override className = 'SELU';
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}
/** PyTorch `nn.ReLU6(inplace=False)`: min(max(x, 0), 6), gradient 0 at 0 and 6. */
export class ReLU6 extends InplaceOnly {
  static override className = 'ReLU6';
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}
/** PyTorch `nn.Hardsigmoid(inplace=False)`: relu6(x + 3)/6, gradient 1/6 strictly inside (-3, 3). */
export class Hardsigmoid extends InplaceOnly {
  static override className = 'Hardsigmoid';
  forward(x: Tensor): Tensor {
    return hardSigmoid(x);
  }
}
/**
 * PyTorch `nn.Hardswish(inplace=False)`: x·relu6(x + 3)/6.
 * NOTE: written piecewise (0 below -3, x above 3, x(x+3)/6 between, bounds included) so the gradient at ±3 is
 * PyTorch's hardswish_backward (x/3 + 1/2 for -3 ≤ x ≤ 3), not the product rule's one-sided value.
 */
export class Hardswish extends InplaceOnly {
  static override className = 'Hardswish';
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}
/** Hardswish's op (shared with nn.functional.hardswish). */
export function hardswish(x: Tensor): Tensor {
  const mid = div(mul(x, add(x, 3)), 6);
  return where(greater(x, 3), x, where(less(x, -3), 0, mid));
}
/** PyTorch `nn.LeakyReLU(negative_slope=0.01, inplace=False)`: x where x > 0, else negativeSlope·x. */
export class LeakyReLU extends Module {
  static override className = 'LeakyReLU';
  constructor(
    readonly negativeSlope = 0.01,
    readonly inplace = false,
  ) {
    super();
    num('LeakyReLU', 'negative_slope', negativeSlope);
    noInplace('LeakyReLU', inplace);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}
/** PyTorch `nn.ELU(alpha=1.0, inplace=False)`: x where x > 0, else alpha·(eˣ - 1). */
export class ELU extends Module {
  static override className = 'ELU';
  constructor(
    readonly alpha = 1,
    readonly inplace = false,
  ) {
    super();
    num('ELU', 'alpha', alpha);
    noInplace('ELU', inplace);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}
/** PyTorch `nn.CELU(alpha=1.0, inplace=False)`: max(0, x) + min(0, alpha·(exp(x/alpha) - 1)). */
export class CELU extends Module {
  static override className = 'CELU';
  constructor(
    readonly alpha = 1,
    readonly inplace = false,
  ) {
    super();
    // PyTorch 1.13 refuses alpha 0 at the first forward ("ZeroDivisionError"); here at construction
    if (num('CELU', 'alpha', alpha) === 0)
      throw new ValueError('CELU: alpha must not be 0 (ZeroDivisionError)');
    noInplace('CELU', inplace);
  }
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }
}
/**
 * PyTorch `nn.Softplus(beta=1, threshold=20)`: log(1 + exp(beta·x))/beta, and x itself where beta·x > threshold
 * (gradient 1 there, σ(beta·x) elsewhere).
 */
export class Softplus extends Module {
  static override className = 'Softplus';
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
    num('Softplus', 'beta', beta);
    num('Softplus', 'threshold', threshold);
  }
  forward(x: Tensor): Tensor {
    const bx = mul(x, this.beta);
    return where(greater(bx, this.threshold), x, div(softplus(bx), this.beta));
  }
}
/** PyTorch `nn.Softsign()`: x/(1 + |x|). */
export class Softsign extends Module {
  static override className = 'Softsign';
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}
/** PyTorch `nn.Hardtanh(min_val=-1.0, max_val=1.0, inplace=False)`: x clipped to [minVal, maxVal], gradient 0 at both. */
export class Hardtanh extends Module {
  static override className = 'Hardtanh';
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
    readonly inplace = false,
  ) {
    super();
    num('Hardtanh', 'min_val', minVal);
    num('Hardtanh', 'max_val', maxVal);
    // PyTorch 1.13's assert in Hardtanh.__init__
    if (!(maxVal > minVal))
      throw new ValueError(
        `Hardtanh: max_val must be greater than min_val, got min_val ${minVal}, max_val ${maxVal}`,
      );
    noInplace('Hardtanh', inplace);
  }
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
}
/** Hardtanh's op (shared with nn.functional.hardtanh). */
export function hardtanh(x: Tensor, minVal: number, maxVal: number): Tensor {
  // the bound is maximum's/minimum's first operand, which takes ties: gradient 0 at the bounds, as PyTorch
  return maximum(minVal, minimum(maxVal, x));
}
/** PyTorch `nn.LogSigmoid()`: log σ(x) = -softplus(-x). */
export class LogSigmoid extends Module {
  static override className = 'LogSigmoid';
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}
/** PyTorch `nn.Tanhshrink()`: x - tanh(x). */
export class Tanhshrink extends Module {
  static override className = 'Tanhshrink';
  forward(x: Tensor): Tensor {
    return tanhShrink(x);
  }
}
/** PyTorch `nn.Softmin(dim=None)`: softmax(-x) along dim (without one, nn.Softmax's implicit dim). */
export class Softmin extends Module {
  static override className = 'Softmin';
  constructor(readonly dim: number | null = null) {
    super();
    checkDim('Softmin', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(neg(x), softmaxDim(this.dim, x));
  }
}
/** PyTorch `nn.Threshold(threshold, value, inplace=False)`: x where x > threshold, else value (NaN stays NaN). */
export class Threshold extends Module {
  static override className = 'Threshold';
  constructor(
    readonly threshold: number,
    readonly value: number,
    readonly inplace = false,
  ) {
    super();
    num('Threshold', 'threshold', threshold);
    if (typeof value !== 'number')
      throw new ValueError(`Threshold: value must be a number, got ${show(value)}`);
    noInplace('Threshold', inplace);
  }
  forward(x: Tensor): Tensor {
    return threshold(x, this.threshold, this.value);
  }
}
/** Threshold's op (shared with nn.functional.threshold). */
export function threshold(x: Tensor, threshold: number, value: number): Tensor {
  // PyTorch's kernel: x <= threshold ? value : x (a NaN input is no <= anything, so it passes through)
  return where(lessEqual(x, threshold), value, x);
}
/** PyTorch `nn.GLU(dim=-1)`: split dim in halves a, b → a·σ(b). */
export class GLU extends Module {
  static override className = 'GLU';
  constructor(readonly dim = -1) {
    super();
    if (!Number.isInteger(dim)) throw new ValueError(`GLU: dim must be an integer, got ${show(dim)}`);
  }
  forward(x: Tensor): Tensor {
    return checkedGlu(`${this.name} (GLU)`, x, this.dim);
  }
}
/** GLU's op with PyTorch's checks, errors prefixed with `who` (shared with nn.functional.glu). */
export function checkedGlu(who: string, x: Tensor, dim: number): Tensor {
  const r = x.rank;
  if (r === 0) throw new ShapeError(`${who}: glu does not support scalars because halving size must be even`);
  if (dim < -r || dim >= r)
    throw new ShapeError(
      `${who}: Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim})`,
    );
  const d = dim < 0 ? dim + r : dim;
  if (x.shape[d] % 2 !== 0)
    throw new ShapeError(
      `${who}: Halving dimension must be even, but dimension ${d} is size ${x.shape[d]} (input ${fmtShape(x.shape)})`,
    );
  return glu(x, d);
}

/**
 * PyTorch `nn.PReLU(num_parameters=1, init=0.25)`: x where x > 0, else weight·x, with a learnable `weight`
 * [numParameters] (one slope, or one per channel: axis 1 of [N, C, ...]).
 */
export class PReLU extends Module {
  static override className = 'PReLU';
  weight: Tensor;
  constructor(
    readonly numParameters = 1,
    readonly init = 0.25,
    opts: { name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('PReLU', opts, ['name', 'dtype']);
    if (!Number.isInteger(numParameters) || numParameters < 1)
      throw new ValueError(`PReLU: num_parameters must be a positive integer, got ${show(numParameters)}`);
    num('PReLU', 'init', init);
    this.weight = this.addWeight('weight', [numParameters], (shape, dtype) => full(shape, init, { dtype }));
  }
  forward(x: Tensor): Tensor {
    return prelu(`${this.name} (PReLU)`, x, this.weight);
  }
}
/** PReLU's op with weight [n], errors prefixed with `who` (shared with nn.functional.prelu). */
export function prelu(who: string, x: Tensor, weight: Tensor): Tensor {
  const n = weight.size;
  let w = weight;
  if (n > 1) {
    // PyTorch 1.13's prelu: the channel axis is 1; a 0-D input is refused, a 1-D one has one channel
    if (x.rank === 0) throw new ShapeError(`${who}: Not allow zero-dim input tensor (num_parameters ${n})`);
    const c = x.rank === 1 ? 1 : x.shape[1];
    if (c !== n)
      throw new ShapeError(
        `${who}: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${n} and channel size = ${c} (input ${fmtShape(x.shape)})`,
      );
    // one slope per channel: [C, 1, ...] against the axes after the channel axis
    w = reshape(w, [n, ...new Array<number>(x.rank - 2).fill(1)]);
  }
  return where(greater(x, 0), x, mul(x, w));
}
