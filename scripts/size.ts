// `npm run size`: minified + gzipped sizes of the browser build (dist/browser.js, alone and with its dependencies)
// and of the WebAssembly kernels, from the package build in dist/ (run `npm run build` first); then, when the
// examples/web page is built (examples/web/dist or test-artifacts/web-dist), its files and its first load against the
// 1 MB budget (exit code 1 over it). `--json` for JSON.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');

interface Row {
  what: string;
  bytes: number;
  minified: number | null;
  gzipped: number;
  note: string;
}

const gz = (b: Uint8Array | string): number => gzipSync(b, { level: 9 }).length;

async function minify(code: string): Promise<string> {
  return (await transform(code, { minify: true, format: 'esm', target: 'es2022' })).code;
}

async function main(): Promise<void> {
  const browserJs = join(dist, 'browser.js');
  const wasm = join(dist, 'kernels.wasm');
  for (const f of [browserJs, wasm])
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
  const rows: Row[] = [];
  const code = readFileSync(browserJs, 'utf8');
  const min = await minify(code);
  rows.push({
    what: 'dist/browser.js',
    bytes: Buffer.byteLength(code),
    minified: Buffer.byteLength(min),
    gzipped: gz(min),
    note: 'tapegrad itself (fflate, h5wasm external)',
  });
  // What an app ships up front: the bundle with fflate; h5wasm is a dynamic import, loaded only to read HDF5.
  const bundled = await build({
    entryPoints: [browserJs],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external: ['h5wasm'],
    logLevel: 'silent',
  });
  const all = bundled.outputFiles[0].contents;
  rows.push({
    what: 'browser bundle + fflate',
    bytes: all.length,
    minified: all.length,
    gzipped: gz(all),
    note: 'minified, what a page loads up front',
  });
  const w = readFileSync(wasm);
  rows.push({
    what: 'dist/kernels.wasm',
    bytes: w.length,
    minified: null,
    gzipped: gz(w),
    note: 'WebAssembly SIMD kernels (fetched by initWasm)',
  });
  // NOTE: h5wasm exports only an `import` entry, so its folder is found from the module search paths.
  const h5 =
    (createRequire(import.meta.url).resolve.paths('h5wasm') ?? [])
      .map((d) => join(d, 'h5wasm', 'dist', 'esm'))
      .find((d) => existsSync(d)) ?? '';
  if (existsSync(h5)) {
    const parts = ['hdf5_hl.js', 'hdf5_util.js', 'file_handlers.js'].map((f) => readFileSync(join(h5, f)));
    const bytes = parts.reduce((a, p) => a + p.length, 0);
    rows.push({
      what: 'h5wasm (lazy)',
      bytes,
      minified: null,
      gzipped: parts.reduce((a, p) => a + gz(p), 0),
      note: 'loaded on the first HDF5 / .keras read',
    });
  }
  const page = pageRows();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(page ? [...rows, ...page.rows] : rows, null, 2));
    if (page && page.firstLoad >= PAGE_BUDGET) process.exitCode = 1;
    return;
  }
  const kib = (n: number | null): string => (n === null ? '-' : `${(n / 1024).toFixed(1)} KiB`);
  const table = [
    ['file', 'raw', 'minified', 'min+gzip', ''],
    ...rows.map((r) => [r.what, kib(r.bytes), kib(r.minified), kib(r.gzipped), r.note]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  for (const r of table)
    console.log(
      r
        .map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
    );
  if (!page) {
    console.log(
      '\nexamples/web is not built: `npx vite build examples/web` (or npm run test:e2e) adds its sizes',
    );
    return;
  }
  console.log(`\nexamples/web page (${page.dir})`);
  for (const r of page.rows)
    console.log(
      `  ${r.what.padEnd(40)} ${kib(r.bytes).padStart(11)} ${kib(r.gzipped).padStart(11)}  ${r.note}`,
    );
  const verdict = page.firstLoad < PAGE_BUDGET ? 'under' : 'OVER';
  console.log(
    `  first load before a Keras file is dropped: ${kib(page.firstLoad)} gzipped, ${verdict} the ${kib(PAGE_BUDGET)} budget`,
  );
  if (page.firstLoad >= PAGE_BUDGET) process.exitCode = 1;
}

/** The page must load in under 1 MB compressed until a Keras file is dropped (issue 17). */
const PAGE_BUDGET = 1_000_000;

/**
 * Every file of the built page with its gzipped size. NOTE: only h5wasm's chunk (hdf5_*) is lazy: it is imported on
 * the first HDF5 / .keras read or write; everything else (page, worker, wasm kernels, gzipped digits) loads at once.
 */
function pageRows(): { dir: string; rows: Row[]; firstLoad: number } | null {
  const dir = [join(root, 'examples/web/dist'), join(root, 'test-artifacts/web-dist')].find((d) =>
    existsSync(join(d, 'index.html')),
  );
  if (!dir) return null;
  const files = (d: string): string[] =>
    readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
  const rows = files(dir)
    .sort()
    .map((f): Row => {
      const b = readFileSync(f);
      const lazy = /hdf5/.test(f);
      return {
        what: `page: ${f.slice(dir.length + 1)}`,
        bytes: b.length,
        minified: null,
        gzipped: f.endsWith('.gz') ? b.length : gz(b),
        note: lazy ? 'lazy: loaded when a Keras file is dropped or saved' : 'first load',
      };
    });
  const firstLoad = rows.filter((r) => r.note === 'first load').reduce((a, r) => a + r.gzipped, 0);
  return { dir, rows, firstLoad };
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
