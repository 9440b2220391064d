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
    clean: ['browser.*', 'kernels.wasm', 'kernels-fma.wasm'],
    target: 'es2022',
    platform: 'browser',
    removeNodeProtocol: false,
    splitting: false,
    external: ['h5wasm', 'fflate'],
    esbuildPlugins: [browserTwins(root)],
    async onSuccess() {
      // Both kernel builds beside the bundles: browser.js fetches one from there, and the Node entry finds them there.
      for (const file of ['kernels.wasm', 'kernels-fma.wasm']) {
        const wasm = `${root}build/wasm/${file}`;
        if (existsSync(wasm)) copyFileSync(wasm, `${root}dist/${file}`);
      }
    },
  },
]);
