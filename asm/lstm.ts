// The fused LSTM state update and its gradient (src/backend/lstm.ts has the reference loops and the math), float32,
// four units at a time. Activation codes: 0 sigmoid, 1 tanh, 2 relu, 3 linear.

import { expf4 } from './elementwise';

/** a(v) for four lanes with |v| < 40 (callers route other blocks to the scalar path). */
// @ts-ignore: decorator
@inline function act4(code: i32, v: v128): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (code === 0) {
    // σ(v) = (v >= 0 ? 1 : e) / (1 + e), e = exp(-|v|)
    const e = expf4(f32x4.neg(f32x4.abs(v)));
    return f32x4.div(v128.bitselect(one, e, f32x4.ge(v, zero)), f32x4.add(one, e));
  }
  if (code === 1) {
    // tanh(v) = sign(v)·(1 - e)/(1 + e), e = exp(-2|v|)
    // NOTE: below |v| = 0.625 (1 - e) cancels (10% off at 1e-7, subnormals flushed to ±0): Cephes' tanhf
    // polynomial there, |v| + |v|·z·p(z) with z = v², within 1 ulp (costs the gate kernels ~12%)
    const a = f32x4.abs(v);
    const e = expf4(f32x4.mul(f32x4.splat(-2), a));
    const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
    const z = f32x4.mul(v, v);
    let p = f32x4.add(f32x4.mul(f32x4.splat(-5.70498872745e-3), z), f32x4.splat(2.06390887954e-2));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
    const small = f32x4.add(a, f32x4.mul(f32x4.mul(p, z), a));
    // NOTE: v's sign bit on the magnitude (≥ +0), so tanh(−0) = −0 as Math.tanh and PyTorch
    return v128.or(v128.bitselect(small, t, f32x4.lt(a, f32x4.splat(0.625))), v128.and(v, i32x4.splat(0x80000000)));
  }
  if (code === 2) return v128.bitselect(v, zero, f32x4.gt(v, zero));
  return v;
}

/** a'(v) from the input v and the output y = a(v): σ' = y(1-y), tanh' = 1-y², relu' = [v > 0], linear' = 1. */
// @ts-ignore: decorator
@inline function deriv4(code: i32, v: v128, y: v128): v128 {
  const one = f32x4.splat(1);
  if (code === 0) return f32x4.mul(y, f32x4.sub(one, y));
  if (code === 1) return f32x4.sub(one, f32x4.mul(y, y));
  if (code === 2) return v128.bitselect(one, f32x4.splat(0), f32x4.gt(v, f32x4.splat(0)));
  return one;
}

/** Scalar a(v) in f64, as the JS reference. */
function act1(code: i32, v: f64): f64 {
  if (code === 0) {
    if (v >= 0) return 1 / (1 + Math.exp(-v));
    const e = Math.exp(v);
    return e / (1 + e);
  }
  if (code === 1) return Math.tanh(v);
  if (code === 2) return v > 0 || v != v ? v : 0;
  return v;
}

/** Scalar a'(v) from v and y = a(v); relu'(NaN) is NaN, as the JS reference. */
function deriv1(code: i32, v: f64, y: f64): f64 {
  if (code === 0) return y * (1 - y);
  if (code === 1) return 1 - y * y;
  if (code === 2) return v > 0 ? 1 : v == v ? 0 : NaN;
  return 1;
}

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + <usize>i * 4;
}

/** Whether every lane of v has |v| < 40 (false for NaN): an activation's input the SIMD path may take. */
// @ts-ignore: decorator
@inline function tame(v: v128): bool {
  return i32x4.all_true(f32x4.lt(f32x4.abs(v), f32x4.splat(40)));
}

/** One unit of lstmGates in f64: writes h' and c'. */
function gatesScalar(act: i32, rec: i32, z: usize, c: usize, out: usize, H: i32, j: i32): void {
  const zi = <f64>load<f32>(at(z, j));
  const zf = <f64>load<f32>(at(z, H + j));
  const zc = <f64>load<f32>(at(z, 2 * H + j));
  const zo = <f64>load<f32>(at(z, 3 * H + j));
  const c2 = act1(rec, zf) * <f64>load<f32>(at(c, j)) + act1(rec, zi) * act1(act, zc);
  store<f32>(at(out, j), <f32>(act1(rec, zo) * act1(act, c2)));
  store<f32>(at(out, H + j), <f32>c2);
}

/** out [rows, 2H] = [h' | c'] from z [rows, 4H] and c [rows, H] (rows [r0, r1)). */
export function lstmGates(act: i32, rec: i32, z: usize, c: usize, out: usize, H: i32, r0: i32, r1: i32): void {
  for (let b = r0; b < r1; b++) {
    const zr = at(z, b * 4 * H);
    const cr = at(c, b * H);
    const or = at(out, b * 2 * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const zi = v128.load(at(zr, j));
      const zf = v128.load(at(zr, H + j));
      const zc = v128.load(at(zr, 2 * H + j));
      const zo = v128.load(at(zr, 3 * H + j));
      const cp = v128.load(at(cr, j));
      if (tame(zi) && tame(zf) && tame(zc) && tame(zo)) {
        // c' = s(z_f)·c + s(z_i)·a(z_c)
        const c2 = f32x4.add(f32x4.mul(act4(rec, zf), cp), f32x4.mul(act4(rec, zi), act4(act, zc)));
        if (tame(c2)) {
          v128.store(at(or, j), f32x4.mul(act4(rec, zo), act4(act, c2))); // h' = s(z_o)·a(c')
          v128.store(at(or, H + j), c2);
          continue;
        }
      }
      for (let k = j; k < j + 4; k++) gatesScalar(act, rec, zr, cr, or, H, k);
    }
    for (; j < H; j++) gatesScalar(act, rec, zr, cr, or, H, j);
  }
}

/** One unit of lstmGatesGrad in f64: writes dz_i, dz_f, dz_c, dz_o and dc. */
function gradScalar(act: i32, rec: i32, g: usize, z: usize, c: usize, out: usize, H: i32, j: i32): void {
  const zi = <f64>load<f32>(at(z, j));
  const zf = <f64>load<f32>(at(z, H + j));
  const zc = <f64>load<f32>(at(z, 2 * H + j));
  const zo = <f64>load<f32>(at(z, 3 * H + j));
  const cp = <f64>load<f32>(at(c, j));
  const i = act1(rec, zi);
  const f = act1(rec, zf);
  const u = act1(act, zc);
  const o = act1(rec, zo);
  const c2 = f * cp + i * u;
  const t = act1(act, c2);
  const gh = <f64>load<f32>(at(g, j));
  const dc2 = <f64>load<f32>(at(g, H + j)) + gh * o * deriv1(act, c2, t);
  store<f32>(at(out, j), <f32>(dc2 * u * deriv1(rec, zi, i)));
  store<f32>(at(out, H + j), <f32>(dc2 * cp * deriv1(rec, zf, f)));
  store<f32>(at(out, 2 * H + j), <f32>(dc2 * i * deriv1(act, zc, u)));
  store<f32>(at(out, 3 * H + j), <f32>(gh * t * deriv1(rec, zo, o)));
  store<f32>(at(out, 4 * H + j), <f32>(dc2 * f));
}

/** out [rows, 5H] = [dz_i dz_f dz_c dz_o | dc] from g [rows, 2H], z [rows, 4H] and c [rows, H] (rows [r0, r1)). */
export function lstmGatesGrad(
  act: i32,
  rec: i32,
  g: usize,
  z: usize,
  c: usize,
  out: usize,
  H: i32,
  r0: i32,
  r1: i32,
): void {
  for (let b = r0; b < r1; b++) {
    const gr = at(g, b * 2 * H);
    const zr = at(z, b * 4 * H);
    const cr = at(c, b * H);
    const or = at(out, b * 5 * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const zi = v128.load(at(zr, j));
      const zf = v128.load(at(zr, H + j));
      const zc = v128.load(at(zr, 2 * H + j));
      const zo = v128.load(at(zr, 3 * H + j));
      const cp = v128.load(at(cr, j));
      const gh = v128.load(at(gr, j));
      const gc = v128.load(at(gr, H + j));
      if (tame(zi) && tame(zf) && tame(zc) && tame(zo)) {
        const i = act4(rec, zi);
        const f = act4(rec, zf);
        const u = act4(act, zc);
        const o = act4(rec, zo);
        const c2 = f32x4.add(f32x4.mul(f, cp), f32x4.mul(i, u));
        if (tame(c2)) {
          const t = act4(act, c2);
          // dc' = g_c + g_h·s(z_o)·a'(c')
          const dc2 = f32x4.add(gc, f32x4.mul(f32x4.mul(gh, o), deriv4(act, c2, t)));
          v128.store(at(or, j), f32x4.mul(f32x4.mul(dc2, u), deriv4(rec, zi, i)));
          v128.store(at(or, H + j), f32x4.mul(f32x4.mul(dc2, cp), deriv4(rec, zf, f)));
          v128.store(at(or, 2 * H + j), f32x4.mul(f32x4.mul(dc2, i), deriv4(act, zc, u)));
          v128.store(at(or, 3 * H + j), f32x4.mul(f32x4.mul(gh, t), deriv4(rec, zo, o)));
          v128.store(at(or, 4 * H + j), f32x4.mul(dc2, f));
          continue;
        }
      }
      for (let k = j; k < j + 4; k++) gradScalar(act, rec, gr, zr, cr, or, H, k);
    }
    for (; j < H; j++) gradScalar(act, rec, gr, zr, cr, or, H, j);
  }
}
