// The compiled ONNX executor's rules for network operators (executor.ts): Conv (+ BatchNormalization folded, +
// activation in the kernel or in place), Gemm and MatMul (+ bias) as the conv kernel with a 1×1 window or a small
// dense loop, MaxPool / AveragePool as the window kernels, the global pools, and a BatchNormalization no Conv folded.
// 4-D values stay channels-last from one Conv/pool to the next, as in the inference plan.
import { withFrame } from '../../core/lifetime.js';
import { Storage } from '../../core/storage.js';
import { noGrad } from '../../core/tape.js';
import type { TypedArray } from '../../core/dtype.js';
import { Tensor } from '../../core/tensor.js';
import { conv2d } from '../../ops/composite/conv.js';
import { windowGeom } from '../../ops/composite/window.js';
import { channelAffine, denseRows, scalarBinary } from '../../ops/direct-kernels.js';
import type { Compiler } from './executor.js';
import {
  type Activation,
  type Operand,
  SMALL_MACS,
  arrayOf,
  attrsOf,
  fusedActivation,
  isFloat32,
  kernelFor,
  noteFused,
  operand,
  sameShape,
  shapeOnly,
} from './executor-fusion.js';
import { type Val, sizeOfShape } from './executor-memory.js';
import { Prepared } from './executor-weights.js';
import { MAX_DENSE_GROUPS, ctxOf, fixedAt, prepareConv } from './inference-plan.js';
import type { OnnxNode } from './model.js';
import { windowOf } from './ops-nn.js';

/** Conv (+ a BatchNormalization it alone feeds, folded into its weights) (+ activation) as the fused conv kernel. */
export function conv(c: Compiler, n: OnnxNode): string | null {
  const w = fixedAt(n, 1);
  if (!w || w.rank !== 4 || w.dtype !== 'float32') return 'its weights are not a 4-D float32 initializer';
  if (n.slots[0].kind !== 'value') return 'its input is not a run-time value';
  if (n.slots[2]?.kind === 'value') return 'its bias is computed at run time';
  const b = fixedAt(n, 2);
  const x = c.val(n.slots[0].name);
  if (x.shape.length !== 4) return 'not a 2-D convolution';
  const groups = attrsOf(n).int('group', 1);
  const [o, cg, kh, kw] = w.shape;
  const [N, C, H, W] = x.shape;
  if (cg * groups !== C || o % groups !== 0) return 'its shapes do not match (the node says how)';
  let out = n.spec.outputs[0];
  const r = c.soleReader(out);
  const bn =
    r?.spec.opType === 'BatchNormalization' &&
    r.spec.inputs[0] === out &&
    [1, 2, 3, 4].every((j) => fixedAt(r, j)?.size === o) &&
    !r.spec.outputs.slice(1).some(Boolean) &&
    attrsOf(r).int('training_mode', 0) === 0
      ? r
      : null;
  if (bn) out = bn.spec.outputs[0];
  const act = fusedActivation(c, out);
  // a non-decreasing activation commutes with the max pooling that alone reads it: applied to the pooled values
  const nonDecreasing =
    act?.node.spec.opType === 'Relu' ||
    (act?.node.spec.opType === 'LeakyRelu' && attrsOf(act.node).float('alpha', 0.01) >= 0);
  // a Relu after a dense conv is the conv kernel's epilogue (free); else a non-decreasing one moves after a max pool
  const dense = groups <= MAX_DENSE_GROUPS;
  const inKernel = dense && act?.node.spec.opType === 'Relu';
  const pool = act && nonDecreasing && !inKernel ? c.soleReader(act.output) : null;
  const defer = pool?.spec.opType === 'MaxPool' && pool.spec.inputs[0] === act!.output ? pool : null;
  const win = windowOf(
    ctxOf(n),
    shapeOnly([N, H, W, C]),
    attrsOf(n).ints('kernel_shape') ?? [kh, kw],
    false,
    true,
  );
  const geom = windowGeom([N, H, W, C], win.k, win.s, win.d, win.pads, `onnx node '${n.spec.name}' (Conv)`);
  if (!sameShape(c.infoOf(act?.output ?? out).shape, [N, o, geom.outH, geom.outW]))
    return 'its output shape differs';
  const xin = c.nhwcOf(x);
  const y = c.define(act?.output ?? out, { nhwc: true, pending: defer ? act!.apply : undefined });
  const sources = [w, ...(b ? [b] : []), ...(bn ? [1, 2, 3, 4].map((j) => fixedAt(bn, j)!) : [])];
  // NOTE: up to MAX_DENSE_GROUPS groups spread block-diagonally over all input channels (one kernel call); more
  // (depthwise) run tapegrad's grouped NHWC conv composite on the buffers, as the inference plan does
  const prep = new Prepared(sources, () => prepareConv(w, b, bn ?? undefined, dense ? groups : 1));
  const small = geom.n * geom.outH * geom.outW * kh * kw * C * o < SMALL_MACS;
  const where = `onnx node '${n.spec.name}' (Conv)`;
  const nhwcShape = [N, H, W, C];
  c.steps.push({
    node: n,
    reads: [xin],
    writes: [y],
    inPlace: false,
    run: dense
      ? (a, k) => {
          const p = prep.get();
          const K = kernelFor(small, k);
          K.conv2d(
            a[xin.id],
            p.kernel.raw,
            p.bias ? p.bias.raw : null,
            geom,
            o,
            a[y.id],
            inKernel ? 'relu' : 'linear',
          );
          if (!defer && !inKernel) act?.apply(a[y.id], k);
        }
      : (a, k) => {
          const p = prep.get();
          withFrame('internal', where, () =>
            noGrad(() => {
              const xt = new Tensor(new Storage(a[xin.id]), nhwcShape);
              const opts = { stride: win.s, dilation: win.d, padding: win.pads, groups, dataFormat: 'NHWC' };
              a[y.id].set(conv2d(xt, p.kernel, p.bias, opts).raw);
            }),
          );
          if (!defer) act?.apply(a[y.id], k);
        },
  });
  c.report.push(
    dense
      ? `${n.spec.name} (Conv): conv kernel, NHWC${b || bn ? ', bias in the kernel' : ''}${groups > 1 ? `, ${groups} groups block-diagonal` : ''}`
      : `${n.spec.name} (Conv): grouped conv composite on the buffers (${groups} groups), NHWC`,
  );
  noteFused(c, n, 'folded into the weights of', bn);
  if (defer) noteFused(c, defer, 'non-decreasing, so applied to the pooled values after', act?.node);
  else
    noteFused(c, n, inKernel ? 'in the conv kernel (its epilogue) of' : 'applied in place after', act?.node);
  return null;
}

/**
 * The step y = act(a·W + bias) over the rows of a [rows, K]: below SMALL_MACS the small dense loop (W as [O, K], each
 * output's weights contiguous), else the conv kernel with a 1×1 window (W as [K, O]). `small` is fixed when compiling
 * (callers lay out W for it); `operands` gives W and the bias at each run.
 */
function pushDense(
  c: Compiler,
  n: OnnxNode,
  a: Val,
  y: Val,
  [rows, K, O]: [number, number, number],
  act: Activation | null,
  operands: (v: TypedArray[]) => { w: TypedArray; bias: TypedArray | null },
): void {
  const small = isSmallDense(rows, K, O);
  const geom = windowGeom(
    [rows, 1, 1, K],
    [1, 1],
    [1, 1],
    [1, 1],
    [
      [0, 0],
      [0, 0],
    ],
    `onnx node '${n.spec.name}'`,
  );
  c.steps.push({
    node: n,
    reads: [a],
    writes: [y],
    inPlace: false,
    run: (v, k) => {
      const { w, bias } = operands(v);
      if (small) denseRows(v[a.id], w, bias, rows, K, O, v[y.id]);
      else k.conv2d(v[a.id], w, bias, geom, O, v[y.id]);
      act?.apply(v[y.id], k);
    },
  });
}
const isSmallDense = (rows: number, k: number, o: number): boolean => rows * k * o < SMALL_MACS;

/** Y = α·A·B' + β·C with B an initializer and C one row: the conv kernel with B' prepared once per change. */
export function gemm(c: Compiler, n: OnnxNode): string | null {
  const at = attrsOf(n);
  const bt = fixedAt(n, 1);
  if (n.slots[0].kind !== 'value' || !bt || bt.rank !== 2 || bt.dtype !== 'float32')
    return 'B is not a 2-D float32 initializer';
  if (at.int('transA', 0) !== 0) return 'transA=1';
  const transB = at.int('transB', 0) === 1;
  const [K, O] = transB ? [bt.shape[1], bt.shape[0]] : bt.shape;
  const ct = n.slots.length > 2 && n.slots[2].kind !== 'none' ? fixedAt(n, 2) : null;
  if (n.slots.length > 2 && n.slots[2].kind === 'value') return 'C is computed at run time';
  if (ct && !(ct.size === 1 || (ct.size === O && (ct.rank === 1 || ct.shape[0] === 1))))
    return 'C is not one row';
  const a = c.val(n.slots[0].name);
  if (a.shape.length !== 2 || a.shape[1] !== K || a.dtype !== 'float32') return 'A is not [M, K] float32';
  const alpha = at.float('alpha', 1);
  const beta = at.float('beta', 1);
  const act = fusedActivation(c, n.spec.outputs[0]);
  const y = c.define(act?.output ?? n.spec.outputs[0]);
  const M = a.shape[0];
  const small = isSmallDense(M, K, O);
  // the conv kernel takes [K, O]; the small dense loop [O, K] (each output's weights contiguous)
  const prep = new Prepared(ct ? [bt, ct] : [bt], () => {
    const src = bt.raw;
    const w = new Float32Array(K * O);
    // feature i of A (NCHW order) is row g of the kernel: itself, or (y·W + x)·C + c for a Flatten of NHWC values
    const [, fc, fh, fw] = a.flatNhwc ?? [0, 1, 1, 1];
    const plane = fh * fw;
    for (let i = 0; i < K; i++) {
      const g = a.flatNhwc ? (i % plane) * fc + Math.floor(i / plane) : i;
      for (let j = 0; j < O; j++)
        w[small ? j * K + g : g * O + j] = alpha * (transB ? src[j * K + i] : src[i * O + j]);
    }
    const bias = ct ? Float32Array.from({ length: O }, (_, j) => beta * ct.raw[ct.size === 1 ? 0 : j]) : null;
    return { w, bias };
  });
  pushDense(c, n, a, y, [M, K, O], act, () => prep.get());
  c.report.push(`${n.spec.name} (Gemm): conv kernel with a 1×1 window${ct ? ', bias in the kernel' : ''}`);
  noteFused(c, n, 'applied in place after', act?.node);
  return null;
}

/** A [..., K] × B [K, O] with B an initializer (+ an Add of a bias [O] it alone feeds) (+ activation). */
export function matmul(c: Compiler, n: OnnxNode): string | null {
  const bt = fixedAt(n, 1);
  if (n.slots[0].kind !== 'value' || !bt || bt.rank !== 2 || bt.dtype !== 'float32')
    return 'B is not a 2-D float32 initializer';
  const a = c.nchw(c.val(n.slots[0].name));
  const [K, O] = bt.shape;
  if (a.shape.length < 2 || a.shape[a.shape.length - 1] !== K || a.dtype !== 'float32')
    return 'A is not [..., K] float32';
  let out = n.spec.outputs[0];
  const r = c.soleReader(out);
  let bias: Operand | null = null;
  if (r?.spec.opType === 'Add' && r.slots.length === 2) {
    const other = operand(c, r, r.spec.inputs[0] === out ? 1 : 0);
    if (
      other &&
      isFloat32(other) &&
      other.shape.length <= 2 &&
      sizeOfShape(other.shape) === O &&
      other.shape[other.shape.length - 1] === O &&
      ('fixed' in other || other.val.constant)
    ) {
      bias = other;
      out = r.spec.outputs[0];
    }
  }
  const act = fusedActivation(c, out);
  const y = c.define(act?.output ?? out);
  const rows = sizeOfShape(a.shape) / K;
  const small = isSmallDense(rows, K, O);
  // the small dense loop reads B as [O, K]
  const bT = new Prepared([bt], () => {
    const src = bt.raw;
    const w = new Float32Array(K * O);
    for (let i = 0; i < K; i++) for (let j = 0; j < O; j++) w[j * K + i] = src[i * O + j];
    return w;
  });
  pushDense(c, n, a, y, [rows, K, O], act, (v) => ({
    w: small ? bT.get() : bt.raw,
    bias: bias ? arrayOf(bias, v) : null,
  }));
  c.report.push(
    `${n.spec.name} (MatMul): conv kernel with a 1×1 window${bias ? ', bias in the kernel' : ''}`,
  );
  noteFused(c, n, 'as the bias of', bias ? r : null);
  noteFused(c, n, 'applied in place after', act?.node);
  return null;
}

/** MaxPool (the window-max kernel) or AveragePool (patches, their sum, the divisor of each window). */
export function pool(c: Compiler, n: OnnxNode): string | null {
  const at = attrsOf(n);
  const kernel = at.ints('kernel_shape');
  const max = n.spec.opType === 'MaxPool';
  if (!kernel || kernel.length !== 2) return 'not a 2-D window';
  if (max && (at.int('storage_order', 0) !== 0 || n.spec.outputs[1])) return 'Indices or storage_order';
  const x = c.val(n.spec.inputs[0]);
  if (x.shape.length !== 4) return 'not a 4-D input';
  const [N, C, H, W] = x.shape;
  const ctx = ctxOf(n);
  const ceil = at.int('ceil_mode', 0) === 1;
  const win = windowOf(ctx, shapeOnly([N, H, W, C]), kernel, ceil, true);
  const user = windowOf(ctx, shapeOnly([N, H, W, C]), kernel, false, true).pads;
  const geom = windowGeom(
    [N, H, W, C],
    win.k,
    win.s,
    win.d,
    win.pads,
    `onnx node '${n.spec.name}' (${n.spec.opType})`,
  );
  const { outH, outW, kh, kw } = geom;
  if (!sameShape(c.infoOf(n.spec.outputs[0]).shape, [N, C, outH, outW])) return 'its output shape differs';
  const xin = c.nhwcOf(x);
  const y = c.define(n.spec.outputs[0], { nhwc: true });
  if (max) {
    const act = xin.pending;
    xin.pending = undefined;
    c.steps.push({
      node: n,
      reads: [xin],
      writes: [y],
      inPlace: false,
      run: (a, k) => {
        k.poolMax(a[xin.id], geom, a[y.id]);
        act?.(a[y.id], k);
      },
    });
    c.report.push(`${n.spec.name} (MaxPool): window-max kernel, NHWC`);
    return null;
  }
  // divisor of each window: taps inside the input, or with count_include_pad inside the input and the given pads,
  // never ceil_mode's extra cells
  const include = at.int('count_include_pad', 0) === 1;
  const taps = (out: number, len: number, k: number, s: number, d: number, pb: number, pa: number) =>
    Array.from({ length: out }, (_, o) => {
      let t = 0;
      for (let q = 0; q < k; q++) {
        const i = o * s - pb + q * d;
        if (include ? i >= -pb && i < len + pa : i >= 0 && i < len) t++;
      }
      return t;
    });
  const th = taps(outH, H, kh, geom.strideH, geom.dilationH, user[0][0], user[0][1]);
  const tw = taps(outW, W, kw, geom.strideW, geom.dilationW, user[1][0], user[1][1]);
  const counts = Float32Array.from(
    { length: outH * outW },
    (_, i) => th[Math.floor(i / outW)] * tw[i % outW],
  );
  const divisors = counts.every((v) => v === kh * kw) ? Float32Array.of(kh * kw) : counts;
  c.steps.push({
    node: n,
    reads: [xin],
    writes: [y],
    inPlace: false,
    run: (a, k) => k.avgPool(a[xin.id], geom, divisors, a[y.id]),
  });
  c.report.push(`${n.spec.name} (AveragePool): window-average kernel with each window's divisor, NHWC`);
  return null;
}

/** GlobalAveragePool / GlobalMaxPool of a 4-D value: the sum (then / H·W) or max over the spatial axes. */
export function globalPool(c: Compiler, n: OnnxNode): string | null {
  const x = c.val(n.spec.inputs[0]);
  if (x.shape.length !== 4 || x.dtype !== 'float32') return 'not a 4-D float32 input';
  const [N, C, H, W] = x.shape;
  const avg = n.spec.opType === 'GlobalAveragePool';
  // the output [N, C, 1, 1] has the same memory order in either layout
  const y = c.define(n.spec.outputs[0]);
  const [outer, mid, inner] = x.nhwc ? [N, H * W, C] : [N * C, H * W, 1];
  c.steps.push({
    node: n,
    reads: [x],
    writes: [y],
    inPlace: false,
    run: (a, k) => {
      k.reduce(avg ? 'sum' : 'max', a[x.id], outer, mid, inner, a[y.id]);
      // y = Σ / (H·W)
      if (avg) scalarBinary('div', a[y.id], H * W, false, a[y.id]);
    },
  });
  c.report.push(
    `${n.spec.name} (${n.spec.opType}): one reduction over the spatial axes${x.nhwc ? ', NHWC' : ''}`,
  );
  return null;
}

/** BatchNormalization with inference statistics (one a Conv did not fold): y = x·a + (β − μ·a), a = γ/√(σ² + ε). */
export function batchNormalization(c: Compiler, n: OnnxNode): string | null {
  const at = attrsOf(n);
  if (at.int('training_mode', 0) !== 0 || n.spec.outputs.slice(1).some(Boolean)) return 'training statistics';
  if (at.int('spatial', 1) !== 1) return 'spatial=0';
  if (n.slots[0].kind !== 'value') return 'its input is not a run-time value';
  const x = c.val(n.slots[0].name);
  const C = x.shape[1];
  const stats = [1, 2, 3, 4].map((j) => fixedAt(n, j));
  if (
    x.shape.length < 2 ||
    x.dtype !== 'float32' ||
    stats.some((t) => !t || t.dtype !== 'float32' || t.size !== C)
  )
    return 'its statistics are not float32 initializers of the channel count';
  const [gamma, beta, mean, variance] = stats as Tensor[];
  const eps = at.float('epsilon', 1e-5);
  const nhwc = x.nhwc;
  const [N, , ...sp] = x.shape;
  const plane = sizeOfShape(sp);
  const [outer, mid, inner] = nhwc ? [N * plane, C, 1] : [N, C, plane];
  const y = c.define(n.spec.outputs[0], { nhwc });
  // per-channel scale and shift from the current statistics (C values, each run)
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  c.steps.push({
    node: n,
    reads: [x],
    writes: [y],
    inPlace: true,
    run: (a) => {
      const [g, b, m, v] = [gamma.raw, beta.raw, mean.raw, variance.raw];
      for (let j = 0; j < C; j++) {
        scale[j] = g[j] / Math.sqrt(v[j] + eps);
        shift[j] = b[j] - m[j] * scale[j];
      }
      channelAffine(a[x.id], scale, shift, outer, mid, inner, a[y.id]);
    },
  });
  c.report.push(`${n.spec.name} (BatchNormalization): one per-channel affine pass${nhwc ? ', NHWC' : ''}`);
  return null;
}
