// Vite config of the browser demo: `tapegrad` resolves to this repository's package build (dist/, browser condition).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { digitsPlugin } from './digits-plugin.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

// SharedArrayBuffer (the wasm kernels' memory) needs a cross-origin isolated page.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  // NOTE: an alias to the package folder, so Vite resolves it through package.json "exports" like an installed copy.
  resolve: { alias: [{ find: /^tapegrad$/, replacement: repo }] },
  plugins: [digitsPlugin()],
  worker: { format: 'es' },
  server: { host: '127.0.0.1', headers: isolation, fs: { allow: [repo] } },
  preview: { host: '127.0.0.1', headers: isolation },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 8192 },
});
