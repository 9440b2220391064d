// PyTorch-style classes (`tg.nn.Linear`, `tg.nn.Conv2d`, ...), so a PyTorch tutorial model can be written
// one-to-one: NCHW layouts, PyTorch weight shapes and initialisation, modules that start in train mode.
import { ShapeError, ValueError } from '../../core/errors.js';
import { rand } from '../../core/random.js';
import type { Shape } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { add, relu, sigmoid, tanh } from '../../ops/elementwise/builders.js';
import { conv1d, conv2d } from '../../ops/composite/conv.js';
import { avgPool2d, maxPool2d, maxPool2dWithIndices } from '../../ops/composite/pool.js';
import { logSoftmax, softmax } from '../../ops/composite/activations.js';
import { matmul } from '../../ops/network/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import type { Initializer } from '../initializers.js';
import { Module } from './base.js';
import { moduleOptions } from './options.js';
import {
  type CheckedPool2d,
  checkChannelsFirst,
  checkConvArgs,
  checkCount,
  checkPool2dArgs,
  checkPoolInput,
  flattenShape,
  unbatched,
} from './args.js';
import type { DType } from '../../core/dtype.js';
import type { PaddingMode } from '../../ops/composite/pad-modes.js';

// NOTE: Module, Dropout and the containers live in their own files; they are re-exported here, where debug and the
// barrels find them.
export { Module, Parameter } from './base.js';
export { AlphaDropout, Dropout } from './dropout.js';
export { ModuleDict, ModuleList, Sequential } from './containers.js';

/**
 * PyTorch's default init for Linear/Conv: U(-1/√fanIn, 1/√fanIn) for weight and bias.
 * NOTE: fanIn 0 (Linear(0, n)) gives bound 0, as PyTorch's reset_parameters: a zero bias (the weight has no values).
 */
export const torchUniform =
  (fanIn: number): Initializer =>
  (shape: Shape, dtype) => {
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    return rand(shape, { low: -bound, high: bound, dtype });
  };

/** y = x·Wᵀ + b with W [out, in]; either size may be 0, as in PyTorch (in 0: y = b broadcast; out 0: y [..., 0]). */
export class Linear extends Module {
  static override className = 'Linear';
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Linear', opts, ['bias', 'name', 'dtype']);
    checkCount('Linear', 'in_features', inFeatures);
    checkCount('Linear', 'out_features', outFeatures);
    this.weight = this.addWeight('weight', [outFeatures, inFeatures], torchUniform(inFeatures));
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outFeatures], torchUniform(inFeatures));
  }
  forward(x: Tensor): Tensor {
    if (x.rank === 0)
      throw new ShapeError(
        `${this.name} (Linear): expected input [..., ${this.inFeatures}], got a scalar — a scalar has no feature axis`,
      );
    if (x.shape[x.rank - 1] !== this.inFeatures)
      throw new ShapeError(
        `${this.name} (Linear): in_features is ${this.inFeatures} but the input has last axis ${x.shape[x.rank - 1]} (shape [${x.shape}]) — flatten it, or set in_features to the flattened size`,
      );
    const y = matmul(x, this.weight, { transB: true });
    return this.bias ? add(y, this.bias) : y;
  }
  override paramFormula(): string {
    return `(${this.inFeatures}${this.bias ? '+1' : ''})·${this.outFeatures} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

type P2 = number | [number] | [number, number];
export interface TorchConvOptions {
  stride?: P2;
  padding?: P2 | 'same' | 'valid';
  dilation?: P2;
  groups?: number;
  bias?: boolean;
  /** PyTorch padding_mode: 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
  name?: string;
  /** Weight dtype, 'float32' (default) or 'float64'. */
  dtype?: DType;
}
const CONV_KEYS = [
  'stride',
  'padding',
  'dilation',
  'groups',
  'bias',
  'paddingMode',
  'name',
  'dtype',
] as const;

/** NCHW convolution with weight [out, in/groups, kh, kw]. */
export class Conv2d extends Module {
  static override className = 'Conv2d';
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: P2,
    readonly opts: TorchConvOptions = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Conv2d', opts, CONV_KEYS);
    const {
      kernel: [kh, kw],
      groups: g,
    } = checkConvArgs('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
    // NOTE: PyTorch's 1-tuples ([k], both axes) are read as their number, so `opts` holds what the op reads
    const one = (v: unknown) => (Array.isArray(v) && v.length === 1 ? (v[0] as number) : v);
    const [stride, padding, dilation] = [opts.stride, opts.padding, opts.dilation].map(one);
    this.opts = {
      ...opts,
      ...(stride !== undefined && { stride }),
      ...(padding !== undefined && { padding }),
      ...(dilation !== undefined && { dilation }),
    } as TorchConvOptions;
    const fanIn = (inChannels / g) * kh * kw;
    this.weight = this.addWeight('weight', [outChannels, inChannels / g, kh, kw], torchUniform(fanIn));
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outChannels], torchUniform(fanIn));
  }
  /** x [N, C, H, W], or one sample [C, H, W] (then the output is unbatched too, as PyTorch 1.13). */
  forward(x: Tensor): Tensor {
    return checkChannelsFirst(x, 2, this.inChannels, 'conv2d')
      ? this.conv(x)
      : unbatched(x, (b) => this.conv(b));
  }
  private conv(x: Tensor): Tensor {
    const o = this.opts;
    return conv2d(x, this.weight, this.bias, {
      stride: o.stride as number | [number, number],
      padding: (o.padding ?? 0) as number | [number, number] | 'same' | 'valid',
      dilation: o.dilation as number | [number, number],
      groups: o.groups,
      dataFormat: 'NCHW',
      ...(o.paddingMode !== undefined && { paddingMode: o.paddingMode }),
    });
  }
  override paramFormula(): string {
    const [o, ...per] = this.weight.shape;
    return `(${per.join('·')}${this.bias ? '+1' : ''})·${o} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

export type Conv1dOptions = Omit<TorchConvOptions, 'stride' | 'padding' | 'dilation'> & {
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
};

/** NCW convolution with weight [out, in/groups, k]. */
export class Conv1d extends Module {
  static override className = 'Conv1d';
  weight: Tensor;
  bias: Tensor | null;
  readonly opts: Conv1dOptions;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number],
    opts: Omit<Conv1dOptions, 'stride' | 'padding' | 'dilation'> & {
      stride?: number | [number];
      padding?: number | [number] | 'same' | 'valid';
      dilation?: number | [number];
    } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Conv1d', opts, CONV_KEYS);
    // NOTE: PyTorch's 1-tuples ((3,)) are read as their number, so `opts` holds plain numbers.
    const c = checkConvArgs('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
    this.opts = {
      ...opts,
      stride: c.stride[0],
      dilation: c.dilation[0],
      padding: typeof c.padding === 'string' ? c.padding : c.padding[0],
    };
    const g = c.groups;
    const k = c.kernel[0];
    const fanIn = (inChannels / g) * k;
    this.weight = this.addWeight('weight', [outChannels, inChannels / g, k], torchUniform(fanIn));
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outChannels], torchUniform(fanIn));
  }
  /** x [N, C, L], or one sample [C, L] (then the output is unbatched too, as PyTorch 1.13). */
  forward(x: Tensor): Tensor {
    return checkChannelsFirst(x, 1, this.inChannels, 'conv1d')
      ? this.conv(x)
      : unbatched(x, (b) => this.conv(b));
  }
  private conv(x: Tensor): Tensor {
    const o = this.opts;
    return conv1d(x, this.weight, this.bias, {
      stride: o.stride,
      padding: o.padding ?? 0,
      dilation: o.dilation,
      groups: o.groups,
      dataFormat: 'NCW',
      ...(o.paddingMode !== undefined && { paddingMode: o.paddingMode }),
    });
  }
  override paramFormula(): string {
    const [o, ...per] = this.weight.shape;
    return `(${per.join('·')}${this.bias ? '+1' : ''})·${o} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

/**
 * PyTorch `nn.MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode)` on NCHW; stride
 * defaults to kernelSize. With returnIndices, forward returns [values, indices] (int32 positions y·W + x in
 * each input plane, as PyTorch's MaxUnpool2d expects).
 */
export class MaxPool2d<R extends boolean = false> extends Module {
  static override className = 'MaxPool2d';
  constructor(
    readonly kernelSize: P2,
    readonly stride?: P2 | [] | null,
    readonly padding: P2 = 0,
    readonly dilation: P2 = 1,
    readonly returnIndices: R = false as R,
    readonly ceilMode = false,
  ) {
    super();
    this.args = checkPool2dArgs('MaxPool2d', kernelSize, stride, padding, dilation);
  }
  private readonly args: CheckedPool2d;
  /** x [N, C, H, W], or one sample [C, H, W] (values and indices then unbatched too, as PyTorch 1.13). */
  forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    if (checkPoolInput(x)) return this.pool(x);
    const y = this.pool(reshape(x, [1, ...x.shape]));
    const drop = (t: Tensor) => reshape(t, t.shape.slice(1));
    return Array.isArray(y) ? [drop(y[0]), drop(y[1])] : drop(y);
  }
  private pool(x: Tensor): Tensor | [Tensor, Tensor] {
    const opts = { ...this.args, ceilMode: this.ceilMode, dataFormat: 'NCHW' };
    if (!this.returnIndices) return maxPool2d(x, opts);
    const { values, indices } = maxPool2dWithIndices(x, opts);
    return [values, indices];
  }
}
/**
 * PyTorch `nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)` on NCHW.
 * NOTE: PyTorch counts padded zeros by default (countIncludePad true).
 */
export class AvgPool2d extends Module {
  static override className = 'AvgPool2d';
  constructor(
    readonly kernelSize: P2,
    readonly stride?: P2 | [] | null,
    readonly padding: P2 = 0,
    readonly ceilMode = false,
    readonly countIncludePad = true,
    readonly divisorOverride: number | null = null,
  ) {
    super();
    this.args = checkPool2dArgs('AvgPool2d', kernelSize, stride, padding);
  }
  private readonly args: CheckedPool2d;
  /** x [N, C, H, W], or one sample [C, H, W] (then the output is unbatched too, as PyTorch 1.13). */
  forward(x: Tensor): Tensor {
    return checkPoolInput(x) ? this.pool(x) : unbatched(x, (b) => this.pool(b));
  }
  private pool(x: Tensor): Tensor {
    return avgPool2d(x, {
      kernelSize: this.args.kernelSize,
      stride: this.args.stride,
      padding: this.args.padding,
      dataFormat: 'NCHW',
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      ...(this.divisorOverride === null ? {} : { divisorOverride: this.divisorOverride }),
    });
  }
}

/** Elementwise activations as modules. */
export class ReLU extends Module {
  static override className = 'ReLU';
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
export class Sigmoid extends Module {
  static override className = 'Sigmoid';
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
export class Tanh extends Module {
  static override className = 'Tanh';
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}
export class Identity extends Module {
  static override className = 'Identity';
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * The dim of PyTorch's `nn.Softmax()` / `nn.LogSoftmax()` without one (dim=None, `_get_softmax_dim`): 0 for inputs
 * of rank 0, 1 or 3, else 1 (the class axis of [N, C, ...]), not the last axis.
 */
export const softmaxDim = (dim: number | null, x: Tensor): number =>
  dim ?? (x.rank === 0 || x.rank === 1 || x.rank === 3 ? 0 : 1);
/** A softmax-like dim: an integer or null, refused by name otherwise. */
export const checkDim = (who: string, dim: unknown): number | null => {
  if (dim !== null && !Number.isInteger(dim))
    throw new ValueError(`${who}: dim must be an integer or null, got ${JSON.stringify(dim) ?? String(dim)}`);
  return dim as number | null;
};
/** PyTorch `nn.Softmax(dim = None)`: exp(x)/Σexp(x) along dim (see softmaxDim without one). */
export class Softmax extends Module {
  static override className = 'Softmax';
  readonly dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = checkDim('Softmax', dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, softmaxDim(this.dim, x));
  }
}
/** PyTorch `nn.LogSoftmax(dim = None)`: x - log Σexp(x) along dim (see softmaxDim without one). */
export class LogSoftmax extends Module {
  static override className = 'LogSoftmax';
  readonly dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = checkDim('LogSoftmax', dim);
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, softmaxDim(this.dim, x));
  }
}
/** PyTorch `nn.Flatten(start_dim = 1, end_dim = -1)`: merge the dims from startDim to endDim (negative: from the end). */
export class Flatten extends Module {
  static override className = 'Flatten';
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    for (const [k, v] of [
      ['start_dim', startDim],
      ['end_dim', endDim],
    ] as const)
      if (!Number.isInteger(v))
        throw new ValueError(`Flatten: ${k} must be an integer, got ${JSON.stringify(v)}`);
  }
  forward(x: Tensor): Tensor {
    return reshape(x, flattenShape(`${this.name} (Flatten)`, x.shape, this.startDim, this.endDim));
  }
}
