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

  it('keeps the composition’s special values: a NaN row is NaN, +∞ gives x − ∞, −∞ rows are NaN', () => {
    const x = tg.tensor([1, NaN, 2, 1, Infinity, -2, -Infinity, -Infinity, -Infinity], [3, 3]);
    const fused = Array.from(tg.logSoftmax(x, 1).data);
    const [plain] = traced(() => Array.from(tg.logSoftmax(x, 1).data));
    expect(fused).toEqual(plain);
    expect(fused).toEqual([NaN, NaN, NaN, -Infinity, NaN, -Infinity, NaN, NaN, NaN]);
  });
});
