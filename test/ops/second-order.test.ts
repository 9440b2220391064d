// Second order and forward mode: hvp and grad(grad(f)) against finite differences of gradients;
// jacobian and jvp against finite differences of f, on tanh/sigmoid/exp/log chains, matmul,
// softmax cross-entropy and conv2d (float64 throughout).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';

const t64 = (d: ArrayLike<number>, s: number[]) => tg.tensor(Float64Array.from(d), s);
const EPS = 1e-5;

/** x + s·v as a new float64 tensor. */
const shift = (x: tg.Tensor, v: tg.Tensor, s: number) =>
  t64(
    Array.from(x.data, (a, i) => a + s * v.data[i]),
    [...x.shape],
  );
/** (∇f(x+εv) − ∇f(x−εv)) / 2ε: the Hessian-vector product by differences of (first-order) gradients. */
function fdHvp(f: (x: tg.Tensor) => tg.Tensor, x: tg.Tensor, v: tg.Tensor): Float64Array {
  const gp = tg.grad(f)(shift(x, v, EPS)).data;
  const gm = tg.grad(f)(shift(x, v, -EPS)).data;
  return Float64Array.from(gp, (a, i) => (a - gm[i]) / (2 * EPS));
}
/** (f(x+εt) − f(x−εt)) / 2ε. */
function fdJvp(f: (x: tg.Tensor) => tg.Tensor, x: tg.Tensor, t: tg.Tensor): Float64Array {
  const fp = tg.noGrad(() => f(shift(x, t, EPS))).data;
  const fm = tg.noGrad(() => f(shift(x, t, -EPS))).data;
  return Float64Array.from(fp, (a, i) => (a - fm[i]) / (2 * EPS));
}

const X = t64(uniform(20, 1), [5, 4]);
const labels = tg.tensor(Int32Array.from([0, 2, 1, 2, 0]), [5]);
const img = t64(uniform(2 * 5 * 5 * 2, 2), [2, 5, 5, 2]);
const kern = t64(uniform(3 * 3 * 2 * 3, 3), [3, 3, 2, 3]);

/** Scalar composites: [name, f, x]. */
const COMPOSITES: [string, (x: tg.Tensor) => tg.Tensor, tg.Tensor][] = [
  [
    'tanh/sigmoid/exp/log chain',
    (x) => tg.sum(tg.log(tg.add(tg.sigmoid(tg.mul(tg.tanh(x), tg.exp(tg.mul(x, 0.3)))), 0.5))),
    t64(uniform(6, 4, -2, 2), [2, 3]),
  ],
  [
    'sqrt/div/pow chain',
    (x) => tg.sum(tg.div(tg.pow(tg.add(tg.square(x), 1), 1.5), tg.sqrt(tg.add(tg.exp(x), 2)))),
    t64(uniform(5, 5, -1.5, 1.5), [5]),
  ],
  ['matmul (weights)', (w) => tg.sum(tg.square(tg.tanh(tg.matmul(X, w)))), t64(uniform(12, 6), [4, 3])],
  [
    'matmul (transposed, x used twice)',
    (a) => tg.sum(tg.sigmoid(tg.matmul(a, a, { transB: true }))),
    t64(uniform(6, 7), [3, 2]),
  ],
  [
    'softmax cross-entropy (class labels)',
    (z) => tg.crossEntropy(z, labels),
    t64(uniform(15, 8, -3, 3), [5, 3]),
  ],
  [
    'softmax cross-entropy (probability rows)',
    (z) => tg.crossEntropy(z, tg.softmax(t64(uniform(15, 9), [5, 3]))),
    t64(uniform(15, 10, -3, 3), [5, 3]),
  ],
  [
    'conv2d (kernel)',
    (w) => tg.sum(tg.square(tg.tanh(tg.conv2d(img, w, null, { padding: 'same', stride: [2, 1] })))),
    kern,
  ],
  [
    'conv2d (input, dilation 2)',
    (x) => tg.sum(tg.sigmoid(tg.conv2d(x, kern, null, { padding: 1, dilation: 2 }))),
    img,
  ],
];

describe('Hessian-vector products', () => {
  it.each(COMPOSITES)('hvp of %s equals finite differences of gradients', (_, f, x) => {
    for (let seed = 0; seed < 2; seed++) {
      const v = t64(uniform(x.size, 50 + seed), [...x.shape]);
      const hv = tg.hvp(f, x, v);
      expect(hv.shape).toEqual(x.shape);
      const fd = fdHvp(f, x, v);
      expect(
        fd.some((a) => Math.abs(a) > 1e-3),
        'a non-trivial Hessian',
      ).toBe(true);
      expectClose(hv.data, fd, { rtol: 1e-5, atol: 1e-7 }, 'H·v');
    }
  });

  it('grad(x ↦ <grad f(x), v>) is the same thing written out, and the Hessian is symmetric', () => {
    const [, f, x] = COMPOSITES[0];
    const u = t64(uniform(x.size, 60), [...x.shape]);
    const v = t64(uniform(x.size, 61), [...x.shape]);
    const hv = tg.grad((y: tg.Tensor) => tg.sum(tg.mul(tg.grad(f)(y), v)))(x);
    expectClose(hv.data, tg.hvp(f, x, v).data, { rtol: 1e-12, atol: 1e-14 }, 'two spellings of H·v');
    const dot = (a: tg.Tensor, b: tg.Tensor) =>
      Array.from(a.data).reduce((s, ai, i) => s + ai * b.data[i], 0);
    expect(dot(u, tg.hvp(f, x, v))).toBeCloseTo(dot(v, tg.hvp(f, x, u)), 10);
  });
});

describe('grad(grad(f))', () => {
  const scalarFns: [string, (x: tg.Tensor) => tg.Tensor, number][] = [
    ['tanh³·eˣ', (x) => tg.mul(tg.pow(tg.tanh(x), 3), tg.exp(x)), 0.7],
    ['log(1 + σ(x)²)', (x) => tg.log(tg.add(tg.square(tg.sigmoid(x)), 1)), -0.4],
    ['softplus ∘ sin', (x) => tg.softplus(tg.sin(x)), 1.3],
  ];
  it.each(scalarFns)('second derivative of %s equals finite differences of the first', (_, f, x0) => {
    const x = t64([x0], []);
    const d2 = tg.grad(tg.grad(f))(x).item();
    const d1 = (v: number) =>
      tg
        .grad(f)(t64([v], []))
        .item();
    expect(d2).toBeCloseTo((d1(x0 + EPS) - d1(x0 - EPS)) / (2 * EPS), 7);
  });

  it('third derivative of sin is −cos, and of exp is exp', () => {
    const x = t64([0.9], []);
    expect(
      tg
        .grad(tg.grad(tg.grad(tg.sin)))(x)
        .item(),
    ).toBeCloseTo(-Math.cos(0.9), 12);
    expect(
      tg
        .grad(tg.grad(tg.grad(tg.exp)))(x)
        .item(),
    ).toBeCloseTo(Math.exp(0.9), 12);
  });

  it('nested grad of a vector function through matmul and cross-entropy matches hvp with basis vectors', () => {
    const [, f, x] = COMPOSITES[4];
    const e = new Float64Array(x.size);
    e[4] = 1;
    const col = tg.grad((y: tg.Tensor) => tg.sum(tg.mul(tg.grad(f)(y), t64(e, [...x.shape]))))(x);
    expectClose(col.data, fdHvp(f, x, t64(e, [...x.shape])), { rtol: 1e-5, atol: 1e-8 }, 'Hessian column 4');
  });
});

/** Vector-valued functions: [name, f, x]. */
const VECTOR_FNS: [string, (x: tg.Tensor) => tg.Tensor, tg.Tensor][] = [
  ['softmax', (x) => tg.softmax(x), t64(uniform(6, 20, -2, 2), [2, 3])],
  ['matmul ∘ tanh', (x) => tg.matmul(X, tg.tanh(x)), t64(uniform(8, 21), [4, 2])],
  ['conv2d', (w) => tg.conv2d(img, w, null, { stride: 2 }), kern],
  [
    'log ∘ exp chain with broadcasting',
    (x) => tg.log(tg.add(tg.exp(x), t64([1, 2, 3], [3]))),
    t64(uniform(6, 22), [2, 3]),
  ],
];

describe('jacobian and jvp', () => {
  it.each(VECTOR_FNS)('jacobian of %s equals finite differences column by column', (_, f, x) => {
    const J = tg.jacobian(f, x);
    const y = tg.noGrad(() => f(x));
    expect(J.shape).toEqual([...y.shape, ...x.shape]);
    for (let j = 0; j < x.size; j++) {
      const e = new Float64Array(x.size);
      e[j] = 1;
      const col = fdJvp(f, x, t64(e, [...x.shape]));
      const got = Float64Array.from({ length: y.size }, (_, o) => J.data[o * x.size + j]);
      expectClose(got, col, { rtol: 1e-6, atol: 1e-9 }, `column ${j}`);
    }
  });

  it.each(VECTOR_FNS)('jvp of %s equals finite differences along a random tangent', (_, f, x) => {
    const t = t64(uniform(x.size, 30), [...x.shape]);
    const r = tg.jvp(f, x, t);
    expectClose(r.value.data, tg.noGrad(() => f(x)).data, { rtol: 0, atol: 0 }, 'value');
    expect(r.jvp.shape).toEqual(r.value.shape);
    expectClose(r.jvp.data, fdJvp(f, x, t), { rtol: 1e-6, atol: 1e-9 }, 'J·t');
  });
});
