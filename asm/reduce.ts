// Float32 reductions over the middle axis of [outer, mid, inner]: sum (accumulated in f64, as the JS
// reference does), max (NaN propagates), and argmax (first maximum).

/** out[o, j] = Σ_m x[o, m, j]; `acc` is max(inner, 16) f64 of scratch. */
export function reduceSum(x: usize, outer: i32, mid: i32, inner: i32, out: usize, acc: usize): void {
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>mid * <usize>inner * 4;
    if (inner === 1) {
      let s: f64 = 0;
      for (let m = 0; m < mid; m++) s += <f64>load<f32>(base + <usize>m * 4);
      store<f32>(out + <usize>o * 4, <f32>s);
      continue;
    }
    memory.fill(acc, 0, <usize>inner * 8);
    let m0 = 0;
    if (inner <= 16 && mid * inner >= 16) {
      // NOTE: a narrow row (a bias gradient over a few channels) keeps its sums in 8 f64x2 registers: summed in
      // memory, each row waits on the previous row's store (~9 cycles a row). Rows whose 16-float load stays inside
      // x[o] run here (lanes past `inner` read the next row and are dropped); the rest continue in memory below.
      // Every lane still adds its values in order, so the bits are the same.
      const mFast = mid - (16 + inner - 1) / inner + 1;
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
      for (let m = 0; m < mFast; m++) {
        const row = base + <usize>(m * inner) * 4;
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v128.load64_zero(row)));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.load64_zero(row, 8)));
        a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v128.load64_zero(row, 16)));
        a3 = f64x2.add(a3, f64x2.promote_low_f32x4(v128.load64_zero(row, 24)));
        a4 = f64x2.add(a4, f64x2.promote_low_f32x4(v128.load64_zero(row, 32)));
        a5 = f64x2.add(a5, f64x2.promote_low_f32x4(v128.load64_zero(row, 40)));
        a6 = f64x2.add(a6, f64x2.promote_low_f32x4(v128.load64_zero(row, 48)));
        a7 = f64x2.add(a7, f64x2.promote_low_f32x4(v128.load64_zero(row, 56)));
      }
      v128.store(acc, a0);
      v128.store(acc, a1, 16);
      v128.store(acc, a2, 32);
      v128.store(acc, a3, 48);
      v128.store(acc, a4, 64);
      v128.store(acc, a5, 80);
      v128.store(acc, a6, 96);
      v128.store(acc, a7, 112);
      m0 = mFast;
    }
    for (let m = m0; m < mid; m++) {
      const row = base + <usize>(m * inner) * 4;
      let j = 0;
      for (; j + 2 <= inner; j += 2) {
        const p = acc + <usize>j * 8;
        v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v128.load64_zero(row + <usize>j * 4))));
      }
      for (; j < inner; j++) store<f64>(acc + <usize>j * 8, load<f64>(acc + <usize>j * 8) + <f64>load<f32>(row + <usize>j * 4));
    }
    const dst = out + <usize>(o * inner) * 4;
    for (let j = 0; j < inner; j++) store<f32>(dst + <usize>j * 4, <f32>load<f64>(acc + <usize>j * 8));
  }
}

/** out[o, j] = max_m x[o, m, j] (−∞ for mid 0; a NaN anywhere gives NaN). */
export function reduceMax(x: usize, outer: i32, mid: i32, inner: i32, out: usize): void {
  const ninf = f32x4.splat(-Infinity);
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>mid * <usize>inner * 4;
    const dst = out + <usize>(o * inner) * 4;
    let j = 0;
    for (; j + 4 <= inner; j += 4) {
      let acc = ninf;
      for (let m = 0; m < mid; m++) {
        const v = v128.load(base + <usize>(m * inner + j) * 4);
        acc = v128.bitselect(v, acc, v128.or(f32x4.gt(v, acc), f32x4.ne(v, v)));
      }
      v128.store(dst + <usize>j * 4, acc);
    }
    for (; j < inner; j++) {
      let acc: f32 = -Infinity;
      for (let m = 0; m < mid; m++) {
        const v = load<f32>(base + <usize>(m * inner + j) * 4);
        if (v > acc || v != v) acc = v;
      }
      store<f32>(dst + <usize>j * 4, acc);
    }
  }
}

/**
 * Index of the first NaN or ±Inf among x[0..n), or -1: v − v is +0 for every finite v and NaN otherwise.
 * NOTE: blocks of 64 floats add their v − v into 4 accumulators; a block that ends with a NaN lane is scanned for the
 * index. Exact for every input (a sum of the values themselves overflows to Inf for large finite ones).
 */
export function firstNonFinite(x: usize, n: i32): i32 {
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    const p = x + <usize>i * 4;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let j: usize = 0; j < 256; j += 64) {
      const v0 = v128.load(p + j), v1 = v128.load(p + j, 16), v2 = v128.load(p + j, 32), v3 = v128.load(p + j, 48);
      a0 = f32x4.add(a0, f32x4.sub(v0, v0));
      a1 = f32x4.add(a1, f32x4.sub(v1, v1));
      a2 = f32x4.add(a2, f32x4.sub(v2, v2));
      a3 = f32x4.add(a3, f32x4.sub(v3, v3));
    }
    const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    if (v128.any_true(f32x4.ne(s, s))) break; // the scan below starts at this block
  }
  for (; i < n; i++) {
    const v = load<f32>(x + <usize>i * 4);
    if (v - v != 0) return i;
  }
  return -1;
}

/** out[o, j] = index of the first maximum along m (the first NaN wins, as NumPy's argmax). */
export function argmax(x: usize, outer: i32, mid: i32, inner: i32, out: usize): void {
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>mid * <usize>inner * 4;
    for (let j = 0; j < inner; j++) {
      let best = 0;
      let bv: f32 = -Infinity;
      for (let m = 0; m < mid; m++) {
        const v = load<f32>(base + <usize>(m * inner + j) * 4);
        if (v > bv || (v != v && bv == bv)) {
          bv = v;
          best = m;
        }
      }
      store<i32>(out + <usize>(o * inner + j) * 4, best);
    }
  }
}
