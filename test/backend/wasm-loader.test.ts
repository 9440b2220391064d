// Loading the kernel module: a missing or broken build leaves the JS reference in charge without throwing;
// a good build registers 'wasm' as the default, and setBackend('js') still selects the reference.
import { describe, expect, it } from 'vitest';
import { TapegradError } from '../../src/core/errors.js';
import { getBackend, kernels, setBackend } from '../../src/backend/kernels.js';
import { loadWasmKernels } from '../../src/backend/wasm/loader.js';
import { installWasmBackend, readKernelBytes, wasmBackend } from '../../src/backend/wasm/node.js';
import { getNumThreads, setNumThreads } from '../../src/backend/wasm/threads.js';
import { ValueError } from '../../src/core/errors.js';
import { spawnModule, srcPath } from '../support/spawn-module.js';

describe('wasm loader', () => {
  it('returns null (no throw, registry untouched) when the module file is missing', () => {
    const before = kernels();
    expect(installWasmBackend(() => null)).toBeNull();
    expect(kernels()).toBe(before);
  });
  it('returns null for bytes that are not a kernel module, and loadWasmKernels names the problem', () => {
    const junk = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]);
    expect(installWasmBackend(() => junk)).toBeNull();
    expect(() => loadWasmKernels(junk)).toThrow(TapegradError);
    expect(() => loadWasmKernels(junk)).toThrow(/kernels\.wasm did not compile/);
  });
  it("the built module loads as the default 'wasm' backend; setBackend('js') selects the reference", () => {
    expect(readKernelBytes()).not.toBeNull();
    expect(wasmBackend).not.toBeNull();
    expect(getBackend()).toBe('wasm');
    setBackend('js');
    expect(getBackend()).toBe('js');
    setBackend('wasm');
    expect(kernels()).toBe(wasmBackend);
  });
  it('setNumThreads sets the pool size and rejects non-integers and out-of-range counts', async () => {
    const before = getNumThreads();
    setNumThreads(3);
    expect(getNumThreads()).toBe(3);
    expect(wasmBackend?.pool.threads).toBe(3);
    for (const bad of [0, -1, 1.5, 65, NaN]) expect(() => setNumThreads(bad)).toThrow(ValueError);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expected an integer in \[1, 64\], got 0/);
    setNumThreads(before);
    expect(await wasmBackend?.pool.whenReady()).toBe(true);
  });
  it('TAPEGRAD_BACKEND=js keeps the reference as the default', () => {
    const src = `import { getBackend, listBackends } from ${srcPath('backend/kernels.ts')};
      import ${srcPath('ops/index.ts')};
      console.log(getBackend(), listBackends().sort().join(','));`;
    const r = spawnModule(src, { env: { TAPEGRAD_BACKEND: 'js' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('js js,wasm');
  });
});
