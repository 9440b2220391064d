// PyTorch 1.13 `nn.EmbeddingBag` and `F.embedding_bag`: the rows of an embedding table looked up (as nn.Embedding's
// take) and reduced per bag by 'sum', 'mean' or 'max'. Bags come from a 2-D input (one bag per row) or a 1-D input
// cut at `offsets`. The bag membership is bookkeeping on the indices (which positions go to which bag, which are
// paddingIdx); the values flow through ops only: sum/mean as a matmul with the membership matrix, max as a masked
// max over a [bags, longest bag, dim] gather. Gradients come from the tape.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { randn } from '../../core/random.js';
import { Tensor, tensor } from '../../core/tensor.js';
import { div, mul, where } from '../../ops/elementwise/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { matmul, take } from '../../ops/network/builders.js';
import { max } from '../../ops/reduce/builders.js';
import { rowIndices } from '../keras/layers/embedding.js';
import { Module } from './base.js';
import { functional, show, who } from './functional-args.js';
import { moduleOptions } from './options.js';

export type BagMode = 'sum' | 'mean' | 'max';
const MODES: readonly string[] = ['sum', 'mean', 'max'];
/** The options both the module and the functional take; the unsupported ones are refused by name. */
interface BagOptions {
  mode?: BagMode;
  paddingIdx?: number | null;
  includeLastOffset?: boolean;
  /** Only null (the default): bags refuse renorming looked-up rows in place (tg.nn.Embedding's maxNorm does it). */
  maxNorm?: number | null;
  /** The norm of maxNorm; with maxNorm null it does nothing, as in PyTorch. */
  normType?: number;
  /** Only false. */
  scaleGradByFreq?: boolean;
  /** Only false (tapegrad has no sparse gradients). */
  sparse?: boolean;
}
export interface EmbeddingBagOptions extends BagOptions {
  name?: string;
  dtype?: DType;
}
export interface EmbeddingBagFunctionalOptions extends BagOptions {
  offsets?: Tensor | readonly number[] | null;
  perSampleWeights?: Tensor | null;
}
const BAG_KEYS = [
  'mode',
  'paddingIdx',
  'includeLastOffset',
  'maxNorm',
  'normType',
  'scaleGradByFreq',
  'sparse',
];

/** The checked options: mode, includeLastOffset, and the refusals of maxNorm, scaleGradByFreq and sparse. */
function bagOptions(where: string, o: BagOptions): { mode: BagMode; includeLast: boolean } {
  const mode = o.mode ?? 'mean';
  if (!MODES.includes(mode))
    throw new ValueError(`${where}: mode has to be one of sum, mean or max, got ${show(mode)}`);
  if (o.maxNorm !== undefined && o.maxNorm !== null)
    throw new ValueError(
      `${where}: maxNorm is not supported by EmbeddingBag (use tg.nn.Embedding's maxNorm, or renorm the weight yourself); leave it null`,
    );
  if (o.normType !== undefined && (typeof o.normType !== 'number' || !(o.normType > 0)))
    throw new ValueError(`${where}: normType must be a positive number, got ${show(o.normType)}`);
  for (const k of ['scaleGradByFreq', 'sparse'] as const) {
    const v = o[k] ?? false;
    if (typeof v !== 'boolean') throw new ValueError(`${where}: ${k} must be true or false, got ${show(v)}`);
    if (v)
      throw new ValueError(
        `${where}: ${k}=true is not supported (${k === 'sparse' ? 'tapegrad has no sparse gradients' : 'bags refuse it: tg.nn.Embedding takes it'}); leave it false`,
      );
  }
  const includeLast = o.includeLastOffset ?? false;
  if (typeof includeLast !== 'boolean')
    throw new ValueError(`${where}: includeLastOffset must be true or false, got ${show(includeLast)}`);
  return { mode, includeLast };
}
/** paddingIdx within [-num, num), made non-negative; null stays null. */
function paddingOf(where: string, p: unknown, num: number): number | null {
  if (p === undefined || p === null) return null;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < -num || p >= num)
    throw new ValueError(`${where}: padding_idx ${show(p)} must be within num_embeddings ${num}`);
  return p < 0 ? p + num : p;
}

/** [start, end) of each bag over the flat input: a 2-D input's rows, or a 1-D input cut at offsets. */
function bagsOf(where: string, x: Tensor, offsets: unknown, includeLast: boolean): [number, number][] {
  if (x.rank === 2) {
    if (offsets !== undefined && offsets !== null)
      throw new ValueError(
        `${where}: if input is 2D, then offsets has to be null, as input is treated is a mini-batch of fixed length sequences; got ${describeValue(offsets)}`,
      );
    const [b, l] = x.shape;
    return Array.from({ length: b }, (_, i): [number, number] => [i * l, (i + 1) * l]);
  }
  if (x.rank !== 1)
    throw new ShapeError(`${where}: input has to be 1D or 2D Tensor, but got ${fmtShape(x.shape)}`);
  if (offsets === undefined || offsets === null)
    throw new ValueError(`${where}: offsets has to be a 1D Tensor (or a list of numbers) but got null`);
  let off: number[];
  if (offsets instanceof Tensor) {
    if (offsets.rank !== 1)
      throw new ShapeError(`${where}: offsets has to be a 1D Tensor, got ${fmtShape(offsets.shape)}`);
    off = Array.from(offsets.data, Number);
  } else if (Array.isArray(offsets)) off = offsets.map(Number);
  else
    throw new ValueError(
      `${where}: offsets must be a 1D Tensor or a list of numbers, got ${describeValue(offsets)}`,
    );
  const m = x.shape[0];
  if (off.length === 0 || (includeLast && off.length < 2))
    throw new ValueError(
      `${where}: offsets needs at least ${includeLast ? '2 entries with includeLastOffset' : '1 entry'}, got ${off.length}`,
    );
  if (off.some((v) => !Number.isInteger(v)))
    throw new ValueError(`${where}: offsets must hold integers, got [${off.join(', ')}]`);
  if (off[0] !== 0)
    throw new ValueError(
      `${where}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${off[0]}`,
    );
  // NOTE: decreasing offsets, and a last offset short of the input with includeLastOffset, are refused: PyTorch 1.13
  // does not check them and reads garbage (or crashes) there
  for (let i = 1; i < off.length; i++)
    if (off[i] < off[i - 1])
      throw new ValueError(`${where}: offsets must not decrease, got [${off.join(', ')}]`);
  const last = off[off.length - 1];
  if (last > m)
    throw new ValueError(
      `${where}: offsets[-1] can not be greater than input's length ${m} but got offsets[-1] of ${last}`,
    );
  if (includeLast && last !== m)
    throw new ValueError(
      `${where}: with includeLastOffset, the last offset ends the last bag and must equal the input's length ${m}, got ${last}`,
    );
  const ends = includeLast ? off.slice(1) : [...off.slice(1), m];
  return ends.map((e, i): [number, number] => [off[i], e]);
}

/** The bags of input reduced over weight [num, dim] → [bags, dim]; paddingIdx positions are left out of every bag. */
function embeddingBagOf(
  name: string,
  input: Tensor,
  weight: Tensor,
  offsets: unknown,
  psw: Tensor | null,
  mode: BagMode,
  includeLast: boolean,
  pad: number | null,
): Tensor {
  if (!(input instanceof Tensor))
    throw new ValueError(`${name}: input must be a Tensor, got ${describeValue(input)}`);
  if (!(weight instanceof Tensor) || weight.rank !== 2)
    throw new ShapeError(
      `${name}: weight must be [num_embeddings, embedding_dim], got ${describeValue(weight)}`,
    );
  const [num, dim] = weight.shape;
  const bags = bagsOf(name, input, offsets, includeLast);
  const m = input.size;
  if (psw !== null) {
    if (!(psw instanceof Tensor))
      throw new ValueError(`${name}: perSampleWeights must be a Tensor or null, got ${describeValue(psw)}`);
    if (mode !== 'sum')
      throw new ValueError(
        `${name}: per_sample_weights was not null. per_sample_weights is only supported for mode='sum' (got mode='${mode}')`,
      );
    if (psw.shape.length !== input.rank || psw.shape.some((d, i) => d !== input.shape[i]))
      throw new ShapeError(
        `${name}: If per_sample_weights (${fmtShape(psw.shape)}) is not null, then it must have the same shape as the input (${fmtShape(input.shape)})`,
      );
  }
  const flat = reshape(input, [m]);
  const idx = Array.from(flat.data, Number);
  const at = rowIndices(flat, num, dim, name); // [m, dim] flat indices; checks every index before any bookkeeping
  const keep = (i: number): boolean => idx[i] !== pad;
  const nb = bags.length;
  if (mode !== 'max') {
    // membership [bags, m]: 1 where position j belongs to bag b (and is no padding); sum = S·rows, mean = that / count
    const s = new Array<number>(nb * m).fill(0);
    const count = bags.map(([a, e], b) => {
      let c = 0;
      for (let j = a; j < e; j++)
        if (keep(j)) {
          s[b * m + j] = 1;
          c++;
        }
      return c;
    });
    let rows = take(weight, at); // [m, dim]
    if (psw) rows = mul(rows, reshape(psw, [m, 1]));
    const y = matmul(tensor(s, [nb, m], { dtype: weight.dtype }), rows);
    if (mode === 'sum') return y;
    // NOTE: an empty bag divides its zero sum by 1, so it stays zero as in PyTorch
    return div(
      y,
      tensor(
        count.map((c) => Math.max(c, 1)),
        [nb, 1],
        { dtype: weight.dtype },
      ),
    );
  }
  // max: each bag's distinct rows (a repeated index adds no candidate) in [bags, longest, dim]; missing slots read
  // row 0 and are masked to -Infinity; an empty bag gives zeros.
  // NOTE: two different rows tied for a bag's max share its gradient (max's vjp splits ties), where PyTorch gives it
  // to one of them; values are the same
  const members = bags.map(([a, e]) => [...new Set(idx.slice(a, e).filter((v) => v !== pad))]);
  const longest = Math.max(1, ...members.map((r) => r.length));
  const gather = new Int32Array(nb * longest * dim);
  const mask = new Int32Array(nb * longest);
  members.forEach((r, b) =>
    r.forEach((row, j) => {
      mask[b * longest + j] = 1;
      for (let k = 0; k < dim; k++) gather[(b * longest + j) * dim + k] = row * dim + k;
    }),
  );
  const vals = take(weight, new Tensor(gather, [nb, longest, dim]));
  const masked = where(new Tensor(mask, [nb, longest, 1]), vals, -Infinity);
  const empty = new Tensor(
    Int32Array.from(members, (r) => (r.length ? 0 : 1)),
    [nb, 1],
  );
  return where(empty, 0, max(masked, [1]));
}

/**
 * PyTorch `nn.EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2, scale_grad_by_freq=False,
 * mode='mean', sparse=False, _weight=None, include_last_offset=False, padding_idx=None)`: weight [num, dim] ~ N(0, 1)
 * (the paddingIdx row zero); forward(input, offsets, perSampleWeights) reduces each bag's rows to one, [bags, dim].
 * maxNorm, scaleGradByFreq=true and sparse=true are refused by name.
 */
export class EmbeddingBag extends Module {
  static override className = 'EmbeddingBag';
  readonly mode: BagMode;
  readonly paddingIdx: number | null;
  readonly includeLastOffset: boolean;
  weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingBagOptions = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('EmbeddingBag', opts, [...BAG_KEYS, 'name', 'dtype']);
    for (const [k, v] of [
      ['num_embeddings', numEmbeddings],
      ['embedding_dim', embeddingDim],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`EmbeddingBag: ${k} must be a positive integer, got ${show(v)}`);
    const { mode, includeLast } = bagOptions('EmbeddingBag', opts);
    this.mode = mode;
    this.includeLastOffset = includeLast;
    this.paddingIdx = paddingOf('EmbeddingBag', opts.paddingIdx, numEmbeddings);
    this.weight = this.addWeight('weight', [numEmbeddings, embeddingDim], (shape, dtype) =>
      randn(shape, { dtype }),
    );
    if (this.paddingIdx !== null)
      this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }
  forward(
    input: Tensor,
    offsets: Tensor | readonly number[] | null = null,
    perSampleWeights: Tensor | null = null,
  ): Tensor {
    const w = `${this.name} (EmbeddingBag)`;
    return embeddingBagOf(
      w,
      input,
      this.weight,
      offsets,
      perSampleWeights ?? null,
      this.mode,
      this.includeLastOffset,
      this.paddingIdx,
    );
  }
}

/**
 * PyTorch `F.embedding_bag(input, weight, offsets=None, ..., mode='mean', per_sample_weights=None,
 * include_last_offset=False, padding_idx=None)` (keywords, offsets and perSampleWeights in an options object):
 * nn.EmbeddingBag's op.
 */
export const embeddingBag = functional(
  'embeddingBag',
  ['input', 'weight', 'options'],
  (input: Tensor, weight: Tensor, opts: EmbeddingBagFunctionalOptions = {}): Tensor => {
    const name = who('embeddingBag');
    checkOptionsObject(name, opts, [...BAG_KEYS, 'offsets', 'perSampleWeights'], { required: true });
    const { mode, includeLast } = bagOptions(name, opts);
    if (!(weight instanceof Tensor) || weight.rank !== 2)
      throw new ShapeError(
        `${name}: weight must be [num_embeddings, embedding_dim], got ${describeValue(weight)}`,
      );
    const num = weight.shape[0];
    const pad = paddingOf(name, opts.paddingIdx, num);
    return embeddingBagOf(
      name,
      input,
      weight,
      opts.offsets,
      opts.perSampleWeights ?? null,
      mode,
      includeLast,
      pad,
    );
  },
);
