// Layer normalization over trailing axes on the per-channel rows (ops/composite/layer-norm.ts) against the
// composition (mean, x − μ, square, mean, ·1/√(σ² + ε), ·γ, + β): values and gradients in float64, gradcheck to second
// order, float32 on wasm, what the layers record, and what a trace sees.
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { layerNormTrailing } from '../../src/ops/composite/layer-norm.js';
import { expectClose, uniform } from '../support/check.js';

const before = tg.getBackend();
afterAll(() => tg.setBackend(before));

const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);

/** The composition, over the last k axes. */
function composed(
  x: tg.Tensor,
  k: number,
  gamma: tg.Tensor | null,
  beta: tg.Tensor | null,
  eps: number,
): tg.Tensor {
  const red = Array.from({ length: k }, (_, i) => x.rank - k + i);
  const mu = tg.mean(x, red, true);
  const v = tg.mean(tg.square(tg.sub(x, mu)), red, true);
  let y = tg.div(tg.sub(x, mu), tg.sqrt(tg.add(v, eps)));
  if (gamma) y = tg.mul(y, gamma);
  return beta ? tg.add(y, beta) : y;
}

describe.each([
  { shape: [3, 5, 6], k: 1 },
  { shape: [2, 3, 4, 5], k: 2 },
  { shape: [4, 9], k: 1 },
])('layer norm of $shape over the last $k axes', ({ shape, k }) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const tail = shape.slice(shape.length - k);
  const d = tail.reduce((a, b) => a * b, 1);
  // rows with their own offsets and scales
  const xs = uniform(n, 1).map((v, i) => (1 + (Math.floor(i / d) % 3)) * v + Math.floor(i / d));
  const gs = uniform(d, 2, 0.5, 1.5);
  const bs = uniform(d, 3);
  const w = t64(uniform(n, 4), shape);

  it('values and gradients (x, γ, β) equal the composition in float64', () => {
    tg.setBackend('js');
    const [x, g, b] = [t64(xs, shape), t64(gs, tail), t64(bs, tail)];
    expectClose(layerNormTrailing(x, k, g, b, 1e-5).data, composed(x, k, g, b, 1e-5).data, {
      rtol: 1e-12,
      atol: 1e-13,
    });
    expectClose(layerNormTrailing(x, k, null, null, 1e-5).data, composed(x, k, null, null, 1e-5).data, {
      rtol: 1e-12,
      atol: 1e-13,
    });
    const loss = (f: typeof composed) => (xx: tg.Tensor, gg: tg.Tensor, bb: tg.Tensor) =>
      tg.sum(tg.mul(tg.square(f(xx, k, gg, bb, 1e-5)), w));
    const gr = tg.grads(loss(layerNormTrailing))(x, g, b);
    const gc = tg.grads(loss(composed))(x, g, b);
    gr.forEach((dd, i) => expectClose(dd.data, gc[i].data, { rtol: 1e-10, atol: 1e-12 }, `d/d${'xgb'[i]}`));
  });

  it('gradcheck in float64, first and second order', () => {
    tg.setBackend('js');
    const [x, g, b] = [t64(xs, shape), t64(gs, tail), t64(bs, tail)];
    const f = (xx: tg.Tensor, gg: tg.Tensor, bb: tg.Tensor) =>
      tg.sum(tg.mul(tg.square(layerNormTrailing(xx, k, gg, bb, 1e-5)), w));
    expect(tg.gradcheck(f, [x, g, b]).ok).toBe(true);
    const v = t64(uniform(n, 8), shape);
    expect(tg.gradcheck((xx, gg) => tg.sum(tg.mul(tg.grads(f)(xx, gg, b)[0], v)), [x, g]).ok).toBe(true);
  });

  it('wasm float32 within rounding of the composition', () => {
    tg.setBackend('wasm');
    const f32 = (a: ArrayLike<number>, s: number[]) => tg.tensor(Float32Array.from(a), s);
    const [x, g, b] = [f32(xs, shape), f32(gs, tail), f32(bs, tail)];
    expectClose(layerNormTrailing(x, k, g, b, 1e-5).data, composed(x, k, g, b, 1e-5).data, {
      rtol: 1e-5,
      atol: 1e-5,
    });
  });
});

describe('which path LayerNorm layers take', () => {
  it('Keras LayerNormalization (trailing axes) and tg.nn.LayerNorm run the rows; other axes the composition', () => {
    tg.setBackend('js');
    const x = tg.tensor(uniform(2 * 3 * 4, 1), [2, 3, 4], { requiresGrad: true });
    const last = tg.layers.layerNormalization({ dtype: 'float64' }).apply(x) as tg.Tensor;
    expect(last.node?.inputs[0].node?.op).toBe('channelAffine');
    const mid = tg.layers.layerNormalization({ axis: 1, dtype: 'float64' }).apply(x) as tg.Tensor;
    expect(JSON.stringify(mid.node?.op)).not.toContain('channel');
    const ln = new tg.nn.LayerNorm([4], { dtype: 'float64' });
    expect(ln.forward(x).node?.inputs[0].node?.op).toBe('channelAffine');
    // the middle-axis layer against the composition over axis 1
    const want = composed(tg.transpose(x, [0, 2, 1]), 1, null, null, 1e-3);
    expectClose(mid.data, tg.transpose(want, [0, 2, 1]).data, { rtol: 1e-12, atol: 1e-12 });
  });

  it('traced, it runs as the composition; a γ of the wrong shape names both shapes', () => {
    tg.setBackend('js');
    const x = t64(uniform(12, 2), [3, 4]);
    const seen: string[] = [];
    const off = tg.onOp((e) => seen.push(e.op));
    try {
      layerNormTrailing(x, 1, null, null, 1e-5);
    } finally {
      off();
    }
    expect(seen.filter((op) => op.startsWith('channel'))).toEqual([]);
    expect(() => layerNormTrailing(x, 1, t64([1, 1], [2]), null, 1e-5)).toThrow(/gamma \[2\] must be \[4\]/);
  });
});
