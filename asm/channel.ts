// Per-channel kernels of batch normalization over x viewed as [outer, C, inner] (channel axis in the middle: inner = 1
// channels-last, H·W for NCHW): moments, the affine map (x − m)·s + b, and [Σ a | Σ a·(x − m)]. The same bits as the
// JS reference (src/backend/channel.ts): every float32 step rounded as the elementwise kernels do, each channel's sum
// accumulated in f64 by one thread (threads split the channels), in index order channels-last, in eight fixed lanes
// over planes.

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
function sums16(mode: i32, a: usize, x: usize, m: usize, rows: i32, C: i32, dst: usize, dst2: usize, c: i32): void {
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
  let p = dst;
  v128.store(p, a0);
  v128.store(p, a1, 16);
  v128.store(p, a2, 32);
  v128.store(p, a3, 48);
  v128.store(p, a4, 64);
  v128.store(p, a5, 80);
  v128.store(p, a6, 96);
  v128.store(p, a7, 112);
  if (mode != DOT) return;
  p = dst2;
  v128.store(p, b0);
  v128.store(p, b1, 16);
  v128.store(p, b2, 32);
  v128.store(p, b3, 48);
  v128.store(p, b4, 64);
  v128.store(p, b5, 80);
  v128.store(p, b6, 96);
  v128.store(p, b7, 112);
}

/**
 * acc[c] = Σ term over the rows of channels-last x [rows, C] for c in [c0, c1) (DOT: acc2[c] = Σ a); `pad` is 16 f64,
 * 16 f64 and 16 f32 of scratch.
 * NOTE: fewer than 16 channels (one thread has them all) still run in registers: each load takes the 16 values from a
 * row's start, the lanes past C (the next row's) are summed and dropped, as the reduce kernel does for narrow rows;
 * m is read from a padded copy, and the last rows, whose load would leave x, are summed in memory.
 */
function sumsLast(mode: i32, a: usize, x: usize, m: usize, rows: i32, C: i32, acc: usize, acc2: usize, c0: i32, c1: i32, pad: usize): void {
  let cs = c0;
  let r0 = 0;
  if (C < 16 && c1 - c0 == C) {
    const need = (16 + C - 1) / C; // rows a load may span
    const fast = rows - need + 1;
    if (fast > 0) {
      const mp = pad + 256;
      memory.fill(mp, 0, 64);
      memory.copy(mp, m, <usize>C * 4);
      sums16(mode, a, x, mp, fast, C, pad, pad + 128, 0);
      memory.copy(acc, pad, <usize>C * 8);
      memory.copy(acc2, pad + 128, <usize>C * 8);
      r0 = fast;
    }
  } else {
    for (; cs + 16 <= c1; cs += 16)
      sums16(mode, a, x, m, rows, C, acc + <usize>cs * 8, acc2 + <usize>cs * 8, cs);
    if (cs == c1) return;
  }
  if (r0 == 0) {
    memory.fill(acc + <usize>cs * 8, 0, <usize>(c1 - cs) * 8);
    memory.fill(acc2 + <usize>cs * 8, 0, <usize>(c1 - cs) * 8);
  }
  for (let r = r0; r < rows; r++) {
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
 * acc[c] = Σ term over channel c's planes of `inner` values (x [outer, C, inner], inner > 1) for c in [c0, c1); DOT:
 * acc2[c] = Σ a. Eight lanes in four f64x2 registers (lane i mod 8) over the first ⌊inner/8⌋·8 values of each plane,
 * one scalar for the rest, combined in the order of the JS reference (src/backend/channel.ts).
 * NOTE: one channel's sum in index order is one chain of dependent adds (~4 cycles a value); four registers are four
 * chains, and the lanes are the same on any thread count (threads split the channels).
 */
function sumsPlanes(mode: i32, a: usize, x: usize, m: usize, outer: i32, C: i32, inner: i32, acc: usize, acc2: usize, c0: i32, c1: i32): void {
  const whole = inner & ~7;
  for (let c = c0; c < c1; c++) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
    let rest: f64 = 0, restA: f64 = 0;
    const mc = load<f32>(m + <usize>c * 4);
    const mv = f32x4.splat(mc);
    for (let o = 0; o < outer; o++) {
      const base = (<usize>o * <usize>C + <usize>c) * <usize>inner * 4;
      const xr = x + base, ar = a + base;
      for (let i = 0; i < whole; i += 8) {
        const q = <usize>i * 4;
        const v0 = v128.load(ar + q), v1 = v128.load(ar + q, 16);
        const t0 = termV(mode, v0, v128.load(xr + q), mv);
        const t1 = termV(mode, v1, v128.load(xr + q, 16), mv);
        a0 = addLow(a0, t0);
        a1 = addHigh(a1, t0);
        a2 = addLow(a2, t1);
        a3 = addHigh(a3, t1);
        if (mode == DOT) {
          b0 = addLow(b0, v0);
          b1 = addHigh(b1, v0);
          b2 = addLow(b2, v1);
          b3 = addHigh(b3, v1);
        }
      }
      for (let i = whole; i < inner; i++) {
        const av = load<f32>(ar + <usize>i * 4);
        rest += termS(mode, av, load<f32>(xr + <usize>i * 4), mc);
        restA += <f64>av;
      }
    }
    // lanes (l0 l1), (l2 l3), (l4 l5), (l6 l7): ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7)) + rest
    const s = f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3));
    store<f64>(acc + <usize>c * 8, f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1) + rest);
    const u = f64x2.add(f64x2.add(b0, b1), f64x2.add(b2, b3));
    store<f64>(acc2 + <usize>c * 8, f64x2.extract_lane(u, 0) + f64x2.extract_lane(u, 1) + restA);
  }
}

function sums(mode: i32, a: usize, x: usize, m: usize, outer: i32, C: i32, inner: i32, acc: usize, acc2: usize, c0: i32, c1: i32): void {
  if (inner == 1) sumsLast(mode, a, x, m, outer, C, acc, acc2, c0, c1, acc2 + <usize>C * 8);
  else sumsPlanes(mode, a, x, m, outer, C, inner, acc, acc2, c0, c1);
}

/** out [2·C] = [μ | σ²] of x [outer, C, inner] for the channels [c0, c1); `acc` is 2·C + 32 f64 and 16 f32 of scratch. */
export function channelMoments(x: usize, outer: i32, C: i32, inner: i32, out: usize, acc: usize, c0: i32, c1: i32): void {
  const n = <f32>(outer * inner);
  const acc2 = acc + <usize>C * 8;
  sums(SUM, x, x, x, outer, C, inner, acc, acc2, c0, c1);
  for (let c = c0; c < c1; c++) store<f32>(out + <usize>c * 4, <f32>load<f64>(acc + <usize>c * 8) / n);
  sums(SQ, x, x, out, outer, C, inner, acc, acc2, c0, c1);
  for (let c = c0; c < c1; c++) store<f32>(out + <usize>(C + c) * 4, <f32>load<f64>(acc + <usize>c * 8) / n);
}

/** out [2·C] = [Σ a | Σ a·(x − m)] over x [outer, C, inner] for the channels [c0, c1); scratch as channelMoments. */
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
