// Elementwise ops users call: they turn numbers into tensors, promote dtypes and broadcast
// explicitly (broadcastTo) before calling the equal-shape primitives.
import { type DType, isFloat, promote } from '../../core/dtype.js';
import { ValueError } from '../../core/errors.js';
import { broadcastShapes, shapesEqual } from '../../core/shape.js';
import { Tensor, type TensorLike, full, tensor } from '../../core/tensor.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../../backend/kernels.js';
import { hasOpListeners } from '../../core/tape.js';
import { run } from '../dispatch.js';
import { broadcastTo } from '../movement/builders.js';

/** A tensor from a tensor, number or array; numbers take `like`'s dtype (floats stay float). */
export function asTensor(x: TensorLike, like?: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') {
    const dt = like && !(like === 'int32' && !Number.isInteger(x)) ? like : 'float32';
    return full([], x, { dtype: dt });
  }
  if (x === null || x === undefined) throw new ValueError(`expected a tensor or number, got ${x}`);
  return tensor(x, undefined, like ? { dtype: like } : {});
}

export function cast(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : run('cast', [x], { dtype });
}

/** The params of every row that takes none: one shared object, not a new `{}` per op. */
export const NO_PARAMS = Object.freeze({}) as Record<string, never>;

/** Two operands as tensors of one dtype and one broadcast shape. */
function operands(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  // NOTE: the common case first (two tensors of one dtype and shape): nothing to convert, promote or broadcast
  if (a instanceof Tensor && b instanceof Tensor && a.dtype === b.dtype && shapesEqual(a.shape, b.shape))
    return [a, b];
  const ta0 = asTensor(a, b instanceof Tensor ? b.dtype : undefined);
  const tb0 = asTensor(b, ta0.dtype);
  const dt = promote(ta0.dtype, tb0.dtype);
  const [ta, tb] = [cast(ta0, dt), cast(tb0, dt)];
  const shape = broadcastShapes(ta.shape, tb.shape, op);
  return [broadcastTo(ta, shape), broadcastTo(tb, shape)];
}

function binary(op: BinaryOp): (a: TensorLike, b: TensorLike) => Tensor {
  const scalarForm = op === 'add' || op === 'sub' || op === 'mul' || op === 'div';
  return (a, b) => {
    // NOTE: a float tensor and a number take the scalar row: the number is not broadcast into a tensor of the
    // other's size first (one op and one pass over memory fewer; the same values, as it is rounded to the dtype)
    if (scalarForm) {
      if (typeof b === 'number' && a instanceof Tensor && isFloat(a.dtype))
        return run('binaryScalar', [a], { op, s: b, scalarFirst: false });
      if (typeof a === 'number' && b instanceof Tensor && isFloat(b.dtype))
        return run('binaryScalar', [b], { op, s: a, scalarFirst: true });
    }
    if (op === 'add') {
      const bias = biasPair(a, b);
      if (bias !== null) return run('biasAdd', bias, NO_PARAMS);
    }
    return run(op, operands(a, b, op), NO_PARAMS);
  };
}

/**
 * x [..., C] and b [C] of one float dtype, in either order, as the biasAdd row takes them (x first), or null.
 * NOTE: not while ops are traced: traces show the composition broadcastTo → add (the same bits), as for the fused
 * conv and pool rows.
 */
function biasPair(a: TensorLike, b: TensorLike): [Tensor, Tensor] | null {
  if (!(a instanceof Tensor) || !(b instanceof Tensor) || a.dtype !== b.dtype || !isFloat(a.dtype))
    return null;
  let pair: [Tensor, Tensor] | null = null;
  if (b.rank === 1 && a.rank >= 2 && a.shape[a.rank - 1] === b.shape[0]) pair = [a, b];
  else if (a.rank === 1 && b.rank >= 2 && b.shape[b.rank - 1] === a.shape[0]) pair = [b, a];
  return pair !== null && !hasOpListeners() ? pair : null;
}
function compare(op: CompareOp): (a: TensorLike, b: TensorLike) => Tensor {
  const params = Object.freeze({ op });
  return (a, b) => run('compare', operands(a, b, op), params);
}
const unary =
  (op: UnaryOp, floatOnly = true) =>
  (x: TensorLike): Tensor => {
    let t = asTensor(x);
    if (floatOnly && !isFloat(t.dtype)) t = cast(t, 'float32');
    return run(op, [t], NO_PARAMS);
  };

export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
export const div = binary('div');
export const pow = binary('pow');
export const maximum = binary('maximum');
export const minimum = binary('minimum');
/** x > 0 ? g : 0: relu's backward (its vjp rule), one pass over g and x. */
export const reluGrad = binary('reluGrad');

export const equal = compare('eq');
export const notEqual = compare('ne');
export const greater = compare('gt');
export const greaterEqual = compare('ge');
export const less = compare('lt');
export const lessEqual = compare('le');

export const neg = unary('neg', false);
export const exp = unary('exp');
export const log = unary('log');
export const sqrt = unary('sqrt');
export const abs = unary('abs', false);
export const sign = unary('sign', false);
export const relu = unary('relu', false);
export const sigmoid = unary('sigmoid');
export const tanh = unary('tanh');
export const sin = unary('sin');
export const cos = unary('cos');
export const erf = unary('erf');
export const floor = unary('floor');
/** log(1 + x), accurate for tiny x (log1p(1e-8) = 1e-8 in float32). */
export const log1p = unary('log1p');
/** eˣ − 1, accurate for tiny x. */
export const expm1 = unary('expm1');
/** log(1 + eˣ), stable for large |x| and accurate for very negative x; softplus'(x) = σ(x). */
export const softplus = unary('softplus');

/** cond ? a : b, elementwise, all three broadcast together. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = asTensor(cond);
  const [ta, tb] = operands(a, b, 'where');
  const shape = broadcastShapes(c.shape, ta.shape, 'where');
  return run('where', [broadcastTo(c, shape), broadcastTo(ta, shape), broadcastTo(tb, shape)], NO_PARAMS);
}

// Composites of the above (no rules of their own).
export const square = (x: TensorLike): Tensor => mul(x, x);
export const reciprocal = (x: TensorLike): Tensor => div(1, x);
export const rsqrt = (x: TensorLike): Tensor => div(1, sqrt(x));
export const clipByValue = (x: TensorLike, lo: number, hi: number): Tensor => minimum(maximum(x, lo), hi);
