// add of x [..., C] and a bias [C] runs the biasAdd row unless ops are traced: the same bits as the traced
// composition broadcastTo → add, gradients included, with the bias on either side.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { kernels } from '../../src/backend/kernels.js';
import { uniform } from '../support/check.js';
import { traced } from '../support/traced.js';

const bits = (t: tg.Tensor) => Array.from(t.data);

describe('add with a bias along the last axis', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['float32', [32, 10]],
    ['float32', [2, 3, 4, 7]],
    ['float64', [5, 3]],
  ] as const)('%s %j: one biasAdd call, the traced composition’s bits, forward and backward', (dt, s) => {
    const n = s.reduce((a, b) => a * b, 1);
    const c = s[s.length - 1];
    const x = tg.tensor(uniform(n, 3, -2, 2), [...s], { dtype: dt });
    const b = tg.tensor(uniform(c, 4, -2, 2), [c], { dtype: dt });
    const k = vi.spyOn(kernels(), 'biasAdd');
    const f = (xx: tg.Tensor, bb: tg.Tensor) => tg.sum(tg.mul(tg.add(xx, bb), tg.add(bb, xx)));
    const fused = tg.valueAndGrads(f)(x, b);
    expect(k).toHaveBeenCalledTimes(2); // x + b and b + x
    const [plain, ops] = traced(() => tg.valueAndGrads(f)(x, b));
    expect(k).toHaveBeenCalledTimes(2);
    expect(ops).not.toContain('biasAdd');
    expect(ops).toContain('broadcastTo');
    expect(bits(fused.value)).toEqual(bits(plain.value));
    expect(bits(fused.grads[0])).toEqual(bits(plain.grads[0]));
    expect(bits(fused.grads[1])).toEqual(bits(plain.grads[1]));
  });

  it('leaves other shapes and dtypes to broadcastTo → add', () => {
    const k = vi.spyOn(kernels(), 'biasAdd');
    tg.add(tg.ones([3, 4]), tg.ones([1, 4])); // a rank-2 bias
    // not the last axis: the broadcast error, as before
    expect(() => tg.add(tg.ones([3, 4]), tg.ones([3]))).toThrow(/cannot be broadcast/);
    tg.add(tg.ones([3, 4], { dtype: 'int32' }), tg.ones([4], { dtype: 'int32' }));
    tg.add(tg.ones([4]), tg.ones([4]));
    expect(k).not.toHaveBeenCalled();
  });
});
