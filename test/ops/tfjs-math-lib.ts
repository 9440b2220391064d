// Helpers of the TF.js math-op tests (tfjs-math*.test.ts): the same values in tapegrad and tfjs-core (cpu backend),
// and an elementwise comparison where NaN matches NaN and ±Inf must match exactly.
import { expect } from 'vitest';
import * as tg from '../../src/index.js';
import { rand, tf } from '../support/tfjs-layers.js';

export { tf };
export type TfT = ReturnType<typeof tf.tensor>;

/** Deterministic values in [lo, hi) of `shape`, float32. */
export function uniform(shape: number[], seed: number, lo = -1, hi = 1): Float32Array {
  const n = shape.reduce((p, d) => p * d, 1);
  return rand(n, seed).map((v) => lo + ((v + 1) / 2) * (hi - lo));
}

/** A tapegrad tensor and a TF.js tensor of the same values (TF.js has no float64: its twin is float32). */
export function twin(
  values: ArrayLike<number>,
  shape: number[],
  dtype: tg.DType = 'float32',
): [tg.Tensor, TfT] {
  const a = Array.from(values);
  return [tg.tensor(a, shape, { dtype }), tf.tensor(a, shape, dtype === 'int32' ? 'int32' : 'float32')];
}

/** Close elementwise: same shape, NaN where the reference is NaN, equal infinities, else |a − b| ≤ atol + rtol·|b|. */
export function expectClose(
  got: tg.Tensor,
  want: TfT | tg.Tensor | number[],
  rtol = 1e-6,
  atol = 1e-7,
): void {
  const w: number[] = Array.isArray(want)
    ? want
    : want instanceof tg.Tensor
      ? Array.from(want.data)
      : Array.from(want.dataSync() as ArrayLike<number>);
  if (!Array.isArray(want)) expect(got.shape).toEqual([...want.shape]);
  const g = Array.from(got.data);
  expect(g.length).toBe(w.length);
  g.forEach((v, i) => {
    const ok = Number.isNaN(w[i])
      ? Number.isNaN(v)
      : !Number.isFinite(w[i])
        ? v === w[i]
        : Math.abs(v - w[i]) <= atol + rtol * Math.abs(w[i]);
    if (!ok)
      expect.fail(`at ${i}: got ${v}, want ${w[i]} (got ${g.slice(0, 8)}..., want ${w.slice(0, 8)}...)`);
  });
}

/** TF.js's bool results as the 1/0 tapegrad gives. */
export const tfBool = (t: TfT): number[] => Array.from(t.dataSync() as ArrayLike<number>).map(Number);

/** tg.gradcheck of f in float64 at x's values. */
export function gradcheck64(f: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[]): void {
  const x64 = xs.map((x) => tg.cast(x, 'float64'));
  const r = tg.gradcheck(f, x64);
  expect(r.ok, JSON.stringify(r.worst)).toBe(true);
}
