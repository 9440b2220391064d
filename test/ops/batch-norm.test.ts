// Batch normalization on the per-channel rows (ops/composite/batch-norm.ts: channelMoments, channelAffine, and
// channelSums in backward) against the composition it replaced (mean, x − μ, square, mean, ·s, + β): forward bits on
// the wasm backend, gradients in float64 (finite differences and the composition), second derivatives, and which
// rows the layers record. (The rows themselves are gradchecked by test/ops/primitives.test.ts.)
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { batchNorm, batchNormTraining } from '../../src/ops/composite/batch-norm.js';
import { momentsExcept, normalizeCentered } from '../../src/ops/composite/batch-norm.js';
import { normalize } from '../../src/nn/keras/layers/normalization.js';
import { expectClose, uniform } from '../support/check.js';
import { expectSame } from '../support/backend.js';

const before = tg.getBackend();
afterAll(() => tg.setBackend(before));

const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);
const t32 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float32Array.from(data), shape);
/** A [C] parameter reshaped to broadcast along `axis` of a rank-r input, as the layers did. */
const along = (p: tg.Tensor, rank: number, axis: number) =>
  tg.reshape(
    p,
    Array.from({ length: rank }, (_, i) => (i === axis ? p.size : 1)),
  );

/** The composition the rows replace: batch moments over every axis but `axis`, then (x − μ)/√(σ² + ε)·γ + β. */
function composed(x: tg.Tensor, gamma: tg.Tensor, beta: tg.Tensor, eps: number, axis: number): tg.Tensor {
  const [, v, d] = momentsExcept(x, [axis]);
  return normalizeCentered(d, v, along(gamma, x.rank, axis), along(beta, x.rank, axis), eps);
}

// channels-last and NCHW, with an offset per channel so centring matters
const CASES = [
  { shape: [4, 3, 3, 5], axis: 3 },
  { shape: [3, 4, 2, 3], axis: 1 },
  { shape: [6, 7], axis: 1 },
];

describe.each(CASES)('batch norm over $shape, channel axis $axis', ({ shape, axis }) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const C = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const xs = uniform(n, 3).map((v, i) => 2 * v + (Math.floor(i / inner) % C));
  const gs = uniform(C, 4, 0.5, 1.5);
  const bs = uniform(C, 5);
  const w = uniform(n, 6);

  it('training: values and gradients (x, γ, β) equal the composition in float64', () => {
    tg.setBackend('js');
    const [x, g, b] = [t64(xs, shape), t64(gs, [C]), t64(bs, [C])];
    const loss = (f: typeof composed) => (xx: tg.Tensor, gg: tg.Tensor, bb: tg.Tensor) =>
      tg.sum(tg.mul(tg.square(f(xx, gg, bb, 1e-3, axis)), t64(w, shape)));
    const rows = (xx: tg.Tensor, gg: tg.Tensor, bb: tg.Tensor, eps: number, a: number) =>
      batchNormTraining(xx, bb, gg, eps, a).y;
    expectClose(rows(x, g, b, 1e-3, axis).data, composed(x, g, b, 1e-3, axis).data, {
      rtol: 1e-12,
      atol: 1e-13,
    });
    const gr = tg.grads(loss(rows))(x, g, b);
    const gc = tg.grads(loss(composed))(x, g, b);
    gr.forEach((d, i) => expectClose(d.data, gc[i].data, { rtol: 1e-10, atol: 1e-12 }, `d/d${'xgb'[i]}`));
  });

  it('training: gradcheck in float64, first and second order', () => {
    tg.setBackend('js');
    const [x, g, b] = [t64(xs, shape), t64(gs, [C]), t64(bs, [C])];
    const f = (xx: tg.Tensor, gg: tg.Tensor, bb: tg.Tensor) =>
      tg.sum(tg.mul(tg.square(batchNormTraining(xx, bb, gg, 1e-3, axis).y), t64(w, shape)));
    expect(tg.gradcheck(f, [x, g, b]).ok).toBe(true);
    // d/dx of <∇_x f, v>: the rows' vjps differentiated again by the tape
    const v = t64(uniform(n, 8), shape);
    const second = (xx: tg.Tensor, gg: tg.Tensor) => tg.sum(tg.mul(tg.grads(f)(xx, gg, b)[0], v));
    expect(tg.gradcheck(second, [x, g]).ok).toBe(true);
  });

  it('wasm float32: the forward bits of the composition (channels-last), within an ulp or two otherwise', () => {
    tg.setBackend('wasm');
    const [x, g, b] = [t32(xs, shape), t32(gs, [C]), t32(bs, [C])];
    const got = batchNormTraining(x, b, g, 1e-3, axis);
    const want = composed(x, g, b, 1e-3, axis);
    // NOTE: over a non-last axis the composition's sum reduces the axes in another order
    if (axis === shape.length - 1) expectSame(got.y.data, want.data, 'y');
    else expectClose(got.y.data, want.data, { rtol: 1e-5, atol: 1e-6 });
    const inf = batchNorm(x, got.mean, got.variance, b, g, 1e-3, axis);
    const wantInf = normalize(
      x,
      along(got.mean, x.rank, axis),
      along(got.variance, x.rank, axis),
      along(g, x.rank, axis),
      along(b, x.rank, axis),
      1e-3,
    );
    expectSame(inf.data, wantInf.data, 'inference');
  });
});

describe('which rows batch normalization records, and its errors', () => {
  it('Keras BatchNormalization and tg.nn.BatchNorm2d train on channelMoments and channelAffine', () => {
    tg.setBackend('js');
    const x = tg.tensor(uniform(2 * 3 * 3 * 4, 1), [2, 3, 3, 4], { requiresGrad: true });
    const bn = tg.layers.batchNormalization({ dtype: 'float64' });
    const y = bn.apply(x, { training: true }) as tg.Tensor;
    expect(y.node?.op).toBe('channelAffine');
    expect(y.node?.inputs[1].node?.inputs[0].node?.inputs[0].node?.op).toBe('channelMoments');
    const bn2 = new tg.nn.BatchNorm2d(3, { dtype: 'float64' });
    const y2 = bn2.forward(tg.tensor(uniform(2 * 3 * 4, 3), [2, 3, 2, 2], { requiresGrad: true }));
    expect(y2.node?.op).toBe('channelAffine');
    expect(y2.node?.inputs[1].node?.inputs[0].node?.inputs[0].node?.op).toBe('channelMoments');
    bn2.eval();
    expect(bn2.forward(t64(uniform(2 * 3 * 4, 2), [2, 3, 2, 2])).node?.op).toBe('channelAffine');
  });

  it('while ops are listened to (trace, explain, ONNX export) it runs as the composition, with the same values', () => {
    tg.setBackend('js');
    const x = tg.tensor(uniform(3 * 2 * 4, 2), [3, 2, 4], { requiresGrad: true });
    const g = t64(uniform(2, 3, 0.5, 1.5), [2]);
    const b = t64(uniform(2, 4), [2]);
    const plain = batchNormTraining(x, b, g, 1e-3, 1).y;
    const seen: string[] = [];
    const off = tg.onOp((e) => seen.push(e.op));
    let traced: tg.Tensor;
    try {
      traced = batchNormTraining(x, b, g, 1e-3, 1).y;
      batchNorm(x, b, g, null, null, 1e-3, 1);
    } finally {
      off();
    }
    expect(seen.filter((op) => op.startsWith('channel'))).toEqual([]);
    expect(seen).toContain('sum');
    expectClose(traced.data, plain.data, { rtol: 1e-12, atol: 1e-13 });
  });

  it('mixed dtypes promote as the elementwise ops do: a float64 input to float32 weights, an int32 input', () => {
    tg.setBackend('js');
    const xs = uniform(2 * 3 * 3 * 4, 7).map((v) => 3 * v);
    const x64 = t64(xs, [2, 3, 3, 4]);
    // Keras layer of float32 weights (the web demo's .h5) on a float64 .npy: float64 out, the float64 layer's values
    const mk = (dtype: 'float32' | 'float64') => {
      const bn = tg.layers.batchNormalization({ dtype });
      bn.apply(x64); // build
      bn.setWeights(
        [
          t64([1.5, 0.5, 2, 1], [4]),
          t64([0.1, -0.2, 0.3, 0], [4]),
          t64([0.2, 0, -0.1, 1], [4]),
          t64([1, 2, 0.5, 3], [4]),
        ].map((w) => tg.cast(w, dtype)),
      );
      return bn;
    };
    const [b32, b64] = [mk('float32'), mk('float64')];
    for (const training of [false, true]) {
      const y = b32.apply(x64, { training }) as tg.Tensor;
      expect(y.dtype).toBe('float64');
      expectClose(y.data, (b64.apply(x64, { training }) as tg.Tensor).data, { rtol: 1e-6, atol: 1e-6 });
    }
    const bn2 = new tg.nn.BatchNorm2d(3); // float32 weights, float64 NCHW input
    expect(bn2.forward(t64(uniform(2 * 3 * 4, 8), [2, 3, 2, 2])).dtype).toBe('float64');
    const ln = new tg.nn.LayerNorm([4]);
    expect(ln.forward(x64).dtype).toBe('float64');
    // an int32 input computes in float32 (the weights' dtype)
    const xi = tg.tensor(
      Int32Array.from(xs, (v) => Math.round(v)),
      [2, 3, 3, 4],
    );
    expect((b32.apply(xi, { training: true }) as tg.Tensor).dtype).toBe('float32');
  });

  it("tg.moments (TF.js's tf.moments): the composition's values for any axes and keepDims, its bits channels-last", () => {
    tg.setBackend('wasm');
    const x = tg.tensor(
      Float32Array.from(uniform(3 * 4 * 5 * 6, 9), (v, i) => 2 * v + (i % 6)),
      [3, 4, 5, 6],
    );
    for (const [axes, keepDims] of [
      [[0, 1, 2], false],
      [[0, 1, 2], true],
      [[0, 2, 3], false],
      [[1], true],
      [undefined, false],
      [-1, false],
    ] as const) {
      const got = tg.moments(x, axes as number[] | number | undefined, keepDims);
      const ax = axes === undefined ? [0, 1, 2, 3] : ([] as number[]).concat(axes).map((a) => (a + 4) % 4);
      const mu = tg.mean(x, ax, true);
      const v = tg.mean(tg.square(tg.sub(x, mu)), ax, keepDims);
      const want = keepDims ? mu : tg.mean(x, ax, false);
      expect(got.mean.shape).toEqual(want.shape);
      expect(got.variance.shape).toEqual(v.shape);
      if (ax.join() === '0,1,2') {
        expectSame(got.mean.data, want.data, 'mean');
        expectSame(got.variance.data, v.data, 'variance');
      } else {
        expectClose(got.mean.data, want.data, { rtol: 1e-6, atol: 1e-6 });
        expectClose(got.variance.data, v.data, { rtol: 1e-5, atol: 1e-6 });
      }
    }
    const xi = tg.tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    const mi = tg.moments(xi, 0);
    expect(mi.mean.dtype).toBe('float32');
    expect([...mi.mean.data]).toEqual([3, 4]);
    expect([...mi.variance.data].map((u) => +u.toFixed(5))).toEqual([2.66667, 2.66667]);
  });

  it('a parameter of the wrong length names the op, the parameter and both shapes', () => {
    expect(tg.batchNorm).toBe(batchNorm); // TF.js's tf.batchNorm(x, mean, variance, offset, scale, varianceEpsilon)
    const x = t64(uniform(12, 1), [4, 3]);
    const c = t64([0, 0, 0], [3]);
    expect(() => batchNorm(x, c, t64([1, 1], [2]))).toThrow(
      /batchNorm: variance \[2\] must be \[3\].*\[4, ?3\]/,
    );
    expect(() => run('channelAffine', [x, c, c, t64([0], [1])], { axis: 1 })).toThrow(
      /channelAffine: b \[1\] must be \[3\]/,
    );
  });
});
