// PyTorch's margin and embedding losses: `nn.CosineEmbeddingLoss`, `MarginRankingLoss`, `HingeEmbeddingLoss`,
// `SoftMarginLoss`, `MultiLabelSoftMarginLoss` and `TripletMarginLoss`, with PyTorch 1.13's formulas (values and
// gradients), compositions of tape ops. The class-index margin losses are in losses-multi.ts.
// NOTE: PyTorch's clamp_min(·, 0) passes the gradient where its input is exactly 0; maximum(·, 0) does the same (the
// first operand takes the gradient at a tie), so a margin boundary has PyTorch's gradient.
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { broadcastShapes } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import {
  add,
  cast,
  div,
  equal,
  greater,
  less,
  maximum,
  mul,
  neg,
  notEqual,
  softplus,
  sqrt,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { sum } from '../../ops/reduce/builders.js';
import { broadcastPair, distanceP, numberOption, pairwiseDistanceOf } from './distance.js';
import { show } from './functional-args.js';
import { Loss, type Reduction } from './losses.js';

/** An argument of a loss: a Tensor (a float one when `float`), named in the error otherwise. */
export function tensorArg(v: unknown, what: string, float = true): Tensor {
  if (!(v instanceof Tensor)) throw new ValueError(`${what} must be a Tensor, got ${describeValue(v)}`);
  if (float && !isFloat(v.dtype)) throw new ValueError(`${what} must be float32 or float64, got ${v.dtype}`);
  return v;
}

/** The broadcast shape of two tensors, or an error naming both shapes (a module's call adds its name). */
export function shapeOf(a: [string, Tensor], b: [string, Tensor]): number[] {
  try {
    return broadcastShapes(a[1].shape, b[1].shape);
  } catch {
    throw new ShapeError(
      `${a[0]} ${fmtShape(a[1].shape)} and ${b[0]} ${fmtShape(b[1].shape)} cannot be broadcast together`,
    );
  }
}

/** PyTorch 1.13's EPSILON of cosine_embedding_loss, a float32 constant (1e-12 rounded to float32). */
const EPSILON = Math.fround(1e-12);

/** A target of the input's float dtype (PyTorch's ±1 targets may be integers). */
const asFloat = (t: Tensor, like: Tensor): Tensor => cast(t, like.dtype);

/**
 * PyTorch `nn.CosineEmbeddingLoss({ margin = 0, reduction })`, forward(input1, input2, target): inputs [N, D] with
 * target [N] (or [D] with a scalar target) of ±1; 1 − cos where y = 1, max(0, cos − margin) where y = −1, 0 for any
 * other y. cos is PyTorch 1.13's Σx1·x2 / √((Σx1² + ε)(Σx2² + ε)), ε = 1e-12 as float32.
 */
export class CosineEmbeddingLoss extends Loss {
  static override className = 'CosineEmbeddingLoss';
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction; name?: string } = {}) {
    super(opts, ['margin']);
    this.margin = numberOption('CosineEmbeddingLoss', 'margin', opts.margin ?? 0);
  }
  override forward(input1: Tensor, input2: Tensor, target?: Tensor): Tensor {
    tensorArg(input1, 'input1 (the 1st argument)');
    tensorArg(input2, 'input2 (the 2nd argument)');
    const y = tensorArg(target, 'target (the 3rd argument)', false);
    if (y.rank > 1)
      throw new ShapeError(
        `0D or 1D target tensor expected, multi-target not supported (got target ${fmtShape(y.shape)})`,
      );
    const want = y.rank + 1;
    if (input1.rank !== want || input2.rank !== want)
      throw new ShapeError(
        `${y.rank}D target tensor ${fmtShape(y.shape)} expects ${want}D input tensors, but found input1 ${fmtShape(input1.shape)} and input2 ${fmtShape(input2.shape)}`,
      );
    const [a, b] = broadcastPair('', input1, input2, ['input1', 'input2']);
    const ax = [y.rank];
    const prod = sum(mul(a, b), ax);
    const denom = sqrt(mul(add(sum(mul(a, a), ax), EPSILON), add(sum(mul(b, b), ax), EPSILON)));
    const cos = div(prod, denom);
    shapeOf(
      [`the cosines of input1 ${fmtShape(input1.shape)} and input2 ${fmtShape(input2.shape)}`, cos],
      ['target', y],
    );
    const pos = sub(1, cos);
    const negative = maximum(sub(cos, this.margin), 0);
    return this.reduce(add(where(equal(y, 1), pos, 0), where(equal(y, -1), negative, 0)));
  }
}

/**
 * PyTorch `nn.MarginRankingLoss({ margin = 0, reduction })`, forward(input1, input2, target):
 * max(0, −y·(x1 − x2) + margin), all three broadcast (of one rank, as PyTorch requires).
 */
export class MarginRankingLoss extends Loss {
  static override className = 'MarginRankingLoss';
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction; name?: string } = {}) {
    super(opts, ['margin']);
    this.margin = numberOption('MarginRankingLoss', 'margin', opts.margin ?? 0);
  }
  override forward(input1: Tensor, input2: Tensor, target?: Tensor): Tensor {
    tensorArg(input1, 'input1 (the 1st argument)');
    tensorArg(input2, 'input2 (the 2nd argument)');
    const y = tensorArg(target, 'target (the 3rd argument)', false);
    if (input1.rank !== input2.rank || input1.rank !== y.rank)
      throw new ShapeError(
        `All input tensors should have same dimension but got sizes: input1: ${fmtShape(input1.shape)}, input2: ${fmtShape(input2.shape)}, target: ${fmtShape(y.shape)}`,
      );
    const [a, b] = broadcastPair('', input1, input2, ['input1', 'input2']);
    shapeOf(['input1 - input2', a], ['target', y]);
    return this.reduce(maximum(add(neg(mul(asFloat(y, a), sub(a, b))), this.margin), 0));
  }
}

/**
 * PyTorch `nn.HingeEmbeddingLoss({ margin = 1, reduction })`, forward(input, target): x where y ≠ −1 plus
 * max(0, margin − x) where y ≠ 1 (so x for y = 1, the hinge for y = −1), input and target broadcast.
 */
export class HingeEmbeddingLoss extends Loss {
  static override className = 'HingeEmbeddingLoss';
  readonly margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction; name?: string } = {}) {
    super(opts, ['margin']);
    this.margin = numberOption('HingeEmbeddingLoss', 'margin', opts.margin ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    shapeOf(['input', input], ['target', target]);
    const hinge = maximum(sub(this.margin, input), 0);
    return this.reduce(add(where(notEqual(target, 1), hinge, 0), where(notEqual(target, -1), input, 0)));
  }
}

/**
 * PyTorch `nn.SoftMarginLoss({ reduction })`: log(1 + exp(−y·x)), input and target broadcast.
 * NOTE: computed as softplus(−y·x), which stays finite where PyTorch's log1p(exp(−y·x)) overflows to Infinity
 * (−y·x > 709 in float64); elsewhere the same value and gradient −y·σ(−y·x).
 */
export class SoftMarginLoss extends Loss {
  static override className = 'SoftMarginLoss';
  constructor(opts: { reduction?: Reduction; name?: string } = {}) {
    super(opts, []);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    shapeOf(['input', input], ['target', target]);
    return this.reduce(softplus(neg(mul(input, asFloat(target, input)))));
  }
}

/**
 * PyTorch `nn.MultiLabelSoftMarginLoss({ weight, reduction })` on logits [N, C] (or [C]) and 0/1 targets:
 * mean over the classes of w·(y·softplus(−x) + (1 − y)·softplus(x)) (= −(y·logσ(x) + (1 − y)·logσ(−x))), one loss per
 * sample; weight broadcasts against the input.
 */
export class MultiLabelSoftMarginLoss extends Loss {
  static override className = 'MultiLabelSoftMarginLoss';
  declare weight: Tensor | null;
  constructor(opts: { weight?: Tensor | null; reduction?: Reduction; name?: string } = {}) {
    super(opts, ['weight']);
    this.weightBuffer('weight', opts.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    if (input.rank === 0) throw new ShapeError(`input must be [C] or [N, C] logits, got a scalar`);
    shapeOf(['input', input], ['target', target]);
    if (this.weight) shapeOf(['input', input], ['weight', this.weight]);
    const y = asFloat(target, input);
    let per = add(mul(y, softplus(neg(input))), mul(sub(1, y), softplus(input)));
    if (this.weight) per = mul(per, this.weight);
    // PyTorch sums over axis input.rank − 1 of the (broadcast) losses, its class_dim, and divides by C
    const classDim = input.rank - 1;
    return this.reduce(div(sum(per, [classDim]), input.shape[classDim]));
  }
}

/**
 * PyTorch `nn.TripletMarginLoss({ margin = 1, p = 2, eps = 1e-6, swap = false, reduction })`,
 * forward(anchor, positive, negative) of one rank: max(0, margin + d(a, p) − d(a, n)) with d the
 * pairwiseDistance (p, eps); with swap, d(a, n) is min(d(a, n), d(p, n)) (a tie shares the gradient, as PyTorch).
 */
export class TripletMarginLoss extends Loss {
  static override className = 'TripletMarginLoss';
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(
    opts: {
      margin?: number;
      p?: number;
      eps?: number;
      swap?: boolean;
      reduction?: Reduction;
      name?: string;
    } = {},
  ) {
    super(opts, ['margin', 'p', 'eps', 'swap']);
    const W = 'TripletMarginLoss';
    this.margin = numberOption(W, 'margin', opts.margin ?? 1);
    this.p = distanceP(W, opts.p ?? 2);
    this.eps = numberOption(W, 'eps', opts.eps ?? 1e-6);
    const swap = opts.swap ?? false;
    if (typeof swap !== 'boolean')
      throw new ValueError(`${W}: swap must be true or false, got ${show(swap)}`);
    this.swap = swap;
  }
  override forward(anchor: Tensor, positive: Tensor, negative?: Tensor): Tensor {
    const a = tensorArg(anchor, 'anchor (the 1st argument)');
    const p = tensorArg(positive, 'positive (the 2nd argument)');
    const n = tensorArg(negative, 'negative (the 3rd argument)');
    if (a.rank !== p.rank || p.rank !== n.rank)
      throw new ShapeError(
        `All inputs should have same dimension but got ${a.rank}D, ${p.rank}D and ${n.rank}D inputs (anchor ${fmtShape(a.shape)}, positive ${fmtShape(p.shape)}, negative ${fmtShape(n.shape)})`,
      );
    const dist = (x: Tensor, y: Tensor, names: string[]): Tensor =>
      pairwiseDistanceOf('', x, y, this.p, this.eps, false, names);
    const dPos = dist(a, p, ['anchor', 'positive']);
    let dNeg = dist(a, n, ['anchor', 'negative']);
    if (this.swap) {
      const dSwap = dist(p, n, ['positive', 'negative']);
      // min with PyTorch's tie rule: each side takes half the gradient where they are equal
      dNeg = where(less(dNeg, dSwap), dNeg, where(greater(dNeg, dSwap), dSwap, mul(add(dNeg, dSwap), 0.5)));
    }
    shapeOf(['d(anchor, positive)', dPos], ['d(anchor, negative)', dNeg]);
    return this.reduce(maximum(sub(add(dPos, this.margin), dNeg), 0));
  }
}
