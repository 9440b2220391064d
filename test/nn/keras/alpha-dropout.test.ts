// AlphaDropout in training, as Keras (2 and 3) and TF.js compute it: each value is kept with probability 1 - rate or
// set to α' = -α·scale of SELU, then y = a·x + b with a = ((1-rate)(1 + rate·α'²))^-1/2, b = -a·α'·rate, so that a
// zero-mean, unit-variance input stays so (plain dropout would scale the variance by 1/(1-rate)). noise_shape shares
// the keep decision along its size-1 axes. References: the formula from the Keras source, sample statistics.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { normal } from '../../support/check.js';

const data = (t: unknown) => Array.from((t as tg.Tensor).data);
// Keras alpha_dropout.py's constants (1.6732632423543772848…, 1.0507009873554804934… as doubles) and affine parameters
const ALPHA_P = -1.6732632423543772 * 1.0507009873554805;
const affine = (rate: number) => {
  const a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5;
  return { a, b: -a * ALPHA_P * rate };
};
/** Per value: 1 when y is the kept a·x + b, 0 when the dropped a·α' + b, else a failed expectation. */
function keptOf(x: number[], y: number[], rate: number): number[] {
  const { a, b } = affine(rate);
  return y.map((v, i) => {
    if (Math.abs(v - (a * x[i] + b)) < 1e-5) return 1;
    expect(v, `value ${i}: neither a·x + b nor a·α' + b`).toBeCloseTo(a * ALPHA_P + b, 5);
    return 0;
  });
}
const meanVar = (v: number[]) => {
  const m = v.reduce((p, q) => p + q, 0) / v.length;
  return [m, v.reduce((p, q) => p + (q - m) ** 2, 0) / v.length];
};

describe('AlphaDropout in training', () => {
  it("each value is Keras's a·x + b (kept) or a·α' + b (dropped), about `rate` of them dropped", () => {
    const rate = 0.3;
    const x = tg.tensor(
      Array.from({ length: 2000 }, (_, i) => (i % 97) / 10 - 4.5),
      [20, 100],
    );
    const y = tg.layers.alphaDropout({ rate, seed: 3 }).apply(x, { training: true }) as tg.Tensor;
    expect(y.shape).toEqual([20, 100]);
    const kept = keptOf(data(x), data(y), rate);
    const dropped = 1 - kept.reduce((p, q) => p + q, 0) / kept.length;
    expect(dropped).toBeGreaterThan(0.25);
    expect(dropped).toBeLessThan(0.35);
  });

  it('keeps a standard normal input at mean 0 and variance 1 (plain dropout does not)', () => {
    const n = 200_000;
    const x = tg.tensor(Array.from(normal(n, 7)), [n]);
    for (const rate of [0.1, 0.3, 0.5]) {
      const [m, v] = meanVar(data(tg.layers.alphaDropout({ rate, seed: 1 }).apply(x, { training: true })));
      expect(Math.abs(m), `mean at rate ${rate}`).toBeLessThan(0.015);
      expect(Math.abs(v - 1), `variance at rate ${rate}`).toBeLessThan(0.03);
      // the same bounds catch plain (inverted) dropout: its variance is 1/(1 - rate)
      const [, vd] = meanVar(data(tg.dropout(x, rate, { training: true })));
      expect(Math.abs(vd - 1), `plain dropout at rate ${rate}`).toBeGreaterThan(0.03);
    }
  });

  it('the gradient is a where kept and 0 where dropped', () => {
    const rate = 0.4;
    const x = tg.tensor(
      Array.from({ length: 60 }, (_, i) => i / 20 - 1.3),
      [3, 20],
    );
    const layer = tg.layers.alphaDropout({ rate, seed: 5 });
    const y = data(layer.apply(x, { training: true }));
    const kept = keptOf(data(x), y, rate);
    const g = tg.grad((t: tg.Tensor) =>
      tg.sum(tg.layers.alphaDropout({ rate, seed: 5 }).apply(t, { training: true }) as tg.Tensor),
    )(x);
    expect(data(g).map((v) => Number(v.toFixed(6)))).toEqual(
      kept.map((k) => Number((k * affine(rate).a).toFixed(6))),
    );
  });

  it('noiseShape shares the keep decision along its size-1 axes (null: the input size)', () => {
    const rate = 0.5;
    const x = tg.tensor(
      Array.from({ length: 4 * 6 * 3 }, (_, i) => (i % 13) / 7 + 0.1),
      [4, 6, 3],
    );
    const layer = tg.layers.alphaDropout({ rate, noiseShape: [null, 1, 3], seed: 2 });
    const kept = keptOf(data(x), data(layer.apply(x, { training: true })), rate);
    for (let b = 0; b < 4; b++)
      for (let c = 0; c < 3; c++) {
        const along = [0, 1, 2, 3, 4, 5].map((t) => kept[(b * 6 + t) * 3 + c]);
        expect(new Set(along).size, `sample ${b}, channel ${c}`).toBe(1);
      }
    expect(new Set(kept).size).toBe(2);
    expect(layer.getConfig()).toMatchObject({ rate, noise_shape: [null, 1, 3], seed: 2 });
    expect(() =>
      tg.layers.alphaDropout({ rate, noiseShape: [4, 2, 3] }).apply(x, { training: true }),
    ).toThrow(/AlphaDropout\): noiseShape \[4,2,3\] does not broadcast over the input \[4,6,3\]/);
  });

  it('inference, rate 0 and rate 1 (as tf.keras 2 and TF.js) are the identity; a seed repeats the draw', () => {
    const x = tg.tensor([0.5, -1, 2, 3], [2, 2]);
    expect(data(tg.layers.alphaDropout({ rate: 0.5 }).apply(x))).toEqual(data(x));
    expect(data(tg.layers.alphaDropout({ rate: 0 }).apply(x, { training: true }))).toEqual(data(x));
    expect(data(tg.layers.alphaDropout({ rate: 1 }).apply(x, { training: true }))).toEqual(data(x));
    const big = tg.ones([50]);
    const run = () => data(tg.layers.alphaDropout({ rate: 0.5, seed: 9 }).apply(big, { training: true }));
    expect(run()).toEqual(run());
    expect(() => tg.layers.alphaDropout({ rate: 1.5 })).toThrow(
      /AlphaDropout: rate must be in \[0, 1\], got 1.5/,
    );
    expect(() => tg.layers.alphaDropout({ rate: 0.1, noiseShape: [0, 2] })).toThrow(
      /AlphaDropout: noiseShape/,
    );
  });
});
