// tapegrad for browsers: the same API as the Node entry (built with the *.browser.ts twins in place of Node-only
// modules), plus initWasm()/backendStatus() to load the WebAssembly SIMD kernels from a URL.
export * from './index.js';
export {
  initWasm,
  backendStatus,
  simdSupported,
  type BackendStatus,
  type WasmSource,
  type WasmInitOptions,
} from './backend/wasm-browser.js';
