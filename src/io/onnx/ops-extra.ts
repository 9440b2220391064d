// More ONNX elementwise, logic and indexing operators (trigonometry, Round, Mod, And/Or/Xor, IsNaN/IsInf, CumSum,
// GatherElements, Trilu, OneHot, Hardmax, EyeLike, CastLike, Shrink, MeanVarianceNormalization, the remaining
// reductions), each a composition of tapegrad ops, so gradients flow wherever the operator has one.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import {
  abs,
  add,
  cast,
  div,
  equal,
  floor,
  greater,
  less,
  log,
  maximum,
  mul,
  sign,
  sqrt,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { celu, mish, thresholdedRelu } from '../../ops/composite/activations.js';
import {
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atanh,
  cosh,
  isInf,
  isNaN,
  logicalAnd,
  logicalOr,
  logicalXor,
  mod,
  round,
  sinh,
  tan,
} from '../../ops/composite/math-extra.js';
import { prod } from '../../ops/composite/reduce-extra.js';
import { cumsum } from '../../ops/composite/cumulative.js';
import { tril, triu } from '../../ops/composite/band-part.js';
import { argmax, logSumExp, mean, sum } from '../../ops/reduce/builders.js';
import { take } from '../../ops/network/builders.js';
import { reshape, slice } from '../../ops/movement/builders.js';
import { DataType } from './proto.js';
import { castTo, dtypeFor, softmaxLike } from './ops-math.js';
import { normAx } from './ops-shape.js';
import { elementOffsets, strides } from './ops-scatter.js';
import { type OpContext, type OpDef, intsOf, need, unsupported, where as at } from './op-types.js';

const un = (f: (x: Tensor, c: OpContext) => Tensor, attrs: string[] = []): OpDef => ({
  attrs,
  run: (ins, c) => [f(need(ins, 0, c.node, 'X'), c)],
});
const BOOL_OUT = { outTypes: () => [DataType.BOOL] };
const bool = (t: Tensor): Tensor => cast(t, 'int32');
const logic = (f: (a: Tensor, b: Tensor) => Tensor): OpDef => ({
  attrs: [],
  ...BOOL_OUT,
  run: (ins, c) => [bool(f(need(ins, 0, c.node, 'A'), need(ins, 1, c.node, 'B')))],
});

/** Mod: fmod=0 takes the divisor's sign (tg.mod, integers only), fmod=1 the dividend's (C fmod). */
function onnxMod(ins: (Tensor | null)[], c: OpContext): Tensor {
  const a = need(ins, 0, c.node, 'A');
  const b = need(ins, 1, c.node, 'B');
  const fmod = c.attrs.int('fmod', 0);
  if (fmod !== 0 && fmod !== 1) unsupported(c.node, `fmod=${fmod}`, '0, 1');
  if (fmod === 0 && a.dtype !== 'int32')
    unsupported(c.node, 'fmod=0 on floating-point inputs (the ONNX spec requires fmod=1 for them)', 'fmod=1');
  if (fmod === 0) return mod(a, b);
  // NOTE: computed in float64 (exact for int32 operands and float32 quotients) and cast back to A's dtype
  const [a64, b64] = [cast(a, 'float64'), cast(b, 'float64')];
  const q = div(a64, b64);
  return cast(sub(a64, mul(b64, mul(sign(q), floor(abs(q))))), a.dtype);
}

/** The reduced axes (all when none are given) and whether to return x unchanged (noop_with_empty_axes). */
function reduceAxes(ins: (Tensor | null)[], c: OpContext, x: Tensor): number[] | null {
  // axes are an input from opset 18 on: an `axes` attribute there would be ignored, so it is refused
  if (c.opset >= 18 && c.attrs.has('axes'))
    unsupported(c.node, `the axes attribute at opset ${c.opset}`, 'axes as the second input');
  const given = c.opset >= 18 ? (ins[1] ? intsOf(ins[1]) : null) : c.attrs.ints('axes');
  if ((!given || !given.length) && c.attrs.int('noop_with_empty_axes', 0) === 1) return null;
  return given && given.length ? given.map((a) => normAx(a, x.rank, c)) : x.shape.map((_, i) => i);
}
function reduce(f: (x: Tensor, axes: number[], keep: boolean) => Tensor): OpDef {
  return {
    attrs: ['axes', 'keepdims', 'noop_with_empty_axes'],
    valueInputs: [1],
    run: (ins, c) => {
      const x = need(ins, 0, c.node, 'data');
      const ax = reduceAxes(ins, c, x);
      return [ax ? f(x, ax, c.attrs.int('keepdims', 1) === 1) : x];
    },
  };
}

/** CumSum along one axis (tg.cumsum). */
function onnxCumsum(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'x');
  const a = normAx(intsOf(need(ins, 1, c.node, 'axis'))[0], x.rank, c);
  return cumsum(x, a, c.attrs.int('exclusive', 0) === 1, c.attrs.int('reverse', 0) === 1);
}

/** GatherElements: out[i…] = x[i… with i_axis replaced by indices[i…]], as flat offsets into x for take. */
function gatherElements(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const idx = need(ins, 1, c.node, 'indices');
  const a = normAx(c.attrs.int('axis', 0), x.rank, c);
  if (idx.rank !== x.rank || idx.shape.some((d, i) => i !== a && d > x.shape[i]))
    throw new ShapeError(
      `${at(c.node)}: indices ${fmtShape(idx.shape)} must have data's rank and fit in data ${fmtShape(x.shape)} off axis ${a}`,
    );
  const n = x.shape[a];
  idx.raw.forEach((v) => {
    if (!(v >= -n && v < n))
      throw new ShapeError(`${at(c.node)}: index ${v} is out of range for axis ${a} of size ${n}`);
  });
  const st = strides(x.shape);
  // the offset of every other coordinate, from the shapes alone; the indices enter as ops (valid in traces)
  const base = elementOffsets(idx.shape, st, a, () => 0);
  const k0 = cast(idx, 'int32');
  const k = where(less(k0, 0), add(k0, n), k0);
  return take(x, add(mul(k, st[a]), new Tensor(base, idx.shape)));
}

/** Trilu: keep j − i ≥ k (upper) or j − i ≤ k (lower) over the last two axes, zero elsewhere. */
function trilu(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'input');
  if (x.rank < 2) throw new ShapeError(`${at(c.node)}: input ${fmtShape(x.shape)} must have rank ≥ 2`);
  const k = ins[1] ? intsOf(ins[1])[0] : 0;
  return c.attrs.int('upper', 1) === 1 ? triu(x, k) : tril(x, k);
}

/** OneHot: values[1] where the (wrapped) index equals the position along the new axis, values[0] elsewhere. */
function oneHot(ins: (Tensor | null)[], c: OpContext): Tensor {
  const idx = need(ins, 0, c.node, 'indices');
  const depth = intsOf(need(ins, 1, c.node, 'depth'))[0];
  const values = need(ins, 2, c.node, 'values');
  if (values.size !== 2)
    throw new ShapeError(`${at(c.node)}: values must hold [off, on], got ${fmtShape(values.shape)}`);
  if (!(depth >= 1)) throw new ValueError(`${at(c.node)}: depth must be ≥ 1, got ${depth}`);
  const rank = idx.rank + 1;
  const a = normAx(c.attrs.int('axis', -1), rank, c);
  // NOTE: float indices are truncated (ONNX casts them to integers); negative ones count from depth
  const k0 = cast(mul(sign(idx), floor(abs(idx))), 'int32');
  const k = where(less(k0, 0), add(k0, depth), k0);
  const shapeK = [...idx.shape.slice(0, a), 1, ...idx.shape.slice(a)];
  const pos = new Tensor(
    Int32Array.from({ length: depth }, (_, i) => i),
    shapeK.map((_, i) => (i === a ? depth : 1)),
  );
  const v = reshape(values, [2]);
  const [off, on] = [slice(v, [0], [1]), slice(v, [1], [1])];
  return where(equal(reshape(k, shapeK), pos), reshape(on, []), reshape(off, []));
}

/** Hardmax along `axis`: 1 at the first maximum, 0 elsewhere. */
function hardmax(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank : axis;
  const n = x.shape[a];
  const best = reshape(
    cast(argmax(x, a), 'int32'),
    x.shape.map((d, i) => (i === a ? 1 : d)),
  );
  const pos = new Tensor(
    Int32Array.from({ length: n }, (_, i) => i),
    x.shape.map((_, i) => (i === a ? n : 1)),
  );
  return cast(equal(best, pos), x.dtype);
}

/** EyeLike: ones where j − i = k in a 2-D shape like the input's, of `dtype` (default: the input's type). */
function eyeLike(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'input');
  if (x.rank !== 2) throw new ShapeError(`${at(c.node)}: input ${fmtShape(x.shape)} must be 2-D`);
  const [r, m] = x.shape;
  const k = c.attrs.int('k', 0);
  const v = new Float64Array(r * m);
  for (let i = 0; i < r; i++) if (i + k >= 0 && i + k < m) v[i * m + i + k] = 1;
  const to = c.attrs.has('dtype') ? c.attrs.int('dtype', 0) : c.inTypes[0];
  return cast(new Tensor(v, [r, m]), dtypeFor(to, c));
}

/** MeanVarianceNormalization: (x − E x)/(√E(x − E x)² + 1e-9) over `axes` (default 0, 2, 3), as ONNX's function body. */
function mvn(x: Tensor, c: OpContext): Tensor {
  const axes = (c.attrs.ints('axes') ?? [0, 2, 3]).map((a) => normAx(a, x.rank, c));
  const d = sub(x, mean(x, axes, true));
  return div(d, add(sqrt(mean(mul(d, d), axes, true)), 1e-9));
}

export const extraOps: Record<string, OpDef> = {
  Tan: un((x) => tan(x)),
  Atan: un((x) => atan(x)),
  Asin: un((x) => asin(x)),
  Acos: un((x) => acos(x)),
  Sinh: un((x) => sinh(x)),
  Cosh: un((x) => cosh(x)),
  Asinh: un((x) => asinh(x)),
  Acosh: un((x) => acosh(x)),
  Atanh: un((x) => atanh(x)),
  Round: un((x) => round(x)),
  Mod: { attrs: ['fmod'], run: (ins, c) => [onnxMod(ins, c)] },
  And: logic(logicalAnd),
  Or: logic(logicalOr),
  Xor: logic(logicalXor),
  IsNaN: { ...un((x) => bool(isNaN(x))), ...BOOL_OUT },
  IsInf: {
    ...un(
      (x, c) => {
        if (c.attrs.int('detect_positive', 1) === 1 && c.attrs.int('detect_negative', 1) === 1)
          return bool(isInf(x));
        const pos = c.attrs.int('detect_positive', 1) === 1 ? equal(x, Infinity) : mul(cast(x, 'int32'), 0);
        const neg = c.attrs.int('detect_negative', 1) === 1 ? equal(x, -Infinity) : mul(cast(x, 'int32'), 0);
        return bool(maximum(cast(pos, 'int32'), cast(neg, 'int32')));
      },
      ['detect_negative', 'detect_positive'],
    ),
    ...BOOL_OUT,
  },
  Mish: { ...un((x) => mish(x)), since: 18 },
  // ThresholdedRelu(x) = x if x > α else 0
  ThresholdedRelu: un((x, c) => thresholdedRelu(x, c.attrs.float('alpha', 1)), ['alpha']),
  // Celu(x) = max(0, x) + min(0, α(exp(x/α) − 1))
  Celu: un((x, c) => celu(x, c.attrs.float('alpha', 1)), ['alpha']),
  Hardmax: softmaxLike(hardmax),
  // Shrink(x) = x + bias if x < −λ, x − bias if x > λ, else 0
  Shrink: un(
    (x, c) => {
      const [bias, l] = [c.attrs.float('bias', 0), c.attrs.float('lambd', 0.5)];
      return where(less(x, -l), add(x, bias), where(greater(x, l), sub(x, bias), mul(x, 0)));
    },
    ['bias', 'lambd'],
  ),
  MeanVarianceNormalization: un((x, c) => mvn(x, c), ['axes']),
  EyeLike: {
    attrs: ['dtype', 'k'],
    run: (ins, c) => [eyeLike(ins, c)],
    outTypes: (c) => [c.attrs.has('dtype') ? c.attrs.int('dtype', 0) : c.inTypes[0]],
  },
  CastLike: {
    attrs: ['saturate'],
    run: (ins, c) => [castTo(need(ins, 0, c.node, 'input'), c.inTypes[1], c)],
    outTypes: (c) => [c.inTypes[1]],
  },
  ReduceProd: reduce((x, a, k) => prod(x, a, k)),
  ReduceLogSumExp: reduce((x, a, k) => logSumExp(x, a, k)),
  // ReduceL1(x) = Σ|x|, ReduceLogSum(x) = log Σx
  ReduceL1: reduce((x, a, k) => sum(abs(x), a, k)),
  ReduceLogSum: reduce((x, a, k) => log(sum(x, a, k))),
  CumSum: { attrs: ['exclusive', 'reverse'], valueInputs: [1], run: (ins, c) => [onnxCumsum(ins, c)] },
  GatherElements: { attrs: ['axis'], run: (ins, c) => [gatherElements(ins, c)] },
  Trilu: { attrs: ['upper'], valueInputs: [1], run: (ins, c) => [trilu(ins, c)] },
  OneHot: {
    attrs: ['axis'],
    valueInputs: [1],
    run: (ins, c) => [oneHot(ins, c)],
    outTypes: (c) => [c.inTypes[2]],
  },
};
