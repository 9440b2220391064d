// customGrad: one tape node whose vjp is the user's gradFunc; count/shape guard rails; first-use gradcheck.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const arr = (t: tg.Tensor) => Array.from(t.data);

describe('customGrad', () => {
  afterEach(() => tg.checkCustomGrads(false));

  it('uses gradFunc as the gradient (TF.js example: value x², gradient dy·|x|)', () => {
    const f = tg.customGrad((x) => ({ value: tg.square(x), gradFunc: (dy) => [tg.mul(dy, tg.abs(x))] }));
    const x = tg.tensor([-2, -1, 0.5, 3]);
    expect(arr(f(x))).toEqual([4, 1, 0.25, 9]);
    const g = tg.grad((a) => tg.sum(f(a)))(x);
    expect(arr(g)).toEqual([2, 1, 0.5, 3]); // |x|, not 2x: the custom rule wins
  });

  it('is one tape node over the inputs; the forward ops are not on the tape', () => {
    const f = tg.customGrad(function clipGrad(x) {
      return { value: tg.exp(tg.mul(x, 2)), gradFunc: (dy) => tg.clipByValue(dy, -1, 1) };
    });
    const x = tg.tensor([1, 2], undefined, { requiresGrad: true });
    const y = f(x);
    expect(y.node!.op).toBe('customGrad(clipGrad)');
    expect(y.node!.inputs).toEqual([x]);
    tg.mul(y, tg.tensor([5, 0.5]))
      .sum()
      .backward();
    expect(arr(x.grad!)).toEqual([1, 0.5]);
    const t = tg.trace((a) => f(a), x);
    expect(t.rows.map((r) => r.op)).toEqual(['binaryScalar', 'exp', 'customGrad(clipGrad)']);
  });

  it('two inputs, a null gradient for the second', () => {
    const f = tg.customGrad((a, b) => ({ value: tg.add(a, b), gradFunc: (dy) => [tg.mul(dy, 3), null] }));
    const a = tg.tensor([1, 2], undefined, { requiresGrad: true });
    const b = tg.tensor([3, 4], undefined, { requiresGrad: true });
    f(a, b).sum().backward();
    expect(arr(a.grad!)).toEqual([3, 3]);
    expect(b.grad).toBeNull();
  });

  it('straight-through estimator: round forward, identity backward', () => {
    const ste = tg.customGrad((x) => ({ value: tg.floor(tg.add(x, 0.5)), gradFunc: (dy) => dy }));
    const x = tg.tensor([0.2, 0.7, 1.4]);
    const { value, grad } = tg.valueAndGrad((a) => tg.sum(tg.mul(ste(a), tg.tensor([1, 2, 3]))))(x);
    expect(value.item()).toBe(0 + 2 + 3);
    expect(arr(grad)).toEqual([1, 2, 3]);
  });

  it('errors name the function, the counts and the shapes', () => {
    const x = tg.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = tg.tensor([1, 2], undefined, { requiresGrad: true });
    const two = tg.customGrad(function pair(a, b) {
      return { value: tg.mul(tg.sum(a), tg.sum(b)), gradFunc: (dy) => [tg.mul(tg.onesLike(a), dy)] };
    });
    expect(() => two(x, y).backward()).toThrow(
      /customGrad\(pair\): gradFunc returned 1 gradient for 2 inputs/,
    );
    const bad = tg.customGrad(function shape(a) {
      return { value: tg.sum(a), gradFunc: (dy) => [tg.reshape(tg.mul(dy, tg.ones([1])), [1])] };
    });
    expect(() => bad(x).backward()).toThrow(
      /customGrad\(shape\): gradFunc's gradient 0 has shape \[1\] but input 0 has shape \[3\]/,
    );
    expect(() => tg.customGrad((() => ({ value: 3 })) as never)(x)).toThrow(
      /must return \{ value: Tensor, gradFunc \}/,
    );
    expect(() => tg.customGrad((a) => ({ value: a }) as never)(x)).toThrow(/gradFunc function/);
    const notArr = tg.customGrad((a) => ({ value: a, gradFunc: () => 5 as never }));
    expect(() => notArr(x).sum().backward()).toThrow(/must return a Tensor or an array/);
  });

  it('check mode: a wrong gradient throws on first use, naming the entry; a right one passes', () => {
    const wrong = tg.customGrad((x) => ({ value: tg.mul(x, x), gradFunc: (dy) => [dy] }), {
      check: true,
      name: 'sq',
    });
    expect(() => wrong(tg.tensor([0.5, 2]))).toThrow(
      /customGrad\(sq\): gradFunc disagrees with finite differences at input 0 \[2\]/,
    );
    let calls = 0;
    const right = tg.customGrad(
      (x) => {
        calls++;
        return { value: tg.mul(x, x), gradFunc: (dy) => [tg.mul(dy, tg.mul(x, 2))] };
      },
      { check: true },
    );
    right(tg.tensor([0.5, 2]));
    const afterFirst = calls;
    expect(afterFirst).toBeGreaterThan(2); // the check evaluated f several times
    right(tg.tensor([1, 1]));
    expect(calls).toBe(afterFirst + 1); // checked once only
  });

  it('the global flag turns the check on for every customGrad', () => {
    tg.checkCustomGrads(true);
    const wrong = tg.customGrad((x) => ({ value: tg.sin(x), gradFunc: (dy) => [tg.mul(dy, tg.sin(x))] }));
    expect(() => wrong(tg.tensor([0.3]))).toThrow(/disagrees with finite differences/);
  });

  it('a gradFunc written with tapegrad ops can be differentiated again (createGraph)', () => {
    const cube = tg.customGrad((x) => ({
      value: tg.mul(tg.mul(x, x), x),
      gradFunc: (dy) => [tg.mul(dy, tg.mul(tg.mul(x, x), 3))],
    }));
    const x = tg.tensor([2], undefined, { dtype: 'float64' });
    const d2 = tg.grad((a) => tg.sum(tg.grad((b) => tg.sum(cube(b)))(a)))(x);
    // gradFunc closes over the traced input, so the second derivative flows through it: d/dx 3x² = 6x = 12
    expect(d2.item()).toBeCloseTo(12, 10);
  });
});
