// The two convolution products of training without a patch matrix: the input gradient col2im(g·wᵀ) and the filter
// gradient im2col(x)ᵀ·g. Each works through blocks of output-pixel rows held in the calling thread's scratch.
// Geometry is the 14 i32 block window.ts reads; g is [n·outH·outW, o] (row-major), w is [kh·kw·c, o].
import { MR, NR, depthStep, gemmWorkBytes, microPacked, microRuns, packA, packB } from './gemm';
import { convBlockRows, micro4Runs } from './conv';
import { gi, zeroF32 } from './util';
import { col2imRows, im2col } from './window';

/** Pack wᵀ ([o, k], read from w [k, o]) into NR-column panels at dst: panel j holds depth 0..o of columns 8j..8j+7. */
export function convPackWT(w: usize, k: i32, o: i32, dst: usize): void {
  packB(w, 1, o, o, k, dst);
}

/**
 * Images [n0,n1) of dx[n,h,w,c] = col2im(g·wᵀ): each block of rows of t = g·wᵀ is computed in the scratch, then
 * summed into its image; `wtp` is wᵀ packed by convPackWT.
 * NOTE: t is summed over o in sgemm's depth blocks and its rows are scattered in col2im's order, so the result is
 * bit-identical to col2im(matmul(g, w, transB)) on these kernels; whole images per call keep threads' writes apart.
 */
export function convInputRows(gr: usize, geo: usize, wtp: usize, out: usize, o: i32, n0: i32, n1: i32, work: usize): void {
  const h = gi(geo, 1), w = gi(geo, 2), c = gi(geo, 3);
  const k = c * gi(geo, 4) * gi(geo, 5);
  const per = gi(geo, 12) * gi(geo, 13);
  const mb = convBlockRows(k);
  const scratch = (work + 15) & ~(<usize>15);
  const tmp = scratch + <usize>(mb * k) * 4;
  const rowT = <usize>k * 4;
  const rowG = <usize>o * 4;
  const kStep = depthStep(o);
  zeroF32(out + <usize>(n0 * h * w * c) * 4, (n1 - n0) * h * w * c);
  if (o <= 0) return;
  const r1 = n1 * per;
  // NOTE: each 4-row tile of g is packed once (sgemm's A layout) and runs the packed micro-kernel against every
  // panel of wᵀ: 0.87–0.96× the time of reading g in place per panel (session 13), the same products in the same
  // order. Where the work area has no room left for the packed tile (deep, wide layers), g is read in place.
  const apack = tmp + <usize>(MR * NR) * 4;
  const packed = <i64>(o * MR * 4) <= <i64>(work + <usize>gemmWorkBytes()) - <i64>apack;
  for (let rb = n0 * per; rb < r1; rb += mb) {
    const m = min(mb, r1 - rb);
    for (let ir = 0; ir < m; ir += MR) {
      const mr = min(MR, m - ir);
      const a = gr + <usize>(rb + ir) * rowG;
      // rows past m repeat the last real row in place, or are zeros when packed (their results are discarded)
      const o1 = <usize>min(1, mr - 1) * rowG, o2 = <usize>min(2, mr - 1) * rowG, o3 = <usize>min(3, mr - 1) * rowG;
      if (packed) packA(a, o, 1, mr, o, apack);
      for (let jr = 0; jr < k; jr += NR) {
        const nr = min(NR, k - jr);
        const panel = wtp + <usize>(jr * o) * 4;
        const full = mr === MR && nr === NR;
        const t = scratch + <usize>ir * rowT + <usize>jr * 4;
        const dst = full ? t : tmp;
        const ld = full ? rowT : <usize>NR * 4;
        for (let pc = 0; pc < o; pc += kStep) {
          const kc = min(kStep, o - pc);
          const bp = panel + <usize>pc * NR * 4;
          if (packed) microPacked(apack + <usize>(pc * MR) * 4, bp, kc, dst, ld, pc > 0);
          else microRuns(a + <usize>pc * 4, o1, o2, o3, 4, kc, 0, 1, bp, NR * 4, dst, ld, pc > 0);
        }
        if (!full)
          for (let r = 0; r < mr; r++)
            for (let q = 0; q < nr; q++) store<f32>(t + <usize>r * rowT + <usize>q * 4, load<f32>(tmp + <usize>(r * NR + q) * 4));
      }
    }
    col2imRows(scratch - <usize>rb * rowT, geo, out, rb, rb + m); // rows are addressed at their place in t
  }
}

/** NOTE: each block's rows are the depth of its micro-kernel runs, so long blocks amortise loading and storing dw. */
const FILTER_ROWS: i32 = 256;

/** Rows of im2col convFilterRows gathers at once (a multiple of MR; below MR the depth k is too large for it). */
export function convFilterBlockRows(k: i32): i32 {
  if (k <= 0) return 64;
  const fit = (gemmWorkBytes() - 1024 - FILTER_ROWS * NR * 4) / (k * 4);
  return min(FILTER_ROWS, fit) & ~(MR - 1);
}

/**
 * dst[k, o] = Σ over rows [r0,r1) of im2col(x)ᵀ·g: each block of im2col rows is gathered into the scratch and its
 * product added to dst (zeroed first). Rows are summed block by block in order, so a fixed split of the rows
 * (chosen by shape) gives the same bits on any number of threads.
 */
export function convFilterRows(x: usize, geo: usize, gr: usize, o: i32, r0: i32, r1: i32, dst: usize, work: usize): void {
  const k = gi(geo, 3) * gi(geo, 4) * gi(geo, 5);
  const mb = convFilterBlockRows(k);
  const scratch = (work + 15) & ~(<usize>15);
  const tmp = scratch + <usize>(mb * k) * 4;
  const bpack = tmp + <usize>(MR * NR) * 4; // a ragged column panel of g, zero-padded to NR
  const rowS = <usize>k * 4;
  const rowG = <usize>o * 4;
  zeroF32(dst, k * o);
  for (let rb = r0; rb < r1; rb += mb) {
    const m = min(mb, r1 - rb);
    im2col(x, geo, scratch - <usize>rb * rowS, rb, rb + m); // rows land at their place
    // the ragged last column panel of g (o not a multiple of NR), zero-padded: packed once per block, not per row tile
    const oTail = o & ~(NR - 1);
    if (oTail < o) packB(gr + <usize>rb * rowG + <usize>oTail * 4, o, 1, m, o - oTail, bpack); // never read past g's last column
    for (let ir = 0; ir < k; ir += MR) {
      const mr = min(MR, k - ir);
      // dst rows past k repeat the last real one (their results are discarded)
      const o1 = <usize>min(1, mr - 1) * 4, o2 = <usize>min(2, mr - 1) * 4, o3 = <usize>min(3, mr - 1) * 4;
      const a = scratch + <usize>ir * 4;
      for (let jr = 0; jr < o; jr += NR) {
        const nr = min(NR, o - jr);
        const c = dst + <usize>ir * rowG + <usize>jr * 4;
        let b = gr + <usize>rb * rowG + <usize>jr * 4;
        let rsB = rowG;
        if (nr < NR) {
          b = bpack;
          rsB = <usize>NR * 4;
        }
        // NOTE: a tail of at most 4 columns runs the 4-wide micro-kernel (each lane is the same sum either way).
        // NOTE: a full tile's 4 taps are 4 consecutive floats of each gathered row: load immediates (o_r = 4r)
        if (mr === MR && nr === NR) microRuns(a, 4, 8, 12, rowS, m, 0, 1, b, rsB, c, rowG, true, 0, false, true);
        else if (mr === MR && nr === 4) micro4Runs(a, 4, 8, 12, rowS, m, 0, 1, b, rsB, c, rowG, true, 0, false, true);
        else {
          if (nr <= 4) micro4Runs(a, o1, o2, o3, rowS, m, 0, 1, b, rsB, tmp, NR * 4, false);
          else microRuns(a, o1, o2, o3, rowS, m, 0, 1, b, rsB, tmp, NR * 4, false);
          for (let r = 0; r < mr; r++)
            for (let q = 0; q < nr; q++) {
              const p = c + <usize>r * rowG + <usize>q * 4;
              store<f32>(p, load<f32>(p) + load<f32>(tmp + <usize>(r * NR + q) * 4));
            }
        }
      }
    }
  }
}

/** out[0..len) = Σ_i parts[i·len ..] for i in [0, n), summed in order (the filter gradient's per-slice partials). */
export function sumSlices(parts: usize, n: i32, len: i32, out: usize): void {
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    let s = v128.load(parts + <usize>j * 4);
    for (let i = 1; i < n; i++) s = f32x4.add(s, v128.load(parts + <usize>(i * len + j) * 4));
    v128.store(out + <usize>j * 4, s);
  }
  for (; j < len; j++) {
    let s = load<f32>(parts + <usize>j * 4);
    for (let i = 1; i < n; i++) s += load<f32>(parts + <usize>(i * len + j) * 4);
    store<f32>(out + <usize>j * 4, s);
  }
}
