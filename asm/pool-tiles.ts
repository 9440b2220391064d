// Max pooling where the windows tile the image (stride = window, no dilation or top/left padding, every window
// inside): each window owns its taps and needs no search for the valid ones. The gradient writes dx once, tap by tap
// (dy at the window's first maximum, +0 elsewhere) instead of zeroing it and scattering into it: the same bits as
// zero-then-add, 0 + dy at the maximum. The maxima (4 channels or more) keep poolMax's rule. 2×2 windows are unrolled.
import { gi, zeroF32 } from './util';

/** Whether poolTilesGrad and poolTilesMax apply to geometry g: disjoint windows wholly inside the image. */
// @ts-ignore: decorator
@inline export function windowsTile(g: usize): bool {
  const h = gi(g, 1), w = gi(g, 2), kh = gi(g, 4), kw = gi(g, 5);
  return (
    gi(g, 6) == kh && gi(g, 7) == kw && gi(g, 8) == 1 && gi(g, 9) == 1 && gi(g, 10) == 0 && gi(g, 11) == 0 &&
    gi(g, 12) * kh <= h && gi(g, 13) * kw <= w
  );
}

/** A larger value, or the first NaN (a NaN makes the window's max NaN): the sweeps' tie and NaN rule, 4 lanes. */
// @ts-ignore: decorator
@inline export function takes(v: v128, bv: v128): v128 {
  return v128.or(f32x4.gt(v, bv), v128.and(f32x4.ne(v, v), f32x4.eq(bv, bv)));
}

/** Per lane, which of taps 0–3 (in this order) holds the first maximum under `takes`' rule. */
// @ts-ignore: decorator
@inline function firstMax4(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  let bv = v0;
  let bt = i32x4.splat(0);
  let t = takes(v1, bv);
  bv = v128.bitselect(v1, bv, t);
  bt = v128.bitselect(i32x4.splat(1), bt, t);
  t = takes(v2, bv);
  bv = v128.bitselect(v2, bv, t);
  bt = v128.bitselect(i32x4.splat(2), bt, t);
  return v128.bitselect(i32x4.splat(3), bt, takes(v3, bv));
}

/**
 * Images [n0,n1) of dx[n,h,w,c] from x and dy[n,oh,ow,c] when windowsTile(g): per window and 4 channels, the tap
 * number of the first maximum (taps in row-major order, as argmaxSweep), then each tap's dx = (0 + dy) where it
 * won, else +0. Rows and columns no window covers are zeroed.
 */
export function poolTilesGrad(x: usize, g: usize, dy: usize, dx: usize, n0: i32, n1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const oh = gi(g, 12), ow = gi(g, 13);
  const pix = <usize>c * 4;
  const row = <usize>w * pix;
  const zero = f32x4.splat(0);
  const pair = c == 1 && kh == 2 && kw == 2;
  let o = dy + <usize>(n0 * oh * ow * c) * 4;
  for (let b = n0; b < n1; b++) {
    const img = <usize>b * <usize>h * row;
    for (let oy = 0; oy < oh; oy++) {
      const top = img + <usize>(oy * kh) * row; // byte offset of the window row's first tap row
      let ox = 0;
      if (pair)
        // one channel, 2×2 windows: four windows (8 columns of two rows) at a time
        for (; ox + 4 <= ow; ox += 4) {
          const p0 = top + <usize>(2 * ox) * 4;
          const p1 = p0 + row;
          const a0 = v128.load(x + p0), a1 = v128.load(x + p0 + 16);
          const c0 = v128.load(x + p1), c1 = v128.load(x + p1 + 16);
          const bt = firstMax4(
            f32x4.shuffle(a0, a1, 0, 2, 4, 6),
            f32x4.shuffle(a0, a1, 1, 3, 5, 7),
            f32x4.shuffle(c0, c1, 0, 2, 4, 6),
            f32x4.shuffle(c0, c1, 1, 3, 5, 7),
          );
          const d = f32x4.add(zero, v128.load(o));
          const e0 = v128.and(d, i32x4.eq(bt, i32x4.splat(0)));
          const e1 = v128.and(d, i32x4.eq(bt, i32x4.splat(1)));
          const e2 = v128.and(d, i32x4.eq(bt, i32x4.splat(2)));
          const e3 = v128.and(d, i32x4.eq(bt, i32x4.splat(3)));
          v128.store(dx + p0, i32x4.shuffle(e0, e1, 0, 4, 1, 5));
          v128.store(dx + p0 + 16, i32x4.shuffle(e0, e1, 2, 6, 3, 7));
          v128.store(dx + p1, i32x4.shuffle(e2, e3, 0, 4, 1, 5));
          v128.store(dx + p1 + 16, i32x4.shuffle(e2, e3, 2, 6, 3, 7));
          o += 16;
        }
      for (; ox < ow; ox++) {
        const first = top + <usize>(ox * kw) * pix; // byte offset of the window's first tap, channel 0
        let ch = 0;
        if (kh == 2 && kw == 2)
          // 2×2 windows unrolled: tap 0, then 1 (right), 2 (below), 3
          for (; ch + 4 <= c; ch += 4) {
            const p = x + first + <usize>ch * 4;
            const bt = firstMax4(v128.load(p), v128.load(p + pix), v128.load(p + row), v128.load(p + row + pix));
            const d = f32x4.add(zero, v128.load(o + <usize>ch * 4));
            const q = dx + first + <usize>ch * 4;
            v128.store(q, v128.and(d, i32x4.eq(bt, i32x4.splat(0))));
            v128.store(q + pix, v128.and(d, i32x4.eq(bt, i32x4.splat(1))));
            v128.store(q + row, v128.and(d, i32x4.eq(bt, i32x4.splat(2))));
            v128.store(q + row + pix, v128.and(d, i32x4.eq(bt, i32x4.splat(3))));
          }
        for (; ch + 4 <= c; ch += 4) {
          const p = first + <usize>ch * 4;
          let bv = v128.load(x + p);
          let bt = i32x4.splat(0);
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              if (ky == 0 && kx == 0) continue;
              const v = v128.load(x + p + <usize>ky * row + <usize>kx * pix);
              const t = takes(v, bv);
              bv = v128.bitselect(v, bv, t);
              bt = v128.bitselect(i32x4.splat(ky * kw + kx), bt, t);
            }
          const d = f32x4.add(zero, v128.load(o + <usize>ch * 4));
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              v128.store(
                dx + p + <usize>ky * row + <usize>kx * pix,
                v128.and(d, i32x4.eq(bt, i32x4.splat(ky * kw + kx))),
              );
        }
        for (; ch < c; ch++) {
          const p = first + <usize>ch * 4;
          let bv = load<f32>(x + p);
          let bt = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const v = load<f32>(x + p + <usize>ky * row + <usize>kx * pix);
              if (v > bv || (v != v && bv == bv)) {
                bv = v;
                bt = ky * kw + kx;
              }
            }
          const d: f32 = <f32>0 + load<f32>(o + <usize>ch * 4);
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++)
              store<f32>(dx + p + <usize>ky * row + <usize>kx * pix, ky * kw + kx == bt ? d : <f32>0);
        }
        o += pix;
      }
      // columns right of the last window
      if (ow * kw < w)
        for (let r = 0; r < kh; r++) zeroF32(dx + top + <usize>r * row + <usize>(ow * kw) * pix, (w - ow * kw) * c);
    }
    // rows below the last window row
    if (oh * kh < h) zeroF32(dx + img + <usize>(oh * kh) * row, (h - oh * kh) * w * c);
  }
}

/**
 * Images [n0,n1) of out[n,oh,ow,c] = each window's maximum when windowsTile(g) and c ≥ 4: poolMax's values (the first
 * tap, then each later one where it is larger or the first NaN, so ties keep the first value), with no per-pixel
 * search for the valid taps. 2×2 windows are unrolled.
 */
export function poolTilesMax(x: usize, g: usize, out: usize, n0: i32, n1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const oh = gi(g, 12), ow = gi(g, 13);
  const pix = <usize>c * 4;
  const row = <usize>w * pix;
  const c4 = c & ~3;
  let o = out + <usize>(n0 * oh * ow * c) * 4;
  for (let b = n0; b < n1; b++) {
    const img = x + <usize>b * <usize>h * row;
    for (let oy = 0; oy < oh; oy++) {
      const top = img + <usize>(oy * kh) * row;
      for (let ox = 0; ox < ow; ox++) {
        const p = top + <usize>(ox * kw) * pix; // the window's first tap, channel 0
        if (kh == 2 && kw == 2) {
          for (let ch = 0; ch < c4; ch += 4) {
            const q = p + <usize>ch * 4;
            let bv = v128.load(q);
            let v = v128.load(q + pix);
            bv = v128.bitselect(v, bv, takes(v, bv));
            v = v128.load(q + row);
            bv = v128.bitselect(v, bv, takes(v, bv));
            v = v128.load(q + row + pix);
            v128.store(o + <usize>ch * 4, v128.bitselect(v, bv, takes(v, bv)));
          }
        } else
          for (let ch = 0; ch < c4; ch += 4) {
            const q = p + <usize>ch * 4;
            let bv = v128.load(q);
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                if (ky == 0 && kx == 0) continue;
                const v = v128.load(q + <usize>ky * row + <usize>kx * pix);
                bv = v128.bitselect(v, bv, takes(v, bv));
              }
            v128.store(o + <usize>ch * 4, bv);
          }
        for (let ch = c4; ch < c; ch++) {
          const q = p + <usize>ch * 4;
          let bv = load<f32>(q);
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const v = load<f32>(q + <usize>ky * row + <usize>kx * pix);
              if (v > bv || (v != v && bv == bv)) bv = v;
            }
          store<f32>(o + <usize>ch * 4, bv);
        }
        o += pix;
      }
    }
  }
}
