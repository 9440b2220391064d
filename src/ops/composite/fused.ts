// TF.js's `tf.fused` ops with their contracts: conv2d / depthwiseConv2d / matMul, then + bias, then an activation,
// in one call. conv2d with a per-filter bias and 'linear' or 'relu' runs as the conv2dFused row (bias and relu in
// the kernel's epilogue, no second pass over the output); every other case is the same composition of ops. Either
// way the gradient comes from the tape (the fused row's vjp is a derived composition, checked like every row).
// NOTE: TF.js filters are [fh, fw, in, out] in both data formats (tapegrad's own conv2d takes PyTorch's
// [out, in, kh, kw] with 'NCHW'), so an NCHW input is transposed to NHWC around an NHWC conv.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { Tensor } from '../../core/tensor.js';
import { add, greater, mul, relu, sigmoid, where } from '../elementwise/builders.js';
import { reshape, transpose } from '../movement/builders.js';
import { matmul as matmulOp } from '../network/builders.js';
import { elu, leakyRelu, relu6 } from './activations.js';
import { conv2dWithActivation, depthwiseConv2d as depthwiseOp } from './conv.js';
import { type Padding2d, type Pair, format2d } from './window.js';

/** TF.js `Activation` of the fused ops. */
export type FusedActivation = 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';
const ACTIVATIONS: readonly FusedActivation[] = [
  'linear',
  'relu',
  'prelu',
  'elu',
  'relu6',
  'leakyrelu',
  'sigmoid',
];

interface ActivationArgs {
  bias?: Tensor | null;
  activation?: FusedActivation;
  /** 'prelu': the slopes of negative values (a scalar, one per output channel, or broadcastable to the output). */
  preluActivationWeights?: Tensor | null;
  /** 'leakyrelu': the slope of negative values (default 0.2, TF.js). */
  leakyreluAlpha?: number;
}

/** `tf.fused.conv2d` arguments (TF.js names; `pad` as in TF.js: 'valid', 'same', a number or explicit pads). */
export interface FusedConv2dArgs extends ActivationArgs {
  /** [batch, h, w, in] ('NHWC') or [batch, in, h, w] ('NCHW'); rank 3 without the batch. */
  x: Tensor;
  /** [fh, fw, in, out] in both data formats (depthwiseConv2d: [fh, fw, in, multiplier]). */
  filter: Tensor;
  strides: Pair;
  pad: 'valid' | 'same' | number | readonly (readonly [number, number])[];
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: Pair;
  /** With a numeric `pad` only; tapegrad's windows round output sizes down ('floor'). */
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** `tf.fused.matMul` arguments. */
export interface FusedMatMulArgs extends ActivationArgs {
  a: Tensor;
  b: Tensor;
  transposeA?: boolean;
  transposeB?: boolean;
}

const ACT_KEYS = ['bias', 'activation', 'preluActivationWeights', 'leakyreluAlpha'] as const;
const CONV_KEYS = [
  'x',
  'filter',
  'strides',
  'pad',
  'dataFormat',
  'dilations',
  'dimRoundingMode',
  ...ACT_KEYS,
] as const;

function checkActivation(op: string, a: ActivationArgs): FusedActivation {
  const act = a.activation ?? 'linear';
  if (!ACTIVATIONS.includes(act))
    throw new ValueError(
      `${op}: unknown activation '${String(act)}' (TF.js fused: ${ACTIVATIONS.join(', ')})`,
    );
  if (act === 'prelu' && !(a.preluActivationWeights instanceof Tensor))
    throw new ValueError(`${op}: activation 'prelu' needs preluActivationWeights (a Tensor)`);
  for (const k of ['bias', 'preluActivationWeights'] as const)
    if (a[k] !== undefined && a[k] !== null && !(a[k] instanceof Tensor))
      throw new ValueError(`${op}: ${k} must be a Tensor, got ${typeof a[k]}`);
  return act;
}

/**
 * The activation after the bias (TF.js applyActivation): prelu(y) = y where y > 0, else α·y.
 * `perChannel` places a 1-D tensor along the output's channel axis.
 */
function activate(
  y: Tensor,
  act: FusedActivation,
  a: ActivationArgs,
  perChannel: (t: Tensor) => Tensor = (t) => t,
): Tensor {
  if (act === 'relu') return relu(y);
  if (act === 'prelu') return where(greater(y, 0), y, mul(y, perChannel(a.preluActivationWeights!)));
  if (act === 'elu') return elu(y);
  if (act === 'relu6') return relu6(y);
  if (act === 'leakyrelu') return leakyRelu(y, a.leakyreluAlpha ?? 0.2);
  if (act === 'sigmoid') return sigmoid(y);
  return y;
}

/** TF.js pads → tapegrad's padding ('same', 'valid', a number, or [[top, bottom], [left, right]]). */
function padding(op: string, args: FusedConv2dArgs, nhwc: boolean): Padding2d {
  const { pad, dimRoundingMode } = args;
  if (dimRoundingMode !== undefined) {
    if (typeof pad !== 'number')
      throw new ValueError(`${op}: dimRoundingMode goes with a numeric pad, got pad ${JSON.stringify(pad)}`);
    if (dimRoundingMode !== 'floor')
      throw new ValueError(
        `${op}: dimRoundingMode '${String(dimRoundingMode)}' is not supported (tapegrad's windows round down: 'floor')`,
      );
  }
  if (pad === 'same' || pad === 'valid' || typeof pad === 'number') return pad;
  const spatial = nhwc ? [1, 2] : [2, 3];
  const rows = Array.isArray(pad) ? pad : [];
  const ok =
    rows.length === 4 &&
    rows.every((r) => Array.isArray(r) && r.length === 2) &&
    rows.every((r, i) => spatial.includes(i) || (r[0] === 0 && r[1] === 0));
  if (!ok)
    throw new ValueError(
      `${op}: pad must be 'same', 'valid', a number or 4 [before, after] pairs with zeros outside the spatial axes (${nhwc ? 'NHWC' : 'NCHW'}), got ${JSON.stringify(pad)}`,
    );
  return [
    [rows[spatial[0]][0], rows[spatial[0]][1]],
    [rows[spatial[1]][0], rows[spatial[1]][1]],
  ];
}

/** Shared body of conv2d and depthwiseConv2d: rank 3 → 4, NCHW → NHWC, the conv, bias and activation, and back. */
function fusedConv(op: string, args: FusedConv2dArgs, depthwise: boolean): Tensor {
  checkOptions(op, args, CONV_KEYS);
  const { x, filter, bias } = args;
  if (!(x instanceof Tensor) || !(filter instanceof Tensor))
    throw new ValueError(`${op}: x and filter must be Tensors, got ${typeof x} and ${typeof filter}`);
  const act = checkActivation(op, args);
  const fmt = format2d(args.dataFormat, op);
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(`${op}: x must be rank 4 (or 3 without the batch), got ${fmtShape(x.shape)}`);
  if (filter.rank !== 4)
    throw new ShapeError(
      `${op}: filter must be rank 4 ${depthwise ? '[fh, fw, in, multiplier]' : '[fh, fw, in, out]'}, got ${fmtShape(filter.shape)}`,
    );
  const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
  const nhwc = fmt === 'NHWC' ? x4 : transpose(x4, [0, 2, 3, 1]);
  if (nhwc.shape[3] !== filter.shape[2])
    throw new ShapeError(
      `${op}: x has ${nhwc.shape[3]} input channels (${fmt} ${fmtShape(x.shape)}) but the filter ${fmtShape(filter.shape)} expects ${filter.shape[2]}`,
    );
  const out = depthwise ? filter.shape[2] * filter.shape[3] : filter.shape[3];
  if (fmt === 'NCHW' && bias != null && bias.rank > 1)
    throw new ShapeError(
      `${op}: an NCHW conv takes a scalar or 1-D bias (TF.js), got ${fmtShape(bias.shape)}`,
    );
  const opts = {
    stride: args.strides,
    padding: padding(op, args, fmt === 'NHWC'),
    dilation: args.dilations ?? 1,
  };
  // a per-filter bias (and relu) go into the conv itself; any other bias shape is broadcast after it
  const perFilter = bias != null && bias.rank === 1 && bias.shape[0] === out;
  const inConv = act === 'relu' && (bias == null || perFilter) && !depthwise ? 'relu' : 'linear';
  let y = depthwise
    ? depthwiseOp(nhwc, filter, perFilter ? bias : null, opts)
    : conv2dWithActivation(nhwc, filter, perFilter ? bias : null, opts, inConv);
  if (fmt === 'NCHW') y = transpose(y, [0, 3, 1, 2]);
  // NOTE: in NCHW a 1-D bias or prelu slope runs along axis 1, the channels: [c] → [c, 1, 1]
  const perChannel = (t: Tensor): Tensor =>
    fmt === 'NCHW' && t.rank === 1 ? reshape(t, [t.shape[0], 1, 1]) : t;
  if (bias != null && !perFilter) y = add(y, perChannel(bias));
  if (inConv === 'linear') y = activate(y, act, args, perChannel);
  return x.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
}

/** TF.js `tf.fused.conv2d`: activation(conv2d(x, filter) + bias). */
export function conv2d(args: FusedConv2dArgs): Tensor {
  return fusedConv('fused.conv2d', args, false);
}

/** TF.js `tf.fused.depthwiseConv2d`: activation(depthwiseConv2d(x, filter) + bias). */
export function depthwiseConv2d(args: FusedConv2dArgs): Tensor {
  return fusedConv('fused.depthwiseConv2d', args, true);
}

/** TF.js `tf.fused.matMul`: activation(a·b + bias), with a and b optionally transposed (their last two axes). */
export function matMul(args: FusedMatMulArgs): Tensor {
  const op = 'fused.matMul';
  checkOptions(op, args, ['a', 'b', 'transposeA', 'transposeB', ...ACT_KEYS]);
  if (!(args.a instanceof Tensor) || !(args.b instanceof Tensor))
    throw new ValueError(`${op}: a and b must be Tensors, got ${typeof args.a} and ${typeof args.b}`);
  const act = checkActivation(op, args);
  let y = matmulOp(args.a, args.b, { transA: args.transposeA ?? false, transB: args.transposeB ?? false });
  if (args.bias != null) y = add(y, args.bias);
  return activate(y, act, args);
}
