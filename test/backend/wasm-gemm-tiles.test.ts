// sgemm tiles over a B packed once (matmulTilePacked): any cut of the output into row × column tiles, narrow or
// ragged, gives the bits of the plain packed product (matmulSlice), which is close to the JS reference. Both loop
// orders of the kernel (A block in L1, or a 512-column block of B in L2) are reached by the tile heights used here.
import { describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import { readKernelBytes } from '../../src/backend/wasm/node.js';
import { wasmLayout } from '../../src/backend/wasm/memory-frame.js';
import type { WasmExports } from '../../src/backend/wasm/exports.js';
import { expectClose, expectSame, randF32 } from '../support/backend.js';

/** A fresh instance of the kernels on its own memory, called directly (no pool, no arena). */
function kernels(): { ex: WasmExports; f32: () => Float32Array; work: number; heap: number } {
  const bytes = readKernelBytes();
  if (!bytes) throw new Error('no kernels.wasm: run npm run build:wasm');
  const memory = new WebAssembly.Memory({ initial: 512, maximum: 65536, shared: true });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    .exports as unknown as WasmExports;
  const work = wasmLayout(ex.heapBase()).work;
  const heap = work + ((ex.gemmWorkBytes() + 63) & ~63);
  memory.grow(256); // 16 MiB above the initial 32 MiB: room for the operands below
  return { ex, f32: () => new Float32Array(memory.buffer), work, heap };
}

describe('sgemm tiles over a shared packed B', () => {
  const K = kernels();

  it.each([
    // m, n, k, transA, tile rows, tile column bounds (multiples of 8 except the end)
    [203, 1100, 300, false, 203, [0, 512, 1024, 1100]], // one 203-row tile: the L2 order, with a ragged last tile
    [203, 1100, 300, true, 64, [0, 40, 552, 1100]], // a 40-column tile, narrower than the skinny-product cutoff
    [97, 130, 513, false, 16, [0, 8, 64, 130]], // 16-row tiles (A block in L1), three depth blocks
    [61, 600, 260, true, 61, [0, 600]], // rows not a multiple of 4
  ] as const)(
    '[%i×%i×%i] transA=%s in %i-row tiles split at %j: same bits as the untiled product',
    (m, n, k, transA, rows, cols) => {
      const { ex, f32, work, heap } = K;
      const a = randF32(m * k, m + k);
      const b = randF32(k * n, n);
      const pa = heap;
      const pb = pa + m * k * 4;
      const packed = pb + k * n * 4;
      const pc1 = packed + k * Math.ceil(n / 8) * 8 * 4;
      const pc2 = pc1 + m * n * 4;
      f32().set(a, pa >>> 2);
      f32().set(b, pb >>> 2);
      f32().fill(NaN, pc1 >>> 2, (pc2 >>> 2) + m * n); // every output element must be written
      ex.matmulSlice(pa, pb, pc1, 1, 1, m, n, k, transA ? 1 : 0, 0, 0, 1, 0, m, 0, n, work);
      ex.packBPanels(pb, 0, k, n, packed, 0, n);
      for (let m0 = 0; m0 < m; m0 += rows)
        for (let j = 0; j + 1 < cols.length; j++)
          ex.matmulTilePacked(
            pa,
            packed,
            pc2,
            m,
            n,
            k,
            transA ? 1 : 0,
            m0,
            Math.min(m, m0 + rows),
            cols[j],
            cols[j + 1],
            work,
          );
      const plain = f32().slice(pc1 >>> 2, (pc1 >>> 2) + m * n);
      const tiled = f32().slice(pc2 >>> 2, (pc2 >>> 2) + m * n);
      expectSame(tiled, plain, 'tiled vs untiled');
      const ref = new Float32Array(m * n);
      jsKernels.matmul(a, b, ref, 1, 1, m, n, k, transA, false);
      expectClose(plain, ref, 1e-4, 1e-4 * Math.sqrt(k), 'untiled vs JS reference');
      expect(plain.some((v) => v !== 0)).toBe(true);
    },
  );
});
