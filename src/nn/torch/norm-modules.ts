// PyTorch 1.13's GroupNorm, InstanceNorm1d/2d/3d and LocalResponseNorm for tg.nn, composed of mean/variance/pad ops:
// biased variance, (x - mean)/√(var + eps), then the per-channel affine weight and bias (state-dict keys `weight`,
// `bias`, and for instance norms with trackRunningStats `running_mean`, `running_var`, `num_batches_tracked`, as
// PyTorch).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import { Tensor as TensorClass, type Tensor } from '../../core/tensor.js';
import { add, div, mul, pow, sqrt, sub } from '../../ops/elementwise/builders.js';
import { pad, reshape, slice } from '../../ops/movement/builders.js';
import { mean, variance } from '../../ops/reduce/builders.js';
import { Module } from './base.js';
import { moduleOptions } from './options.js';
import { warnOnce } from './functional-args.js';
import { NORM_KEYS, addAffine } from './layers.js';
import { blendInPlace } from '../keras/layers/normalization.js';

const show = (v: unknown): string => (v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v)));

/** (x - mean)/√(var + eps) over `axes` (biased variance, as PyTorch's norms). */
function standardize(x: Tensor, axes: number[], eps: number): Tensor {
  const m = mean(x, axes, true);
  const v = variance(x, axes, true);
  return div(sub(x, m), sqrt(add(v, eps)));
}
/** y·weight + bias with [C] vectors against axis 1 of [N, C, ...]. */
function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const bshape = [y.shape[1], ...new Array<number>(y.rank - 2).fill(1)];
  let out = y;
  if (weight) out = mul(out, reshape(weight, bshape));
  if (bias) out = add(out, reshape(bias, bshape));
  return out;
}
function checkEps(cls: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0))
    throw new ValueError(`${cls}: eps must be a number ≥ 0, got ${show(eps)}`);
  return eps;
}
/** The affine option (default `dflt`): true or false, refused by name otherwise. */
function checkAffine(cls: string, affine: unknown, dflt: boolean): boolean {
  const a = affine ?? dflt;
  if (typeof a !== 'boolean')
    throw new ValueError(`${cls}: affine must be true or false, got ${show(affine)}`);
  return a;
}

/**
 * PyTorch `nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)`: each sample's channels in numGroups
 * groups, each group normalized over its channels and spatial positions; weight/bias [numChannels].
 */
export class GroupNorm extends Module {
  static override className = 'GroupNorm';
  readonly eps: number;
  readonly affine: boolean;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: { eps?: number; affine?: boolean; name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('GroupNorm', opts, ['eps', 'affine', 'name', 'dtype']);
    for (const [k, v] of [
      ['num_groups', numGroups],
      ['num_channels', numChannels],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`GroupNorm: ${k} must be a positive integer, got ${show(v)}`);
    // PyTorch 1.13's check in GroupNorm.__init__
    if (numChannels % numGroups !== 0)
      throw new ValueError(
        `GroupNorm: num_channels must be divisible by num_groups, got num_channels ${numChannels} and num_groups ${numGroups}`,
      );
    this.eps = checkEps('GroupNorm', opts.eps ?? 1e-5);
    this.affine = checkAffine('GroupNorm', opts.affine, true);
    if (this.affine) ({ weight: this.weight, bias: this.bias } = addAffine(this, numChannels));
  }
  /** x [N, C, ...] with C = numChannels. */
  forward(x: Tensor): Tensor {
    const { numGroups: g, numChannels: c } = this;
    if (x.rank < 2 || x.shape[1] !== c)
      throw new ShapeError(
        `${this.name} (GroupNorm): expected input [N, ${c}, ...] (num_channels ${c}), got ${fmtShape(x.shape)}`,
      );
    return groupNorm(x, g, this.weight, this.bias, this.eps);
  }
}
/** GroupNorm's op on [N, C, ...] with C divisible by g (shared with nn.functional.groupNorm). */
export function groupNorm(
  x: Tensor,
  g: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor {
  const [n, c] = x.shape;
  const grouped = reshape(x, [n, g, (c / g) * x.shape.slice(2).reduce((p, d) => p * d, 1)]);
  return affine(reshape(standardize(grouped, [2], eps), x.shape), weight, bias);
}

export interface InstanceNormOptions {
  eps?: number;
  /** Weight of the new batch in the running averages (default 0.1); PyTorch 1.13 takes no null here. */
  momentum?: number;
  affine?: boolean;
  /** Keep running_mean/running_var (default false), updated in training and used in eval mode. */
  trackRunningStats?: boolean;
  name?: string;
  dtype?: DType;
}

/**
 * PyTorch `nn.InstanceNorm1d/2d/3d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False)`:
 * each sample's each channel normalized over its spatial positions. With trackRunningStats, training also updates
 * running = (1 - momentum)·running + momentum·(the batch mean of the per-instance statistics), running_var from the
 * unbiased variance, and eval mode normalizes with the running statistics; buffers running_mean, running_var and
 * num_batches_tracked in the state dict, as PyTorch's.
 * NOTE: PyTorch 1.13's InstanceNorm never increments num_batches_tracked (only _BatchNorm's forward does), so it stays
 * 0 here too; and momentum=None, which PyTorch accepts at construction but its instance_norm then rejects in every
 * forward, is refused at construction.
 */
abstract class InstanceNormBase extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Tensor | null = null;
  bias: Tensor | null = null;
  runningMean: Tensor | null = null;
  runningVar: Tensor | null = null;
  constructor(
    readonly numFeatures: number,
    opts: InstanceNormOptions,
    private readonly spatial: 1 | 2 | 3,
  ) {
    super(opts?.name);
    const cls = new.target.className;
    this.dtype = moduleOptions(cls, opts, NORM_KEYS);
    if (!Number.isInteger(numFeatures) || numFeatures < 1)
      throw new ValueError(`${cls}: num_features must be a positive integer, got ${show(numFeatures)}`);
    this.eps = checkEps(cls, opts.eps ?? 1e-5);
    if (opts.momentum === null)
      throw new ValueError(
        `${cls}: momentum=null is not supported: PyTorch 1.13's instance_norm needs a number (it raises in forward); pass a number such as 0.1`,
      );
    this.momentum = opts.momentum ?? 0.1;
    if (typeof this.momentum !== 'number')
      throw new ValueError(`${cls}: momentum must be a number, got ${show(opts.momentum)}`);
    this.affine = checkAffine(cls, opts.affine, false);
    const track = opts.trackRunningStats ?? false;
    if (typeof track !== 'boolean')
      throw new ValueError(`${cls}: trackRunningStats must be true or false, got ${show(track)}`);
    this.trackRunningStats = track;
    if (this.affine) ({ weight: this.weight, bias: this.bias } = addAffine(this, numFeatures));
    if (track) {
      this.runningMean = this.addWeight('running_mean', [numFeatures], 'zeros', { trainable: false });
      this.runningVar = this.addWeight('running_var', [numFeatures], 'ones', { trainable: false });
      this.addWeight('num_batches_tracked', [], () => new TensorClass(new Int32Array(1), []), {
        trainable: false,
      });
    }
  }
  /** x [N, C, ...spatial], or one sample [C, ...spatial] (then the output is unbatched too, as PyTorch 1.13). */
  forward(x: Tensor): Tensor {
    const s = this.spatial;
    const who = `${this.name} (${this.className})`;
    if (x.rank !== s + 1 && x.rank !== s + 2)
      throw new ShapeError(`${who}: expected ${s + 1}D or ${s + 2}D input (got ${x.rank}D input)`);
    const xb = x.rank === s + 1 ? reshape(x, [1, ...x.shape]) : x;
    if (xb.shape[1] !== this.numFeatures) {
      const msg = `${who}: input's size at dim=${x.rank - s - 1} (${xb.shape[1]}) does not match num_features (${this.numFeatures})`;
      // running statistics are per feature, so they cannot serve another channel count (PyTorch fails there too)
      if (this.affine || this.trackRunningStats) throw new ShapeError(`expected ${msg}`);
      // PyTorch 1.13 only warns without affine (no per-channel weight to mismatch) and normalizes anyway
      warnOnce(`${msg}; normalizing each of the ${xb.shape[1]} channels anyway, as PyTorch does`);
    }
    const stats = this.trackRunningStats
      ? {
          runningMean: this.runningMean,
          runningVar: this.runningVar,
          useInputStats: this.training,
          momentum: this.momentum,
        }
      : null;
    const y = instanceNorm(who, xb, this.weight, this.bias, this.eps, x.shape, stats);
    return xb === x ? y : reshape(y, x.shape);
  }
  /** PyTorch's _NormBase loads a missing num_batches_tracked as 0 (state dicts from before it existed). */
  protected override stateDefaults(): readonly string[] {
    return this.trackRunningStats ? ['num_batches_tracked'] : [];
  }
}
/** Running statistics for instanceNorm: updated in place when useInputStats, else normalizing (both then given). */
export interface InstanceNormStats {
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  useInputStats: boolean;
  momentum: number;
}
/**
 * InstanceNorm's op on [N, C, ...spatial] (shared with nn.functional.instanceNorm); `shown` is the input shape named
 * in the error, `who` its prefix. With `stats`: PyTorch's at::instance_norm, a batch norm of the [1, N·C, ...] view
 * with the running statistics repeated N times, then averaged back over N.
 */
export function instanceNorm(
  who: string,
  xb: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  shown: readonly number[] = xb.shape,
  stats: InstanceNormStats | null = null,
): Tensor {
  const axes = Array.from({ length: xb.rank - 2 }, (_, i) => i + 2);
  if (stats && !stats.useInputStats) {
    // eval with running statistics: (x - running_mean)/√(running_var + eps) per channel
    const bshape = [xb.shape[1], ...axes.map(() => 1)];
    const [rm, rv] = [reshape(stats.runningMean!, bshape), reshape(stats.runningVar!, bshape)];
    return affine(div(sub(xb, rm), sqrt(add(rv, eps))), weight, bias);
  }
  // PyTorch 1.13's F.instance_norm: one spatial element normalizes to 0 and is refused
  const n = axes.reduce((p, i) => p * xb.shape[i], 1);
  if (n <= 1)
    throw new ValueError(
      `${who}: Expected more than 1 spatial element when training, got input size ${fmtShape(shown)}`,
    );
  const m = mean(xb, axes, true);
  const v = variance(xb, axes, true);
  // NOTE: the update is outside the tape, as nn.BatchNorm's: running = (1 - momentum)·running + momentum·(the
  // batch mean of the per-instance mean, or of the unbiased per-instance variance)
  const flat = (t: Tensor) => mean(reshape(t, xb.shape.slice(0, 2)), [0]);
  if (stats?.runningMean) blendInPlace(stats.runningMean, flat(m), 1 - stats.momentum);
  if (stats?.runningVar) blendInPlace(stats.runningVar, flat(v), 1 - stats.momentum, n / (n - 1));
  return affine(div(sub(xb, m), sqrt(add(v, eps))), weight, bias);
}
export class InstanceNorm1d extends InstanceNormBase {
  static override className = 'InstanceNorm1d';
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(numFeatures, opts, 1);
  }
}
export class InstanceNorm2d extends InstanceNormBase {
  static override className = 'InstanceNorm2d';
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(numFeatures, opts, 2);
  }
}
/** PyTorch `nn.InstanceNorm3d` on [N, C, D, H, W] or one sample [C, D, H, W]. */
export class InstanceNorm3d extends InstanceNormBase {
  static override className = 'InstanceNorm3d';
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(numFeatures, opts, 3);
  }
}

/**
 * PyTorch `nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0)`: x / (k + alpha/size · Σ x²)^beta, the sum over
 * `size` neighbouring channels (size//2 before, (size-1)//2 after, zeros past the edges).
 */
export class LocalResponseNorm extends Module {
  static override className = 'LocalResponseNorm';
  constructor(
    readonly size: number,
    readonly alpha = 1e-4,
    readonly beta = 0.75,
    readonly k = 1,
  ) {
    super();
    if (!Number.isInteger(size) || size < 1)
      throw new ValueError(`LocalResponseNorm: size must be a positive integer, got ${show(size)}`);
    for (const [n, v] of [
      ['alpha', alpha],
      ['beta', beta],
      ['k', k],
    ] as const)
      if (typeof v !== 'number')
        throw new ValueError(`LocalResponseNorm: ${n} must be a number, got ${show(v)}`);
  }
  forward(x: Tensor): Tensor {
    return localResponseNorm(`${this.name} (LocalResponseNorm)`, x, this.size, this.alpha, this.beta, this.k);
  }
}
/** LocalResponseNorm's op, errors prefixed with `who` (shared with nn.functional.localResponseNorm). */
export function localResponseNorm(
  who: string,
  x: Tensor,
  size: number,
  alpha: number,
  beta: number,
  k: number,
): Tensor {
  if (x.rank < 3)
    throw new ShapeError(`${who}: Expected 3D or higher dimensionality input (got ${x.rank} dimensions)`);
  const c = x.shape[1];
  const sq = pad(
    mul(x, x),
    x.shape.map((_, a): [number, number] =>
      a === 1 ? [Math.floor(size / 2), Math.floor((size - 1) / 2)] : [0, 0],
    ),
  );
  // PyTorch's avg_pool over the channel window (count_include_pad: divide by size)
  let s = slice(
    sq,
    x.shape.map(() => 0),
    x.shape,
  );
  for (let j = 1; j < size; j++)
    s = add(
      s,
      slice(
        sq,
        x.shape.map((_, a) => (a === 1 ? j : 0)),
        x.shape.map((d, a) => (a === 1 ? c : d)),
      ),
    );
  return div(x, pow(add(mul(div(s, size), alpha), k), beta));
}
