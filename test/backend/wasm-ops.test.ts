// The whole op layer on 'wasm' against 'js': a small conv net's loss and every parameter gradient, and a
// recurrent cell, agree within float32 tolerance; float64 and int32 work keeps exact reference results.
import { afterEach, describe, expect, it } from 'vitest';
import { valueAndGrads } from '../../src/core/autodiff.js';
import { Tensor } from '../../src/core/tensor.js';
import { getBackend, listBackends, setBackend } from '../../src/backend/kernels.js';
import {
  add,
  avgPool2d,
  conv2d,
  crossEntropy,
  matmul,
  maxPool2d,
  mean,
  mseLoss,
  mul,
  relu,
  reshape,
  sigmoid,
  slice,
  sum,
  tanh,
} from '../../src/ops/index.js';
import { expectSame, randF32, wasm } from '../support/backend.js';

wasm(); // fail early when the module is missing

const t = (shape: number[], seed: number, scale = 1, dtype: 'float32' | 'float64' = 'float32'): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = randF32(n, seed).map((x) => x * scale);
  return new Tensor(dtype === 'float32' ? v : Float64Array.from(v), shape);
};

/** Run f's value and gradients on a backend. */
function onBackend(
  name: string,
  f: (...ps: Tensor[]) => Tensor,
  params: Tensor[],
): { value: number; grads: Float32Array[] } {
  setBackend(name);
  const { value, grads } = valueAndGrads(f)(...params);
  return { value: value.item(), grads: grads.map((g) => Float32Array.from(g.data)) };
}

/** Every entry within rtol of the largest magnitude of the reference gradient. */
function expectNear(a: Float32Array, b: Float32Array, rtol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  expect(scale, `${what}: a zero gradient tests nothing`).toBeGreaterThan(0);
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= rtol * scale))
      expect.fail(`${what}[${i}]: wasm ${a[i]} vs js ${b[i]} (scale ${scale})`);
}

describe("op layer on 'wasm' vs 'js'", () => {
  afterEach(() => setBackend('wasm'));

  it('the wasm backend is registered and is the default', () => {
    expect(listBackends()).toContain('wasm');
    expect(listBackends()).toContain('js');
    expect(getBackend()).toBe('wasm');
  });

  it('a small conv net: loss and all 8 parameter gradients agree', () => {
    const x = t([3, 11, 9, 5], 1);
    const labels = new Tensor(Int32Array.from([2, 0, 1]), [3]);
    const params = [
      t([3, 3, 5, 7], 2, 0.3),
      t([7], 3, 0.1),
      t([3, 3, 7, 6], 4, 0.3),
      t([6], 5, 0.1),
      t([3 * 2 * 6, 13], 6, 0.2),
      t([13], 7, 0.1),
      t([13, 3], 8, 0.3),
      t([3], 9, 0.1),
    ];
    const net = (
      w1: Tensor,
      b1: Tensor,
      w2: Tensor,
      b2: Tensor,
      w3: Tensor,
      b3: Tensor,
      w4: Tensor,
      b4: Tensor,
    ): Tensor => {
      let h = maxPool2d(relu(conv2d(x, w1, b1, { padding: 'same' })), { kernelSize: 2 }); // [3,5,4,7]
      h = tanh(conv2d(h, w2, b2, { stride: 2, padding: 'same' })); // [3,3,2,6]
      h = avgPool2d(h, { kernelSize: [1, 1] });
      const d = sigmoid(add(matmul(reshape(h, [3, 36]), w3), b3));
      return add(crossEntropy(add(matmul(d, w4), b4), labels), mul(mean(mul(w1, w1)), 1e-3));
    };
    const js = onBackend('js', net, params);
    const wa = onBackend('wasm', net, params);
    expect(Math.abs(wa.value - js.value)).toBeLessThanOrEqual(1e-5 * Math.abs(js.value));
    js.grads.forEach((g, i) => expectNear(wa.grads[i], g, 2e-5, `grad ${i}`));
  });

  it('a recurrent cell unrolled over 4 steps agrees (slices, sigmoid, relu, batched products)', () => {
    const xs = t([5, 4, 3], 11);
    const y = t([5, 6], 12);
    const params = [t([3, 24], 13, 0.4), t([6, 24], 14, 0.4), t([24], 15, 0.1)];
    const cell = (W: Tensor, U: Tensor, b: Tensor): Tensor => {
      let h = new Tensor(new Float32Array(30), [5, 6]);
      let c = h;
      for (let s = 0; s < 4; s++) {
        const z = add(add(matmul(reshape(slice(xs, [0, s, 0], [5, 1, 3]), [5, 3]), W), matmul(h, U)), b);
        const g = (k: number): Tensor => slice(z, [0, 6 * k], [5, 6]);
        c = add(mul(sigmoid(g(1)), c), mul(sigmoid(g(0)), relu(g(2))));
        h = mul(sigmoid(g(3)), relu(c));
      }
      return mseLoss(h, y);
    };
    const js = onBackend('js', cell, params);
    const wa = onBackend('wasm', cell, params);
    expect(Math.abs(wa.value - js.value)).toBeLessThanOrEqual(1e-5 * Math.abs(js.value));
    js.grads.forEach((g, i) => expectNear(wa.grads[i], g, 2e-5, `grad ${i}`));
  });

  it('float64 networks fall back to the reference and give identical results', () => {
    const x = t([2, 5, 5, 2], 21, 1, 'float64');
    const params = [t([3, 3, 2, 3], 22, 0.5, 'float64'), t([3], 23, 0.1, 'float64')];
    const f = (w: Tensor, b: Tensor): Tensor => sum(relu(conv2d(x, w, b, { padding: 'valid' })));
    setBackend('js');
    const js = valueAndGrads(f)(...params);
    setBackend('wasm');
    const wa = valueAndGrads(f)(...params);
    expect(wa.value.dtype).toBe('float64');
    expect(wa.value.item()).toBe(js.value.item());
    wa.grads.forEach((g, i) => expectSame(g.data, js.grads[i].data, `float64 grad ${i}`));
  });
});
