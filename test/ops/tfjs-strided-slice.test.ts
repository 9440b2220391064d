// tg.stridedSlice against tfjs-core's cpu stridedSlice: every mask (begin, end, ellipsis, new axis, shrink), negative
// and non-unit strides, clamping, empty results, random specs; gradients from where TF.js moves each value (TF.js
// has no StridedSlice gradient) and gradcheck in float64.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { prng } from '../support/check.js';
import { compareOp, tfc, useTfjsCpu } from '../support/tfjs-compare.js';

beforeAll(useTfjsCpu);

type Spec = [number[], number[], number[] | undefined, number, number, number, number, number];
/** x shape, then stridedSlice's arguments after x. */
const CASES: [string, number[], Spec][] = [
  ['plain', [3, 2, 3], [[1, 0, 0], [2, 1, 3], [1, 1, 1], 0, 0, 0, 0, 0]],
  ['no strides given', [3, 2, 3], [[1, 0, 0], [2, 2, 3], undefined, 0, 0, 0, 0, 0]],
  ['negative strides', [3, 2, 3], [[1, -1, 0], [2, -3, 3], [1, -1, 1], 0, 0, 0, 0, 0]],
  ['stride 2', [7], [[0], [7], [2], 0, 0, 0, 0, 0]],
  ['stride 3 from a negative begin', [8], [[-7], [-1], [3], 0, 0, 0, 0, 0]],
  ['stride -2 over all (masks)', [7, 2], [[0, 0], [0, 0], [-2, 1], 1, 3, 0, 0, 0]],
  ['beginMask', [4, 5], [[3, 1], [4, 4], [1, 2], 1, 0, 0, 0, 0]],
  ['endMask', [4, 5], [[1, 1], [2, 2], [1, 1], 0, 2, 0, 0, 0]],
  ['ellipsis first', [2, 3, 4, 5], [[0, 1], [0, 3], [1, 1], 0, 0, 1, 0, 0]],
  ['ellipsis in the middle', [2, 3, 4, 5], [[1, 0, 1], [2, 0, 4], [1, 1, 2], 0, 0, 2, 0, 0]],
  ['newAxis', [3, 4], [[0, 0, 1], [0, 2, 3], [1, 1, 1], 0, 0, 0, 1, 0]],
  ['newAxis after an ellipsis', [3, 4], [[0, 0, 1], [0, 0, 3], [1, 1, 1], 0, 0, 1, 2, 0]],
  ['shrink', [3, 4], [[1, 0], [2, 4], [1, 1], 0, 0, 0, 0, 1]],
  ['shrink a negative index', [3, 4], [[0, -1], [3, 0], [1, 1], 0, 0, 0, 0, 2]],
  ['shrink every axis', [3, 4], [[2, 1], [3, 2], [1, 1], 0, 0, 0, 0, 3]],
  ['shrink + ellipsis + newAxis', [2, 3, 4], [[0, 0, 1], [0, 0, 3], [1, 1, 1], 0, 0, 1, 2, 0]],
  ['shrink after an ellipsis', [2, 3, 4], [[0, 2], [0, 3], [1, 1], 0, 0, 1, 0, 2]],
  ['clamped ends', [5], [[-100], [100], [1], 0, 0, 0, 0, 0]],
  ['clamped ends, negative stride', [5], [[100], [-100], [-1], 0, 0, 0, 0, 0]],
  // NOTE: a stride on the other axis: TF.js's cpu kernel throws on an empty unit-stride slice (a negative slice size)
  ['empty', [5, 2], [[3, 0], [1, 2], [1, 2], 0, 0, 0, 0, 0]],
  ['empty, stride against the range', [5], [[1], [4], [-1], 0, 0, 0, 0, 0]],
  ['fewer entries than axes', [3, 4, 2], [[1], [3], [1], 0, 0, 0, 0, 0]],
];

describe('stridedSlice', () => {
  it.each(CASES)('%s: x %j spec %j matches tf.stridedSlice', (what, shape, spec) =>
    compareOp(
      shape,
      (x) => tg.stridedSlice(x, ...spec),
      (x) => tfc.stridedSlice(x, ...spec),
      what,
      'select',
    ),
  );

  it('matches TF.js on random specs (and throws exactly where TF.js does)', () => {
    const r = prng(17);
    const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
    let compared = 0;
    for (let c = 0; c < 150; c++) {
      const shape = Array.from({ length: int(1, 3) }, () => int(1, 4));
      const n = int(1, shape.length + 1);
      const begin = Array.from({ length: n }, () => int(-5, 5));
      const end = Array.from({ length: n }, () => int(-5, 5));
      const strides = Array.from({ length: n }, () => [-3, -2, -1, 1, 1, 2, 3][int(0, 6)]);
      const bits = (): number => int(0, (1 << n) - 1) & int(0, (1 << n) - 1);
      const ell = r() < 0.3 ? 1 << int(0, n - 1) : 0;
      const spec: Spec = [
        begin,
        end,
        strides,
        bits(),
        bits(),
        ell,
        r() < 0.3 ? bits() : 0,
        r() < 0.4 ? bits() : 0,
      ];
      let ok = true;
      try {
        tfc.stridedSlice(tfc.zeros(shape), ...spec);
      } catch (e) {
        if (/Negative size values/.test(String(e))) continue; // the TF.js cpu bug on empty unit-stride slices
        ok = false;
      }
      if (!ok) {
        expect(
          () => tg.stridedSlice(tg.zeros(shape), ...spec),
          `x ${shape} spec ${JSON.stringify(spec)}`,
        ).toThrow(/stridedSlice: /);
        continue;
      }
      compareOp(
        shape,
        (x) => tg.stridedSlice(x, ...spec),
        (x) => tfc.stridedSlice(x, ...spec),
        JSON.stringify([shape, spec]),
        'select',
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(80);
  });

  it('an empty unit-stride slice is empty (TF semantics; TF.js cpu throws there)', () => {
    const y = tg.stridedSlice(tg.zeros([5, 2]), [3, 0], [1, 2]);
    expect(y.shape).toEqual([0, 2]);
  });

  it('refuses two ellipses, a zero stride, a shrink index out of range, a negative shrink stride, too many axes', () => {
    const x = tg.zeros([3, 4]);
    expect(() => tg.stridedSlice(x, [0, 0], [1, 1], [1, 1], 0, 0, 3)).toThrow(
      /stridedSlice: ellipsisMask 3 \(0b11\) sets more than one bit/,
    );
    expect(() => tg.stridedSlice(x, [0, 0], [1, 1], [1, 0])).toThrow(
      /stridedSlice: strides\[1\] .*must be non-zero/,
    );
    expect(() => tg.stridedSlice(x, [3], [4], [1], 0, 0, 0, 0, 1)).toThrow(
      /stridedSlice: shrinkAxisMask index 3 is out of range for axis 0 of \[3, ?4\]/,
    );
    expect(() => tg.stridedSlice(x, [1], [0], [-1], 0, 0, 0, 0, 1)).toThrow(
      /shrinkAxisMask bit on axis 0 needs a positive stride, got -1/,
    );
    expect(() => tg.stridedSlice(x, [0, 0, 0], [1, 1, 1])).toThrow(
      /stridedSlice: the slice spec names more axes than x's 2/,
    );
    expect(() => tg.stridedSlice(x, [0, 0], [1])).toThrow(/must have the same length/);
    expect(() => tg.stridedSlice(x, [0.5], [1])).toThrow(/lists of integers/);
  });
});
