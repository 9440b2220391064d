// Fuzzing the IDX (MNIST) and CIFAR-10 binary readers: truncation at every section/record boundary, hostile
// dimensions (2^32-1, 0, 255 axes), wrong type bytes, corrupt and bomb-like gzip, bad labels, bit flips.
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx, readCifar10 } from '../../src/io/index.js';
import {
  FUZZ_SEED,
  FuzzStats,
  aroundBoundaries,
  flipBits,
  fuzzCase,
  printFuzzReport,
  runs,
} from './helpers/fuzz.js';

afterAll(printFuzzReport);
const idxStats = new FuzzStats('idx');
const cifarStats = new FuzzStats('cifar10');
const NAME = 'fuzz-idx3-ubyte';

/** An IDX file: 0 0 type ndim, big-endian u32 dims, then the data bytes. */
function idx(type: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, type, dims.length]);
  const dv = new DataView(out.buffer);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d >>> 0, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
const raw = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 29 + 3) & 255);
const BASES = [
  idx(0x08, [3, 4, 5], raw(60)),
  idx(0x08, [10], raw(10)),
  idx(0x09, [2, 2], raw(4)),
  idx(0x0b, [2, 3], raw(12)),
  idx(0x0c, [4], raw(16)),
  idx(0x0d, [2, 2], raw(16)),
  idx(0x0e, [3], raw(24)),
  idx(0x08, [0, 28, 28], raw(0)),
];
const GZ = BASES.map((b) => new Uint8Array(gzipSync(b)));

const validateIdx = (r: ReturnType<typeof parseIdx>) => {
  expect(r.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
  expect(r.data.length).toBe(r.shape.reduce((a, b) => a * b, 1));
};
/** Bytes a gzip stream really inflates to (0 when it does not inflate). */
function inflatedLength(b: Uint8Array): number {
  if (b[0] !== 0x1f || b[1] !== 0x8b) return b.length;
  try {
    return gunzipSync(b).length;
  } catch {
    return 0;
  }
}
// Plain files widen at most 4x (int8 → int32); gzip input is bounded by the data it really inflates to (capped at
// 2 GiB by the reader), not by what its header claims. The cap is generous and still far below any claimed size.
const checkIdx = (mutation: string, bytes: Uint8Array) =>
  fuzzCase(idxStats, mutation, () => parseIdx(bytes, NAME), {
    name: NAME,
    capBytes: 8 * Math.max(bytes.length, inflatedLength(bytes)) + 64 * 1024,
    validate: validateIdx,
  });

describe('IDX reader under fuzzing', () => {
  it('truncation at every section boundary (magic, dims, data) ±1, plain and gzipped (header, body, trailer)', async () => {
    for (const b of BASES) {
      const ndim = b[3];
      const start = 4 + 4 * ndim;
      const dims = Array.from({ length: ndim }, (_, i) => 4 + 4 * i);
      for (const c of aroundBoundaries(
        [0, 2, 3, 4, ...dims, start, start + ((b.length - start) >> 1), b.length - 1],
        b.length,
      ))
        await checkIdx('truncate@boundary', b.subarray(0, c));
    }
    for (const g of GZ)
      for (const c of aroundBoundaries(
        [0, 2, 10, g.length >> 1, g.length - 8, g.length - 4, g.length - 1],
        g.length,
      ))
        await checkIdx('gzip-truncate@boundary', g.subarray(0, c));
  });

  it('hostile dims (0, 2^31, 2^32-1 on any axis), ndim 0/255/±1, unknown type bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.nat(),
        fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 16, 65537),
        async (bi, ax, v) => {
          const b = BASES[bi].slice();
          const ndim = b[3];
          new DataView(b.buffer).setUint32(4 + 4 * (ax % ndim), v, false);
          await checkIdx('huge-dims', b);
        },
      ),
      { seed: FUZZ_SEED + 20, numRuns: runs(300) },
    );
    for (const b of BASES)
      for (const nd of [0, 255, b[3] - 1, b[3] + 1]) {
        const m = b.slice();
        m[3] = nd & 255;
        await checkIdx('wrong-ndim', m);
      }
    for (const b of BASES.slice(0, 3))
      for (let t = 0; t < 256; t += 1) {
        const m = b.slice();
        m[2] = t;
        await checkIdx('wrong-type', m);
      }
    // the reference gzip of a header claiming [2^32-1, 2^32-1] elements: refused before any allocation
    await checkIdx('huge-dims', new Uint8Array(gzipSync(idx(0x0d, [2 ** 32 - 1, 2 ** 32 - 1], raw(8)))));
  });

  it('bit flips and random truncation, plain and gzipped; random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (bi, pos, gz) =>
          checkIdx(gz ? 'gzip-bitflip' : 'bitflip', flipBits(gz ? GZ[bi] : BASES[bi], pos)),
      ),
      { seed: FUZZ_SEED + 21, numRuns: runs(800) },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(BASES.length - 1), fc.nat(), fc.boolean(), async (bi, c, gz) => {
        const b = gz ? GZ[bi] : BASES[bi];
        await checkIdx(gz ? 'gzip-truncate@random' : 'truncate@random', b.subarray(0, c % b.length));
      }),
      { seed: FUZZ_SEED + 22, numRuns: runs(300) },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.boolean(), async (b, gz) =>
        checkIdx('random-bytes', gz ? Uint8Array.from([0x1f, 0x8b, ...b]) : Uint8Array.from([0, 0, ...b])),
      ),
      { seed: FUZZ_SEED + 23, numRuns: runs(300) },
    );
  });

  it('a gzip bomb (64 KiB inflating to 64 MiB) behind a header claiming 10 bytes is refused', async () => {
    const bomb = new Uint8Array(gzipSync(idx(0x08, [10], new Uint8Array(64 * 1024 * 1024)), { level: 9 }));
    expect(bomb.length).toBeLessThan(128 * 1024);
    // NOTE: the reader inflates the whole stream (up to its 2 GiB cap) before it can compare with the header
    await checkIdx('gzip-bomb', bomb);
    expect(idxStats.total).toBeGreaterThan(1500);
  });
});

const RECORD = 3073;
const records = (n: number) =>
  Uint8Array.from({ length: n * RECORD }, (_, i) => (i % RECORD === 0 ? (i / RECORD) % 10 : (i * 7) & 255));
const C_BASE = records(3);
const validateCifar = (r: ReturnType<typeof readCifar10>) => {
  const n = r.labels.shape[0];
  expect(r.images.shape).toEqual([n, 32, 32, 3]);
  expect(Array.from(r.labels.data).every((l) => l >= 0 && l <= 9)).toBe(true);
};
const checkCifar = (mutation: string, src: Uint8Array | Uint8Array[]) => {
  const len = Array.isArray(src) ? src.reduce((a, b) => a + b.length, 0) : src.length;
  return fuzzCase(cifarStats, mutation, () => readCifar10(src), {
    name: '<bytes>',
    capBytes: 8 * len + 64 * 1024,
    validate: validateCifar,
  });
};

describe('CIFAR-10 reader under fuzzing', () => {
  it('truncation at every record boundary ±1 and inside records', async () => {
    const cuts = [
      0,
      1,
      1025,
      2049,
      RECORD,
      2 * RECORD,
      3 * RECORD - 1,
      ...Array.from({ length: 3 }, (_, k) => k * RECORD + 1),
    ];
    for (const c of aroundBoundaries(cuts, C_BASE.length))
      await checkCifar('truncate@boundary', C_BASE.subarray(0, c));
    await checkCifar('truncate@boundary', new Uint8Array(0));
  });

  it('labels above 9 in any record, bit flips, extra bytes, and several files with one bad', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(2), fc.integer({ min: 10, max: 255 }), async (r, label) => {
        const b = C_BASE.slice();
        b[r * RECORD] = label;
        await checkCifar('bad-label', b);
      }),
      { seed: FUZZ_SEED + 24, numRuns: runs(100) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), async (pos) =>
        checkCifar('bitflip', flipBits(C_BASE, pos)),
      ),
      { seed: FUZZ_SEED + 25, numRuns: runs(150) },
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: RECORD - 1 }), fc.nat(2), async (extra, bad) => {
        const files = [records(1), records(2), records(1)];
        files[bad] = Uint8Array.from([...files[bad], ...new Uint8Array(extra)]);
        await checkCifar('multi-file-one-bad', files);
      }),
      { seed: FUZZ_SEED + 26, numRuns: runs(60) },
    );
    expect(cifarStats.total).toBeGreaterThan(300);
  });
});
