// Data for the loss tests of this folder: deterministic inputs and the comparison with PyTorch's numbers.
import { expect } from 'vitest';

export interface Arr {
  shape: number[];
  data: number[];
}
/** Deterministic values (the generator of test/fixtures/torch/gen_fidops.py). */
export const wave = (shape: number[], seed: number, scale = 1): Arr => {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = Array.from(
    { length: n },
    (_, i) => (Math.sin(0.7 * i + seed) * 1.5 + 0.1 * Math.cos(3.1 * i * seed)) * scale,
  );
  return { shape, data };
};
/** Values in (0, 1): a logistic of wave. */
export const probs = (shape: number[], seed: number): Arr => {
  const w = wave(shape, seed);
  return { shape, data: w.data.map((v) => 1 / (1 + Math.exp(-v))) };
};
/** Rows of a softmax along axis 1 of [N, C, ...]. */
export const softmaxRows = (shape: number[], seed: number): Arr => {
  const w = wave(shape, seed);
  const [n, c] = shape;
  const inner = shape.slice(2).reduce((a, d) => a * d, 1);
  const data = w.data.slice();
  for (let b = 0; b < n; b++)
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => b * c * inner + k * inner + j;
      let s = 0;
      for (let k = 0; k < c; k++) s += Math.exp(w.data[at(k)]);
      for (let k = 0; k < c; k++) data[at(k)] = Math.exp(w.data[at(k)]) / s;
    }
  return { shape, data };
};
export const labels = (shape: number[], data: number[]): Arr => ({ shape, data });
export const num = (v: number | string): number =>
  typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN;
/** |got − want| ≤ 1e-13 + 1e-12·|want|, NaN only where PyTorch has NaN. */
export function close(got: ArrayLike<number>, want: (number | string)[], what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  want.forEach((w0, i) => {
    const w = num(w0);
    const g = got[i];
    if (Number.isNaN(w)) expect(g, `${what}[${i}]`).toBeNaN();
    else
      expect(Math.abs(g - w), `${what}[${i}]: got ${g}, PyTorch ${w}`).toBeLessThanOrEqual(
        1e-13 + 1e-12 * Math.abs(w),
      );
  });
}
