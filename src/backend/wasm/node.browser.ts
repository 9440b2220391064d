// Browser twin of node.ts: nothing is read at import time (there is no file system); initWasm() fetches it.
export { wasmBackend, initWasm, backendStatus } from './browser.js';
