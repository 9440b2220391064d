// Table-driven float64 gradchecks for the weightless reshaping, activation and merge layers, so every layer in
// tg.layers has its gradient checked against finite differences somewhere.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const f64 = 'float64' as const;
/** Values in ±[0.2, 1.4] (away from the kinks at 0, ±1 thresholds), distinct so max/min have no ties. */
function input(shape: number[], seed: number): tg.Tensor {
  const rng = new tg.Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = Float64Array.from(
    { length: n },
    (_, i) => (rng.next() < 0.5 ? -1 : 1) * (0.2 + 1.2 * ((i * 0.6180339 + rng.next() * 0.1) % 1)),
  );
  return new tg.Tensor(d, shape);
}

const single: [string, () => tg.Layer, number[]][] = [
  ['ZeroPadding1D', () => tg.layers.zeroPadding1d({ padding: [1, 2], dtype: f64 }), [2, 4, 3]],
  [
    'ZeroPadding2D',
    () =>
      tg.layers.zeroPadding2d({
        padding: [
          [1, 0],
          [2, 1],
        ],
        dtype: f64,
      }),
    [1, 3, 3, 2],
  ],
  ['Cropping1D', () => tg.layers.cropping1d({ cropping: [1, 1], dtype: f64 }), [2, 5, 2]],
  [
    'Cropping2D',
    () =>
      tg.layers.cropping2d({
        cropping: [
          [1, 0],
          [0, 1],
        ],
        dtype: f64,
      }),
    [1, 4, 4, 2],
  ],
  ['UpSampling1D', () => tg.layers.upSampling1d({ size: 2, dtype: f64 }), [1, 3, 2]],
  ['UpSampling2D', () => tg.layers.upSampling2d({ size: [2, 2], dtype: f64 }), [1, 2, 3, 2]],
  ['LeakyReLU', () => tg.layers.leakyReLU({ alpha: 0.1, dtype: f64 }), [2, 6]],
  ['ELU', () => tg.layers.elu({ alpha: 0.7, dtype: f64 }), [2, 6]],
  [
    'ReLU(maxValue, negativeSlope, threshold)',
    () => tg.layers.reLU({ maxValue: 1.1, negativeSlope: 0.2, threshold: 0.1, dtype: f64 }),
    [2, 6],
  ],
  ['ThresholdedReLU', () => tg.layers.thresholdedReLU({ theta: 0.5, dtype: f64 }), [2, 6]],
  ['Softmax', () => tg.layers.softmax({ axis: -1, dtype: f64 }), [2, 6]],
];

const merges: [string, () => tg.Layer][] = [
  ['Add', () => tg.layers.add({ dtype: f64 })],
  ['Subtract', () => tg.layers.subtract({ dtype: f64 })],
  ['Multiply', () => tg.layers.multiply({ dtype: f64 })],
  ['Minimum', () => tg.layers.minimum({ dtype: f64 })],
  ['Maximum', () => tg.layers.maximum({ dtype: f64 })],
];

describe('gradcheck of weightless layers', () => {
  single.forEach(([name, make, shape], i) =>
    it(name, () => {
      const layer = make();
      const r = tg.gradcheck((x) => layer.apply(x) as tg.Tensor, [input(shape, 10 + i)]);
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
      expect(r.checks).toBeGreaterThan(0);
    }),
  );
  merges.forEach(([name, make], i) =>
    it(name, () => {
      const layer = make();
      const r = tg.gradcheck(
        (a, b) => layer.apply([a, b]) as tg.Tensor,
        [input([2, 4], 50 + i), input([2, 4], 80 + i)],
      );
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    }),
  );
});
