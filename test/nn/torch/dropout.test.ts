// tg.nn.Dropout and tg.nn.AlphaDropout against PyTorch 1.13 (values computed once with Debian's python3-torch in
// float64, the calls quoted beside them) and against the alpha-dropout formula on the mask each call drew.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });

describe('tg.nn.Dropout(p) with p in [0, 1] (PyTorch _DropoutNd)', () => {
  it('p = 1 in train mode is x·0: zeros (-0 for negatives, NaN for ±Inf and NaN) and a zero gradient', () => {
    // torch: F.dropout(tensor([1., -2., inf, nan, 0.], requires_grad=True), 1.0, True)
    //   → tensor([0., -0., nan, nan, 0.]); y.sum().backward() → x.grad = tensor([0., 0., 0., 0., 0.])
    const got = Array.from(new nn.Dropout(1).forward(f64([1, -2, Infinity, NaN, 0])).data);
    [0, -0, NaN, NaN, 0].forEach((v, i) => expect(Object.is(got[i], v), `y[${i}] = ${got[i]}`).toBe(true));
    // (the gradient on finite values: tapegrad's backward refuses a NaN loss)
    const x = f64([1, -2, 0.5]).requireGrad(true);
    tg.sum(tg.mul(new nn.Dropout(1).forward(x), f64([3, 4, 5]))).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0]);
  });

  it('p = 1 in eval mode, and any p on an empty input, is the identity', () => {
    // torch: nn.Dropout(1.0).eval()(tensor([1., 2.])) → tensor([1., 2.])
    const x = f64([1, 2]);
    expect(Array.from(new nn.Dropout(1).eval().forward(x).data)).toEqual([1, 2]);
    const empty = tg.zeros([0, 3]);
    expect(new nn.Dropout(0.5).forward(empty).shape).toEqual([0, 3]);
    expect(new nn.Dropout(1).forward(empty).shape).toEqual([0, 3]);
  });

  it('p outside [0, 1] is refused at construction with PyTorch words; inplace=true is refused by name', () => {
    // torch: nn.Dropout(-0.1) → ValueError: dropout probability has to be between 0 and 1, but got -0.1
    throwsA(tg.ValueError, () => new nn.Dropout(-0.1), [
      'Dropout',
      'dropout probability has to be between 0 and 1, but got -0.1',
    ]);
    throwsA(tg.ValueError, () => new nn.Dropout(1.1), ['Dropout', 'but got 1.1']);
    throwsA(tg.ValueError, () => new nn.Dropout(NaN), ['Dropout', 'but got NaN']);
    throwsA(tg.ValueError, () => new nn.Dropout('0.5' as never), ['Dropout', 'but got "0.5"']);
    throwsA(tg.ValueError, () => new nn.AlphaDropout(2), ['AlphaDropout', 'but got 2']);
    throwsA(tg.ValueError, () => new nn.Dropout(0.5, true), ['Dropout', 'inplace=true', 'not supported']);
    expect(new nn.Dropout(0.5, false).p).toBe(0.5);
  });
});

/** α' of SELU and the affine correction a of PyTorch's alpha_dropout (Dropout.cpp), from the formula. */
const ALPHA = 1.7580993408473766;
const aOf = (p: number) => 1 / Math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p));

describe('tg.nn.AlphaDropout(p): PyTorch alpha_dropout in train mode', () => {
  it('kept values are a·x + α′·a·p, dropped ones -α′·a + α′·a·p; the gradient is a on kept values, 0 on dropped', () => {
    // torch (p = 0.5, seed 0): F.alpha_dropout(tensor([0.5, -1.25, 2., 0., 3.5, -0.75]), 0.5, True)
    //   → [-0.7791939305180315 ×2, 2.5520037198498953, -0.7791939305180315 ×3]; grad of y·[1..6] → 3·0.886404894665932
    //   at the kept index: a = 0.8864048946659319, α′·a·p = 0.7791939305180315 (p = 0.1: a = 0.9212845161497115,
    //   α′·a·p = 0.16197097005757022, dropped -1.457738730518132).
    const torch: Record<number, { a: number; shift: number; dropped: number }> = {
      0.5: { a: 0.8864048946659319, shift: 0.7791939305180315, dropped: -0.7791939305180315 },
      0.1: { a: 0.9212845161497115, shift: 0.16197097005757022, dropped: -1.457738730518132 },
    };
    tg.setSeed(5);
    for (const p of [0.5, 0.1]) {
      const ref = torch[p];
      expect(aOf(p)).toBeCloseTo(ref.a, 15);
      const xs = Array.from({ length: 64 }, (_, i) => Math.sin(i + 1) * 3);
      const x = f64(xs).requireGrad(true);
      const y = new nn.AlphaDropout(p).forward(x);
      tg.sum(y).backward();
      const g = Array.from(x.grad!.data);
      const kept = g.map((v) => {
        expect(
          [0, ref.a].some((w) => Math.abs(v - w) < 1e-15),
          `grad ${v}`,
        ).toBe(true);
        return v !== 0;
      });
      expect(kept.some((k) => k) && kept.some((k) => !k)).toBe(true);
      Array.from(y.data).forEach((v, i) =>
        expect(v).toBeCloseTo(kept[i] ? ref.a * xs[i] + ref.shift : ref.dropped, 14),
      );
    }
  });

  it('keeps zero mean and unit variance of standard-normal inputs (torch: mean -0.0014, var 0.9992 at p 0.2)', () => {
    tg.setSeed(11);
    for (const p of [0.2, 0.5]) {
      const y = Array.from(new nn.AlphaDropout(p).forward(tg.randn([100000], { dtype: 'float64' })).data);
      const mean = y.reduce((s, v) => s + v, 0) / y.length;
      const variance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / (y.length - 1);
      expect(Math.abs(mean)).toBeLessThan(0.01);
      expect(Math.abs(variance - 1)).toBeLessThan(0.015);
      // the share of values at the dropped level is p
      const dropped = y.filter((v) => Math.abs(v - (-ALPHA * aOf(p) + ALPHA * aOf(p) * p)) < 1e-12).length;
      expect(Math.abs(dropped / y.length - p)).toBeLessThan(0.01);
    }
  });

  it('p = 1 is x·0, p = 0 and eval mode the identity (torch: alpha_dropout(tensor([1., -2.]), 1.0, True) → [0., -0.])', () => {
    const x = f64([1, -2]).requireGrad(true);
    const y = new nn.AlphaDropout(1).forward(x);
    expect(Object.is(y.data[0], 0) && Object.is(y.data[1], -0)).toBe(true);
    tg.sum(y).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0]);
    expect(Array.from(new nn.AlphaDropout(0).forward(f64([1, 2])).data)).toEqual([1, 2]);
    expect(Array.from(new nn.AlphaDropout(0.5).eval().forward(f64([1, 2])).data)).toEqual([1, 2]);
  });
});
