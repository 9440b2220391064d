// Test helpers: a seeded PRNG independent of tapegrad's, array comparison with a useful failure message.
import { expect } from 'vitest';

/** mulberry32: a tiny seeded generator, deliberately not tapegrad's Rng, for test data. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [lo, hi) from `seed`. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = prng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** n standard normal values from `seed` (Box-Muller). */
export function normal(n: number, seed: number, std = 1): Float64Array {
  const r = prng(seed);
  return Float64Array.from(
    { length: n },
    () => std * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()),
  );
}

/** The worst |a-b| relative to atol + rtol·|b|, with its index (ratio > 1 means not close). */
export function worstMismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
) {
  let worst = { index: -1, ratio: 0, actual: NaN, expected: NaN };
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    const ratio = a === b ? 0 : Math.abs(a - b) / (atol + rtol * Math.abs(b));
    if (!(ratio <= worst.ratio))
      worst = { index: i, ratio: Number.isNaN(ratio) ? Infinity : ratio, actual: a, expected: b };
  }
  return worst;
}

/** Assert two arrays have the same length and are elementwise close; the message names the worst index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: { rtol?: number; atol?: number } = {},
  what = 'values',
): void {
  const { rtol = 1e-9, atol = 1e-12 } = opts;
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const w = worstMismatch(actual, expected, rtol, atol);
  if (w.ratio > 1)
    expect.fail(
      `${what}: index ${w.index} is ${w.actual} but expected ${w.expected} (rtol ${rtol}, atol ${atol})`,
    );
}
