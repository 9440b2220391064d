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
  const rs = <usize>C * 4; // source row stride (bytes)
  const os = <usize>R * 4; // output row stride (bytes)
  for (let r0 = 0; r0 < R; r0 += T) {
    const r1 = min(R, r0 + T);
    for (let c0 = 0; c0 < C; c0 += T) {
      const c1 = min(C, c0 + T);
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
  }
}
