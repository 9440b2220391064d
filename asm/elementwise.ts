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

/** log(1 + e^v) as the JS reference (backend/scalar-math.ts): x + log1p(e^−x) for x > 0, else log1p(e^x). */
// @ts-ignore: decorator
@inline function softplus64(v: f64): f64 {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/**
 * e^x for four lanes with |x| < 87 (callers route other lanes to the scalar path): Cody-Waite reduction
 * x = n·ln2 + r and Cephes' degree-6 polynomial, ~1 ulp.
 */
// @ts-ignore: decorator
@inline export function expf4(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const pow2n = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23); // 2^n as f32 bits
  return f32x4.mul(y, pow2n);
}

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + <usize>i * 4;
}

/**
 * out[i] = f(x[i]); op: 0 neg 1 exp 2 log 3 sqrt 4 abs 5 sign 6 relu 7 sigmoid 8 tanh 9 sin 10 cos 11 erf 12 floor
 * 13 log1p 14 expm1 15 softplus.
 */
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
      else if (op === 6) r = v128.bitselect(v, zero, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v))); // v > 0 or NaN ? v : 0
      else r = f32x4.floor(v);
      v128.store(at(out, i), r);
    }
  } else if (op === 1 || op === 7) {
    // NOTE: exp and sigmoid in f32x4 where every lane has |x| < 87; a block with a larger, infinite or NaN lane
    // takes the exact scalar path below.
    const lim = f32x4.splat(87);
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(at(x, i));
      if (v128.any_true(v128.not(f32x4.lt(f32x4.abs(v), lim)))) {
        for (let j = i; j < i + 4; j++) store<f32>(at(out, j), unaryScalar(op, load<f32>(at(x, j))));
        continue;
      }
      let r: v128;
      if (op === 1) r = expf4(v);
      else {
        // σ(v) = (v >= 0 ? 1 : e) / (1 + e) with e = exp(-|v|): neither branch overflows
        const e = expf4(f32x4.neg(f32x4.abs(v)));
        r = f32x4.div(v128.bitselect(f32x4.splat(1), e, f32x4.ge(v, zero)), f32x4.add(f32x4.splat(1), e));
      }
      v128.store(at(out, i), r);
    }
  }
  for (; i < n; i++) store<f32>(at(out, i), unaryScalar(op, load<f32>(at(x, i))));
}

/** One element of `unary`. */
function unaryScalar(op: i32, v: f32): f32 {
  const d = <f64>v;
  switch (op) {
    case 0: return -v;
    case 1: return <f32>Math.exp(d);
    case 2: return <f32>Math.log(d);
    case 3: return Mathf.sqrt(v);
    case 4: return Mathf.abs(v);
    case 5: return v > 0 ? 1 : v < 0 ? -1 : v; // sign keeps ±0 and NaN
    case 6: return v > 0 || v != v ? v : 0; // relu keeps NaN
    case 7: return <f32>sigmoid64(d);
    case 8: return <f32>Math.tanh(d);
    case 9: return <f32>Math.sin(d);
    case 10: return <f32>Math.cos(d);
    case 11: return <f32>erf64(d);
    case 12: return Mathf.floor(v);
    case 13: return <f32>Math.log1p(d);
    case 14: return <f32>Math.expm1(d);
    default: return <f32>softplus64(d);
  }
}

/** x op y, four lanes at a time; op as in `binary` except 4 (pow, which has no f32x4 form). */
// @ts-ignore: decorator
@inline function binary4(op: i32, x: v128, y: v128): v128 {
  if (op === 0) return f32x4.add(x, y);
  if (op === 1) return f32x4.sub(x, y);
  if (op === 2) return f32x4.mul(x, y);
  if (op === 3) return f32x4.div(x, y);
  if (op === 5) return v128.bitselect(x, y, v128.or(f32x4.ge(x, y), f32x4.ne(x, x)));
  if (op === 6) return v128.bitselect(x, y, v128.or(f32x4.le(x, y), f32x4.ne(x, x)));
  return v128.or(v128.and(x, f32x4.gt(y, f32x4.splat(0))), v128.and(y, f32x4.ne(y, y))); // +0 where y ≤ 0, y's NaN where NaN
}

/** x op y for one pair of values; op as in `binary`. */
// @ts-ignore: decorator
@inline function binary1(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return x / y;
    case 4: return <f32>Math.pow(<f64>x, <f64>y);
    case 5: return x >= y || x != x ? x : y;
    case 6: return x <= y || x != x ? x : y;
    default: return y > 0 ? x : y != y ? y : 0;
  }
}

/** out[i] = a[i] op b[i]; op: 0 add 1 sub 2 mul 3 div 4 pow 5 maximum 6 minimum (a NaN operand propagates, as js.ts) 7 reluGrad (b > 0 ? a : 0; NaN b gives NaN). */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (op !== 4)
    for (; i + 4 <= n; i += 4) v128.store(at(out, i), binary4(op, v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < n; i++) store<f32>(at(out, i), binary1(op, load<f32>(at(a, i)), load<f32>(at(b, i))));
}

/**
 * out[i] = a[i] op s, or s op a[i] when `first` is 1, for one number s passed as its f32 bits (the pool's job table
 * holds i32 arguments); op as in `binary`.
 */
export function binaryScalar(op: i32, a: usize, sBits: i32, first: i32, out: usize, n: i32): void {
  const s = reinterpret<f32>(sBits);
  const sv = f32x4.splat(s);
  let i = 0;
  if (op !== 4)
    for (; i + 4 <= n; i += 4) {
      const x = v128.load(at(a, i));
      v128.store(at(out, i), first ? binary4(op, sv, x) : binary4(op, x, sv));
    }
  for (; i < n; i++) {
    const x = load<f32>(at(a, i));
    store<f32>(at(out, i), first ? binary1(op, s, x) : binary1(op, x, s));
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

/** out[r, c] = x[r, c] + b[c] over `rows` rows of `cols` values: a bias added along the last axis. */
export function biasAdd(x: usize, b: usize, out: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * <usize>cols * 4;
    const or = out + <usize>r * <usize>cols * 4;
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(or, c), f32x4.add(v128.load(at(xr, c)), v128.load(at(b, c))));
    for (; c < cols; c++) store<f32>(at(or, c), load<f32>(at(xr, c)) + load<f32>(at(b, c)));
  }
}
