// digits.bin of examples/web: header, counts, balanced interleaved labels, and pixels equal to the mnist package's.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { makeDigits } from '../../examples/web/digits-plugin.js';

const req = createRequire(import.meta.url);
const digit = (d: number): number[] => (req(`mnist/src/digits/${d}.json`) as { data: number[] }).data;

describe('examples/web digits.bin', () => {
  it('holds train then test digits, classes interleaved, pixels as round(255·value)', () => {
    const [trainPer, testPer] = [3, 2];
    const b = makeDigits(trainPer, testPer);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(String.fromCharCode(...b.subarray(0, 4))).toBe('TGD1');
    const [nTrain, nTest] = [dv.getUint32(4, true), dv.getUint32(8, true)];
    expect([nTrain, nTest]).toEqual([30, 20]);
    const n = nTrain + nTest;
    expect(b.length).toBe(12 + n * 785);
    const labels = Array.from(b.subarray(12 + n * 784));
    expect(labels).toEqual(Array.from({ length: n }, (_, r) => r % 10));
    for (const r of [0, 7, 29, 30, 49]) {
      const d = r % 10;
      // row r is image k of class d: k = r / 10 in the train part, trainPer + (r − nTrain) / 10 in the test part
      const k = r < nTrain ? Math.floor(r / 10) : trainPer + Math.floor((r - nTrain) / 10);
      const want = digit(d)
        .slice(k * 784, (k + 1) * 784)
        .map((v) => Math.round(255 * v));
      expect(Array.from(b.subarray(12 + r * 784, 12 + (r + 1) * 784)), `row ${r}`).toEqual(want);
    }
  });
});
