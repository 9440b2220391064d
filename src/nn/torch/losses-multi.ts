// PyTorch's class-index margin losses: `nn.MultiMarginLoss` (multi-class hinge) and `nn.MultiLabelMarginLoss`
// (multi-label hinge), PyTorch 1.13's formulas as compositions of tape ops: a target's entries are picked with
// one-hot masks (comparisons with arange), not by reading the data. Inputs [N, C] or one sample [C].
// NOTE: both count a term only where 1 − (x[y] − x[k]) > 0 strictly, as PyTorch's kernels: relu gives the boundary
// (exactly 0) no gradient, as theirs.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { arange, type Tensor } from '../../core/tensor.js';
import {
  add,
  cast,
  div,
  equal,
  greater,
  lessEqual,
  mul,
  relu,
  square,
  sub,
} from '../../ops/elementwise/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { max, min, sum } from '../../ops/reduce/builders.js';
import { numberOption } from './distance.js';
import { show } from './functional-args.js';
import { Loss, type Reduction } from './losses.js';

/** A class-index target as int32 (PyTorch's int64), refused when float. */
function indexTarget(target: Tensor): Tensor {
  if (isFloat(target.dtype))
    throw new DTypeError(
      `target must hold class indices (an int32 tensor; PyTorch: expected scalar type Long), got ${target.dtype}`,
    );
  return cast(target, 'int32');
}

/** Every target value in [lo, c): read through min/max reductions. */
function checkRange(t: Tensor, lo: number, c: number, what: string): void {
  if (t.size === 0) return;
  const [a, b] = [min(t).item(), max(t).item()];
  if (a < lo || b >= c)
    throw new ValueError(`target out of range: ${what} in [${lo}, ${c - 1}], got values from ${a} to ${b}`);
}

/** cast(comparison) to the input's float dtype. */
const f = (b: Tensor, like: Tensor): Tensor => cast(b, like.dtype);

/**
 * PyTorch `nn.MultiMarginLoss({ p = 1, margin = 1, weight, reduction })`: for a sample x with class y,
 * Σ_{j≠y} w[y]·max(0, margin − x[y] + x[j])ᵖ / C, p 1 or 2; input [N, C] with target [N], or [C] with a scalar (or
 * [1]) target.
 * NOTE: a weight must be 1-D of size C (PyTorch 1.13 reads only weight[y] and does not check the size).
 */
export class MultiMarginLoss extends Loss {
  static override className = 'MultiMarginLoss';
  readonly p: 1 | 2;
  readonly margin: number;
  declare weight: Tensor | null;
  constructor(
    opts: { p?: 1 | 2; margin?: number; weight?: Tensor | null; reduction?: Reduction; name?: string } = {},
  ) {
    super(opts, ['p', 'margin', 'weight']);
    const p = opts.p ?? 1;
    if (p !== 1 && p !== 2)
      throw new ValueError(`MultiMarginLoss: only p == 1 and p == 2 supported, got ${show(p)}`);
    this.p = p;
    this.margin = numberOption('MultiMarginLoss', 'margin', opts.margin ?? 1);
    this.weightBuffer('weight', opts.weight);
    if (this.weight && this.weight.rank !== 1)
      throw new ValueError(
        `MultiMarginLoss: weight must be one-dimensional, got ${fmtShape(this.weight.shape)}`,
      );
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    if (input.rank !== 1 && input.rank !== 2)
      throw new ShapeError(
        `Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${fmtShape(input.shape)}`,
      );
    const x = input.rank === 1 ? reshape(input, [1, input.shape[0]]) : input;
    const [n, c] = x.shape;
    if (target.rank > 1 || target.size !== n)
      throw new ShapeError(
        `inconsistent target size, expected ${n} class indices ([${n}]${n === 1 ? ' or a scalar' : ''}) for input ${fmtShape(input.shape)}, got target ${fmtShape(target.shape)}`,
      );
    const w = this.weight;
    if (w && w.shape[0] !== c)
      throw new ShapeError(`inconsistent weight size, expected ${c} but got ${fmtShape(w.shape)}`);
    const t = indexTarget(target);
    checkRange(t, 0, c, 'class indices');
    const mask = f(equal(reshape(t, [n, 1]), arange(c, undefined, 1, { dtype: 'int32' })), x); // [N, C] one-hot of y
    const xy = sum(mul(x, mask), [1], true); // x[y]
    const z = relu(add(sub(x, xy), this.margin));
    let h = this.p === 2 ? square(z) : z;
    if (w) h = mul(h, sum(mul(mask, cast(w, x.dtype)), [1], true)); // · w[y]
    const per = div(sum(mul(h, sub(1, mask)), [1]), c); // j ≠ y
    if (this.reduction !== 'none') return this.reduce(per);
    return input.rank === 1 && target.rank === 0 ? reshape(per, []) : per;
  }
}

/**
 * PyTorch `nn.MultiLabelMarginLoss({ reduction })`: input [N, C] (or [C]) and a target of the same shape holding each
 * sample's class indices, ended by the first −1; Σ_{j target} Σ_{k not a target} max(0, 1 − (x[j] − x[k])) / C
 * (a class listed twice counts twice, as PyTorch's loop).
 */
export class MultiLabelMarginLoss extends Loss {
  static override className = 'MultiLabelMarginLoss';
  constructor(opts: { reduction?: Reduction; name?: string } = {}) {
    super(opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    if (input.rank !== 1 && input.rank !== 2)
      throw new ShapeError(
        `Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${fmtShape(input.shape)}`,
      );
    if (target.rank !== input.rank || target.shape.some((d, i) => d !== input.shape[i]))
      throw new ShapeError(
        `inconsistent size ${fmtShape(target.shape)} for argument #2 'target': expected the input's shape ${fmtShape(input.shape)}`,
      );
    const x = input.rank === 1 ? reshape(input, [1, input.shape[0]]) : input;
    const [n, c] = x.shape;
    const t = reshape(indexTarget(target), [n, c]);
    checkRange(t, -1, c, 'class indices or -1');
    const cls = arange(c, undefined, 1, { dtype: 'int32' });
    // valid[n, j]: no −1 at positions 0..j (the count of −1 up to j, from the triangle tri[i, j] = i ≤ j, is 0)
    const tri = f(lessEqual(reshape(cls, [c, 1]), reshape(cls, [1, c])), x);
    const negUpTo = sum(mul(reshape(f(equal(t, -1), x), [n, c, 1]), reshape(tri, [1, c, c])), [1]);
    const valid = f(equal(negUpTo, 0), x);
    // pick[n, j, k] = 1 where the j-th listed class (a valid position) is k
    const pick = mul(f(equal(reshape(t, [n, c, 1]), reshape(cls, [1, 1, c])), x), reshape(valid, [n, c, 1]));
    const isTarget = f(greater(sum(pick, [1]), 0), x); // [N, C]
    const xj = sum(mul(pick, reshape(x, [n, 1, c])), [2]); // x of the j-th listed class, [N, C]
    const z = relu(add(sub(1, reshape(xj, [n, c, 1])), reshape(x, [n, 1, c]))); // [N, j, k]
    const counted = mul(reshape(valid, [n, c, 1]), reshape(sub(1, isTarget), [n, 1, c]));
    const per = div(sum(mul(z, counted), [1, 2]), c);
    if (this.reduction !== 'none') return this.reduce(per);
    return input.rank === 1 ? reshape(per, []) : per;
  }
}
