// TF.js's prod, all, any, argMax/argMin, cumsum, cumprod, norm, euclideanNorm, dot and outerProduct against
// tfjs-core 4.22 on its cpu backend: values over shapes, axes and keepDims, gradients against tf.grad where TF.js
// defines one (prod, cumsum, norm, dot, outerProduct; none for cumprod), and tg.gradcheck in float64.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { useCpu } from '../support/tfjs-layers.js';
import { type TfT, expectClose, gradcheck64, tf, tfBool, twin, uniform } from './tfjs-math-lib.js';

beforeAll(useCpu);

const AXES: [number[], number | number[] | null][] = [
  [[6], null],
  [[6], 0],
  [[3, 4], null],
  [[3, 4], 1],
  [[3, 4], -2],
  [
    [2, 3, 4],
    [0, 2],
  ],
  [
    [2, 3, 4],
    [-1, 1],
  ],
  [[2, 3, 4], []],
  [[2, 0, 3], 1],
];

describe('prod', () => {
  it.each(AXES)(
    'matches TF.js over %j, axis %j, with and without keepDims (float32, int32)',
    (shape, axis) => {
      const [x, tx] = twin(uniform(shape, 3, 0.5, 1.8), shape);
      for (const keep of [false, true])
        expectClose(tg.prod(x, axis, keep), tf.prod(tx, axis ?? undefined, keep), 1e-6, 1e-7);
      const iv = uniform(shape, 4, -3, 3).map(Math.round);
      const [i, ti] = twin(iv, shape, 'int32');
      expect(tg.prod(i, axis).dtype).toBe('int32');
      expectClose(tg.prod(i, axis), tf.prod(ti, axis ?? undefined), 0, 0);
    },
  );
  it('has TF.js gradients, zeros included, and passes gradcheck in float64', () => {
    const v = [...uniform([3, 4], 5, -2, 2)];
    v[1] = 0; // one zero in row 0
    v[8] = v[9] = 0; // two zeros in row 2
    const [x, tx] = twin(v, [3, 4]);
    for (const axis of [null, 1, 0]) {
      const got = tg.grad((t) => tg.sum(tg.prod(t, axis)))(x);
      expectClose(got, tf.grad((t: TfT) => tf.prod(t, axis ?? undefined))(tx), 1e-5, 1e-6);
      gradcheck64((t) => tg.prod(t, axis), [x]);
    }
  });
  it('refuses a bad axis or keepDims by name', () => {
    expect(() => tg.prod(tg.ones([2, 2]), 2)).toThrow(/prod: axis 2 is out of range/);
    expect(() => tg.prod(tg.ones([2, 2]), 0, { keepDims: true } as unknown as boolean)).toThrow(
      /prod: keepDims/,
    );
  });
});

describe('all, any, argMax, argMin', () => {
  it.each(AXES)('all/any match TF.js on its bools over %j, axis %j', (shape, axis) => {
    const v = uniform(shape, 6).map((t) => (t > 0.3 ? 0 : t));
    const [x, tx] = twin(v, shape);
    const b = tf.cast(tx, 'bool');
    for (const keep of [false, true]) {
      const a = tg.all(x, axis, keep);
      expect(a.dtype).toBe('float32');
      expect(a.shape).toEqual(tf.all(b, axis ?? undefined, keep).shape);
      // NOTE: TF.js's all over an empty axis is false (its loop starts from the missing first value); true is the
      // empty conjunction (NumPy, TF)
      if (shape.includes(0)) expectClose(a, new Array<number>(a.size).fill(1), 0, 0);
      else expectClose(a, tfBool(tf.all(b, axis ?? undefined, keep)), 0, 0);
      expectClose(tg.any(x, axis, keep), tfBool(tf.any(b, axis ?? undefined, keep)), 0, 0);
    }
  });
  it('argMax/argMin default to axis 0 as TF.js and take an axis', () => {
    const [x, tx] = twin(uniform([4, 5], 7), [4, 5]);
    expectClose(tg.argMax(x), tf.argMax(tx), 0, 0);
    expectClose(tg.argMin(x), tf.argMin(tx), 0, 0);
    expectClose(tg.argMax(x, 1), tf.argMax(tx, 1), 0, 0);
    expectClose(tg.argMin(x, -1), tf.argMin(tx, -1), 0, 0);
  });
});

describe('cumsum and cumprod', () => {
  const cases: [number[], number][] = [
    [[7], 0],
    [[3, 5], 1],
    [[3, 5], 0],
    [[2, 9, 2], 1],
    [[1], 0],
  ];
  it.each(cases)(
    'match TF.js over %j along axis %i, every exclusive/reverse (float32, int32)',
    (shape, axis) => {
      const [x, tx] = twin(uniform(shape, 8, 0.5, 1.5), shape);
      const [i, ti] = twin(
        uniform(shape, 9, -4, 4).map((v) => Math.round(v)),
        shape,
        'int32',
      );
      for (const exclusive of [false, true])
        for (const reverse of [false, true]) {
          expectClose(
            tg.cumsum(x, axis, exclusive, reverse),
            tf.cumsum(tx, axis, exclusive, reverse),
            1e-6,
            1e-6,
          );
          expectClose(
            tg.cumprod(x, axis, exclusive, reverse),
            tf.cumprod(tx, axis, exclusive, reverse),
            1e-6,
            1e-7,
          );
          expect(tg.cumsum(i, axis, exclusive, reverse).dtype).toBe('int32');
          expectClose(tg.cumsum(i, axis, exclusive, reverse), tf.cumsum(ti, axis, exclusive, reverse), 0, 0);
          expectClose(
            tg.cumprod(i, axis, exclusive, reverse),
            tf.cumprod(ti, axis, exclusive, reverse),
            0,
            0,
          );
        }
    },
  );
  it('default to axis 0 and take negative axes (TF.js mishandles those: checked against axis rank − 1)', () => {
    const [x, tx] = twin(uniform([3, 4], 10), [3, 4]);
    expectClose(tg.cumsum(x), tf.cumsum(tx), 1e-6, 1e-6);
    expectClose(tg.cumsum(x, -1), tf.cumsum(tx, 1), 1e-6, 1e-6);
    expectClose(tg.cumprod(x, -1, true), tf.cumprod(tx, 1, true), 1e-6, 1e-6);
  });
  it('cumsum has TF.js gradients; both pass gradcheck in float64 (cumprod with a zero too)', () => {
    const [x, tx] = twin(uniform([3, 5], 12, -2, 2), [3, 5]);
    const [w, tw] = twin(uniform([3, 5], 20, -2, 2), [3, 5]);
    for (const exclusive of [false, true])
      for (const reverse of [false, true]) {
        const got = tg.grad((t) => tg.sum(tg.mul(tg.cumsum(t, 1, exclusive, reverse), w)))(x);
        const want = tf.grad((t: TfT) => tf.mul(tf.cumsum(t, 1, exclusive, reverse), tw))(tx);
        expectClose(got, want, 1e-5, 1e-6);
        gradcheck64((t) => tg.cumsum(t, 1, exclusive, reverse), [x]);
        gradcheck64((t) => tg.cumprod(t, 1, exclusive, reverse), [x]);
      }
    gradcheck64((t) => tg.cumprod(t, 0), [tg.tensor([1.5, 0, -2, 0.5, 3], [5])]);
  });
  it('refuse a bad axis, a scalar and non-boolean flags by name', () => {
    expect(() => tg.cumsum(tg.ones([2, 2]), 2)).toThrow(/cumsum: axis 2 is out of range/);
    expect(() => tg.cumprod(tg.ones([]))).toThrow(/cumprod: x must have rank/);
    expect(() => tg.cumsum(tg.ones([2]), 0, 1 as unknown as boolean)).toThrow(
      /cumsum: exclusive and reverse/,
    );
  });
});

describe('norm and euclideanNorm', () => {
  const vec: [number[], number | number[] | null][] = [
    [[6], null],
    [[6], 0],
    [[3, 4], null],
    [[3, 4], 1],
    [[2, 3, 4], -1],
    [[2, 3, 4], [0]],
  ];
  const mat: [number[], number[]][] = [
    [
      [3, 4],
      [0, 1],
    ],
    [
      [2, 3, 4],
      [0, 2],
    ],
    [
      [2, 3, 4],
      [1, 2],
    ],
  ];
  it('vector norms (1, 2, ±Infinity, euclidean) match TF.js over axes and keepDims', () => {
    for (const [shape, axis] of vec) {
      const [x, tx] = twin(uniform(shape, 13, -3, 3), shape);
      for (const ord of [1, 2, Infinity, -Infinity, 'euclidean'] as const)
        for (const keep of [false, true])
          expectClose(tg.norm(x, ord, axis, keep), tf.norm(tx, ord, axis ?? undefined, keep), 1e-6, 1e-6);
      expectClose(tg.euclideanNorm(x, axis, true), tf.euclideanNorm(tx, axis ?? undefined, true), 1e-6, 1e-6);
    }
    expectClose(tg.norm(tg.tensor(-3)), [3], 0, 0);
  });
  it('matrix norms (1, ±Infinity, fro, euclidean) match TF.js; reversed and negative axes equal the sorted ones', () => {
    for (const [shape, axes] of mat) {
      const [x, tx] = twin(uniform(shape, 14, -3, 3), shape);
      for (const ord of [1, Infinity, -Infinity, 'fro', 'euclidean'] as const)
        for (const keep of [false, true]) {
          const want = tf.norm(tx, ord, axes, keep);
          expectClose(tg.norm(x, ord, axes, keep), want, 1e-6, 1e-6);
          // NOTE: TF.js assumes sorted non-negative axes; the same matrix norm with them negative
          const neg = axes.map((a) => a - shape.length);
          expectClose(tg.norm(x, ord, neg, keep), want, 1e-6, 1e-6);
        }
      // rows and columns swapped: the 1-norm of the transpose is the Infinity-norm
      expectClose(tg.norm(x, 1, [axes[1], axes[0]]), tf.norm(tx, Infinity, axes), 1e-6, 1e-6);
    }
  });
  it('have TF.js gradients and pass gradcheck in float64', () => {
    const [x, tx] = twin(uniform([3, 4], 15, -3, 3), [3, 4]);
    const cases: [number | 'euclidean' | 'fro', number | number[] | null][] = [
      ['euclidean', null],
      [2, 1],
      [1, 0],
      [Infinity, null],
      [-Infinity, 1],
      [1, [0, 1]],
      [Infinity, [0, 1]],
      ['fro', [0, 1]],
    ];
    for (const [ord, axis] of cases) {
      const got = tg.grad((t) => tg.sum(tg.norm(t, ord, axis)))(x);
      expectClose(got, tf.grad((t: TfT) => tf.norm(t, ord, axis ?? undefined))(tx), 1e-5, 1e-6);
      gradcheck64((t) => tg.norm(t, ord, axis), [x]);
    }
  });
  it('refuse what TF.js refuses, by name', () => {
    const x = tg.ones([2, 3, 4]);
    expect(() => tg.norm(x, 3)).toThrow(/norm: ord 3 is not supported for a vector norm/);
    expect(() => tg.norm(x, 'fro', 1)).toThrow(/norm: ord 'fro' is not supported for a vector norm/);
    expect(() => tg.norm(x, 2, [0, 1])).toThrow(/norm: ord 2 is not supported for a matrix norm/);
    expect(() => tg.norm(x, 1, [0, 1, 2])).toThrow(/norm: axis must be one axis or two/);
    expect(() => tg.norm(x, 1, [1, -2])).toThrow(/norm: the two axes/);
    expect(() => tg.norm(x, 1, 3)).toThrow(/norm: axis 3 is out of range/);
  });
});

describe('dot and outerProduct', () => {
  const shapes: [number[], number[]][] = [
    [[4], [4]],
    [[4], [4, 3]],
    [[2, 4], [4]],
    [
      [2, 4],
      [4, 3],
    ],
  ];
  it.each(shapes)('dot %j · %j matches TF.js, gradients too, and passes gradcheck', (sa, sb) => {
    const [a, ta] = twin(uniform(sa, 16), sa);
    const [b, tb] = twin(uniform(sb, 17), sb);
    expectClose(tg.dot(a, b), tf.dot(ta, tb), 1e-6, 1e-6);
    const [ga, gb] = tg.grads((p, q) => tg.sum(tg.dot(p, q)))([a, b]);
    const [ha, hb] = tf.grads((p: TfT, q: TfT) => tf.dot(p, q))([ta, tb]);
    expectClose(ga, ha, 1e-5, 1e-6);
    expectClose(gb, hb, 1e-5, 1e-6);
    gradcheck64((p, q) => tg.dot(p, q), [a, b]);
  });
  it('dot refuses other ranks and mismatched inner dimensions by name', () => {
    expect(() => tg.dot(tg.ones([2, 2, 2]), tg.ones([2, 2]))).toThrow(/dot: inputs must be rank 1 or 2/);
    expect(() => tg.dot(tg.ones([3]), tg.ones([2]))).toThrow(/dot: inner dimensions must match.*3 vs 2/);
  });
  it('outerProduct matches TF.js with gradients and refuses non-vectors', () => {
    const [a, ta] = twin(uniform([3], 18), [3]);
    const [b, tb] = twin(uniform([5], 19), [5]);
    expectClose(tg.outerProduct(a, b), tf.outerProduct(ta as tf.Tensor1D, tb as tf.Tensor1D), 1e-7, 1e-8);
    const [ga, gb] = tg.grads((p, q) => tg.sum(tg.outerProduct(p, q)))([a, b]);
    const [ha, hb] = tf.grads((p: TfT, q: TfT) => tf.outerProduct(p as tf.Tensor1D, q as tf.Tensor1D))([
      ta,
      tb,
    ]);
    expectClose(ga, ha, 1e-6, 1e-7);
    expectClose(gb, hb, 1e-6, 1e-7);
    gradcheck64((p, q) => tg.outerProduct(p, q), [a, b]);
    expect(() => tg.outerProduct(tg.ones([2, 1]), b)).toThrow(/outerProduct: v1 and v2 must be rank 1/);
  });
});
