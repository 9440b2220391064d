// Batched 2-D transpose of 4-byte values: out[b][c][r] = x[b][r][c]. What NCHW ↔ NHWC (and most transposes) become
// once adjacent axes are merged (src/backend/wasm/movement.ts collapses them before calling this).
import { storeT4 } from './util';

/** Tile edge (values): a 32×32 tile of both sides (8 KiB) stays in L1 while its 4×4 blocks are swapped. */
const T: i32 = 32;

/** out[b·C·R + c·R + r] = x[b·R·C + r·C + c] for b in [b0, b1), r < R, c < C (4-byte values, any type). */
export function transpose3(x: usize, out: usize, R: i32, C: i32, b0: i32, b1: i32): void {
  const plane = <usize>R * <usize>C * 4;
  for (let b = b0; b < b1; b++) transposePlane(x + <usize>b * plane, out + <usize>b * plane, R, C);
}

function transposePlane(x: usize, out: usize, R: i32, C: i32): void {
  if (R === 3 && C >= 4) interleave3(x, out, C);
  else transposeStrided(x, out, R, C, <usize>C * 4, <usize>R * 4);
}

/**
 * out[c·os + r·4] = x[r·rs + c·4] for r < R, c < C (byte strides: `rs` between source rows, `os` between output rows;
 * the conv kernel's NCHW store passes planes longer than R).
 */
export function transposeStrided(x: usize, out: usize, R: i32, C: i32, rs: usize, os: usize): void {
  for (let r0 = 0; r0 < R; r0 += T) {
    const r1 = min(R, r0 + T);
    for (let c0 = 0; c0 < C; c0 += T) {
      const c1 = min(C, c0 + T);
      // NOTE: the side with the longer row stride is walked 4 rows at a time. Its rows are often a multiple of 4 KiB
      // apart (NCHW planes of 32×32), so a tile's 12–32 of them share one L1 set: NHWC → NCHW with 12 channels ran
      // at half the speed of the opposite direction when every 4 source rows wrote all 12 planes.
      if (os > rs) tileByOutputRows(x, out, rs, os, r0, r1, c0, c1);
      else tileBySourceRows(x, out, rs, os, r0, r1, c0, c1);
    }
  }
}

/** One tile, 4 source rows at a time (every output row of the tile written by each). */
// @ts-ignore: decorator
@inline function tileBySourceRows(x: usize, out: usize, rs: usize, os: usize, r0: i32, r1: i32, c0: i32, c1: i32): void {
  let r = r0;
  for (; r + 4 <= r1; r += 4) {
    const src = x + <usize>r * rs;
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const s = src + <usize>c * 4;
      storeT4(v128.load(s), v128.load(s + rs), v128.load(s + 2 * rs), v128.load(s + 3 * rs), out + <usize>c * os + <usize>r * 4, os);
    }
    for (; c < c1; c++)
      for (let k = 0; k < 4; k++) store<u32>(out + <usize>c * os + <usize>(r + k) * 4, load<u32>(src + <usize>k * rs + <usize>c * 4));
  }
  for (; r < r1; r++)
    for (let c = c0; c < c1; c++) store<u32>(out + <usize>c * os + <usize>r * 4, load<u32>(x + <usize>r * rs + <usize>c * 4));
}

/** One tile, 4 output rows at a time (every source row of the tile read for each). */
// @ts-ignore: decorator
@inline function tileByOutputRows(x: usize, out: usize, rs: usize, os: usize, r0: i32, r1: i32, c0: i32, c1: i32): void {
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const dst = out + <usize>c * os;
    let r = r0;
    for (; r + 4 <= r1; r += 4) {
      const s = x + <usize>r * rs + <usize>c * 4;
      storeT4(v128.load(s), v128.load(s + rs), v128.load(s + 2 * rs), v128.load(s + 3 * rs), dst + <usize>r * 4, os);
    }
    for (; r < r1; r++)
      for (let k = 0; k < 4; k++) store<u32>(dst + <usize>k * os + <usize>r * 4, load<u32>(x + <usize>r * rs + <usize>(c + k) * 4));
  }
  for (; c < c1; c++)
    for (let r = r0; r < r1; r++) store<u32>(out + <usize>c * os + <usize>r * 4, load<u32>(x + <usize>r * rs + <usize>c * 4));
}

/**
 * [3, C] → [C, 3] (three planes into triples: RGB NCHW → NHWC): 4 columns of the three rows make 3 vectors of
 * interleaved triples.
 */
function interleave3(x: usize, out: usize, C: i32): void {
  const rs = <usize>C * 4;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const s = x + <usize>c * 4;
    const a = v128.load(s), b = v128.load(s + rs), d = v128.load(s + 2 * rs);
    const dst = out + <usize>c * 12;
    v128.store(dst, i32x4.shuffle(i32x4.shuffle(a, b, 0, 4, 1, 5), d, 0, 1, 4, 2)); // a0 b0 d0 a1
    v128.store(dst + 16, i32x4.shuffle(i32x4.shuffle(b, d, 1, 5, 2, 6), a, 0, 1, 6, 2)); // b1 d1 a2 b2
    v128.store(dst + 32, i32x4.shuffle(d, i32x4.shuffle(a, b, 3, 7, 3, 7), 2, 4, 5, 3)); // d2 a3 b3 d3
  }
  for (; c < C; c++)
    for (let k = 0; k < 3; k++) store<u32>(out + <usize>(c * 3 + k) * 4, load<u32>(x + <usize>k * rs + <usize>c * 4));
}
