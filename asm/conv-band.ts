// The fused forward convolution for windows whose depth (kh·kw·c) fits one sgemm depth block, through a
// zero-padded copy of the input rows a run of output rows reads (a "band"): every 4-pixel tile then reads its
// windows straight from the band, so no tile gathers patches — the border tiles that convRows gathers into its
// scratch cost as much as the interior ones. Bias, then the activation, run on a full tile's accumulators before its
// store (other tiles: the epilogue, while its rows are in L1). Geometry is the 14 i32 block window.ts reads.
import { MR, NR, depthStep } from './gemm';
import { ACT_RELU, epilogue, tile } from './conv';
import { copyF32, gi, zeroF32 } from './util';

/**
 * Fill `rows` band rows of `wpx` pixels (row i holds input row top + i of the image at xImg, shifted right by pl
 * columns): the input where it lies inside the image, zeros above, below, left and right of it.
 */
export function fillBand(band: usize, xImg: usize, top: i32, rows: i32, h: i32, w: i32, cin: i32, wpx: i32, pl: i32): void {
  const bandRow = <usize>(wpx * cin) * 4;
  const inW = min(w, wpx - pl); // input columns the band holds
  for (let i = 0; i < rows; i++) {
    const dst = band + <usize>i * bandRow;
    const iy = top + i;
    if (iy < 0 || iy >= h || inW <= 0) {
      zeroF32(dst, wpx * cin);
      continue;
    }
    if (pl > 0) zeroF32(dst, pl * cin);
    copyF32(dst + <usize>(pl * cin) * 4, xImg + <usize>(iy * w * cin) * 4, inW * cin);
    if (pl + inW < wpx) zeroF32(dst + <usize>((pl + inW) * cin) * 4, (wpx - pl - inW) * cin);
  }
}

/** Whether convBandRows can run this geometry: dilation 1 along the width, depth in one block, one output row's band in `bytes`. */
export function convBandOk(g: usize, bytes: i32): bool {
  const c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9);
  const pt = gi(g, 10), pl = gi(g, 11), ow = gi(g, 13);
  const k = kh * kw * c;
  if (dw !== 1 || k <= 0 || k > depthStep(k) || ow <= 0 || pt < 0 || pl < 0) return false;
  const wp = (ow - 1) * sw + kw;
  return <i64>((kh - 1) * dh + 1) * <i64>wp * <i64>c * 4 + <i64>(MR * NR * 4 + 64) <= <i64>bytes;
}

/**
 * Output rows [r0,r1) of out[P, o] = act(im2col(x)·W + bias) (act: 0 none, 1 relu), P = n·outH·outW, with `wp` = W packed by convPackW.
 * `work` holds `workBytes` of the calling thread's scratch (convBandOk said one output row's band fits).
 * NOTE: the band holds the zeros im2col would write, and every tile sums its window in im2col's column order in one
 * depth block, so results are bit-identical to convRows and to im2col → matmul → add(bias) (→ relu).
 */
export function convBandRows(x: usize, g: usize, wp: usize, bias: usize, hasBias: bool, act: i32, out: usize, o: i32, r0: i32, r1: i32, workBytes: i32, work: usize): void {
  const h = gi(g, 1), w = gi(g, 2), cin = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const k = kh * kw * cin;
  const tmp = (work + 15) & ~(<usize>15);
  const band = tmp + <usize>(MR * NR) * 4;
  const wpx = (ow - 1) * sw + kw; // band width in pixels: column j is input column j - pl
  const bandRow = <usize>(wpx * cin) * 4;
  const span = (kh - 1) * dh + 1; // input rows one output row reads
  const maxBandRows = <i32>((<usize>workBytes - (band - work)) / bandRow);
  const rowsPerBand = max(1, (maxBandRows - span) / sh + 1); // output rows whose inputs fit at once
  const run = kw * cin;
  const jump = <usize>((dh * wpx - kw) * cin) * 4;
  const ldc = <usize>o * 4;
  const per = oh * ow;
  let q0 = r0;
  while (q0 < r1) {
    // one band: output rows [oyA, oyB] of image b, pixels [q0, q1)
    const b = q0 / per;
    const oyA = (q0 - b * per) / ow;
    const oyB = min(oh - 1, oyA + rowsPerBand - 1);
    const q1 = min(r1, b * per + (oyB + 1) * ow);
    const top = oyA * sh - pt; // input row of band row 0
    const rows = (oyB - oyA) * sh + span;
    fillBand(band, x + <usize>(b * h * w * cin) * 4, top, rows, h, w, cin, wpx, pl);
    // tiles of 4 pixels, each through every column panel, then its epilogue
    let oy = oyA, ox = (q0 - b * per) % ow;
    for (let q = q0; q < q1; q += MR) {
      const mr = min(MR, q1 - q);
      let a0: usize = 0, o1: usize = 0, o2: usize = 0, o3: usize = 0;
      for (let r = 0; r < MR; r++) {
        // rows past mr repeat the last real pixel (their results are discarded)
        const addr = band + <usize>(((oy - oyA) * sh * wpx + ox * sw) * cin) * 4;
        if (r === 0) a0 = addr;
        else if (r === 1) o1 = addr - a0;
        else if (r === 2) o2 = addr - a0;
        else o3 = addr - a0;
        if (r + 1 < mr && ++ox === ow) {
          ox = 0;
          oy++;
        }
      }
      if (mr === MR && ++ox === ow) {
        ox = 0;
        oy++;
      }
      const c = out + <usize>q * ldc;
      if (mr === MR && (o & 3) === 0) {
        // NOTE: a full tile whose panels are all 8 or 4 wide takes bias and relu on its accumulators before the
        // store: the epilogue's f32 add, then max, without reading the tile back (9–21% of the kernel, session 13)
        const relu = act === ACT_RELU;
        for (let jr = 0; jr < o; jr += NR) {
          const bj = hasBias ? bias + <usize>jr * 4 : 0;
          tile(o - jr <= 4, a0, o1, o2, o3, run, jump, kh, wp + <usize>(jr * k) * 4, c + <usize>jr * 4, ldc, false, bj, relu);
        }
        continue;
      }
      for (let jr = 0; jr < o; jr += NR) {
        const nr = min(NR, o - jr);
        const narrow = nr <= 4;
        const full = mr === MR && (nr === NR || nr === 4);
        const cj = c + <usize>jr * 4;
        tile(narrow, a0, o1, o2, o3, run, jump, kh, wp + <usize>(jr * k) * 4, full ? cj : tmp, full ? ldc : <usize>NR * 4, false);
        if (!full)
          for (let r = 0; r < mr; r++)
            for (let t = 0; t < nr; t++) store<f32>(cj + <usize>r * ldc + <usize>t * 4, load<f32>(tmp + <usize>(r * NR + t) * 4));
      }
      if (hasBias || act !== 0) epilogue(c, ldc, mr, o, bias, hasBias, act);
    }
    q0 = q1;
  }
}
