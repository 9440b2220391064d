// `tg.nn.functional` (PyTorch's `torch.nn.functional`), part 1: activations, linear, conv1d/conv2d, max/avg pooling
// and the dropouts, as functions over the ops the modules use (so results equal the modules'), with PyTorch's
// layouts (NCHW, weights [out, in/groups, ...]) and defaults. The first arguments are positional as in PyTorch, the
// keyword-only or rarely positional ones go in a camelCase options object (the wing's convention); unknown options
// and more arguments than PyTorch's signature are refused by name.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import { conv1d as conv1dOp, conv2d as conv2dOp } from '../../ops/composite/conv.js';
import {
  avgPool2d as avgPoolOp,
  maxPool2d as maxPoolOp,
  maxPool2dWithIndices,
} from '../../ops/composite/pool.js';
import {
  elu as eluOp,
  gelu as geluOp,
  leakyRelu as leakyReluOp,
  logSoftmax as logSoftmaxOp,
  selu as seluOp,
  softmax as softmaxOp,
} from '../../ops/composite/activations.js';
import { add, relu as reluOp, sigmoid as sigmoidOp, tanh as tanhOp } from '../../ops/elementwise/builders.js';
import { matmul } from '../../ops/network/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import {
  checkChannelsFirst,
  checkConvArgs,
  checkSize,
  checkPool2dArgs,
  checkPoolInput,
  unbatched,
} from './args.js';
import { alphaDropoutTrain, dropoutTrain } from './dropout.js';
import { type ChannelDropoutKind, channelDropout } from './feature-dropout.js';
import { softmaxDim } from './module.js';
import {
  checkBool,
  checkP,
  functional,
  noInplace,
  show,
  tensorOrNull,
  warnOnce,
  who,
} from './functional-args.js';

/** PyTorch `F.relu(input, inplace=False)`. */
export const relu = functional(
  'relu',
  ['input', 'inplace'],
  (input: Tensor, inplace: boolean = false): Tensor => {
    noInplace('relu', inplace);
    return reluOp(input);
  },
);

/** PyTorch `F.leaky_relu(input, negative_slope=0.01, inplace=False)`: x where x > 0, else negativeSlope·x. */
export const leakyRelu = functional(
  'leakyRelu',
  ['input', 'negativeSlope', 'inplace'],
  (input: Tensor, negativeSlope: number = 0.01, inplace: boolean = false): Tensor => {
    noInplace('leakyRelu', inplace);
    if (typeof negativeSlope !== 'number')
      throw new ValueError(`${who('leakyRelu')}: negativeSlope must be a number, got ${show(negativeSlope)}`);
    return leakyReluOp(input, negativeSlope);
  },
);

/** PyTorch `F.gelu(input, approximate='none')`: x·Φ(x) exactly (erf), or its tanh approximation with 'tanh'. */
export const gelu = functional(
  'gelu',
  ['input', 'options'],
  (input: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor => {
    checkOptionsObject(who('gelu'), opts, ['approximate'], { required: true });
    const a = opts.approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh')
      throw new ValueError(`${who('gelu')}: approximate must be 'none' or 'tanh', got ${show(a)}`);
    return geluOp(input, a === 'tanh');
  },
);

/** PyTorch `F.elu(input, alpha=1.0, inplace=False)`: x where x > 0, else alpha·(eˣ - 1). */
export const elu = functional(
  'elu',
  ['input', 'alpha', 'inplace'],
  (input: Tensor, alpha: number = 1, inplace: boolean = false): Tensor => {
    noInplace('elu', inplace);
    if (typeof alpha !== 'number')
      throw new ValueError(`${who('elu')}: alpha must be a number, got ${show(alpha)}`);
    return eluOp(input, alpha);
  },
);

/** PyTorch `F.selu(input, inplace=False)`: scale·elu(x, α) with SELU's constants. */
export const selu = functional(
  'selu',
  ['input', 'inplace'],
  (input: Tensor, inplace: boolean = false): Tensor => {
    noInplace('selu', inplace);
    return seluOp(input);
  },
);

/** PyTorch `F.sigmoid(input)` (torch.sigmoid). */
export const sigmoid = functional('sigmoid', ['input'], (input: Tensor): Tensor => sigmoidOp(input));
/** PyTorch `F.tanh(input)` (torch.tanh). */
export const tanh = functional('tanh', ['input'], (input: Tensor): Tensor => tanhOp(input));

/** dim of softmax/logSoftmax: an integer, or null for PyTorch's implicit choice (with its deprecation warning). */
export function softmaxAxis(name: string, input: Tensor, dim: unknown): number {
  if (dim === null || dim === undefined) {
    warnOnce(
      `${who(name)}: Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`,
    );
    return softmaxDim(null, input);
  }
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw new ValueError(`${who(name)}: dim must be an integer or null, got ${show(dim)}`);
  const r = Math.max(input.rank, 1);
  if (dim < -r || dim >= r)
    throw new ShapeError(
      `${who(name)}: Dimension out of range (expected to be in range of [${-r}, ${r - 1}], but got ${dim}) for input ${fmtShape(input.shape)}`,
    );
  return dim;
}
/** PyTorch `F.softmax(input, dim)`: exp(x)/Σexp(x) along dim (nn.Softmax's rule and a warning without one). */
export const softmax = functional(
  'softmax',
  ['input', 'dim'],
  (input: Tensor, dim: number | null = null): Tensor => softmaxOp(input, softmaxAxis('softmax', input, dim)),
);
/** PyTorch `F.log_softmax(input, dim)`: x - log Σexp(x) along dim. */
export const logSoftmax = functional(
  'logSoftmax',
  ['input', 'dim'],
  (input: Tensor, dim: number | null = null): Tensor =>
    logSoftmaxOp(input, softmaxAxis('logSoftmax', input, dim)),
);

/**
 * PyTorch `F.linear(input, weight, bias=None)`: x·Wᵀ + b with W [out, in] (nn.Linear's computation), or with W [in]
 * the dot product over the last axis (that axis dropped, as PyTorch, then without bias); b broadcasts to the result.
 */
export const linear = functional(
  'linear',
  ['input', 'weight', 'bias'],
  (input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor => {
    const w = tensorOrNull('linear', 'weight', weight);
    const b = tensorOrNull('linear', 'bias', bias);
    if (!w || (w.rank !== 2 && w.rank !== 1))
      throw new ShapeError(
        `${who('linear')}: weight must be [out_features, in_features] or [in_features], got ${w ? fmtShape(w.shape) : 'null'}`,
      );
    const inF = w.shape[w.rank - 1];
    if (input.rank === 0 || input.shape[input.rank - 1] !== inF)
      throw new ShapeError(
        `${who('linear')}: mat1 and mat2 shapes cannot be multiplied: input ${fmtShape(input.shape)} needs last axis ${inF} (weight ${fmtShape(w.shape)})`,
      );
    let y = matmul(input, w.rank === 2 ? w : reshape(w, [1, inF]), { transB: true });
    if (w.rank === 1) y = reshape(y, y.shape.slice(0, -1));
    if (!b) return y;
    if (w.rank === 1)
      throw new ShapeError(
        `${who('linear')}: a bias needs a 2-D weight [out_features, in_features] (PyTorch's addmm), got weight ${fmtShape(w.shape)}`,
      );
    // the bias broadcasts to the result's shape without changing it (PyTorch's addmm/add_)
    const off = y.rank - b.rank;
    if (off < 0 || b.shape.some((d, i) => d !== 1 && d !== y.shape[off + i]))
      throw new ShapeError(
        `${who('linear')}: bias ${fmtShape(b.shape)} does not broadcast to the result ${fmtShape(y.shape)} (weight ${fmtShape(w.shape)})`,
      );
    return add(y, b);
  },
);

export interface ConvFunctionalOptions {
  stride?: number | number[];
  padding?: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
}
const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups'];

/** F.conv1d/conv2d: the module's checks (from the weight's sizes) and its op call, batched or one sample. */
function conv(
  spatial: 1 | 2,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: ConvFunctionalOptions,
): Tensor {
  const name = `conv${spatial}d`;
  checkOptionsObject(who(name), opts, CONV_KEYS, { required: true });
  const w = tensorOrNull(name, 'weight', weight);
  const b = tensorOrNull(name, 'bias', bias);
  if (!w || w.rank !== spatial + 2)
    throw new ShapeError(
      `${who(name)}: weight must be [out_channels, in_channels/groups, ${spatial === 1 ? 'k' : 'kh, kw'}], got ${w ? fmtShape(w.shape) : 'null'}`,
    );
  const g = checkSize(who(name), 'groups', opts.groups ?? 1);
  const c = checkConvArgs(who(name), spatial, w.shape[1] * g, w.shape[0], w.shape.slice(2), opts);
  if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0]))
    throw new ShapeError(
      `${who(name)}: Given weight of size ${fmtShape(w.shape)}, expected bias to be 1-dimensional with ${w.shape[0]} elements, but got bias of size ${fmtShape(b.shape)}`,
    );
  const run = (x: Tensor): Tensor =>
    spatial === 1
      ? conv1dOp(x, w, b, {
          stride: c.stride[0],
          padding: typeof c.padding === 'string' ? c.padding : c.padding[0],
          dilation: c.dilation[0],
          groups: c.groups,
          dataFormat: 'NCW',
        })
      : conv2dOp(x, w, b, {
          stride: c.stride as [number, number],
          padding: typeof c.padding === 'string' ? c.padding : (c.padding as [number, number]),
          dilation: c.dilation as [number, number],
          groups: c.groups,
          dataFormat: 'NCHW',
        });
  return checkChannelsFirst(input, spatial, w.shape[1] * g, name) ? run(input) : unbatched(input, run);
}
/** PyTorch `F.conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)` on [N, C, L] or [C, L]. */
export const conv1d = functional(
  'conv1d',
  ['input', 'weight', 'bias', 'options'],
  (input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvFunctionalOptions = {}): Tensor =>
    conv(1, input, weight, bias, opts),
);
/** PyTorch `F.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)` on NCHW or CHW. */
export const conv2d = functional(
  'conv2d',
  ['input', 'weight', 'bias', 'options'],
  (input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvFunctionalOptions = {}): Tensor =>
    conv(2, input, weight, bias, opts),
);

type P2 = number | [number] | [number, number];
/** F.max_pool2d/avg_pool2d on [N, C, H, W], or one sample [C, H, W] (the result unbatched too). */
function pooled<T extends Tensor | [Tensor, Tensor]>(x: Tensor, f: (b: Tensor) => T): T {
  if (checkPoolInput(x)) return f(x);
  const y = f(reshape(x, [1, ...x.shape]));
  const drop = (t: Tensor) => reshape(t, t.shape.slice(1));
  return (Array.isArray(y) ? [drop(y[0]), drop(y[1])] : drop(y)) as T;
}
export interface MaxPool2dFunctionalOptions {
  stride?: P2 | [] | null;
  padding?: P2;
  dilation?: P2;
  ceilMode?: boolean;
  returnIndices?: boolean;
}
/**
 * PyTorch `F.max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
 * return_indices=False)`: with returnIndices, [values, indices] as nn.MaxPool2d.
 */
export function maxPool2d(
  input: Tensor,
  kernelSize: P2,
  opts: MaxPool2dFunctionalOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: P2, opts?: MaxPool2dFunctionalOptions): Tensor;
export function maxPool2d(...args: [Tensor, P2, MaxPool2dFunctionalOptions?]): Tensor | [Tensor, Tensor] {
  return maxPool2dImpl(...args);
}
const maxPool2dImpl = functional(
  'maxPool2d',
  ['input', 'kernelSize', 'options'],
  (input: Tensor, kernelSize: P2, opts: MaxPool2dFunctionalOptions = {}): Tensor | [Tensor, Tensor] => {
    const name = who('maxPool2d');
    checkOptionsObject(name, opts, ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'], {
      required: true,
    });
    const { stride = null, padding = 0, dilation = 1 } = opts;
    const c = checkPool2dArgs(name, kernelSize, stride, padding, dilation);
    const ceilMode = checkBool('maxPool2d', 'ceilMode', opts.ceilMode ?? false);
    const withIndices = checkBool('maxPool2d', 'returnIndices', opts.returnIndices ?? false);
    const o = { ...c, ceilMode, dataFormat: 'NCHW' };
    return pooled(input, (x): Tensor | [Tensor, Tensor] => {
      if (!withIndices) return maxPoolOp(x, o);
      const { values, indices } = maxPool2dWithIndices(x, o);
      return [values, indices];
    });
  },
);
export interface AvgPool2dFunctionalOptions {
  stride?: P2 | [] | null;
  padding?: P2;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}
/**
 * PyTorch `F.avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
 * divisor_override=None)`.
 */
export const avgPool2d = functional(
  'avgPool2d',
  ['input', 'kernelSize', 'options'],
  (input: Tensor, kernelSize: P2, opts: AvgPool2dFunctionalOptions = {}): Tensor => {
    const name = who('avgPool2d');
    const keys = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'];
    checkOptionsObject(name, opts, keys, { required: true });
    const { stride = null, padding = 0, divisorOverride = null } = opts;
    const c = checkPool2dArgs(name, kernelSize, stride, padding);
    const ceilMode = checkBool('avgPool2d', 'ceilMode', opts.ceilMode ?? false);
    const countIncludePad = checkBool('avgPool2d', 'countIncludePad', opts.countIncludePad ?? true);
    // PyTorch: divisor_override must be int (TypeError for 2.5) and not zero
    if (divisorOverride !== null && !(Number.isInteger(divisorOverride) && divisorOverride !== 0))
      throw new ValueError(
        `${name}: divisorOverride must be a non-zero integer or null, got ${show(divisorOverride)}`,
      );
    return pooled(input, (x) =>
      avgPoolOp(x, {
        kernelSize: c.kernelSize,
        stride: c.stride,
        padding: c.padding,
        dataFormat: 'NCHW',
        ceilMode,
        countIncludePad,
        ...(divisorOverride === null ? {} : { divisorOverride }),
      }),
    );
  },
);

/** A dropout functional: p, training and inplace checked as PyTorch's, then the module's computation. */
function dropoutFn(
  name: string,
  trainingDefault: boolean,
  run: (x: Tensor, p: number, training: boolean) => Tensor,
) {
  return functional(
    name,
    ['input', 'p', 'training', 'inplace'],
    (
      input: Tensor,
      p: number = 0.5,
      training: boolean = trainingDefault,
      inplace: boolean = false,
    ): Tensor => {
      const q = checkP(name, p);
      const t = checkBool(name, 'training', training);
      noInplace(name, inplace);
      return run(input, q, t);
    },
  );
}
const passes = (x: Tensor, p: number, training: boolean) => !training || p === 0 || x.size === 0;
/** PyTorch `F.dropout(input, p=0.5, training=True, inplace=False)` (nn.Dropout's computation; training defaults to true). */
export const dropout = dropoutFn('dropout', true, (x, p, t) => (passes(x, p, t) ? x : dropoutTrain(x, p)));
/** PyTorch `F.alpha_dropout(input, p=0.5, training=False, inplace=False)` (nn.AlphaDropout's computation). */
export const alphaDropout = dropoutFn('alphaDropout', false, (x, p, t) =>
  passes(x, p, t) ? x : alphaDropoutTrain(x, p),
);
const channel = (kind: ChannelDropoutKind, name: string, trainingDefault: boolean) =>
  dropoutFn(name, trainingDefault, (x, p, t) =>
    channelDropout(kind, x, p, t, (m) => warnOnce(`${who(name)}: ${m}`)),
  );
/** PyTorch `F.dropout1d(input, p=0.5, training=True, inplace=False)`: whole channels of [N, C, L] or [C, L]. */
export const dropout1d = channel('dropout1d', 'dropout1d', true);
/** PyTorch `F.dropout2d(input, p=0.5, training=True, inplace=False)`: whole channels of [N, C, H, W]. */
export const dropout2d = channel('dropout2d', 'dropout2d', true);
/** PyTorch `F.dropout3d(input, p=0.5, training=True, inplace=False)`: whole channels of [N, C, D, H, W] or [C, D, H, W]. */
export const dropout3d = channel('dropout3d', 'dropout3d', true);
/** PyTorch `F.feature_alpha_dropout(input, p=0.5, training=False, inplace=False)`. */
export const featureAlphaDropout = channel('feature_alpha_dropout', 'featureAlphaDropout', false);
