// ONNX FLOAT16 (IEEE binary16) and BFLOAT16 values: bit patterns ↔ numbers for TensorProtos, and rounding a tensor
// through either format as tapegrad ops (Cast to FLOAT16 / BFLOAT16).
// NOTE: tapegrad has no 16-bit float dtype: FLOAT16 and BFLOAT16 values are held (and computed) in float32, which
// holds every one of them exactly. Outputs declared FLOAT16 come back as float32 tensors; a Cast to a 16-bit type
// rounds to the nearest representable value (ties to even, overflow to ±Infinity), as ONNX Runtime's fp16 cast.
import { Tensor } from '../../core/tensor.js';
import {
  abs,
  add,
  cast,
  div,
  equal,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  mul,
  pow,
  sign,
  sub,
  where,
} from '../../ops/elementwise/builders.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits → number (subnormals, ±Infinity and NaN included). */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** number → binary16 bits, rounded to nearest, ties to even (from the float64 value, as one rounding). */
export function numberToHalf(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const s = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return s | 0x7c00; // above the largest half (65504) by half an ulp or more: infinity
  // the exponent (subnormals: below 2^-14, counted in units of 2^-24) and x / ulp rounded to even
  const e0 = Math.floor(Math.log2(a));
  const e = a < 2 ** -14 ? -15 : 2 ** e0 > a ? e0 - 1 : 2 ** (e0 + 1) <= a ? e0 + 1 : e0;
  const q = a / 2 ** (Math.max(e, -14) - 10);
  const f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  // a carry out of the significand (r = 2^11, or 2^10 from a subnormal) lands on the next exponent's bits
  return s | (e < -14 ? r : ((e + 15) << 10) + r - 1024);
}

/** bfloat16 bits (the upper half of a float32) → number. */
export function bfloat16ToNumber(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** number → bfloat16 bits: the float32 value rounded to 8 significant bits, ties to even; NaN stays NaN. */
export function numberToBfloat16(v: number): number {
  f32[0] = v;
  const bits = u32[0];
  if (Number.isNaN(f32[0])) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The two 16-bit float formats: significant bits, least normal exponent, and the magnitude that rounds to ∞. */
const FORMATS = {
  float16: { p: 11, emin: -14, overflow: 65520 },
  bfloat16: { p: 8, emin: -126, overflow: (2 - 2 ** -8) * 2 ** 127 },
} as const;

/** Round half to even of a float tensor (floor, +1 above .5, the even neighbour at exactly .5). */
function roundEven(x: Tensor): Tensor {
  const f = floor(x);
  const d = sub(x, f);
  const odd = sub(f, mul(floor(div(f, 2)), 2));
  return where(equal(d, 0.5), add(f, odd), add(f, cast(greater(d, 0.5), x.dtype)));
}

/**
 * x rounded to the nearest float16 / bfloat16 value (in x's float dtype; integers go through float64), as
 * tapegrad ops: the exponent from log2 (corrected by exact powers of two), then x / ulp rounded to even.
 * The gradient passes straight through (the rounding's own derivative is zero almost everywhere; PyTorch's
 * x.half().float() has gradient 1 too).
 */
export function roundThrough16(x: Tensor, format: keyof typeof FORMATS): Tensor {
  const { p, emin, overflow } = FORMATS[format];
  const xf = x.dtype === 'int32' ? cast(x, 'float64') : x;
  const v = xf.detach();
  const a = abs(v);
  const e0 = floor(div(log(a), Math.LN2));
  // log2 can be off by one next to a power of two: step down if 2^e > |x|, up if 2^(e+1) ≤ |x|
  const e1 = sub(e0, cast(greater(pow(2, e0), a), v.dtype));
  const e = maximum(add(e1, cast(lessEqual(pow(2, add(e1, 1)), a), v.dtype)), emin);
  const ulp = pow(2, sub(e, p - 1));
  const q = mul(roundEven(div(v, ulp)), ulp);
  // ±∞ past the largest value; a zero keeps x's sign (−0, and negatives that round to zero, are −0)
  const r = where(greaterEqual(a, overflow), mul(sign(v), Infinity), where(equal(q, 0), mul(v, 0), q));
  // the value of the rounding, the gradient of the identity (0 where x is not finite, where x − x is NaN);
  // subtracted, since −0 − (+0) stays −0 where −0 + (+0) would not
  return sub(r, where(less(a, Infinity), sub(v, xf), 0));
}
