// plainCopy: the copy `.data`, eviction and the Tensor constructor make of values in shared (wasm) memory.
import { describe, expect, it } from 'vitest';
import { plainCopy } from '../../src/core/dtype.js';

describe('plainCopy', () => {
  it.each([Float32Array, Int32Array, Float64Array])(
    'copies a %s view of shared memory into a plain array of its type',
    (T) => {
      const sab = new SharedArrayBuffer(64 * T.BYTES_PER_ELEMENT);
      const view = new T(sab as unknown as ArrayBuffer, 8 * T.BYTES_PER_ELEMENT, 40);
      for (let i = 0; i < view.length; i++) view[i] = i * 3 - 7;
      const c = plainCopy(view);
      expect(c).toBeInstanceOf(T);
      expect(c.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      expect([...c]).toEqual([...view]);
      view[0] = 1234; // the copy owns its values
      expect(c[0]).toBe(-7);
    },
  );

  it('keeps NaN, infinities and -0 bit for bit, and copies an empty view', () => {
    const v = new Float32Array(new SharedArrayBuffer(16) as unknown as ArrayBuffer);
    v.set([NaN, Infinity, -Infinity, -0]);
    const c = plainCopy(v);
    expect(new Uint32Array(c.buffer)).toEqual(new Uint32Array(v.slice().buffer));
    expect(plainCopy(new Float32Array(new SharedArrayBuffer(0) as unknown as ArrayBuffer)).length).toBe(0);
  });
});
