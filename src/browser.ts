// tapegrad for browsers: the same API as the Node entry, plus initWasm()/backendStatus() to load the WebAssembly
// SIMD kernels from a URL. The browser build (tsup.config.ts) swaps every module `X.ts` that has a sibling
// `X.browser.ts` for that twin, and refuses any other Node built-in: keep Node-only code (fs, path, worker_threads,
// zlib, ...) in a module with a twin, as io/node-fs.ts, io/gzip.ts, io/hdf5-pool.ts and backend/wasm/node.ts do.
export * from './index.js';
export {
  initWasm,
  backendStatus,
  simdSupported,
  relaxedSimdSupported,
  type BackendStatus,
  type WasmSource,
  type WasmInitOptions,
} from './backend/wasm/browser.js';
