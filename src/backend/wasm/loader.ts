// Instantiate the kernel module from its bytes (synchronously) on a fresh shared memory, with a thread pool.
// No Node built-ins here: reading the bytes and starting workers are injected (see node.ts).
import { TapegradError } from '../../core/errors.js';
import { ThreadPool, type SpawnWorker } from './pool.js';
import { createWasmKernels, type WasmExports, type WasmKernels } from './wasm-kernels.js';
import { wasmLayout } from './memory-frame.js';
import { tierUp } from './tier-up.js';

/** Must match build:wasm's --maximumMemory (pages of 64 KiB): the wasm32 limit of 4 GiB. */
export const WASM_MAX_PAGES = 65536;
const INITIAL_PAGES = 64;

export interface LoadOptions {
  /** Starts pool workers; without it the backend is single-threaded. */
  spawnWorker?: SpawnWorker | null;
  /** Thread count including the caller (default 1). */
  threads?: number;
}

/** Compile and instantiate the kernels; throws TapegradError if the bytes are not a usable kernel module. */
export function loadWasmKernels(bytes: BufferSource, opts: LoadOptions = {}): WasmKernels {
  if (typeof WebAssembly === 'undefined' || typeof SharedArrayBuffer === 'undefined')
    throw new TapegradError('wasm backend: WebAssembly with SharedArrayBuffer is not available here');
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    throw new TapegradError(
      `wasm backend: kernels.wasm did not compile (needs SIMD and threads): ${(e as Error).message}`,
    );
  }
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: WASM_MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ex = instance.exports as unknown as WasmExports;
  for (const name of [
    'heapBase',
    'gemmWorkBytes',
    'matmulSlice',
    'matmulDepthSlice',
    'packBPanels',
    'matmulTilePacked',
    'im2col',
    'col2im',
    'poolArgmax',
    'convBlockRows',
    'convPackW',
    'convRows',
    'convBandOk',
    'convBandRows',
    'convNchwStage',
    'convRowsNCHW',
    'convFilterBandOk',
    'convFilterBandRows',
    'poolMax',
    'avgPool',
    'convPackWT',
    'convInputRows',
    'convFilterBlockRows',
    'convFilterRows',
    'sumSlices',
    'unary',
    'binary',
    'binaryScalar',
    'compare',
    'where',
    'biasAdd',
    'reduceSum',
    'reduceMax',
    'firstNonFinite',
    'logSoftmax',
    'logSoftmaxGrad',
    'argmax',
    'take',
    'scatterAdd',
    'channelMoments',
    'channelAffine',
    'channelSums',
  ] as const)
    if (typeof ex[name] !== 'function')
      throw new TapegradError(
        `wasm backend: kernels.wasm lacks the export '${name}' (rebuild with npm run build:wasm)`,
      );
  const L = wasmLayout(ex.heapBase());
  const pool = new ThreadPool(opts.spawnWorker ?? null, module, memory, ex, L.table, L.tableBytes);
  pool.setThreads(opts.spawnWorker ? (opts.threads ?? 1) : 1);
  const kernels = createWasmKernels(ex, memory, pool); // NOTE: grows the memory over the GEMM work areas
  tierUp(ex, L.work, ex.gemmWorkBytes());
  return kernels;
}
