// The conv filter gradient im2col(x)ᵀ·g read straight from a zero-padded copy of the input rows a run of output
// rows reads (a "band", as in conv-band.ts): tap i of pixel p sits at band + pix(p) + off(i), so a 4-tap × 8-filter
// tile runs the sgemm micro-kernel over the pixels of an output row with a fixed pixel step, and no im2col block is
// ever gathered. Geometry is the 14 i32 block window.ts reads; g is [n·outH·outW, o], dst is [kh·kw·c, o].
import { MR, NR, microRuns, packB } from './gemm';
import { micro4Runs } from './conv';
import { fillBand } from './conv-band';
import { gi, zeroF32 } from './util';

/** Bytes of scratch besides the band: the edge tile, a ragged panel of g for `pixels` rows, and the tap offsets. */
// @ts-ignore: decorator
@inline function extraBytes(k: i32, pixels: i32): i64 {
  return <i64>(MR * NR * 4) + <i64>pixels * <i64>(NR * 4) + <i64>k * 4 + 64;
}

/**
 * Depths above this keep convFilterRows' gathered 256-row blocks.
 * NOTE: measured on one core, the filter kernel alone on seed, ONNX and wider CNN layers: k = 9, 27, 108 run 1.6–3.7×
 * faster from the band; at k = 288 and 576 the two were within the machine's noise, so the blocks stay there.
 */
const BAND_MAX_K: i32 = 128;

/**
 * Pixels summed in one micro-kernel call before the partial sum is added into dst.
 * NOTE: f32 accumulation error grows with the chain's length: calls of ≤ 256 pixels (sgemm's depth block) keep the
 * result as close to the reference as the gathered blocks of convFilterRows.
 */
const DEPTH: i32 = 256;

/** Whether convFilterBandRows can run this geometry: a small depth, one output row's band and extras in `bytes`. */
export function convFilterBandOk(g: usize, bytes: i32): bool {
  const c = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9);
  const pt = gi(g, 10), pl = gi(g, 11), ow = gi(g, 13);
  const k = kh * kw * c;
  if (k <= 0 || k > BAND_MAX_K || ow <= 0 || pt < 0 || pl < 0) return false;
  const wpx = (ow - 1) * sw + (kw - 1) * dw + 1;
  return <i64>((kh - 1) * dh + 1) * <i64>wpx * <i64>c * 4 + extraBytes(k, ow) <= <i64>bytes;
}

/**
 * dst[k, o] = Σ over pixel rows [r0,r1) of im2col(x)ᵀ·g (dst zeroed first). Whole output rows (up to DEPTH pixels)
 * or parts of one are one micro-kernel depth run each, added into dst in order: a fixed split of the rows (chosen
 * by shape) gives the same bits on any number of threads.
 */
export function convFilterBandRows(x: usize, g: usize, gr: usize, o: i32, r0: i32, r1: i32, dst: usize, workBytes: i32, work: usize): void {
  const h = gi(g, 1), w = gi(g, 2), cin = gi(g, 3), kh = gi(g, 4), kw = gi(g, 5);
  const sh = gi(g, 6), sw = gi(g, 7), dh = gi(g, 8), dw = gi(g, 9), pt = gi(g, 10), pl = gi(g, 11);
  const oh = gi(g, 12), ow = gi(g, 13);
  const k = kh * kw * cin;
  const wpx = (ow - 1) * sw + (kw - 1) * dw + 1; // band width in pixels: column j is input column j - pl
  const bandRow = <usize>(wpx * cin) * 4;
  const span = (kh - 1) * dh + 1;
  const tmp = (work + 15) & ~(<usize>15);
  const offs = tmp + <usize>(MR * NR) * 4; // byte offset of each tap from its pixel's window corner
  const oTail = o & ~(NR - 1);
  const tail = o - oTail;
  const packTail = tail > 0 && tail !== 4; // a tail of exactly 4 is read in place by the 4-wide kernel
  // output rows per band: the band and (when packed) the tail panel of their pixels must fit
  const free = <i64>workBytes - extraBytes(k, 0) - <i64>((offs - work) + <usize>k * 4);
  const perRow = <i64>sh * <i64>bandRow + (packTail ? <i64>(ow * NR * 4) : 0);
  const rowsPerBand = <i32>max<i64>(1, (free - <i64>(span - sh) * <i64>bandRow) / perRow);
  const band = (offs + <usize>k * 4 + 15) & ~(<usize>15);
  const bpack = band + <usize>((rowsPerBand - 1) * sh + span) * bandRow;
  for (let ky = 0, i = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++)
      for (let ch = 0; ch < cin; ch++, i++) store<u32>(offs + <usize>i * 4, <u32>(((ky * dh * wpx + kx * dw) * cin + ch) * 4));
  const rowG = <usize>o * 4;
  const csA = <usize>(sw * cin) * 4;
  zeroF32(dst, k * o);
  const per = oh * ow;
  let q0 = r0;
  while (q0 < r1) {
    const b = q0 / per;
    const oyA = (q0 - b * per) / ow;
    const oyB = min(oh - 1, oyA + rowsPerBand - 1);
    const q1 = min(r1, b * per + (oyB + 1) * ow);
    const top = oyA * sh - pt;
    const rows = (oyB - oyA) * sh + span;
    fillBand(band, x + <usize>(b * h * w * cin) * 4, top, rows, h, w, cin, wpx, pl);
    if (packTail) packB(gr + <usize>q0 * rowG + <usize>oTail * 4, o, 1, q1 - q0, tail, bpack);
    // segments: a partial first row, whole rows in one run each call, a partial last row
    let q = q0;
    while (q < q1) {
      const oy = (q - b * per) / ow;
      const ox = (q - b * per) % ow;
      let run = min(min(ow - ox, q1 - q), DEPTH);
      let runs = 1;
      if (ox === 0 && q1 - q >= ow && ow <= DEPTH) {
        run = ow;
        runs = min((q1 - q) / ow, DEPTH / ow);
      }
      const a0 = band + <usize>(((oy - oyA) * sh * wpx + ox * sw) * cin) * 4;
      const jump = <usize>((sh * wpx - run * sw) * cin) * 4;
      for (let ir = 0; ir < k; ir += MR) {
        const mr = min(MR, k - ir);
        const t0 = <usize>load<u32>(offs + <usize>ir * 4);
        // taps past k repeat the last real one (their results are discarded)
        const o1 = <usize>load<u32>(offs + <usize>(ir + min(1, mr - 1)) * 4) - t0;
        const o2 = <usize>load<u32>(offs + <usize>(ir + min(2, mr - 1)) * 4) - t0;
        const o3 = <usize>load<u32>(offs + <usize>(ir + min(3, mr - 1)) * 4) - t0;
        const a = a0 + t0;
        const contig = o1 === 4 && o2 === 8 && o3 === 12;
        for (let jr = 0; jr < o; jr += NR) {
          const nr = min(NR, o - jr);
          const c = dst + <usize>ir * rowG + <usize>jr * 4;
          let bp = gr + <usize>q * rowG + <usize>jr * 4;
          let rsB = rowG;
          if (nr < NR && packTail) {
            bp = bpack + <usize>(q - q0) * NR * 4;
            rsB = <usize>NR * 4;
          }
          // NOTE: a tail of at most 4 columns runs the 4-wide micro-kernel (each lane is the same sum either way).
          // NOTE: 4 taps in one kernel row are 4 consecutive floats of the band: their offsets become load immediates
          if (mr === MR && nr === NR) {
            if (contig) microRuns(a, 4, 8, 12, csA, run, jump, runs, bp, rsB, c, rowG, true, 0, false, true);
            else microRuns(a, o1, o2, o3, csA, run, jump, runs, bp, rsB, c, rowG, true);
          } else if (mr === MR && nr === 4) {
            if (contig) micro4Runs(a, 4, 8, 12, csA, run, jump, runs, bp, rsB, c, rowG, true, 0, false, true);
            else micro4Runs(a, o1, o2, o3, csA, run, jump, runs, bp, rsB, c, rowG, true);
          }
          else {
            if (nr <= 4) micro4Runs(a, o1, o2, o3, csA, run, jump, runs, bp, rsB, tmp, NR * 4, false);
            else microRuns(a, o1, o2, o3, csA, run, jump, runs, bp, rsB, tmp, NR * 4, false);
            for (let r = 0; r < mr; r++)
              for (let t = 0; t < nr; t++) {
                const p = c + <usize>r * rowG + <usize>t * 4;
                store<f32>(p, load<f32>(p) + load<f32>(tmp + <usize>(r * NR + t) * 4));
              }
          }
        }
      }
      q += run * runs;
    }
    q0 = q1;
  }
}
