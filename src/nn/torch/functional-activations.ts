// `tg.nn.functional` (PyTorch's `torch.nn.functional`), part 3: the activations of activation-modules.ts as functions
// (hardtanh, relu6, hardsigmoid, hardswish, softmin, threshold, tanhshrink, prelu, celu, mish, silu, glu,
// logsigmoid), each the module's op (no second implementation) with PyTorch 1.13's argument rules.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import {
  celu as celuOp,
  hardSigmoid,
  logSigmoid,
  mish as mishOp,
  relu6 as relu6Op,
  silu as siluOp,
  softmax as softmaxOp,
  tanhShrink,
} from '../../ops/composite/activations.js';
import { neg } from '../../ops/elementwise/builders.js';
import {
  checkedGlu,
  hardswish as hardswishOp,
  hardtanh as hardtanhOp,
  prelu as preluOp,
  threshold as thresholdOp,
} from './activation-modules.js';
import { functional, noInplace, show, tensorOrNull, who } from './functional-args.js';
import { softmaxAxis } from './functional-layers.js';

/** A number argument, named in the error otherwise. */
function num(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new ValueError(`${who(name)}: ${what} must be a number, got ${show(v)}`);
  return v;
}
/** A functional whose only arguments are input and inplace (false only), running `op`. */
const inplaceOnly = (name: string, op: (x: Tensor) => Tensor) =>
  functional(name, ['input', 'inplace'], (input: Tensor, inplace: boolean = false): Tensor => {
    noInplace(name, inplace);
    return op(input);
  });

/**
 * PyTorch `F.hardtanh(input, min_val=-1., max_val=1., inplace=False)`: x clipped to [minVal, maxVal], gradient 0 at
 * both bounds (nn.Hardtanh's op).
 * NOTE: minVal > maxVal is refused: PyTorch 1.13's functional returns maxVal everywhere (its module asserts).
 */
export const hardtanh = functional(
  'hardtanh',
  ['input', 'minVal', 'maxVal', 'inplace'],
  (input: Tensor, minVal: number = -1, maxVal: number = 1, inplace: boolean = false): Tensor => {
    num('hardtanh', 'minVal', minVal);
    num('hardtanh', 'maxVal', maxVal);
    if (minVal > maxVal)
      throw new ValueError(
        `${who('hardtanh')}: maxVal must not be less than minVal, got minVal ${minVal}, maxVal ${maxVal}`,
      );
    noInplace('hardtanh', inplace);
    return hardtanhOp(input, minVal, maxVal);
  },
);
/** PyTorch `F.relu6(input, inplace=False)`: min(max(x, 0), 6) (nn.ReLU6's op). */
export const relu6 = inplaceOnly('relu6', relu6Op);
/** PyTorch `F.hardsigmoid(input, inplace=False)`: relu6(x + 3)/6 (nn.Hardsigmoid's op). */
export const hardsigmoid = inplaceOnly('hardsigmoid', (x) => hardSigmoid(x));
/** PyTorch `F.hardswish(input, inplace=False)`: x·relu6(x + 3)/6 with PyTorch's gradient at ±3 (nn.Hardswish's op). */
export const hardswish = inplaceOnly('hardswish', hardswishOp);
/** PyTorch `F.silu(input, inplace=False)`: x·σ(x) (nn.SiLU's op). */
export const silu = inplaceOnly('silu', siluOp);
/** PyTorch `F.mish(input, inplace=False)`: x·tanh(softplus(x)) (nn.Mish's op). */
export const mish = inplaceOnly('mish', mishOp);

/** PyTorch `F.celu(input, alpha=1., inplace=False)`: max(0, x) + min(0, alpha·(exp(x/alpha) - 1)) (nn.CELU's op). */
export const celu = functional(
  'celu',
  ['input', 'alpha', 'inplace'],
  (input: Tensor, alpha: number = 1, inplace: boolean = false): Tensor => {
    if (num('celu', 'alpha', alpha) === 0)
      throw new ValueError(`${who('celu')}: ZeroDivisionError: alpha cannot be 0 for CELU`);
    noInplace('celu', inplace);
    return celuOp(input, alpha);
  },
);

/** PyTorch `F.threshold(input, threshold, value, inplace=False)`: x where x > threshold, else value (nn.Threshold's op). */
export const threshold = functional(
  'threshold',
  ['input', 'threshold', 'value', 'inplace'],
  (input: Tensor, threshold: number, value: number, inplace: boolean = false): Tensor => {
    num('threshold', 'threshold', threshold);
    if (typeof value !== 'number')
      throw new ValueError(`${who('threshold')}: value must be a number, got ${show(value)}`);
    noInplace('threshold', inplace);
    return thresholdOp(input, threshold, value);
  },
);

/** PyTorch `F.tanhshrink(input)`: x - tanh(x) (nn.Tanhshrink's op). */
export const tanhshrink = functional('tanhshrink', ['input'], (input: Tensor): Tensor => tanhShrink(input));
/** PyTorch `F.logsigmoid(input)`: log σ(x) (nn.LogSigmoid's op). */
export const logsigmoid = functional('logsigmoid', ['input'], (input: Tensor): Tensor => logSigmoid(input));

/** PyTorch `F.softmin(input, dim)`: softmax(-x) along dim (nn.Softmin's op; F.softmax's rule and warning without dim). */
export const softmin = functional(
  'softmin',
  ['input', 'dim'],
  (input: Tensor, dim: number | null = null): Tensor =>
    softmaxOp(neg(input), softmaxAxis('softmin', input, dim)),
);

/** PyTorch `F.glu(input, dim=-1)`: dim split in halves a, b → a·σ(b) (nn.GLU's op and checks). */
export const glu = functional('glu', ['input', 'dim'], (input: Tensor, dim: number = -1): Tensor => {
  if (!Number.isInteger(dim)) throw new ValueError(`${who('glu')}: dim must be an integer, got ${show(dim)}`);
  return checkedGlu(who('glu'), input, dim);
});

/**
 * PyTorch `F.prelu(input, weight)`: x where x > 0, else weight·x, weight [1] or one slope per channel [C] (axis 1 of
 * [N, C, ...]) (nn.PReLU's op).
 */
export const prelu = functional('prelu', ['input', 'weight'], (input: Tensor, weight: Tensor): Tensor => {
  const w = tensorOrNull('prelu', 'weight', weight);
  if (!w || w.rank > 1)
    throw new ShapeError(
      `${who('prelu')}: Expected \`weight\` to be a scalar or 1D tensor ([1] or [C]), but got ${w ? `ndim = ${w.rank} (${fmtShape(w.shape)})` : 'null'}`,
    );
  return preluOp(who('prelu'), input, w);
});
