// Per-channel kernels of batch normalization over x viewed as [outer, C, inner] (channel axis in the middle: inner = 1
// channels-last, H·W for NCHW): moments, the affine map (x − m)·s + b, and [Σ a | Σ a·(x − m)]. The same bits as the
// JS reference (src/backend/channel.ts): every float32 step rounded as the elementwise kernels do, each channel's sum
// accumulated in f64 in index order by one thread (threads split the channels).

const SUM: i32 = 0; // Σ x
const SQ: i32 = 1; // Σ (x − m)²
const DOT: i32 = 2; // Σ a·(x − m)

// @ts-ignore: decorator
@inline function termV(mode: i32, a: v128, x: v128, m: v128): v128 {
  if (mode == SUM) return x;
  const d = f32x4.sub(x, m);
  return mode == SQ ? f32x4.mul(d, d) : f32x4.mul(a, d);
}

// @ts-ignore: decorator
@inline function termS(mode: i32, a: f32, x: f32, m: f32): f64 {
  if (mode == SUM) return <f64>x;
  const d = x - m;
  return <f64>(mode == SQ ? d * d : a * d);
}

// @ts-ignore: decorator
@inline function addLow(acc: v128, t: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(t));
}
// @ts-ignore: decorator
@inline function addHigh(acc: v128, t: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(i32x4.shuffle(t, t, 2, 3, 2, 3)));
}

/**
 * acc[c..c+16) = Σ term over the rows of channels-last x [rows, C], in eight f64x2 registers; with `pair` (DOT) also
 * acc2[c..c+16) = Σ a.
 * NOTE: summed in memory, each row's add waits on the previous row's store; 16 channels are one cache line a row.
 */
function sums16(mode: i32, a: usize, x: usize, m: usize, rows: i32, C: i32, acc: usize, acc2: usize, c: i32): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
  let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
  let b4 = f64x2.splat(0), b5 = f64x2.splat(0), b6 = f64x2.splat(0), b7 = f64x2.splat(0);
  const mc = m + <usize>c * 4;
  const m0 = v128.load(mc), m1 = v128.load(mc, 16), m2 = v128.load(mc, 32), m3 = v128.load(mc, 48);
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>C + <usize>c) * 4;
    const xr = x + off, ar = a + off;
    const v0 = v128.load(ar), v1 = v128.load(ar, 16), v2 = v128.load(ar, 32), v3 = v128.load(ar, 48);
    const t0 = termV(mode, v0, v128.load(xr), m0);
    const t1 = termV(mode, v1, v128.load(xr, 16), m1);
    const t2 = termV(mode, v2, v128.load(xr, 32), m2);
    const t3 = termV(mode, v3, v128.load(xr, 48), m3);
    a0 = addLow(a0, t0);
    a1 = addHigh(a1, t0);
    a2 = addLow(a2, t1);
    a3 = addHigh(a3, t1);
    a4 = addLow(a4, t2);
    a5 = addHigh(a5, t2);
    a6 = addLow(a6, t3);
    a7 = addHigh(a7, t3);
    if (mode == DOT) {
      b0 = addLow(b0, v0);
      b1 = addHigh(b1, v0);
      b2 = addLow(b2, v1);
      b3 = addHigh(b3, v1);
      b4 = addLow(b4, v2);
      b5 = addHigh(b5, v2);
      b6 = addLow(b6, v3);
      b7 = addHigh(b7, v3);
    }
  }
  let p = acc + <usize>c * 8;
  v128.store(p, a0);
  v128.store(p, a1, 16);
  v128.store(p, a2, 32);
  v128.store(p, a3, 48);
  v128.store(p, a4, 64);
  v128.store(p, a5, 80);
  v128.store(p, a6, 96);
  v128.store(p, a7, 112);
  if (mode != DOT) return;
  p = acc2 + <usize>c * 8;
  v128.store(p, b0);
  v128.store(p, b1, 16);
  v128.store(p, b2, 32);
  v128.store(p, b3, 48);
  v128.store(p, b4, 64);
  v128.store(p, b5, 80);
  v128.store(p, b6, 96);
  v128.store(p, b7, 112);
}

/** acc[c] = Σ term over the rows of channels-last x [rows, C] for c in [c0, c1) (DOT: acc2[c] = Σ a). */
function sumsLast(mode: i32, a: usize, x: usize, m: usize, rows: i32, C: i32, acc: usize, acc2: usize, c0: i32, c1: i32): void {
  let cs = c0;
  for (; cs + 16 <= c1; cs += 16) sums16(mode, a, x, m, rows, C, acc, acc2, cs);
  if (cs == c1) return;
  memory.fill(acc + <usize>cs * 8, 0, <usize>(c1 - cs) * 8);
  memory.fill(acc2 + <usize>cs * 8, 0, <usize>(c1 - cs) * 8);
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * <usize>C * 4;
    for (let c = cs; c < c1; c++) {
      const at = <usize>c * 4;
      const av = load<f32>(a + off + at);
      const p = acc + <usize>c * 8;
      store<f64>(p, load<f64>(p) + termS(mode, av, load<f32>(x + off + at), load<f32>(m + at)));
      if (mode == DOT) store<f64>(acc2 + <usize>c * 8, load<f64>(acc2 + <usize>c * 8) + <f64>av);
    }
  }
}

/**
 * acc[c] = Σ term over channel c's blocks of `inner` values (x [outer, C, inner], inner > 1) for c in [c0, c1); DOT:
 * acc2[c] = Σ a.
 * NOTE: four channels at a time, each summed in order: independent f64 chains instead of one that waits on every add.
 */
function sumsBlocks(mode: i32, a: usize, x: usize, m: usize, outer: i32, C: i32, inner: i32, acc: usize, acc2: usize, c0: i32, c1: i32): void {
  const plane = <usize>inner * 4;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
    let u0: f64 = 0, u1: f64 = 0, u2: f64 = 0, u3: f64 = 0;
    const m0 = load<f32>(m + <usize>c * 4), m1 = load<f32>(m + <usize>c * 4, 4);
    const m2 = load<f32>(m + <usize>c * 4, 8), m3 = load<f32>(m + <usize>c * 4, 12);
    for (let o = 0; o < outer; o++) {
      const off = (<usize>o * <usize>C + <usize>c) * plane;
      for (let i = 0; i < inner; i++) {
        const q = off + <usize>i * 4;
        const v0 = load<f32>(a + q), v1 = load<f32>(a + q + plane);
        const v2 = load<f32>(a + q + 2 * plane), v3 = load<f32>(a + q + 3 * plane);
        s0 += termS(mode, v0, load<f32>(x + q), m0);
        s1 += termS(mode, v1, load<f32>(x + q + plane), m1);
        s2 += termS(mode, v2, load<f32>(x + q + 2 * plane), m2);
        s3 += termS(mode, v3, load<f32>(x + q + 3 * plane), m3);
        if (mode == DOT) {
          u0 += <f64>v0;
          u1 += <f64>v1;
          u2 += <f64>v2;
          u3 += <f64>v3;
        }
      }
    }
    store<f64>(acc + <usize>c * 8, s0);
    store<f64>(acc + <usize>c * 8, s1, 8);
    store<f64>(acc + <usize>c * 8, s2, 16);
    store<f64>(acc + <usize>c * 8, s3, 24);
    store<f64>(acc2 + <usize>c * 8, u0);
    store<f64>(acc2 + <usize>c * 8, u1, 8);
    store<f64>(acc2 + <usize>c * 8, u2, 16);
    store<f64>(acc2 + <usize>c * 8, u3, 24);
  }
  for (; c < c1; c++) {
    let s: f64 = 0, u: f64 = 0;
    const mc = load<f32>(m + <usize>c * 4);
    for (let o = 0; o < outer; o++) {
      const off = (<usize>o * <usize>C + <usize>c) * plane;
      for (let i = 0; i < inner; i++) {
        const av = load<f32>(a + off + <usize>i * 4);
        s += termS(mode, av, load<f32>(x + off + <usize>i * 4), mc);
        u += <f64>av;
      }
    }
    store<f64>(acc + <usize>c * 8, s);
    store<f64>(acc2 + <usize>c * 8, u);
  }
}

function sums(mode: i32, a: usize, x: usize, m: usize, outer: i32, C: i32, inner: i32, acc: usize, acc2: usize, c0: i32, c1: i32): void {
  if (inner == 1) sumsLast(mode, a, x, m, outer, C, acc, acc2, c0, c1);
  else sumsBlocks(mode, a, x, m, outer, C, inner, acc, acc2, c0, c1);
}

/** out [2·C] = [μ | σ²] of x [outer, C, inner] for the channels [c0, c1); `acc` is 2·C f64 of scratch. */
export function channelMoments(x: usize, outer: i32, C: i32, inner: i32, out: usize, acc: usize, c0: i32, c1: i32): void {
  const n = <f32>(outer * inner);
  const acc2 = acc + <usize>C * 8;
  sums(SUM, x, x, x, outer, C, inner, acc, acc2, c0, c1);
  for (let c = c0; c < c1; c++) store<f32>(out + <usize>c * 4, <f32>load<f64>(acc + <usize>c * 8) / n);
  sums(SQ, x, x, out, outer, C, inner, acc, acc2, c0, c1);
  for (let c = c0; c < c1; c++) store<f32>(out + <usize>(C + c) * 4, <f32>load<f64>(acc + <usize>c * 8) / n);
}

/** out [2·C] = [Σ a | Σ a·(x − m)] over x [outer, C, inner] for the channels [c0, c1); `acc` is 2·C f64 of scratch. */
export function channelSums(a: usize, x: usize, m: usize, outer: i32, C: i32, inner: i32, out: usize, acc: usize, c0: i32, c1: i32): void {
  const acc2 = acc + <usize>C * 8;
  sums(DOT, a, x, m, outer, C, inner, acc, acc2, c0, c1);
  for (let c = c0; c < c1; c++) {
    store<f32>(out + <usize>c * 4, <f32>load<f64>(acc2 + <usize>c * 8));
    store<f32>(out + <usize>(C + c) * 4, <f32>load<f64>(acc + <usize>c * 8));
  }
}

/**
 * out = (x − m)·s + b along the channel axis of x [outer, C, inner], over units [u0, u1): rows of C values when
 * inner = 1, else blocks of `inner` values (unit u is channel u mod C of row u / C).
 */
export function channelAffine(x: usize, m: usize, s: usize, b: usize, C: i32, inner: i32, out: usize, u0: i32, u1: i32): void {
  if (inner == 1) {
    for (let r = u0; r < u1; r++) {
      const off = <usize>r * <usize>C * 4;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const at = <usize>c * 4;
        const d = f32x4.sub(v128.load(x + off + at), v128.load(m + at));
        v128.store(out + off + at, f32x4.add(f32x4.mul(d, v128.load(s + at)), v128.load(b + at)));
      }
      for (; c < C; c++) {
        const at = <usize>c * 4;
        store<f32>(out + off + at, (load<f32>(x + off + at) - load<f32>(m + at)) * load<f32>(s + at) + load<f32>(b + at));
      }
    }
    return;
  }
  for (let u = u0; u < u1; u++) {
    const c = u % C;
    const mc = load<f32>(m + <usize>c * 4), sc = load<f32>(s + <usize>c * 4), bc = load<f32>(b + <usize>c * 4);
    const mv = f32x4.splat(mc), sv = f32x4.splat(sc), bv = f32x4.splat(bc);
    const off = <usize>u * <usize>inner * 4;
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      const q = off + <usize>i * 4;
      v128.store(out + q, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + q), mv), sv), bv));
    }
    for (; i < inner; i++) {
      const q = off + <usize>i * 4;
      store<f32>(out + q, (load<f32>(x + q) - mc) * sc + bc);
    }
  }
}
