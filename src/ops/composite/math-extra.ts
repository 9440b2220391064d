// TF.js's remaining elementwise math (inverse and hyperbolic trigonometry, atan2, round, mod, floorDiv, step, prelu,
// isNaN/isInf/isFinite, the logical ops), each a composition of tapegrad ops, so gradients are derived.
// Tests (Boolean results) follow tg.equal: 1 and 0 in the operands' dtype (tapegrad has no bool dtype); the logical
// ops read any nonzero value as true.
import { isFloat } from '../../core/dtype.js';
import { ShapeError } from '../../core/errors.js';
import { broadcastShapes, shapesEqual } from '../../core/shape.js';
import { Tensor, type TensorLike, full } from '../../core/tensor.js';
import {
  abs,
  add,
  asTensor,
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
  square,
  sub,
  where,
} from '../elementwise/builders.js';

/**
 * f on x in float64, rounded back once to x's float dtype (int32 gives float32, as tg.sin does).
 * NOTE: the compositions below take several roundings; in float64 they are exact to float32's last bit, as TF.js's
 * Math.* on the cpu backend is.
 */
function viaF64(x: TensorLike, f: (t: Tensor) => Tensor): Tensor {
  const t = asTensor(x);
  const out = t.dtype === 'float64' ? 'float64' : 'float32';
  return cast(f(cast(t, 'float64')), out);
}

/**
 * atan(x): |x| > 1 is folded to 1/x (atan x = sign(x)·π/2 − atan(1/x)), two half-angle steps t → t/(1+√(1+t²))
 * bring |t| ≤ tan(π/16), and a 10-term odd Taylor series finishes (error < 1e-13).
 * NOTE: 1/x reads a safe x (1 where |x| ≤ 1), so the branch where() drops has no Inf whose gradient would be NaN.
 */
function atan64(x: Tensor): Tensor {
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
const asin64 = (x: Tensor): Tensor => atan64(div(x, sqrt(mul(sub(1, x), add(x, 1)))));

/**
 * asinh x = sign(x)·asinh|x|: for |x| ≤ 1, log1p(a + a²/(1 + √(a²+1))) (exact near 0); above, log a + log1p(√(1 + 1/a²))
 * (no a² to overflow). NOTE: each branch reads a safe argument, so the one where() drops has a finite gradient.
 */
function asinh64(x: Tensor): Tensor {
  const a = abs(x);
  const big = greater(a, 1);
  const s = where(big, 0, a);
  const b = where(big, a, 1);
  const small = log1p(add(s, div(mul(s, s), add(sqrt(add(mul(s, s), 1)), 1))));
  const large = add(log(b), log1p(sqrt(add(div(1, mul(b, b)), 1))));
  return mul(sign(x), where(big, large, small));
}
/** acosh x (x ≥ 1): log1p(t + √(t(t+2))) with t = x − 1 below 2, log x + log1p(√(1 − 1/x²)) above (no x² to overflow). */
function acosh64(x: Tensor): Tensor {
  const big = greater(x, 2);
  const t = sub(where(big, 1, x), 1);
  const b = where(big, x, 2);
  const small = log1p(add(t, sqrt(mul(t, add(t, 2)))));
  const large = add(log(b), log1p(sqrt(sub(1, div(1, mul(b, b))))));
  return where(big, large, small);
}

/** tan x = sin x / cos x. */
export const tan = (x: TensorLike): Tensor => viaF64(x, (t) => div(sin(t), cos(t)));
/** atan x, in (−π/2, π/2). */
export const atan = (x: TensorLike): Tensor => viaF64(x, atan64);
/** asin x, NaN outside [−1, 1]. */
export const asin = (x: TensorLike): Tensor => viaF64(x, asin64);
/** acos x = π/2 − asin x. */
export const acos = (x: TensorLike): Tensor => viaF64(x, (t) => sub(Math.PI / 2, asin64(t)));
/** sinh x = (expm1(x) − expm1(−x))/2 (no cancellation near 0). */
export const sinh = (x: TensorLike): Tensor => viaF64(x, (t) => div(sub(expm1(t), expm1(mul(t, -1))), 2));
/** cosh x = (eˣ + e⁻ˣ)/2. */
export const cosh = (x: TensorLike): Tensor => viaF64(x, (t) => div(add(exp(t), exp(mul(t, -1))), 2));
/** asinh x, odd, without overflow for large |x|. */
export const asinh = (x: TensorLike): Tensor => viaF64(x, asinh64);
/** acosh x, NaN below 1. */
export const acosh = (x: TensorLike): Tensor => viaF64(x, acosh64);
/** atanh x = (log1p(x) − log1p(−x))/2, ±Inf at ±1. */
export const atanh = (x: TensorLike): Tensor => viaF64(x, (t) => div(sub(log1p(t), log1p(mul(t, -1))), 2));

/** Two operands in float64 (ints and float32 are exact there) and the dtype they promote to. */
function pair64(a: TensorLike, b: TensorLike): [Tensor, Tensor, Tensor['dtype']] {
  const ta = asTensor(a, b instanceof Tensor ? b.dtype : undefined);
  const tb = asTensor(b, ta.dtype);
  const dt =
    ta.dtype === tb.dtype
      ? ta.dtype
      : ta.dtype === 'float64' || tb.dtype === 'float64'
        ? 'float64'
        : 'float32';
  return [cast(ta, 'float64'), cast(tb, 'float64'), dt];
}

/**
 * atan2(a, b), the angle of the point (b, a) in (−π, π], as Math.atan2: atan(a/b), ± π where b < 0, ±π/2 on b = 0.
 * NOTE: zeros are not told apart by sign: atan2(±0, −1) = π and atan2(±0, −0) = 0 (Math.atan2 gives ±π there).
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  const [y, x, dt] = pair64(a, b);
  const zero = equal(x, 0);
  const r = atan64(div(y, where(zero, 1, x)));
  // the half plane b < 0: shift by π toward a's side (a ≥ 0 up, a < 0 down)
  const shifted = where(less(y, 0), sub(r, Math.PI), add(r, Math.PI));
  const off = where(less(x, 0), shifted, r);
  return cast(where(zero, mul(sign(y), Math.PI / 2), off), dt === 'int32' ? 'float32' : dt);
}

/** Round half to even (TF.js's round): floor, +1 above .5, and at exactly .5 the even neighbour; int32 unchanged. */
export function round(x: TensorLike): Tensor {
  const t = asTensor(x);
  if (!isFloat(t.dtype)) return t;
  const f = floor(t);
  const d = sub(t, f);
  const odd = sub(f, mul(floor(div(f, 2)), 2));
  return where(equal(d, 0.5), add(f, odd), add(f, greater(d, 0.5)));
}

/**
 * TF.js's mod: the floor modulus a − b·⌊a/b⌋, which takes the divisor's sign (Python's %); x mod 0 is NaN (0 for
 * int32). Gradients: 1 for a, −⌊a/b⌋ for b (as TF.js).
 * NOTE: computed in float64 (exact for int32 and float32 operands) and rounded once to their promoted dtype.
 */
export function mod(a: TensorLike, b: TensorLike): Tensor {
  const [x, y, dt] = pair64(a, b);
  return cast(sub(x, mul(y, floor(div(x, y)))), dt);
}

/**
 * TF.js's floorDiv: ⌊a/b⌋ as int32 (whatever the operands' dtype, as TF.js; a division by 0 gives 0).
 * NOTE: an int32 result carries no gradient (TF.js passes div's gradient through its int32 output).
 */
export function floorDiv(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = pair64(a, b);
  return cast(floor(div(x, y)), 'int32');
}

/** (a − b)², broadcast. */
export const squaredDifference = (a: TensorLike, b: TensorLike): Tensor => square(sub(a, b));

/** TF.js's step: 1 where x > 0, alpha elsewhere, NaN stays NaN; no gradient (0). */
export function step(x: TensorLike, alpha = 0): Tensor {
  const t = asTensor(x);
  const one = full([], 1, { dtype: t.dtype });
  // int32 inputs round alpha toward 0, as TF.js stores it into an int32 result
  const lo = full([], t.dtype === 'int32' ? Math.trunc(alpha) : alpha, { dtype: t.dtype });
  const s = where(greater(t, 0), one, lo);
  return isFloat(t.dtype) ? where(notEqual(t, t), t, s) : s;
}

/**
 * TF.js's prelu: x where x > 0, alpha·x elsewhere; alpha broadcasts to x's shape (gradient at 0: alpha for x, as TF.js).
 */
export function prelu(x: TensorLike, alpha: TensorLike): Tensor {
  const t = asTensor(x);
  const a = asTensor(alpha, t.dtype);
  if (!shapesEqual(broadcastShapes(t.shape, a.shape, 'prelu'), t.shape))
    throw new ShapeError(`prelu: alpha of shape [${a.shape}] does not broadcast to x's shape [${t.shape}]`);
  return where(greater(t, 0), t, mul(a, t));
}

/** 1 where x is NaN, else 0, in x's dtype (as tg.equal). */
export const isNaN = (x: TensorLike): Tensor => {
  const t = asTensor(x);
  return notEqual(t, t);
};
/** 1 where x is ±Inf, else 0. */
export const isInf = (x: TensorLike): Tensor => {
  const t = asTensor(x);
  return isFloat(t.dtype) ? equal(abs(t), Infinity) : notEqual(t, t);
};
/** 1 where x is finite (neither NaN nor ±Inf): x − x is 0 exactly there. */
export const isFinite = (x: TensorLike): Tensor => {
  const t = asTensor(x);
  return equal(sub(t, t), 0);
};

// The logical ops: any nonzero value is true; results are 1/0 in the operands' promoted dtype.
const truth = (x: TensorLike): Tensor => notEqual(asTensor(x), 0);
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => mul(truth(a), truth(b));
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => maximum(truth(a), truth(b));
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => notEqual(truth(a), truth(b));
export const logicalNot = (x: TensorLike): Tensor => equal(asTensor(x), 0);
