// Window sweeps over NHWC images: im2col, its transpose col2im, max-pool argmax and the max-pool gradient.
// Geometry arrives as 14 i32 at `g`, in the order of WINDOW_GEOM_FIELDS (src/core/window-geom.ts).
import { poolTilesGrad, poolTilesMax, takes, windowsTile } from './pool-tiles';
import { addF32, copyF32, gi, zeroF32 } from './util';

/** Rows [r0,r1) of cols[n·outH·outW, kh·kw·c] from NHWC x (zero padding). */
export function im2col(x: usize, g: usize, out: usize, r0: i32, r1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const rowLen = kh * kw * c;
  let ox = r0 % ow;
  let oy = (r0 / ow) % oh;
  let b = r0 / (ow * oh);
  let dst = out + <usize>r0 * <usize>rowLen * 4;
  for (let row = r0; row < r1; row++) {
    const ix0 = ox * sw - pl;
    // NOTE: with dilation 1 and the whole kx run inside the image, one contiguous kw·c copy per ky.
    const runInside = dw === 1 && ix0 >= 0 && ix0 + kw <= w;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - pt + ky * dh;
      if (iy < 0 || iy >= h) {
        zeroF32(dst, kw * c);
        dst += <usize>(kw * c) * 4;
        continue;
      }
      const rowBase = x + <usize>((b * h + iy) * w) * <usize>c * 4;
      if (runInside) {
        copyF32(dst, rowBase + <usize>(ix0 * c) * 4, kw * c);
        dst += <usize>(kw * c) * 4;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        if (ix < 0 || ix >= w) zeroF32(dst, c);
        else copyF32(dst, rowBase + <usize>(ix * c) * 4, c);
        dst += <usize>c * 4;
      }
    }
    if (++ox === ow) {
      ox = 0;
      if (++oy === oh) {
        oy = 0;
        b++;
      }
    }
  }
}

/** Images [n0,n1) of out[n,h,w,c] = Σ of cols patches (out zeroed first; same summation order as the reference). */
export function col2im(cols: usize, g: usize, out: usize, n0: i32, n1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), oh = gi(g, 12), ow = gi(g, 13);
  zeroF32(out + <usize>(n0 * h * w * c) * 4, (n1 - n0) * h * w * c);
  col2imRows(cols, g, out, n0 * oh * ow, n1 * oh * ow);
}

/** out[n,h,w,c] += the patches of rows [r0,r1) of cols (row r at cols + r·kh·kw·c·4), in row then tap order. */
export function col2imRows(cols: usize, g: usize, out: usize, r0: i32, r1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const rowLen = kh * kw * c;
  let ox = r0 % ow;
  let oy = (r0 / ow) % oh;
  let b = r0 / (ow * oh);
  let src = cols + <usize>r0 * <usize>rowLen * 4;
  for (let row = r0; row < r1; row++) {
    const ix0 = ox * sw - pl;
    const runInside = dw === 1 && ix0 >= 0 && ix0 + kw <= w;
    for (let ky = 0; ky < kh; ky++) {
      const iy = oy * sh - pt + ky * dh;
      if (iy < 0 || iy >= h) {
        src += <usize>(kw * c) * 4;
        continue;
      }
      const rowBase = out + <usize>((b * h + iy) * w) * <usize>c * 4;
      if (runInside) {
        addF32(rowBase + <usize>(ix0 * c) * 4, src, kw * c); // the whole kx run is one contiguous span
        src += <usize>(kw * c) * 4;
        continue;
      }
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        if (ix >= 0 && ix < w) addF32(rowBase + <usize>(ix * c) * 4, src, c);
        src += <usize>c * 4;
      }
    }
    if (++ox === ow) {
      ox = 0;
      if (++oy === oh) {
        oy = 0;
        b++;
      }
    }
  }
}

/** The first tap t of a window starting at p0 (t < k) with p0 + t·d ≥ 0, or k if none is. */
// @ts-ignore: decorator
@inline function firstTap(p0: i32, k: i32, d: i32): i32 {
  let t = 0;
  while (t < k && p0 + t * d < 0) t++;
  return t;
}

/** One past the last tap t (≥ t0) of a window starting at p0 with p0 + t·d < size. */
// @ts-ignore: decorator
@inline function endTap(p0: i32, t0: i32, k: i32, d: i32, size: i32): i32 {
  let t = k;
  while (t > t0 && p0 + (t - 1) * d >= size) t--;
  return t;
}

/**
 * How many output columns of row oy the one-channel 2×2 stride-2 path takes (a multiple of 4), or 0 when the
 * geometry is not that: c = 1, a 2×2 window, stride 2, dilation 1, no top/left padding, and the row's windows
 * wholly inside x. NCHW pooling runs as [N·C, H, W, 1] (ops/composite/pool.ts); the generic sweep then spends most
 * of its time finding each one-value window's taps.
 */
// @ts-ignore: decorator
@inline function pair2Cols(g: usize, oy: i32): i32 {
  if (gi(g, 3) != 1 || gi(g, 4) != 2 || gi(g, 5) != 2 || gi(g, 6) != 2 || gi(g, 7) != 2) return 0;
  if (gi(g, 8) != 1 || gi(g, 9) != 1 || gi(g, 10) != 0 || gi(g, 11) != 0 || 2 * oy + 1 >= gi(g, 1)) return 0;
  return min(gi(g, 13), gi(g, 2) >> 1) & ~3;
}


/**
 * Images [n0,n1): flat index into x of each window's first maximum (padding never wins; the first NaN wins),
 * written to out[n,outH,outW,c] (i32).
 */
export function poolArgmax(x: usize, g: usize, out: usize, n0: i32, n1: i32): void {
  argmaxSweep(x, g, out, 0, n0, n1, false);
}

/**
 * Images [n0,n1) of the max-pool gradient: dx = 0, then dx[argmax] += dy for every window in output order, where
 * argmax is poolArgmax's (the same sweep): the bits of poolArgmax then scatterAdd, with no index array between.
 * dy [n,outH,outW,c], dx [n,h,w,c]. NOTE: a window only reaches its own image, so images split across threads.
 * Windows that tile the image (2×2 stride 2) write each dx once instead (asm/pool-tiles.ts).
 */
export function poolMaxGrad(x: usize, g: usize, dy: usize, dx: usize, n0: i32, n1: i32): void {
  if (windowsTile(g)) return poolTilesGrad(x, g, dy, dx, n0, n1);
  const img = <usize>(gi(g, 1) * gi(g, 2) * gi(g, 3));
  zeroF32(dx + <usize>n0 * img * 4, (n1 - n0) * <i32>img);
  argmaxSweep(x, g, dy, dx, n0, n1, true);
}

/** poolArgmax's sweep: `o` walks out[n,outH,outW,c]; it gets the indices, or (scatter) is dy, added into dx. */
// @ts-ignore: decorator
@inline function argmaxSweep(x: usize, g: usize, out: usize, dx: usize, n0: i32, n1: i32, scatter: bool): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const lanes = i32x4(0, 1, 2, 3);
  let o = out + <usize>(n0 * oh * ow * c) * 4;
  for (let b = n0; b < n1; b++)
    for (let oy = 0; oy < oh; oy++) {
      // valid kernel rows: iy = oy·sh - pt + ky·dh in [0, h)
      const y0 = oy * sh - pt;
      const ky0 = firstTap(y0, kh, dh), ky1 = endTap(y0, ky0, kh, dh, h);
      // one channel, 2×2 windows, stride 2: four windows at a time, their taps in the same row-major order
      const fast = pair2Cols(g, oy);
      for (let ox = 0; ox < fast; ox += 4) {
        const i0 = (b * h + 2 * oy) * w + 2 * ox; // flat index of the first window's first tap
        const p0 = x + <usize>i0 * 4;
        const p1 = p0 + <usize>w * 4;
        const a0 = v128.load(p0), a1 = v128.load(p0 + 16), c0 = v128.load(p1), c1 = v128.load(p1 + 16);
        let bv = f32x4.shuffle(a0, a1, 0, 2, 4, 6);
        let bi = i32x4.add(i32x4.splat(i0), i32x4(0, 2, 4, 6));
        let v = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
        let t = takes(v, bv);
        bv = v128.bitselect(v, bv, t);
        bi = v128.bitselect(i32x4.add(i32x4.splat(i0 + 1), i32x4(0, 2, 4, 6)), bi, t);
        v = f32x4.shuffle(c0, c1, 0, 2, 4, 6);
        t = takes(v, bv);
        bv = v128.bitselect(v, bv, t);
        bi = v128.bitselect(i32x4.add(i32x4.splat(i0 + w), i32x4(0, 2, 4, 6)), bi, t);
        v = f32x4.shuffle(c0, c1, 1, 3, 5, 7);
        t = takes(v, bv);
        bi = v128.bitselect(i32x4.add(i32x4.splat(i0 + w + 1), i32x4(0, 2, 4, 6)), bi, t);
        if (scatter) {
          const d = v128.load(o);
          addAt(dx, i32x4.extract_lane(bi, 0), f32x4.extract_lane(d, 0));
          addAt(dx, i32x4.extract_lane(bi, 1), f32x4.extract_lane(d, 1));
          addAt(dx, i32x4.extract_lane(bi, 2), f32x4.extract_lane(d, 2));
          addAt(dx, i32x4.extract_lane(bi, 3), f32x4.extract_lane(d, 3));
        } else v128.store(o, bi);
        o += 16;
      }
      for (let ox = fast; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const kx0 = firstTap(x0, kw, dw), kx1 = endTap(x0, kx0, kw, dw, w);
        if (ky0 >= ky1 || kx0 >= kx1) {
          if (!scatter) memory.fill(o, 0xff, <usize>c * 4); // -1: a window wholly in padding has no maximum
          o += <usize>c * 4;
          continue;
        }
        // NOTE: window positions in row-major order for every channel, as in the reference, so ties go to the
        // same (first) maximum; the valid taps are found once per pixel, and 4 channels' best value and index stay
        // in registers, starting from the first valid tap.
        const first = ((b * h + y0 + ky0 * dh) * w + x0 + kx0 * dw) * c;
        const stepY = dh * w * c, stepX = dw * c;
        let ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          let bi = i32x4.add(i32x4.splat(first + ch), lanes);
          let bv = v128.load(x + <usize>(first + ch) * 4);
          let row = first + ch;
          for (let ky = ky0; ky < ky1; ky++) {
            let src = row;
            for (let kx = kx0; kx < kx1; kx++) {
              if (src !== first + ch) {
                const v = v128.load(x + <usize>src * 4);
                // a larger value, or the first NaN (a NaN makes the window's max NaN)
                const take = v128.or(f32x4.gt(v, bv), v128.and(f32x4.ne(v, v), f32x4.eq(bv, bv)));
                bv = v128.bitselect(v, bv, take);
                bi = v128.bitselect(i32x4.add(i32x4.splat(src), lanes), bi, take);
              }
              src += stepX;
            }
            row += stepY;
          }
          if (scatter) {
            const d = v128.load(o + <usize>ch * 4);
            addAt(dx, i32x4.extract_lane(bi, 0), f32x4.extract_lane(d, 0));
            addAt(dx, i32x4.extract_lane(bi, 1), f32x4.extract_lane(d, 1));
            addAt(dx, i32x4.extract_lane(bi, 2), f32x4.extract_lane(d, 2));
            addAt(dx, i32x4.extract_lane(bi, 3), f32x4.extract_lane(d, 3));
          } else v128.store(o + <usize>ch * 4, bi);
        }
        for (; ch < c; ch++) {
          let best = first + ch;
          let bv = load<f32>(x + <usize>best * 4);
          let row = first + ch;
          for (let ky = ky0; ky < ky1; ky++) {
            let src = row;
            for (let kx = kx0; kx < kx1; kx++) {
              const v = load<f32>(x + <usize>src * 4);
              if (v > bv || (v != v && bv == bv)) {
                bv = v;
                best = src;
              }
              src += stepX;
            }
            row += stepY;
          }
          if (scatter) addAt(dx, best, load<f32>(o + <usize>ch * 4));
          else store<i32>(o + <usize>ch * 4, best);
        }
        o += <usize>c * 4;
      }
    }
}

/** dx[i] += v (f32). */
// @ts-ignore: decorator
@inline function addAt(dx: usize, i: i32, v: f32): void {
  const p = dx + <usize>i * 4;
  store<f32>(p, load<f32>(p) + v);
}

/**
 * Images [n0,n1): each window's maximum, the value take(x, poolArgmax(x)) returns (inference's max pool).
 * NOTE: the window's valid taps are found once per output pixel (no per-tap bounds test), the first one is copied
 * and each later one kept where it is larger or the first NaN — poolScan's rule without its index bookkeeping, so
 * ties keep the first value (-0 vs +0) as take(x, poolArgmax(x)) does; a window wholly in padding gives 0.
 * Windows that tile the image over 4 channels or more take poolTilesMax (asm/pool-tiles.ts), with the same rule.
 */
export function poolMax(x: usize, g: usize, out: usize, n0: i32, n1: i32): void {
  if (gi(g, 3) >= 4 && windowsTile(g)) return poolTilesMax(x, g, out, n0, n1);
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const rowC = <usize>(w * c) * 4;
  const pixC = <usize>c * 4;
  let o = out + <usize>(n0 * oh * ow * c) * 4;
  for (let b = n0; b < n1; b++) {
    const img = x + <usize>(b * h) * rowC;
    for (let oy = 0; oy < oh; oy++) {
      // valid kernel rows: iy = oy·sh - pt + ky·dh in [0, h)
      const y0 = oy * sh - pt;
      const ky0 = firstTap(y0, kh, dh), ky1 = endTap(y0, ky0, kh, dh, h);
      // one channel, 2×2 windows, stride 2: four windows at a time (argmaxSweep's path, values only)
      const fast = pair2Cols(g, oy);
      for (let ox = 0; ox < fast; ox += 4) {
        const p0 = img + <usize>(2 * oy) * rowC + <usize>(2 * ox) * 4;
        const p1 = p0 + rowC;
        const a0 = v128.load(p0), a1 = v128.load(p0 + 16), c0 = v128.load(p1), c1 = v128.load(p1 + 16);
        let bv = f32x4.shuffle(a0, a1, 0, 2, 4, 6);
        let v = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
        bv = v128.bitselect(v, bv, takes(v, bv));
        v = f32x4.shuffle(c0, c1, 0, 2, 4, 6);
        bv = v128.bitselect(v, bv, takes(v, bv));
        v = f32x4.shuffle(c0, c1, 1, 3, 5, 7);
        v128.store(o, v128.bitselect(v, bv, takes(v, bv)));
        o += 16;
      }
      for (let ox = fast; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const kx0 = firstTap(x0, kw, dw), kx1 = endTap(x0, kx0, kw, dw, w);
        if (ky0 >= ky1 || kx0 >= kx1) {
          zeroF32(o, c);
          o += pixC;
          continue;
        }
        const first = img + <usize>(y0 + ky0 * dh) * rowC + <usize>(x0 + kx0 * dw) * pixC;
        const stepY = <usize>dh * rowC, stepX = <usize>dw * pixC;
        let ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          // the 4 channels' running maximum stays in a register across the window
          const base = first + <usize>ch * 4;
          let bv = v128.load(base);
          let row = base;
          for (let ky = ky0; ky < ky1; ky++) {
            let src = row;
            for (let kx = kx0; kx < kx1; kx++) {
              if (src !== base) {
                const v = v128.load(src);
                // a larger value, or the first NaN (a NaN makes the window's max NaN)
                bv = v128.bitselect(v, bv, v128.or(f32x4.gt(v, bv), v128.and(f32x4.ne(v, v), f32x4.eq(bv, bv))));
              }
              src += stepX;
            }
            row += stepY;
          }
          v128.store(o + <usize>ch * 4, bv);
        }
        for (; ch < c; ch++) {
          const base = first + <usize>ch * 4;
          let bv = load<f32>(base);
          let row = base;
          for (let ky = ky0; ky < ky1; ky++) {
            let src = row;
            for (let kx = kx0; kx < kx1; kx++) {
              const v = load<f32>(src);
              if (v > bv || (v != v && bv == bv)) bv = v;
              src += stepX;
            }
            row += stepY;
          }
          store<f32>(o + <usize>ch * 4, bv);
        }
        o += pixC;
      }
    }
  }
}

/**
 * Images [n0,n1) of an average pool: out = (Σ of each window's taps inside x, in f64, rounded to f32) / divisor,
 * with `nDiv` divisors (f32) at `divs`: one for every window, or one per output pixel (outH·outW).
 * NOTE: the taps are summed in im2col's order in f64 and the sum rounded once, as the reduce kernel sums the patch
 * matrix (padding adds +0, so it is skipped), then divided in f32: the values im2col → sum → div give, bit for bit.
 */
export function avgPool(x: usize, g: usize, divs: usize, nDiv: i32, out: usize, n0: i32, n1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const rowC = <usize>(w * c) * 4;
  const pixC = <usize>c * 4;
  let o = out + <usize>(n0 * oh * ow * c) * 4;
  for (let b = n0; b < n1; b++) {
    const img = x + <usize>(b * h) * rowC;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      const ky0 = firstTap(y0, kh, dh), ky1 = endTap(y0, ky0, kh, dh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const kx0 = firstTap(x0, kw, dw), kx1 = endTap(x0, kx0, kw, dw, w);
        const d = load<f32>(divs + <usize>(nDiv === 1 ? 0 : oy * ow + ox) * 4);
        const dv = f32x4.splat(d);
        const first = img + <usize>(y0 + ky0 * dh) * rowC + <usize>(x0 + kx0 * dw) * pixC;
        const stepY = <usize>dh * rowC, stepX = <usize>dw * pixC;
        let ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          let lo = f64x2.splat(0), hi = f64x2.splat(0);
          let row = first + <usize>ch * 4;
          for (let ky = ky0; ky < ky1; ky++) {
            let src = row;
            for (let kx = kx0; kx < kx1; kx++) {
              const v = v128.load(src);
              lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
              hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
              src += stepX;
            }
            row += stepY;
          }
          const s = i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
          v128.store(o + <usize>ch * 4, f32x4.div(s, dv));
        }
        for (; ch < c; ch++) {
          let s: f64 = 0;
          let row = first + <usize>ch * 4;
          for (let ky = ky0; ky < ky1; ky++) {
            let src = row;
            for (let kx = kx0; kx < kx1; kx++) {
              s += <f64>load<f32>(src);
              src += stepX;
            }
            row += stepY;
          }
          store<f32>(o + <usize>ch * 4, <f32>s / d);
        }
        o += pixC;
      }
    }
  }
}
