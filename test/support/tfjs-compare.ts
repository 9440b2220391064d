// Run one op in tapegrad and in TF.js (tfjs-core, cpu backend) on the same values and compare values, shapes and
// gradients (tf.grad of Σ w·f(x) with the same random weights w); tg.gradcheck in float64 on the side.
import { expect } from 'vitest';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // tfjs-core alone registers no gradients
import * as tg from '../../src/index.js';
import { expectClose, uniform } from './check.js';

export { tfc };

/** Make TF.js use its cpu backend (call in beforeAll). */
export const useTfjsCpu = (): Promise<boolean> => tfc.setBackend('cpu');

let seed = 1;
/** Values in [-1, 1) for a shape (a fresh seed per call). */
export const valuesFor = (shape: readonly number[]): Float64Array =>
  uniform(
    shape.reduce((p, d) => p * d, 1),
    seed++,
  );

/**
 * The gradient of Σ w·g(x) for an op g that only moves or drops values (each output is one input value or 0): run
 * g on x = 1, 2, …, n, so each output names its source, and add w into that source.
 */
function selectionGrad(
  shape: readonly number[],
  g: (x: tfc.Tensor) => tfc.Tensor,
  w: ArrayLike<number>,
): Float64Array {
  const n = shape.reduce((p, d) => p * d, 1);
  const src = g(
    tfc.tensor(
      Float32Array.from({ length: n }, (_, i) => i + 1),
      [...shape],
    ),
  ).dataSync();
  const gx = new Float64Array(n);
  for (let k = 0; k < src.length; k++) if (src[k] !== 0) gx[src[k] - 1] += w[k];
  return gx;
}

/**
 * Compare tg's `f` against tf's `g` on one random x of `shape`: values (float32), gradients of Σ w·f(x) (from
 * tf.grad, or with grad 'select' from where g moves each value, for ops whose TF.js gradient is missing or wrong),
 * and tg.gradcheck in float64.
 */
export function compareOp(
  shape: readonly number[],
  f: (x: tg.Tensor) => tg.Tensor,
  g: (x: tfc.Tensor) => tfc.Tensor,
  what: string,
  grad: 'tfjs' | 'select' | false = 'tfjs',
): void {
  const v = valuesFor(shape);
  const x = tg.tensor(v, [...shape], { dtype: 'float32' });
  const xt = tfc.tensor(Float32Array.from(v), [...shape]);
  const y = f(x);
  const yt = g(xt);
  expect(y.shape, `${what}: shape`).toEqual(yt.shape);
  expectClose(y.data, yt.dataSync(), { rtol: 0, atol: 0 }, `${what}: values`);
  if (!grad) return;
  const w = valuesFor(y.shape);
  const gx = tg.grad((t) => tg.sum(tg.mul(f(t), tg.tensor(w, y.shape, { dtype: 'float32' }))))(x);
  const expected =
    grad === 'select'
      ? selectionGrad(shape, g, Float32Array.from(w))
      : tfc
          .grad((t: tfc.Tensor) => tfc.sum(tfc.mul(g(t), tfc.tensor(Float32Array.from(w), yt.shape))))(xt)
          .dataSync();
  expect(gx.shape, `${what}: gradient shape`).toEqual([...shape]);
  expectClose(gx.data, expected, { rtol: 1e-6, atol: 1e-7 }, `${what}: gradient`);
  if (y.size === 0) return;
  const r = tg.gradcheck(f, [tg.tensor(v, [...shape], { dtype: 'float64' })], {
    mode: 'random',
    directions: 3,
  });
  expect(r.ok, `${what}: gradcheck`).toBe(true);
}
