// More ONNX elementwise, logic and indexing operators (trigonometry, Round, Mod, And/Or/Xor, IsNaN/IsInf, CumSum,
// GatherElements, Trilu, OneHot, Hardmax, EyeLike, CastLike, Shrink, MeanVarianceNormalization, the remaining
// reductions), each a composition of tapegrad ops, so gradients flow wherever the operator has one.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, full } from '../../core/tensor.js';
import {
  abs,
  add,
  cast,
  cos,
  div,
  equal,
  exp,
  expm1,
  floor,
  greater,
  less,
  log,
  log1p,
  maximum,
  mul,
  notEqual,
  sign,
  sin,
  sqrt,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { celu, mish, thresholdedRelu } from '../../ops/composite/activations.js';
import { argmax, logSumExp, mean, sum } from '../../ops/reduce/builders.js';
import { gather, take } from '../../ops/network/builders.js';
import { concat, pad, reshape, slice, transpose } from '../../ops/movement/builders.js';
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
  run: (ins, c) => [bool(f(notEqual(need(ins, 0, c.node, 'A'), 0), notEqual(need(ins, 1, c.node, 'B'), 0)))],
});

/**
 * atan(x): |x| > 1 is folded to 1/x (atan x = sign(x)·π/2 − atan(1/x)), two half-angle steps t → t/(1+√(1+t²))
 * bring |t| ≤ tan(π/16), and a 10-term odd Taylor series finishes (error < 1e-13).
 * NOTE: 1/x reads a safe x (1 where |x| ≤ 1), so the branch where() drops has no Inf whose gradient would be NaN.
 */
function atan(x: Tensor): Tensor {
  const big = greater(abs(x), 1);
  let t = where(big, div(1, where(big, x, 1)), x);
  for (let i = 0; i < 2; i++) t = div(t, add(sqrt(add(mul(t, t), 1)), 1));
  const t2 = mul(t, t);
  let s = mul(t2, 0);
  for (let k = 9; k >= 0; k--) s = add(mul(s, t2), (-1) ** k / (2 * k + 1));
  const a = mul(mul(s, t), 4);
  return where(big, sub(mul(sign(x), Math.PI / 2), a), a);
}
// asin(x) = atan(x/√((1−x)(1+x))) (±1 → atan(±Inf) = ±π/2; (1−x)(1+x) keeps its digits near ±1, 1 − x² does not)
const asin = (x: Tensor): Tensor => atan(div(x, sqrt(mul(sub(1, x), add(x, 1)))));

/**
 * asinh x = sign(x)·asinh|x|: for |x| ≤ 1, log1p(a + a²/(1 + √(a²+1))) (exact near 0); above, log a + log1p(√(1 + 1/a²))
 * (no a² to overflow). NOTE: each branch reads a safe argument, so the one where() drops has a finite gradient.
 */
function asinh(x: Tensor): Tensor {
  const a = abs(x);
  const big = greater(a, 1);
  const s = where(big, 0, a);
  const b = where(big, a, 1);
  const small = log1p(add(s, div(mul(s, s), add(sqrt(add(mul(s, s), 1)), 1))));
  const large = add(log(b), log1p(sqrt(add(div(1, mul(b, b)), 1))));
  return mul(sign(x), where(big, large, small));
}
/** acosh x (x ≥ 1): log1p(t + √(t(t+2))) with t = x − 1 below 2, log x + log1p(√(1 − 1/x²)) above (no x² to overflow). */
function acosh(x: Tensor): Tensor {
  const big = greater(x, 2);
  const t = sub(where(big, 1, x), 1);
  const b = where(big, x, 2);
  const small = log1p(add(t, sqrt(mul(t, add(t, 2)))));
  const large = add(log(b), log1p(sqrt(sub(1, div(1, mul(b, b))))));
  return where(big, large, small);
}

/** Round half to even: floor, +1 above .5, and at exactly .5 the even neighbour. */
function round(x: Tensor): Tensor {
  const f = floor(x);
  const d = sub(x, f);
  const odd = sub(f, mul(floor(div(f, 2)), 2));
  return where(equal(d, 0.5), add(f, odd), add(f, cast(greater(d, 0.5), x.dtype)));
}

/** Mod: fmod=0 takes the divisor's sign (a − b·⌊a/b⌋, integers only), fmod=1 the dividend's (C fmod). */
function mod(ins: (Tensor | null)[], c: OpContext): Tensor {
  const a = need(ins, 0, c.node, 'A');
  const b = need(ins, 1, c.node, 'B');
  const fmod = c.attrs.int('fmod', 0);
  if (fmod !== 0 && fmod !== 1) unsupported(c.node, `fmod=${fmod}`, '0, 1');
  if (fmod === 0 && a.dtype !== 'int32')
    unsupported(c.node, 'fmod=0 on floating-point inputs (the ONNX spec requires fmod=1 for them)', 'fmod=1');
  // NOTE: computed in float64 (exact for int32 operands and float32 quotients) and cast back to A's dtype
  const [a64, b64] = [cast(a, 'float64'), cast(b, 'float64')];
  const q = div(a64, b64);
  const t = fmod === 0 ? floor(q) : mul(sign(q), floor(abs(q)));
  return cast(sub(a64, mul(b64, t)), a.dtype);
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

/**
 * Product over axes: the reduced axes moved last and flattened to one of length k, then halves multiplied
 * together (⌈log₂ k⌉ muls, exact gradients even where a factor is 0, unlike exp Σ log).
 */
function prod(x: Tensor, axes: number[], keep: boolean): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const outer = kept.map((i) => x.shape[i]);
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  // the empty product is 1
  if (axes.some((i) => x.shape[i] === 0)) return full(keep ? shape : outer, 1, { dtype: x.dtype });
  let y = reshape(transpose(x, [...kept, ...axes]), [...outer, -1]);
  const r = outer.length;
  const part = (from: number, n: number) =>
    slice(
      y,
      y.shape.map((_, i) => (i === r ? from : 0)),
      y.shape.map((d, i) => (i === r ? n : d)),
    );
  while (y.shape[r] > 1) {
    const h = Math.floor(y.shape[r] / 2);
    const m = mul(part(0, h), part(h, h));
    y = y.shape[r] % 2 ? concat([m, part(2 * h, 1)], r) : m;
  }
  return reshape(y, keep ? shape : outer);
}

/** CumSum along one axis: log₂ n shifted adds (Hillis–Steele); exclusive shifts by one, reverse flips around it. */
function cumsum(ins: (Tensor | null)[], c: OpContext): Tensor {
  let x = need(ins, 0, c.node, 'x');
  const a = normAx(intsOf(need(ins, 1, c.node, 'axis'))[0], x.rank, c);
  const n = x.shape[a];
  const flip = (t: Tensor) =>
    gather(
      t,
      Array.from({ length: n }, (_, i) => n - 1 - i),
      a,
    );
  const reverse = c.attrs.int('reverse', 0) === 1;
  if (reverse) x = flip(x);
  const shift = (t: Tensor, s: number) =>
    pad(
      slice(
        t,
        t.shape.map(() => 0),
        t.shape.map((d, i) => (i === a ? n - s : d)),
      ),
      t.shape.map((_, i) => [i === a ? s : 0, 0] as [number, number]),
    );
  let y = x;
  for (let s = 1; s < n; s *= 2) y = add(y, shift(y, s));
  if (c.attrs.int('exclusive', 0) === 1 && n > 0) y = shift(y, 1);
  return reverse ? flip(y) : y;
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
  const upper = c.attrs.int('upper', 1) === 1;
  const [r, m] = x.shape.slice(-2);
  const mask = new Int32Array(r * m);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < m; j++) mask[i * m + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
  return where(new Tensor(mask, [r, m]), x, 0);
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
  Tan: un((x) => div(sin(x), cos(x))),
  Atan: un((x) => atan(x)),
  Asin: un((x) => asin(x)),
  // acos(x) = π/2 − asin(x)
  Acos: un((x) => sub(Math.PI / 2, asin(x))),
  // sinh x = (expm1(x) − expm1(−x))/2 (no cancellation near 0), cosh x = (eˣ + e⁻ˣ)/2
  Sinh: un((x) => div(sub(expm1(x), expm1(mul(x, -1))), 2)),
  Cosh: un((x) => div(add(exp(x), exp(mul(x, -1))), 2)),
  Asinh: un((x) => asinh(x)),
  Acosh: un((x) => acosh(x)),
  // atanh x = (log1p(x) − log1p(−x))/2
  Atanh: un((x) => div(sub(log1p(x), log1p(mul(x, -1))), 2)),
  Round: un((x) => round(x)),
  Mod: { attrs: ['fmod'], run: (ins, c) => [mod(ins, c)] },
  And: logic((a, b) => mul(a, b)),
  Or: logic((a, b) => maximum(a, b)),
  Xor: logic((a, b) => notEqual(a, b)),
  IsNaN: { ...un((x) => bool(notEqual(x, x))), ...BOOL_OUT },
  IsInf: {
    ...un(
      (x, c) => {
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
  ReduceProd: reduce(prod),
  ReduceLogSumExp: reduce((x, a, k) => logSumExp(x, a, k)),
  // ReduceL1(x) = Σ|x|, ReduceLogSum(x) = log Σx
  ReduceL1: reduce((x, a, k) => sum(abs(x), a, k)),
  ReduceLogSum: reduce((x, a, k) => log(sum(x, a, k))),
  CumSum: { attrs: ['exclusive', 'reverse'], valueInputs: [1], run: (ins, c) => [cumsum(ins, c)] },
  GatherElements: { attrs: ['axis'], run: (ins, c) => [gatherElements(ins, c)] },
  Trilu: { attrs: ['upper'], valueInputs: [1], run: (ins, c) => [trilu(ins, c)] },
  OneHot: {
    attrs: ['axis'],
    valueInputs: [1],
    run: (ins, c) => [oneHot(ins, c)],
    outTypes: (c) => [c.inTypes[2]],
  },
};
