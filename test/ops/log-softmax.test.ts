// logSoftmax (and softmax, crossEntropy above it) runs the logSoftmaxFused row unless ops are traced; the traced
// composition x − logSumExp(x) gives the same values up to rounding, gradients and second derivatives included.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { kernels } from '../../src/backend/kernels.js';
import { expectClose, uniform } from '../support/check.js';
import { traced } from '../support/traced.js';

const rel = (dt: string) => (dt === 'float64' ? 1e-13 : 2e-6);

describe('logSoftmax as one row', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['float32', [6, 10], 1],
    ['float32', [4, 5, 3], 1],
    ['float64', [3, 7], -1],
    ['float32', [2, 3, 37], 2],
  ] as const)('%s %j axis %d: one kernel call, the composition’s values when traced', (dt, s, axis) => {
    const n = s.reduce((a, b) => a * b, 1);
    const x = tg.tensor(uniform(n, 5, -30, 30), [...s], { dtype: dt });
    const k = vi.spyOn(kernels(), 'logSoftmax');
    const fused = tg.logSoftmax(x, axis);
    expect(k).toHaveBeenCalledTimes(1);
    const [plain, ops] = traced(() => tg.logSoftmax(x, axis));
    expect(k).toHaveBeenCalledTimes(1);
    expect(ops).not.toContain('logSoftmaxFused');
    expect(ops).toEqual(expect.arrayContaining(['max', 'exp', 'sum', 'log', 'sub']));
    expectClose(fused.data, plain.data, { rtol: rel(dt), atol: rel(dt) }, 'fused vs composition');
    // rows sum to one after exp
    const p = tg.softmax(x, axis);
    expectClose(
      tg.sum(p, axis).data,
      new Float64Array(n / s.at(axis)!).fill(1),
      { rtol: rel(dt), atol: rel(dt) },
      'Σ softmax',
    );
  });

  it('crossEntropy: loss, gradient and a second derivative agree with the traced composition', () => {
    const logits = tg.tensor(uniform(8 * 5, 9, -3, 3), [8, 5], { dtype: 'float64' });
    const labels = tg.tensor(Int32Array.from([0, 4, 2, 1, 3, 3, 0, 2]), [8], { dtype: 'int32' });
    const ce = (x: tg.Tensor) => tg.crossEntropy(x, labels);
    const fused = tg.valueAndGrad(ce)(logits);
    const [plain, ops] = traced(() => tg.valueAndGrad(ce)(logits));
    expect(ops).not.toContain('logSoftmaxFused');
    expectClose(fused.value.data, plain.value.data, { rtol: 1e-14, atol: 1e-14 }, 'loss');
    expectClose(fused.grad.data, plain.grad.data, { rtol: 1e-14, atol: 1e-14 }, 'gradient');
    // d/dt of the gradient along a direction (grad of grad through the row's vjp): the composition's
    const dir = tg.tensor(uniform(40, 3, -1, 1), [8, 5], { dtype: 'float64' });
    const hv = (x: tg.Tensor) => tg.sum(tg.mul(tg.grad(ce)(x), dir));
    const second = tg.grad(hv)(logits);
    const [secondPlain] = traced(() => tg.grad(hv)(logits));
    expectClose(second.data, secondPlain.data, { rtol: 1e-12, atol: 1e-12 }, 'Hessian · dir');
    expect(Math.max(...Array.from(second.data, Math.abs))).toBeGreaterThan(1e-3); // not trivially zero
  });

  it('keeps the composition’s special values: rows with a NaN or a +∞ are NaN (PyTorch), −∞ rows are NaN', () => {
    const x = tg.tensor(
      [1, NaN, 2, 1, Infinity, -2, -Infinity, -Infinity, -Infinity, 0, -Infinity, 1],
      [4, 3],
    );
    for (const backend of ['wasm', 'js'])
      for (const dtype of ['float32', 'float64'] as const) {
        tg.setBackend(backend);
        try {
          const xd = tg.cast(x, dtype);
          const fused = Array.from(tg.logSoftmax(xd, 1).data);
          const [plain] = traced(() => Array.from(tg.logSoftmax(xd, 1).data));
          // the special rows exactly, the finite one up to rounding
          expect(fused.slice(0, 9)).toEqual(plain.slice(0, 9));
          expect(fused[10]).toBe(plain[10]);
          expectClose([fused[9], fused[11]], [plain[9], plain[11]], { rtol: 1e-6, atol: 1e-6 }, 'row 3');
          expect(fused.slice(0, 9)).toEqual(Array(9).fill(NaN));
          // a −∞ entry in a finite row is −∞ (its probability 0)
          expect(fused[10]).toBe(-Infinity);
          expect(Array.from(tg.softmax(xd, 1).data).slice(0, 9)).toEqual(Array(9).fill(NaN));
          expect(Array.from(tg.softmax(xd, 1).data)[10]).toBe(0);
        } finally {
          tg.setBackend('wasm');
        }
      }
  });
});
