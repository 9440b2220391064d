// ONNX elementwise operators and activations, each a composition of tapegrad ops (numpy broadcasting throughout).
import { ValueError } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import { Tensor } from '../../core/tensor.js';
import {
  abs,
  add,
  cast,
  clipByValue,
  cos,
  div,
  equal,
  erf,
  exp,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  sign,
  sin,
  sqrt,
  sub,
  tanh,
  where,
} from '../../ops/elementwise/builders.js';
import { elu, gelu, logSoftmax, softmax, softplus, softsign } from '../../ops/composite/activations.js';
import { dropout } from '../../ops/random-ops.js';
import { reshape } from '../../ops/movement/builders.js';
import { roundThrough16 } from './float16.js';
import { DataType } from './proto.js';
import { isIntType, typeName } from './tensor-proto.js';
import { type OpContext, type OpDef, need, unsupported, where as at } from './op-types.js';

const un = (f: (x: Tensor, c: OpContext) => Tensor, attrs: string[] = []): OpDef => ({
  attrs,
  run: (ins, c) => [f(need(ins, 0, c.node, 'X'), c)],
});
const bin = (f: (a: Tensor, b: Tensor) => Tensor, attrs: string[] = []): OpDef => ({
  attrs: ['broadcast', 'axis', ...attrs],
  run: (ins, c) => {
    if (c.attrs.has('axis') && c.attrs.int('broadcast', 0))
      unsupported(c.node, 'legacy broadcast with an axis (opset < 7)', 'numpy broadcasting');
    return [f(need(ins, 0, c.node, 'A'), need(ins, 1, c.node, 'B'))];
  },
});
/** Variadic ops (Max, Min, Sum, Mean): a left fold with broadcasting. */
const fold = (f: (a: Tensor, b: Tensor) => Tensor, finish?: (t: Tensor, n: number) => Tensor): OpDef => ({
  attrs: [],
  run: (ins, c) => {
    const xs = ins.filter((t): t is Tensor => t !== null);
    if (!xs.length) throw new ValueError(`${at(c.node)}: needs at least one input`);
    const y = xs.slice(1).reduce(f, xs[0]);
    return [finish ? finish(y, xs.length) : y];
  },
});
const BOOL_OUT = { outTypes: () => [DataType.BOOL] };
const cmp = (f: (a: Tensor, b: Tensor) => Tensor): OpDef => ({
  ...bin((a, b) => cast(f(a, b), 'int32')),
  ...BOOL_OUT,
});

/** Softmax family (and Hardmax): opset ≥ 13 works on one axis (default -1); before, on the input flattened to 2-D at `axis` (default 1). */
export function softmaxLike(f: (x: Tensor, axis: number) => Tensor): OpDef {
  return un(
    (x, c) => {
      if (c.opset >= 13) return f(x, c.attrs.int('axis', -1));
      const axis = c.attrs.int('axis', 1);
      const a = axis < 0 ? axis + x.rank : axis;
      const rows = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
      return reshape(f(reshape(x, [rows, -1]), 1), x.shape);
    },
    ['axis'],
  );
}

/** ONNX element type code → tapegrad dtype. */
export function dtypeFor(code: number, c: OpContext): DType {
  // NOTE: FLOAT16 and BFLOAT16 are computed in float32 (float16.ts)
  if (code === DataType.FLOAT || code === DataType.FLOAT16 || code === DataType.BFLOAT16) return 'float32';
  if (code === DataType.DOUBLE) return 'float64';
  if (isIntType(code)) return 'int32';
  return unsupported(
    c.node,
    `element type ${typeName(code)}`,
    'FLOAT, DOUBLE, FLOAT16, BFLOAT16 and the integer and bool types',
  );
}

/** x as ONNX element type `to` (Cast, CastLike). */
export function castTo(x: Tensor, to: number, c: OpContext): Tensor {
  const dt = dtypeFor(to, c);
  // NOTE: float → int casts truncate toward zero (C semantics, as ONNX Runtime); bool is x ≠ 0.
  if (to === DataType.BOOL) return cast(cast(greater(abs(x), 0), 'float32'), 'int32');
  if (dt === 'int32' && x.dtype !== 'int32') return cast(mul(sign(x), floor(abs(x))), 'int32');
  // to a 16-bit float: rounded to that format's nearest value (ties to even), held in float32
  if (to === DataType.FLOAT16) return cast(roundThrough16(x, 'float16'), dt);
  if (to === DataType.BFLOAT16) return cast(roundThrough16(x, 'bfloat16'), dt);
  return cast(x, dt);
}

/** Clip: bounds are attributes before opset 11 and optional inputs from then on. */
function clip(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'input');
  const lo = c.opset < 11 ? c.attrs.float('min', -Infinity) : ins[1] ? ins[1].item() : -Infinity;
  const hi = c.opset < 11 ? c.attrs.float('max', Infinity) : ins[2] ? ins[2].item() : Infinity;
  return clipByValue(x, lo, hi);
}

export const mathOps: Record<string, OpDef> = {
  Add: bin(add),
  Sub: bin(sub),
  Mul: bin(mul),
  Div: bin(div),
  Pow: { ...bin((a, b) => pow(a, cast(b, a.dtype))) },
  Max: fold(maximum),
  Min: fold(minimum),
  Sum: fold(add),
  Mean: fold(add, (t, n) => div(t, n)),
  Neg: un((x) => neg(x)),
  Abs: un((x) => abs(x)),
  Exp: un((x) => exp(x)),
  Log: un((x) => log(x)),
  Sqrt: un((x) => sqrt(x)),
  Reciprocal: un((x) => div(1, x)),
  Floor: un((x) => floor(x)),
  Ceil: un((x) => neg(floor(neg(x)))),
  Sign: un((x) => sign(x)),
  Sin: un((x) => sin(x)),
  Cos: un((x) => cos(x)),
  Erf: un((x) => erf(x)),
  Tanh: un((x) => tanh(x)),
  Sigmoid: un((x) => sigmoid(x)),
  Relu: un((x) => relu(x)),
  // LeakyRelu(x) = x if x ≥ 0 else αx
  LeakyRelu: un((x, c) => where(greaterEqual(x, 0), x, mul(x, c.attrs.float('alpha', 0.01))), ['alpha']),
  Elu: un((x, c) => elu(x, c.attrs.float('alpha', 1)), ['alpha']),
  // Selu(x) = γ·(x if x > 0 else α(eˣ-1))
  Selu: un(
    (x, c) =>
      mul(
        elu(x, c.attrs.float('alpha', 1.67326319217681884765625)),
        c.attrs.float('gamma', 1.05070102214813232421875),
      ),
    ['alpha', 'gamma'],
  ),
  Gelu: un(
    (x, c) => {
      const a = c.attrs.str('approximate', 'none');
      if (a !== 'none' && a !== 'tanh') unsupported(c.node, `approximate='${a}'`, "'none', 'tanh'");
      return gelu(x, a === 'tanh');
    },
    ['approximate'],
  ),
  // HardSigmoid(x) = max(0, min(1, αx + β))
  HardSigmoid: un(
    (x, c) => clipByValue(add(mul(x, c.attrs.float('alpha', 0.2)), c.attrs.float('beta', 0.5)), 0, 1),
    ['alpha', 'beta'],
  ),
  // HardSwish(x) = x·max(0, min(1, x/6 + 1/2))
  HardSwish: un((x) => mul(x, clipByValue(add(div(x, 6), 0.5), 0, 1))),
  Softplus: un((x) => softplus(x)),
  Softsign: un((x) => softsign(x)),
  // PRelu(x) = x if x ≥ 0 else slope·x (slope broadcasts to x)
  PRelu: bin((x, s) => where(greaterEqual(x, 0), x, mul(x, s))),
  Softmax: softmaxLike(softmax),
  LogSoftmax: softmaxLike(logSoftmax),
  Clip: { attrs: ['min', 'max'], valueInputs: [1, 2], run: (ins, c) => [clip(ins, c)] },
  Equal: cmp(equal),
  Less: cmp(less),
  Greater: cmp(greater),
  LessOrEqual: cmp(lessEqual),
  GreaterOrEqual: cmp(greaterEqual),
  Not: { ...un((x) => cast(equal(x, 0), 'int32')), ...BOOL_OUT },
  Where: {
    attrs: [],
    run: (ins, c) => [
      where(need(ins, 0, c.node, 'condition'), need(ins, 1, c.node, 'X'), need(ins, 2, c.node, 'Y')),
    ],
    outTypes: (c) => [c.inTypes[1]],
  },
  Identity: un((x) => x),
  // Dropout: identity in inference; in train mode (or training_mode=true) inverted dropout with `ratio`.
  Dropout: {
    attrs: ['ratio', 'seed', 'is_test'],
    valueInputs: [1, 2],
    run: (ins, c) => {
      const x = need(ins, 0, c.node, 'data');
      if (c.node.outputs[1]) unsupported(c.node, 'the mask output', 'the first output only');
      const ratio = c.opset < 12 ? c.attrs.float('ratio', 0.5) : ins[1] ? ins[1].item() : 0.5;
      const train = c.opset >= 12 && ins[2] ? ins[2].item() !== 0 : c.training;
      return [train && ratio > 0 ? dropout(x, ratio, { training: true }) : x];
    },
  },
  Cast: {
    attrs: ['to', 'saturate'],
    run: (ins, c) => [castTo(need(ins, 0, c.node, 'input'), c.attrs.int('to', 0), c)],
    outTypes: (c) => [c.attrs.int('to', 0)],
  },
};

/** A scalar `value` as a tensor of `like`'s dtype (helper for ops that add constants). */
export const scalarLike = (v: number, like: Tensor): Tensor =>
  new Tensor(
    like.dtype === 'float64'
      ? Float64Array.of(v)
      : like.dtype === 'int32'
        ? Int32Array.of(v)
        : Float32Array.of(v),
    [],
  );
