// Transposed convolutions (the adjoint of conv2d) as compositions: columns = x·Kᵀ per group, then col2im sums
// each column back into its window; the tape differentiates through col2im (vjp im2col) and matmul.
// Two entry points: the low-level NHWC form with an explicit output geometry (Keras's Conv2DTranspose uses it)
// and PyTorch's F.conv_transpose2d / conv_transpose1d arguments.
import type { WindowGeom } from '../../backend/kernels.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { Tensor } from '../../core/tensor.js';
import { add } from '../elementwise/builders.js';
import { col2im, matmul } from '../network/builders.js';
import { reshape, transpose } from '../movement/builders.js';
import { type Pair, pair } from './window.js';

export interface Conv2dTransposeGeometry {
  stride: [number, number];
  dilation: [number, number];
  /** Rows/columns cut from the top/left of the full transposed output. */
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
  /** Input and output channels split into this many independent groups (default 1). */
  groups?: number;
}

/**
 * Transposed 2-D convolution in NHWC with a kernel [kh, kw, out/groups, in] (Keras/TF layout): the adjoint of
 * conv2d. Group j maps input channels [j·in/G, (j+1)·in/G) to output channels [j·out/G, (j+1)·out/G).
 */
export function conv2dTranspose(x: Tensor, w: Tensor, b: Tensor | null, g: Conv2dTransposeGeometry): Tensor {
  checkOptions('conv2dTranspose', g, ['stride', 'dilation', 'padTop', 'padLeft', 'outH', 'outW', 'groups']);
  if (x.rank !== 4)
    throw new ShapeError(`conv2dTranspose: input must be rank 4 (NHWC), got ${fmtShape(x.shape)}`);
  if (w.rank !== 4)
    throw new ShapeError(`conv2dTranspose: kernel must be [kh,kw,out/groups,in], got ${fmtShape(w.shape)}`);
  const groups = g.groups ?? 1;
  const [nb, h, wd, cin] = x.shape;
  const [kh, kw, og, kin] = w.shape;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`conv2dTranspose: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  if (kin !== cin)
    throw new ShapeError(
      `conv2dTranspose: input has ${cin} channels but the kernel ${fmtShape(w.shape)} expects ${kin} (last axis)`,
    );
  if (cin % groups !== 0)
    throw new ShapeError(`conv2dTranspose: ${cin} input channels are not divisible by groups=${groups}`);
  const cout = og * groups;
  if (b && (b.rank !== 1 || b.shape[0] !== cout))
    throw new ShapeError(`conv2dTranspose: bias ${fmtShape(b.shape)} must be [${cout}], one per filter`);
  const geomOk =
    [g.outH, g.outW].every((v) => Number.isInteger(v) && v >= 1) &&
    [g.padTop, g.padLeft].every((v) => Number.isInteger(v) && v >= 0);
  if (!geomOk)
    throw new ValueError(
      `conv2dTranspose: output size ${g.outH}x${g.outW} must be positive and the cut (${g.padTop}, ${g.padLeft}) non-negative integers`,
    );
  const geom: WindowGeom = {
    n: nb,
    h: g.outH,
    w: g.outW,
    c: cout,
    kh,
    kw,
    strideH: g.stride[0],
    strideW: g.stride[1],
    dilationH: g.dilation[0],
    dilationW: g.dilation[1],
    padTop: g.padTop,
    padLeft: g.padLeft,
    outH: h,
    outW: wd,
  };
  const p = nb * h * wd;
  let cols: Tensor; // [n·h·w, kh·kw·out], channels fastest as col2im reads them
  if (groups === 1) cols = matmul(reshape(x, [p, cin]), reshape(w, [kh * kw * cout, cin]), { transB: true });
  else {
    const ig = cin / groups;
    const xg = transpose(reshape(x, [p, groups, ig]), [1, 0, 2]); // [G, P, ig]
    const wg = transpose(reshape(w, [kh * kw * og, groups, ig]), [1, 0, 2]); // [G, kh·kw·og, ig]
    const yg = reshape(matmul(xg, wg, { transB: true }), [groups, p, kh * kw, og]);
    cols = reshape(transpose(yg, [1, 2, 0, 3]), [p, kh * kw * cout]); // channel = j·og + o
  }
  const y = col2im(cols, geom);
  return b ? add(y, b) : y;
}

export interface ConvTransposeOptions {
  stride?: Pair;
  /** Cut from both sides of each axis: dilation·(k − 1) − padding is the implicit padding. */
  padding?: Pair;
  /** Extra size added to one side of the output (must be smaller than stride or dilation). */
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
}
const KEYS = ['stride', 'padding', 'outputPadding', 'dilation', 'groups'] as const;

/**
 * PyTorch F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation): NCHW input,
 * weight [in, out/groups, kh, kw]; out = (in − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1.
 */
export function convTranspose2d(
  x: Tensor,
  w: Tensor,
  b?: Tensor | null,
  opts: ConvTransposeOptions = {},
  op = 'convTranspose2d',
): Tensor {
  checkOptions(op, opts, KEYS);
  if (!(x instanceof Tensor) || !(w instanceof Tensor))
    throw new ValueError(`${op}: input and weight must be Tensors, got ${typeof x} and ${typeof w}`);
  if (b !== null && b !== undefined && !(b instanceof Tensor))
    throw new ValueError(
      `${op}: bias (3rd argument) must be a Tensor or null; options go in the 4th argument`,
    );
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmtShape(x.shape)}`);
  if (w.rank !== 4)
    throw new ShapeError(`${op}: weight must be [in, out/groups, kh, kw], got ${fmtShape(w.shape)}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`${op}: groups must be a positive integer, got ${JSON.stringify(groups)}`);
  if (w.shape[0] !== x.shape[1])
    throw new ShapeError(
      `${op}: input has ${x.shape[1]} channels but the weight ${fmtShape(w.shape)} expects ${w.shape[0]} (axis 0)`,
    );
  const s = pair(opts.stride, 1, 'stride', op);
  const d = pair(opts.dilation, 1, 'dilation', op);
  const pd = pair(opts.padding, 0, 'padding', op, 0);
  const op2 = pair(opts.outputPadding, 0, 'outputPadding', op, 0);
  if (op2.some((v, i) => v >= Math.max(s[i], d[i])))
    throw new ValueError(
      `${op}: outputPadding ${JSON.stringify(op2)} must be smaller than either stride ${JSON.stringify(s)} or dilation ${JSON.stringify(d)}`,
    );
  const k = [w.shape[2], w.shape[3]];
  const size = (i: number) => (x.shape[2 + i] - 1) * s[i] - 2 * pd[i] + d[i] * (k[i] - 1) + op2[i] + 1;
  const [outH, outW] = [size(0), size(1)];
  if (outH < 1 || outW < 1)
    throw new ShapeError(
      `${op}: input ${fmtShape(x.shape)} gives an empty output ${outH}x${outW} (padding ${JSON.stringify(pd)} too large)`,
    );
  const y = conv2dTranspose(transpose(x, [0, 2, 3, 1]), transpose(w, [2, 3, 1, 0]), b ?? null, {
    stride: s,
    dilation: d,
    padTop: pd[0],
    padLeft: pd[1],
    outH,
    outW,
    groups,
  });
  return transpose(y, [0, 3, 1, 2]);
}

/** PyTorch F.conv_transpose1d: NCL input, weight [in, out/groups, k]; a height-1 convTranspose2d. */
export function convTranspose1d(
  x: Tensor,
  w: Tensor,
  b?: Tensor | null,
  opts: {
    stride?: number;
    padding?: number;
    outputPadding?: number;
    dilation?: number;
    groups?: number;
  } = {},
): Tensor {
  checkOptions('convTranspose1d', opts, KEYS);
  if (!(x instanceof Tensor) || x.rank !== 3)
    throw new ShapeError(
      `convTranspose1d: input must be a [N, C, L] Tensor, got ${x instanceof Tensor ? fmtShape(x.shape) : typeof x}`,
    );
  if (!(w instanceof Tensor) || w.rank !== 3)
    throw new ShapeError(
      `convTranspose1d: weight must be a [in, out/groups, k] Tensor, got ${w instanceof Tensor ? fmtShape(w.shape) : typeof w}`,
    );
  const two = (v: number | undefined, dflt: number): [number, number] => [dflt, v ?? dflt];
  const y = convTranspose2d(
    reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]),
    reshape(w, [w.shape[0], w.shape[1], 1, w.shape[2]]),
    b,
    {
      stride: two(opts.stride, 1),
      padding: two(opts.padding, 0),
      outputPadding: two(opts.outputPadding, 0),
      dilation: two(opts.dilation, 1),
      groups: opts.groups,
    },
    'convTranspose1d',
  );
  return reshape(y, [y.shape[0], y.shape[1], y.shape[3]]);
}
