// The inputs, output weights and comparison shared by the max-pool-with-indices and max-unpool tests: the same
// formulas as their PyTorch scripts (see the headers of those tests), so the stored numbers line up.
import { expect } from 'vitest';
import * as tg from '../../../src/index.js';

const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
/** floor(3·sin(0.9·i + 0.2)) in float64, requiring its gradient (small integers: ties between maxima). */
export const input = (shape: number[]) =>
  tg
    .tensor(
      Array.from({ length: size(shape) }, (_, i) => Math.floor(3 * Math.sin(0.9 * i + 0.2))),
      shape,
      { dtype: 'float64' },
    )
    .requireGrad(true);
/** cos(0.37·j) in float64: the weights of the output in the loss whose gradient is compared. */
export const weights = (shape: readonly number[]) =>
  tg.tensor(
    Array.from({ length: size(shape) }, (_, j) => Math.cos(j * 0.37)),
    shape,
    { dtype: 'float64' },
  );
/** got ≈ want elementwise (2e-6), with the element named on failure. */
export function close(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThan(2e-6));
}
