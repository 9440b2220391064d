// The fuzz harness itself must be able to fail: a reader that allocates from a header, throws an untyped error,
// hides the file name, or hangs is caught, and instanceof still works on arrays made while the cap is on.
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/io/index.js';
import { FuzzStats, fuzzCase } from './helpers/fuzz.js';

const stats = new FuzzStats('harness self-test');
const opts = { name: 'x.bin', capBytes: 1024 };

describe('fuzz harness', () => {
  it('flags an allocation sized from a header even when the reader wraps the RangeError', async () => {
    const naive = () => {
      try {
        return new Float32Array(1 << 20);
      } catch {
        throw new FormatError('x.bin: bad');
      }
    };
    await expect(fuzzCase(stats, 'alloc', naive, opts)).rejects.toThrow(
      /allocation above the cap .*new Float32Array of 4194304 bytes/,
    );
    await expect(fuzzCase(stats, 'alloc', () => new ArrayBuffer(4096), opts)).rejects.toThrow(
      /new ArrayBuffer of 4096/,
    );
    await expect(fuzzCase(stats, 'alloc', () => Int32Array.from({ length: 1000 }), opts)).rejects.toThrow(
      /new Int32Array of 4000/,
    );
  });

  it('flags untyped errors, messages without the file name, failed validation, and slow cases', async () => {
    await expect(fuzzCase(stats, 'e', () => JSON.parse('{'), opts)).rejects.toThrow(/untyped SyntaxError/);
    await expect(
      fuzzCase(
        stats,
        'e',
        () => {
          throw new FormatError('no name here');
        },
        opts,
      ),
    ).rejects.toThrow(/does not name the file/);
    await expect(
      fuzzCase(stats, 'e', () => 1, { ...opts, validate: (r) => expect(r).toBe(2) }),
    ).rejects.toThrow();
    const spin = () => {
      const t = Date.now();
      while (Date.now() - t < 60);
    };
    await expect(fuzzCase(stats, 'e', spin, { ...opts, hangMs: 20 })).rejects.toThrow(/hang bound 20 ms/);
  });

  it('passes typed errors and valid results, and typed arrays made under the cap keep their classes', async () => {
    let made: unknown;
    await fuzzCase(stats, 'ok', () => (made = new Float32Array(4)), opts);
    expect(made).toBeInstanceOf(Float32Array);
    expect(Object.getPrototypeOf(made)).toBe(Float32Array.prototype);
    await fuzzCase(
      stats,
      'ok',
      () => {
        throw new FormatError('x.bin: refused');
      },
      opts,
    );
    expect(stats.rows.get('ok')).toEqual({ cases: 2, accepted: 1, refused: 1 });
    expect(new Uint8Array(1 << 20).length).toBe(1 << 20); // the cap is off again
  });
});
