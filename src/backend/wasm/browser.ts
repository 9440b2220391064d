// Browser wiring of the wasm backend: fetch kernels.wasm (no file system), instantiate it (with a pool of Web
// Workers when called from a Worker), and report which backend is active and why. Call initWasm() once, then train.
import { TapegradError } from '../../core/errors.js';
import { getBackend, registerBackend, setBackend } from '../kernels.js';
import { poolSupported, spawnBrowserWorker } from './pool-browser.js';
import { setThreadControl } from './threads.js';
import { loadWasmKernels } from './loader.js';
import { relaxedSimdSupported, simdSupported } from './features.js';
export { relaxedSimdSupported, simdSupported } from './features.js';
import type { WasmKernels } from './wasm-kernels.js';

/** What the page runs on, for display: the active backend, whether the wasm kernels loaded, and if not, why. */
export interface BackendStatus {
  /** The active backend's name ('wasm' or 'js'). */
  backend: string;
  /** True once the WebAssembly SIMD kernels are registered. */
  wasm: boolean;
  /** Whether this engine validates WebAssembly SIMD instructions. */
  simd: boolean;
  /** Whether this engine validates relaxed SIMD (then initWasm's default is kernels-fma.wasm: fused multiply-add). */
  relaxedSimd: boolean;
  /** Whether SharedArrayBuffer exists (the kernels use shared memory; pages need cross-origin isolation). */
  sharedMemory: boolean;
  /** Threads the kernels use, the calling one included (more than 1 only when initWasm ran in a Worker). */
  threads: number;
  /** Jobs handed to pool workers so far (0 without a pool; grows with each large matmul or convolution). */
  poolJobs: number;
  /** Why the JS reference is in charge, when it is. */
  reason?: string;
}

/** Where to get the kernels: a URL (string or URL), the bytes, or a fetch Response (or its promise). */
export type WasmSource = string | URL | ArrayBuffer | Uint8Array | Response | Promise<Response>;

export interface WasmInitOptions {
  /** Make 'wasm' the active backend once loaded (default true). */
  activate?: boolean;
  /**
   * Threads for large matmuls and convolutions, the calling one included (default: navigator.hardwareConcurrency,
   * at most 4). Extra threads are Web Workers and need initWasm to run in a Worker; on a page's main thread (where
   * Atomics.wait is not allowed) the kernels stay single-threaded.
   */
  threads?: number;
}

/** The loaded kernels, or null. */
export let wasmBackend: WasmKernels | null = null;
let reason = 'initWasm() has not been called';

/** The current backend status (see {@link BackendStatus}). */
export function backendStatus(): BackendStatus {
  const backend = getBackend();
  return {
    backend,
    wasm: wasmBackend !== null,
    simd: simdSupported(),
    relaxedSimd: relaxedSimdSupported(),
    sharedMemory: typeof SharedArrayBuffer !== 'undefined',
    threads: wasmBackend ? wasmBackend.pool.threads : 1,
    poolJobs: wasmBackend ? wasmBackend.pool.posted : 0,
    ...(backend === 'wasm' ? {} : { reason: wasmBackend ? "setBackend('js') was called" : reason }),
  };
}

async function bytesOf(src: WasmSource): Promise<ArrayBuffer | Uint8Array> {
  if (src instanceof ArrayBuffer || src instanceof Uint8Array) return src;
  const res = typeof src === 'string' || src instanceof URL ? await fetch(src) : await src;
  if (!res.ok)
    throw new TapegradError(
      `wasm backend: fetching ${res.url || String(src)} failed with HTTP ${res.status}`,
    );
  return res.arrayBuffer();
}

/**
 * Load the WebAssembly SIMD kernels and make them the active backend. Never throws: when the engine lacks SIMD or
 * SharedArrayBuffer, or the file cannot be fetched, the JS reference stays active and the returned status says why.
 * @param source kernels.wasm's URL or bytes; default: next to this module (the package's dist/), `kernels-fma.wasm`
 *   where the engine supports relaxed SIMD (fused multiply-add in the matmul and conv micro-kernels), else `kernels.wasm`
 */
export async function initWasm(source?: WasmSource, opts: WasmInitOptions = {}): Promise<BackendStatus> {
  if (wasmBackend) {
    if (opts.activate ?? true) setBackend('wasm');
    return backendStatus();
  }
  if (typeof WebAssembly === 'undefined') reason = 'this engine has no WebAssembly';
  else if (!simdSupported()) reason = 'this engine does not support WebAssembly SIMD';
  else if (typeof SharedArrayBuffer === 'undefined')
    reason =
      'SharedArrayBuffer is unavailable: serve the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, ' +
      'Cross-Origin-Embedder-Policy: require-corp)';
  else {
    try {
      // NOTE: two literal URLs, so bundlers that follow `new URL('…', import.meta.url)` ship both files.
      const fallback = relaxedSimdSupported()
        ? new URL('./kernels-fma.wasm', import.meta.url)
        : new URL('./kernels.wasm', import.meta.url);
      const bytes = await bytesOf(source ?? fallback);
      const pool = poolSupported();
      const want = opts.threads ?? Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1);
      wasmBackend = loadWasmKernels(bytes as BufferSource, {
        spawnWorker: pool ? spawnBrowserWorker : null,
        threads: pool ? want : 1,
      });
      const p = wasmBackend.pool;
      setThreadControl({
        get: () => p.threads,
        set: (n) => p.setThreads(n),
        ready: () => p.whenReady(5_000),
      });
      // NOTE: workers start asynchronously; until they report ready the caller runs every chunk itself.
      if (p.threads > 1) await p.whenReady(5_000);
      registerBackend(wasmBackend);
      if (opts.activate ?? true) setBackend('wasm');
    } catch (e) {
      reason = `the kernels did not load: ${(e as Error).message}`;
    }
  }
  return backendStatus();
}
