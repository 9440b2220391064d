// Primitive trace → ONNX graph. Every tapegrad primitive has an ONNX rendering; two patterns are fused back into
// the operators engines optimise: im2col → matmul is a Conv, poolArgmax → take is a MaxPool (both NHWC inside
// tapegrad, so they sit between Transposes); a take of constant indices that pick whole slices along one axis is a
// Gather along it; a take by the same poolArgmax from another value shaped like the input (MaxPool's returnIndices)
// is a Gather by MaxPool's Indices output. Initializers keep their parameter names.
import type { DType } from '../../core/dtype.js';
import { ValueError, fmtShape } from '../../core/errors.js';
import type { OpEvent } from '../../core/tape.js';
import { Tensor, full } from '../../core/tensor.js';
import type { WindowGeom } from '../../backend/kernels.js';
import { type BatchTwin, isBatchDim } from './export-batch.js';
import { DataType } from './proto.js';
import { tensorToProto } from './tensor-proto.js';

export const typeOfDtype = (d: DType): number =>
  d === 'float64' ? DataType.DOUBLE : d === 'int32' ? DataType.INT32 : DataType.FLOAT;

type Attr = {
  name: string;
  type: number;
  i?: number;
  f?: number;
  ints?: number[];
  s?: Uint8Array;
  t?: unknown;
};
const attrInt = (name: string, i: number): Attr => ({ name, type: 2, i });
const attrInts = (name: string, ints: readonly number[]): Attr => ({ name, type: 7, ints: [...ints] });
const attrFloat = (name: string, f: number): Attr => ({ name, type: 1, f });

/** Builds the node list, initializers and value names of one exported graph. */
export class GraphBuilder {
  readonly nodes: { name: string; opType: string; input: string[]; output: string[]; attribute: Attr[] }[] =
    [];
  readonly initializers: Record<string, unknown>[] = [];
  private readonly names = new Map<Tensor, string>();
  /** Values by storage: `detach()` makes a new Tensor over the same storage, which must stay the same value. */
  private readonly byStorage = new Map<object, { name: string; shape: readonly number[] }>();
  private readonly used = new Set<string>();
  private n = 0;
  /** Outputs of traced primitives that have no value of their own (poolArgmax): reading one is an error, not a constant. */
  readonly traced = new Map<Tensor, string>();
  /** With a symbolic batch: the second trace, and the graph input whose axis 0 is the batch. */
  batch: BatchTwin | null = null;
  batchInput = '';
  /** Names for constants that are not weights (a stateful RNN's carried states: export-state.ts). */
  constNames = new Map<Tensor, string>();
  private batchVec: string | null = null;
  constructor(readonly opset: number) {}

  /** The run-time batch size as an int64 [1]: Gather(Shape(input), [0]), made once. */
  private runtimeBatch(): string {
    this.batchVec ??= this.node(
      'Gather',
      [this.node('Shape', [this.batchInput]), this.int64([0])],
      [attrInt('axis', 0)],
    );
    return this.batchVec;
  }

  /**
   * A shape input traced as `s1` (and `s2` at the second batch size): constant when it does not change with the
   * batch; with `minusOne`, one batch-sized dim is written -1 (Reshape infers it); otherwise computed at run time
   * as Concat(fixed dims, k·batch, ...).
   */
  shapeValue(s1: readonly number[], s2: readonly number[] | null, what: string, minusOne = false): string {
    if (!this.batch || !s2) return this.int64(s1);
    const dims = this.batch.dims(s1, s2, what);
    const nBatch = dims.filter(isBatchDim).length;
    if (nBatch === 0) return this.int64(s1);
    if (minusOne && nBatch === 1) return this.int64(dims.map((d) => (isBatchDim(d) ? -1 : d)));
    const parts: string[] = [];
    let run: number[] = [];
    for (const d of dims) {
      if (!isBatchDim(d)) {
        run.push(d);
        continue;
      }
      if (run.length) parts.push(this.int64(run));
      run = [];
      parts.push(
        d.batchTimes === 1
          ? this.runtimeBatch()
          : this.node('Mul', [this.runtimeBatch(), this.int64([d.batchTimes])]),
      );
    }
    if (run.length) parts.push(this.int64(run));
    return parts.length === 1 ? parts[0] : this.node('Concat', parts, [attrInt('axis', 0)]);
  }

  fresh(base: string): string {
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.n}`;
    this.used.add(name);
    return name;
  }
  bind(t: Tensor, name: string): void {
    this.names.set(t, name);
    this.byStorage.set(t.storage, { name, shape: t.shape });
  }
  has(t: Tensor): boolean {
    return this.names.has(t);
  }
  /** True for a tensor with a value name already, itself or through its storage (`detach()`). */
  bound(t: Tensor): boolean {
    return this.names.has(t) || this.byStorage.has(t.storage);
  }
  /**
   * The value name of a tensor. One no traced op produced is a weight (an initializer named by its parameter path)
   * when it is a parameter or a named weight, and otherwise a constant (a Constant node, so importers do not train it).
   */
  nameOf(t: Tensor): string {
    const known = this.names.get(t);
    if (known) return known;
    const op = this.traced.get(t);
    if (op)
      throw new ValueError(
        `onnx export: the output of primitive '${op}' is used outside the pattern ONNX can express (poolArgmax only as the index of a take from a value shaped like the pooled input: a MaxPool)`,
      );
    const same = this.byStorage.get(t.storage);
    if (same && same.shape.length === t.shape.length && same.shape.every((d, i) => d === t.shape[i]))
      return same.name;
    let name: string;
    const tw = this.batch?.twin(t);
    if (tw && (tw.shape.length !== t.shape.length || tw.shape.some((d, i) => d !== t.shape[i]))) {
      // a batch-sized constant: a fill (an RNN's zero state) is made at run time, anything else is refused.
      // NOTE: values are never matched by their numbers to a traced value (a zero state is not the Expand of a bias
      // that happens to be zero): a value is wired by identity (its Tensor or its storage) or it is a constant
      const v = t.size ? t.raw[0] : 0;
      if (t.requiresGrad || t.name || !t.raw.every((x) => x === v) || !tw.raw.every((x) => x === v))
        throw this.batch!.refuse(
          `uses a ${fmtShape(t.shape)} ${t.requiresGrad || t.name ? 'weight' : 'constant'} whose size or values change with the batch (${fmtShape(tw.shape)} at batch ${this.batch!.n2})`,
        );
      const shape = this.shapeValue(t.shape, tw.shape, `a constant of shape`);
      const one = new Tensor(
        t.raw.slice(0, 1).map(() => v),
        [1],
      );
      const value = tensorToProto({ t: one, type: typeOfDtype(t.dtype) }, 'value');
      name = this.node('ConstantOfShape', [shape], [{ name: 'value', type: 4, t: value } as Attr]);
      this.bind(t, name);
      return name;
    }
    // a constant of the same shape in both traces must hold the same numbers (not a batch size, nor 1/n)
    if (tw && tw !== t && !t.requiresGrad && !t.name && t.raw.some((v, i) => !Object.is(v, tw.raw[i])))
      throw this.batch!.refuse(
        `uses a ${fmtShape(t.shape)} constant whose values change with the batch (${Array.from(t.raw.slice(0, 4)).join(', ')}${t.size > 4 ? ', ...' : ''} at batch ${this.batch!.n1}, ${Array.from(tw.raw.slice(0, 4)).join(', ')}${t.size > 4 ? ', ...' : ''} at batch ${this.batch!.n2})`,
      );
    if (t.requiresGrad || t.name) {
      name = this.fresh(t.name ? t.name : `weight_${t.id}`);
      this.initializers.push(tensorToProto({ t, type: typeOfDtype(t.dtype) }, name));
    } else {
      name = this.fresh(this.constNames.get(t) ?? `const_${t.id}`);
      this.nodes.push({
        name: this.fresh(`Constant_${this.nodes.length}`),
        opType: 'Constant',
        input: [],
        output: [name],
        attribute: [
          { name: 'value', type: 4, t: tensorToProto({ t, type: typeOfDtype(t.dtype) }, name) } as Attr,
        ],
      });
    }
    this.bind(t, name);
    return name;
  }
  int64(values: readonly number[], scalar = false): string {
    const name = this.fresh('const_i64');
    const t = new Tensor(Int32Array.from(values), scalar ? [] : [values.length]);
    this.initializers.push(tensorToProto({ t, type: DataType.INT64 }, name));
    return name;
  }
  node(opType: string, input: string[], attribute: Attr[] = [], out?: string): string {
    const o = out ?? this.fresh(`${opType.toLowerCase()}_out`);
    this.nodes.push({
      name: this.fresh(`${opType}_${this.nodes.length}`),
      opType,
      input,
      output: [o],
      attribute,
    });
    return o;
  }
}

const UNARY: Record<string, string> = {
  neg: 'Neg',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  abs: 'Abs',
  sign: 'Sign',
  relu: 'Relu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  sin: 'Sin',
  cos: 'Cos',
  erf: 'Erf',
  floor: 'Floor',
  softplus: 'Softplus',
};
const BINARY: Record<string, string> = {
  add: 'Add',
  sub: 'Sub',
  mul: 'Mul',
  div: 'Div',
  pow: 'Pow',
  maximum: 'Max',
  minimum: 'Min',
};
const COMPARE: Record<string, [string, boolean]> = {
  eq: ['Equal', false],
  gt: ['Greater', false],
  lt: ['Less', false],
  ge: ['Less', true],
  le: ['Greater', true],
  ne: ['Equal', true],
};

/** NHWC → NCHW conv/pool attributes from a window geometry (pads: the real bottom/right pads of the sweep). */
function windowAttrs(g: WindowGeom, kernel = true): Attr[] {
  const bottom = Math.max(0, (g.outH - 1) * g.strideH + (g.kh - 1) * g.dilationH + 1 - g.h - g.padTop);
  const right = Math.max(0, (g.outW - 1) * g.strideW + (g.kw - 1) * g.dilationW + 1 - g.w - g.padLeft);
  return [
    ...(kernel ? [attrInts('kernel_shape', [g.kh, g.kw])] : []),
    attrInts('strides', [g.strideH, g.strideW]),
    attrInts('dilations', [g.dilationH, g.dilationW]),
    attrInts('pads', [g.padTop, g.padLeft, bottom, right]),
  ];
}

/** Emit the ONNX nodes of one traced primitive, binding its output (refusals name the layer it ran in). */
export function emitEvent(b: GraphBuilder, e: OpEvent, producers: Map<Tensor, OpEvent>): void {
  if (!b.batch) return emitOne(b, e, producers);
  b.batch.at = e;
  try {
    emitOne(b, e, producers);
  } finally {
    b.batch.at = null;
  }
}

function emitOne(b: GraphBuilder, e: OpEvent, producers: Map<Tensor, OpEvent>): void {
  const ins = () => e.inputs.map((t) => b.nameOf(t));
  const p = e.params as Record<string, any>;
  const out = (name: string) => b.bind(e.out, name);
  /** The params of this op in the second trace (symbolic batch), or null. */
  const p2 = b.batch ? (b.batch.twinEvent(e).params as Record<string, any>) : null;
  // a parameter that changes with the batch (other than the shapes written from the run-time batch) is refused
  b.batch?.checkParams(e);
  if (UNARY[e.op]) return out(b.node(UNARY[e.op], ins()));
  if (BINARY[e.op]) return out(b.node(BINARY[e.op], ins()));
  switch (e.op) {
    // ONNX has no Log1p / Expm1: log(1 + x) and eˣ − 1 (a runtime's own precision for tiny x)
    case 'log1p':
    case 'expm1': {
      const one = b.nameOf(full([], 1, { dtype: e.inputs[0].dtype }));
      const [x] = ins();
      return out(
        e.op === 'log1p'
          ? b.node('Log', [b.node('Add', [x, one])])
          : b.node('Sub', [b.node('Exp', [x]), one]),
      );
    }
    case 'binaryScalar': {
      // the number as a scalar Constant of the tensor's dtype (ONNX broadcasts it), first when scalarFirst
      const [x] = ins();
      const s = b.nameOf(full([], p.s as number, { dtype: e.inputs[0].dtype }));
      return out(b.node(BINARY[p.op as string], p.scalarFirst ? [s, x] : [x, s]));
    }
    case 'compare': {
      const [op, negate] = COMPARE[p.op as string];
      const [x, y] = ins();
      let c = b.node(op, [x, y]);
      // a ≥ b = ¬(a < b), a ≤ b = ¬(a > b), a ≠ b = ¬(a = b)
      if (negate) c = b.node('Not', [c]);
      return out(b.node('Cast', [c], [attrInt('to', typeOfDtype(e.out.dtype))]));
    }
    case 'where': {
      const [c, x, y] = ins();
      const cond = b.node('Cast', [c], [attrInt('to', DataType.BOOL)]);
      return out(b.node('Where', [cond, x, y]));
    }
    case 'cast':
      return out(b.node('Cast', ins(), [attrInt('to', typeOfDtype(e.out.dtype))]));
    case 'reshape':
      return out(
        b.node('Reshape', [...ins(), b.shapeValue(p.shape, p2?.shape ?? null, 'a reshape to', true)]),
      );
    case 'transpose':
      return out(b.node('Transpose', ins(), [attrInts('perm', p.perm)]));
    case 'broadcastTo': {
      // Expand keeps an input dim where the target says 1: a batch-sized input axis needs no run-time shape
      const x1 = e.inputs[0].shape;
      const x2 = b.batch?.twinEvent(e).inputs[0].shape;
      const lead = p.shape.length - x1.length;
      const keep = (s: readonly number[], x: readonly number[] | undefined) =>
        s.map((d, i) => (x && i >= lead && x[i - lead] === d && d !== 1 ? 1 : d));
      const target = p2
        ? b.shapeValue(keep(p.shape, x1), keep(p2.shape, x2), 'an expand to')
        : b.int64(p.shape);
      return out(b.node('Expand', [...ins(), target]));
    }
    case 'slice': {
      const begin = p.begin as number[];
      let ends = begin.map((v, i) => v + (p.size as number[])[i]);
      if (p2) {
        const x1 = e.inputs[0].shape;
        const x2 = b.batch!.twinEvent(e).inputs[0].shape;
        // a slice that keeps a whole batch-sized axis runs to its end; any other depends on the batch size
        ends = ends.map((end, i) => {
          if (p2.begin[i] === begin[i] && p2.size[i] === p.size[i]) return end;
          if (begin[i] === 0 && p2.begin[i] === 0 && p.size[i] === x1[i] && p2.size[i] === x2[i])
            return 2 ** 31 - 1;
          throw b.batch!.refuse(
            `slices axis ${i} of a ${fmtShape(x1)} value at [${begin[i]}, ${end}) where that axis changes with the batch`,
          );
        });
      }
      return out(b.node('Slice', [...ins(), b.int64(begin), b.int64(ends), b.int64(begin.map((_, i) => i))]));
    }
    case 'pad': {
      const pads = [...(p.before as number[]), ...(p.after as number[])];
      if (p2 && [...p2.before, ...p2.after].some((v: number, i: number) => v !== pads[i]))
        throw b.batch!.refuse(`pads a value by amounts that change with the batch`);
      const v = b.nameOf(
        new Tensor(
          e.out.dtype === 'float64'
            ? Float64Array.of(p.value)
            : e.out.dtype === 'int32'
              ? Int32Array.of(p.value)
              : Float32Array.of(p.value),
          [],
        ),
      );
      return out(
        b.node(
          'Pad',
          [...ins(), b.int64(pads), v],
          [{ name: 'mode', type: 3, s: new TextEncoder().encode('constant') }],
        ),
      );
    }
    case 'concat':
      return out(b.node('Concat', ins(), [attrInt('axis', p.axis)]));
    case 'sum':
      return out(b.node('ReduceSum', [...ins(), b.int64(p.axes)], [attrInt('keepdims', p.keepdims ? 1 : 0)]));
    case 'max':
      return out(
        b.node('ReduceMax', ins(), [attrInts('axes', p.axes), attrInt('keepdims', p.keepdims ? 1 : 0)]),
      );
    case 'argmax': {
      const i64 = b.node('ArgMax', ins(), [attrInt('axis', p.axis), attrInt('keepdims', 0)]);
      return out(b.node('Cast', [i64], [attrInt('to', typeOfDtype(e.out.dtype))]));
    }
    case 'topkIndices': {
      // ONNX TopK on the last axis (ties to the lower index, as the kernel): its second output, the indices
      const [vals, idx] = [b.fresh('topk_values'), b.fresh('topk_indices')];
      const attribute = [attrInt('axis', -1), attrInt('largest', 1), attrInt('sorted', 1)];
      const input = [...ins(), b.int64([p.k])];
      const name = b.fresh(`TopK_${b.nodes.length}`);
      b.nodes.push({ name, opType: 'TopK', input, output: [vals, idx], attribute });
      return out(b.node('Cast', [idx], [attrInt('to', typeOfDtype(e.out.dtype))]));
    }
    case 'matmul': {
      // im2col(x) · W  =  a Conv of x with W as an [out, c, kh, kw] kernel (the patch matrix is never written)
      const cols = producers.get(e.inputs[0]);
      if (cols?.op === 'im2col' && !p.transA && !p.transB && e.inputs[1].rank === 2)
        return out(convFromIm2col(b, cols, b.nameOf(e.inputs[1]), e));
      let [x, y] = ins();
      const swapLast = (name: string, rank: number) =>
        b.node('Transpose', [name], [attrInts('perm', [...Array(rank - 2).keys(), rank - 1, rank - 2])]);
      if (p.transA) x = swapLast(x, e.inputs[0].rank);
      if (p.transB) y = swapLast(y, e.inputs[1].rank);
      return out(b.node('MatMul', [x, y]));
    }
    case 'im2col':
      return out(im2colByConv(b, e));
    case 'take': {
      const idxEv = producers.get(e.inputs[1]);
      if (idxEv?.op === 'poolArgmax' && idxEv.inputs[0] === e.inputs[0]) return out(maxPool(b, idxEv, e));
      if (idxEv?.op === 'poolArgmax' && sameShape(e.inputs[0].shape, idxEv.inputs[0].shape))
        return out(maxPoolPick(b, idxEv, e));
      const along = idxEv ? null : constantGather(b, e);
      if (along)
        return out(
          b.node('Gather', [b.nameOf(e.inputs[0]), b.int64(along.k)], [attrInt('axis', along.axis)]),
        );
      const flat = b.node('Reshape', [b.nameOf(e.inputs[0]), b.int64([-1])]);
      return out(b.node('Gather', [flat, b.nameOf(e.inputs[1])], [attrInt('axis', 0)]));
    }
    case 'poolArgmax':
      b.traced.set(e.out, 'poolArgmax'); // only exported through its take (a MaxPool)
      return;
    default:
      throw new ValueError(
        `onnx export: primitive '${e.op}' has no ONNX rendering (exportable: ${[...Object.keys(UNARY), ...Object.keys(BINARY), 'log1p', 'expm1', 'binaryScalar', 'compare', 'where', 'cast', 'reshape', 'transpose', 'broadcastTo', 'slice', 'pad', 'concat', 'sum', 'max', 'argmax', 'topkIndices', 'matmul', 'im2col', 'take', 'poolArgmax'].join(', ')})`,
      );
  }
}

const prod = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);

/** True when the flat indices `idx` into a value of shape `xs` pick the entries of `k` along `axis` (tapegrad's gather). */
function gathers(xs: readonly number[], idx: Tensor, axis: number, k: readonly number[]): boolean {
  const is = idx.shape;
  if (idx.dtype !== 'int32' || is.length !== xs.length || is[axis] !== k.length) return false;
  if (is.some((d, i) => i !== axis && d !== xs[i])) return false;
  const n = xs[axis];
  const outer = prod(xs.slice(0, axis));
  const inner = prod(xs.slice(axis + 1));
  const raw = idx.raw;
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (let j = 0; j < k.length; j++)
      for (let r = 0; r < inner; r++) if (raw[o++] !== (i * n + k[j]) * inner + r) return false;
  return true;
}

/**
 * A take whose indices are a constant that gathers whole slices along one axis (tapegrad's `gather(x, k, axis)`, e.g.
 * Bidirectional's time reversal): that axis and its indices k, so the graph holds a Gather of k instead of a flat index
 * for every entry (whose size changes with the batch). With a symbolic batch, both traces must gather the same k along
 * the same axis. Null otherwise (then the flat indices are a constant).
 */
function constantGather(b: GraphBuilder, e: OpEvent): { axis: number; k: number[] } | null {
  const [x, idx] = e.inputs;
  if (b.bound(idx) || idx.requiresGrad || idx.name || idx.rank !== x.rank || idx.size === 0) return null;
  const tw = b.batch?.twinEvent(e);
  for (let a = 0; a < x.rank; a++) {
    const inner = prod(x.shape.slice(a + 1));
    if (inner === 0) continue;
    const k = Array.from({ length: idx.shape[a] }, (_, j) => idx.raw[j * inner] / inner);
    if (!k.every((v) => Number.isInteger(v) && v >= 0 && v < x.shape[a])) continue;
    if (gathers(x.shape, idx, a, k) && (!tw || gathers(tw.inputs[0].shape, tw.inputs[1], a, k)))
      return { axis: a, k };
  }
  return null;
}

const toNchw = (b: GraphBuilder, x: string) => b.node('Transpose', [x], [attrInts('perm', [0, 3, 1, 2])]);
const toNhwc = (b: GraphBuilder, x: string) => b.node('Transpose', [x], [attrInts('perm', [0, 2, 3, 1])]);

/** matmul(im2col(x), W[kh·kw·c, o]) → Conv(xᴺᶜᴴᵂ, W as [o, c, kh, kw]) → NHWC → [n·oh·ow, o]. */
function convFromIm2col(b: GraphBuilder, cols: OpEvent, w: string, mm: OpEvent): string {
  b.batch?.checkParams(cols); // an im2col fused away is not emitted on its own
  const g = (cols.params as { geom: WindowGeom }).geom;
  const o = mm.inputs[1].shape[1];
  const k = b.node(
    'Transpose',
    [b.node('Reshape', [w, b.int64([g.kh, g.kw, g.c, o])])],
    [attrInts('perm', [3, 2, 0, 1])],
  );
  const y = b.node('Conv', [toNchw(b, b.nameOf(cols.inputs[0])), k], windowAttrs(g));
  return b.node('Reshape', [toNhwc(b, y), rowsShape(b, cols, o)]);
}

/** [n·oh·ow, cols] of an im2col's rows, with n symbolic when the batch is. */
function rowsShape(b: GraphBuilder, cols: OpEvent, width: number): string {
  const g = (cols.params as { geom: WindowGeom }).geom;
  const g2 = b.batch ? (b.batch.twinEvent(cols).params as { geom: WindowGeom }).geom : null;
  return b.shapeValue(
    [g.n * g.outH * g.outW, width],
    g2 ? [g2.n * g2.outH * g2.outW, width] : null,
    'conv rows',
    true,
  );
}

/**
 * A lone im2col (average pooling, grouped convs): a Conv with a one-hot kernel that copies each window cell to its own
 * channel, in im2col's column order (kh, kw, c). NOTE: exact for finite inputs (each output is one x·1 plus zeros).
 */
function im2colByConv(b: GraphBuilder, e: OpEvent): string {
  const g = (e.params as { geom: WindowGeom }).geom;
  const cols = g.kh * g.kw * g.c;
  const eye = new Float32Array(cols * g.c * g.kh * g.kw);
  for (let i = 0; i < g.kh; i++)
    for (let j = 0; j < g.kw; j++)
      for (let ch = 0; ch < g.c; ch++) {
        const oc = (i * g.kw + j) * g.c + ch; // column index of im2col
        eye[((oc * g.c + ch) * g.kh + i) * g.kw + j] = 1;
      }
  const dt = e.inputs[0].dtype;
  const k = b.nameOf(new Tensor(dt === 'float64' ? Float64Array.from(eye) : eye, [cols, g.c, g.kh, g.kw]));
  const y = b.node('Conv', [toNchw(b, b.nameOf(e.inputs[0])), k], windowAttrs(g));
  return b.node('Reshape', [toNhwc(b, y), rowsShape(b, e, cols)]);
}

/** take(x, poolArgmax(x)) → MaxPool on NCHW (ONNX pads are -∞ for max, as tapegrad's). */
function maxPool(b: GraphBuilder, arg: OpEvent, _take: OpEvent): string {
  const g = (arg.params as { geom: WindowGeom }).geom;
  const y = b.node('MaxPool', [toNchw(b, b.nameOf(arg.inputs[0]))], windowAttrs(g));
  return toNhwc(b, y);
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * take(t, poolArgmax(x)), t shaped like x (MaxPool's returnIndices: t holds each pixel's plane position) → MaxPool's
 * Indices output (int64 flat NCHW positions of each window's first maximum, as poolArgmax's tie rule) gathering from
 * t in NCHW order, back to NHWC. Its values output is left unused (the values' own take is a MaxPool of its own).
 */
function maxPoolPick(b: GraphBuilder, arg: OpEvent, take: OpEvent): string {
  const g = (arg.params as { geom: WindowGeom }).geom;
  const [values, indices] = [b.fresh('maxpool_values'), b.fresh('maxpool_indices')];
  b.nodes.push({
    name: b.fresh(`MaxPool_${b.nodes.length}`),
    opType: 'MaxPool',
    input: [toNchw(b, b.nameOf(arg.inputs[0]))],
    output: [values, indices],
    attribute: windowAttrs(g),
  });
  const flat = b.node('Reshape', [toNchw(b, b.nameOf(take.inputs[0])), b.int64([-1])]);
  return toNhwc(b, b.node('Gather', [flat, indices], [attrInt('axis', 0)]));
}

export { attrFloat };
