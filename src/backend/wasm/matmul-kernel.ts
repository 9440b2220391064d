// The wasm matmul: batched products cut into chunks of batches, rows or columns for the threads; wide shared products
// share one packed B and are cut into tiles; deep products with small outputs are summed in fixed depth slices.
import type { Kernels } from '../kernels.js';
import { jsKernels } from '../js.js';
import type { Arr } from './memory-frame.js';
import {
  CHUNKS_PER_THREAD,
  type KernelContext,
  PARALLEL_MIN,
  chunksOf,
  isF32,
  splitRange,
} from './kernel-context.js';

/** Flops per matmul chunk to aim for (at most CHUNKS_PER_THREAD chunks per thread). */
const CHUNK_FLOPS = 2e6;
/** Columns per tile of a wide product whose B is packed once for all threads. */
const TILE_COLS = 512;
const DEEP_K = 8192;
/** Products with at most this many outputs and depth ≥ DEEP_K are split along the depth (deepMatmul). */
const DEEP_OUT = 4096;

export function matmulKernels(c: KernelContext): Pick<Kernels, 'matmul'> {
  const { mem, pool, WORK, call } = c;
  /**
   * A deep product with a small output (a conv filter gradient: 27×12 summed over 32,768 pixels) cut into fixed
   * depth slices of ~4096 that threads share, then summed slice by slice in order.
   * NOTE: the slices depend only on the shape, so 1 and N threads still give the same bits.
   */
  function deepMatmul(
    a: Arr,
    b: Arr,
    out: Arr,
    m: number,
    n: number,
    kk: number,
    tA: boolean,
    tB: boolean,
  ): boolean {
    const slices = splitRange(kk, Math.min(16, Math.ceil(kk / 4096)), 4);
    const parts = slices.length;
    const mn = m * n;
    return call(
      [a, b],
      [out],
      (pa, pb, po, partial) => {
        pool.run(
          'matmulDepthSlice',
          chunksOf(slices, (k0, k1, i) => [
            pa,
            pb,
            partial + i * mn * 4,
            m,
            n,
            kk,
            tA ? 1 : 0,
            tB ? 1 : 0,
            k0,
            k1,
          ]),
          WORK,
        );
        mem.fresh();
        const f32 = mem.f32;
        const p0 = partial >>> 2;
        const o0 = po >>> 2;
        for (let j = 0; j < mn; j++) {
          let s = f32[p0 + j];
          for (let i = 1; i < parts; i++) s = Math.fround(s + f32[p0 + i * mn + j]);
          f32[o0 + j] = s;
        }
      },
      [parts * mn * 4],
    );
  }

  return {
    matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB) {
      if (out.length === 0) return;
      if (
        batchA === 1 &&
        batchB === 1 &&
        m * n <= DEEP_OUT &&
        kk >= DEEP_K &&
        isF32(a) &&
        isF32(b) &&
        isF32(out)
      )
        if (deepMatmul(a, b, out, m, n, kk, transA, transB)) return;
      const batch = Math.max(batchA, batchB);
      const flops = 2 * batch * m * n * kk;
      const T = flops >= PARALLEL_MIN.matmulFlops ? pool.threads : 1;
      // NOTE: with a deep k every chunk re-packs the whole shared operand, so deep products get one chunk per thread.
      const want =
        T === 1
          ? 1
          : kk >= DEEP_K
            ? T
            : Math.min(CHUNKS_PER_THREAD * T, Math.max(T, Math.floor(flops / CHUNK_FLOPS)));
      // NOTE: chunks of whole batches, else of rows (multiples of the 4-row micro-tile), else of columns
      // (multiples of 8) for short wide products; every output element is summed in the same order in any
      // chunk, so results do not depend on the thread count.
      // NOTE: each column chunk re-reads all of A, so chunks stay ≥ 16 rows (32 columns); row chunks of one
      // product share one packed copy of B (packBPanels) instead of each packing all of it.
      const byBatch = batch >= want;
      const rowParts = Math.min(want, Math.max(T, Math.floor(m / 16)));
      const rowChunks = byBatch ? [] : m >= n ? splitRange(m, rowParts, 4) : [];
      const shared = batch === 1 && rowChunks.length > 1 && n >= 64 && kk > 0;
      // NOTE: wide shared products are also cut into TILE_COLS-column blocks: tiles of a few ms keep both threads
      // busy to the end when one is descheduled (8 row chunks of a 2048² product take ~50 ms each).
      const colChunks =
        shared && n >= 2 * TILE_COLS ? splitRange(n, Math.round(n / TILE_COLS), 8) : [[0, n] as const];
      const n8 = Math.ceil(n / 8) * 8;
      const ok =
        isF32(a) &&
        isF32(b) &&
        isF32(out) &&
        call(
          [a, b],
          [out],
          (pa, pb, po, packed) => {
            if (shared) {
              pool.run(
                'packBPanels',
                chunksOf(splitRange(n, 2 * T, 8), (s, e) => [pb, transB ? 1 : 0, kk, n, packed, s, e]),
              );
              const tiles: number[][] = [];
              for (const [s, e] of rowChunks)
                for (const [j0, j1] of colChunks)
                  tiles.push([pa, packed, po, m, n, kk, transA ? 1 : 0, s, e, j0, j1]);
              pool.run('matmulTilePacked', tiles, WORK);
              return;
            }
            // chunk = pre, then (batch0, batch1, row0, row1, col0, col1) with one of the three pairs split
            const args = [
              pa,
              pb,
              po,
              batchA,
              batchB,
              m,
              n,
              kk,
              transA ? 1 : 0,
              transB ? 1 : 0,
              0,
              batch,
              0,
              m,
              0,
              n,
            ];
            if (byBatch) pool.runSplit('matmulSlice', args, 10, batch, want, 1, WORK);
            else if (rowChunks.length) pool.runSplit('matmulSlice', args, 12, m, rowParts, 4, WORK);
            else
              pool.runSplit(
                'matmulSlice',
                args,
                14,
                n,
                Math.min(want, Math.max(T, Math.floor(n / 32))),
                8,
                WORK,
              );
          },
          shared ? [kk * n8 * 4] : [],
        );
      if (!ok) jsKernels.matmul(a, b, out, batchA, batchB, m, n, kk, transA, transB);
    },
  };
}
