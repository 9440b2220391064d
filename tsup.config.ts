import { copyFileSync, existsSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { browserTwins } from './scripts/browser-twins.js';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig([
  {
    entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' }, compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: ['index.*', 'cli.*'],
    target: 'es2022',
    platform: 'node',
  },
  {
    // NOTE: the browser entry swaps Node-only modules for their *.browser.ts twins and fails on any other Node import.
    entry: { browser: 'src/browser.ts' },
    format: ['esm'],
    dts: { entry: { browser: 'src/browser.ts' }, compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: ['browser.*', 'kernels.wasm'],
    target: 'es2022',
    platform: 'browser',
    removeNodeProtocol: false,
    splitting: false,
    external: ['h5wasm', 'fflate'],
    esbuildPlugins: [browserTwins(root)],
    async onSuccess() {
      // kernels.wasm beside the bundles: browser.js fetches it from there, and the Node entry finds it there too.
      const wasm = `${root}build/wasm/kernels.wasm`;
      if (existsSync(wasm)) copyFileSync(wasm, `${root}dist/kernels.wasm`);
    },
  },
]);
