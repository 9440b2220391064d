// `tg.nn.functional` (PyTorch's `torch.nn.functional`), part 4: group_norm, instance_norm, local_response_norm
// (norm-modules.ts), pixel_shuffle/pixel_unshuffle, interpolate and avg_pool1d (shape-modules.ts), each the module's
// op (no second implementation) with PyTorch 1.13's argument rules.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import {
  groupNorm as groupNormOp,
  instanceNorm as instanceNormOp,
  localResponseNorm as lrnOp,
} from './norm-modules.js';
import {
  avgPool1dArgs,
  avgPool1dOf,
  pixelShuffle as pixelShuffleOp,
  pixelUnshuffle as pixelUnshuffleOp,
} from './shape-modules.js';
import { type UpsampleOptions, upsample, upsampleOptions } from './upsample.js';
import { checkBool, functional, show, tensorOrNull, who } from './functional-args.js';

/** eps ≥ 0, named in the error otherwise. */
function checkEps(name: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0))
    throw new ValueError(`${who(name)}: eps must be a non-negative number, got ${show(eps)}`);
  return eps;
}
/** weight and bias (or the running statistics, named by `names`) [C] for axis 1 of input, as PyTorch's norms. */
function channelAffine(
  name: string,
  input: Tensor,
  weight: unknown,
  bias: unknown,
  names: readonly [string, string] = ['weight', 'bias'],
): [Tensor | null, Tensor | null] {
  const [w, b] = [tensorOrNull(name, names[0], weight), tensorOrNull(name, names[1], bias)];
  for (const [what, t] of [
    [names[0], w],
    [names[1], b],
  ] as const)
    if (t && (t.rank !== 1 || t.shape[0] !== input.shape[1]))
      throw new ShapeError(
        `${who(name)}: Expected ${what} to be a vector of size equal to the number of channels in input, but got ${what} of shape ${fmtShape(t.shape)} and input of shape ${fmtShape(input.shape)}`,
      );
  return [w, b];
}

/**
 * PyTorch `F.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)` on [N, C, ...]: each sample's channels
 * in numGroups groups, each normalized over its channels and positions (nn.GroupNorm's op).
 */
export const groupNorm = functional(
  'groupNorm',
  ['input', 'numGroups', 'weight', 'bias', 'options'],
  (
    input: Tensor,
    numGroups: number,
    weight: Tensor | null = null,
    bias: Tensor | null = null,
    opts: { eps?: number } = {},
  ): Tensor => {
    const name = who('groupNorm');
    checkOptionsObject(name, opts, ['eps'], { required: true });
    const eps = checkEps('groupNorm', opts.eps ?? 1e-5);
    if (!Number.isInteger(numGroups) || numGroups < 1)
      throw new ValueError(`${name}: numGroups must be a positive integer, got ${show(numGroups)}`);
    if (input.rank < 2)
      throw new ShapeError(
        `${name}: Expected at least 2 dimensions for input tensor but received ${input.rank} (input ${fmtShape(input.shape)})`,
      );
    if (input.shape[1] % numGroups !== 0)
      throw new ShapeError(
        `${name}: Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(input.shape)} and num_groups=${numGroups}`,
      );
    const [w, b] = channelAffine('groupNorm', input, weight, bias);
    return groupNormOp(input, numGroups, w, b, eps);
  },
);

export interface InstanceNormFunctionalOptions {
  /** true (default): normalize with the input's statistics (and update the running ones, if given); false: with
   * runningMean and runningVar. */
  useInputStats?: boolean;
  /** Weight of the new batch in the running statistics' update (default 0.1). */
  momentum?: number;
  eps?: number;
}
/**
 * PyTorch `F.instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
 * momentum=0.1, eps=1e-5)` on [N, C, ...spatial]: each sample's each channel normalized over its positions
 * (nn.InstanceNorm*d's op). Running statistics [C], when given, are updated in place with useInputStats (as
 * nn.InstanceNorm with trackRunningStats in training), or normalize without it.
 */
export const instanceNorm = functional(
  'instanceNorm',
  ['input', 'runningMean', 'runningVar', 'weight', 'bias', 'options'],
  (
    input: Tensor,
    runningMean: Tensor | null = null,
    runningVar: Tensor | null = null,
    weight: Tensor | null = null,
    bias: Tensor | null = null,
    opts: InstanceNormFunctionalOptions = {},
  ): Tensor => {
    const name = who('instanceNorm');
    checkOptionsObject(name, opts, ['useInputStats', 'momentum', 'eps'], { required: true });
    const eps = checkEps('instanceNorm', opts.eps ?? 1e-5);
    const momentum = opts.momentum ?? 0.1;
    if (typeof momentum !== 'number')
      throw new ValueError(`${name}: momentum must be a number, got ${show(opts.momentum)}`);
    const useInputStats = checkBool('instanceNorm', 'useInputStats', opts.useInputStats ?? true);
    if (input.rank < 2)
      throw new ShapeError(
        `${name}: expected input [N, C, ...] of rank 2 or more, got ${fmtShape(input.shape)}`,
      );
    const [rm, rv] = channelAffine('instanceNorm', input, runningMean, runningVar, [
      'running_mean',
      'running_var',
    ]);
    // PyTorch 1.13's at::instance_norm check
    if (!useInputStats && (!rm || !rv))
      throw new ValueError(
        `${name}: Expected running_mean and running_var to be defined when use_input_stats is false`,
      );
    const [w, b] = channelAffine('instanceNorm', input, weight, bias);
    const stats = rm || rv ? { runningMean: rm, runningVar: rv, useInputStats, momentum } : null;
    return instanceNormOp(name, input, w, b, eps, input.shape, stats);
  },
);

/**
 * PyTorch `F.local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.)` on [N, C, ...]: x / (k + alpha/size ·
 * Σ x²)^beta over `size` neighbouring channels (nn.LocalResponseNorm's op).
 */
export const localResponseNorm = functional(
  'localResponseNorm',
  ['input', 'size', 'alpha', 'beta', 'k'],
  (input: Tensor, size: number, alpha: number = 1e-4, beta: number = 0.75, k: number = 1): Tensor => {
    const name = who('localResponseNorm');
    if (!Number.isInteger(size) || size < 1)
      throw new ValueError(`${name}: size must be a positive integer, got ${show(size)}`);
    for (const [n, v] of [
      ['alpha', alpha],
      ['beta', beta],
      ['k', k],
    ] as const)
      if (typeof v !== 'number') throw new ValueError(`${name}: ${n} must be a number, got ${show(v)}`);
    return lrnOp(name, input, size, alpha, beta, k);
  },
);

/** A positive integer factor, named in the error otherwise (PyTorch's "expects a positive ..."). */
function factor(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new ValueError(`${who(name)}: expects a positive ${what}, but got ${show(v)}`);
  return v;
}
/** PyTorch `F.pixel_shuffle(input, upscale_factor)`: [*, C·r², H, W] → [*, C, H·r, W·r] (nn.PixelShuffle's op). */
export const pixelShuffle = functional(
  'pixelShuffle',
  ['input', 'upscaleFactor'],
  (input: Tensor, upscaleFactor: number): Tensor =>
    pixelShuffleOp(who('pixelShuffle'), input, factor('pixelShuffle', 'upscale_factor', upscaleFactor)),
);
/** PyTorch `F.pixel_unshuffle(input, downscale_factor)`: [*, C, H·r, W·r] → [*, C·r², H, W] (nn.PixelUnshuffle's op). */
export const pixelUnshuffle = functional(
  'pixelUnshuffle',
  ['input', 'downscaleFactor'],
  (input: Tensor, downscaleFactor: number): Tensor =>
    pixelUnshuffleOp(
      who('pixelUnshuffle'),
      input,
      factor('pixelUnshuffle', 'downscale_factor', downscaleFactor),
    ),
);

export interface InterpolateOptions extends UpsampleOptions {
  /** PyTorch's anti-aliased resampling (default false), for bilinear and bicubic on 4D input only. */
  antialias?: boolean;
}
/**
 * PyTorch `F.interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
 * recompute_scale_factor=None, antialias=False)` (keywords in an options object): nn.Upsample's op, every mode of
 * PyTorch 1.13 (nearest, nearest-exact, area, linear, bilinear, bicubic, trilinear), and with antialias PyTorch's
 * anti-aliased bilinear and bicubic.
 */
export const interpolate = functional(
  'interpolate',
  ['input', 'options'],
  (input: Tensor, opts: InterpolateOptions = {}): Tensor => {
    const name = who('interpolate');
    checkOptionsObject(
      name,
      opts,
      ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'antialias'],
      {
        required: true,
      },
    );
    const { antialias = false, ...rest } = opts;
    return upsample(
      name,
      input,
      upsampleOptions(name, rest),
      checkBool('interpolate', 'antialias', antialias),
    );
  },
);

export interface AvgPool1dFunctionalOptions {
  stride?: number | [number] | null;
  padding?: number | [number];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}
/**
 * PyTorch `F.avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)` on
 * [N, C, L] or [C, L] (nn.AvgPool1d's op).
 */
export const avgPool1d = functional(
  'avgPool1d',
  ['input', 'kernelSize', 'options'],
  (input: Tensor, kernelSize: number | [number], opts: AvgPool1dFunctionalOptions = {}): Tensor => {
    const name = who('avgPool1d');
    checkOptionsObject(name, opts, ['stride', 'padding', 'ceilMode', 'countIncludePad'], { required: true });
    const { stride = null, padding = 0, ceilMode = false, countIncludePad = true } = opts;
    return avgPool1dOf(
      name,
      input,
      avgPool1dArgs(name, kernelSize, stride, padding, ceilMode, countIncludePad),
    );
  },
);
