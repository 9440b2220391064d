// log-softmax over the middle axis of [outer, mid, inner] in one pass per row: the logSoftmaxFused row's kernel.
import { expf4, unary } from './elementwise';

/** e^v for four lanes with v ≤ 0; lanes below −87 (e^v < 2⁻¹²⁵, nothing next to the row's e⁰ = 1) take e^−87. */
// @ts-ignore: decorator
@inline function expNeg4(v: v128): v128 {
  return expf4(f32x4.max(v, f32x4.splat(-87))); // NOTE: f32x4.max keeps a NaN lane NaN
}

/** log Σ e^x from the row's maximum m and Σ e^(x − m), in f64; a non-finite m gives the composition's values. */
// @ts-ignore: decorator
@inline function lse(m: f32, s: f64): f64 {
  // NaN (a NaN in the row) and +∞ give NaN, so the whole row is NaN (PyTorch); −∞ (a row of −∞, or no values) −∞,
  // so x − (−∞) is NaN for −∞ entries, as the JS reference and the composition (ops/composite/activations.ts)
  if (m - m != 0) return m == Infinity ? NaN : <f64>m;
  return <f64>m + Math.log(s);
}

/** x − l for four lanes, subtracted in f64 and rounded once (as the JS reference). */
// @ts-ignore: decorator
@inline function minus4(x: v128, l: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(x), l));
  const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)), l));
  return i32x4.shuffle(lo, hi, 0, 1, 4, 5);
}

/**
 * out[o, ·, j] = x[o, ·, j] − log Σ_m e^x[o, m, j]: the maximum first (NaN propagates), then Σ e^(x − max) summed in
 * f64, then x − lse in f64, rounded once. Rows of contiguous values (inner 1) run four lanes at a time (e^ as the
 * f32x4 polynomial, ≤ 2 ulp); the rest, a row's tail and other layouts, a value at a time with the f64 e^ of the
 * exp kernel's scalar path.
 */
export function logSoftmax(x: usize, outer: i32, mid: i32, inner: i32, out: usize): void {
  const stride = <usize>inner * 4;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      const base = (<usize>o * <usize>mid * <usize>inner + <usize>j) * 4;
      const src = x + base;
      const dst = out + base;
      let m: f32 = -Infinity;
      for (let k = 0; k < mid; k++) {
        const v = load<f32>(src + <usize>k * stride);
        if (v > m || v != v) m = v;
      }
      let s: f64 = 0;
      let k = 0;
      if (inner === 1) {
        const mv = f32x4.splat(m);
        let a0 = f64x2.splat(0);
        let a1 = f64x2.splat(0);
        for (; k + 4 <= mid; k += 4) {
          const e = expNeg4(f32x4.sub(v128.load(src + <usize>k * 4), mv));
          a0 = f64x2.add(a0, f64x2.promote_low_f32x4(e));
          a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
        }
        const a = f64x2.add(a0, a1);
        s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
      }
      for (; k < mid; k++) s += Math.exp(<f64>load<f32>(src + <usize>k * stride) - <f64>m);
      const l = lse(m, s);
      k = 0;
      if (inner === 1) {
        const lv = f64x2.splat(l);
        for (; k + 4 <= mid; k += 4) v128.store(dst + <usize>k * 4, minus4(v128.load(src + <usize>k * 4), lv));
      }
      for (; k < mid; k++) store<f32>(dst + <usize>k * stride, <f32>(<f64>load<f32>(src + <usize>k * stride) - l));
    }
}

/**
 * out[o, ·, j] = g[o, ·, j] − e^y[o, ·, j] · Σ_m g[o, m, j]: the gradient of log-softmax (y its output) along the
 * middle axis of [outer, mid, inner], with the bits of the composition exp → sum → mul → sub: e^y by the `exp` kernel
 * itself over the whole array (its f32x4 polynomial where four lanes in a row have |y| < 87, f64 otherwise), Σ g in
 * f64 rounded once, then the product and the difference in f32.
 */
export function logSoftmaxGrad(g: usize, y: usize, outer: i32, mid: i32, inner: i32, out: usize): void {
  unary(1, y, out, outer * mid * inner); // out = e^y
  const stride = <usize>inner * 4;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      const base = (<usize>o * <usize>mid * <usize>inner + <usize>j) * 4;
      let s: f64 = 0;
      for (let k = 0; k < mid; k++) s += <f64>load<f32>(g + base + <usize>k * stride);
      const s32 = <f32>s;
      let k = 0;
      if (inner === 1) {
        const sv = f32x4.splat(s32);
        for (; k + 4 <= mid; k += 4) {
          const at = base + <usize>k * 4;
          v128.store(out + at, f32x4.sub(v128.load(g + at), f32x4.mul(v128.load(out + at), sv)));
        }
      }
      for (; k < mid; k++) {
        const at = base + <usize>k * stride;
        store<f32>(out + at, load<f32>(g + at) - load<f32>(out + at) * s32);
      }
    }
}
