// Packed, cache-blocked single-precision GEMM with a 4×8 f32x4 register-tiled micro-kernel.
// Operands are addressed through (row stride, column stride) pairs, so transA/transB cost nothing extra.
import { madd, storeT4 } from './util';

// NOTE: MR×NR = 4×8 (8 accumulators): measured 42 GFLOP/s on one core; 6×8 and 4×12 spill in V8 and run at ~25.
// With madd as one relaxed_madd (kernels-fma.wasm) the same core runs 45–46 where mul + add runs 33–34 (session 16).
export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
const MC: i32 = 256;
const NC: i32 = 2048;
/** Columns of packed B swept by each 4-row panel of A (see sgemm). */
const NB: i32 = 512;
/** Floats of packed A (32 KiB) below which the A block stays in L1 and B panels pass under it. */
const L1_A_FLOATS: i32 = 8192;

/** Bytes of per-thread workspace `sgemm` needs: packed A block, packed B block and an edge tile. */
export function gemmWorkBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4 + 64;
}

/** Pack rows [0,mc) × depth [0,kc) of A (element (i,p) at a + (i·rs + p·cs)·4) into MR-row panels, zero-padded. */
export function packA(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const base = a + <usize>(ir * rs) * 4;
    if (mr === MR && rs === 1) {
      // A read transposed: the 4 rows of each depth step are already contiguous
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(base + <usize>(p * cs) * 4));
        dst += MR * 4;
      }
    } else if (mr === MR) {
      let p = 0;
      if (cs === 1) {
        // rows contiguous along the depth: 4×4 blocks transposed in registers
        const rsb = <usize>rs * 4;
        for (; p + 4 <= kc; p += 4) {
          const src = base + <usize>p * 4;
          storeT4(v128.load(src), v128.load(src + rsb), v128.load(src + 2 * rsb), v128.load(src + 3 * rsb), dst, MR * 4);
          dst += 4 * MR * 4;
        }
      }
      for (; p < kc; p++) {
        const src = base + <usize>(p * cs) * 4;
        for (let r = 0; r < MR; r++) store<f32>(dst + <usize>r * 4, load<f32>(src + <usize>(r * rs) * 4));
        dst += MR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = base + <usize>(p * cs) * 4;
        for (let r = 0; r < MR; r++) store<f32>(dst + <usize>r * 4, r < mr ? load<f32>(src + <usize>(r * rs) * 4) : 0);
        dst += MR * 4;
      }
    }
  }
}

/** Pack depth [0,kc) × columns [0,nc) of B (element (p,j) at b + (p·rs + j·cs)·4) into NR-column panels, zero-padded. */
export function packB(b: usize, rs: i32, cs: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const base = b + <usize>(jr * cs) * 4;
    if (nr === NR && cs === 1) {
      for (let p = 0; p < kc; p++) {
        const src = base + <usize>(p * rs) * 4;
        v128.store(dst, v128.load(src, 0), 0);
        v128.store(dst, v128.load(src, 16), 16);
        dst += NR * 4;
      }
    } else if (nr === NR && rs === 1) {
      // B read transposed (columns contiguous along the depth): two 4×4 blocks transposed in registers per 4 steps
      const csb = <usize>cs * 4;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const src = base + <usize>p * 4;
        storeT4(v128.load(src), v128.load(src + csb), v128.load(src + 2 * csb), v128.load(src + 3 * csb), dst, NR * 4);
        const src4 = src + 4 * csb;
        storeT4(v128.load(src4), v128.load(src4 + csb), v128.load(src4 + 2 * csb), v128.load(src4 + 3 * csb), dst + 16, NR * 4);
        dst += 4 * NR * 4;
      }
      for (; p < kc; p++) {
        const src = base + <usize>p * 4;
        for (let c = 0; c < NR; c++) store<f32>(dst + <usize>c * 4, load<f32>(src + <usize>c * csb));
        dst += NR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = base + <usize>(p * rs) * 4;
        for (let c = 0; c < NR; c++) store<f32>(dst + <usize>c * 4, c < nr ? load<f32>(src + <usize>(c * cs) * 4) : 0);
        dst += NR * 4;
      }
    }
  }
}

/**
 * Store a 4×8 tile of accumulators (row stride ldc bytes) into C: added to what C holds when beta, then plus the 8
 * biases at `bias` (≠ 0), then relu (f32 max with 0): the fused conv's epilogue on the accumulators.
 */
// @ts-ignore: decorator
@inline function store4x8(c: usize, ldc: usize, beta: bool, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128, bias: usize = 0, relu: bool = false): void {
  if (beta) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc)); c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc)); c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  if (bias !== 0) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
  }
  if (relu) {
    const z = f32x4.splat(0);
    c00 = f32x4.max(c00, z); c01 = f32x4.max(c01, z); c10 = f32x4.max(c10, z); c11 = f32x4.max(c11, z);
    c20 = f32x4.max(c20, z); c21 = f32x4.max(c21, z); c30 = f32x4.max(c30, z); c31 = f32x4.max(c31, z);
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldc;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldc;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldc;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/**
 * C[4×8] (row stride ldc bytes) = (beta ? C : 0) + A·B over runs·run depth steps, with A(r,p) at a + o_r (o_0 = 0),
 * advancing csA per step and another `jump` after each run, and B(p, 0..7) contiguous at b + p·rsB (all in bytes).
 * sgemm's packed panels are one run with o_r = 4r, csA = 16, rsB = 32; the fused conv reads image rows as runs.
 * `contig` (a literal at the call site) says o_r = 4r: the rows' offsets then are load immediates, with no address
 * adds in the loop.
 */
// @ts-ignore: decorator
@inline export function microRuns(a: usize, o1: usize, o2: usize, o3: usize, csA: usize, run: i32, jump: usize, runs: i32, b: usize, rsB: usize, c: usize, ldc: usize, beta: bool, bias: usize = 0, relu: bool = false, contig: bool = false): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let r = 0; r < runs; r++) {
    for (let p = run; p > 0; p--) {
      const b0 = v128.load(b);
      const b1 = v128.load(b, 16);
      let x = v128.load32_splat(a);
      c00 = madd(x, b0, c00);
      c01 = madd(x, b1, c01);
      x = contig ? v128.load32_splat(a, 4) : v128.load32_splat(a + o1);
      c10 = madd(x, b0, c10);
      c11 = madd(x, b1, c11);
      x = contig ? v128.load32_splat(a, 8) : v128.load32_splat(a + o2);
      c20 = madd(x, b0, c20);
      c21 = madd(x, b1, c21);
      x = contig ? v128.load32_splat(a, 12) : v128.load32_splat(a + o3);
      c30 = madd(x, b0, c30);
      c31 = madd(x, b1, c31);
      a += csA;
      b += rsB;
    }
    a += jump;
  }
  store4x8(c, ldc, beta, c00, c01, c10, c11, c20, c21, c30, c31, bias, relu);
}

/**
 * The sgemm micro-kernel on packed panels (A's 4 rows 16 bytes a step, B's 8 columns 32 bytes a step): microRuns
 * with the rows' offsets as load immediates.
 * NOTE: the immediates take V8's address adds out of the loop (one core: 33 GFLOP/s against 30, session 13).
 * Unrolling the depth loop is slower (19–22): Binaryen folds each accumulator's steps into one expression tree, V8
 * hoists every load of the unrolled body, and the accumulators spill.
 */
// @ts-ignore: decorator
@inline export function microPacked(a: usize, b: usize, kc: i32, c: usize, ldc: usize, beta: bool): void {
  microRuns(a, 4, 8, 12, MR * 4, kc, 0, 1, b, NR * 4, c, ldc, beta, 0, false, true);
}

/** microRuns() over one run of kc steps: the sgemm micro-kernel. */
// @ts-ignore: decorator
@inline export function micro(a: usize, o1: usize, o2: usize, o3: usize, csA: usize, b: usize, rsB: usize, kc: i32, c: usize, ldc: usize, beta: bool): void {
  microRuns(a, o1, o2, o3, csA, kc, 0, 1, b, rsB, c, ldc, beta);
}

/** NOTE: k is cut into equal blocks of at most KC (288 → one block, 400 → 200 + 200), never a thin remainder. */
// @ts-ignore: decorator
@inline export function depthStep(k: i32): i32 {
  return (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);
}

/** Below this many output columns A is read in place (packing it would cost more than the product). */
const PACK_MIN_N: i32 = 64;

/**
 * C[m×n] (row-major, leading dimension ldc) = A·B, with A(i,p) at a + (i·rsA + p·csA)·4 and B(p,j) at
 * b + (p·rsB + j·csB)·4. `work` is gemmWorkBytes() of scratch owned by the calling thread. With `pre` ≠ 0, B was
 * packed there by packBPanels for a product `preN` columns wide, of which these are columns [preJ, preJ + n), and B
 * is not read again.
 * NOTE: every output element is the same sequence of f32 multiply-adds (over k in KC blocks) whatever the
 * tiling, packing or row range, so splitting rows across threads cannot change a result.
 */
export function sgemm(a: usize, rsA: i32, csA: i32, b: usize, rsB: i32, csB: i32, c: usize, ldc: i32, m: i32, n: i32, k: i32, work: usize, pre: usize = 0, preJ: i32 = 0, preN: i32 = 0): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (let i = 0; i < m; i++) memory.fill(c + <usize>(i * ldc) * 4, 0, <usize>n * 4);
    return;
  }
  const pA = (work + 15) & ~(<usize>15);
  const pB = pA + <usize>(MC * KC) * 4;
  const tmp = pB + <usize>(KC * NC) * 4;
  const ldcB = <usize>ldc * 4;
  // NOTE: skinny outputs (n < 64) read A in place and, when B's rows are contiguous, B too: for them packing
  // would move more data than the multiply touches. A narrow tile of a pre-packed B is not skinny.
  const small = n < PACK_MIN_N && pre === 0;
  const directB = small && csB === 1 && pre === 0;
  const n8 = (preN + NR - 1) & ~(NR - 1);
  const mcMax = small ? m : MC;
  const kStep = depthStep(k);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kStep) {
      const kc = min(kStep, k - pc);
      const beta = pc > 0;
      if (pre === 0 && !directB) packB(b + <usize>(pc * rsB + jc * csB) * 4, rsB, csB, kc, nc, pB);
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        if (small) {
          smallBlock(a, rsA, csA, b, rsB, csB, c, ldc, ic, mc, jc, nc, pc, kc, directB, pB, tmp, beta);
          continue;
        }
        packA(a + <usize>(ic * rsA + pc * csA) * 4, rsA, csA, mc, kc, pA);
        // NOTE: a block of packed A that fits in L1 (≤ 32 KiB) stays there while each 8-column panel of B passes
        // under it. A larger one is swept the other way: NB columns of packed B (kc·NB floats, 512 KiB) stay in L2
        // while every 4-row panel of A sweeps them left to right, so the rows of C are read and written in order
        // (the hardware prefetcher follows them) where walking C down its columns touches a new page per tile.
        // Either order gives the same bits.
        const nb = mc * kc <= L1_A_FLOATS ? NR : NB;
        for (let jb = 0; jb < nc; jb += nb) {
          const je = min(nc, jb + nb);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = pA + <usize>(ir * kc) * 4;
            for (let jr = jb; jr < je; jr += NR) {
              const nr = min(NR, nc - jr);
              const pb = pre !== 0 ? pre + <usize>(pc * n8 + (preJ + jc + jr) * kc) * 4 : pB + <usize>(jr * kc) * 4;
              const cij = c + <usize>((ic + ir) * ldc + jc + jr) * 4;
              if (mr === MR && nr === NR) microPacked(pa, pb, kc, cij, ldcB, beta);
              else edgeTile(pa, 4, 8, 12, MR * 4, pb, NR * 4, kc, cij, ldc, mr, nr, tmp, beta);
            }
          }
        }
      }
    }
  }
}

/** A ragged tile (mr ≤ 4 rows, nr ≤ 8 columns): the micro-kernel into `tmp`, then the live part added into C. */
function edgeTile(pa: usize, o1: usize, o2: usize, o3: usize, csAb: usize, pb: usize, rsBb: usize, kc: i32, cij: usize, ldc: i32, mr: i32, nr: i32, tmp: usize, beta: bool): void {
  micro(pa, o1, o2, o3, csAb, pb, rsBb, kc, tmp, NR * 4, false);
  for (let r = 0; r < mr; r++) {
    const crow = cij + <usize>(r * ldc) * 4;
    const trow = tmp + <usize>(r * NR) * 4;
    if (beta) for (let q = 0; q < nr; q++) store<f32>(crow + <usize>q * 4, load<f32>(crow + <usize>q * 4) + load<f32>(trow + <usize>q * 4));
    else for (let q = 0; q < nr; q++) store<f32>(crow + <usize>q * 4, load<f32>(trow + <usize>q * 4));
  }
}

/**
 * Rows [ic, ic+mc) × columns [jc, jc+nc) × depth block [pc, pc+kc) of a skinny product (n < PACK_MIN_N): A read in
 * place, B in place when its rows are contiguous (else packed into pB, one panel at a time).
 */
function smallBlock(a: usize, rsA: i32, csA: i32, b: usize, rsB: i32, csB: i32, c: usize, ldc: i32, ic: i32, mc: i32, jc: i32, nc: i32, pc: i32, kc: i32, directB: bool, pB: usize, tmp: usize, beta: bool): void {
  const ldcB = <usize>ldc * 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let pb: usize;
    let rsBb: usize = NR * 4;
    if (!directB) pb = pB + <usize>(jr * kc) * 4;
    else if (nr === NR) {
      pb = b + <usize>(pc * rsB + jc + jr) * 4;
      rsBb = <usize>rsB * 4;
    } else {
      packB(b + <usize>(pc * rsB + jc + jr) * 4, rsB, 1, kc, nr, pB); // the ragged last panel, zero-padded
      pb = pB;
    }
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      // rows past m repeat row m-1 (their results are discarded), so nothing outside A is read
      const pa = a + <usize>((ic + ir) * rsA + pc * csA) * 4;
      const rs = <usize>rsA * 4;
      const o1 = <usize>min(1, mr - 1) * rs, o2 = <usize>min(2, mr - 1) * rs, o3 = <usize>min(3, mr - 1) * rs;
      const cij = c + <usize>((ic + ir) * ldc + jc + jr) * 4;
      if (mr === MR && nr === NR) micro(pa, o1, o2, o3, <usize>csA * 4, pb, rsBb, kc, cij, ldcB, beta);
      else edgeTile(pa, o1, o2, o3, <usize>csA * 4, pb, rsBb, kc, cij, ldc, mr, nr, tmp, beta);
    }
  }
}

/**
 * Batched matmul slice: batches [b0,b1), output rows [m0,m1) and columns [j0,j1) of out[b] = op(A[b])·op(B[b]),
 * A is [m,k] (or [k,m] if transA), B is [k,n] (or [n,k] if transB); a batch count of 1 is shared by every batch.
 */
export function matmulSlice(a: usize, b: usize, c: usize, batchA: i32, batchB: i32, m: i32, n: i32, k: i32, transA: bool, transB: bool, b0: i32, b1: i32, m0: i32, m1: i32, j0: i32, j1: i32, work: usize): void {
  const rsA = transA ? 1 : k;
  const csA = transA ? m : 1;
  const rsB = transB ? 1 : n;
  const csB = transB ? k : 1;
  for (let bi = b0; bi < b1; bi++) {
    const ao = a + <usize>(batchA === 1 ? 0 : bi * m * k) * 4 + <usize>(m0 * rsA) * 4;
    const bo = b + <usize>(batchB === 1 ? 0 : bi * k * n) * 4 + <usize>(j0 * csB) * 4;
    const co = c + <usize>(bi * m * n + m0 * n + j0) * 4;
    sgemm(ao, rsA, csA, bo, rsB, csB, co, n, m1 - m0, j1 - j0, k, work);
  }
}

/**
 * Depth slice [k0,k1) of a single product: c[m×n] = op(A)[:, k0:k1]·op(B)[k0:k1, :], with A and B laid out for the
 * full depth k. Deep products with small outputs are summed as fixed slices (chosen by shape, never by thread count).
 */
export function matmulDepthSlice(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, transB: bool, k0: i32, k1: i32, work: usize): void {
  const rsA = transA ? 1 : k;
  const csA = transA ? m : 1;
  const rsB = transB ? 1 : n;
  const csB = transB ? k : 1;
  sgemm(a + <usize>(k0 * csA) * 4, rsA, csA, b + <usize>(k0 * rsB) * 4, rsB, csB, c, n, m, n, k1 - k0, work);
}

/**
 * Pack columns [j0,j1) (j0 a multiple of NR) of op(B) [k, n] for every depth block into dst, laid out as sgemm's
 * `pre` expects: the block at depth pc holds kc·n8 floats (n8 = n rounded up to NR), its panel j at + j·kc.
 */
export function packBPanels(b: usize, transB: bool, k: i32, n: i32, dst: usize, j0: i32, j1: i32): void {
  const rsB = transB ? 1 : n;
  const csB = transB ? k : 1;
  const kStep = depthStep(k);
  const n8 = (n + NR - 1) & ~(NR - 1);
  for (let pc = 0; pc < k; pc += kStep) {
    const kc = min(kStep, k - pc);
    packB(b + <usize>(pc * rsB + j0 * csB) * 4, rsB, csB, kc, j1 - j0, dst + <usize>(pc * n8 + j0 * kc) * 4);
  }
}

/**
 * Rows [m0,m1) × columns [j0,j1) (j0 a multiple of NR) of c[m×n] = op(A)·B for one product whose B was packed once by
 * packBPanels at `pre` (threads share it instead of each packing all of B). NOTE: the same packed values and
 * micro-kernel, so the same bits as sgemm.
 */
export function matmulTilePacked(a: usize, pre: usize, c: usize, m: i32, n: i32, k: i32, transA: bool, m0: i32, m1: i32, j0: i32, j1: i32, work: usize): void {
  const rsA = transA ? 1 : k;
  const csA = transA ? m : 1;
  sgemm(a + <usize>(m0 * rsA) * 4, rsA, csA, 0, 0, 0, c + <usize>(m0 * n + j0) * 4, n, m1 - m0, j1 - j0, k, work, pre, j0, n);
}
