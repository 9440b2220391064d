// The fused forward convolution writing NCHW (PyTorch's layout) instead of NHWC: runs of output pixels are computed
// by convBandRows or convRows into a staging block in the second half of the thread's work area (the same bits),
// then stored as channel planes while the block is in cache, so no separate transpose pass reads the output again.
import { MR, NR } from './gemm';
import { convBandOk, convBandRows } from './conv-band';
import { convBlockRows, convRows } from './conv';
import { transposeStrided } from './transpose';
import { gi } from './util';

/** Where the staging block starts in a work area of `workBytes` (64-byte aligned, past the first half). */
// @ts-ignore: decorator
@inline function stageAt(work: usize, workBytes: i32): usize {
  return (work + <usize>(workBytes >> 1) + 63) & ~(<usize>63);
}

/** Bytes a path may use at the start of the work area: the first half, less the alignment slack. */
// @ts-ignore: decorator
@inline function firstHalf(workBytes: i32): i32 {
  return (workBytes >> 1) - 64;
}

/** Bytes of one staging block at most: what the planes are written from while it is still in L2. */
const STAGE_BYTES: i32 = 48 * 1024;

/**
 * Output pixels one staging block holds for `o` filters (a multiple of 4), or 0 when this geometry cannot run here:
 * the block must hold at least 4 pixels, and convRows' im2col block (up to 64 rows of depth k) must fit the first
 * half of the work area (convBandRows is given that half as its budget).
 * NOTE: 16 KiB to 1 MiB blocks measured alike (session 26); the band path refills a band per block, so blocks much
 * smaller than this would repeat input rows.
 */
export function convNchwStage(g: usize, o: i32, workBytes: i32): i32 {
  const k = gi(g, 3) * gi(g, 4) * gi(g, 5);
  if (o <= 0 || k <= 0) return 0;
  const half = firstHalf(workBytes);
  const rows = (min(half - 64, STAGE_BYTES) / (o * 4)) & ~3;
  if (rows < MR) return 0;
  if (convBandOk(g, half)) return rows;
  const mb = convBlockRows(k);
  return mb >= MR && mb * k * 4 + MR * NR * 4 + mb * 4 + 64 <= half ? rows : 0;
}

/**
 * Output pixels [r0,r1) (P = n·outH·outW) of out[n, o, outH, outW] = act(im2col(x)·W + bias), W packed by
 * convPackW: blocks of `stage` pixels (convNchwStage) computed into the staging block, then written as planes.
 * NOTE: each block's rows are computed exactly as the NHWC kernels compute them (the row pointer is offset so row r
 * lands at staging row r − q), so the values are the NHWC output's, transposed.
 */
export function convRowsNCHW(x: usize, g: usize, wp: usize, bias: usize, hasBias: bool, act: i32, out: usize, o: i32, r0: i32, r1: i32, stage: i32, workBytes: i32, work: usize): void {
  const half = firstHalf(workBytes);
  const band = convBandOk(g, half);
  const st = stageAt(work, workBytes);
  const ldc = <usize>o * 4;
  const per = gi(g, 12) * gi(g, 13);
  for (let q = r0; q < r1; q += stage) {
    const q1 = min(r1, q + stage);
    const rows = st - <usize>q * ldc; // row r of out[P, o] at st + (r − q)·ldc
    if (band) convBandRows(x, g, wp, bias, hasBias, act, rows, o, q, q1, half, work);
    else convRows(x, g, wp, bias, hasBias, act, rows, o, q, q1, work);
    // the block's pixels, image by image, into planes of `per` values
    let p = q;
    while (p < q1) {
      const b = p / per;
      const e = min(q1, (b + 1) * per);
      const dst = out + <usize>(b * o * per + (p - b * per)) * 4;
      transposeStrided(st + <usize>(p - q) * ldc, dst, e - p, o, ldc, <usize>per * 4);
      p = e;
    }
  }
}
