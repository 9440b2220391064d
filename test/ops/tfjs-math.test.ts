// TF.js's elementwise math ops (tan … atanh, atan2, round, mod, floorDiv, squaredDifference, step, prelu, isNaN/isInf/
// isFinite, logical*) against tfjs-core 4.22 on its cpu backend: values on random inputs of several shapes and edge
// values, gradients against tf.grad, and tg.gradcheck in float64; float64 values against Math.* to 1e-12.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { useCpu } from '../support/tfjs-layers.js';
import { type TfT, expectClose, gradcheck64, tf, tfBool, twin, uniform } from './tfjs-math-lib.js';

beforeAll(useCpu);

interface UnaryCase {
  name: string;
  tg: (x: tg.Tensor) => tg.Tensor;
  tf: (x: TfT) => TfT;
  math: (v: number) => number;
  lo: number;
  hi: number;
  edges: number[];
  // where the gradient is smooth (random points drawn there)
  glo: number;
  ghi: number;
}
const UNARY: UnaryCase[] = [
  {
    name: 'tan',
    tg: tg.tan,
    tf: tf.tan,
    math: Math.tan,
    lo: -1.5,
    hi: 1.5,
    edges: [0, -0, NaN, Infinity],
    glo: -1.2,
    ghi: 1.2,
  },
  {
    name: 'asin',
    tg: tg.asin,
    tf: tf.asin,
    math: Math.asin,
    lo: -1,
    hi: 1,
    edges: [0, 1, -1, 1.5, -1.0001, NaN, 1e-20],
    glo: -0.9,
    ghi: 0.9,
  },
  {
    name: 'acos',
    tg: tg.acos,
    tf: tf.acos,
    math: Math.acos,
    lo: -1,
    hi: 1,
    edges: [0, 1, -1, 1.5, NaN],
    glo: -0.9,
    ghi: 0.9,
  },
  {
    name: 'atan',
    tg: tg.atan,
    tf: tf.atan,
    math: Math.atan,
    lo: -6,
    hi: 6,
    edges: [0, 1, -1, Infinity, -Infinity, NaN, 1e30, -1e-30],
    glo: -4,
    ghi: 4,
  },
  {
    name: 'sinh',
    tg: tg.sinh,
    tf: tf.sinh,
    math: Math.sinh,
    lo: -6,
    hi: 6,
    edges: [0, 1e-20, 100, -100, Infinity, NaN],
    glo: -3,
    ghi: 3,
  },
  {
    name: 'cosh',
    tg: tg.cosh,
    tf: tf.cosh,
    math: Math.cosh,
    lo: -6,
    hi: 6,
    edges: [0, 100, -100, -Infinity, NaN],
    glo: -3,
    ghi: 3,
  },
  {
    name: 'asinh',
    tg: tg.asinh,
    tf: tf.asinh,
    math: Math.asinh,
    lo: -20,
    hi: 20,
    edges: [0, 1, -1, 1e20, -1e-10, Infinity, NaN],
    glo: -5,
    ghi: 5,
  },
  {
    name: 'acosh',
    tg: tg.acosh,
    tf: tf.acosh,
    math: Math.acosh,
    lo: 1,
    hi: 20,
    edges: [1, 2, 0.5, -3, 1e20, Infinity, NaN],
    glo: 1.2,
    ghi: 8,
  },
  {
    name: 'atanh',
    tg: tg.atanh,
    tf: tf.atanh,
    math: Math.atanh,
    lo: -1,
    hi: 1,
    edges: [0, 1, -1, 2, 1e-20, NaN],
    glo: -0.9,
    ghi: 0.9,
  },
];
const SHAPES = [[7], [3, 4], [2, 3, 5]];

describe.each(UNARY)('$name', (c) => {
  it('matches TF.js on random inputs of several shapes and on edge values', () => {
    SHAPES.forEach((shape, s) => {
      const [a, b] = twin(uniform(shape, 11 + s, c.lo, c.hi), shape);
      expectClose(c.tg(a), c.tf(b), 2e-7, 1e-7);
    });
    const [a, b] = twin(c.edges, [c.edges.length]);
    expectClose(c.tg(a), c.tf(b), 2e-7, 1e-7);
  });
  it('in float64 equals Math.* to 1e-12', () => {
    const v = [...uniform([50], 5, c.lo, c.hi), ...c.edges, c.lo + 1e-9, c.hi - 1e-9];
    const got = c.tg(tg.tensor(v, [v.length], { dtype: 'float64' }));
    expect(got.dtype).toBe('float64');
    expectClose(got, v.map(c.math), 1e-12, 1e-14);
  });
  it('has TF.js gradients (tf.grad) and passes gradcheck in float64', () => {
    const [a, b] = twin(uniform([3, 4], 23, c.glo, c.ghi), [3, 4]);
    expectClose(tg.grad((t) => tg.sum(c.tg(t)))(a), tf.grad(c.tf)(b), 1e-5, 1e-6);
    gradcheck64(c.tg, [a]);
  });
});

describe('round', () => {
  it('rounds half to even as TF.js, on random values, ties, NaN and Inf; int32 is unchanged', () => {
    const ties = [
      0.5,
      1.5,
      2.5,
      -0.5,
      -1.5,
      -2.5,
      3.5,
      -3.5,
      0.49999997,
      2.5000002,
      1e9 + 0.5,
      8388607.5,
      NaN,
      Infinity,
    ];
    for (const v of [ties, Array.from(uniform([40], 3, -10, 10)).map((x) => Math.round(x * 4) / 4)]) {
      const [a, b] = twin(v, [v.length]);
      expectClose(tg.round(a), tf.round(b), 0, 0);
    }
    const [i] = twin([3, -4], [2], 'int32');
    expect(tg.round(i).dtype).toBe('int32');
    const [x, y] = twin(uniform([2, 3], 9, -3, 3), [2, 3]);
    // TF.js's gradient of round is 0
    expectClose(tg.grad((t) => tg.sum(tg.round(t)))(x), tf.grad(tf.round)(y), 0, 0);
  });
});

const PAIRS: [number[], number[]][] = [
  [
    [3, 4],
    [3, 4],
  ],
  [[3, 4], [4]],
  [
    [2, 1, 3],
    [4, 3],
  ],
  [[5], []],
];

describe('binary ops broadcast as TF.js', () => {
  const cases: [string, (a: tg.Tensor, b: tg.Tensor) => tg.Tensor, (a: TfT, b: TfT) => TfT, boolean][] = [
    ['atan2', tg.atan2, tf.atan2, true],
    ['mod', tg.mod, tf.mod, true],
    ['squaredDifference', tg.squaredDifference, tf.squaredDifference, true],
    ['floorDiv', tg.floorDiv, tf.floorDiv, false],
  ];
  describe.each(cases)('%s', (name, f, g, differentiable) => {
    it('matches TF.js values over broadcast shapes, negatives included', () => {
      PAIRS.forEach(([sa, sb], k) => {
        const [a, ta] = twin(uniform(sa, 31 + k, -5, 5), sa);
        // divisors away from 0 for mod/floorDiv (1/b and a/b stay moderate), both signs
        const [b, tb] = twin(
          uniform(sb, 41 + k, -3, 3).map((v) => (Math.abs(v) < 0.3 ? v + 0.7 : v)),
          sb,
        );
        const got = f(a, b);
        expect(got.dtype).toBe(name === 'floorDiv' ? 'int32' : 'float32');
        expectClose(got, g(ta, tb), 2e-6, 2e-6);
      });
    });
    it.runIf(differentiable)('has TF.js gradients for both operands and passes gradcheck in float64', () => {
      const [a, ta] = twin(uniform([3, 4], 51, -5, 5), [3, 4]);
      // NOTE: TF.js's squaredDifference gradient does not sum a broadcast operand back to its shape: same shapes there
      const bv = [1.7, -2.3, 0.9, -1.1];
      const [b, tb] = name === 'squaredDifference' ? twin([...bv, ...bv, ...bv], [3, 4]) : twin(bv, [4]);
      const [ga, gb] = tg.grads((x, y) => tg.sum(f(x, y)))([a, b]);
      const [ha, hb] = tf.grads((x: TfT, y: TfT) => g(x, y))([ta, tb]);
      expectClose(ga, ha, 1e-5, 1e-6);
      expectClose(gb, hb, 1e-5, 1e-5);
      gradcheck64(f, [a, b]);
    });
  });
  it('mod and floorDiv on integers, negatives and zero divisors as TF.js (int32 and float32)', () => {
    const av = [5, -5, 5, -5, 0, 7, -7, 6, -6, 5, -5, 0];
    const bv = [3, 3, -3, -3, 3, 2, 2, -3, 3, 0, 0, 0];
    for (const dt of ['int32', 'float32'] as const) {
      const [a, ta] = twin(av, [12], dt);
      const [b, tb] = twin(bv, [12], dt);
      expect(tg.mod(a, b).dtype).toBe(dt);
      expectClose(tg.mod(a, b), tf.mod(ta, tb), 0, 0);
      expectClose(tg.floorDiv(a, b), tf.floorDiv(ta, tb), 0, 0);
    }
    const [x, tx] = twin([5.5, -5.5, 0.7, -0.3, 1e-3], [5]);
    expectClose(tg.mod(x, 0.25), tf.mod(tx, 0.25), 1e-6, 1e-7);
    expectClose(tg.mod(x, -2), tf.mod(tx, -2), 1e-6, 1e-7);
    expectClose(tg.floorDiv(x, -0.25), tf.floorDiv(tx, -0.25), 0, 0);
  });
  it('atan2 on the axes and in every quadrant as Math.atan2, in float64 to 1e-12', () => {
    const ys = [1, -1, 0, 0, 1, -1, 3, -3, 1e-8, 5, 0, 2];
    const xs = [0, 0, -1, 1, 1, 1, -2, -2, -1, 1e-8, 0, Infinity];
    const got = tg.atan2(
      tg.tensor(ys, [12], { dtype: 'float64' }),
      tg.tensor(xs, [12], { dtype: 'float64' }),
    );
    expectClose(
      got,
      ys.map((y, i) => Math.atan2(y, xs[i])),
      1e-12,
      1e-14,
    );
  });
});

describe('step and prelu', () => {
  it('step(x, alpha) matches TF.js (NaN kept, int32 input) and has its zero gradient', () => {
    const v = [-2, -0.5, 0, 1e-30, 0.5, 3, NaN, Infinity, -Infinity];
    const [a, ta] = twin(v, [9]);
    for (const alpha of [0, 0.3, -1.5]) expectClose(tg.step(a, alpha), tf.step(ta, alpha), 0, 0);
    expectClose(tg.step(a), tf.step(ta), 0, 0);
    const [i, ti] = twin([-1, 0, 2], [3], 'int32');
    expect(tg.step(i, 0.5).dtype).toBe('int32');
    expectClose(tg.step(i, 0.5), tf.step(ti, 0.5), 0, 0);
    expectClose(tg.step(i, -1.7), tf.step(ti, -1.7), 0, 0);
    const [x, tx] = twin(uniform([2, 3], 4), [2, 3]);
    expectClose(tg.grad((t) => tg.sum(tg.step(t, 0.5)))(x), tf.grad((t: TfT) => tf.step(t, 0.5))(tx), 0, 0);
  });
  it('prelu matches TF.js with broadcast alphas, gradients included (x = 0 gives alpha, as TF.js)', () => {
    const xv = [...uniform([2, 3, 4], 61, -2, 2)];
    xv[5] = 0;
    const [x, tx] = twin(xv, [2, 3, 4]);
    for (const sa of [[4], [3, 1], []]) {
      const [al, tal] = twin(uniform(sa, 71, 0.05, 0.5), sa);
      expectClose(tg.prelu(x, al), tf.prelu(tx, tal), 1e-7, 1e-8);
      const [gx, ga] = tg.grads((p, q) => tg.sum(tg.prelu(p, q)))([x, al]);
      const [hx, ha] = tf.grads((p: TfT, q: TfT) => tf.prelu(p, q))([tx, tal]);
      expectClose(gx, hx, 1e-6, 1e-7);
      expectClose(ga, ha, 1e-5, 1e-6);
    }
    const smooth = tg.mul(
      tg.tensor(uniform([2, 3, 4], 62, 0.1, 2), [2, 3, 4]),
      tg.sign(tg.tensor(uniform([2, 3, 4], 63), [2, 3, 4])),
    );
    gradcheck64((p, q) => tg.prelu(p, q), [smooth, tg.tensor([0.1, 0.2, 0.3, 0.4])]);
    expect(() => tg.prelu(x, tg.ones([5]))).toThrow(/prelu/);
    expect(() => tg.prelu(tg.ones([4]), tg.ones([3, 4]))).toThrow(/prelu: alpha of shape \[3,4\].*\[4\]/);
  });
});

describe('tests and logic (1/0 in the operands dtype, as tg.equal)', () => {
  const special = [0, -1.5, NaN, Infinity, -Infinity, 3e38, -0, 1];
  it('isNaN, isInf, isFinite match TF.js on float32 and int32', () => {
    const [a, ta] = twin(special, [2, 4]);
    for (const [f, g] of [
      [tg.isNaN, tf.isNaN],
      [tg.isInf, tf.isInf],
      [tg.isFinite, tf.isFinite],
    ] as const) {
      const got = f(a);
      expect(got.dtype).toBe('float32');
      expect(got.shape).toEqual([2, 4]);
      expectClose(got, tfBool(g(ta)), 0, 0);
      const [i, ti] = twin([1, -2, 0], [3], 'int32');
      expect(f(i).dtype).toBe('int32');
      expectClose(f(i), tfBool(g(ti)), 0, 0);
    }
  });
  it('logicalAnd/Or/Xor/Not match TF.js on its bools of the same values, broadcast', () => {
    const av = [0, 1, 2, -0.5, 0, 0, 3, NaN, 0, 1, 0, 1];
    const bv = [0, 1, 0, 1];
    const [a, ta] = twin(av, [3, 4]);
    const [b, tb] = twin(bv, [4]);
    const [ba, bb] = [tf.cast(ta, 'bool'), tf.cast(tb, 'bool')];
    expectClose(tg.logicalAnd(a, b), tfBool(tf.logicalAnd(ba, bb)), 0, 0);
    expectClose(tg.logicalOr(a, b), tfBool(tf.logicalOr(ba, bb)), 0, 0);
    expectClose(tg.logicalXor(a, b), tfBool(tf.logicalXor(ba, bb)), 0, 0);
    expectClose(tg.logicalNot(a), tfBool(tf.logicalNot(ba)), 0, 0);
    const [i] = twin([0, 5, -1, 0], [4], 'int32');
    expect(tg.logicalAnd(i, i).dtype).toBe('int32');
    expectClose(tg.logicalOr(i, b), [0, 1, 1, 1], 0, 0);
  });
});
