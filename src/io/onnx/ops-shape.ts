// ONNX shape, indexing and reduction operators. Shapes, axes and pads arrive as small int tensors (computed by
// Shape → Gather → Concat chains in PyTorch exports) and are read as plain numbers; data moves through tapegrad's
// movement primitives, so gradients flow through Slice, Gather, Concat, Pad and the rest.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { broadcastShapes } from '../../core/shape.js';
import { checkAllocation } from '../../core/dtype.js';
import { Tensor, full } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { add, cast, less, mul, sqrt, sub, where as whereOp } from '../../ops/elementwise/builders.js';
import { gather, take } from '../../ops/network/builders.js';
import { argmax, argmin, max, mean, min, sum } from '../../ops/reduce/builders.js';
import {
  broadcastTo,
  concat,
  pad,
  reshape,
  slice,
  split,
  tile,
  transpose,
} from '../../ops/movement/builders.js';
import { DataType } from './proto.js';
import { dtypeFor } from './ops-math.js';
import { type OpContext, type OpDef, intsOf, need, unsupported, where } from './op-types.js';

const ints = (v: readonly number[]): Tensor => new Tensor(Int32Array.from(v), [v.length]);
const INT64_OUT = { outTypes: () => [DataType.INT64] };
export const normAx = (a: number, rank: number, c: OpContext): number => {
  const v = a < 0 ? a + rank : a;
  if (!(v >= 0 && v < rank))
    throw new ShapeError(`${where(c.node)}: axis ${a} is out of range for rank ${rank}`);
  return v;
};
/** Axes given as an attribute (older opsets) or as an optional input (newer ones). */
const axesOf = (ins: (Tensor | null)[], i: number, c: OpContext): number[] | null =>
  c.attrs.ints('axes') ?? (ins[i] ? intsOf(ins[i]!) : null);

function reshapeOp(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const shape = c.opset < 5 ? (c.attrs.ints('shape') ?? []) : intsOf(need(ins, 1, c.node, 'shape'));
  const allowZero = c.attrs.int('allowzero', 0) === 1;
  // 0 copies the input's dim (unless allowzero); -1 is inferred
  const s = shape.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  if (s.some((d) => d === undefined || d < -1) || s.filter((d) => d === -1).length > 1)
    throw new ShapeError(`${where(c.node)}: cannot reshape ${fmtShape(x.shape)} to [${shape}]`);
  return reshape(x, s);
}

function unsqueeze(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const axes = axesOf(ins, 1, c) ?? [];
  const rank = x.rank + axes.length;
  const ax = axes.map((a) => normAx(a, rank, c)).sort((a, b) => a - b);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : x.shape[j++]);
  return reshape(x, out);
}

function squeeze(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const axes = axesOf(ins, 1, c);
  const ax = axes ? axes.map((a) => normAx(a, x.rank, c)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of ax)
    if (x.shape[a] !== 1)
      throw new ShapeError(`${where(c.node)}: axis ${a} of ${fmtShape(x.shape)} is not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => !ax.includes(i)),
  );
}

/** Slice with ONNX's clamping; steps other than 1 (and negative ones) gather the chosen indices. */
function sliceOp(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const starts = c.opset < 10 ? (c.attrs.ints('starts') ?? []) : intsOf(need(ins, 1, c.node, 'starts'));
  const ends = c.opset < 10 ? (c.attrs.ints('ends') ?? []) : intsOf(need(ins, 2, c.node, 'ends'));
  const axes =
    c.opset < 10
      ? (c.attrs.ints('axes') ?? starts.map((_, i) => i))
      : ins[3]
        ? intsOf(ins[3])
        : starts.map((_, i) => i);
  const steps = c.opset >= 10 && ins[4] ? intsOf(ins[4]) : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
    throw new ShapeError(`${where(c.node)}: starts, ends, axes and steps must have the same length`);
  let y = x;
  const begin = x.shape.map(() => 0);
  const size = [...x.shape];
  const strided: [number, number[]][] = [];
  axes.forEach((a0, i) => {
    const a = normAx(a0, x.rank, c);
    const dim = x.shape[a];
    const step = steps[i];
    if (step === 0) throw new ValueError(`${where(c.node)}: step 0 on axis ${a0}`);
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) [s, e] = [Math.min(Math.max(s, 0), dim), Math.min(Math.max(e, 0), dim)];
    else [s, e] = [Math.min(Math.max(s, 0), dim - 1), Math.min(Math.max(e, -1), dim - 1)];
    if (step === 1) {
      begin[a] = s;
      size[a] = Math.max(0, e - s);
    } else {
      const idx: number[] = [];
      for (let k = s; step > 0 ? k < e : k > e; k += step) idx.push(k);
      strided.push([a, idx]);
    }
  });
  if (size.some((d) => d === 0))
    return new Tensor(
      new (x.raw.constructor as Float32ArrayConstructor)(0),
      size.map((d, i) => strided.find(([a]) => a === i)?.[1].length ?? d),
    );
  y = slice(y, begin, size);
  for (const [a, idx] of strided)
    y = idx.length
      ? gather(y, idx, a)
      : new Tensor(
          new (x.raw.constructor as Float32ArrayConstructor)(0),
          y.shape.map((d, i) => (i === a ? 0 : d)),
        );
  return y;
}

function gatherOp(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const idx = need(ins, 1, c.node, 'indices');
  const a = normAx(c.attrs.int('axis', 0), x.rank, c);
  const n = x.shape[a];
  const fixed = new Int32Array(idx.size);
  idx.raw.forEach((v, i) => {
    const k = v < 0 ? v + n : v;
    if (!(k >= 0 && k < n))
      throw new ShapeError(`${where(c.node)}: index ${v} is out of range for axis ${a} of size ${n}`);
    fixed[i] = k;
  });
  // NOTE: constant indices (an initializer, Constant/Shape chains) stay tapegrad's gather even while ops are traced
  // (ONNX export): the exporter writes it as a Gather of k along axis a, valid at any batch size (export-graph.ts);
  // indices of another rank than 1 are gathered flat and reshaped, which is the form the exporter recognises
  const outShape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
  if (!hasOpListeners()) return gather(x, new Tensor(fixed, idx.shape), a);
  if (c.staticInputs?.[1]) {
    const y = gather(x, new Tensor(fixed, [fixed.length]), a);
    return idx.rank === 1 ? y : reshape(y, outShape);
  }
  // NOTE: while ops are traced (ONNX export), indices computed from a graph input are ops on `idx`, not a tensor of
  // its numbers, so the trace gathers by whatever feeds `idx` (a graph input's token ids), not by the sample's values:
  // flat = (i·n + k)·inner + r for the outer index i and the inner one r, negative k counted from the end
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const k0 = cast(idx, 'int32');
  const k = reshape(whereOp(less(k0, 0), add(k0, n), k0), [1, idx.size, 1]);
  const base = new Int32Array(outer * inner);
  for (let i = 0; i < outer; i++) for (let r = 0; r < inner; r++) base[i * inner + r] = i * n * inner + r;
  const flat = add(mul(k, inner), new Tensor(base, [outer, 1, inner]));
  return reshape(take(x, flat), outShape);
}

function splitOp(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const x = need(ins, 0, c.node, 'input');
  const a = normAx(c.attrs.int('axis', 0), x.rank, c);
  const given = c.attrs.ints('split') ?? (ins[1] ? intsOf(ins[1]) : null);
  const n = c.node.outputs.length;
  const dim = x.shape[a];
  let sizes: number[];
  if (given) sizes = given;
  else if (c.attrs.has('num_outputs') || dim % n !== 0) {
    // opset 18: chunks of ⌈dim/n⌉, the last one smaller
    const k = Math.ceil(dim / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(k, dim - i * k)));
  } else sizes = Array(n).fill(dim / n);
  return split(x, sizes, a);
}

function padOp(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const mode = c.attrs.str('mode', 'constant');
  let pads =
    c.opset < 11
      ? (c.attrs.ints('pads') ?? c.attrs.ints('paddings') ?? [])
      : intsOf(need(ins, 1, c.node, 'pads'));
  const value = c.opset < 11 ? c.attrs.float('value', 0) : ins[2] && ins[2].size ? ins[2].item() : 0;
  if (c.opset >= 18 && ins[3]) {
    const axes = intsOf(ins[3]).map((a) => normAx(a, x.rank, c));
    const full2 = Array(2 * x.rank).fill(0);
    axes.forEach((a, i) => {
      full2[a] = pads[i];
      full2[a + x.rank] = pads[i + axes.length];
    });
    pads = full2;
  }
  if (pads.length !== 2 * x.rank)
    throw new ShapeError(
      `${where(c.node)}: pads [${pads}] must have ${2 * x.rank} values for ${fmtShape(x.shape)}`,
    );
  // negative pads crop first
  const begin = x.shape.map((_, i) => Math.max(0, -pads[i]));
  const size = x.shape.map((d, i) => d - begin[i] - Math.max(0, -pads[i + x.rank]));
  let y = slice(x, begin, size);
  const pp = y.shape.map((_, i) => [Math.max(0, pads[i]), Math.max(0, pads[i + x.rank])] as [number, number]);
  // the padded size against the allocation limit before any index list is built
  checkAllocation(
    x.dtype,
    y.shape.reduce((a, d, i) => a * (d + pp[i][0] + pp[i][1]), 1),
  );
  if (mode === 'constant') return pad(y, pp, value);
  if (mode !== 'reflect' && mode !== 'edge')
    unsupported(c.node, `mode='${mode}'`, "'constant', 'reflect', 'edge'");
  // reflect/edge: gather indices that mirror or repeat the border, axis by axis
  pp.forEach(([b, e], a) => {
    if (!b && !e) return;
    const d = y.shape[a];
    if (mode === 'reflect' && (b >= d || e >= d))
      throw new ShapeError(
        `${where(c.node)}: reflect pads [${b}, ${e}] must be smaller than axis ${a} (${d})`,
      );
    const idx = Array.from({ length: d + b + e }, (_, i) => {
      const k = i - b;
      if (mode === 'edge') return Math.min(Math.max(k, 0), d - 1);
      return k < 0 ? -k : k >= d ? 2 * (d - 1) - k : k;
    });
    y = gather(y, idx, a);
  });
  return y;
}

function reduce(
  f: (x: Tensor, axes: number[] | undefined, keep: boolean) => Tensor,
  axesInputSince: number,
): OpDef {
  return {
    attrs: ['axes', 'keepdims', 'noop_with_empty_axes'],
    valueInputs: [1],
    run: (ins, c) => {
      const x = need(ins, 0, c.node, 'data');
      const axes = c.opset >= axesInputSince ? (ins[1] ? intsOf(ins[1]) : null) : c.attrs.ints('axes');
      const keep = c.attrs.int('keepdims', 1) === 1;
      if ((!axes || !axes.length) && c.attrs.int('noop_with_empty_axes', 0) === 1) return [x];
      const ax = axes && axes.length ? axes.map((a) => normAx(a, x.rank, c)) : undefined;
      return [x.rank === 0 ? x : f(x, ax, keep)];
    },
  };
}

function argOp(f: typeof argmax): OpDef {
  return {
    attrs: ['axis', 'keepdims', 'select_last_index'],
    ...INT64_OUT,
    run: (ins, c) => {
      const x = need(ins, 0, c.node, 'data');
      const a = normAx(c.attrs.int('axis', 0), x.rank, c);
      const n = x.shape[a];
      // select_last_index: the first winner of the reversed axis, mapped back (n - 1 - i)
      const last = c.attrs.int('select_last_index', 0) === 1;
      const idx = last
        ? cast(
            f(
              gather(
                x,
                Array.from({ length: n }, (_, i) => n - 1 - i),
                a,
              ),
              a,
            ),
            'int32',
          )
        : null;
      const y = idx ? sub(full(idx.shape, n - 1, { dtype: 'int32' }), idx) : cast(f(x, a), 'int32');
      return [
        c.attrs.int('keepdims', 1) === 1
          ? reshape(
              y,
              x.shape.map((d, i) => (i === a ? 1 : d)),
            )
          : y,
      ];
    },
  };
}

function constantOf(c: OpContext): { t: Tensor; type: number } {
  const t = c.attrs.tensor('value');
  if (t) return t;
  if (c.attrs.has('value_float'))
    return { t: full([], c.attrs.float('value_float', 0)), type: DataType.FLOAT };
  if (c.attrs.has('value_floats'))
    return {
      t: new Tensor(Float32Array.from(c.attrs.floats('value_floats')!), [
        c.attrs.floats('value_floats')!.length,
      ]),
      type: DataType.FLOAT,
    };
  if (c.attrs.has('value_int'))
    return { t: new Tensor(Int32Array.of(c.attrs.int('value_int', 0)), []), type: DataType.INT64 };
  if (c.attrs.has('value_ints')) return { t: ints(c.attrs.ints('value_ints')!), type: DataType.INT64 };
  return unsupported(
    c.node,
    'a Constant without value, value_float(s) or value_int(s)',
    'value, value_float, value_floats, value_int, value_ints',
  );
}

function shapeOp(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const r = x.rank;
  const clampAx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  return ints(x.shape.slice(clampAx(c.attrs.int('start', 0)), clampAx(c.attrs.int('end', r))));
}

export const shapeOps: Record<string, OpDef> = {
  Reshape: { attrs: ['allowzero', 'shape'], valueInputs: [1], run: (ins, c) => [reshapeOp(ins, c)] },
  Transpose: {
    attrs: ['perm'],
    run: (ins, c) => [transpose(need(ins, 0, c.node, 'data'), c.attrs.ints('perm') ?? undefined)],
  },
  Squeeze: { attrs: ['axes'], valueInputs: [1], run: (ins, c) => [squeeze(ins, c)] },
  Unsqueeze: { attrs: ['axes'], valueInputs: [1], run: (ins, c) => [unsqueeze(ins, c)] },
  Concat: {
    attrs: ['axis'],
    run: (ins, c) => {
      const xs = ins.filter((t): t is Tensor => t !== null);
      if (!c.attrs.has('axis')) throw new ValueError(`${where(c.node)}: attribute axis is required`);
      const nonEmpty = xs.filter((t) => t.size > 0);
      return [
        concat(nonEmpty.length ? nonEmpty : xs.slice(0, 1), normAx(c.attrs.int('axis', 0), xs[0].rank, c)),
      ];
    },
  },
  Split: { attrs: ['axis', 'split', 'num_outputs'], valueInputs: [1], run: splitOp },
  Slice: { attrs: ['starts', 'ends', 'axes'], valueInputs: [1, 2, 3, 4], run: (ins, c) => [sliceOp(ins, c)] },
  Gather: { attrs: ['axis'], valueInputs: [1], run: (ins, c) => [gatherOp(ins, c)] },
  Shape: { attrs: ['start', 'end'], ...INT64_OUT, run: (ins, c) => [shapeOp(ins, c)] },
  Size: {
    attrs: [],
    ...INT64_OUT,
    run: (ins, c) => [new Tensor(Int32Array.of(need(ins, 0, c.node, 'data').size), [])],
  },
  Constant: {
    attrs: [
      'value',
      'value_float',
      'value_floats',
      'value_int',
      'value_ints',
      'sparse_value',
      'value_string',
      'value_strings',
    ],
    run: (_ins, c) => [constantOf(c).t],
    outTypes: (c) => [constantOf(c).type],
  },
  ConstantOfShape: {
    attrs: ['value'],
    valueInputs: [0],
    run: (ins, c) => {
      const v = c.attrs.tensor('value');
      const shape = intsOf(need(ins, 0, c.node, 'input'));
      const dt = v ? dtypeFor(v.type, c) : 'float32';
      return [full(shape, v ? v.t.raw[0] : 0, { dtype: dt })];
    },
    outTypes: (c) => [c.attrs.tensor('value')?.type ?? DataType.FLOAT],
  },
  Expand: {
    attrs: [],
    valueInputs: [1],
    run: (ins, c) => {
      const x = need(ins, 0, c.node, 'input');
      return [broadcastTo(x, broadcastShapes(x.shape, intsOf(need(ins, 1, c.node, 'shape')), where(c.node)))];
    },
  },
  Tile: {
    attrs: [],
    valueInputs: [1],
    run: (ins, c) => [tile(need(ins, 0, c.node, 'input'), intsOf(need(ins, 1, c.node, 'repeats')))],
  },
  Pad: {
    attrs: ['mode', 'pads', 'paddings', 'value'],
    valueInputs: [1, 2, 3],
    run: (ins, c) => [padOp(ins, c)],
  },
  ReduceMean: reduce(mean, 18),
  ReduceSum: reduce(sum, 13),
  ReduceMax: reduce(max, 18),
  ReduceMin: reduce(min, 18),
  // ReduceL2(x) = √Σx²
  ReduceL2: reduce((x, a, k) => sqrt(sum(mul(x, x), a, k)), 18),
  ReduceSumSquare: reduce((x, a, k) => sum(mul(x, x), a, k), 18),
  ArgMax: argOp(argmax),
  ArgMin: argOp(argmin),
  Range: {
    attrs: [],
    valueInputs: [0, 1, 2],
    run: (ins, c) => {
      const [s, l, d] = [0, 1, 2].map((i) => need(ins, i, c.node, ['start', 'limit', 'delta'][i]));
      const n = Math.max(Math.ceil((l.item() - s.item()) / d.item()), 0);
      if (!Number.isFinite(n)) throw new ValueError(`${where(c.node)}: delta must be non-zero`);
      checkAllocation(s.dtype, n);
      const out = Array.from({ length: n }, (_, i) => s.item() + i * d.item());
      return [
        s.dtype === 'int32'
          ? ints(out)
          : new Tensor((s.dtype === 'float64' ? Float64Array : Float32Array).from(out), [n]),
      ];
    },
  },
};
