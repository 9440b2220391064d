// Convolutions as compositions: im2col → matmul → add bias → reshape. No hand-written backward:
// the tape differentiates through im2col (whose vjp is col2im) and matmul. Ungrouped convolutions run as the
// conv2dFused row when no one traces ops; its vjp is the same algebra without patch matrices (ops/network/rows.ts).
// NOTE: like Keras and PyTorch these are cross-correlations (the kernel is not flipped), summed over
// every input channel of the group.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { add, relu } from '../elementwise/builders.js';
import type { ConvActivation } from '../../backend/kernels.js';
import { conv2dFused, im2col, matmul } from '../network/builders.js';
import { reshape, transpose } from '../movement/builders.js';
import { checkOptions } from '../../core/options.js';
import { type PaddingMode, checkPaddingMode, padEdges } from './pad-modes.js';
import {
  type Padding2d,
  type Pair,
  format1d,
  format2d,
  fusedAllowed,
  pair,
  resolvePads,
  windowGeom,
} from './window.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Padding2d;
  dilation?: Pair;
  groups?: number;
  /** 'NHWC' (Keras/TF kernels [kh,kw,in/groups,out], the default) or 'NCHW' (PyTorch kernels [out,in/groups,kh,kw]). */
  dataFormat?: string;
  /** PyTorch padding_mode: what the padding holds, 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
}
const CONV2D_KEYS = ['stride', 'padding', 'dilation', 'groups', 'dataFormat', 'paddingMode'] as const;

/** Inputs must be tensors; an options object in the bias slot is the usual slip (options are the 4th argument). */
function checkArgs(x: unknown, w: unknown, b: unknown, op: string): void {
  if (!(x instanceof Tensor) || !(w instanceof Tensor))
    throw new ValueError(`${op}: input and kernel must be Tensors, got ${typeof x} and ${typeof w}`);
  if (b !== null && b !== undefined && !(b instanceof Tensor))
    throw new ValueError(
      `${op}: bias (3rd argument) must be a Tensor or null, got ${typeof b}; options go in the 4th argument: ${op}(x, w, null, opts)`,
    );
}

export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return conv2dWithActivation(x, w, b ?? null, opts, 'linear');
}

/**
 * act(conv2d(x, w, b, opts)): with `activation` 'relu' and the fused row available (ungrouped, nothing tracing ops),
 * relu runs in the conv kernel's epilogue instead of as a second pass over the output (what tf.fused.conv2d does);
 * otherwise conv2d then relu. The values are the same either way. Used by layers and imported graphs that follow a
 * conv with relu.
 */
export function conv2dWithActivation(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  opts: Conv2dOptions,
  activation: ConvActivation,
): Tensor {
  if (activation !== 'linear' && activation !== 'relu')
    throw new ValueError(
      `conv2d: unknown fused activation '${String(activation)}' (supported: linear, relu)`,
    );
  checkArgs(x, w, b, 'conv2d');
  checkOptions('conv2d', opts, CONV2D_KEYS);
  const fmt = format2d(opts.dataFormat, 'conv2d');
  if (x.rank !== 4) throw new ShapeError(`conv2d: input must be rank 4 (${fmt}), got ${fmtShape(x.shape)}`);
  if (w.rank !== 4)
    throw new ShapeError(
      `conv2d: kernel must be rank 4 (${fmt === 'NHWC' ? '[kh,kw,in,out]' : '[out,in,kh,kw]'}), got ${fmtShape(w.shape)}`,
    );
  const nhwc = fmt === 'NHWC' ? x : transpose(x, [0, 2, 3, 1]);
  const hwio = fmt === 'NHWC' ? w : transpose(w, [2, 3, 1, 0]);
  return conv2dNHWC(nhwc, hwio, b ?? null, opts, fmt, w.shape, activation);
}

/** The conv of an NHWC input and an HWIO kernel, returned in the caller's layout (`fmt`: NHWC, or NCHW). */
function conv2dNHWC(
  x0: Tensor,
  w: Tensor,
  b: Tensor | null,
  opts: Conv2dOptions,
  fmt: string,
  userW: readonly number[],
  activation: ConvActivation,
): Tensor {
  const groups = opts.groups ?? 1;
  const [, h, wd, c] = x0.shape;
  const [kh, kw, cg, o] = w.shape;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`conv2d: groups must be a positive integer, got ${groups}`);
  if (c % groups !== 0 || o % groups !== 0)
    throw new ShapeError(
      `conv2d: ${c} input channels and ${o} filters must both be divisible by groups=${groups}`,
    );
  if (cg * groups !== c)
    throw new ShapeError(
      `conv2d: input has ${c} channels but the kernel ${fmtShape(userW)} expects ${cg * groups}${groups > 1 ? ` (${cg} per group × ${groups} groups)` : ''} (dataFormat ${fmt})`,
    );
  if (b && (b.rank !== 1 || b.shape[0] !== o))
    throw new ShapeError(`conv2d: bias ${fmtShape(b.shape)} must be [${o}], one per filter`);
  const s = pair(opts.stride, 1, 'stride', 'conv2d');
  const d = pair(opts.dilation, 1, 'dilation', 'conv2d');
  const mode = checkPaddingMode(opts.paddingMode, 'conv2d');
  let pads = resolvePads(opts.padding, h, wd, [kh, kw], s, d, 'conv2d');
  let x = x0;
  if (mode !== 'zeros') {
    // The padding is materialised with slices and concats (gradients from the tape), then a valid conv.
    x = padEdges(x0, [[0, 0], pads[0], pads[1], [0, 0]], mode, 'conv2d');
    pads = [
      [0, 0],
      [0, 0],
    ];
  }
  const n = x.shape[0];
  const geom = windowGeom(x.shape, [kh, kw], s, d, pads, 'conv2d');
  // NOTE: one kernel computes im2col(x)·w + b without the patch matrix (bit-identical on wasm), in training too: its
  // vjp is conv2dBackpropInput/conv2dBackpropFilter, which never build the patch matrix either. For dataFormat NCHW
  // it writes its output as NCHW itself (no transpose pass over the output).
  if (groups === 1 && (!b || b.dtype === x.dtype) && x.dtype === w.dtype && fusedAllowed())
    return conv2dFused(
      x,
      reshape(w, [kh * kw * c, o]),
      b,
      geom,
      activation === 'linear' ? undefined : activation,
      fmt === 'NCHW',
    );
  const cols = im2col(x, geom); // [n·oh·ow, kh·kw·c]
  let y: Tensor;
  if (groups === 1) y = matmul(cols, reshape(w, [kh * kw * c, o]));
  else {
    const p = cols.shape[0];
    const og = o / groups;
    const gc = reshape(transpose(reshape(cols, [p, kh * kw, groups, cg]), [2, 0, 1, 3]), [
      groups,
      p,
      kh * kw * cg,
    ]);
    const gw = transpose(reshape(w, [kh * kw * cg, groups, og]), [1, 0, 2]);
    y = reshape(transpose(matmul(gc, gw), [1, 0, 2]), [p, o]); // [G,P,og] → [P,G·og]
  }
  if (b) y = add(y, b);
  if (activation === 'relu') y = relu(y);
  const out = reshape(y, [n, geom.outH, geom.outW, o]);
  return fmt === 'NHWC' ? out : transpose(out, [0, 3, 1, 2]);
}

export interface Conv1dOptions {
  stride?: number;
  padding?: 'same' | 'valid' | 'causal' | number | readonly [number, number];
  dilation?: number;
  groups?: number;
  /** 'NWC' (Keras kernels [k,in/groups,out], the default) or 'NCW' (PyTorch kernels [out,in/groups,k]). */
  dataFormat?: string;
  /** PyTorch padding_mode (see Conv2dOptions). */
  paddingMode?: PaddingMode;
}

/** 1-D convolution as a 2-D one with height 1; 'causal' pads (k-1)·dilation on the left only. */
export function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  checkArgs(x, w, b, 'conv1d');
  checkOptions('conv1d', opts, CONV2D_KEYS);
  checkPaddingMode(opts.paddingMode, 'conv1d');
  const fmt = format1d(opts.dataFormat, 'conv1d');
  if (x.rank !== 3) throw new ShapeError(`conv1d: input must be rank 3 (${fmt}), got ${fmtShape(x.shape)}`);
  if (w.rank !== 3)
    throw new ShapeError(
      `conv1d: kernel must be rank 3 (${fmt === 'NWC' ? '[k,in,out]' : '[out,in,k]'}), got ${fmtShape(w.shape)}`,
    );
  const nwc = fmt === 'NWC';
  const [n, len, ch] = nwc ? x.shape : [x.shape[0], x.shape[2], x.shape[1]];
  const [k, cg, o] = nwc ? w.shape : [w.shape[2], w.shape[1], w.shape[0]];
  const dil = opts.dilation ?? 1;
  check1d('conv1d', k, opts.stride ?? 1, dil);
  const groups = opts.groups ?? 1;
  if (cg * groups !== ch)
    throw new ShapeError(
      `conv1d: input has ${ch} channels but the kernel ${fmtShape(w.shape)} expects ${cg * groups}${groups > 1 ? ` (${cg} per group × ${groups} groups)` : ''} (dataFormat ${fmt})`,
    );
  const p = opts.padding ?? 'valid';
  let padding: Padding2d;
  if (p === 'causal')
    padding = [
      [0, 0],
      [(k - 1) * dil, 0],
    ];
  else if (p === 'same' || p === 'valid') padding = p;
  else if (typeof p === 'number')
    padding = [
      [0, 0],
      [p, p],
    ];
  else if (Array.isArray(p) && p.length === 2)
    padding = [
      [0, 0],
      [p[0], p[1]],
    ];
  else
    throw new ValueError(
      `conv1d: unknown padding ${JSON.stringify(p)} (use 'same', 'valid', 'causal', a number or a pair)`,
    );
  const padTotal =
    p === 'causal'
      ? (k - 1) * dil
      : p === 'valid'
        ? 0
        : typeof p === 'number'
          ? 2 * p
          : Array.isArray(p)
            ? p[0] + p[1]
            : 0;
  if (p !== 'same' && (k - 1) * dil + 1 > len + padTotal)
    throw new ValueError(
      `conv1d: kernel ${k} (dilation ${dil}) is longer than the ${padTotal ? 'padded ' : ''}input length ${len + padTotal} (input ${fmtShape(x.shape)}, dataFormat ${fmt})`,
    );
  // NOTE: height 1 in the caller's layout: NCW runs as NCHW, whose conv writes its output in that layout itself
  const y = conv2d(
    reshape(x, nwc ? [n, 1, len, ch] : [n, ch, 1, len]),
    reshape(w, nwc ? [1, k, cg, o] : [o, cg, 1, k]),
    b,
    {
      stride: [1, opts.stride ?? 1],
      dilation: [1, dil],
      padding,
      groups: opts.groups,
      dataFormat: nwc ? 'NHWC' : 'NCHW',
      ...(opts.paddingMode !== undefined && { paddingMode: opts.paddingMode }),
    },
  );
  return reshape(y, nwc ? [n, y.shape[2], o] : [n, o, y.shape[3]]);
}

/** Keras DepthwiseConv2D: kernel [kh,kw,C,multiplier] → a grouped conv with groups = C (NHWC). */
export function depthwiseConv2d(
  x: Tensor,
  w: Tensor,
  b?: Tensor | null,
  opts: Omit<Conv2dOptions, 'groups'> = {},
): Tensor {
  checkArgs(x, w, b, 'depthwiseConv2d');
  checkOptions('depthwiseConv2d', opts, ['stride', 'padding', 'dilation', 'dataFormat', 'paddingMode']);
  if (w.rank !== 4)
    throw new ShapeError(`depthwiseConv2d: kernel must be [kh,kw,in,multiplier], got ${fmtShape(w.shape)}`);
  const [kh, kw, c, m] = w.shape;
  const fmt = format2d(opts.dataFormat, 'depthwiseConv2d');
  const xc = fmt === 'NHWC' ? x.shape[3] : x.shape[1];
  if (xc !== c)
    throw new ShapeError(
      `depthwiseConv2d: input has ${xc} channels but the kernel ${fmtShape(w.shape)} expects ${c} (dataFormat ${fmt})`,
    );
  const k = reshape(w, [kh, kw, 1, c * m]);
  return conv2d(x, fmt === 'NHWC' ? k : transpose(k, [3, 2, 0, 1]), b, { ...opts, groups: c });
}

/** 1-D checks before delegating to the 2-D code, so errors speak of the 1-D op and its own shapes. */
export function check1d(op: string, k: number, stride: number, dilation: number): void {
  for (const [what, v] of [
    ['kernel size', k],
    ['stride', stride],
    ['dilation', dilation],
  ] as const)
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(`${op}: ${what} must be a positive integer, got ${JSON.stringify(v)}`);
}
