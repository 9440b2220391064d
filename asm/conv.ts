// The fused forward convolution for inference: im2col(x)·W + bias without materialising the im2col matrix.
// Geometry is the 14 i32 block window.ts reads.
import { MR, NR, depthStep, gemmWorkBytes, microRuns, packB } from './gemm';
import { gi, madd } from './util';
import { im2col } from './window';

/** microRuns() for a 4-column tail panel: C[4×4] from the first 4 columns of each B row. */
// @ts-ignore: decorator
@inline export function micro4Runs(a: usize, o1: usize, o2: usize, o3: usize, csA: usize, run: i32, jump: usize, runs: i32, b: usize, rsB: usize, c: usize, ldc: usize, beta: bool, bias: usize = 0, relu: bool = false, contig: bool = false): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let r = 0; r < runs; r++) {
    for (let p = 0; p < run; p++) {
      const b0 = v128.load(b);
      c0 = madd(v128.load32_splat(a), b0, c0);
      c1 = madd(contig ? v128.load32_splat(a, 4) : v128.load32_splat(a + o1), b0, c1);
      c2 = madd(contig ? v128.load32_splat(a, 8) : v128.load32_splat(a + o2), b0, c2);
      c3 = madd(contig ? v128.load32_splat(a, 12) : v128.load32_splat(a + o3), b0, c3);
      a += csA;
      b += rsB;
    }
    a += jump;
  }
  if (beta) {
    c0 = f32x4.add(c0, v128.load(c));
    c1 = f32x4.add(c1, v128.load(c + ldc));
    c2 = f32x4.add(c2, v128.load(c + 2 * ldc));
    c3 = f32x4.add(c3, v128.load(c + 3 * ldc));
  }
  if (bias !== 0) {
    const b0 = v128.load(bias);
    c0 = f32x4.add(c0, b0); c1 = f32x4.add(c1, b0); c2 = f32x4.add(c2, b0); c3 = f32x4.add(c3, b0);
  }
  if (relu) {
    const z = f32x4.splat(0);
    c0 = f32x4.max(c0, z); c1 = f32x4.max(c1, z); c2 = f32x4.max(c2, z); c3 = f32x4.max(c3, z);
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}

/**
 * One 4×(8 or 4) tile over `runs` runs (B packed in NR-column panels). Interior tiles read image rows (run = kw·c,
 * jump to the next kernel row); gathered tiles read one run from the scratch.
 */
// @ts-ignore: decorator
@inline export function tile(narrow: bool, a: usize, o1: usize, o2: usize, o3: usize, run: i32, jump: usize, runs: i32, b: usize, c: usize, ldc: usize, beta: bool, bias: usize = 0, relu: bool = false): void {
  if (narrow) micro4Runs(a, o1, o2, o3, 4, run, jump, runs, b, NR * 4, c, ldc, beta, bias, relu);
  else microRuns(a, o1, o2, o3, 4, run, jump, runs, b, NR * 4, c, ldc, beta, bias, relu);
}

/** Activation codes of the fused epilogue (src/backend/wasm/exports.ts: CONV_ACT). */
export const ACT_RELU: i32 = 1;

/**
 * rows[0..mr) × o at c (row stride ldc bytes) += bias, then the activation (act: 0 none, 1 relu).
 * NOTE: bias is added after the whole sum and relu is f32 max(v, 0) — +0 for v ≤ 0, NaN kept, as the reference's
 * relu — so the result is the composition add(conv, bias) → relu bit for bit.
 */
// @ts-ignore: decorator
@inline export function epilogue(c: usize, ldc: usize, mr: i32, o: i32, bias: usize, hasBias: bool, act: i32): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < mr; r++) {
    const row = c + <usize>r * ldc;
    let j = 0;
    for (; j + 4 <= o; j += 4) {
      let v = v128.load(row + <usize>j * 4);
      if (hasBias) v = f32x4.add(v, v128.load(bias + <usize>j * 4));
      if (act === ACT_RELU) v = f32x4.max(v, zero);
      v128.store(row + <usize>j * 4, v);
    }
    for (; j < o; j++) {
      let v = load<f32>(row + <usize>j * 4);
      if (hasBias) v += load<f32>(bias + <usize>j * 4);
      if (act === ACT_RELU) v = max<f32>(v, 0);
      store<f32>(row + <usize>j * 4, v);
    }
  }
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
 * Output rows [r0,r1) of out[P, o] = act(im2col(x)·W (+ bias)) (act: 0 none, 1 relu): each block of rows is gathered into the thread's scratch
 * and multiplied there, so the P×K patch matrix never exists. `wp` is W packed by convPackW.
 * NOTE: depth is cut into the same blocks as sgemm and each block summed in the same order, so the result is
 * bit-identical to im2col → matmul → add(bias).
 */
export function convRows(x: usize, g: usize, wp: usize, bias: usize, hasBias: bool, act: i32, out: usize, o: i32, r0: i32, r1: i32, work: usize): void {
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
        const c = out + <usize>(rb + ir) * ldc + <usize>jr * 4;
        // NOTE: a tail of at most 4 columns runs the 4-wide micro-kernel (each lane is the same sum either way).
        const narrow = nr <= 4;
        const full = mr === MR && (nr === NR || nr === 4);
        const dst = full ? c : tmp;
        const ld = full ? ldc : <usize>NR * 4;
        if ((inside >> <u64>(ir / MR)) & 1) {
          const bp = bases + <usize>ir * 4;
          const a0 = <usize>load<u32>(bp);
          const o1 = <usize>load<u32>(bp, 4) - a0, o2 = <usize>load<u32>(bp, 8) - a0, o3 = <usize>load<u32>(bp, 12) - a0;
          tile(narrow, a0, o1, o2, o3, run, jump, kh, panel, dst, ld, false);
        } else {
          const a = scratch + <usize>ir * rowB;
          // rows past m repeat the last real row (their results are discarded)
          const o1 = <usize>min(1, mr - 1) * rowB, o2 = <usize>min(2, mr - 1) * rowB, o3 = <usize>min(3, mr - 1) * rowB;
          for (let pc = 0; pc < k; pc += kStep)
            tile(narrow, a + <usize>pc * 4, o1, o2, o3, min(kStep, k - pc), 0, 1, panel + <usize>pc * NR * 4, dst, ld, pc > 0);
        }
        if (!full)
          for (let r = 0; r < mr; r++)
            for (let q = 0; q < nr; q++)
              store<f32>(c + <usize>r * ldc + <usize>q * 4, load<f32>(tmp + <usize>(r * NR + q) * 4));
      }
    }
    if (hasBias || act !== 0) epilogue(out + <usize>rb * ldc, ldc, m, o, bias, hasBias, act);
  }
}
