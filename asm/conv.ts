// Fused forward kernels for inference: a convolution that never materialises its im2col matrix, and max pooling
// that returns values instead of indices. Geometry is the 14 i32 block window.ts reads.
import { MR, NR, depthStep, gemmWorkBytes, micro, packB } from './gemm';
import { im2col } from './window';

// @ts-ignore: decorator
@inline function gi(g: usize, i: i32): i32 {
  return load<i32>(g + <usize>i * 4);
}

/** micro() for a 4-column tail panel: C[4×4] (row stride ldc bytes) = (beta ? C : 0) + A·B over kc (B rows rsB apart). */
// @ts-ignore: decorator
@inline function micro4(a: usize, o1: usize, o2: usize, o3: usize, csA: usize, b: usize, rsB: usize, kc: i32, c: usize, ldc: usize, beta: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(a), b0));
    c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(a + o1), b0));
    c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(a + o2), b0));
    c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(a + o3), b0));
    a += csA;
    b += rsB;
  }
  if (beta) {
    c0 = f32x4.add(c0, v128.load(c));
    c1 = f32x4.add(c1, v128.load(c + ldc));
    c2 = f32x4.add(c2, v128.load(c + 2 * ldc));
    c3 = f32x4.add(c3, v128.load(c + 3 * ldc));
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}

/**
 * micro() reading A straight from the NHWC image: row r's patch starts at a + o_r and runs `run` floats per
 * kernel row, `jump` bytes apart between kernel rows (kh of them). Sums in im2col's column order, beta = false.
 */
// @ts-ignore: decorator
@inline function microWin(a: usize, o1: usize, o2: usize, o3: usize, run: i32, jump: usize, kh: i32, b: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let ky = 0; ky < kh; ky++) {
    for (let q = 0; q < run; q++) {
      const b0 = v128.load(b);
      const b1 = v128.load(b, 16);
      let x = v128.load32_splat(a);
      c00 = f32x4.add(c00, f32x4.mul(x, b0));
      c01 = f32x4.add(c01, f32x4.mul(x, b1));
      x = v128.load32_splat(a + o1);
      c10 = f32x4.add(c10, f32x4.mul(x, b0));
      c11 = f32x4.add(c11, f32x4.mul(x, b1));
      x = v128.load32_splat(a + o2);
      c20 = f32x4.add(c20, f32x4.mul(x, b0));
      c21 = f32x4.add(c21, f32x4.mul(x, b1));
      x = v128.load32_splat(a + o3);
      c30 = f32x4.add(c30, f32x4.mul(x, b0));
      c31 = f32x4.add(c31, f32x4.mul(x, b1));
      a += 4;
      b += NR * 4;
    }
    a += jump;
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/** microWin() for a 4-column tail panel. */
// @ts-ignore: decorator
@inline function microWin4(a: usize, o1: usize, o2: usize, o3: usize, run: i32, jump: usize, kh: i32, b: usize, c: usize, ldc: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let ky = 0; ky < kh; ky++) {
    for (let q = 0; q < run; q++) {
      const b0 = v128.load(b);
      c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(a), b0));
      c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(a + o1), b0));
      c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(a + o2), b0));
      c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(a + o3), b0));
      a += 4;
      b += NR * 4;
    }
    a += jump;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}

/** Rows of im2col held in the per-thread scratch at once (a multiple of MR), for a depth of k. */
export function convBlockRows(k: i32): i32 {
  if (k <= 0) return 64;
  const fit = (gemmWorkBytes() - 1024) / (k * 4);
  return min(64, fit) & ~(MR - 1);
}

/** Pack w [k, o] (row-major) into NR-column panels at dst: panel j holds rows 0..k of columns 8j..8j+7. */
export function convPackW(w: usize, k: i32, o: i32, dst: usize): void {
  packB(w, o, 1, k, o, dst);
}

/**
 * Output rows [r0,r1) of out[P, o] = im2col(x)·W (+ bias): each block of rows is gathered into the thread's scratch
 * and multiplied there, so the P×K patch matrix never exists. `wp` is W packed by convPackW.
 * NOTE: depth is cut into the same blocks as sgemm and each block summed in the same order, so the result is
 * bit-identical to im2col → matmul → add(bias).
 */
export function convRows(x: usize, g: usize, wp: usize, bias: usize, hasBias: bool, out: usize, o: i32, r0: i32, r1: i32, work: usize): void {
  const k = gi(g, 3) * gi(g, 4) * gi(g, 5);
  const mb = convBlockRows(k);
  const scratch = (work + 15) & ~(<usize>15);
  const tmp = scratch + <usize>(mb * k) * 4;
  const bases = tmp + <usize>(MR * NR) * 4; // mb window corners
  const rowB = <usize>k * 4;
  const ldc = <usize>o * 4;
  const kStep = depthStep(k);
  const h = gi(g, 1), w = gi(g, 2), cin = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  // NOTE: a tile of 4 output pixels whose windows all lie inside the image reads A straight from x (one depth
  // block, contiguous kernel rows); only tiles that touch padding are gathered into the scratch.
  const direct = dw === 1 && k <= kStep;
  const run = kw * cin;
  const jump = <usize>((dh * w - kw) * cin) * 4;
  for (let rb = r0; rb < r1; rb += mb) {
    const m = min(mb, r1 - rb);
    let inside: u64 = 0; // bit t: tile t (rows rb+4t..) reads x directly
    // each row's window corner (byte address in x), walked without divisions; bases[t·4 + r] at `bases`
    let ox = rb % ow, oy = (rb / ow) % oh, bi = rb / (ow * oh);
    for (let ir = 0; ir < m; ir += MR) {
      let ok = direct && ir + MR <= m;
      for (let r = 0; r < MR && ir + r < m; r++) {
        const iy = oy * sh - pt, ix = ox * sw - pl;
        ok = ok && iy >= 0 && iy + (kh - 1) * dh < h && ix >= 0 && ix + kw - 1 < w;
        store<u32>(bases + <usize>(ir + r) * 4, <u32>(x + <usize>(((bi * h + iy) * w + ix) * cin) * 4));
        if (++ox === ow) {
          ox = 0;
          if (++oy === oh) {
            oy = 0;
            bi++;
          }
        }
      }
      if (ok) inside |= (<u64>1) << <u64>(ir / MR);
      else im2col(x, g, scratch - <usize>rb * rowB, rb + ir, rb + min(m, ir + MR)); // rows land at their place
    }
    for (let jr = 0; jr < o; jr += NR) {
      const nr = min(NR, o - jr);
      const panel = wp + <usize>(jr * k) * 4;
      for (let ir = 0; ir < m; ir += MR) {
        const mr = min(MR, m - ir);
        if ((inside >> <u64>(ir / MR)) & 1) {
          const cw = out + <usize>(rb + ir) * ldc + <usize>jr * 4;
          const bp = bases + <usize>ir * 4;
          const a0 = <usize>load<u32>(bp);
          const o1 = <usize>load<u32>(bp, 4) - a0, o2 = <usize>load<u32>(bp, 8) - a0, o3 = <usize>load<u32>(bp, 12) - a0;
          if (nr === NR) microWin(a0, o1, o2, o3, run, jump, kh, panel, cw, ldc);
          else if (nr === 4) microWin4(a0, o1, o2, o3, run, jump, kh, panel, cw, ldc);
          else {
            if (nr < 4) microWin4(a0, o1, o2, o3, run, jump, kh, panel, tmp, NR * 4);
            else microWin(a0, o1, o2, o3, run, jump, kh, panel, tmp, NR * 4);
            for (let r = 0; r < MR; r++)
              for (let q = 0; q < nr; q++)
                store<f32>(cw + <usize>r * ldc + <usize>q * 4, load<f32>(tmp + <usize>(r * NR + q) * 4));
          }
          continue;
        }
        const a = scratch + <usize>ir * rowB;
        // rows past m repeat the last real row (their results are discarded)
        const o1 = <usize>min(1, mr - 1) * rowB, o2 = <usize>min(2, mr - 1) * rowB, o3 = <usize>min(3, mr - 1) * rowB;
        const c = out + <usize>(rb + ir) * ldc + <usize>jr * 4;
        // NOTE: a tail of at most 4 columns runs the 4-wide micro-kernel (each lane is the same sum either way).
        const narrow = nr <= 4;
        const full = mr === MR && (nr === NR || nr === 4);
        for (let pc = 0; pc < k; pc += kStep) {
          const kc = min(kStep, k - pc);
          const ap = a + <usize>pc * 4;
          const bp = panel + <usize>pc * NR * 4;
          if (narrow) micro4(ap, o1, o2, o3, 4, bp, NR * 4, kc, full ? c : tmp, full ? ldc : NR * 4, pc > 0);
          else micro(ap, o1, o2, o3, 4, bp, NR * 4, kc, full ? c : tmp, full ? ldc : NR * 4, pc > 0);
        }
        if (!full)
          for (let r = 0; r < mr; r++)
            for (let q = 0; q < nr; q++)
              store<f32>(c + <usize>r * ldc + <usize>q * 4, load<f32>(tmp + <usize>(r * NR + q) * 4));
      }
    }
    if (hasBias)
      for (let r = 0; r < m; r++) {
        const row = out + <usize>(rb + r) * ldc;
        let j = 0;
        for (; j + 4 <= o; j += 4)
          v128.store(row + <usize>j * 4, f32x4.add(v128.load(row + <usize>j * 4), v128.load(bias + <usize>j * 4)));
        for (; j < o; j++) store<f32>(row + <usize>j * 4, load<f32>(row + <usize>j * 4) + load<f32>(bias + <usize>j * 4));
      }
  }
}

/** Images [n0,n1) of out[n,outH,outW,c] = each window's maximum (padding never wins; NaN only if first), 4 channels at a time. */
export function poolMax(x: usize, g: usize, out: usize, n0: i32, n1: i32): void {
  const h = gi(g, 1), w = gi(g, 2), c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  let o = out + <usize>(n0 * oh * ow * c) * 4;
  for (let b = n0; b < n1; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        // NOTE: the same visiting order and strict '>' as poolArgmax, so the value is the one take(argmax) returns.
        let ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          let seen = false;
          let bv = f32x4.splat(0);
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= w) continue;
              const v = v128.load(x + <usize>(((b * h + iy) * w + ix) * c + ch) * 4);
              bv = seen ? v128.bitselect(v, bv, f32x4.gt(v, bv)) : v;
              seen = true;
            }
          }
          v128.store(o + <usize>ch * 4, bv);
        }
        for (; ch < c; ch++) {
          let seen = false;
          let bv: f32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= w) continue;
              const v = load<f32>(x + <usize>(((b * h + iy) * w + ix) * c + ch) * 4);
              if (!seen || v > bv) bv = v;
              seen = true;
            }
          }
          store<f32>(o + <usize>ch * 4, bv);
        }
        o += <usize>c * 4;
      }
}
