// Fuzzing the Keras 3 `.keras` (zip) reader: truncation at every local header / data / central directory / EOCD
// boundary, bit flips, unsafe entry names (../, absolute, drive, backslash, NUL), duplicate entries, size lies and
// real zip bombs, entry-count bombs, unsupported methods and encryption; nothing is ever extracted or written.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KerasFile, closeHdf5Worker, readKerasFile } from '../../src/io/index.js';
import { kerasFixturesDir } from '../io/fixtures-dir.js';
import { buildH5 } from '../io/h5-build.js';
import {
  FUZZ_SEED,
  FuzzStats,
  aroundBoundaries,
  flipBits,
  fuzzCase,
  printFuzzReport,
  protoKeys,
  runs,
} from './helpers/fuzz.js';

const stats = new FuzzStats('.keras zip');
const proto0 = protoKeys();
const NAME = 'fuzz.keras';
afterAll(async () => {
  printFuzzReport();
  await closeHdf5Worker();
});

const CONFIG = {
  class_name: 'Sequential',
  config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 3 } }] },
};
let FILES: Record<string, Uint8Array>;
let BASE: Uint8Array;
let STORED: Uint8Array;

// Folders a path-traversal write would land in, and the names it would write there.
const watched = [process.cwd(), dirname(process.cwd()), dirname(dirname(process.cwd())), tmpdir(), '/'];
const EVIL = ['evil.json', 'evil', 'evil\u0000.json', 'escaped.txt'];
const evilFound = () =>
  watched.flatMap((d) =>
    readdirSync(d)
      .filter((n) => EVIL.includes(n))
      .map((n) => join(d, n)),
  );
beforeAll(async () => {
  const weights = await buildH5((f) => {
    const v = f.create_group('layers').create_group('dense').create_group('vars');
    v.create_dataset({ name: '0', data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    v.create_dataset({ name: '1', data: Float32Array.from([7, 8, 9]), shape: [3] });
  });
  FILES = {
    'config.json': strToU8(JSON.stringify(CONFIG)),
    'metadata.json': strToU8('{"keras_version": "3.5.0", "date_saved": "2026-11-25"}'),
    'model.weights.h5': weights,
  };
  BASE = zipSync(FILES, { level: 6 });
  STORED = zipSync(FILES, { level: 0 });
  expect(evilFound()).toEqual([]);
});

const validate = (k: KerasFile) => {
  expect(k.format).toBe('keras3');
  for (const l of k.layers)
    for (const w of l.weights) expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
};
// deflate expands at most ~1032:1, so every allocation must stay below that multiple of the file size
const check = (mutation: string, bytes: Uint8Array) =>
  fuzzCase(stats, mutation, () => readKerasFile(bytes, { name: NAME, timeoutMs: 10_000 }), {
    name: NAME,
    capBytes: 1100 * bytes.length + (1 << 20),
    hangMs: 15_000,
    validate,
    after: () => expect(protoKeys()).toBe(proto0),
  });

/** Offsets of every structure in a zip: local headers, their data, central directory entries, EOCD. */
function structure(z: Uint8Array): number[] {
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  let eocd = z.length - 22;
  while (dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const out = [p, eocd, eocd + 10, eocd + 16, eocd + 20];
  for (let i = 0; i < count; i++) {
    const nameLen = dv.getUint16(p + 28, true);
    const extra = dv.getUint16(p + 30, true);
    const comment = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const lname = dv.getUint16(local + 26, true);
    const lextra = dv.getUint16(local + 28, true);
    const data = local + 30 + lname + lextra;
    out.push(p, p + 20, p + 46, local, local + 26, local + 30, data, data + dv.getUint32(p + 20, true));
    p += 46 + nameLen + extra + comment;
  }
  return out;
}

/** Central-directory entry offsets, by name. */
function central(z: Uint8Array): Map<string, number> {
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  let eocd = z.length - 22;
  while (dv.getUint32(eocd, true) !== 0x06054b50) eocd--;
  let p = dv.getUint32(eocd + 16, true);
  const out = new Map<string, number>();
  for (let i = 0; i < dv.getUint16(eocd + 10, true); i++) {
    const n = dv.getUint16(p + 28, true);
    out.set(new TextDecoder().decode(z.subarray(p + 46, p + 46 + n)), p);
    p += 46 + n + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
  }
  return out;
}

/** A copy of zip `z` with every occurrence of name `from` (local and central headers) overwritten by `to`. */
function renamed(z: Uint8Array, from: string, to: string): Uint8Array {
  const out = z.slice();
  const f = strToU8(from);
  for (let i = 0; i + f.length <= out.length; i++)
    if (f.every((b, j) => out[i + j] === b)) out.set(strToU8(to), i);
  return out;
}

describe('.keras zip reader under fuzzing', () => {
  it('truncation at every structure boundary ±1 (deflated and stored archives)', async () => {
    for (const z of [BASE, STORED])
      for (const c of aroundBoundaries(structure(z), z.length))
        await check('truncate@boundary', z.subarray(0, c));
  });

  it('bit flips anywhere and inside the central directory / EOCD', async () => {
    const cdStart = Math.min(...central(BASE).values());
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        async (pos, inCd, stored) => {
          const z = stored ? STORED : BASE;
          const lo = inCd ? Math.min(...central(z).values()) * 8 : 0;
          const flipped = flipBits(
            z,
            pos.map((p) => lo + (p % (z.length * 8 - lo))),
          );
          await check(inCd ? 'bitflip@central-directory' : 'bitflip', flipped);
        },
      ),
      { seed: FUZZ_SEED + 40, numRuns: runs(220) },
    );
    expect(cdStart).toBeGreaterThan(0);
  });

  it('unsafe entry names and names that pollute nothing', async () => {
    const bad = [
      '../evil.json',
      '../../tmp/evil.json',
      '/etc/evil.json',
      '/evil',
      'C:/evil',
      'c:evil',
      'a\\..\\evil',
      'a/../../evil',
      '..',
      'a/..',
      'evil\u0000.json',
      '',
    ];
    for (const n of bad) {
      const z = zipSync({ ...FILES, [n]: strToU8('x') });
      await check('unsafe-name', z);
      await expect(readKerasFile(z, { name: NAME })).rejects.toThrow(/unsafe entry name/);
    }
    for (const n of ['__proto__', 'constructor', 'prototype', '__proto__/x.json'])
      await check(
        'proto-name',
        renamed(
          zipSync({ ...FILES, ['#'.repeat(n.length)]: strToU8('{"polluted":1}') }),
          '#'.repeat(n.length),
          n,
        ),
      );
    for (const k of ['__proto__', 'constructor'])
      await check(
        'proto-key',
        zipSync({
          ...FILES,
          'config.json': strToU8(JSON.stringify(CONFIG).replace('{', `{"${k}":{"polluted":1},`)),
        }),
      );
    await check(
      'deep-nesting',
      zipSync({ ...FILES, 'config.json': strToU8('['.repeat(100_000) + ']'.repeat(100_000)) }),
    );
  });

  it('duplicate entries (patched names), unsupported methods, encryption, size and CRC lies', async () => {
    // an archive whose second entry is renamed to match the first (same name length), in both directories
    const twin = zipSync({
      'config.json': FILES['config.json'],
      configXjson: strToU8('{}'),
      'model.weights.h5': FILES['model.weights.h5'],
    });
    const dup = renamed(twin, 'configXjson', 'config.json');
    await check('duplicate-entry', dup);
    await expect(readKerasFile(dup, { name: NAME })).rejects.toThrow(/entry 'config.json' appears twice/);
    const cd = central(BASE);
    const patches: [string, (dv: DataView, p: number) => void][] = [
      ['method', (dv, p) => dv.setUint16(p + 10, 12, true)], // bzip2
      ['method', (dv, p) => dv.setUint16(p + 10, 99, true)], // AES
      ['encrypted', (dv, p) => dv.setUint16(p + 8, 1, true)],
      ['size-lie', (dv, p) => dv.setUint32(p + 24, 0xfffffff0, true)], // claims ~4 GiB uncompressed
      ['size-lie', (dv, p) => dv.setUint32(p + 24, 0x7fffffff, true)],
      ['size-lie', (dv, p) => dv.setUint32(p + 24, dv.getUint32(p + 24, true) + 1, true)],
      ['size-lie', (dv, p) => dv.setUint32(p + 24, dv.getUint32(p + 24, true) - 1, true)],
      ['size-lie', (dv, p) => dv.setUint32(p + 20, 0xfffffff0, true)], // compressed size past the end
      ['size-lie', (dv, p) => dv.setUint32(p + 24, 0xffffffff, true)], // zip64 marker without a zip64 field
      ['offset-lie', (dv, p) => dv.setUint32(p + 42, 0xfffffff0, true)],
      ['offset-lie', (dv, p) => dv.setUint32(p + 42, 0, true)],
      ['crc-lie', (dv, p) => dv.setUint32(p + 16, dv.getUint32(p + 16, true) ^ 1, true)],
    ];
    for (const [entry, p] of cd)
      for (const [m, patch] of patches) {
        const z = BASE.slice();
        patch(new DataView(z.buffer), p);
        await check(m, z);
        if (m === 'size-lie' || m === 'crc-lie')
          await expect(readKerasFile(z, { name: NAME }), `${m} in ${entry}`).rejects.toThrow(NAME);
      }
    const eocd = BASE.length - 22;
    for (const v of [0, 1, 0xffff]) {
      const z = BASE.slice();
      new DataView(z.buffer).setUint16(eocd + 10, v, true);
      await check('entry-count-lie', z);
    }
  });

  it('real zip bombs: 64 MiB of JSON in 64 KiB, 10,001 entries, 200 nested zips', async () => {
    const big = new Uint8Array(64 * 1024 * 1024).fill(0x20);
    big[0] = 0x7b; // '{'
    big[big.length - 1] = 0x7d; // '}'
    const bomb = zipSync({ ...FILES, 'config.json': big }, { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    await check('zip-bomb', bomb);
    const many: Record<string, Uint8Array> = { ...FILES };
    for (let i = 0; i < 10_001; i++) many[`f${i}`] = new Uint8Array(0);
    await check('entry-count-bomb', zipSync(many, { level: 0 }));
    await expect(readKerasFile(zipSync(many, { level: 0 }), { name: NAME })).rejects.toThrow(
      /10004 entries, above the limit of 10000/,
    );
    let nested = zipSync(FILES);
    for (let i = 0; i < 200; i++)
      nested = zipSync({ 'config.json': FILES['config.json'], [`inner${i}.keras`]: nested });
    await check('nested-zip', nested);
  });

  it('the real Keras 3 fixture: bit flips and truncation', async () => {
    const dir = kerasFixturesDir();
    expect(dir, 'keras fixtures not found (../shared/keras-fixtures)').not.toBeNull();
    const real = new Uint8Array(readFileSync(join(dir!, 'keras3-mnist-mlp', 'Digit_Recognition_MLP.keras')));
    const bounds = structure(real);
    for (const c of aroundBoundaries(bounds, real.length).filter((_, i) => i % 3 === 0))
      await check('fixture-truncate@boundary', real.subarray(0, c));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), async (pos) =>
        check('fixture-bitflip', flipBits(real, pos)),
      ),
      { seed: FUZZ_SEED + 41, numRuns: runs(40) },
    );
  });

  it('nothing was written next to the test, in the folders above it, in the temp folder or at /', () => {
    expect(evilFound()).toEqual([]);
    expect(stats.total).toBeGreaterThan(400);
  });
});

describe('a .keras path on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'tg-zip-fuzz-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  it('is read in memory: an archive with ../ entries leaves the folder unchanged', async () => {
    const { writeFileSync } = await import('node:fs');
    const p = join(root, 'm.keras');
    writeFileSync(p, zipSync({ ...FILES, '../escaped.txt': strToU8('x') }));
    await expect(readKerasFile(p)).rejects.toThrow(/m.keras: unsafe entry name '..\/escaped.txt'/);
    expect(readdirSync(root)).toEqual(['m.keras']);
    expect(readdirSync(dirname(root))).not.toContain('escaped.txt');
  });
});
