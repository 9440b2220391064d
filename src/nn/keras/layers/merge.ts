// Keras merge layers on lists of tensors: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.
// With masked inputs (Embedding(maskZero), Masking) they set their output's mask from their inputs' masks, as Keras's
// compute_mask does; which rule depends on the Keras version of an imported model (../mask.ts `mergeMasking`).
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import { broadcastShapes, shapesEqual } from '../../../core/shape.js';
import { Tensor, ones } from '../../../core/tensor.js';
import {
  add,
  div,
  maximum,
  minimum,
  mul,
  sqrt,
  square,
  sub,
  where,
} from '../../../ops/elementwise/builders.js';
import { matmul } from '../../../ops/network/builders.js';
import { sum } from '../../../ops/reduce/builders.js';
import { concat, reshape, transpose } from '../../../ops/movement/builders.js';
import { Layer, type LayerArgs, type LayerIO, layerOptions, type OptionsOf } from '../../layer.js';
import { maskEntryOf, maskOf, mergeMasking, setMask } from '../mask.js';

const listShapes = (xs: Tensor[]): string => xs.map((t) => fmtShape(t.shape)).join(', ');
const listMasks = (ms: (Tensor | null)[]): string =>
  ms.map((m) => (m ? fmtShape(m.shape) : 'none')).join(', ');

/** A mask [batch, ...steps] as [batch, ...steps, 1], to broadcast over the features (Keras expand_dims(mask, -1)). */
const overFeatures = (m: Tensor | null): Tensor | null => (m ? reshape(m, [...m.shape, 1]) : null);

/** A layer taking a list of tensors; checks the list before `merge` runs. */
abstract class Merge extends Layer {
  /** Sets its output's mask from its inputs' masks (Keras `compute_mask`), or none (Dot, Keras 3.0–3.3). */
  static handlesMasks = true;
  /** Exact number of inputs (Subtract, Dot), or null for "at least 2". */
  protected arity(): number | null {
    return null;
  }
  /**
   * The merge. `masks` (one per input, null for an unmasked one) is given only under Keras ≥ 3.4's rules, where
   * Maximum, Minimum and Multiply keep masked values out of the result; the other merges ignore masks.
   */
  protected abstract merge(xs: Tensor[], masks: (Tensor | null)[] | null): Tensor;
  /**
   * The output's mask from the inputs' masks (at least one present): under 'and' (Keras 2) the AND of the masks
   * present, under 'or' (Keras ≥ 3.4) the OR of the masks when every input has one, else none.
   */
  protected outputMask(xs: Tensor[], masks: (Tensor | null)[], rule: 'and' | 'or'): Tensor | null {
    const present = masks.filter((m): m is Tensor => m !== null);
    if (rule === 'or' && present.length < masks.length) return null;
    try {
      return present.slice(1).reduce((acc, m) => (rule === 'or' ? maximum(acc, m) : mul(acc, m)), present[0]);
    } catch {
      throw new ShapeError(
        `${this.name} (${this.className}): the masks of its inputs (shapes ${listMasks(masks)}, for inputs ${listShapes(xs)}) do not match`,
      );
    }
  }
  call(inputs: LayerIO): Tensor {
    const who = `${this.name} (${this.className})`;
    const want = this.arity();
    const need = want === null ? 'a list of at least 2 tensors' : `a list of exactly ${want} tensors`;
    if (!Array.isArray(inputs))
      throw new ValueError(
        `${who}: expects ${need}, got a single tensor ${fmtShape((inputs as Tensor).shape ?? [])}`,
      );
    if (inputs.some((t) => !(t instanceof Tensor)))
      throw new ValueError(`${who}: expects ${need}, got a list holding a non-tensor`);
    if (want === null ? inputs.length < 2 : inputs.length !== want)
      throw new ValueError(
        `${who}: expects ${need}, got ${inputs.length}${inputs.length ? ` (shapes ${listShapes(inputs)})` : ''}`,
      );
    const batch = inputs[0].shape[0];
    if (inputs.some((t) => t.rank < 1 || t.shape[0] !== batch))
      throw new ShapeError(
        `${who}: inputs must share the batch size (axis 0); got shapes ${listShapes(inputs)}`,
      );
    for (const t of inputs) if (maskOf(t)) return this.mergeMasked(inputs);
    return this.merge(inputs, null);
  }
  /** The merge of inputs of which at least one carries a mask, with the output's mask set (`mergeMasking`). */
  private mergeMasked(xs: Tensor[]): Tensor {
    const rule = mergeMasking(this);
    // NOTE: Keras 3.0–3.3 handed merge layers no mask (it looked for one on the input list itself): none comes out
    if (rule === 'drop') return this.merge(xs, null);
    const entries = xs.map((t) => maskEntryOf(t));
    const masks = entries.map((e) => e?.mask ?? null);
    const y = this.merge(xs, rule === 'or' ? masks : null);
    const m = this.outputMask(xs, masks, rule);
    if (m) {
      const sources = [...new Set(entries.flatMap((e) => (e ? [e.source] : [])))].join(' and ');
      setMask(y, m, `${sources}, merged by ${this.name} (${this.className})`);
    }
    return y;
  }
}

/** Elementwise merges: shapes must be equal or broadcast (a 1 against anything) past the batch axis. */
abstract class ElementwiseMerge extends Merge {
  static override options = layerOptions<LayerArgs>({});
  protected abstract combine(a: Tensor, b: Tensor): Tensor;
  protected merge(xs: Tensor[], masks: (Tensor | null)[] | null): Tensor {
    try {
      xs.reduce<number[]>((s, t) => broadcastShapes(s, t.shape), [...xs[0].shape]);
    } catch {
      throw new ShapeError(
        `${this.name} (${this.className}): input shapes ${listShapes(xs)} do not match (each axis must be equal, or 1 to broadcast)`,
      );
    }
    if (masks) {
      try {
        return this.mergeKeras3(xs, masks);
      } catch {
        throw new ShapeError(
          `${this.name} (${this.className}): the masks of its inputs (shapes ${listMasks(masks)}) do not cover the inputs ${listShapes(xs)} without their last axis`,
        );
      }
    }
    return this.finish(
      xs.slice(1).reduce((acc, t) => this.combine(acc, t), xs[0]),
      xs.length,
    );
  }
  /** Keras ≥ 3.4 with masked inputs: the plain merge, except for Maximum, Minimum and Multiply. */
  protected mergeKeras3(xs: Tensor[], _masks: (Tensor | null)[]): Tensor {
    return this.merge(xs, null);
  }
  /**
   * Keras ≥ 3.4 `_apply_merge_op_and_or_mask` (Maximum, Minimum): left to right, a masked value of either operand is
   * replaced by the other operand's, so that only unmasked values compete.
   */
  protected combineUnmasked(xs: Tensor[], masks: (Tensor | null)[]): Tensor {
    let out = xs[0];
    let outMask = overFeatures(masks[0]);
    for (let i = 1; i < xs.length; i++) {
      let x = xs[i];
      const m = overFeatures(masks[i]);
      if (m) x = where(m, x, out);
      if (outMask) out = where(outMask, out, x);
      outMask = m && outMask ? maximum(outMask, m) : null;
      out = this.combine(out, x);
    }
    return out;
  }
  protected finish(y: Tensor, _n: number): Tensor {
    return y;
  }
}

/** Sum of the inputs. */
export class Add extends ElementwiseMerge {
  static override className = 'Add';
  protected combine(a: Tensor, b: Tensor): Tensor {
    return add(a, b);
  }
}
/** inputs[0] - inputs[1] (exactly two inputs). */
export class Subtract extends ElementwiseMerge {
  static override className = 'Subtract';
  protected override arity(): number {
    return 2;
  }
  protected combine(a: Tensor, b: Tensor): Tensor {
    return sub(a, b);
  }
}
/** Elementwise product of the inputs. */
export class Multiply extends ElementwiseMerge {
  static override className = 'Multiply';
  protected combine(a: Tensor, b: Tensor): Tensor {
    return mul(a, b);
  }
  /** Keras ≥ 3.4: masked values count as 1; with every input masked, positions masked in all of them give 0. */
  protected override mergeKeras3(xs: Tensor[], masks: (Tensor | null)[]): Tensor {
    const all = masks.every((m) => m !== null);
    let out = xs[0];
    let anyMask: Tensor | null = null;
    for (let i = 0; i < xs.length; i++) {
      const m = overFeatures(masks[i]);
      const x = m ? where(m, xs[i], 1) : xs[i];
      if (m && all) anyMask = anyMask ? maximum(anyMask, m) : m;
      out = i === 0 ? x : mul(out, x);
    }
    return anyMask ? where(anyMask, out, 0) : out;
  }
}
/** Elementwise mean of the inputs: Σ xᵢ / n. */
export class Average extends ElementwiseMerge {
  static override className = 'Average';
  protected combine(a: Tensor, b: Tensor): Tensor {
    return add(a, b);
  }
  protected override finish(y: Tensor, n: number): Tensor {
    return div(y, n);
  }
}
/** Elementwise maximum of the inputs. */
export class Maximum extends ElementwiseMerge {
  static override className = 'Maximum';
  protected combine(a: Tensor, b: Tensor): Tensor {
    return maximum(a, b);
  }
  protected override mergeKeras3(xs: Tensor[], masks: (Tensor | null)[]): Tensor {
    return this.combineUnmasked(xs, masks);
  }
}
/** Elementwise minimum of the inputs. */
export class Minimum extends ElementwiseMerge {
  static override className = 'Minimum';
  protected combine(a: Tensor, b: Tensor): Tensor {
    return minimum(a, b);
  }
  protected override mergeKeras3(xs: Tensor[], masks: (Tensor | null)[]): Tensor {
    return this.combineUnmasked(xs, masks);
  }
}

/** Concatenate along `axis` (default -1); every other axis must match. */
export class Concatenate extends Merge {
  static override className = 'Concatenate';
  static override options = layerOptions<OptionsOf<typeof Concatenate>>({ axis: true });
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args);
    this.axis = args.axis ?? -1;
  }
  protected merge(xs: Tensor[]): Tensor {
    const r = xs[0].rank;
    const a = this.axis < 0 ? this.axis + r : this.axis;
    const who = `${this.name} (Concatenate)`;
    if (xs.some((t) => t.rank !== r))
      throw new ShapeError(`${who}: inputs must have the same rank; got shapes ${listShapes(xs)}`);
    if (a < 1 || a >= r)
      throw new ValueError(
        `${who}: axis ${this.axis} is not a feature axis of inputs of rank ${r} (shapes ${listShapes(xs)})`,
      );
    if (xs.some((t) => t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])))
      throw new ShapeError(
        `${who}: inputs must match on every axis except the concatenation axis ${this.axis}; got shapes ${listShapes(xs)}`,
      );
    return concat(xs, a);
  }
  /**
   * Keras Concatenate.compute_mask: an unmasked input counts as all ones; along a time axis the masks are concatenated,
   * across the last (feature) axis they are ANDed (Keras 2, Keras 3 before 3.4: `all`) or ORed (Keras ≥ 3.4: `any`).
   * NOTE: concatenating a masked and an unmasked input along a time axis fails in Keras 2 (its mask is not broadcast
   * over the features before the concatenation) unless the features are 1; tapegrad gives what Keras ≥ 3.4 gives.
   */
  protected override outputMask(xs: Tensor[], masks: (Tensor | null)[], rule: 'and' | 'or'): Tensor {
    const a = this.axis < 0 ? this.axis + xs[0].rank : this.axis;
    const full = xs.map((x, i) => {
      const want = x.shape.slice(0, -1);
      const m = masks[i];
      if (m && !shapesEqual(m.shape, want))
        throw new ShapeError(
          `${this.name} (Concatenate): input ${i} ${fmtShape(x.shape)} carries a mask ${fmtShape(m.shape)}; a mask must be ${fmtShape(want)}, the input without its last axis`,
        );
      return m ?? ones(want, { dtype: masks.find((q) => q)!.dtype });
    });
    if (a < xs[0].rank - 1) return concat(full, a);
    return full.slice(1).reduce((acc, m) => (rule === 'or' ? maximum(acc, m) : mul(acc, m)), full[0]);
  }
  override getConfig() {
    return { ...super.getConfig(), axis: this.axis };
  }
}

/** x / √max(Σ x² over `axis`, 1e-12) (Keras l2_normalize). */
const l2Normalize = (x: Tensor, axis: number): Tensor =>
  div(x, sqrt(maximum(sum(square(x), [axis], true), 1e-12)));

/**
 * Keras Dot: per sample, contract axis axes[0] of the first input with axes[1] of the second (Keras batch_dot).
 * Output [batch, ...other axes of x, ...other axes of y], or [batch, 1] when nothing is left.
 * normalize: L2-normalise both along the contracted axes first (cosine similarity).
 */
export class Dot extends Merge {
  static override className = 'Dot';
  static override options = layerOptions<OptionsOf<typeof Dot>>({ axes: true, normalize: true });
  readonly axes: number | [number, number];
  readonly normalize: boolean;
  constructor(args: LayerArgs & { axes: number | [number, number]; normalize?: boolean }) {
    super(args);
    if (args.axes === undefined)
      throw new ValueError('Dot: axes is required (an axis, or [axisOfFirst, axisOfSecond])');
    this.axes = args.axes;
    this.normalize = args.normalize ?? false;
  }
  protected override arity(): number {
    return 2;
  }
  /** Keras (2 and 3) and TF.js Dot.compute_mask: the dot product carries no mask. */
  protected override outputMask(): null {
    return null;
  }
  protected merge([x, y]: Tensor[]): Tensor {
    const who = `${this.name} (Dot)`;
    const [p, q] = typeof this.axes === 'number' ? [this.axes, this.axes] : this.axes;
    const ax = p < 0 ? p + x.rank : p;
    const ay = q < 0 ? q + y.rank : q;
    if (x.rank < 2 || y.rank < 2 || ax < 1 || ax >= x.rank || ay < 1 || ay >= y.rank)
      throw new ValueError(
        `${who}: axes ${JSON.stringify(this.axes)} must be feature axes (not the batch) of inputs ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`,
      );
    if (x.shape[ax] !== y.shape[ay])
      throw new ShapeError(
        `${who}: cannot contract axis ${ax} (size ${x.shape[ax]}) of ${fmtShape(x.shape)} with axis ${ay} (size ${y.shape[ay]}) of ${fmtShape(y.shape)}`,
      );
    const [xn, yn] = this.normalize ? [l2Normalize(x, ax), l2Normalize(y, ay)] : [x, y];
    const b = x.shape[0];
    const k = x.shape[ax];
    const restX = x.shape.filter((_, i) => i !== 0 && i !== ax);
    const restY = y.shape.filter((_, i) => i !== 0 && i !== ay);
    const prod = (s: number[]) => s.reduce((u, v) => u * v, 1);
    // [b, restX…, k] · [b, k, restY…] as a batched matmul
    const xm = reshape(transpose(xn, [0, ...[...x.shape.keys()].filter((i) => i !== 0 && i !== ax), ax]), [
      b,
      prod(restX),
      k,
    ]);
    const ym = reshape(transpose(yn, [0, ay, ...[...y.shape.keys()].filter((i) => i !== 0 && i !== ay)]), [
      b,
      k,
      prod(restY),
    ]);
    const out = matmul(xm, ym);
    return reshape(out, restX.length + restY.length === 0 ? [b, 1] : [b, ...restX, ...restY]);
  }
  override getConfig() {
    return { ...super.getConfig(), axes: this.axes, normalize: this.normalize };
  }
}

type MergeArgs = LayerArgs;
export const mergeFactories = {
  add: (a: MergeArgs = {}) => new Add(a),
  subtract: (a: MergeArgs = {}) => new Subtract(a),
  multiply: (a: MergeArgs = {}) => new Multiply(a),
  average: (a: MergeArgs = {}) => new Average(a),
  maximum: (a: MergeArgs = {}) => new Maximum(a),
  minimum: (a: MergeArgs = {}) => new Minimum(a),
  concatenate: (a: MergeArgs & { axis?: number } = {}) => new Concatenate(a),
  dot: (a: MergeArgs & { axes: number | [number, number]; normalize?: boolean }) => new Dot(a),
};
