// PyTorch's class losses: `nn.CrossEntropyLoss` (over tg.crossEntropy, the composition of logSoftmax and a `take`
// of each label's log-probability) and `nn.NLLLoss` (the same `take` on log-probabilities the caller computed).
// Inputs [N, C], [N, C, d1, ...] or one unbatched sample [C]; class-index targets [N, d1, ...] (or a scalar).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { shapesEqual } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { crossEntropy } from '../../ops/composite/cross-entropy.js';
import { div, mul, neg } from '../../ops/elementwise/builders.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { take } from '../../ops/network/builders.js';
import { sum } from '../../ops/reduce/builders.js';
import { Loss, type Reduction } from './losses.js';

/** PyTorch's ignore_index: an integer. */
function ignoreOption(who: string, v: unknown): number {
  const i = v ?? -100;
  if (typeof i !== 'number' || !Number.isInteger(i))
    throw new ValueError(`${who}: ignoreIndex must be an integer, got ${JSON.stringify(v) ?? String(v)}`);
  return i;
}

/**
 * An unbatched sample [C] (with a scalar class index, or probabilities [C] when `probs`) as a batch of one; null
 * when the input is batched.
 */
function asBatch(input: Tensor, target: Tensor, probs: boolean): [Tensor, Tensor] | null {
  if (input.rank !== 1) return null;
  const c = input.shape[0];
  if (target.rank === 0) return [reshape(input, [1, c]), reshape(target, [1])];
  if (probs && shapesEqual(target.shape, input.shape))
    return [reshape(input, [1, c]), reshape(target, [1, c])];
  throw new ShapeError(
    `for an unbatched input ${fmtShape(input.shape)} the target must be a class index (a scalar)${probs ? ` or probabilities ${fmtShape(input.shape)}` : ''}, got ${fmtShape(target.shape)}`,
  );
}

/**
 * PyTorch `nn.CrossEntropyLoss({ weight, ignoreIndex = -100, reduction, labelSmoothing = 0 })` from logits: class
 * indices or class probabilities (a float target of the input's shape) as PyTorch 1.13; 'mean' over class indices
 * divides by the summed weights of the counted targets. Numbers and gradients of tg.crossEntropy.
 * ignoreIndex applies to class indices only; with probability targets a non-negative one is refused, as PyTorch's.
 */
export class CrossEntropyLoss extends Loss {
  static override className = 'CrossEntropyLoss';
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(
    opts: {
      weight?: Tensor | null;
      ignoreIndex?: number;
      reduction?: Reduction;
      labelSmoothing?: number;
      name?: string;
    } = {},
  ) {
    super(opts, ['weight', 'ignoreIndex', 'labelSmoothing']);
    this.weightBuffer('weight', opts.weight);
    this.ignoreIndex = ignoreOption('CrossEntropyLoss', opts.ignoreIndex);
    const ls = opts.labelSmoothing ?? 0;
    if (typeof ls !== 'number' || !(ls >= 0 && ls <= 1))
      throw new ValueError(
        `CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: ${JSON.stringify(ls) ?? String(ls)}`,
      );
    this.labelSmoothing = ls;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    const one = asBatch(input, target, true);
    const [x, t] = one ?? [input, target];
    const probs = shapesEqual(t.shape, x.shape);
    // PyTorch 1.13 (LossNLL.cpp): ignore_index < 0 is required with probabilities, where it is not read
    if (probs && this.ignoreIndex >= 0)
      throw new ValueError(
        `ignore_index is not supported for floating point target (probabilities): got ignoreIndex ${this.ignoreIndex}; leave it at its default -100`,
      );
    const y = crossEntropy(x, t, {
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
      ...(this.weight && { weight: this.weight }),
      ...(!probs && { ignoreIndex: this.ignoreIndex }),
    });
    return one && this.reduction === 'none' ? reshape(y, []) : y;
  }
}

/**
 * PyTorch `nn.NLLLoss({ weight, ignoreIndex = -100, reduction })` on log-probabilities: −w[y]·input[y] per element;
 * 'mean' divides by the summed weights of the counted targets (NaN when every target is ignored, as PyTorch).
 */
export class NLLLoss extends Loss {
  static override className = 'NLLLoss';
  declare weight: Tensor | null;
  readonly ignoreIndex: number;
  constructor(
    opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction; name?: string } = {},
  ) {
    super(opts, ['weight', 'ignoreIndex']);
    this.weightBuffer('weight', opts.weight);
    this.ignoreIndex = ignoreOption('NLLLoss', opts.ignoreIndex);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    this.checkArgs(input, target);
    if (input.rank === 0)
      throw new ShapeError(`input must be [C], [N, C] or [N, C, d1, ...] log-probabilities, got a scalar`);
    const one = asBatch(input, target, false);
    const y = this.nll(...(one ?? [input, target]));
    return one && this.reduction === 'none' ? reshape(y, []) : y;
  }
  /** The loss of a batch [N, C, ...] with PyTorch's checks and messages. */
  private nll(x: Tensor, target: Tensor): Tensor {
    const [n, c] = x.shape;
    const w = this.weight;
    if (w && (w.rank !== 1 || w.shape[0] !== c))
      throw new ShapeError(
        `weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: [${w.shape.join(', ')}]`,
      );
    const outShape = [n, ...x.shape.slice(2)];
    if (target.rank === 0 || target.shape[0] !== n)
      throw new ShapeError(
        `Expected input batch_size (${n}) to match target batch_size (${target.rank ? target.shape[0] : 'none: a scalar target'}).`,
      );
    if (!shapesEqual(target.shape, outShape))
      throw new ShapeError(`Expected target size [${outShape.join(', ')}], got [${target.shape.join(', ')}]`);
    // class axis last: [N, d1, ..., C] → rows [M, C]
    const perm = [0, ...outShape.slice(1).map((_, i) => i + 2), 1];
    const rows = reshape(x.rank === 2 ? x : transpose(x, perm), [-1, c]);
    const m = rows.shape[0];
    const d = target.raw;
    const flat = new Int32Array(m);
    const cls = new Int32Array(m);
    const keep = x.dtype === 'float64' ? new Float64Array(m) : new Float32Array(m);
    let kept = 0;
    for (let i = 0; i < m; i++) {
      const y = d[i];
      if (y === this.ignoreIndex) continue; // flat, cls and keep stay 0: the element adds nothing
      if (!Number.isInteger(y) || y < 0 || y >= c)
        throw new ValueError(
          `Target ${y} is out of bounds (position ${i}: expected a class index in [0, ${c - 1}] or ignoreIndex ${this.ignoreIndex})`,
        );
      flat[i] = i * c + y;
      cls[i] = y;
      keep[i] = 1;
      kept++;
    }
    const picked = take(rows, new Tensor(flat, [m])); // input[i, yᵢ]
    // wy[i] = w[yᵢ] for counted elements, 0 for ignored ones (no mask when every element counts and no weight)
    const mask = kept === m && !w ? null : new Tensor(keep, [m]);
    const wy = w ? mul(take(w, new Tensor(cls, [m])), mask!) : mask;
    const per = neg(wy ? mul(picked, wy) : picked);
    if (this.reduction === 'none') return reshape(per, outShape);
    if (this.reduction === 'sum') return sum(per);
    return div(sum(per), wy ? sum(wy) : m);
  }
}
