// The two kernel builds (scripts/build-wasm.mjs): Node loads kernels-fma.wasm (relaxed SIMD: the micro-kernels'
// multiply-add is one f32x4.relaxed_madd) and TAPEGRAD_FMA=0 loads kernels.wasm. Both give products close to float64
// loops; the fused build rounds a·b + c once where the CPU has FMA3, the baseline twice.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from '../../src/backend/wasm/features.js';
import { kernelFile, readKernelBytes } from '../../src/backend/wasm/node.js';
import { wasmLayout } from '../../src/backend/wasm/memory-frame.js';
import type { WasmExports } from '../../src/backend/wasm/exports.js';
import { randF32 } from '../support/backend.js';
import { spawnModule, srcPath } from '../support/spawn-module.js';

const build = (file: string) => new URL(`../../build/wasm/${file}`, import.meta.url);

/** sgemm of one build, called directly on its own memory: C[m×n] = A[m×k]·B[k×n]. */
function sgemmOf(
  file: string,
): (a: Float32Array, b: Float32Array, m: number, n: number, k: number) => Float32Array {
  const memory = new WebAssembly.Memory({ initial: 512, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(readFileSync(build(file)));
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
  const work = wasmLayout(ex.heapBase()).work;
  const heap = work + ((ex.gemmWorkBytes() + 63) & ~63);
  return (a, b, m, n, k) => {
    const [pa, pb] = [heap, heap + a.length * 4];
    const pc = pb + b.length * 4;
    new Float32Array(memory.buffer).set(a, pa >>> 2);
    new Float32Array(memory.buffer).set(b, pb >>> 2);
    ex.matmulSlice(pa, pb, pc, 1, 1, m, n, k, 0, 0, 0, 1, 0, m, 0, n, work);
    return new Float32Array(memory.buffer).slice(pc >>> 2, (pc >>> 2) + m * n);
  };
}

/** Where the CPU has fused multiply-add (Linux reports it; elsewhere unknown). */
const cpuFma =
  existsSync('/proc/cpuinfo') && /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

describe('kernel builds', () => {
  it('Node loads kernels-fma.wasm; TAPEGRAD_FMA=0 loads kernels.wasm', () => {
    expect(kernelFile).toBe('kernels-fma.wasm');
    const r = spawnModule(
      `import { kernelFile } from ${srcPath('backend/wasm/node.ts')}; console.log(kernelFile);`,
      {
        env: { TAPEGRAD_FMA: '0' },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('kernels.wasm');
  });

  it('TAPEGRAD_FMA other than 0 or 1 is refused by name', () => {
    const before = process.env.TAPEGRAD_FMA;
    try {
      for (const bad of ['yes', 'false', '2']) {
        process.env.TAPEGRAD_FMA = bad;
        expect(() => readKernelBytes()).toThrow(`TAPEGRAD_FMA: expected 0 (kernels.wasm) or 1`);
        expect(() => readKernelBytes()).toThrow(`got '${bad}'`);
      }
      process.env.TAPEGRAD_FMA = '1';
      expect(readKernelBytes()).not.toBeNull();
    } finally {
      if (before === undefined) delete process.env.TAPEGRAD_FMA;
      else process.env.TAPEGRAD_FMA = before;
    }
  });

  it('under --freeze-flags-after-init (where changing a V8 flag aborts) Node 20 keeps kernels.wasm and runs', () => {
    const src = `import { kernelFile } from ${srcPath('backend/wasm/node.ts')};
      import { matmul, tensor } from ${srcPath('index.ts')};
      console.log(kernelFile, matmul(tensor([[1, 2]]), tensor([[3], [4]])).data[0]);`;
    const r = spawnModule(src, { nodeArgs: ['--freeze-flags-after-init'] });
    expect(r.status, r.stderr).toBe(0);
    const native = Number(process.versions.node.split('.')[0]) >= 22; // relaxed SIMD without a flag
    expect(r.stdout.trim()).toBe(`${native ? 'kernels-fma.wasm' : 'kernels.wasm'} 11`);
  });

  it('the relaxed-SIMD probe (what node.ts and browser.ts decide by) agrees with the engine on kernels-fma.wasm', () => {
    expect(relaxedSimdSupported()).toBe(WebAssembly.validate(readFileSync(build('kernels-fma.wasm'))));
    expect(relaxedSimdSupported()).toBe(true); // Node: node.ts turned relaxed SIMD on where it was off
  });

  it.each(['kernels.wasm', 'kernels-fma.wasm'])(
    '%s: a 37×70×300 product is close to float64 loops',
    (file) => {
      const [m, n, k] = [37, 70, 300];
      const a = randF32(m * k, 1);
      const b = randF32(k * n, 2);
      const c = sgemmOf(file)(a, b, m, n, k);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          let abs = 0;
          for (let p = 0; p < k; p++) {
            s += a[i * k + p] * b[p * n + j];
            abs += Math.abs(a[i * k + p] * b[p * n + j]);
          }
          expect(Math.abs(c[i * n + j] - s)).toBeLessThanOrEqual(1e-6 * abs + 1e-30);
        }
    },
  );

  // (−1)·(1 + 2⁻¹¹) + (1 + 2⁻¹²)² = 2⁻²⁴ exactly; rounding (1 + 2⁻¹²)² to f32 first (a tie, to even) gives 0.
  const a = new Float32Array(4 * 2).map((_, i) => (i % 2 === 0 ? -1 : 1 + 2 ** -12));
  const b = new Float32Array(2 * 8).map((_, i) => (i < 8 ? 1 + 2 ** -11 : 1 + 2 ** -12));
  it('kernels.wasm rounds the product and the sum apart: a·b + c = 0 on the tie', () => {
    expect([...sgemmOf('kernels.wasm')(a, b, 4, 8, 2)]).toEqual(new Array(32).fill(0));
  });
  it.skipIf(!cpuFma)('kernels-fma.wasm rounds once where the CPU has FMA3: a·b + c = 2⁻²⁴', () => {
    expect([...sgemmOf('kernels-fma.wasm')(a, b, 4, 8, 2)]).toEqual(new Array(32).fill(2 ** -24));
  });
});
