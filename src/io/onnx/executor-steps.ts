// What the compiled ONNX executor (executor.ts) compiles, node by node: each rule turns a node (and what it fuses)
// into steps that call kernels directly, or returns why it does not (the node then runs as itself). The network
// operators' rules are in executor-network.ts; here the dispatch, per-element and broadcasting operators, the
// row-wise normalizations, views, Transpose and Pad. Per-element steps keep their input's layout (NCHW or NHWC).
import type { TypedArray } from '../../core/dtype.js';
import { channelBinary, layerNorm, leakyRelu, scalarBinary, softmax } from '../../ops/direct-kernels.js';
import type { Compiler } from './executor.js';
import {
  BINARY,
  type Operand,
  SMALL_ELEMS,
  UNARY,
  VIEWS,
  arrayOf,
  attrsOf,
  isFloat32,
  kernelFor,
  operand,
  sameShape,
  unary,
} from './executor-fusion.js';
import { sizeOfShape } from './executor-memory.js';
import { batchNormalization, conv, gemm, globalPool, matmul, pool } from './executor-network.js';
import { fixedAt } from './inference-plan.js';
import type { OnnxNode } from './model.js';

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
  if (op === 'Concat') return concatStep(c, n);
  return `the executor has no rule for ${op}`;
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

/** Concat of run-time values: the concat kernel, channels-last when all inputs are and the axis is the channels. */
function concatStep(c: Compiler, n: OnnxNode): string | null {
  if (n.slots.some((s) => s.kind !== 'value')) return 'an input is an initializer';
  const vals = n.slots.map((s) => c.val((s as { name: string }).name));
  const out = c.infoOf(n.spec.outputs[0]).shape;
  const r = out.length;
  const axis = attrsOf(n).int('axis', 0);
  const ax = axis < 0 ? axis + r : axis;
  if (vals.some((v) => v.dtype !== 'float32' || v.shape.length !== r))
    return 'inputs are not float32 of one rank';
  const nhwc = r === 4 && ax === 1 && vals.every((v) => v.nhwc);
  const ins = nhwc ? vals : vals.map((v) => c.nchw(v));
  // inputs viewed as [outer, dims[i]·inner], joined along the middle
  const [outer, inner] = nhwc
    ? [out[0] * out[2] * out[3], 1]
    : [sizeOfShape(out.slice(0, ax)), sizeOfShape(out.slice(ax + 1))];
  const dims = ins.map((v) => v.shape[ax]);
  const y = c.define(n.spec.outputs[0], { nhwc });
  c.steps.push({
    node: n,
    reads: ins,
    writes: [y],
    inPlace: false,
    run: (a, k) =>
      k.concat(
        ins.map((v) => a[v.id]),
        outer,
        dims,
        inner,
        a[y.id],
      ),
  });
  c.report.push(`${n.spec.name} (Concat): concat kernel${nhwc ? ', NHWC' : ''}`);
  return null;
}
