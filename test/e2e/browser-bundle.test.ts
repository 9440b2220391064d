// The browser build (no browser needed): src/browser.ts bundles with no Node built-in, every *.browser.ts twin is
// wired in, and the twins behave like the Node modules they replace (gzip vs node:zlib, HDF5 in-thread vs worker).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { browserTwins, type TwinRecord } from '../../scripts/browser-twins.js';
import * as tg from '../../src/index.js';
import { FileError, FormatError } from '../../src/io/errors.js';
import * as gzipNode from '../../src/io/gzip.js';
import * as gzipBrowser from '../../src/io/gzip.browser.js';
import * as fsBrowser from '../../src/io/node-fs.browser.js';
import * as fsNode from '../../src/io/node-fs.js';
import { hdf5Request as hdf5Node } from '../../src/io/hdf5-pool.js';
import { hdf5Request as hdf5Browser } from '../../src/io/hdf5-pool.browser.js';
import type { Hdf5WorkerRequest } from '../../src/io/hdf5-worker-source.js';
import { kerasFixturesDir } from '../io/fixtures-dir.js';

const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const SRC = join(ROOT, 'src');

/** Byte equality without a 300k-element deep diff. */
const same = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function twins(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? twins(p) : p.endsWith('.browser.ts') ? [relative(ROOT, p)] : [];
  });
}

describe('browser bundle', () => {
  it('bundles src/browser.ts for browsers with every twin swapped in and no Node built-in', async () => {
    const record: TwinRecord = { replaced: new Set(), dynamicNode: new Set() };
    const r = await build({
      entryPoints: [join(SRC, 'browser.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['h5wasm', 'fflate'],
      plugins: [browserTwins(ROOT, record)],
    }).catch((e: { errors?: { text: string }[] }) => {
      throw new Error(`browser build failed:\n${(e.errors ?? []).map((x) => x.text).join('\n')}`);
    });
    const imports = Object.values(r.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(
      imports.filter(
        (p) => p.startsWith('node:') || ['fs', 'path', 'worker_threads', 'os', 'zlib'].includes(p),
      ),
    ).toEqual([]);
    // Every twin on disk replaced its Node module (a twin nobody reaches would mean a renamed original).
    const expected = twins(SRC).map((t) => t.replace(/\.browser\.ts$/, '.ts'));
    expect([...record.replaced].sort()).toEqual(expected.sort());
    const code = r.outputFiles[0].text;
    expect(code).toContain('initWasm');
    expect(code).not.toMatch(/\bfrom\s*["']node:/);
  });

  it('the plugin swaps in a twin, refuses a static Node import naming the file, and stubs a dynamic one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-twins-'));
    try {
      writeFileSync(join(dir, 'b.ts'), "export const where = 'node';");
      writeFileSync(join(dir, 'b.browser.ts'), "export const where = 'browser';");
      writeFileSync(
        join(dir, 'a.ts'),
        "import { where } from './b.js';\nexport const w = () => [where, import('node:os')];",
      );
      writeFileSync(
        join(dir, 'bad.ts'),
        "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;",
      );
      const opts = {
        bundle: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        logLevel: 'silent',
      } as const;
      const record: TwinRecord = { replaced: new Set(), dynamicNode: new Set() };
      const ok = await build({
        ...opts,
        entryPoints: [join(dir, 'a.ts')],
        plugins: [browserTwins(dir, record)],
      });
      const code = ok.outputFiles[0].text;
      expect(code).toContain('"browser"');
      expect(code).not.toContain('"node"');
      expect(code).toContain("'node:os' is a Node built-in and is not available in browsers");
      expect([...record.replaced, ...record.dynamicNode]).toEqual(['b.ts', 'a.ts → node:os']);
      const bad = await build({
        ...opts,
        entryPoints: [join(dir, 'bad.ts')],
        plugins: [browserTwins(dir)],
      }).then(
        () => null,
        (e: { errors: { text: string }[] }) => e.errors.map((x) => x.text).join('\n'),
      );
      expect(bad).toMatch(
        /^bad\.ts imports the Node built-in 'node:fs': the browser build cannot include it/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the io twins export every name of the Node modules they replace', async () => {
    for (const t of twins(join(SRC, 'io'))) {
      const node = await import(join(ROOT, t.replace(/\.browser\.ts$/, '.ts')));
      const browser = await import(join(ROOT, t));
      expect(Object.keys(browser).sort(), t).toEqual(Object.keys(node).sort());
    }
  });
});

describe('browser twins behave like the Node modules', () => {
  it('gzip: fflate inflates what node:zlib wrote, byte for byte, and refuses the same inputs', () => {
    const rng = new tg.Rng(3);
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i % 97 < 50 ? rng.int(4) : i & 0xff));
    const gz = new Uint8Array(gzipSync(data));
    expect(same(gzipBrowser.maybeGunzip(gz, 'a.gz'), data)).toBe(true);
    expect(same(gzipBrowser.maybeGunzip(gz, 'a.gz'), gzipNode.maybeGunzip(gz, 'a.gz'))).toBe(true);
    // Two gzip members back to back (as `cat a.gz b.gz`) inflate to both payloads.
    const two = new Uint8Array([...gz, ...gzipSync(data.subarray(0, 1000))]);
    expect(
      same(gzipBrowser.maybeGunzip(two, 'two.gz'), new Uint8Array([...data, ...data.subarray(0, 1000)])),
    ).toBe(true);
    // Not gzip: returned unchanged.
    const plain = new Uint8Array([1, 2, 3]);
    expect(gzipBrowser.maybeGunzip(plain, 'p')).toBe(plain);
    // A bomb: 3 MiB of zeros under a 1 MiB cap.
    const bomb = new Uint8Array(gzipSync(new Uint8Array(3 * 1024 * 1024)));
    for (const g of [gzipNode, gzipBrowser])
      expect(() => g.maybeGunzip(bomb, 'bomb.gz', 1024 * 1024)).toThrow(/inflates to more than 1\.0 MiB/);
    // Corrupt and truncated streams are FormatErrors naming the file.
    const corrupt = gz.slice();
    corrupt.fill(0xff, 20, 60);
    const truncated = gz.subarray(0, gz.length >> 1);
    for (const bad of [corrupt, truncated])
      for (const g of [gzipNode, gzipBrowser]) {
        expect(() => g.maybeGunzip(bad, 'bad.gz')).toThrow(FormatError);
        expect(() => g.maybeGunzip(bad, 'bad.gz')).toThrow(/bad\.gz: corrupt gzip data/);
      }
  });

  it('node-fs: path helpers agree with node:path on POSIX paths; file access says to pass bytes', () => {
    for (const p of ['/a/b/model.h5', 'rel/x.npy', 'x.json', '/top'])
      expect([fsBrowser.baseName(p), fsBrowser.dirName(p), fsBrowser.isAbsolutePath(p)]).toEqual([
        fsNode.baseName(p),
        fsNode.dirName(p),
        fsNode.isAbsolutePath(p),
      ]);
    expect(fsBrowser.joinPath('a/b', 'c')).toBe(fsNode.joinPath('a/b', 'c'));
    expect(fsBrowser.isAbsolutePath('C:\\models\\m.h5')).toBe(true);
    expect(() => fsBrowser.readPathBytes('/m.h5', 'keras', 10)).toThrow(FileError);
    expect(() => fsBrowser.readPathBytes('/m.h5', 'keras', 10)).toThrow(
      /keras \/m\.h5: .*pass the file's bytes/,
    );
    expect(() => fsBrowser.listDir('/d')).toThrow(FileError);
  });

  it('the Node-only writers and loaders throw FileErrors that say what to do instead', async () => {
    const atomic = await import('../../src/io/atomic.browser.js');
    const mnist = await import('../../src/io/mnist.browser.js');
    expect(() => atomic.writeFileAtomic('/w.npy', new Uint8Array(1))).toThrow(
      /write \/w\.npy: browsers have no file system; use the encoder/,
    );
    expect(() => mnist.loadMnist()).toThrow(FileError);
  });

  it('hdf5: the in-thread reader returns the same tree as the Node worker for a real Keras file', async () => {
    const dir = kerasFixturesDir();
    if (!dir) throw new Error('the Keras fixtures (../shared/keras-fixtures) are missing');
    const bytes = readFileSync(join(dir, 'dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'));
    const req = (): Omit<Hdf5WorkerRequest, 'id'> => ({
      bytes: new Uint8Array(bytes).buffer,
      maxDatasetBytes: 1 << 30,
      maxTotalBytes: 1 << 30,
      maxAttrBytes: 1 << 26,
      maxObjects: 100_000,
      skipData: [],
    });
    const [a, b] = [await hdf5Node(req(), 60_000), await hdf5Browser(req(), 60_000)];
    if (a.kind !== 'response' || b.kind !== 'response' || !a.response.ok || !b.response.ok)
      throw new Error('both readers should succeed');
    const norm = (objs: typeof a.response.objects) =>
      objs.map((o) => ({
        ...o,
        raw: o.raw ? Array.from(new Uint8Array(o.raw)) : undefined,
        attrs: o.attrs.map((x) => ({
          ...x,
          value: ArrayBuffer.isView(x.value) ? Array.from(x.value as Uint8Array) : x.value,
        })),
      }));
    expect(b.response.objects.length).toBeGreaterThan(10);
    expect(norm(b.response.objects)).toEqual(norm(a.response.objects));
    // A truncated file fails in both, with the HDF5 path where reading stopped.
    const cut = { ...req(), bytes: new Uint8Array(bytes.subarray(0, 4000)).buffer };
    const [c, d] = [
      await hdf5Node({ ...cut, bytes: cut.bytes.slice(0) }, 60_000),
      await hdf5Browser(cut, 60_000),
    ];
    for (const o of [c, d]) {
      expect(o.kind).toBe('response');
      if (o.kind === 'response') expect(o.response.ok).toBe(false);
    }
  });
});

describe('wasm in the browser entry', () => {
  it('initWasm loads the kernels from bytes, reports it, and matmul matches plain loops', async () => {
    const { initWasm, backendStatus, simdSupported } = await import('../../src/backend/wasm/browser.js');
    expect(simdSupported()).toBe(true);
    tg.setBackend('js'); // NOTE: importing src/index.js under Node already made its own wasm backend active
    expect(backendStatus()).toMatchObject({
      backend: 'js',
      wasm: false,
      reason: 'initWasm() has not been called',
    });
    const bad = await initWasm(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 9]), { activate: false });
    expect(bad.wasm).toBe(false);
    expect(bad.reason).toMatch(/the kernels did not load: wasm backend: kernels.wasm did not compile/);
    const bytes = readFileSync(join(ROOT, 'build', 'wasm', 'kernels.wasm'));
    const ok = await initWasm(new Uint8Array(bytes));
    expect(ok).toMatchObject({ backend: 'wasm', wasm: true, simd: true, sharedMemory: true, threads: 1 });
    expect(ok.reason).toBeUndefined();
    const [m, k, n] = [7, 13, 5];
    const a = tg.randn([m, k], { rng: new tg.Rng(1) });
    const b = tg.randn([k, n], { rng: new tg.Rng(2) });
    const y = tg.matmul(a, b).toFlatArray();
    const [A, B] = [a.toFlatArray(), b.toFlatArray()];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += A[i * k + t] * B[t * n + j]; // y_ij = Σ_t a_it · b_tj
        expect(y[i * n + j]).toBeCloseTo(s, 4);
      }
    tg.setBackend('js');
    expect(backendStatus()).toMatchObject({
      backend: 'js',
      wasm: true,
      reason: "setBackend('js') was called",
    });
  });
});
