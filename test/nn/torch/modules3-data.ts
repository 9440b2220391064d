// The PyTorch 1.13 fixture of the Unfold/Fold, Bilinear, EmbeddingBag, Softmax2d and ChannelShuffle tests:
// test/fixtures/torch-modules-3/modules3.json, written in float64 by `/usr/bin/python3 test/fixtures/torch-modules-3/gen.py`.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import * as tg from '../../../src/index.js';

export type Fixture = Record<string, Record<string, any>[]> & {
  state_dict_names: string[];
  parameter_names: string[];
};
export const FIX = JSON.parse(
  readFileSync(new URL('../../fixtures/torch-modules-3/modules3.json', import.meta.url), 'utf8'),
) as Fixture;

/** A float64 tensor of the fixture's numbers. */
export const f64 = (v: number[], shape: readonly number[]): tg.Tensor =>
  tg.tensor(v, shape, { dtype: 'float64' });
/** A float64 leaf that wants a gradient. */
export const leaf = (v: number[], shape: readonly number[]): tg.Tensor => f64(v, shape).requireGrad(true);
/** sum(y · g) backward: the gradients the fixture holds. */
export function backwardWith(y: tg.Tensor, g: number[]): void {
  tg.sum(tg.mul(y, f64(g, y.shape))).backward();
}
/** |got − want| ≤ 1e-12 + 1e-9·|want| elementwise, shapes equal when given. */
export function close(got: tg.Tensor | null, want: number[], what: string, shape?: number[]): void {
  expect(got, `${what}: missing`).not.toBeNull();
  if (shape) expect(got!.shape, `${what}: shape`).toEqual(shape);
  const g = Array.from(got!.data as ArrayLike<number>);
  expect(g.length, `${what}: size`).toBe(want.length);
  want.forEach((w, i) =>
    expect(Math.abs(g[i] - w), `${what}[${i}]: got ${g[i]}, PyTorch ${w}`).toBeLessThanOrEqual(
      1e-12 + 1e-9 * Math.abs(w),
    ),
  );
}
/** PyTorch's keyword arguments as tapegrad's camelCase options. */
export const camelKeys = (kw: Record<string, unknown>): Record<string, any> =>
  Object.fromEntries(
    Object.entries(kw).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );
