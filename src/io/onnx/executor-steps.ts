// What the compiled ONNX executor (executor.ts) compiles, node by node: each rule turns a node (and what it fuses:
// a following BatchNormalization, Add of a bias, activation) into steps that call kernels directly, or returns why
// it does not (the node then runs as itself). 4-D values stay channels-last from one Conv/pool to the next through
// per-element steps, as in the inference plan.
// NOTE: steps on few elements call the JS reference kernels: a wasm call's fixed cost (~2 µs: operand copies,
// the thread pool's handshake) is more than their loops.
import type { TypedArray } from '../../core/dtype.js';
import { withFrame } from '../../core/lifetime.js';
import { Storage } from '../../core/storage.js';
import { noGrad } from '../../core/tape.js';
import { Tensor } from '../../core/tensor.js';
import { conv2d } from '../../ops/composite/conv.js';
import { windowGeom } from '../../ops/composite/window.js';
import {
  type BinaryOp,
  type Kernels,
  type UnaryOp,
  channelAffine,
  channelBinary,
  denseRows,
  jsKernels,
  layerNorm,
  leakyRelu,
  scalarBinary,
  softmax,
  tanhRational,
  erfRational,
} from '../../ops/direct-kernels.js';
import type { Compiler } from './executor.js';
import { type Val, sizeOfShape } from './executor-memory.js';
import { Prepared } from './executor-weights.js';
import { MAX_DENSE_GROUPS, fixedAt, prepareConv } from './inference-plan.js';
import type { OnnxNode } from './model.js';
import { Attrs } from './op-types.js';
import { windowOf } from './ops-nn.js';
import type { WindowGeom } from '../../core/window-geom.js';

/** Elements (per-element steps) and multiply-adds (conv, Gemm, MatMul) below which the JS kernels run. */
const SMALL_ELEMS = 4096;
const SMALL_MACS = 16384;

const UNARY: Record<string, UnaryOp> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Erf: 'erf',
  Exp: 'exp',
  Log: 'log',
  Sqrt: 'sqrt',
  Abs: 'abs',
  Neg: 'neg',
  Floor: 'floor',
  Sign: 'sign',
  Sin: 'sin',
  Cos: 'cos',
};
const BINARY: Record<string, BinaryOp> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Pow: 'pow',
  Max: 'maximum',
  Min: 'minimum',
};
const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

const attrsOf = (n: OnnxNode): Attrs => new Attrs(n.spec, n.spec.attrs);
const kernelFor = (small: boolean, k: Kernels): Kernels => (small ? jsKernels : k);
/**
 * out = op(x), where x and out may be one array. NOTE: tanh and erf use the rational forms of inference-kernels.ts at
 * every size: on one thread they run several times faster than the wasm kernels' (measured here, docs/onnx.md).
 */
function unary(op: UnaryOp, x: TypedArray, out: TypedArray, small: boolean, k: Kernels): void {
  if (op === 'tanh') tanhRational(x, out);
  else if (op === 'erf') erfRational(x, out);
  else kernelFor(small, k).unary(op, x, out);
}
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
/** Only the shape of a value is read by windowOf. */
const shapeOnly = (shape: number[]) => ({ shape, rank: shape.length }) as unknown as Tensor;

/** An operand: a value of the run, or an initializer read where it is at each run (its current values). */
type Operand = { val: Val; shape: number[] } | { fixed: Tensor; shape: number[] };
const arrayOf = (o: Operand, a: TypedArray[]): TypedArray => ('val' in o ? a[o.val.id] : o.fixed.raw);

function operand(c: Compiler, n: OnnxNode, i: number): Operand | null {
  const s = n.slots[i];
  if (!s || s.kind === 'none') return null;
  if (s.kind === 'fixed') return { fixed: s.t, shape: [...s.t.shape] };
  const v = c.val(s.name);
  return { val: v, shape: v.shape };
}
const isFloat32 = (o: Operand): boolean => ('val' in o ? o.val.dtype : o.fixed.dtype) === 'float32';

/** An activation node that alone reads `name`, applied in place by the step that makes `name`. */
interface Activation {
  node: OnnxNode;
  output: string;
  apply(x: TypedArray, k: Kernels): void;
}
function fusedActivation(c: Compiler, name: string): Activation | null {
  const r = c.soleReader(name);
  if (!r || r.slots.length !== 1 || r.spec.outputs.length !== 1 || c.infoOf(name).dtype !== 'float32')
    return null;
  const op = UNARY[r.spec.opType];
  const small = sizeOfShape(c.infoOf(name).shape) < SMALL_ELEMS;
  if (op) return { node: r, output: r.spec.outputs[0], apply: (x, k) => unary(op, x, x, small, k) };
  if (r.spec.opType === 'LeakyRelu') {
    const alpha = attrsOf(r).float('alpha', 0.01);
    return { node: r, output: r.spec.outputs[0], apply: (x) => leakyRelu(x, alpha, x) };
  }
  return null;
}
function noteFused(c: Compiler, into: OnnxNode, what: string, n: OnnxNode | null | undefined): void {
  if (!n) return;
  c.consumed.add(n);
  c.report.push(`${n.spec.name} (${n.spec.opType}): ${what} ${into.spec.name}`);
}

/** Compile node `n` into steps; null when done, else why it runs as itself. */
export function compileNode(c: Compiler, n: OnnxNode): string | null {
  const op = n.spec.opType;
  for (const o of n.spec.outputs) if (o && c.infoOf(o).dtype !== 'float32') return 'not a float32 result';
  if (op === 'Conv') return conv(c, n);
  if (op === 'Gemm') return gemm(c, n);
  if (op === 'MatMul') return matmul(c, n);
  if (op === 'MaxPool' || op === 'AveragePool') return pool(c, n);
  if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') return globalPool(c, n);
  if (UNARY[op] || op === 'LeakyRelu') return perElement(c, n);
  if (BINARY[op]) return binary(c, n);
  if (op === 'LayerNormalization') return layerNormalization(c, n);
  if (op === 'BatchNormalization') return batchNormalization(c, n);
  if (op === 'Softmax' || op === 'LogSoftmax') return softmaxStep(c, n);
  if (VIEWS.has(op)) return view(c, n);
  if (op === 'Transpose') return transposeStep(c, n);
  if (op === 'Pad') return padStep(c, n);
  return `the executor has no rule for ${op}`;
}

/** Conv (+ a BatchNormalization it alone feeds, folded into its weights) (+ activation) as the fused conv kernel. */
function conv(c: Compiler, n: OnnxNode): string | null {
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
    { node: n.spec, opset: n.opset, attrs: attrsOf(n), training: false, inTypes: n.inTypes },
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

/** A product [rows, K] × [K, O] (+ bias) as the conv kernel with a 1×1 window. */
const rowsGeom = (rows: number, k: number): WindowGeom => ({
  n: rows,
  h: 1,
  w: 1,
  c: k,
  kh: 1,
  kw: 1,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 0,
  padLeft: 0,
  outH: 1,
  outW: 1,
});

/** Y = α·A·B' + β·C with B an initializer and C one row: the conv kernel with B' prepared once per change. */
function gemm(c: Compiler, n: OnnxNode): string | null {
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
  const small = M * K * O < SMALL_MACS;
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
  const geom = rowsGeom(M, K);
  c.steps.push({
    node: n,
    reads: [a],
    writes: [y],
    inPlace: false,
    run: (v, k) => {
      const p = prep.get();
      if (small) denseRows(v[a.id], p.w, p.bias, M, K, O, v[y.id]);
      else k.conv2d(v[a.id], p.w, p.bias, geom, O, v[y.id]);
      act?.apply(v[y.id], k);
    },
  });
  c.report.push(`${n.spec.name} (Gemm): conv kernel with a 1×1 window${ct ? ', bias in the kernel' : ''}`);
  noteFused(c, n, 'applied in place after', act?.node);
  return null;
}

/** A [..., K] × B [K, O] with B an initializer (+ an Add of a bias [O] it alone feeds) (+ activation). */
function matmul(c: Compiler, n: OnnxNode): string | null {
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
  const geom = rowsGeom(rows, K);
  const small = rows * K * O < SMALL_MACS;
  // the small dense loop reads B as [O, K]
  const bT = new Prepared([bt], () => {
    const src = bt.raw;
    const w = new Float32Array(K * O);
    for (let i = 0; i < K; i++) for (let j = 0; j < O; j++) w[j * K + i] = src[i * O + j];
    return w;
  });
  c.steps.push({
    node: n,
    reads: [a],
    writes: [y],
    inPlace: false,
    run: (v, k) => {
      const b = bias ? arrayOf(bias, v) : null;
      if (small) denseRows(v[a.id], bT.get(), b, rows, K, O, v[y.id]);
      else k.conv2d(v[a.id], bt.raw, b, geom, O, v[y.id]);
      act?.apply(v[y.id], k);
    },
  });
  c.report.push(
    `${n.spec.name} (MatMul): conv kernel with a 1×1 window${bias ? ', bias in the kernel' : ''}`,
  );
  noteFused(c, n, 'as the bias of', bias ? r : null);
  noteFused(c, n, 'applied in place after', act?.node);
  return null;
}

/** MaxPool (the window-max kernel) or AveragePool (patches, their sum, the divisor of each window). */
function pool(c: Compiler, n: OnnxNode): string | null {
  const at = attrsOf(n);
  const kernel = at.ints('kernel_shape');
  const max = n.spec.opType === 'MaxPool';
  if (!kernel || kernel.length !== 2) return 'not a 2-D window';
  if (max && (at.int('storage_order', 0) !== 0 || n.spec.outputs[1])) return 'Indices or storage_order';
  const x = c.val(n.spec.inputs[0]);
  if (x.shape.length !== 4) return 'not a 4-D input';
  const [N, C, H, W] = x.shape;
  const ctx = { node: n.spec, opset: n.opset, attrs: at, training: false, inTypes: n.inTypes };
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
function globalPool(c: Compiler, n: OnnxNode): string | null {
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

/** A per-element activation (any layout). */
function perElement(c: Compiler, n: OnnxNode): string | null {
  if (n.slots.length !== 1 || n.slots[0].kind !== 'value') return 'its input is not a run-time value';
  const x = c.val(n.slots[0].name);
  if (x.dtype !== 'float32') return 'not float32';
  const y = c.define(n.spec.outputs[0], { nhwc: x.nhwc });
  const small = sizeOfShape(x.shape) < SMALL_ELEMS;
  const op = UNARY[n.spec.opType];
  const alpha = attrsOf(n).float('alpha', 0.01);
  c.steps.push({
    node: n,
    reads: [x],
    writes: [y],
    inPlace: true,
    run: op ? (a, k) => unary(op, a[x.id], a[y.id], small, k) : (a) => leakyRelu(a[x.id], alpha, a[y.id]),
  });
  c.report.push(`${n.spec.name} (${n.spec.opType}): per-element kernel${x.nhwc ? ', NHWC' : ''}`);
  return null;
}

/** Add/Sub/Mul/Div/Pow/Max/Min of equal shapes, with a scalar, or with a per-channel (one block of axes) operand. */
function binary(c: Compiler, n: OnnxNode): string | null {
  if (n.slots.length !== 2) return 'not two operands';
  const op = BINARY[n.spec.opType];
  const A = operand(c, n, 0);
  const B = operand(c, n, 1);
  if (!A || !B || !isFloat32(A) || !isFloat32(B)) return 'operands are not float32';
  const out = c.infoOf(n.spec.outputs[0]).shape;
  const size = sizeOfShape(out);
  const full = (o: Operand) => sizeOfShape(o.shape) === size && sameShape(o.shape, out);
  const small = size < SMALL_ELEMS;
  if (full(A) && full(B) && 'val' in A && 'val' in B) {
    const nhwc = A.val.nhwc && B.val.nhwc;
    const [a, b] = nhwc ? [A.val, B.val] : [c.nchw(A.val), c.nchw(B.val)];
    const y = c.define(n.spec.outputs[0], { nhwc });
    c.steps.push({
      node: n,
      reads: [a, b],
      writes: [y],
      inPlace: true,
      run: (v, k) => kernelFor(small, k).binary(op, v[a.id], v[b.id], v[y.id]),
    });
    c.report.push(`${n.spec.name} (${n.spec.opType}): per-element kernel`);
    return null;
  }
  const [X, S, sFirst] =
    full(A) && 'val' in A ? [A, B, false] : full(B) && 'val' in B ? [B, A, true] : [null, B, false];
  if (!X || !('val' in X)) return 'operand shapes need general broadcasting';
  if (sizeOfShape(S.shape) === 1) {
    const x = X.val;
    const y = c.define(n.spec.outputs[0], { nhwc: x.nhwc });
    c.steps.push({
      node: n,
      reads: 'val' in S ? [x, S.val] : [x],
      writes: [y],
      inPlace: true,
      run: (v) => scalarBinary(op, v[x.id], arrayOf(S, v)[0], sFirst, v[y.id]),
    });
    c.report.push(`${n.spec.name} (${n.spec.opType}): scalar operand read in place`);
    return null;
  }
  // S's dims aligned right: its non-1 dims must be one block equal to the output's there
  const r = out.length;
  const s = [...Array(r - S.shape.length).fill(1), ...S.shape];
  const dims = s.map((d, i) => (d !== 1 ? i : -1)).filter((i) => i >= 0);
  const lo = dims[0];
  const hi = dims[dims.length - 1];
  if (S.shape.length > r || dims.some((i) => s[i] !== out[i]) || hi - lo + 1 !== dims.length)
    return 'operand shapes need general broadcasting';
  const channel = r === 4 && lo === 1 && hi === 1 && X.val.nhwc;
  const x = channel ? X.val : c.nchw(X.val);
  const [outer, mid, inner] = channel
    ? [out[0] * out[2] * out[3], out[1], 1]
    : [sizeOfShape(out.slice(0, lo)), sizeOfShape(out.slice(lo, hi + 1)), sizeOfShape(out.slice(hi + 1))];
  const y = c.define(n.spec.outputs[0], { nhwc: channel });
  c.steps.push({
    node: n,
    reads: 'val' in S ? [x, S.val] : [x],
    writes: [y],
    inPlace: true,
    run: (v) => channelBinary(op, v[x.id], arrayOf(S, v), outer, mid, inner, sFirst, v[y.id]),
  });
  c.report.push(`${n.spec.name} (${n.spec.opType}): per-channel operand read in place`);
  return null;
}

/** BatchNormalization with inference statistics (one a Conv did not fold): y = x·a + (β − μ·a), a = γ/√(σ² + ε). */
function batchNormalization(c: Compiler, n: OnnxNode): string | null {
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

function layerNormalization(c: Compiler, n: OnnxNode): string | null {
  if (n.spec.outputs.slice(1).some(Boolean)) return 'its Mean / InvStdDev outputs are used';
  if (n.slots[0].kind !== 'value') return 'its input is not a run-time value';
  const x = c.nchw(c.val(n.slots[0].name));
  const rank = x.shape.length;
  const axis = attrsOf(n).int('axis', -1);
  const ax = axis < 0 ? axis + rank : axis;
  const cols = sizeOfShape(x.shape.slice(ax));
  const g = operand(c, n, 1);
  const b = operand(c, n, 2);
  const ok = (o: Operand | null) =>
    !o || ('fixed' in o && o.fixed.dtype === 'float32' && o.fixed.size === cols);
  if (!g || !ok(g) || !ok(b)) return 'scale / B are not initializers of the normalized size';
  const eps = attrsOf(n).float('epsilon', 1e-5);
  const y = c.define(n.spec.outputs[0]);
  const rows = sizeOfShape(x.shape) / cols;
  c.steps.push({
    node: n,
    reads: [x],
    writes: [y],
    inPlace: true,
    run: (v) => layerNorm(v[x.id], rows, cols, arrayOf(g, v), b ? arrayOf(b, v) : null, eps, v[y.id]),
  });
  c.report.push(`${n.spec.name} (LayerNormalization): one pass per row`);
  return null;
}

function softmaxStep(c: Compiler, n: OnnxNode): string | null {
  if (n.slots[0].kind !== 'value') return 'its input is not a run-time value';
  const x = c.nchw(c.val(n.slots[0].name));
  const s = x.shape;
  const modern = n.opset >= 13;
  const axis = attrsOf(n).int('axis', modern ? -1 : 1);
  const ax = axis < 0 ? axis + s.length : axis;
  // opset ≥ 13: one axis; before: the input flattened to 2-D at axis
  const [outer, mid, inner] = modern
    ? [sizeOfShape(s.slice(0, ax)), s[ax], sizeOfShape(s.slice(ax + 1))]
    : [sizeOfShape(s.slice(0, ax)), sizeOfShape(s.slice(ax)), 1];
  const log = n.spec.opType === 'LogSoftmax';
  const y = c.define(n.spec.outputs[0]);
  c.steps.push({
    node: n,
    reads: [x],
    writes: [y],
    inPlace: true,
    run: (v) => softmax(v[x.id], outer, mid, inner, log, v[y.id]),
  });
  c.report.push(`${n.spec.name} (${n.spec.opType}): one pass per row`);
  return null;
}

/** Reshape, Flatten, Squeeze, Unsqueeze, Identity and inference Dropout: a view of the input's buffer. */
function view(c: Compiler, n: OnnxNode): string | null {
  if (n.slots[0]?.kind !== 'value') return 'its input is not a run-time value';
  if (n.spec.opType === 'Dropout' && (n.spec.outputs[1] || n.slots.length > 2))
    return 'its mask or training_mode is used';
  for (const s of n.slots.slice(1)) {
    if (s.kind === 'value' && c.val(s.name).constant === null)
      return 'its shape / axes are computed at run time';
    if (s.kind === 'fixed') c.watched.add(s.t);
  }
  const x0 = c.val(n.slots[0].name);
  const out = n.spec.outputs[0];
  const r = c.soleReader(out);
  if (
    n.spec.opType === 'Flatten' &&
    x0.nhwc &&
    x0.shape.length === 4 &&
    attrsOf(n).int('axis', 1) === 1 &&
    r?.spec.opType === 'Gemm' &&
    r.spec.inputs[0] === out &&
    fixedAt(r, 1)
  ) {
    // the Gemm reading it permutes its weights to the (H, W, C) feature order instead: no transpose
    c.define(out, { alias: x0, flatNhwc: [...x0.shape] });
    c.report.push(
      `${n.spec.name} (Flatten): a view of channels-last values, ${r.spec.name} reads them in that order`,
    );
    return null;
  }
  const x = n.spec.opType === 'Identity' || n.spec.opType === 'Dropout' ? x0 : c.nchw(x0);
  c.define(n.spec.outputs[0], { alias: x, nhwc: x.nhwc, dtype: x.dtype });
  c.report.push(`${n.spec.name} (${n.spec.opType}): a view, no data moves`);
  return null;
}

function transposeStep(c: Compiler, n: OnnxNode): string | null {
  if (n.slots[0]?.kind !== 'value') return 'its input is not a run-time value';
  const x = c.val(n.slots[0].name);
  const r = x.shape.length;
  const perm = attrsOf(n).ints('perm') ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const is = (p: number[]) => perm.length === 4 && perm.every((v, i) => v === p[i]);
  // NHWC data transposed to NCHW (tf2onnx's Transpose before a Conv) is an NCHW value held channels-last, and back
  if (r === 4 && !x.nhwc && is([0, 3, 1, 2])) {
    c.define(n.spec.outputs[0], { alias: x, nhwc: true });
    c.report.push(`${n.spec.name} (Transpose): relabels the layout (NHWC held as is), no data moves`);
    return null;
  }
  if (r === 4 && x.nhwc && is([0, 2, 3, 1])) {
    c.define(n.spec.outputs[0], { alias: x, nhwc: false });
    c.report.push(`${n.spec.name} (Transpose): relabels the layout, no data moves`);
    return null;
  }
  const xn = c.nchw(x);
  const y = c.define(n.spec.outputs[0]);
  c.steps.push({
    node: n,
    reads: [xn],
    writes: [y],
    inPlace: false,
    run: (a, k) => k.transpose(a[xn.id], xn.shape, perm, a[y.id]),
  });
  c.report.push(`${n.spec.name} (Transpose): transpose kernel`);
  return null;
}

/** Constant-mode Pad with pads known when compiling: none is a view; else the pad kernel (in either layout). */
function padStep(c: Compiler, n: OnnxNode): string | null {
  const at = attrsOf(n);
  if (at.str('mode', 'constant') !== 'constant') return `mode '${at.str('mode', 'constant')}'`;
  if (n.slots[0]?.kind !== 'value') return 'its input is not a run-time value';
  const known = (i: number): TypedArray | null | undefined => {
    const s = n.slots[i];
    if (!s || s.kind === 'none') return null;
    if (s.kind === 'fixed') {
      c.watched.add(s.t);
      return s.t.raw;
    }
    return c.val(s.name).constant ?? undefined;
  };
  const padsArr = n.opset >= 11 ? known(1) : null;
  const valueArr = n.opset >= 11 ? known(2) : null;
  if (padsArr === undefined || valueArr === undefined || n.slots.length > 3)
    return 'its pads are computed at run time';
  const p = n.opset >= 11 ? (padsArr ? Array.from(padsArr, Math.trunc) : []) : (at.ints('pads') ?? []);
  const value = n.opset >= 11 ? (valueArr ? valueArr[0] : 0) : at.float('value', 0);
  const x = c.val(n.slots[0].name);
  const r = x.shape.length;
  if (p.length !== 2 * r || p.some((v) => v < 0)) return 'negative or malformed pads';
  if (p.every((v) => v === 0)) {
    c.define(n.spec.outputs[0], { alias: x, nhwc: x.nhwc });
    c.report.push(`${n.spec.name} (Pad): nothing to pad, a view`);
    return null;
  }
  const xin = x.nhwc ? x : c.nchw(x);
  const order = x.nhwc ? [0, 2, 3, 1] : Array.from({ length: r }, (_, i) => i);
  const shape = order.map((a) => x.shape[a]);
  const before = order.map((a) => p[a]);
  const after = order.map((a) => p[a + r]);
  const y = c.define(n.spec.outputs[0], { nhwc: x.nhwc });
  c.steps.push({
    node: n,
    reads: [xin],
    writes: [y],
    inPlace: false,
    run: (a, k) => k.pad(a[xin.id], shape, before, after, value, a[y.id]),
  });
  c.report.push(`${n.spec.name} (Pad): pad kernel${x.nhwc ? ', NHWC' : ''}`);
  return null;
}
