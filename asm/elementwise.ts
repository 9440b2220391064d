// Elementwise float32 kernels over [i0,i1): unary, binary, compare and where. Cheap ops run as f32x4;
// transcendental ones evaluate in f64 (as the JS reference does) and round once to f32.

/** erf to ~1e-14, the same series / continued fraction as the JS reference. */
function erf64(x: f64): f64 {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / <f64>n;
      const add = term / <f64>(2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let f = ax;
  let C = ax;
  let D: f64 = 0;
  for (let i = 1; i < 200; i++) {
    const a = <f64>i / 2;
    D = ax + a * D;
    D = D === 0 ? 1e-300 : 1 / D;
    C = ax + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

// @ts-ignore: decorator
@inline function sigmoid64(v: f64): f64 {
  // NOTE: split by sign so neither branch overflows exp.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + <usize>i * 4;
}

/** out[i] = f(x[i]); op: 0 neg 1 exp 2 log 3 sqrt 4 abs 5 sign 6 relu 7 sigmoid 8 tanh 9 sin 10 cos 11 erf 12 floor. */
export function unary(op: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  if (op === 0 || op === 3 || op === 4 || op === 6 || op === 12) {
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(at(x, i));
      let r: v128;
      if (op === 0) r = f32x4.neg(v);
      else if (op === 3) r = f32x4.sqrt(v);
      else if (op === 4) r = f32x4.abs(v);
      else if (op === 6) r = v128.bitselect(v, zero, f32x4.gt(v, zero)); // v > 0 ? v : 0 (NaN → 0)
      else r = f32x4.floor(v);
      v128.store(at(out, i), r);
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(at(x, i));
    const d = <f64>v;
    let r: f32;
    switch (op) {
      case 0: r = -v; break;
      case 1: r = <f32>Math.exp(d); break;
      case 2: r = <f32>Math.log(d); break;
      case 3: r = Mathf.sqrt(v); break;
      case 4: r = Mathf.abs(v); break;
      case 5: r = v > 0 ? 1 : v < 0 ? -1 : v; break; // sign keeps ±0 and NaN
      case 6: r = v > 0 ? v : 0; break;
      case 7: r = <f32>sigmoid64(d); break;
      case 8: r = <f32>Math.tanh(d); break;
      case 9: r = <f32>Math.sin(d); break;
      case 10: r = <f32>Math.cos(d); break;
      case 11: r = <f32>erf64(d); break;
      default: r = Mathf.floor(v);
    }
    store<f32>(at(out, i), r);
  }
}

/** out[i] = a[i] op b[i]; op: 0 add 1 sub 2 mul 3 div 4 pow 5 maximum (a >= b ? a : b) 6 minimum (a <= b ? a : b). */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (op !== 4) {
    for (; i + 4 <= n; i += 4) {
      const x = v128.load(at(a, i));
      const y = v128.load(at(b, i));
      let r: v128;
      if (op === 0) r = f32x4.add(x, y);
      else if (op === 1) r = f32x4.sub(x, y);
      else if (op === 2) r = f32x4.mul(x, y);
      else if (op === 3) r = f32x4.div(x, y);
      else if (op === 5) r = v128.bitselect(x, y, f32x4.ge(x, y));
      else r = v128.bitselect(x, y, f32x4.le(x, y));
      v128.store(at(out, i), r);
    }
  }
  for (; i < n; i++) {
    const x = load<f32>(at(a, i));
    const y = load<f32>(at(b, i));
    let r: f32;
    switch (op) {
      case 0: r = x + y; break;
      case 1: r = x - y; break;
      case 2: r = x * y; break;
      case 3: r = x / y; break;
      case 4: r = <f32>Math.pow(<f64>x, <f64>y); break;
      case 5: r = x >= y ? x : y; break;
      default: r = x <= y ? x : y;
    }
    store<f32>(at(out, i), r);
  }
}

/** out[i] = (a[i] op b[i]) ? 1 : 0; op: 0 eq 1 ne 2 gt 3 ge 4 lt 5 le. */
export function compare(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x = v128.load(at(a, i));
    const y = v128.load(at(b, i));
    let m: v128;
    if (op === 0) m = f32x4.eq(x, y);
    else if (op === 1) m = f32x4.ne(x, y);
    else if (op === 2) m = f32x4.gt(x, y);
    else if (op === 3) m = f32x4.ge(x, y);
    else if (op === 4) m = f32x4.lt(x, y);
    else m = f32x4.le(x, y);
    v128.store(at(out, i), v128.and(m, one));
  }
  for (; i < n; i++) {
    const x = load<f32>(at(a, i));
    const y = load<f32>(at(b, i));
    let t: bool;
    switch (op) {
      case 0: t = x == y; break;
      case 1: t = x != y; break;
      case 2: t = x > y; break;
      case 3: t = x >= y; break;
      case 4: t = x < y; break;
      default: t = x <= y;
    }
    store<f32>(at(out, i), t ? 1 : 0);
  }
}

/** out[i] = cond[i] != 0 ? a[i] : b[i]; cond is f32 (condInt false) or i32 (condInt true). */
export function where(cond: usize, condInt: bool, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) {
    const c = v128.load(at(cond, i));
    const m = condInt ? v128.not(i32x4.eq(c, zero)) : f32x4.ne(c, zero);
    v128.store(at(out, i), v128.bitselect(v128.load(at(a, i)), v128.load(at(b, i)), m));
  }
  for (; i < n; i++) {
    const t = condInt ? load<i32>(at(cond, i)) != 0 : load<f32>(at(cond, i)) != 0;
    store<f32>(at(out, i), t ? load<f32>(at(a, i)) : load<f32>(at(b, i)));
  }
}
