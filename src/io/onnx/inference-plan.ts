// Inference of an imported ONNX graph, planned once at load: what `predict` (no tape, not training, nobody tracing
// ops) runs instead of one layer call per node. Three things make it fast, none changes the math:
// - layout: 4-D values stay channels-last (NHWC, the layout of tapegrad's window kernels) from one Conv/pool to the
//   next through per-element ops, so an NCHW chain Conv → Relu → MaxPool → Conv transposes once in and once out, and
//   tf2onnx's NHWC → Transpose → Conv → Transpose moves no data at all;
// - weight preparation: Conv weights are rearranged to [kh, kw, in, out] in one pass over them, with a following
//   BatchNormalization folded in and a small group count spread block-diagonally, so every such Conv (and every
//   Gemm, as a 1×1 conv) is the fused conv row with its bias; done each call, from the current weights;
// - no per-node layer machinery (hooks, scopes, per-call attribute parsing): contexts are built here once.
// NOTE: the plan is only used where it gives the same values as the node-by-node graph (model.ts): a node with a
// hook, an initializer swap, training, a recording tape or an op listener run the layer path.
import { withAllocationLimit } from '../../core/dtype.js';
import { ShapeError, TapegradError, ValueError, fmtShape } from '../../core/errors.js';
import { keep, withFrame } from '../../core/lifetime.js';
import { Tensor } from '../../core/tensor.js';
import { conv2d } from '../../ops/composite/conv.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import type { OnnxNode } from './model.js';
import { Attrs, type OpContext, intsOf } from './op-types.js';
import { pool, windowOf } from './ops-nn.js';

/** A value as the plan holds it: `nhwc` marks a 4-D NCHW value stored channels-last. */
interface Held {
  t: Tensor;
  nhwc: boolean;
  /** The NCHW form, once some node needed it. */
  nchw?: Tensor;
}

/** Operators that act on each element alone (attributes and scalar inputs only): any layout passes through. */
export const PER_ELEMENT = new Set([
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Elu',
  'Selu',
  'HardSigmoid',
  'HardSwish',
  'Softplus',
  'Softsign',
  'Erf',
  'Abs',
  'Neg',
  'Exp',
  'Log',
  'Sqrt',
  'Reciprocal',
  'Floor',
  'Ceil',
  'Sign',
  'Identity',
]);
/** A group count up to this runs block-diagonally in one fused conv (groups× the multiply-adds, no reshuffles). */
export const MAX_DENSE_GROUPS = 4;

type Kind = 'generic' | 'conv' | 'gemm' | 'pool' | 'perElement' | 'pad' | 'constant' | 'transpose';
interface Step {
  kind: Kind;
  node: OnnxNode;
  ctx: OpContext;
  /** A BatchNormalization folded into this Conv (its output is the step's output). */
  bn?: OnnxNode;
  outputs: string[];
  /** A Constant node's value, made once. */
  value?: Tensor[];
}

/** The context an op rule runs a node with at inference (training false), as the layer path gives it. */
export const ctxOf = (n: OnnxNode): OpContext => ({
  node: n.spec,
  opset: n.opset,
  attrs: new Attrs(n.spec, n.spec.attrs),
  training: false,
  inTypes: n.inTypes,
});

/** The fixed tensor in a node's input slot, or null (a run-time value or an absent input). */
export const fixedAt = (n: OnnxNode, i: number): Tensor | null => {
  const s = n.slots[i];
  return s && s.kind === 'fixed' ? s.t : null;
};

export class InferencePlan {
  private readonly steps: Step[] = [];

  constructor(
    nodes: readonly OnnxNode[],
    private readonly outputs: readonly string[],
  ) {
    const readers = new Map<string, number>();
    for (const n of nodes) for (const x of n.spec.inputs) if (x) readers.set(x, (readers.get(x) ?? 0) + 1);
    for (const o of outputs) readers.set(o, (readers.get(o) ?? 0) + 1);
    const folded = new Set<OnnxNode>();
    nodes.forEach((n, i) => {
      if (folded.has(n)) return;
      const ctx = ctxOf(n);
      const op = n.spec.opType;
      const step: Step = { kind: 'generic', node: n, ctx, outputs: n.spec.outputs };
      const w = fixedAt(n, 1);
      if (
        op === 'Conv' &&
        w?.rank === 4 &&
        n.slots[0].kind === 'value' &&
        (n.slots.length < 3 || fixedAt(n, 2))
      ) {
        step.kind = 'conv';
        const out = n.spec.outputs[0];
        const next = nodes[i + 1];
        // Conv → BatchNormalization (inference statistics, nothing else reads the conv) folds into the weights.
        if (
          next?.spec.opType === 'BatchNormalization' &&
          next.spec.inputs[0] === out &&
          readers.get(out) === 1 &&
          [1, 2, 3, 4].every((j) => fixedAt(next, j)) &&
          !next.spec.outputs.slice(1).some(Boolean) &&
          new Attrs(next.spec, next.spec.attrs).int('training_mode', 0) === 0
        ) {
          step.bn = next;
          step.outputs = next.spec.outputs;
          folded.add(next);
        }
      } else if (
        op === 'Gemm' &&
        n.slots[0].kind === 'value' &&
        fixedAt(n, 1)?.rank === 2 &&
        ctx.attrs.int('transA', 0) === 0 &&
        (n.slots.length < 3 || n.slots[2].kind === 'none' || biasLike(fixedAt(n, 2), n))
      )
        step.kind = 'gemm';
      else if ((op === 'MaxPool' || op === 'AveragePool') && ctx.attrs.ints('kernel_shape')?.length === 2)
        step.kind = 'pool';
      else if (PER_ELEMENT.has(op) && n.spec.outputs.length === 1 && n.valueInputs.length === 1)
        step.kind = 'perElement';
      else if (op === 'Transpose' && n.valueInputs.length === 1) step.kind = 'transpose';
      else if (op === 'Constant') {
        try {
          // NOTE: kept (tg.keep): a value made here must outlive every predict frame
          step.value = n.def.run([], ctx).map((t) => keep(t));
          step.kind = 'constant';
        } catch {
          // left to run (and fail with its message) when the graph runs
        }
      } else if (op === 'Pad' && n.opset >= 11 && ctx.attrs.str('mode', 'constant') === 'constant')
        step.kind = 'pad';
      this.steps.push(step);
    });
  }

  /** Run the graph on values by name (graph inputs and initializers); returns the graph outputs in NCHW. */
  run(inputs: Map<string, Tensor>): Tensor[] {
    const held = new Map<string, Held>();
    for (const [k, t] of inputs) held.set(k, { t, nhwc: false });
    for (const s of this.steps) {
      // NOTE: a frame per node releases its temporaries; its outputs and the NCHW forms it made (`converted`, which
      // later nodes reuse) are kept until predict's frame ends, as the layer path keeps each node's outputs.
      const { ys } = withAllocationLimit(
        { maxBytes: s.node.maxBytes },
        `onnx node '${s.node.spec.name}' (${s.node.spec.opType})`,
        () =>
          withFrame('internal', `onnx node '${s.node.spec.name}'`, () => {
            const converted: Tensor[] = [];
            return { ys: this.exec(s, held, converted), converted };
          }),
      );
      s.outputs.forEach((name, j) => {
        if (!name) return;
        if (!ys[j])
          throw new ValueError(
            `onnx node '${s.node.spec.name}' (${s.node.spec.opType}): output ${j} ('${name}') was not produced`,
          );
        held.set(name, ys[j]);
      });
    }
    return this.outputs.map((o) => nchw(held.get(o)!, []));
  }

  private exec(s: Step, held: Map<string, Held>, converted: Tensor[]): Held[] {
    try {
      return this.dispatch(s, held, converted);
    } catch (e) {
      // the prefix a layer call adds, so errors read the same on both paths
      const n = s.node;
      if (e instanceof TapegradError && !e.message.startsWith(`${n.name} (`))
        e.message = `${n.name} (${n.className}): ${e.message}`;
      throw e;
    }
  }

  private dispatch(s: Step, held: Map<string, Held>, converted: Tensor[]): Held[] {
    const { node, ctx } = s;
    const value = (name: string) => held.get(name)!;
    const ins = (first?: Tensor): (Tensor | null)[] => {
      let k = 0;
      return node.slots.map((slot) =>
        slot.kind === 'fixed'
          ? slot.t
          : slot.kind === 'none'
            ? null
            : k++ === 0 && first
              ? first
              : nchw(value(slot.name), converted),
      );
    };
    const x0 = node.valueInputs.length ? value(node.valueInputs[0]) : null;
    /** Slot i alone, in NCHW (a small value input such as pads). */
    const slotValue = (i: number): Tensor | null => {
      const slot = node.slots[i];
      return !slot || slot.kind === 'none'
        ? null
        : slot.kind === 'fixed'
          ? slot.t
          : nchw(value(slot.name), converted);
    };
    switch (s.kind) {
      case 'constant':
        return s.value!.map((t) => ({ t, nhwc: false }));
      case 'transpose': {
        // NHWC data transposed to NCHW (tf2onnx's Transpose before a Conv) is an NCHW value held channels-last, and
        // back: no data moves
        const perm = ctx.attrs.ints('perm');
        const same = (a: number[]) => perm?.length === 4 && perm.every((v, i) => v === a[i]);
        if (x0!.t.rank === 4 && !x0!.nhwc && same([0, 3, 1, 2])) return [{ t: x0!.t, nhwc: true }];
        if (x0!.t.rank === 4 && x0!.nhwc && same([0, 2, 3, 1])) return [{ t: x0!.t, nhwc: false }];
        break;
      }
      case 'conv':
        if (x0!.t.rank === 4) return [{ t: this.conv(s, channelsLast(x0!)), nhwc: true }];
        break;
      case 'gemm':
        return [{ t: gemm(node, ctx, nchw(x0!, converted)), nhwc: false }];
      case 'pool':
        if (x0!.t.rank === 4)
          return [
            {
              t: pool(node.spec.opType === 'MaxPool' ? 'max' : 'avg', true)(ins(channelsLast(x0!)), ctx),
              nhwc: true,
            },
          ];
        break;
      case 'perElement':
        return node.def.run(ins(x0!.t), ctx).map((t) => ({ t, nhwc: x0!.nhwc }));
      case 'pad':
        if (node.slots.length <= 3) {
          // pads [x1_begin, ..., x4_begin, x1_end, ..., x4_end] in NCHW order → NHWC order
          const pads = slotValue(1);
          if (!pads || node.slots[0].kind !== 'value') break;
          const p = intsOf(pads);
          if (p.length === 2 * x0!.t.rank && p.every((v) => v === 0)) return [x0!]; // nothing to pad
          if (!x0!.nhwc) break;
          const perm = [0, 2, 3, 1];
          const q = [...perm.map((a) => p[a]), ...perm.map((a) => p[a + 4])];
          const args = ins(x0!.t);
          args[1] = new Tensor(Int32Array.from(q), [8]);
          return node.def.run(args, ctx).map((t) => ({ t, nhwc: true }));
        }
        break;
    }
    return node.def.run(ins(), ctx).map((t) => ({ t, nhwc: false }));
  }

  /** Conv (+ folded BatchNormalization) on a channels-last input, as tapegrad's NHWC conv2d. */
  private conv(s: Step, x: Tensor): Tensor {
    const { node, ctx } = s;
    const w = fixedAt(node, 1)!;
    const [o, cg, kh, kw] = w.shape;
    const groups = ctx.attrs.int('group', 1);
    const c = x.shape[3];
    if (!(Number.isInteger(groups) && groups >= 1) || cg * groups !== c || o % groups !== 0)
      throw new ShapeError(
        `conv2d: input has ${c} channels but the kernel ${fmtShape(w.shape)} with group=${groups} expects ${cg * groups} (and ${o} filters divisible by the groups)`,
      );
    const win = windowOf(ctx, x, ctx.attrs.ints('kernel_shape') ?? [kh, kw], false, true);
    const dense = groups <= MAX_DENSE_GROUPS;
    const { kernel, bias } = prepareConv(w, fixedAt(node, 2), s.bn, dense ? groups : 1);
    return conv2d(x, kernel, bias, {
      stride: win.s,
      dilation: win.d,
      padding: win.pads,
      groups: dense ? 1 : groups,
      dataFormat: 'NHWC',
    });
  }
}

/** A Gemm C that is one row: [O], [1, O], a scalar or [1]. */
function biasLike(t: Tensor | null, n: OnnxNode): boolean {
  const b = fixedAt(n, 1);
  if (!t || !b) return false;
  const o = new Attrs(n.spec, n.spec.attrs).int('transB', 0) ? b.shape[0] : b.shape[1];
  return t.size === 1 || (t.size === o && (t.rank === 1 || (t.rank === 2 && t.shape[0] === 1)));
}

/** Y = α·A·B' + β·C as a 1×1 conv of A [N, K] viewed as [N, 1, 1, K]: the fused conv row adds the bias. */
function gemm(node: OnnxNode, ctx: OpContext, a: Tensor): Tensor {
  const b = fixedAt(node, 1)!;
  const transB = ctx.attrs.int('transB', 0) === 1;
  const [k, o] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (a.rank !== 2 || a.shape[1] !== k)
    throw new ShapeError(
      `A ${fmtShape(a.shape)} and B ${fmtShape(b.shape)} do not multiply (transB=${+transB})`,
    );
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  const src = b.raw;
  const kernel = new (src.constructor as Float32ArrayConstructor)(k * o);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < o; j++) kernel[i * o + j] = alpha * (transB ? src[j * k + i] : src[i * o + j]);
  const c = node.slots.length > 2 ? fixedAt(node, 2) : null;
  let bias: Tensor | null = null;
  if (c) {
    const cb = new (src.constructor as Float32ArrayConstructor)(o);
    const cr = c.raw;
    for (let j = 0; j < o; j++) cb[j] = beta * cr[c.size === 1 ? 0 : j];
    bias = new Tensor(cb, [o]);
  }
  const y = conv2d(reshape(a, [a.shape[0], 1, 1, k]), new Tensor(kernel, [1, 1, k, o]), bias, {
    dataFormat: 'NHWC',
  });
  return reshape(y, [a.shape[0], o]);
}

/**
 * ONNX Conv weights [O, C/g, kh, kw] (+ bias, + a BatchNormalization after the conv) → tapegrad's NHWC kernel
 * [kh, kw, C/g·(g/dense), O] and bias [O]. With `dense` groups the kernel spans every input channel, zero outside
 * each output channel's group. Folding: y = (conv(x, W) + b - μ)·a + β with a = γ/√(σ² + ε) is conv(x, W·a) +
 * (b - μ)·a + β, per output channel.
 */
export function prepareConv(
  w: Tensor,
  b: Tensor | null,
  bn: OnnxNode | undefined,
  dense: number,
): { kernel: Tensor; bias: Tensor | null } {
  const [o, cg, kh, kw] = w.shape;
  const src = w.raw;
  const Arr = src.constructor as Float32ArrayConstructor;
  const scale = new Float64Array(o).fill(1);
  let shift: Float64Array | null = b ? Float64Array.from(b.raw) : null;
  if (bn) {
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((j) => fixedAt(bn, j)!.raw);
    for (const [name, t] of [
      ['scale', gamma],
      ['B', beta],
      ['input_mean', mean],
      ['input_var', variance],
    ] as const)
      if (t.length !== o)
        throw new ShapeError(
          `onnx node '${bn.spec.name}' (BatchNormalization): ${name} has ${t.length} values, the conv before it makes ${o} channels`,
        );
    const eps = new Attrs(bn.spec, bn.spec.attrs).float('epsilon', 1e-5);
    shift ??= new Float64Array(o);
    for (let j = 0; j < o; j++) {
      scale[j] = gamma[j] / Math.sqrt(variance[j] + eps);
      shift[j] = (shift[j] - mean[j]) * scale[j] + beta[j];
    }
  }
  const c = cg * dense; // input channels the kernel spans
  const og = o / dense;
  const kernel = new Arr(kh * kw * c * o);
  for (let j = 0; j < o; j++) {
    const c0 = dense > 1 ? Math.floor(j / og) * cg : 0; // first input channel of j's group
    for (let ci = 0; ci < cg; ci++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          kernel[((y * kw + x) * c + c0 + ci) * o + j] = src[((j * cg + ci) * kh + y) * kw + x] * scale[j];
  }
  return {
    kernel: new Tensor(kernel, [kh, kw, c, o]),
    bias: shift ? new Tensor(Arr.from(shift), [o]) : null,
  };
}

/** x permuted; a reshape when the permutation only moves axes of size 1 (one channel, a 1×1 image). */
function permute(x: Tensor, perm: number[]): Tensor {
  const kept = perm.filter((a) => x.shape[a] !== 1);
  return kept.every((a, i) => i === 0 || a > kept[i - 1])
    ? reshape(
        x,
        perm.map((a) => x.shape[a]),
      )
    : transpose(x, perm);
}
const channelsLast = (h: Held): Tensor => (h.nhwc ? h.t : permute(h.t, [0, 2, 3, 1]));
/** The NCHW form of a value; a transpose made here is recorded in `converted` so the node's frame keeps it. */
function nchw(h: Held, converted: Tensor[]): Tensor {
  if (!h.nhwc) return h.t;
  if (!h.nchw) {
    h.nchw = permute(h.t, [0, 3, 1, 2]);
    converted.push(h.nchw);
  }
  return h.nchw;
}
