// ONNX network operators (NCHW, as ONNX defines them) on tapegrad's NCHW composites: Conv, ConvTranspose, Gemm,
// MatMul, pooling, normalization, Flatten. 1-D windows run as 2-D ones with height 1.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { noGrad } from '../../core/tape.js';
import { add, div, mul, pow, sqrt, sub } from '../../ops/elementwise/builders.js';
import { conv2d } from '../../ops/composite/conv.js';
import { batchNorm as batchNormOp, batchNormTraining } from '../../ops/composite/batch-norm.js';
import { avgPool2d, maxPool2d } from '../../ops/composite/pool.js';
import { matmul } from '../../ops/network/builders.js';
import { max, mean } from '../../ops/reduce/builders.js';
import { pad, reshape, slice, transpose } from '../../ops/movement/builders.js';
import { conv2dTranspose } from '../../ops/composite/conv-transpose.js';
import { layerNormTrailing } from '../../ops/composite/layer-norm.js';
import { shapesEqual } from '../../core/shape.js';
import { type OpContext, type OpDef, need, unsupported, where } from './op-types.js';

const WINDOW_ATTRS = ['auto_pad', 'kernel_shape', 'pads', 'strides', 'dilations'];

interface Window {
  k: [number, number];
  s: [number, number];
  d: [number, number];
  /** [[top, bottom], [left, right]] */
  pads: [[number, number], [number, number]];
}

/** Spatial dims of an NCHW or NCW input (or an NHWC one, `nhwc`), as 2-D (height 1 for 1-D). */
function spatial(x: Tensor, c: OpContext, nhwc = false): [number, number] {
  if (x.rank === 4) return nhwc ? [x.shape[1], x.shape[2]] : [x.shape[2], x.shape[3]];
  if (x.rank === 3) return [1, x.shape[2]];
  return unsupported(
    c.node,
    `input of rank ${x.rank} ${fmtShape(x.shape)}`,
    '1-D (N,C,W) and 2-D (N,C,H,W) windows',
  );
}
const to2d = (x: Tensor): Tensor => (x.rank === 3 ? reshape(x, [x.shape[0], x.shape[1], 1, x.shape[2]]) : x);
const from2d = (y: Tensor, rank: number): Tensor =>
  rank === 3 ? reshape(y, [y.shape[0], y.shape[1], y.shape[3]]) : y;
const as2 = (v: number[], one: number): [number, number] => (v.length === 1 ? [one, v[0]] : [v[0], v[1]]);

/**
 * kernel_shape/strides/dilations/pads/auto_pad → a 2-D window; `ceil` adds the extra bottom/right pad of ceil_mode.
 * `nhwc`: x is a 4-D NCHW value held channels-last by the inference plan (inference-plan.ts).
 */
export function windowOf(c: OpContext, x: Tensor, kernel: number[], ceil = false, nhwc = false): Window {
  const nd = x.rank - 2;
  const [h, w] = spatial(x, c, nhwc);
  if (kernel.length !== nd)
    throw new ShapeError(
      `${where(c.node)}: kernel_shape [${kernel}] does not match the ${nd}-D input ${fmtShape(x.shape)}`,
    );
  const strides = c.attrs.ints('strides') ?? Array(nd).fill(1);
  const dil = c.attrs.ints('dilations') ?? Array(nd).fill(1);
  const k = as2(kernel, 1);
  const s = as2(strides, 1);
  const d = as2(dil, 1);
  const autoPad = c.attrs.str('auto_pad', 'NOTSET');
  let pads: [[number, number], [number, number]];
  if (autoPad === 'NOTSET') {
    const p = c.attrs.ints('pads') ?? Array(2 * nd).fill(0);
    if (p.length !== 2 * nd) throw new ShapeError(`${where(c.node)}: pads [${p}] must have ${2 * nd} values`);
    pads =
      nd === 1
        ? [
            [0, 0],
            [p[0], p[1]],
          ]
        : [
            [p[0], p[2]],
            [p[1], p[3]],
          ];
  } else if (autoPad === 'VALID')
    pads = [
      [0, 0],
      [0, 0],
    ];
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // total = max(0, (⌈in/s⌉-1)·s + (k-1)·d + 1 - in); SAME_UPPER puts the odd pixel at the end
    const same = (len: number, i: number): [number, number] => {
      const total = Math.max(0, (Math.ceil(len / s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - len);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    pads = [same(h, 0), same(w, 1)];
  } else return unsupported(c.node, `auto_pad='${autoPad}'`, 'NOTSET, VALID, SAME_UPPER, SAME_LOWER');
  if (ceil) {
    // ceil_mode: out = ⌈(in + pads - (k-1)·d - 1)/s⌉ + 1, minus one if the last window starts past the padded input
    const extra = (len: number, i: number): number => {
      const span = len + pads[i][0] + pads[i][1] - (k[i] - 1) * d[i] - 1;
      let out = Math.ceil(span / s[i]) + 1;
      if ((out - 1) * s[i] >= len + pads[i][0]) out--;
      return Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - (len + pads[i][0] + pads[i][1]));
    };
    pads = [
      [pads[0][0], pads[0][1] + extra(h, 0)],
      [pads[1][0], pads[1][1] + extra(w, 1)],
    ];
  }
  return { k, s, d, pads };
}

function conv(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'X');
  const w = need(ins, 1, c.node, 'W');
  if (w.rank !== x.rank)
    throw new ShapeError(
      `${where(c.node)}: weight ${fmtShape(w.shape)} and input ${fmtShape(x.shape)} must have the same rank`,
    );
  const win = windowOf(c, x, c.attrs.ints('kernel_shape') ?? w.shape.slice(2));
  const y = conv2d(to2d(x), to2d(w), ins[2] ?? null, {
    stride: win.s,
    dilation: win.d,
    padding: win.pads,
    groups: c.attrs.int('group', 1),
    dataFormat: 'NCHW',
  });
  return from2d(y, x.rank);
}

function convTranspose(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'X');
  const w = need(ins, 1, c.node, 'W');
  if (c.attrs.int('group', 1) !== 1) unsupported(c.node, `group=${c.attrs.int('group', 1)}`, 'group=1');
  if (w.rank !== x.rank)
    throw new ShapeError(
      `${where(c.node)}: weight ${fmtShape(w.shape)} and input ${fmtShape(x.shape)} must have the same rank`,
    );
  const nd = x.rank - 2;
  const [h, wd] = spatial(x, c);
  const k = as2(c.attrs.ints('kernel_shape') ?? w.shape.slice(2), 1);
  const s = as2(c.attrs.ints('strides') ?? Array(nd).fill(1), 1);
  const d = as2(c.attrs.ints('dilations') ?? Array(nd).fill(1), 1);
  const op = as2(c.attrs.ints('output_padding') ?? Array(nd).fill(0), 0);
  const full = [0, 1].map((i) => s[i] * ([h, wd][i] - 1) + op[i] + (k[i] - 1) * d[i] + 1);
  const autoPad = c.attrs.str('auto_pad', 'NOTSET');
  let begin: number[];
  let out: number[];
  const given = c.attrs.ints('output_shape');
  if (given || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // total padding = full - wanted; SAME_UPPER cuts the odd one at the end (ONNX's rule)
    out = given ? as2(given.slice(-nd), 1) : [0, 1].map((i) => [h, wd][i] * s[i]);
    begin = [0, 1].map((i) => {
      // NOTE: a negative total (output_shape past the full output) leaves zeros (plus bias) at the end
      const total = full[i] - out[i];
      if (total <= 0) return 0;
      return autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
    });
  } else if (autoPad === 'NOTSET' || autoPad === 'VALID') {
    const p = autoPad === 'VALID' ? Array(2 * nd).fill(0) : (c.attrs.ints('pads') ?? Array(2 * nd).fill(0));
    const pp =
      nd === 1
        ? [
            [0, 0],
            [p[0], p[1]],
          ]
        : [
            [p[0], p[2]],
            [p[1], p[3]],
          ];
    begin = [pp[0][0], pp[1][0]];
    out = [0, 1].map((i) => full[i] - pp[i][0] - pp[i][1]);
  } else return unsupported(c.node, `auto_pad='${autoPad}'`, 'NOTSET, VALID, SAME_UPPER, SAME_LOWER');
  const xh = transpose(to2d(x), [0, 2, 3, 1]);
  const kw = transpose(to2d(w), [2, 3, 1, 0]); // [in, out, kh, kw] → [kh, kw, out, in]
  const y = conv2dTranspose(xh, kw, ins[2] ?? null, {
    stride: s,
    dilation: d,
    padTop: begin[0],
    padLeft: begin[1],
    outH: out[0],
    outW: out[1],
  });
  return from2d(transpose(y, [0, 3, 1, 2]), x.rank);
}

/** MaxPool/AveragePool; `nhwc` (4-D only): x is held channels-last and so is the result. */
export function pool(kind: 'max' | 'avg', nhwc = false) {
  return (ins: (Tensor | null)[], c: OpContext): Tensor => {
    const x = need(ins, 0, c.node, 'X');
    if (nhwc && x.rank !== 4) throw new ShapeError(`${where(c.node)}: an NHWC pool needs a 4-D input`);
    const kernel = c.attrs.ints('kernel_shape');
    if (!kernel) throw new ShapeError(`${where(c.node)}: attribute kernel_shape is required`);
    if (kind === 'max' && c.attrs.int('storage_order', 0) !== 0)
      unsupported(c.node, 'storage_order=1', 'storage_order=0 (row major)');
    if (kind === 'max' && c.node.outputs[1])
      unsupported(c.node, 'the Indices output', 'the values output only');
    const ceil = c.attrs.int('ceil_mode', 0) === 1;
    const win = windowOf(c, x, kernel, ceil, nhwc);
    let xi = to2d(x);
    let pads = win.pads;
    const includePad = kind === 'avg' && c.attrs.int('count_include_pad', 0) === 1;
    if (includePad) {
      // NOTE: padded zeros count, but ceil_mode's extra cells past the padded input do not (ONNX/PyTorch):
      // pad explicitly with zeros, then average over the real-or-padded cells only.
      const plain = windowOf(c, x, kernel, false, nhwc).pads;
      xi = pad(xi, nhwc ? [[0, 0], plain[0], plain[1], [0, 0]] : [[0, 0], [0, 0], plain[0], plain[1]]);
      pads = [
        [0, pads[0][1] - plain[0][1]],
        [0, pads[1][1] - plain[1][1]],
      ];
    }
    const opts = {
      kernelSize: win.k,
      stride: win.s,
      dilation: win.d,
      padding: pads,
      dataFormat: nhwc ? 'NHWC' : 'NCHW',
    };
    const y = kind === 'max' ? maxPool2d(xi, opts) : avgPool2d(xi, { ...opts, countIncludePad: false });
    return from2d(y, x.rank);
  };
}

/** Per-channel parameters [C] reshaped to broadcast over N, C, spatial... */
const perChannel = (p: Tensor, rank: number): Tensor => reshape(p, [1, p.size, ...Array(rank - 2).fill(1)]);

function batchNorm(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const x = need(ins, 0, c.node, 'X');
  const [scale, bias, runMean, runVar] = [1, 2, 3, 4].map((i) =>
    need(ins, i, c.node, ['', 'scale', 'B', 'input_mean', 'input_var'][i]),
  );
  if (c.attrs.int('spatial', 1) !== 1) unsupported(c.node, 'spatial=0', 'spatial=1');
  const eps = c.attrs.float('epsilon', 1e-5);
  const modeAttr = c.attrs.int('training_mode', 0) === 1;
  if (c.node.outputs.slice(1).some(Boolean) && !modeAttr)
    unsupported(
      c.node,
      'the saved mean/variance outputs of opset < 14',
      'Y, and running_mean/running_var with training_mode=1',
    );
  const training = modeAttr || c.training;
  // y = (x − μ)·γ/√(σ² + ε) + β over the channel axis 1: one pass over x (tg.batchNorm, the channelAffine row)
  if (!training) return [batchNormOp(x, runMean, runVar, bias, scale, eps, 1)];
  // batch statistics over N and the spatial axes, y = (x - μ)/√(σ² + ε)·γ + β; running stats ← momentum·running +
  // (1-momentum)·batch
  const { y, mean, variance } = batchNormTraining(x, bias, scale, eps, 1);
  const mom = c.attrs.float('momentum', 0.9);
  const [newMean, newVar] = noGrad(() => [
    add(mul(runMean, mom), mul(mean, 1 - mom)),
    add(mul(runVar, mom), mul(variance, 1 - mom)),
  ]);
  if (modeAttr) return [y, newMean, newVar];
  // NOTE: in train mode (fit) the node's running statistics (non-trainable weights) are updated in place.
  runMean.data.set(newMean.data);
  runVar.data.set(newVar.data);
  return [y];
}

function layerNorm(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const x = need(ins, 0, c.node, 'X');
  const scale = need(ins, 1, c.node, 'Scale');
  const axis = c.attrs.int('axis', -1);
  const a = axis < 0 ? axis + x.rank : axis;
  const tail = x.shape.slice(a);
  const bias = ins[2];
  // NOTE: with Scale and B shaped as the normalized axes and no Mean/InvStdDev output read, the per-channel rows
  // (tg.nn.LayerNorm's path: a few passes over x in training instead of ~20); otherwise the composition below
  if (
    c.node.outputs.slice(1).every((o) => !o) &&
    shapesEqual(scale.shape, tail) &&
    (!bias || shapesEqual(bias.shape, tail))
  )
    return [layerNormTrailing(x, tail.length, scale, bias, c.attrs.float('epsilon', 1e-5))];
  const axes = Array.from({ length: x.rank - a }, (_, i) => a + i);
  const mu = mean(x, axes, true);
  const xc = sub(x, mu);
  // y = (x - μ)·r·scale + B with r = 1/√(mean((x-μ)²) + ε) over the axes from `axis` on
  const r = div(1, sqrt(add(mean(mul(xc, xc), axes, true), c.attrs.float('epsilon', 1e-5))));
  const y = mul(mul(xc, r), scale);
  return [bias ? add(y, bias) : y, mu, r];
}

function instanceNorm(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const x = need(ins, 0, c.node, 'input');
  // each (sample, channel)'s spatial values normalized: a layer norm over the trailing rank − 2 axes (the rows)
  const y = layerNormTrailing(x, x.rank - 2, null, null, c.attrs.float('epsilon', 1e-5));
  return [
    add(
      mul(y, perChannel(need(ins, 1, c.node, 'scale'), x.rank)),
      perChannel(need(ins, 2, c.node, 'B'), x.rank),
    ),
  ];
}

/** Gemm: Y = α·A'·B' + β·C with A' = Aᵀ if transA, B' = Bᵀ if transB; C broadcasts. */
function gemm(ins: (Tensor | null)[], c: OpContext): Tensor {
  const a = need(ins, 0, c.node, 'A');
  const b = need(ins, 1, c.node, 'B');
  if (a.rank !== 2 || b.rank !== 2)
    throw new ShapeError(
      `${where(c.node)}: A ${fmtShape(a.shape)} and B ${fmtShape(b.shape)} must be matrices`,
    );
  const alpha = c.attrs.float('alpha', 1);
  const beta = c.attrs.float('beta', 1);
  let y = matmul(a, b, { transA: c.attrs.int('transA', 0) === 1, transB: c.attrs.int('transB', 0) === 1 });
  if (alpha !== 1) y = mul(y, alpha);
  const cc = ins[2];
  if (cc) y = add(y, beta === 1 ? cc : mul(cc, beta));
  return y;
}

/** Flatten: [d0..dn] → [d0·…·d(axis-1), d(axis)·…·dn]. */
function flatten(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'input');
  const axis = c.attrs.int('axis', 1);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a > x.rank)
    throw new ShapeError(`${where(c.node)}: axis ${axis} is out of range for ${fmtShape(x.shape)}`);
  const rows = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  return reshape(x, [rows, x.size / Math.max(rows, 1) || 0]);
}

const globalPool =
  (f: typeof mean) =>
  (ins: (Tensor | null)[], c: OpContext): Tensor[] => {
    const x = need(ins, 0, c.node, 'X');
    return [
      f(
        x,
        Array.from({ length: x.rank - 2 }, (_, i) => i + 2),
        true,
      ),
    ];
  };

/**
 * LRN: x / (bias + α/size · Σ x²)^β, the sum over the channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ (clipped to the
 * channel range): the squares zero-padded on the channel axis and `size` shifted slices added.
 */
function lrn(x: Tensor, c: OpContext): Tensor {
  if (!c.attrs.has('size')) throw new ValueError(`${where(c.node)}: attribute size is required`);
  const size = c.attrs.int('size', 1);
  if (!(size >= 1) || x.rank < 2)
    throw new ShapeError(
      `${where(c.node)}: size ${size} on input ${fmtShape(x.shape)} (needs size ≥ 1, rank ≥ 2)`,
    );
  const ch = x.shape[1];
  const padded = pad(
    mul(x, x),
    x.shape.map((_, i) => (i === 1 ? [Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2)] : [0, 0])),
  );
  let s = slice(
    padded,
    x.shape.map(() => 0),
    x.shape,
  );
  for (let k = 1; k < size; k++)
    s = add(
      s,
      slice(
        padded,
        x.shape.map((_, i) => (i === 1 ? k : 0)),
        x.shape.map((d, i) => (i === 1 ? ch : d)),
      ),
    );
  const den = add(mul(s, c.attrs.float('alpha', 1e-4) / size), c.attrs.float('bias', 1));
  return div(x, pow(den, c.attrs.float('beta', 0.75)));
}

export const nnOps: Record<string, OpDef> = {
  LRN: { attrs: ['alpha', 'beta', 'bias', 'size'], run: (ins, c) => [lrn(need(ins, 0, c.node, 'X'), c)] },
  Conv: { attrs: [...WINDOW_ATTRS, 'group'], run: (ins, c) => [conv(ins, c)] },
  ConvTranspose: {
    attrs: [...WINDOW_ATTRS, 'group', 'output_padding', 'output_shape'],
    run: (ins, c) => [convTranspose(ins, c)],
  },
  MaxPool: { attrs: [...WINDOW_ATTRS, 'ceil_mode', 'storage_order'], run: (ins, c) => [pool('max')(ins, c)] },
  AveragePool: {
    attrs: [...WINDOW_ATTRS, 'ceil_mode', 'count_include_pad'],
    run: (ins, c) => [pool('avg')(ins, c)],
  },
  GlobalAveragePool: { attrs: [], run: globalPool(mean) },
  GlobalMaxPool: { attrs: [], run: globalPool(max) },
  BatchNormalization: {
    attrs: ['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs'],
    stateInputs: [3, 4],
    run: batchNorm,
  },
  LayerNormalization: { attrs: ['axis', 'epsilon', 'stash_type'], run: layerNorm },
  InstanceNormalization: { attrs: ['epsilon'], run: instanceNorm },
  Gemm: { attrs: ['alpha', 'beta', 'transA', 'transB', 'broadcast'], run: (ins, c) => [gemm(ins, c)] },
  MatMul: { attrs: [], run: (ins, c) => [matmul(need(ins, 0, c.node, 'A'), need(ins, 1, c.node, 'B'))] },
  Flatten: { attrs: ['axis'], run: (ins, c) => [flatten(ins, c)] },
};
