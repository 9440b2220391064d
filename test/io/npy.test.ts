// .npy reading against files and values written by NumPy itself; writing checked byte-for-byte against numpy.save.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { FormatError, encodeNpy, parseNpy, readNpy, writeNpy } from '../../src/io/index.js';
import { kerasFixturesDir, localFixtures } from './fixtures-dir.js';

const dir = join(localFixtures, 'npy');
const expected: Record<string, { shape: number[]; descr: string; values: number[] }> = JSON.parse(
  readFileSync(join(dir, 'expected.json'), 'utf8'),
);
const tmp = mkdtempSync(join(tmpdir(), 'tg-npy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readNpy: files written by NumPy', () => {
  it.each(Object.entries(expected))('%s', (name, e) => {
    const t = readNpy(join(dir, `${name}.npy`));
    expect(t.shape).toEqual(e.shape);
    const wantDtype = /f8/.test(e.descr) ? 'float64' : /f/.test(e.descr) ? 'float32' : 'int32';
    expect(t.dtype).toBe(wantDtype);
    expect(Array.from(t.data)).toEqual(e.values.map((v) => (wantDtype === 'float32' ? Math.fround(v) : v)));
  });

  it('refuses int64 values outside the int32 range, naming the index', () => {
    expect(() => readNpy(join(dir, 'i8_big.npy'))).toThrow(
      /int64 value 1099511627776 at index 1 does not fit in int32/,
    );
  });

  it('refuses fortran_order arrays with a clear message', () => {
    expect(() => readNpy(join(dir, 'fortran.npy'))).toThrow(/fortran_order arrays are not supported/);
  });
});

describe('writeNpy / encodeNpy', () => {
  it('produces exactly the bytes numpy.save wrote for the same float32 array', () => {
    const e = expected.f4_2x3;
    const t = new Tensor(Float32Array.from(e.values), e.shape);
    expect(Buffer.from(encodeNpy(t)).equals(readFileSync(join(dir, 'f4_2x3.npy')))).toBe(true);
  });

  it('matches numpy.save for int32, a 0-d float64 and an empty (0, 3) array', () => {
    for (const name of ['i4_1d', 'f8_scalar', 'empty_0x3', 'f4_long_axis']) {
      const e = expected[name];
      const data =
        e.descr === '<i4'
          ? Int32Array.from(e.values)
          : e.descr === '<f8'
            ? Float64Array.from(e.values)
            : Float32Array.from(e.values);
      const bytes = encodeNpy(new Tensor(data, e.shape));
      expect(Buffer.from(bytes).equals(readFileSync(join(dir, `${name}.npy`))), name).toBe(true);
    }
  });

  it('round-trips random tensors of every dtype through a file', () => {
    let k = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
        fc.constantFrom('float32', 'float64', 'int32'),
        fc.integer(),
        (shape, dtype, seed) => {
          const n = shape.reduce((a, b) => a * b, 1);
          const vals = Array.from({ length: n }, (_, i) => ((seed * 31 + i * 7919) % 20011) - 10000);
          const data =
            dtype === 'float32'
              ? Float32Array.from(vals, (v) => v / 3)
              : dtype === 'float64'
                ? Float64Array.from(vals, (v) => v / 3)
                : Int32Array.from(vals);
          const p = join(tmp, `rt${k++}.npy`);
          writeNpy(p, new Tensor(data, shape));
          const back = readNpy(p);
          expect(back.shape).toEqual(shape);
          expect(back.dtype).toBe(dtype);
          expect(Array.from(back.data)).toEqual(Array.from(data));
        },
      ),
      { numRuns: 60 },
    );
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('readNpy: corrupt input', () => {
  const good = readFileSync(join(dir, 'f4_2x3.npy'));
  it('bad magic', () => {
    const b = Uint8Array.from(good);
    b[1] = 0x58;
    expect(() => parseNpy(b, 'x.npy')).toThrow(/x.npy: not a .npy file \(bad magic/);
  });
  it('truncated data and truncated header', () => {
    expect(() => parseNpy(good.subarray(0, good.length - 4), 'x.npy')).toThrow(
      /needs 24 data bytes but the file has 20 \(truncated\)/,
    );
    expect(() => parseNpy(good.subarray(0, 40), 'x.npy')).toThrow(/truncated: header needs/);
  });
  it('a header claiming 2^40 elements is refused before allocating', () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1048576), }";
    const bytes = new Uint8Array(10 + header.length + 1);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(bytes.buffer).setUint16(8, header.length + 1, true);
    for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
    bytes[bytes.length - 1] = 10;
    expect(() => parseNpy(bytes, 'huge.npy')).toThrow(/needs 4398046511104 data bytes but the file has 0/);
  });
  it('garbage headers and unsupported dtypes', () => {
    const mk = (h: string) => {
      const b = new Uint8Array(10 + h.length);
      b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(b.buffer).setUint16(8, h.length, true);
      for (let i = 0; i < h.length; i++) b[10 + i] = h.charCodeAt(i);
      return b;
    };
    expect(() => parseNpy(mk("{'descr': '<c8', 'fortran_order': False, 'shape': (), }"))).toThrow(
      /dtype '<c8' is not supported/,
    );
    expect(() => parseNpy(mk("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }"))).toThrow(
      FormatError,
    );
    expect(() => parseNpy(mk("__import__('os')"))).toThrow(/malformed .npy header/);
    expect(() => parseNpy(mk("{'descr': '<f4', 'shape': (-1,), 'fortran_order': False}"))).toThrow(
      FormatError,
    );
  });
  it('a missing file is a FileError naming the path', () => {
    expect(() => readNpy(join(tmp, 'nope.npy'))).toThrow(/cannot open \(ENOENT\)/);
  });
});

const kf = kerasFixturesDir();
describe.skipIf(!kf)('the dl4j-cnn-batchnorm fixture arrays', () => {
  const ref = JSON.parse(readFileSync(join(dir, 'dl4j-reference.json'), 'utf8'));
  it.each(['input', 'predictions'])('%s.npy matches NumPy-computed shape, sum and sample values', (n) => {
    const t = readNpy(join(kf!, 'dl4j-cnn-batchnorm', `${n}.npy`));
    const r = ref[n];
    expect(t.shape).toEqual(r.shape);
    expect(t.dtype).toBe(r.descr === '<f8' ? 'float64' : 'float32');
    const flat = Array.from(t.data);
    expect(flat.slice(0, 5)).toEqual(r.first);
    expect(flat.slice(-3)).toEqual(r.last);
    expect(flat[1234 % flat.length]).toBe(r.at_1234);
    expect(flat.reduce((a, b) => a + b, 0)).toBeCloseTo(r.sum, 9);
  });
});
