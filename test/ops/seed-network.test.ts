// The seed network (conv-relu-pool ×2, dense-relu, dense, softmax cross-entropy) built from tg functional
// ops: its parameter gradients match a hand-written naive-loop forward/backward, and the gradients w.r.t.
// the second conv's input activation and its 8 filters match central finite differences.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, normal, prng } from '../support/check.js';
import { CNN_KEYS, CNN_SHAPES, type CnnParams, naiveCnn } from '../support/naive-cnn.js';

const N = 2;
const t64 = (d: Float64Array, s: number[]) => tg.tensor(Float64Array.from(d), s);

/** He-style scaled normal weights, small biases. */
function initParams(seed: number): CnnParams {
  const p = {} as CnnParams;
  CNN_KEYS.forEach((k, i) => {
    const s = CNN_SHAPES[k];
    const fanIn = s.length === 1 ? 1 : s.slice(0, -1).reduce((a, b) => a * b, 1);
    p[k] = normal(
      s.reduce((a, b) => a * b, 1),
      seed + i,
      s.length === 1 ? 0.1 : Math.sqrt(2 / fanIn),
    );
  });
  return p;
}

/** Everything after the first pool: a1 [N,16,16,12] → loss. */
function tail(
  a1: tg.Tensor,
  w2: tg.Tensor,
  b2: tg.Tensor,
  w3: tg.Tensor,
  b3: tg.Tensor,
  w4: tg.Tensor,
  b4: tg.Tensor,
  labels: tg.Tensor,
): tg.Tensor {
  const h2 = tg.maxPool2d(tg.relu(tg.conv2d(a1, w2, b2, { padding: 'same' })), { kernelSize: 2 });
  const h3 = tg.relu(tg.add(tg.matmul(tg.reshape(h2, [N, 512]), w3), b3));
  return tg.crossEntropy(tg.add(tg.matmul(h3, w4), b4), labels);
}
/** The first block: x [N,32,32,3] → a1 [N,16,16,12]. */
const head = (x: tg.Tensor, w1: tg.Tensor, b1: tg.Tensor) =>
  tg.maxPool2d(tg.relu(tg.conv2d(x, w1, b1, { padding: 'same' })), { kernelSize: 2 });

describe('seed network', () => {
  const p = initParams(100);
  const xData = normal(N * 32 * 32 * 3, 7);
  const labelsArr = [3, 8];
  const x = t64(xData, [N, 32, 32, 3]);
  const labels = tg.tensor(Int32Array.from(labelsArr), [N]);
  const params = CNN_KEYS.map((k) => t64(p[k], CNN_SHAPES[k]));
  let ref: ReturnType<typeof naiveCnn>;
  beforeAll(() => {
    ref = naiveCnn(p, xData, N, labelsArr);
  });

  const net = (
    w1: tg.Tensor,
    b1: tg.Tensor,
    w2: tg.Tensor,
    b2: tg.Tensor,
    w3: tg.Tensor,
    b3: tg.Tensor,
    w4: tg.Tensor,
    b4: tg.Tensor,
  ) => tail(head(x, w1, b1), w2, b2, w3, b3, w4, b4, labels);

  it('loss and every parameter gradient from tg.grads match the naive-loop backward', () => {
    const grads = tg.grads(net)(...params);
    const value = tg.noGrad(() => net(...(params as Parameters<typeof net>)));
    expect(value.item()).toBeCloseTo(ref.loss, 12);
    // the reference is not degenerate: a real loss and non-zero gradients everywhere
    expect(ref.loss).toBeGreaterThan(0.01);
    CNN_KEYS.forEach((k, i) => {
      expect(grads[i].shape, k).toEqual(CNN_SHAPES[k]);
      expect(
        ref.grads[k].some((v) => v !== 0),
        `${k} reference gradient is all zero`,
      ).toBe(true);
      expectClose(grads[i].data, ref.grads[k], { rtol: 1e-9, atol: 1e-12 }, `d loss / d ${k}`);
    });
  });

  it('the same gradients arrive through loss.backward() on requiresGrad leaves (float32 within float32 precision)', () => {
    const leaves = CNN_KEYS.map((k) =>
      tg.tensor(Float32Array.from(p[k]), CNN_SHAPES[k], { requiresGrad: true }),
    );
    const loss = tail(
      head(tg.tensor(Float32Array.from(xData), [N, 32, 32, 3]), leaves[0], leaves[1]),
      ...(leaves.slice(2) as [tg.Tensor, tg.Tensor, tg.Tensor, tg.Tensor, tg.Tensor, tg.Tensor]),
      labels,
    );
    loss.backward();
    CNN_KEYS.forEach((k, i) => {
      const g = leaves[i].grad!;
      expect(g.dtype).toBe('float32');
      const scale = Math.max(...ref.grads[k].map(Math.abs));
      expectClose(g.data, ref.grads[k], { rtol: 1e-3, atol: 1e-4 * scale }, `float32 d loss / d ${k}`);
    });
  });

  describe('against finite differences (float64)', () => {
    const a1 = () => tg.noGrad(() => head(x, params[0], params[1]));
    const rest = params.slice(2);

    it('the (16,16,12) activation: the naive dA1, random directions, and 40 single entries', () => {
      const A = a1();
      expect(A.shape).toEqual([N, 16, 16, 12]);
      expectClose(A.data, ref.a1, { rtol: 1e-12, atol: 1e-12 }, 'a1 forward');
      const f = (a: tg.Tensor) => tail(a, rest[0], rest[1], rest[2], rest[3], rest[4], rest[5], labels);
      const g = tg.grad(f)(A);
      expectClose(g.data, ref.dA1, { rtol: 1e-9, atol: 1e-12 }, 'd loss / d a1 vs naive');
      const r = tg.gradcheck(f, [A], { mode: 'random', directions: 4, seed: 3 });
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
      const pick = prng(9);
      const eps = 1e-6;
      for (let q = 0; q < 40; q++) {
        // half the picks where the gradient is non-zero (a pool winner with live relu), half anywhere
        let j = Math.floor(pick() * A.size);
        if (q % 2 === 0) while (g.data[j] === 0) j = Math.floor(pick() * A.size);
        const at = (s: number) => {
          const d = Float64Array.from(A.data);
          d[j] += s;
          return tg.noGrad(() => f(t64(d, [...A.shape])).item());
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        expect(Math.abs(fd - g.data[j]), `entry ${j}: fd ${fd} vs ${g.data[j]}`).toBeLessThan(
          1e-7 + 1e-5 * Math.abs(fd),
        );
      }
    });

    it('all 8 filters (3,3,12) of the second conv, entry by entry', () => {
      const A = a1();
      const f = (w2: tg.Tensor) => tail(A, w2, rest[1], rest[2], rest[3], rest[4], rest[5], labels);
      const r = tg.gradcheck(f, [rest[0]], { mode: 'full', eps: 1e-6, atol: 1e-7, rtol: 1e-5 });
      expect(r.mode).toBe('full');
      expect(r.checks).toBe(3 * 3 * 12 * 8);
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    });
  });
});
