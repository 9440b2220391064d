// Regressions for ops that gave NaN or a wrong shape silently: celu's gradient past exp's overflow, pow's gradient
// with exponent 0, slice with non-integer bounds, transpose with a short perm, sumTo to a shape that does not
// broadcast, reshape with two -1, reductions given an options object, and errors that named another op.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsTyped } from '../support/throws.js';

const t64 = (d: number[]) => tg.tensor(Float64Array.from(d), [d.length]);
const arr = (t: tg.Tensor) => Array.from(t.data);

describe('celu', () => {
  it('has gradient 1 for large positive x (exp(x/α) overflows past x ≈ 88.7·α), as PyTorch', () => {
    const x = tg.tensor([5, 8, 9, 50, 1e4], undefined, { requiresGrad: true });
    tg.sum(tg.celu(x, 0.1)).backward();
    expect(arr(x.grad!)).toEqual([1, 1, 1, 1, 1]);
    const { vjp } = tg.vjp((y) => tg.celu(y), tg.tensor([50, 88, 89, 100, 1e30]));
    expect(arr(vjp(tg.ones([5]))[0])).toEqual([1, 1, 1, 1, 1]);
  });

  it('keeps the forward bits of max(0, x) + min(0, α(exp(x/α) − 1)) and its gradient below 0', () => {
    const xs = Array.from({ length: 81 }, (_, i) => (i - 60) / 7);
    for (const alpha of [1, 0.1, 2.5]) {
      const x = tg.tensor(xs);
      const old = tg.add(tg.relu(x), tg.minimum(tg.mul(tg.sub(tg.exp(tg.div(x, alpha)), 1), alpha), 0));
      expect(arr(tg.celu(x, alpha))).toEqual(arr(old));
      const g = arr(
        tg.grad((y) => tg.sum(tg.celu(y, alpha)))(tg.tensor(xs, undefined, { dtype: 'float64' })),
      );
      xs.forEach((v, i) => expect(g[i]).toBeCloseTo(v > 0 ? 1 : Math.exp(v / alpha), 12));
    }
    const r = tg.gradcheck((y) => tg.celu(y, 0.7), [t64([-3, -0.4, 0.3, 2, 200])]);
    expect(r.ok).toBe(true);
  });
});

describe('pow with exponent 0', () => {
  it('d(x⁰)/dx is 0 everywhere, 0 included (PyTorch and JAX mask it), not 0·Inf = NaN', () => {
    const { vjp } = tg.vjp((y) => tg.pow(y, 0), t64([0, 2, -3]));
    expect(arr(vjp(tg.onesLike(t64([0, 0, 0])))[0])).toEqual([0, 0, 0]);
    const [ga, gb] = tg.grads((a, b) => tg.sum(tg.pow(a, b)))(t64([0, 0, 0, 2]), t64([0, 1, 2, 0]));
    expect(arr(ga)).toEqual([0, 1, 0, 0]);
    expect(arr(gb)).toEqual([0, 0, 0, Math.log(2)]);
  });

  it('gradchecks with exponent 0 (base 0 included) and its second and third derivatives stay finite', () => {
    expect(tg.gradcheck((a) => tg.pow(a, 0), [t64([0, 1.3, -2])]).ok).toBe(true);
    expect(tg.gradcheck((a, b) => tg.pow(a, b), [t64([0.7, 1.3, 2]), t64([0, 0, 0])]).ok).toBe(true);
    const x = t64([0, 0, 0, 2, 2, 2, 0.5]);
    const b = t64([0, 1, 2, 0, 1, 2, 3]);
    const g1 = (a: tg.Tensor) => tg.sum(tg.grad((y) => tg.sum(tg.pow(y, b)))(a));
    // d²(xᵇ)/dx² = b(b−1)x^(b−2)
    expect(arr(tg.grad(g1)(x))).toEqual([0, 0, 2, 0, 0, 2, 3]);
    expect(arr(tg.grad((a) => tg.sum(tg.grad(g1)(a)))(x))).toEqual([0, 0, 0, 0, 0, 0, 6]);
    for (const h of tg.hessian((a, e) => tg.sum(tg.pow(a, e)), [x, b]).flat())
      expect(arr(h).every(Number.isFinite)).toBe(true);
    expect(tg.gradcheck((a) => tg.sum(tg.grad((y) => tg.sum(tg.pow(y, 3)))(a)), [t64([0.5, 2])]).ok).toBe(
      true,
    );
  });
});

describe('movement ops refuse what they used to read as NaN or as the identity', () => {
  const a = tg.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('slice with non-integer begin or size is a ValueError (it gave NaN)', () => {
    throwsTyped(() => tg.slice(a, [0.5, 0], [1, 3]), tg.ValueError, /slice: .*must be integers/);
    throwsTyped(() => tg.slice(a, [0, 1], [2, 1.5]), tg.ValueError, /slice: .*must be integers/);
    throwsTyped(() => tg.slice(a, 0 as any, [1, 1]), tg.ValueError, /slice: begin and size must be arrays/);
    expect(arr(tg.slice(a, [1, 1], [1, -1]))).toEqual([5, 6]);
  });

  it('transpose with a perm shorter than the rank throws (it returned x)', () => {
    const x = tg.reshape(tg.arange(24), [2, 3, 4]);
    for (const perm of [[0, 1], [0], []])
      throwsTyped(
        () => tg.transpose(x, perm),
        tg.ValueError,
        /transpose: perm .* is not a permutation of the 3 axes/,
      );
    expect(tg.transpose(x, [0, 1, 2])).toBe(x);
    expect(tg.transpose(x, [2, 0, 1]).shape).toEqual([4, 2, 3]);
    throwsTyped(
      () => tg.transpose([[1, 2]] as any),
      tg.ValueError,
      /transpose: x is an array, expected a Tensor/,
    );
  });

  it('sumTo a shape that does not broadcast is a ShapeError (it returned [3] for [4])', () => {
    throwsTyped(
      () => tg.sumTo(tg.ones([2, 3]), [4]),
      tg.ShapeError,
      /sumTo: cannot sum \[2,3\] down to \[4\]/,
    );
    throwsTyped(() => tg.sumTo(tg.ones([3]), [2, 3]), tg.ShapeError, /sumTo/);
    expect(arr(tg.sumTo(tg.ones([2, 3]), [1, 3]))).toEqual([2, 2, 2]);
    expect(arr(tg.sumTo(tg.ones([2, 3]), [3]))).toEqual([2, 2, 2]);
  });

  it('reshape with two -1 says only one may be -1', () => {
    throwsTyped(
      () => tg.reshape(a, [-1, -1]),
      tg.ShapeError,
      /^reshape: only one dimension may be -1, got \[-1,-1\]$/,
    );
  });

  it('concat and stack name themselves and want a list of tensors', () => {
    throwsTyped(
      () => tg.concat(a as any),
      tg.ValueError,
      /^concat: expected a list of Tensors, got a Tensor/,
    );
    throwsTyped(
      () => tg.concat([a, [1, 2]] as any),
      tg.ValueError,
      /^concat: item 1 is an array, expected a Tensor/,
    );
    throwsTyped(
      () =>
        tg.stack([
          [1, 2],
          [3, 4],
        ] as any),
      tg.ValueError,
      /^stack: item 0 is an array, expected a Tensor/,
    );
    throwsTyped(
      () => tg.stack([tg.ones([2]), tg.ones([3])]),
      tg.ShapeError,
      /^stack: shapes \[2\], \[3\] differ/,
    );
    throwsTyped(
      () => tg.stack([tg.ones([2]), tg.ones([2], { dtype: 'int32' })]),
      tg.DTypeError,
      /^stack: operand dtypes float32, int32 differ/,
    );
    throwsTyped(() => tg.stack([tg.ones([2])], 3), tg.ValueError, /^stack: axis 3 is out of range/);
    expect(tg.stack([tg.ones([2]), tg.zeros([2])], 1).shape).toEqual([2, 2]);
  });
});

describe('reductions', () => {
  const x = tg.ones([2, 3]);
  it('an options object where axes are expected throws, naming the op and the argument order (it returned x)', () => {
    for (const op of ['sum', 'mean', 'max'] as const)
      throwsTyped(
        () => tg[op](x, { axis: 1 } as any),
        tg.ValueError,
        new RegExp(
          `^${op}: axes must be a number.*got an object \\{"axis":1\\}; the axes are the 2nd argument`,
        ),
      );
    throwsTyped(
      () => tg.sum(x, 1, { keepDims: true } as any),
      tg.ValueError,
      /^sum: keepDims \(the 3rd argument\)/,
    );
  });

  it('null axes mean every axis, as TF.js', () => {
    expect(tg.sum(x, null as any).item()).toBe(6);
    expect(tg.mean(x, null as any, true).shape).toEqual([1, 1]);
    expect(tg.max(x, null as any).item()).toBe(1);
  });
});

describe('errors name the op the user called', () => {
  it('softmax names softmax, not logSoftmax', () => {
    throwsTyped(() => tg.softmax(tg.ones([2]), 3), tg.ValueError, /^softmax: axis 3 is out of range/);
    throwsTyped(() => tg.softmax([1, 2] as any), tg.ValueError, /^softmax: x is an array, expected a Tensor/);
  });
});
