// Helper of the tf.image and conv3d/pool tests (tfjs-image.test.ts, tfjs-conv3d.test.ts): one op in tapegrad and in
// tfjs-core (cpu backend) on the same random inputs; values, and gradients of Σ w·f(xs) (same random w) via tf.grads.
import { expect } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import { tfc, valuesFor } from '../support/tfjs-compare.js';

export interface CompareOpts {
  rtol?: number;
  atol?: number;
  /** Indices of the inputs whose gradients are compared with TF.js's (default all; [] for none). */
  grad?: number[];
  /** Run tg.gradcheck in float64 on every input (default true). */
  gradcheck?: boolean;
}

/** Compare tg's f against tf's g on random inputs of `shapes` (float32): shape, values and gradients. */
export function compareMany(
  shapes: number[][],
  f: (...xs: tg.Tensor[]) => tg.Tensor,
  g: (...xs: tfc.Tensor[]) => tfc.Tensor,
  what: string,
  o: CompareOpts = {},
): void {
  const { rtol = 1e-5, atol = 1e-6 } = o;
  const vs = shapes.map((s) => valuesFor(s));
  const xs = vs.map((v, i) => tg.tensor(v, shapes[i], { dtype: 'float32' }));
  const ts = vs.map((v, i) => tfc.tensor(Float32Array.from(v), shapes[i]));
  const y = f(...xs);
  const yt = g(...ts);
  expect(y.shape, `${what}: shape`).toEqual(yt.shape);
  expectClose(y.data, yt.dataSync(), { rtol, atol }, `${what}: values`);
  const which = o.grad ?? shapes.map((_, i) => i);
  if (which.length) {
    const w = valuesFor(y.shape);
    const gx = tg.grads((...a: tg.Tensor[]) =>
      tg.sum(tg.mul(f(...a), tg.tensor(w, y.shape, { dtype: 'float32' }))),
    )(...xs);
    const gt = tfc.grads((...a: tfc.Tensor[]) =>
      tfc.sum(tfc.mul(g(...a), tfc.tensor(Float32Array.from(w), yt.shape))),
    )(ts);
    for (const i of which)
      expectClose(gx[i].data, gt[i].dataSync(), { rtol: 1e-4, atol: 1e-5 }, `${what}: gradient ${i}`);
  }
  if (o.gradcheck ?? true) {
    const r = tg.gradcheck(
      f,
      vs.map((v, i) => tg.tensor(v, shapes[i], { dtype: 'float64' })),
      { mode: 'random', directions: 3 },
    );
    expect(r.ok, `${what}: gradcheck ${JSON.stringify(r.worst)}`).toBe(true);
  }
}
