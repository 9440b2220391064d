// Fuzzing the .npy reader: truncation at every section boundary, header-length lies, hostile descr/shape/fortran
// fields (2^40 elements, negative, huge digit strings, 100 dimensions), bit flips and random bytes.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { encodeNpy, parseNpy } from '../../src/io/index.js';
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
const stats = new FuzzStats('npy');
const NAME = 'fuzz.npy';

/** A .npy file with this header dict text (padded like numpy) and data; version 1, 2 or 3. */
function npy(dict: string, data: Uint8Array, version = 1, lengthField?: number): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  let h = dict;
  const pad = (64 - ((prefix + h.length + 1) % 64)) % 64;
  h += ' '.repeat(pad) + '\n';
  const hb = new TextEncoder().encode(h);
  const out = new Uint8Array(prefix + hb.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, lengthField ?? hb.length, true);
  else dv.setUint32(8, lengthField ?? hb.length, true);
  out.set(hb, prefix);
  out.set(data, prefix + hb.length);
  return out;
}
const dict = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
const raw = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);

interface Base {
  bytes: Uint8Array;
  prefix: number;
  hlen: number;
}
const base = (bytes: Uint8Array): Base => {
  const v = bytes[6];
  const prefix = v === 1 ? 10 : 12;
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return { bytes, prefix, hlen: v === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true) };
};
const BASES: Base[] = [
  encodeNpy(new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3])),
  encodeNpy(new Tensor(Int32Array.from([1, -2, 3, 4]), [4])),
  encodeNpy(new Tensor(Float64Array.from([Math.PI]), [])),
  npy(
    dict('>i8', '(2,)'),
    raw(16).map((x, i) => (i % 8 === 7 ? 3 : 0)),
    2,
  ),
  npy(dict('|u1', '(2, 2)'), raw(4), 3),
  npy(dict('|b1', '(3,)'), Uint8Array.from([0, 1, 2])),
  npy(dict('<f2', '(2, 1)'), raw(4)),
  npy(dict('<f4', '(0, 3)'), new Uint8Array(0)),
].map(base);

const validate = (r: ReturnType<typeof parseNpy>) => {
  expect(r.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
  expect(r.data.length).toBe(r.shape.reduce((a, b) => a * b, 1));
};
const check = (mutation: string, bytes: Uint8Array) =>
  fuzzCase(stats, mutation, () => parseNpy(bytes, NAME), {
    name: NAME,
    capBytes: 8 * bytes.length + 64 * 1024,
    validate,
  });

const DESCRS = [
  '<f16',
  '<c8',
  'O',
  '|O',
  '<U10',
  '<M8',
  '<f0',
  '<i3',
  '>f4',
  '=f4',
  '<b2',
  "[('a', '<f4')]",
  '',
  '<f99999999999',
  '<u8',
  '|i1',
  '<V8',
  'f4',
];
const SHAPES = [
  '(1099511627776,)',
  '(-1,)',
  '(2, -3)',
  '(1.5,)',
  '()',
  '(0,)',
  `(${Array(100).fill(1).join(', ')})`,
  '(99999999999999999999999,)',
  '(9007199254740993,)',
  '(2147483648, 2147483648)',
  '[2, 3]',
  '(2 3)',
  "('a',)",
  '(2,',
  '2',
  '(4294967296, 4294967296, 4294967296)',
  '(1L,)',
  '(0x10,)',
];
const FORTRAN = ['True', 'false', '1', 'None', "'False'"];

describe('npy reader under fuzzing', () => {
  it('truncation at every section boundary (magic, version, header length, header, data) and ±1', async () => {
    for (const b of BASES) {
      const end = b.prefix + b.hlen;
      const cuts = aroundBoundaries(
        [0, 6, 8, b.prefix, end, end + ((b.bytes.length - end) >> 1), b.bytes.length - 1],
        b.bytes.length,
      );
      for (const c of cuts) await check('truncate@boundary', b.bytes.subarray(0, c));
    }
  });

  it('header length field lies', async () => {
    for (const b of BASES)
      for (const v of [
        0,
        1,
        b.hlen - 1,
        b.hlen + 1,
        b.bytes.length,
        0xffff,
        2 ** 20 + 1,
        2 ** 31,
        2 ** 32 - 1,
      ]) {
        const m = b.bytes.slice();
        const dv = new DataView(m.buffer);
        if (m[6] === 1) dv.setUint16(8, v & 0xffff, true);
        else dv.setUint32(8, v >>> 0, true);
        await check('header-length', m);
      }
  });

  it('hostile descr, shape and fortran_order values, missing and extra keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('descr', 'shape', 'fortran', 'keys'),
        fc.nat(),
        fc.nat(3),
        fc.oneof(fc.constantFrom(2, 4, 8, 16), fc.integer({ min: 0, max: 64 })),
        async (field, i, version, dataLen) => {
          const text =
            field === 'descr'
              ? dict(DESCRS[i % DESCRS.length], '(2,)')
              : field === 'shape'
                ? dict('<f4', SHAPES[i % SHAPES.length])
                : field === 'fortran'
                  ? dict('<f4', '(2,)', FORTRAN[i % FORTRAN.length])
                  : [
                      "{'descr': '<f4', 'shape': (2,), }",
                      "{'fortran_order': False, 'shape': (2,), }",
                      "{'descr': '<f4', 'fortran_order': False, }",
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 'x', }",
                      "{'descr': '<f4' 'fortran_order': False}",
                      "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}",
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)",
                      "{'__proto__': '<f4', 'constructor': False, 'shape': (2,), }",
                      '',
                    ][i % 9];
          await check(`wrong-${field}`, npy(text, raw(dataLen), [1, 2, 3, 1][version]));
        },
      ),
      { seed: FUZZ_SEED + 10, numRuns: runs(500) },
    );
  });

  it('random header text, random truncation, bit flips and random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 32 }), async (s, d) =>
        check('random-header-text', npy(s, d)),
      ),
      { seed: FUZZ_SEED + 11, numRuns: runs(300) },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(BASES.length - 1), fc.nat(), async (bi, c) =>
        check('truncate@random', BASES[bi].bytes.subarray(0, c % BASES[bi].bytes.length)),
      ),
      { seed: FUZZ_SEED + 12, numRuns: runs(200) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (bi, pos, inHeader) => {
          const b = BASES[bi];
          const lim = (b.prefix + b.hlen) * 8;
          await check(
            inHeader ? 'bitflip@header' : 'bitflip',
            flipBits(b.bytes, inHeader ? pos.map((p) => p % lim) : pos),
          );
        },
      ),
      { seed: FUZZ_SEED + 13, numRuns: runs(1000) },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 128 }), async (b) =>
        check('random-bytes', Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, ...b])),
      ),
      { seed: FUZZ_SEED + 14, numRuns: runs(300) },
    );
    expect(stats.total).toBeGreaterThan(2000);
  });
});
