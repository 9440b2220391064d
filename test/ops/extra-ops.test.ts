// gather along an axis and the Keras 3 activations, against plain formulas and finite differences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const f64 = (a: number[], shape: number[]) => tg.tensor(a, shape, { dtype: 'float64' });

describe('gather', () => {
  it('picks slices along an axis like index arithmetic says', () => {
    const x = tg.arange(24).reshape([2, 3, 4]);
    const y = tg.gather(x, [2, 0, 2], 1);
    expect(y.shape).toEqual([2, 3, 4]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 4; k++) expect(y.data[(i * 3 + j) * 4 + k]).toBe(i * 12 + [2, 0, 2][j] * 4 + k);
    expect(() => tg.gather(x, [3], 1)).toThrow(/gather: index 3 .* axis 1 of size 3/);
  });
  it('equals a naive loop for any shape, axis and index tensor (2-D, float-valued, empty), on big inner rows too', () => {
    const cases = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      axisPick: fc.nat(),
      idxShape: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
      seed: fc.nat(),
      asFloat: fc.boolean(),
      wide: fc.boolean(), // a last axis of 3,000: resident blocks on the wasm backend
    });
    fc.assert(
      fc.property(cases, ({ shape, axisPick, idxShape, seed, asFloat, wide }) => {
        const dims = wide ? [...shape, 3000] : shape;
        const a = axisPick % shape.length;
        const x = tg.arange(dims.reduce((p, d) => p * d, 1)).reshape(dims);
        const m = idxShape.reduce((p, d) => p * d, 1);
        const picks = Array.from({ length: m }, (_, i) => (seed + 7 * i) % dims[a]);
        const idx = tg.tensor(picks, idxShape, { dtype: asFloat ? 'float32' : 'int32' });
        const y = tg.gather(x, idx, a);
        const outer = dims.slice(0, a).reduce((p, d) => p * d, 1);
        const inner = dims.slice(a + 1).reduce((p, d) => p * d, 1);
        expect(y.shape).toEqual([...dims.slice(0, a), ...idxShape, ...dims.slice(a + 1)]);
        const want: number[] = [];
        for (let i = 0; i < outer; i++)
          for (const k of picks) for (let r = 0; r < inner; r++) want.push((i * dims[a] + k) * inner + r);
        expect(Array.from(y.data)).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });
  it('has the gradient finite differences say (repeated indices add up)', () => {
    const r = tg.gradcheck((t) => tg.gather(t, [1, 1, 0], 0), [tg.randn([2, 3], { dtype: 'float64' })]);
    expect(r.ok).toBe(true);
  });
});

describe('Keras 3 activations', () => {
  const xs = [-2.5, -1.2, -0.7, -0.3, 0.2, 0.6, 1.4, 2.8];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const hs = (v: number) => Math.min(Math.max(v + 3, 0), 6) / 6;
  const cases: [string, (v: number) => number][] = [
    ['hard_silu', (v) => v * hs(v)],
    ['hard_swish', (v) => v * hs(v)],
    ['celu', (v) => Math.max(0, v) + Math.min(0, Math.exp(v) - 1)],
    ['hard_tanh', (v) => Math.min(Math.max(v, -1), 1)],
    ['log_sigmoid', (v) => Math.log(sig(v))],
    ['soft_shrink', (v) => (v > 0.5 ? v - 0.5 : v < -0.5 ? v + 0.5 : 0)],
    ['hard_shrink', (v) => (Math.abs(v) > 0.5 ? v : 0)],
    ['tanh_shrink', (v) => v - Math.tanh(v)],
    ['squareplus', (v) => (v + Math.sqrt(v * v + 4)) / 2],
    ['sparse_plus', (v) => (v <= -1 ? 0 : v >= 1 ? v : (v + 1) ** 2 / 4)],
  ];
  for (const [name, ref] of cases)
    it(`${name} matches its formula and gradchecks`, () => {
      const f = tg.getActivation(name);
      const y = f(f64(xs, [xs.length]));
      xs.forEach((v, i) => expect(y.data[i]).toBeCloseTo(ref(v), 12));
      expect(tg.gradcheck((t) => f(t), [f64(xs, [xs.length])]).ok).toBe(true);
    });
  it('glu gates the first half by the sigmoid of the second', () => {
    const x = f64([1, -2, 0.5, 3], [1, 4]);
    const y = tg.getActivation('glu')(x);
    expect(Array.from(y.data)).toEqual([1 * sig(0.5), -2 * sig(3)]);
  });
  it('callbacks have TF.js factories', () => {
    expect(tg.callbacks.earlyStopping({ patience: 2 })).toBeInstanceOf(tg.EarlyStopping);
  });
});
