// More PyTorch-style modules (`tg.nn.BatchNorm1d/2d`, `LayerNorm`, `Embedding`, `ConvTranspose2d`): PyTorch
// layouts, defaults, init and running-statistics conventions, composed from tapegrad ops.
// NOTE: these classes extend Module, so they import it from base.ts, which imports none of the modules (no cycle).
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { randn } from '../../core/random.js';
import { Tensor } from '../../core/tensor.js';
import { where } from '../../ops/elementwise/builders.js';
import { take } from '../../ops/network/builders.js';
import { rowIndices } from '../keras/layers/embedding.js';
import { convTranspose2d } from '../../ops/composite/conv-transpose.js';
import { moduleOptions } from './options.js';
import { blendInPlace } from '../keras/layers/normalization.js';
import { batchNorm, batchNormTraining } from '../../ops/composite/batch-norm.js';
import { layerNormTrailing } from '../../ops/composite/layer-norm.js';
import { reshape } from '../../ops/movement/builders.js';
import { Module } from './base.js';
import { torchUniform } from './module.js';

/** The option keys of PyTorch's batch and instance norms. */
export const NORM_KEYS = ['eps', 'momentum', 'affine', 'trackRunningStats', 'name', 'dtype'] as const;
/** A norm's per-channel `weight` (ones) and `bias` (zeros), [n] each, as PyTorch's affine norms. */
export function addAffine(m: Module, n: number): { weight: Tensor; bias: Tensor } {
  return { weight: m.addWeight('weight', [n], 'ones'), bias: m.addWeight('bias', [n], 'zeros') };
}

/** The option keys of PyTorch's transposed convs. */
export const CONV_TRANSPOSE_KEYS = [
  'stride',
  'padding',
  'outputPadding',
  'dilation',
  'groups',
  'bias',
  'name',
  'dtype',
] as const;
/**
 * A transposed conv's weight [in, out/groups, ...kernel] and bias [out] (null without), PyTorch's init U(±1/√fanIn).
 * NOTE: PyTorch's fan-in for a transposed-conv weight is (out/groups)·Πkernel (its dim 1 × receptive field).
 */
export function transposedConvWeights(
  m: Module,
  inChannels: number,
  outChannels: number,
  groups: number,
  kernel: readonly number[],
  bias: boolean,
): { weight: Tensor; bias: Tensor | null } {
  const fanIn = kernel.reduce((p, k) => p * k, outChannels / groups);
  return {
    weight: m.addWeight('weight', [inChannels, outChannels / groups, ...kernel], torchUniform(fanIn)),
    bias: bias ? m.addWeight('bias', [outChannels], torchUniform(fanIn)) : null,
  };
}

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the new batch in the running average (PyTorch convention, default 0.1); null = cumulative average. */
  momentum?: number | null;
  /** Learnable weight (γ) and bias (β), default true. */
  affine?: boolean;
  /** Keep running_mean/running_var (default true); without them batch statistics are used in eval mode too. */
  trackRunningStats?: boolean;
  name?: string;
  dtype?: DType;
}

/**
 * PyTorch batch norm over channel axis 1. Train mode: normalise with the batch mean and biased variance, then
 * running = (1 - momentum)·running + momentum·batch, with the unbiased variance n/(n-1)·var for running_var.
 * Eval mode: the running statistics. Weights: weight, bias (trainable), running_mean, running_var and
 * num_batches_tracked (buffers, as in PyTorch's state_dict).
 */
abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  runningMean: Tensor | null = null;
  runningVar: Tensor | null = null;
  /** The `num_batches_tracked` buffer: an int32 scalar, saved and loaded with the running statistics. */
  private tracked: Tensor | null = null;
  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions,
    private readonly ranks: number[],
  ) {
    super(opts?.name);
    this.dtype = moduleOptions(new.target.className, opts, NORM_KEYS);
    if (!Number.isInteger(numFeatures) || numFeatures < 1)
      throw new ValueError(`${this.className}: num_features must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1))
      throw new ValueError(`${this.className}: momentum must be in [0, 1] or null, got ${opts.momentum}`);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    if (this.affine) ({ weight: this.weight, bias: this.bias } = addAffine(this, numFeatures));
    if (this.trackRunningStats) {
      this.runningMean = this.addWeight('running_mean', [numFeatures], 'zeros', { trainable: false });
      this.runningVar = this.addWeight('running_var', [numFeatures], 'ones', { trainable: false });
      this.tracked = this.addWeight('num_batches_tracked', [], () => new Tensor(new Int32Array(1), []), {
        trainable: false,
      });
    }
  }
  /**
   * PyTorch `num_batches_tracked`: train-mode batches seen (drives the cumulative average when momentum is null);
   * 0 without running statistics.
   */
  get numBatchesTracked(): number {
    return this.tracked ? this.tracked.data[0] : 0;
  }
  set numBatchesTracked(n: number) {
    if (!Number.isInteger(n) || n < 0)
      throw new ValueError(
        `${this.name} (${this.className}): numBatchesTracked must be a non-negative integer, got ${n}`,
      );
    if (this.tracked) this.tracked.data[0] = n;
  }
  forward(x: Tensor): Tensor {
    const who = `${this.name} (${this.className})`;
    if (!this.ranks.includes(x.rank))
      throw new ShapeError(
        `${who}: expected input of rank ${this.ranks.join(' or ')} ([N, C${this.ranks.includes(3) ? '(, L)' : ', H, W'}]), got ${fmtShape(x.shape)}`,
      );
    if (x.shape[1] !== this.numFeatures)
      throw new ShapeError(
        `${who}: input ${fmtShape(x.shape)} has ${x.shape[1]} channels (axis 1) but num_features is ${this.numFeatures}`,
      );
    if (this.training || !this.trackRunningStats) {
      const n = x.size / this.numFeatures;
      if (this.training && n <= 1)
        throw new ValueError(
          `${who}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`,
        );
      const { y, mean, variance } = batchNormTraining(x, this.bias, this.weight, this.eps, 1);
      if (this.training && this.runningMean && this.runningVar) {
        this.numBatchesTracked++;
        const m = this.momentum ?? 1 / this.numBatchesTracked;
        blendInPlace(this.runningMean, mean, 1 - m);
        blendInPlace(this.runningVar, variance, 1 - m, n / (n - 1));
      }
      return y;
    }
    return batchNorm(x, this.runningMean!, this.runningVar!, this.bias, this.weight, this.eps, 1);
  }
  override paramFormula(): string | null {
    return this.affine ? `2·${this.numFeatures} = ${2 * this.numFeatures}` : null;
  }
  /** PyTorch's BatchNorm loads a missing num_batches_tracked as 0 (state dicts from before it existed). */
  protected override stateDefaults(): readonly string[] {
    return this.trackRunningStats ? ['num_batches_tracked'] : [];
  }
}

/** PyTorch `nn.BatchNorm1d(num_features)` on [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  static override className = 'BatchNorm1d';
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [2, 3]);
  }
}
/** PyTorch `nn.BatchNorm2d(num_features)` on NCHW [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  static override className = 'BatchNorm2d';
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [4]);
  }
}

/** PyTorch `nn.LayerNorm(normalized_shape)`: normalise each sample over its trailing `normalizedShape` axes. */
export class LayerNorm extends Module {
  static override className = 'LayerNorm';
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  constructor(
    normalizedShape: number | number[],
    opts: { eps?: number; elementwiseAffine?: boolean; bias?: boolean; name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('LayerNorm', opts, ['eps', 'elementwiseAffine', 'bias', 'name', 'dtype']);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (!this.normalizedShape.length || this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1))
      throw new ValueError(
        `LayerNorm: normalized_shape must be positive integers, got ${JSON.stringify(normalizedShape)}`,
      );
    this.eps = opts.eps ?? 1e-5;
    if (opts.elementwiseAffine ?? true) {
      this.weight = this.addWeight('weight', this.normalizedShape, 'ones');
      if (opts.bias ?? true) this.bias = this.addWeight('bias', this.normalizedShape, 'zeros');
    }
  }
  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.normalizedShape[i]))
      throw new ShapeError(
        `${this.name} (LayerNorm): input ${fmtShape(x.shape)} does not end with normalized_shape ${fmtShape(this.normalizedShape)}`,
      );
    return layerNormTrailing(x, k, this.weight, this.bias, this.eps);
  }
}

/**
 * PyTorch `nn.Embedding(num_embeddings, embedding_dim)`: weight [num, dim] ~ N(0, 1). With paddingIdx, that row
 * starts at zero and gets no gradient (its lookups read a detached copy).
 */
export class Embedding extends Module {
  static override className = 'Embedding';
  readonly paddingIdx: number | null;
  weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: { paddingIdx?: number | null; name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Embedding', opts, ['paddingIdx', 'name', 'dtype']);
    for (const [k, v] of [
      ['num_embeddings', numEmbeddings],
      ['embedding_dim', embeddingDim],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`Embedding: ${k} must be a positive integer, got ${v}`);
    const p = opts.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings))
      throw new ValueError(
        `Embedding: padding_idx ${p} must be within num_embeddings ${numEmbeddings} (negative counts from the end)`,
      );
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = this.addWeight('weight', [numEmbeddings, embeddingDim], (shape, dtype) =>
      randn(shape, { dtype }),
    );
    if (this.paddingIdx !== null)
      this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }
  forward(x: Tensor): Tensor {
    return embeddingLookup(this.weight, x, this.paddingIdx, `${this.name} (Embedding)`);
  }
}

/**
 * The rows of weight [num, dim] at the indices x (any shape; output [...x.shape, dim]); the paddingIdx row (already
 * non-negative) reads a detached copy, so it gets no gradient. Embedding's forward and tg.nn.functional.embedding.
 */
export function embeddingLookup(weight: Tensor, x: Tensor, paddingIdx: number | null, who: string): Tensor {
  const [num, dim] = weight.shape;
  const idx = rowIndices(x, num, dim, who);
  const y = take(weight, idx);
  if (paddingIdx === null) return y;
  const pad = new Tensor(
    Int32Array.from(x.data, (v) => (v === paddingIdx ? 1 : 0)),
    [...x.shape, 1],
  );
  return where(pad, take(weight.detach(), idx), y);
}

type P2 = number | readonly [number, number];
/** stride, padding, output_padding and dilation also take PyTorch's 1-tuple [k], for both axes. */
type P12 = P2 | readonly [number];
/**
 * An int-or-pair argument; `one` lets a 1-tuple [k] stand for both axes (PyTorch 1.13's conv_transpose2d expands
 * it; kernel_size not: a 1-tuple kernel makes a 3-D weight that PyTorch's forward refuses).
 */
const pair = (v: P12 | undefined, d: number, what: string, min: number, one = true): [number, number] => {
  const list = Array.isArray(v) ? (v as readonly unknown[]) : null;
  const p: readonly unknown[] =
    v === undefined ? [d, d] : list ? (list.length === 1 && one ? [list[0], list[0]] : list) : [v, v];
  if (p.length !== 2 || p.some((q) => typeof q !== 'number' || !Number.isInteger(q) || q < min))
    throw new ValueError(
      `ConvTranspose2d: ${what} must be ${min ? 'a positive' : 'a non-negative'} integer or pair${one ? ' (or [k] for both)' : ''}, got ${JSON.stringify(v)}`,
    );
  return p as [number, number];
};

/**
 * PyTorch `nn.ConvTranspose2d(in, out, kernel_size)` on NCHW with weight [in, out/groups, kh, kw]:
 * out = (in - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1 (tg.convTranspose2d).
 */
export class ConvTranspose2d extends Module {
  static override className = 'ConvTranspose2d';
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;
  /** The stride/padding/dilation options given as a 1-tuple [k]. */
  private readonly oneTuples: string[];
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: P2,
    opts: {
      stride?: P12;
      padding?: P12;
      outputPadding?: P12;
      dilation?: P12;
      groups?: number;
      bias?: boolean;
      name?: string;
      dtype?: DType;
    } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('ConvTranspose2d', opts, CONV_TRANSPOSE_KEYS);
    this.kernelSize = pair(kernelSize, 1, 'kernel_size', 1, false);
    // PyTorch keeps a 1-tuple as given, so its output_size rule (which reads both axes) fails on it: refused there
    const short = (v: unknown) => Array.isArray(v) && v.length === 1;
    this.oneTuples = (['stride', 'padding', 'dilation'] as const).filter((k) => short(opts[k]));
    this.stride = pair(opts.stride, 1, 'stride', 1);
    this.padding = pair(opts.padding, 0, 'padding', 0);
    this.outputPadding = pair(opts.outputPadding, 0, 'output_padding', 0);
    this.dilation = pair(opts.dilation, 1, 'dilation', 1);
    this.groups = opts.groups ?? 1;
    const g = this.groups;
    if (!Number.isInteger(g) || g < 1 || inChannels % g !== 0 || outChannels % g !== 0)
      throw new ValueError(
        `ConvTranspose2d: groups ${JSON.stringify(opts.groups)} must be a positive integer dividing in_channels ${inChannels} and out_channels ${outChannels}`,
      );
    if (this.outputPadding.some((p, i) => p >= Math.max(this.stride[i], this.dilation[i])))
      throw new ValueError(
        `ConvTranspose2d: output_padding ${JSON.stringify(this.outputPadding)} must be smaller than either stride or dilation`,
      );
    ({ weight: this.weight, bias: this.bias } = transposedConvWeights(
      this,
      inChannels,
      outChannels,
      g,
      this.kernelSize,
      opts.bias !== false,
    ));
  }
  /**
   * PyTorch `forward(input, output_size = None)` on x [N, C, H, W], or one sample [C, H, W] (then the output is
   * unbatched too, as PyTorch 1.13): outputSize [h, w] (or with the leading sizes of x) picks the output_padding.
   */
  forward(x: Tensor, outputSize: readonly number[] | null = null): Tensor {
    const who = `${this.name} (ConvTranspose2d)`;
    if (x.rank !== 3 && x.rank !== 4)
      throw new ShapeError(
        `${who}: Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: ${fmtShape(x.shape)} ([N, ${this.inChannels}, H, W] or [${this.inChannels}, H, W])`,
      );
    if (x.shape[x.rank - 3] !== this.inChannels)
      throw new ShapeError(
        `${who}: expected input ${x.rank === 4 ? `[N, ${this.inChannels}, H, W]` : `[${this.inChannels}, H, W]`}, got ${fmtShape(x.shape)} (weight ${fmtShape(this.weight.shape)})`,
      );
    if (x.rank === 4) return this.deconv(x, outputSize);
    const y = this.deconv(reshape(x, [1, ...x.shape]), outputSize, 3);
    return reshape(y, y.shape.slice(1));
  }
  /** The batched transposed convolution; `rank` is the caller's input rank, for output_size's length. */
  private deconv(x: Tensor, outputSize: readonly number[] | null | undefined, rank = 4): Tensor {
    return convTranspose2d(
      x,
      this.weight,
      this.bias,
      {
        stride: this.stride,
        padding: this.padding,
        outputPadding:
          outputSize === undefined || outputSize === null
            ? this.outputPadding
            : this.outputPaddingFor(x, outputSize, rank),
        dilation: this.dilation,
        groups: this.groups,
      },
      `${this.name} (ConvTranspose2d)`,
    );
  }
  /**
   * PyTorch's `_output_padding`: each requested size must lie in [min, min + stride - 1], min = (in - 1)·stride -
   * 2·padding + dilation·(k - 1) + 1; the output_padding is size - min (the module's own outputPadding is not used).
   */
  private outputPaddingFor(x: Tensor, outputSize: readonly unknown[], rank: number): [number, number] {
    const who = `${this.name} (ConvTranspose2d)`;
    // NOTE: PyTorch 1.13 raises IndexError here (its _output_padding indexes stride[1] of a 1-tuple)
    if (this.oneTuples.length)
      throw new ValueError(
        `${who}: output_size needs ${this.oneTuples.join(', ')} given as a pair [h, w], not a 1-tuple (PyTorch 1.13 fails on it too)`,
      );
    if (!Array.isArray(outputSize) || ![2, rank].includes(outputSize.length))
      throw new ValueError(
        `${who}: for ${rank}D input, output_size must have 2 or ${rank} elements ([h, w] or [${rank === 4 ? 'n, ' : ''}c, h, w]), got ${JSON.stringify(outputSize)}`,
      );
    const want = outputSize.slice(-2);
    if (want.some((v) => !Number.isInteger(v)))
      throw new ValueError(`${who}: output_size must be integers, got ${JSON.stringify(outputSize)}`);
    const min = [0, 1].map(
      (d) =>
        (x.shape[d + 2] - 1) * this.stride[d] -
        2 * this.padding[d] +
        this.dilation[d] * (this.kernelSize[d] - 1) +
        1,
    );
    const max = min.map((m, d) => m + this.stride[d] - 1);
    if (want.some((v, d) => v < min[d] || v > max[d]))
      throw new ValueError(
        `${who}: requested an output size of [${want.join(', ')}], but valid sizes range from [${min.join(', ')}] to [${max.join(', ')}] (for an input of [${x.shape.slice(2).join(', ')}])`,
      );
    return [want[0] - min[0], want[1] - min[1]];
  }
  override paramFormula(): string {
    const [kh, kw] = this.kernelSize;
    const per = this.outChannels / this.groups;
    return `${this.inChannels}·${per}·${kh}·${kw}${this.bias ? ` + ${this.outChannels}` : ''} = ${this.countParams().toLocaleString('en-US')}`;
  }
}
