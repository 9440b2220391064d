// `tg.nn.functional` (PyTorch's `torch.nn.functional`), part 2: batch_norm and layer_norm (the ops nn.BatchNorm*d
// and nn.LayerNorm run), embedding (nn.Embedding's lookup), one_hot and pad, with PyTorch's argument rules.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor, tensor } from '../../core/tensor.js';
import { customGrad } from '../../core/custom-grad.js';
import { batchNorm as batchNormOp, batchNormTraining } from '../../ops/composite/batch-norm.js';
import { layerNormTrailing } from '../../ops/composite/layer-norm.js';
import { oneHot as oneHotOp } from '../../ops/composite/losses.js';
import { padEdges } from '../../ops/composite/pad-modes.js';
import { cast, mul } from '../../ops/elementwise/builders.js';
import { pad as padOp, slice } from '../../ops/movement/builders.js';
import { blendInPlace } from '../keras/layers/normalization.js';
import { embeddingLookup } from './layers.js';
import { checkBool, functional, show, tensorOrNull, who } from './functional-args.js';

export interface BatchNormFunctionalOptions {
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/**
 * PyTorch `F.batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
 * eps=1e-5)` over channel axis 1: in training, the batch mean and biased variance normalise, and the running
 * statistics (when given) are updated in place as nn.BatchNorm's, running_var with the unbiased variance; otherwise
 * the running statistics normalise (then they are required).
 */
export const batchNorm = functional(
  'batchNorm',
  ['input', 'runningMean', 'runningVar', 'weight', 'bias', 'options'],
  (
    input: Tensor,
    runningMean: Tensor | null,
    runningVar: Tensor | null,
    weight: Tensor | null = null,
    bias: Tensor | null = null,
    opts: BatchNormFunctionalOptions = {},
  ): Tensor => {
    const name = who('batchNorm');
    checkOptionsObject(name, opts, ['training', 'momentum', 'eps'], { required: true });
    const { training = false, momentum = 0.1, eps = 1e-5 } = opts;
    if (typeof training !== 'boolean')
      throw new ValueError(`${name}: training must be true or false, got ${show(training)}`);
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
      throw new ValueError(`${name}: momentum must be a number in [0, 1], got ${show(momentum)}`);
    if (typeof eps !== 'number' || !(eps >= 0))
      throw new ValueError(`${name}: eps must be a non-negative number, got ${show(eps)}`);
    const [rm, rv] = [
      tensorOrNull('batchNorm', 'runningMean', runningMean),
      tensorOrNull('batchNorm', 'runningVar', runningVar),
    ];
    const [w, b] = [tensorOrNull('batchNorm', 'weight', weight), tensorOrNull('batchNorm', 'bias', bias)];
    if (input.rank < 2)
      throw new ShapeError(
        `${name}: expected input [N, C, ...] of rank 2 or more, got ${fmtShape(input.shape)}`,
      );
    const c = input.shape[1];
    for (const [what, t] of [
      ['runningMean', rm],
      ['runningVar', rv],
      ['weight', w],
      ['bias', b],
    ] as const)
      if (t && (t.rank !== 1 || t.shape[0] !== c))
        throw new ShapeError(
          `${name}: ${what} ${fmtShape(t.shape)} must be [${c}], one value per channel (axis 1 of ${fmtShape(input.shape)})`,
        );
    if (!training) {
      if (!rm || !rv)
        throw new ValueError(
          `${name}: ${rm ? 'running_var' : 'running_mean'} must be defined in evaluation mode`,
        );
      return batchNormOp(input, rm, rv, b, w, eps, 1);
    }
    // values per channel: N times the spatial sizes (PyTorch's _verify_batch_size refuses exactly 1)
    const n = input.shape.reduce((a, d, i) => (i === 1 ? a : a * d), 1);
    if (n === 1)
      throw new ValueError(
        `${name}: Expected more than 1 value per channel when training, got input ${fmtShape(input.shape)}`,
      );
    // an empty batch normalises nothing and leaves the running statistics as they are (PyTorch's)
    if (input.size === 0) return mul(input, 1);
    const { y, mean, variance } = batchNormTraining(input, b, w, eps, 1);
    // NOTE: nn.BatchNorm's update, outside the tape: running = (1 - momentum)·running + momentum·batch
    if (rm) blendInPlace(rm, mean, 1 - momentum);
    if (rv) blendInPlace(rv, variance, 1 - momentum, n / (n - 1));
    return y;
  },
);

/**
 * PyTorch `F.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5)`: normalise over the trailing
 * normalizedShape axes (nn.LayerNorm's op); weight and bias, when given, are shaped as normalizedShape.
 */
export const layerNorm = functional(
  'layerNorm',
  ['input', 'normalizedShape', 'weight', 'bias', 'options'],
  (
    input: Tensor,
    normalizedShape: number | readonly number[],
    weight: Tensor | null = null,
    bias: Tensor | null = null,
    opts: { eps?: number } = {},
  ): Tensor => {
    const name = who('layerNorm');
    checkOptionsObject(name, opts, ['eps'], { required: true });
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !(eps >= 0))
      throw new ValueError(`${name}: eps must be a non-negative number, got ${show(eps)}`);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || !shape.length || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new ValueError(
        `${name}: normalized_shape must be non-negative integers, got ${show(normalizedShape)}`,
      );
    const k = shape.length;
    const [w, b] = [tensorOrNull('layerNorm', 'weight', weight), tensorOrNull('layerNorm', 'bias', bias)];
    if (input.rank < k || input.shape.slice(input.rank - k).some((d, i) => d !== shape[i]))
      throw new ShapeError(
        `${name}: input ${fmtShape(input.shape)} does not end with normalized_shape ${fmtShape(shape)}`,
      );
    for (const [what, t] of [
      ['weight', w],
      ['bias', b],
    ] as const)
      if (t && (t.rank !== k || t.shape.some((d, i) => d !== shape[i])))
        throw new ShapeError(
          `${name}: ${what} ${fmtShape(t.shape)} must be normalized_shape ${fmtShape(shape)}`,
        );
    return layerNormTrailing(input, k, w, b, eps);
  },
);

/** The valid row indices of input (integers in [0, num)), or null when one is not (the lookup then names it). */
function rowsOf(input: Tensor, num: number): number[] | null {
  const d = Array.from(input.data as ArrayLike<number>);
  return d.every((v) => Number.isInteger(v) && v >= 0 && v < num) ? d : null;
}
/**
 * PyTorch's embedding_renorm_: each row of weight that input looks up whose normType-norm exceeds maxNorm is scaled
 * in place by maxNorm / (norm + 1e-7), outside the tape.
 */
function renormRows(w: Tensor, rows: readonly number[], maxNorm: number, normType: number): void {
  const dim = w.shape[1];
  const d = w.data;
  for (const r of new Set(rows)) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = Math.abs(d[r * dim + j]);
      norm = normType === Infinity ? Math.max(norm, v) : norm + Math.pow(v, normType);
    }
    if (normType !== Infinity) norm = Math.pow(norm, 1 / normType);
    if (norm > maxNorm) for (let j = 0; j < dim; j++) d[r * dim + j] *= maxNorm / (norm + 1e-7);
  }
}
/** weight itself, whose row r's gradient is divided by the number of times r occurs in rows (scale_grad_by_freq). */
function gradByFreq(w: Tensor, rows: readonly number[]): Tensor {
  const count = new Array<number>(w.shape[0]).fill(0);
  for (const r of rows) count[r]++;
  const c = tensor(
    count.map((n) => (n ? 1 / n : 1)),
    [w.shape[0], 1],
    { dtype: w.dtype },
  );
  return customGrad((x: Tensor) => ({ value: mul(x, 1), gradFunc: (dy: Tensor) => mul(dy, c) }), {
    name: 'embedding.scaleGradByFreq',
  })(w);
}
/**
 * PyTorch `F.embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
 * sparse=False)`: the rows of weight [num, dim] at the integer indices of input (nn.Embedding's lookup); the paddingIdx
 * row gets no gradient; with maxNorm the rows looked up are first renormed in place (PyTorch's embedding_renorm_);
 * scaleGradByFreq divides each row's gradient by its count in input. sparse=true is refused (no sparse gradients).
 */
export const embedding = functional(
  'embedding',
  ['input', 'weight', 'options'],
  (
    input: Tensor,
    weight: Tensor,
    opts: {
      paddingIdx?: number | null;
      maxNorm?: number | null;
      normType?: number;
      scaleGradByFreq?: boolean;
      sparse?: boolean;
    } = {},
  ): Tensor => {
    const name = who('embedding');
    const keys = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'sparse'];
    checkOptionsObject(name, opts, keys, { required: true });
    const { maxNorm = null, normType = 2 } = opts;
    const byFreq = checkBool('embedding', 'scaleGradByFreq', opts.scaleGradByFreq ?? false);
    if (checkBool('embedding', 'sparse', opts.sparse ?? false))
      throw new ValueError(
        `${name}: sparse=true is not supported (tapegrad has no sparse gradients); leave it false`,
      );
    if (maxNorm !== null && (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)))
      throw new ValueError(`${name}: maxNorm must be a number or null, got ${show(maxNorm)}`);
    if (typeof normType !== 'number' || !(normType > 0))
      throw new ValueError(
        `${name}: normType must be a positive number (Infinity for the max norm), got ${show(normType)}`,
      );
    const w = tensorOrNull('embedding', 'weight', weight);
    if (!w || w.rank !== 2)
      throw new ShapeError(
        `${name}: weight must be [num_embeddings, embedding_dim], got ${w ? fmtShape(w.shape) : 'null'}`,
      );
    const num = w.shape[0];
    const p = opts.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p < -num || p >= num))
      throw new ValueError(`${name}: Padding_idx ${show(p)} must be within num_embeddings ${num}`);
    // NOTE: rows that are no valid index leave weight untouched; the lookup then names the bad index
    const rows = maxNorm !== null || byFreq ? rowsOf(input, num) : null;
    if (rows && maxNorm !== null) renormRows(w, rows, maxNorm, normType);
    const src = rows && byFreq ? gradByFreq(w, rows) : w;
    return embeddingLookup(src, input, p === null ? null : p < 0 ? p + num : p, name);
  },
);

/**
 * PyTorch `F.one_hot(tensor, num_classes=-1)`: int32 rows [..., numClasses] (PyTorch's are int64), numClasses -1
 * meaning the largest class + 1.
 * NOTE: float labels holding whole numbers are accepted, as the wing's class losses accept them (PyTorch wants int64).
 */
export const oneHot = functional(
  'oneHot',
  ['tensor', 'numClasses'],
  (tensor: Tensor, numClasses: number = -1): Tensor => {
    const name = who('oneHot');
    const d = tensor.raw;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isInteger(d[i]))
        throw new ValueError(
          `${name}: one_hot is only applicable to index tensor (got ${d[i]} at position ${i})`,
        );
      if (d[i] < 0)
        throw new ValueError(`${name}: Class values must be non-negative (got ${d[i]} at position ${i}).`);
    }
    if (!Number.isInteger(numClasses) || numClasses < -1)
      throw new ValueError(
        `${name}: numClasses must be -1 or a non-negative integer, got ${show(numClasses)}`,
      );
    let n = numClasses;
    if (n === -1) {
      if (tensor.size === 0)
        throw new ValueError(`${name}: Can not infer total number of classes from empty tensor.`);
      n = 0;
      for (let i = 0; i < d.length; i++) n = Math.max(n, d[i] + 1);
    }
    const big = d.findIndex((v: number) => v >= n);
    if (big >= 0)
      throw new ValueError(
        `${name}: Class values must be smaller than num_classes (got ${d[big]} at position ${big}, num_classes ${n}).`,
      );
    if (n === 0 || tensor.size === 0) return new Tensor(new Int32Array(0), [...tensor.shape, n]);
    return cast(oneHotOp(tensor, n), 'int32');
  },
);

type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';
/**
 * PyTorch `F.pad(input, pad, mode='constant', value=None)`: pad = [left, right] pairs from the last axis backwards
 * ([left, right, top, bottom] pads W then H). 'reflect', 'replicate' and 'circular' pad the last rank-2 axes (or
 * rank-1 for an unbatched input; circular: rank-2 only) of a 2D to 5D input, as PyTorch 1.13. A negative amount
 * crops that side, as PyTorch's (the positive amounts are padded first, then the negative ones cut).
 * NOTE: negative amounts with 'circular' are refused: PyTorch 1.13 returns uninitialised memory for some of them.
 */
export const pad = functional(
  'pad',
  ['input', 'pad', 'mode', 'value'],
  (
    input: Tensor,
    pad: readonly number[],
    mode: PadMode = 'constant',
    value: number | null = null,
  ): Tensor => {
    const name = who('pad');
    if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode))
      throw new ValueError(
        `${name}: Unrecognised padding mode ${show(mode)} (expected 'constant', 'reflect', 'replicate' or 'circular')`,
      );
    if (!Array.isArray(pad) || pad.some((v) => !Number.isInteger(v)))
      throw new ValueError(`${name}: pad must be an array of integers [left, right, ...], got ${show(pad)}`);
    if (pad.length % 2 !== 0)
      throw new ValueError(`${name}: Padding length must be divisible by 2, got ${pad.length}`);
    const k = pad.length / 2;
    if (k > input.rank)
      throw new ValueError(
        `${name}: Padding length too large (${pad.length} for input ${fmtShape(input.shape)})`,
      );
    if (mode === 'circular' && pad.some((v) => v < 0))
      throw new ValueError(
        `${name}: negative padding (cropping) with mode 'circular' is not supported, got [${pad.join(', ')}]; slice the input first`,
      );
    if (value !== null && typeof value !== 'number')
      throw new ValueError(`${name}: value must be a number or null, got ${show(value)}`);
    // pairs per axis, the first pair for the last axis
    const signed = input.shape.map((_, a): [number, number] => {
      const j = input.rank - 1 - a;
      return j < k ? [pad[2 * j], pad[2 * j + 1]] : [0, 0];
    });
    // a negative amount crops: the output axis is size + left + right, which must not be negative
    signed.forEach(([l, r], a) => {
      if (-l > input.shape[a] || -r > input.shape[a] || input.shape[a] + l + r < 0)
        throw new ShapeError(
          `${name}: padding (${l}, ${r}) on axis ${a} of ${fmtShape(input.shape)} crops more than the axis holds`,
        );
    });
    const pairs = signed.map(([l, r]): [number, number] => [Math.max(l, 0), Math.max(r, 0)]);
    // pad the positive amounts, then cut the negative ones
    const crop = (y: Tensor): Tensor =>
      signed.every(([l, r]) => l >= 0 && r >= 0)
        ? y
        : slice(
            y,
            signed.map(([l]) => Math.max(-l, 0)),
            signed.map(([l, r], a) => input.shape[a] + l + r),
          );
    if (mode === 'constant') return crop(padOp(input, pairs, value ?? 0));
    if (value !== null && value !== 0)
      throw new ValueError(`${name}: Padding mode "${mode}" doesn't take in value argument`);
    const ok =
      input.rank >= 2 &&
      input.rank <= 5 &&
      (k === input.rank - 2 || (mode !== 'circular' && k === input.rank - 1));
    if (!ok || k > 3)
      throw new ValueError(
        `${name}: ${mode} padding of ${k} axes is not supported for input ${fmtShape(input.shape)}: PyTorch pads the last rank-2 axes${mode === 'circular' ? '' : ' (or rank-1, unbatched)'} of a 2D to 5D input with a non-constant mode`,
      );
    return crop(padEdges(input, pairs, mode, name));
  },
);
