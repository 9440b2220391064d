// Elementwise primitives. Binary ones see equal shapes: broadcasting is an explicit broadcastTo above, but for
// biasAdd (a [C] vector added along the last axis, as TF's BiasAdd).
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { type DType, isFloat } from '../../core/dtype.js';
import { shapesEqual } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../../backend/kernels.js';
import { type PrimDef, type PrimTable, flat, movementCost, need, perOutputCost } from '../prim.js';
import {
  add,
  cast,
  cos,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  mul,
  neg,
  pow,
  reluGrad,
  sigmoid,
  sign,
  sin,
  square,
  sub,
  where,
} from './builders.js';
import { zerosLike } from '../../core/tensor.js';
import { sum } from '../reduce/builders.js';

type NoParams = Record<string, never>;
const SCALAR_OPS: ReadonlySet<string> = new Set<BinaryOp>(['add', 'sub', 'mul', 'div']);
type UnaryName = Exclude<UnaryOp, never>;
export type ElementwiseParams = { [K in UnaryName]: NoParams } & { [K in BinaryOp]: NoParams } & {
  /** A tensor and a number, x op s (s op x when scalarFirst: `1 - x`): no broadcast copy of the number. */
  binaryScalar: { op: BinaryOp; s: number; scalarFirst: boolean };
  compare: { op: CompareOp };
  where: NoParams;
  biasAdd: NoParams;
  cast: { dtype: DType };
};

// NOTE: indexed loops from `from`, not `ins.slice(1)`: these shape rules run for every elementwise op.
function sameShapes(op: string, ins: Tensor[], from = 0): Tensor['shape'] {
  for (let i = from + 1; i < ins.length; i++)
    if (!shapesEqual(ins[i].shape, ins[from].shape))
      throw new ShapeError(
        `${op}: operand shapes ${ins.map((x) => fmtShape(x.shape)).join(' and ')} differ (broadcast first)`,
      );
  return ins[from].shape;
}
function sameDtypes(op: string, ins: Tensor[], from = 0): DType {
  for (let i = from + 1; i < ins.length; i++)
    if (ins[i].dtype !== ins[from].dtype)
      throw new DTypeError(
        `${op}: operand dtypes ${ins
          .slice(from)
          .map((x) => x.dtype)
          .join(' and ')} differ`,
      );
  return ins[from].dtype;
}

const unary = (op: UnaryName, vjp: PrimDef<NoParams>['vjp'], floatOnly = true): PrimDef<NoParams> => ({
  arity: 1,
  shape: ([x]) => {
    if (floatOnly && !isFloat(x.dtype)) throw new DTypeError(`${op}: needs a float tensor, got ${x.dtype}`);
    return x.shape;
  },
  forward: (k, [x], out) => k.unary(op, x.raw, out),
  vjp,
  cost: perOutputCost, // one op per value
});
const binary = (op: BinaryOp, vjp: PrimDef<NoParams>['vjp']): PrimDef<NoParams> => ({
  arity: 2,
  shape: (ins) => (sameDtypes(op, ins), sameShapes(op, ins)),
  forward: (k, [a, b], out) => k.binary(op, a.raw, b.raw, out),
  vjp,
  cost: perOutputCost, // one op per value
});

export const elementwise: PrimTable<ElementwiseParams> = {
  neg: unary('neg', (g) => [neg(g)], false), // d(-x) = -dx
  exp: unary('exp', (g, { out }) => [mul(g, out)]), // d eˣ = eˣ dx
  log: unary('log', (g, { ins: [x] }) => [div(g, x)]), // d log x = dx / x
  sqrt: unary('sqrt', (g, { out }) => [div(g, mul(out, 2))]), // d √x = dx / 2√x
  // NOTE: d|x|/dx at 0 is taken as 0 (sign(0) = 0).
  abs: unary('abs', (g, { ins: [x] }) => [mul(g, sign(x))], false),
  sign: unary('sign', flat, false), // piecewise constant: no gradient
  // NOTE: relu'(0) = 0, as in PyTorch and TF.
  relu: unary('relu', (g, { ins: [x] }) => [reluGrad(g, x)], false), // d relu(x) = [x > 0] dx
  sigmoid: unary('sigmoid', (g, { out }) => [mul(g, mul(out, sub(1, out)))]), // σ' = σ(1-σ)
  tanh: unary('tanh', (g, { out }) => [mul(g, sub(1, square(out)))]), // tanh' = 1 - tanh²
  sin: unary('sin', (g, { ins: [x] }) => [mul(g, cos(x))]),
  cos: unary('cos', (g, { ins: [x] }) => [neg(mul(g, sin(x)))]),
  erf: unary('erf', (g, { ins: [x] }) => [mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))]), // erf' = 2/√π e^(-x²)
  floor: unary('floor', flat), // piecewise constant: no gradient
  log1p: unary('log1p', (g, { ins: [x] }) => [div(g, add(x, 1))]), // d log(1 + x) = dx / (1 + x)
  expm1: unary('expm1', (g, { ins: [x] }) => [mul(g, exp(x))]), // d (eˣ − 1) = eˣ dx
  // d log(1 + eˣ) = σ(x) dx, at 0 too (½)
  // NOTE: a row, not max(x, 0) + log1p(e^−|x|): that composition's kinks gave softplus'(0) = 0.
  softplus: unary('softplus', (g, { ins: [x] }) => [mul(g, sigmoid(x))]),

  add: binary('add', (g, c) => [need(c, 0, () => g), need(c, 1, () => g)]),
  sub: binary('sub', (g, c) => [need(c, 0, () => g), need(c, 1, () => neg(g))]),
  mul: binary('mul', (g, c) => [need(c, 0, () => mul(g, c.ins[1])), need(c, 1, () => mul(g, c.ins[0]))]),
  // reluGrad(a, x) = [x > 0] a: linear in a, piecewise constant in x
  reluGrad: binary('reluGrad', (g, c) => [need(c, 0, () => reluGrad(g, c.ins[1])), null]),
  // d(a/b) = da/b - (a/b²) db
  div: binary('div', (g, c) => [
    need(c, 0, () => div(g, c.ins[1])),
    need(c, 1, () => neg(div(mul(g, c.out), c.ins[1]))),
  ]),
  // d(aᵇ) = b aᵇ⁻¹ da + aᵇ log a db
  // NOTE: aᵇ⁻¹ is computed as a power (not aᵇ/a) so x² has gradient 0 at 0. Where b = 0 the da term is 0 (a⁰ is
  // flat in a; PyTorch and JAX mask it so), and where a = 0 the db term is 0 (0ᵇ is flat in b). The masked branch
  // reads a safe operand (a = 1 where b = 0, log 1 where a = 0), so no order of derivative multiplies 0 by Inf.
  pow: binary('pow', (g, c) => [
    need(c, 0, () => {
      const [a, b] = c.ins;
      const b0 = equal(b, 0);
      return mul(g, where(b0, 0, mul(b, pow(where(b0, 1, a), sub(b, 1)))));
    }),
    need(c, 1, () => {
      const a0 = equal(c.ins[0], 0);
      return mul(g, where(a0, 0, mul(c.out, log(where(a0, 1, c.ins[0])))));
    }),
  ]),
  // NOTE: on ties the gradient goes to the first operand (maximum(a,b) picks a when a >= b).
  maximum: binary('maximum', (g, c) => [
    need(c, 0, () => mul(g, greaterEqual(c.ins[0], c.ins[1]))),
    need(c, 1, () => mul(g, less(c.ins[0], c.ins[1]))),
  ]),
  minimum: binary('minimum', (g, c) => [
    need(c, 0, () => mul(g, lessEqual(c.ins[0], c.ins[1]))),
    need(c, 1, () => mul(g, greater(c.ins[0], c.ins[1]))),
  ]),

  binaryScalar: {
    arity: 1,
    shape: ([x], p) => {
      if (!isFloat(x.dtype)) throw new DTypeError(`binaryScalar: needs a float tensor, got ${x.dtype}`);
      if (typeof p.s !== 'number')
        throw new DTypeError(`binaryScalar: s must be a number, got ${typeof p.s}`);
      if (!SCALAR_OPS.has(p.op))
        throw new ValueError(`binaryScalar: unknown op '${String(p.op)}' (${[...SCALAR_OPS].join(', ')})`);
      return x.shape;
    },
    forward: (k, [x], out, p) => k.binaryScalar(p.op, x.raw, p.s, p.scalarFirst, out),
    // d(x ± s) = dx; d(s - x) = -dx; d(x·s) = s dx; d(x/s) = dx/s; d(s/x) = -(s/x²) dx = -(out/x) dx
    vjp: (g, c) => [
      need(c, 0, () => {
        const { op, s, scalarFirst } = c.p;
        if (op === 'add') return g;
        if (op === 'sub') return scalarFirst ? neg(g) : g;
        if (op === 'mul') return mul(g, s);
        return scalarFirst ? neg(div(mul(g, c.out), c.ins[0])) : div(g, s);
      }),
    ],
    cost: perOutputCost, // one op per value
  },
  compare: {
    arity: 2,
    shape: (ins, p) => (sameDtypes(p.op, ins), sameShapes(p.op, ins)),
    forward: (k, [a, b], out, p) => k.compare(p.op, a.raw, b.raw, out),
    vjp: flat, // a step function: no gradient
    cost: perOutputCost, // one comparison per value
  },
  where: {
    arity: 3,
    shape: (ins) => (sameDtypes('where', ins, 1), sameShapes('where', ins)),
    dtype: (ins) => ins[1].dtype,
    forward: (k, [c, a, b], out) => k.where(c.raw, a.raw, b.raw, out),
    vjp: (g, c) => [
      null,
      need(c, 1, () => where(c.ins[0], g, zerosLike(g))),
      need(c, 2, () => where(c.ins[0], zerosLike(g), g)),
    ],
    cost: perOutputCost, // one select per value
  },
  // x + b, b [C] along x's last axis: dx = g, db = Σ g over the other axes (broadcastTo's vjp)
  // NOTE: add's builder runs it for [..., C] + [C] unless ops are traced; traces show broadcastTo → add, the same bits.
  biasAdd: {
    arity: 2,
    shape: ([x, b]) => {
      sameDtypes('biasAdd', [x, b]);
      if (!isFloat(x.dtype)) throw new DTypeError(`biasAdd: needs float tensors, got ${x.dtype}`);
      if (x.rank < 1 || b.rank !== 1 || b.shape[0] !== x.shape[x.rank - 1])
        throw new ShapeError(
          `biasAdd: bias ${fmtShape(b.shape)} must be [${x.shape[x.rank - 1] ?? '?'}], one value per entry of the last axis of ${fmtShape(x.shape)}`,
        );
      return x.shape;
    },
    forward: (k, [x, b], out) => k.biasAdd(x.raw, b.raw, out),
    vjp: (g, c) => [
      need(c, 0, () => g),
      need(c, 1, () =>
        sum(
          g,
          Array.from({ length: g.rank - 1 }, (_, i) => i),
        ),
      ),
    ],
    cost: perOutputCost, // one add per value
  },
  cast: {
    arity: 1,
    shape: ([x]) => x.shape,
    dtype: (_, p) => p.dtype,
    forward: (k, [x], out) => k.cast(x.raw, out),
    // NOTE: casts to or from int32 cut the gradient.
    vjp: (g, { ins: [x], p }) => [isFloat(x.dtype) && isFloat(p.dtype) ? cast(g, x.dtype) : null],
    cost: movementCost, // a conversion, counted as data movement
  },
};
