// Fuzzing the HDF5 / Keras .h5 reader (h5wasm in a worker): truncation at every HDF5 structure (superblock, B-trees,
// heaps, symbol nodes, global heap), corrupted structure signatures, dataspaces claiming 2^40+ elements, bit flips,
// a chunked+deflated dataset; every case ends in a result or a FormatError, and the worker always recovers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KerasFile, closeHdf5Worker, readKerasFile } from '../../src/io/index.js';
import { kerasFixturesDir } from '../io/fixtures-dir.js';
import { buildH5 } from '../io/h5-build.js';
import {
  FUZZ_SEED,
  FuzzStats,
  SCALE,
  aroundBoundaries,
  flipBits,
  fuzzCase,
  printFuzzReport,
  runs,
} from './helpers/fuzz.js';

const stats = new FuzzStats('hdf5 / keras .h5');
afterAll(async () => {
  printFuzzReport();
  await closeHdf5Worker();
});
const NAME = 'fuzz.h5';
// Smaller limits than the defaults, so the allocation cap below can check that they are enforced.
const LIMITS = { maxDatasetBytes: 8 * 1024 ** 2, maxTotalBytes: 16 * 1024 ** 2, timeoutMs: 10_000 };
const CAP = 2 * LIMITS.maxTotalBytes + (1 << 20);
// NOTE: a refused HDF5 file costs a worker restart (~0.3 s), so the enumerations are thinned to every STRIDE-th
// item in the default run; TAPEGRAD_FUZZ_SCALE=4 runs all of them.
const STRIDE = Math.max(1, Math.round(4 / SCALE));
const thin = <T>(xs: T[], stride = STRIDE): T[] => xs.filter((_, i) => i % stride === 0);

interface Base {
  label: string;
  bytes: Uint8Array;
  /** Dataset shapes to patch in the dataspace messages. */
  shapes: number[][];
}
const bases: Base[] = [];

beforeAll(async () => {
  const dir = kerasFixturesDir();
  expect(dir, 'keras fixtures not found (../shared/keras-fixtures)').not.toBeNull();
  for (const f of ['ELU_0_model.h5', 'ELU_0_weights.h5'])
    bases.push({
      label: f,
      bytes: new Uint8Array(readFileSync(join(dir!, 'dl4j-activations', f))),
      shapes: [[16, 32], [32]],
    });
  const k3 = await buildH5((f) => {
    const v = f.create_group('layers').create_group('dense').create_group('vars');
    const opts = {
      name: '0',
      data: new Float32Array(48 * 40).map((_, i) => i % 7),
      shape: [48, 40],
      chunks: [16, 8],
      compression: 9,
    };
    v.create_dataset(opts as Parameters<typeof v.create_dataset>[0]);
    v.create_dataset({ name: '1', data: Float32Array.from([7, 8, 9]), shape: [3] });
  });
  bases.push({ label: 'keras3-chunked-deflate.weights.h5', bytes: k3, shapes: [[48, 40], [3]] });
});

const validate = (k: KerasFile) => {
  for (const l of k.layers)
    for (const w of l.weights) expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
};
const check = (mutation: string, bytes: Uint8Array) =>
  fuzzCase(stats, mutation, () => readKerasFile(bytes, { name: NAME, ...LIMITS }), {
    name: NAME,
    capBytes: CAP,
    hangMs: 20_000,
    validate,
  });

const SIGS = [
  'TREE',
  'HEAP',
  'SNOD',
  'OHDR',
  'OCHK',
  'FRHP',
  'FHDB',
  'FSHD',
  'BTHD',
  'BTLF',
  'GCOL',
  'FSSE',
  'FHIB',
];
/** Offsets of HDF5 structures, found by their 4-byte signatures, plus the superblock's fields. */
function structures(b: Uint8Array): number[] {
  const out = [0, 8, 9, 13, 16, 24, 32, 40, 48, 56, 96];
  for (let i = 0; i + 4 <= b.length; i++)
    if (SIGS.includes(String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]))) out.push(i);
  return out;
}
/** Offsets where `dims` appear as consecutive little-endian u64 (a dataspace message's current dimensions). */
function dimOffsets(b: Uint8Array, dims: number[]): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 8 * dims.length <= b.length; i++)
    if (dims.every((d, k) => dv.getBigUint64(i + 8 * k, true) === BigInt(d))) out.push(i);
  return out;
}

describe('HDF5 reader under fuzzing', () => {
  it(`truncation at HDF5 structure boundaries ±1 (every ${STRIDE}th offset)`, async () => {
    for (const b of bases) {
      const cuts = aroundBoundaries(
        [...structures(b.bytes), b.bytes.length >> 1, b.bytes.length - 1],
        b.bytes.length,
      );
      for (const c of thin(cuts)) await check('truncate@boundary', b.bytes.subarray(0, c));
    }
  });

  it('corrupted structure signatures and version bytes', async () => {
    for (const b of bases)
      for (const at of thin(structures(b.bytes).slice(11), STRIDE / 2 || 1)) {
        const m = b.bytes.slice();
        m[at] ^= 0x20; // 'TREE' → 'tREE'
        await check('signature', m);
        const v = b.bytes.slice();
        v[at + 4] = 0xff; // the version byte after the signature
        await check('version-byte', v);
      }
  });

  it('dataspaces claiming 2^32, 2^40, 2^62 and 0 elements on each axis', async () => {
    for (const b of bases)
      for (const shape of b.shapes)
        for (const at of dimOffsets(b.bytes, shape))
          for (const v of thin([2n ** 40n, 0n, 2n ** 64n - 1n, 2n ** 32n, 2n ** 62n], STRIDE / 2 || 1)) {
            const m = b.bytes.slice();
            new DataView(m.buffer).setBigUint64(at, v, true);
            await check('huge-dims', m);
          }
  });

  it('random bit flips and byte overwrites', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(2), fc.array(fc.nat(), { minLength: 1, maxLength: 16 }), async (bi, pos) =>
        check('bitflip', flipBits(bases[bi].bytes, pos)),
      ),
      { seed: FUZZ_SEED + 50, numRuns: runs(30) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(2),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 0xff, 0x7f, 0x80, 1)), { minLength: 1, maxLength: 8 }),
        async (bi, sets) => {
          const m = bases[bi].bytes.slice();
          for (const [p, v] of sets) m[p % m.length] = v;
          await check('byte-set', m);
        },
      ),
      { seed: FUZZ_SEED + 51, numRuns: runs(20) },
    );
  });

  it('after all of that the worker still reads a good file', async () => {
    const k = await readKerasFile(bases[0].bytes, { name: 'good.h5' });
    expect(k.layers.find((l) => l.name === 'dense')?.weights.map((w) => w.shape)).toEqual([[16, 32], [32]]);
    expect(stats.total).toBeGreaterThan(100);
  });
});
