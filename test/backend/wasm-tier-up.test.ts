// The load-time tier-up (tier-up.ts) runs a few kernels over the GEMM work areas: it must write nowhere else (the
// module's data, the window geometry, the pool's job table, the other threads' areas), and the kernels must give the
// same bits after it.
import { describe, expect, it } from 'vitest';
import { readKernelBytes } from '../../src/backend/wasm/node.js';
import { wasmLayout } from '../../src/backend/wasm/memory-frame.js';
import { tierUp } from '../../src/backend/wasm/tier-up.js';
import type { WasmExports } from '../../src/backend/wasm/exports.js';
import { randF32 } from '../support/backend.js';

function instance(): { ex: WasmExports; memory: WebAssembly.Memory } {
  const bytes = readKernelBytes();
  if (!bytes) throw new Error('no kernels.wasm: run npm run build:wasm');
  const memory = new WebAssembly.Memory({ initial: 512, maximum: 65536, shared: true });
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    .exports as unknown as WasmExports;
  return { ex, memory };
}

describe('tierUp', () => {
  it('writes only inside the first two GEMM work areas', () => {
    const { ex, memory } = instance();
    const u8 = new Uint8Array(memory.buffer);
    u8.fill(7, wasmLayout(ex.heapBase()).geom); // everything the JS side owns: a pattern tierUp must not touch
    const before = u8.slice();
    const work = wasmLayout(ex.heapBase()).work;
    const end = work + 2 * ((ex.gemmWorkBytes() + 63) & ~63);
    expect(Number.isFinite(tierUp(ex, work, ex.gemmWorkBytes()))).toBe(true);
    const after = new Uint8Array(memory.buffer);
    let outside = 0;
    let inside = 0;
    for (let i = 0; i < before.length; i++)
      if (after[i] !== before[i]) {
        if (i < work || i >= end) outside++;
        else inside++;
      }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0); // it did run
  });

  it('leaves the kernels giving the same bits (a skinny product and a NaN scan, before and after)', () => {
    const { ex, memory } = instance();
    const L = wasmLayout(ex.heapBase());
    const wb = (ex.gemmWorkBytes() + 63) & ~63;
    const heap = L.work + 2 * wb;
    const [m, n, k] = [37, 10, 29];
    const f32 = () => new Float32Array(memory.buffer);
    f32().set(randF32(m * k, 3), heap / 4);
    f32().set(randF32(k * n, 4), heap / 4 + m * k);
    const c = heap + (m * k + k * n) * 4;
    const run = () => {
      ex.matmulSlice(heap, heap + m * k * 4, c, 1, 1, m, n, k, 0, 0, 0, 1, 0, m, 0, n, L.work);
      return f32().slice(c / 4, c / 4 + m * n);
    };
    const first = run();
    const scan = ex.firstNonFinite(heap, m * k);
    tierUp(ex, L.work, ex.gemmWorkBytes());
    expect(Array.from(run())).toEqual(Array.from(first));
    expect(ex.firstNonFinite(heap, m * k)).toBe(scan);
  });
});
