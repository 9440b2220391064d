// softplus, logSigmoid, log1p and expm1 as rows (exact gradients at 0, precision for tiny and very negative x),
// binary crossentropy from logits and logcosh on top of them, and the kinks of relu6 / hardTanh / hardSigmoid.
// Reference values: PyTorch (float64 and float32).
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import { traced } from '../support/traced.js';

const f64 = (v: number[], s?: number[]) => tg.tensor(Float64Array.from(v), s ?? [v.length]);
const f32 = (v: number[]) => tg.tensor(Float32Array.from(v), [v.length]);
const arr = (t: tg.Tensor) => Array.from(t.data);
const gradOf = (f: (x: tg.Tensor) => tg.Tensor, x: tg.Tensor) =>
  arr(tg.grad((t: tg.Tensor) => tg.sum(f(t)))(x));
const BACKENDS = ['wasm', 'js'] as const;
afterEach(() => tg.setBackend('wasm'));

/** |a − b| ≤ ulps float32 ulps of b (exact at 0). */
function expectF32Ulps(a: number[], b: number[], ulps: number, what: string): void {
  a.forEach((v, i) => {
    const ulp = b[i] === 0 ? 0 : 2 ** (Math.floor(Math.log2(Math.abs(b[i]))) - 23);
    if (!(Math.abs(v - b[i]) <= ulps * ulp)) expect.fail(`${what}[${i}]: ${v} vs ${b[i]}`);
  });
}

const XS = [-100, -40, -20, -1e-8, 0, 1e-8, 1, 20, 40, 100];
// torch.nn.functional.softplus / logsigmoid on XS in float64, and their gradients
const SOFTPLUS64 = [
  3.720075976020836e-44, 4.248354255291589e-18, 2.061153620314381e-9, 0.6931471755599453, 0.6931471805599453,
  0.6931471855599453, 1.3132616875182228, 20.000000002061153, 40, 100,
];
const DSOFTPLUS64 = [
  3.720075976020836e-44, 4.248354255291589e-18, 2.0611536181902033e-9, 0.4999999975, 0.5, 0.5000000025,
  0.7310585786300049, 0.9999999979388464, 1, 1,
];
const LOGSIGMOID64 = [
  -100, -40, -20.000000002061153, -0.6931471855599454, -0.6931471805599453, -0.6931471755599453,
  -0.31326168751822286, -2.061153620314381e-9, -4.248354255291589e-18, -3.720075976020836e-44,
];
// float32 (torch): softplus(−20) and softplus(−40) keep their values
const SOFTPLUS32 = [
  3.783505853677006e-44, 4.24835413113866e-18, 2.06115369216775e-9, 0.6931471824645996, 0.6931471824645996,
  0.6931471824645996, 1.31326162815094, 20, 40, 100,
];

describe('softplus and logSigmoid', () => {
  it('float64: values and gradients as PyTorch, σ(0) = ½ at 0 (the composition gave 0)', () => {
    expectClose(arr(tg.softplus(f64(XS))), SOFTPLUS64, { rtol: 1e-15, atol: 0 }, 'softplus');
    expectClose(gradOf(tg.softplus, f64(XS)), DSOFTPLUS64, { rtol: 1e-15, atol: 0 }, "softplus'");
    expectClose(arr(tg.logSigmoid(f64(XS))), LOGSIGMOID64, { rtol: 1e-15, atol: 0 }, 'logSigmoid');
    // logSigmoid'(x) = σ(−x) (torch)
    const dLogSigmoid = [
      1, 1, 0.9999999979388464, 0.5000000025, 0.5, 0.4999999975, 0.2689414213699951, 2.0611536181902033e-9,
      4.248354255291589e-18, 3.720075976020836e-44,
    ];
    expectClose(gradOf(tg.logSigmoid, f64(XS)), dLogSigmoid, { rtol: 1e-15, atol: 0 }, "logSigmoid'");
    expect(gradOf(tg.softplus, f64([0]))).toEqual([0.5]);
    expect(gradOf(tg.logSigmoid, f64([0]))).toEqual([0.5]);
    // second derivative σ(1 − σ): ¼ at 0
    const d2 = tg.grad((x: tg.Tensor) => tg.sum(tg.grad((t: tg.Tensor) => tg.sum(tg.softplus(t)))(x)))(
      f64([0, 2]),
    );
    expectClose(
      arr(d2),
      [0.25, Math.exp(-2) / (1 + Math.exp(-2)) ** 2],
      { rtol: 1e-14, atol: 0 },
      "softplus''",
    );
  });

  it.each(BACKENDS)(
    'float32 on %s: softplus(−20) ≈ 2.06e-9 and softplus(−40) ≈ 4.25e-18, not 0',
    (backend) => {
      tg.setBackend(backend);
      expectF32Ulps(arr(tg.softplus(f32(XS))), SOFTPLUS32, 1, 'softplus');
      expect(gradOf(tg.softplus, f32([0]))).toEqual([0.5]);
      expect(arr(tg.softplus(f32([NaN, Infinity, -Infinity])))).toEqual([NaN, Infinity, 0]);
      // mish (x·tanh(softplus x)) keeps its value
      expectClose(arr(tg.mish(f32([1]))), [0.8650983882673103], { rtol: 1e-6, atol: 0 }, 'mish');
    },
  );

  it('is one row, traced too (no kinks to differ)', () => {
    const [, ops] = traced(() => tg.softplus(f64([1])));
    expect(ops).toEqual(['softplus']);
  });
});

describe('log1p and expm1', () => {
  const V = [1e-8, 1e-5, -0.5, 3, 1e-30, -1e-7];
  // torch.log1p / torch.expm1 on V
  const LOG1P64 = [
    9.999999950000001e-9, 9.999950000333332e-6, -0.6931471805599453, 1.3862943611198906, 1e-30,
    -1.0000000500000033e-7,
  ];
  const EXPM164 = [
    1.0000000050000001e-8, 1.0000050000166668e-5, -0.3934693402873666, 19.085536923187668, 1e-30,
    -9.999999500000016e-8,
  ];
  const LOG1P32 = [
    9.99999993922529e-9, 9.999949725170154e-6, -0.6931471824645996, 1.3862943649291992,
    1.0000000031710769e-30, -1.000000082740371e-7,
  ];
  const EXPM132 = [
    9.99999993922529e-9, 1.0000049769587349e-5, -0.39346933364868164, 19.08553695678711,
    1.0000000031710769e-30, -9.999999406318238e-8,
  ];

  it('float64: accurate for tiny x (log(1 + x) and eˣ − 1 lost it), gradients 1/(1+x) and eˣ', () => {
    expectClose(arr(tg.log1p(f64(V))), LOG1P64, { rtol: 1e-15, atol: 0 }, 'log1p');
    expectClose(arr(tg.expm1(f64(V))), EXPM164, { rtol: 1e-15, atol: 0 }, 'expm1');
    expectClose(
      gradOf(tg.log1p, f64(V)),
      V.map((v) => 1 / (1 + v)),
      { rtol: 1e-15, atol: 0 },
      "log1p'",
    );
    expectClose(gradOf(tg.expm1, f64(V)), V.map(Math.exp), { rtol: 1e-15, atol: 0 }, "expm1'");
  });

  it.each(BACKENDS)('float32 on %s: within an ulp of PyTorch; special values', (backend) => {
    tg.setBackend(backend);
    expectF32Ulps(arr(tg.log1p(f32(V))), LOG1P32, 1, 'log1p');
    expectF32Ulps(arr(tg.expm1(f32(V))), EXPM132, 1, 'expm1');
    expect(arr(tg.log1p(f32([-1, -2, Infinity, NaN])))).toEqual([-Infinity, NaN, Infinity, NaN]);
    expect(arr(tg.expm1(f32([-Infinity, Infinity, NaN, 100])))).toEqual([-1, Infinity, NaN, Infinity]);
  });
});

describe('losses on softplus', () => {
  it('binaryCrossentropy fromLogits: the gradient at zero-initialised weights is PyTorch’s (σ(0) − y)', () => {
    const X = f64([1, 2, -1, 0.5, 3, -2, 0.5, 1], [4, 2]);
    const Y = f64([0, 1, 0, 1], [4, 1]);
    const loss = (w: tg.Tensor) => tg.binaryCrossentropy(Y, tg.matmul(X, w), { fromLogits: true });
    // F.binary_cross_entropy_with_logits(X @ w, Y).backward() at w = 0
    expectClose(
      arr(tg.grad(loss)(tg.zeros([2, 1], { dtype: 'float64' }))),
      [0.5625, -0.1875],
      { rtol: 1e-15, atol: 0 },
      'dw',
    );
  });

  it('binaryCrossentropy fromLogits: per element values and gradients (soft labels, large logits)', () => {
    const x = [0, 0, 0, 3, -3, 40, -40];
    const y = [0, 1, 0.3, 1, 0, 1, 0];
    // torch (reduction 'none'); at ±40 the exact value log1p(e⁻⁴⁰) = 4.25e-18 (torch rounds it to 0)
    const want = [
      0.6931471805599453, 0.6931471805599453, 0.6931471805599453, 0.048587351573741965, 0.048587351573741965,
      4.248354255291589e-18, 4.248354255291589e-18,
    ];
    const dwant = [
      0.5, -0.5, 0.2, -0.047425873177566635, 0.04742587317756678, -4.248354255291589e-18,
      4.248354255291589e-18,
    ];
    const per = x.map((_, i) => tg.binaryCrossentropy(f64([y[i]]), f64([x[i]]), { fromLogits: true }).item());
    expectClose(per, want, { rtol: 1e-14, atol: 0 }, 'loss');
    const g = tg.grad((t: tg.Tensor) =>
      tg.mul(tg.binaryCrossentropy(f64(y), t, { fromLogits: true }), x.length),
    )(f64(x));
    expectClose(arr(g), dwant, { rtol: 1e-13, atol: 1e-30 }, 'gradient');
  });

  it('logcosh: gradient 0 at a perfect prediction (was 1/3), tanh(e) elsewhere', () => {
    const g = tg.grad((p: tg.Tensor) => tg.logcosh(f64([1, 2, 3]), p));
    expect(arr(g(f64([1, 2, 3])))).toEqual([0, 0, 0]);
    expectClose(
      arr(g(f64([1.5, 2, 0]))),
      [Math.tanh(0.5) / 3, 0, Math.tanh(-3) / 3],
      { rtol: 1e-14, atol: 1e-17 },
      'tanh',
    );
  });
});

describe('kinks of the clipped activations: gradient 0 at the bounds (PyTorch, TF)', () => {
  const xs = f64([-3, -1, 0, 1, 3, 6, 7]);
  it('relu6, hardTanh, Keras 3 hardSigmoid and hardSilu', () => {
    // torch: relu6, hardtanh, hardsigmoid backward on xs
    expect(gradOf(tg.relu6, xs)).toEqual([0, 0, 0, 1, 1, 0, 0]);
    expect(gradOf(tg.hardTanh, xs)).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(gradOf((x) => tg.hardSigmoid(x), xs)).toEqual([0, 1 / 6, 1 / 6, 1 / 6, 0, 0, 0]);
    // x·hard_sigmoid(x) with relu6' = 0 at the kinks (TF and JAX): 0 at −3, 1 at 3
    expect(gradOf(tg.hardSilu, f64([-3, 3]))).toEqual([0, 1]);
    expect(arr(tg.relu6(xs))).toEqual([0, 0, 0, 1, 3, 6, 6]);
    expect(arr(tg.hardTanh(xs))).toEqual([-1, -1, 0, 1, 1, 1, 1]);
  });
  it('NaN stays NaN; clipByValue and Keras 2 hardSigmoid keep clip_by_value’s tie rule (the gradient passes)', () => {
    expect(arr(tg.relu6(f32([NaN])))).toEqual([NaN]);
    expect(arr(tg.hardTanh(f32([NaN])))).toEqual([NaN]);
    expect(gradOf((x) => tg.clipByValue(x, 0, 6), f64([0, 6]))).toEqual([1, 1]);
    expectClose(
      gradOf((x) => tg.hardSigmoid(x, true), f64([-2.5, 2.5])),
      [0.2, 0.2],
      { rtol: 1e-15, atol: 0 },
      'keras2',
    );
  });
});
