// tg.nn.Bilinear and F.bilinear against PyTorch 1.13 (float64 values and the gradients of sum(y · g) for both inputs,
// weight and bias; batched, 3-D and unbatched inputs; the fixture is named in modules3-data.ts), its init, its
// state-dict names and its errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { FIX, backwardWith, close, leaf } from './modules3-data.js';

describe('tg.nn.Bilinear against PyTorch 1.13', () => {
  for (const c of FIX.bilinear)
    it(`${JSON.stringify(c.s1)} × ${JSON.stringify(c.s2)} → ${c.out}${c.b ? '' : ' (no bias)'}`, () => {
      const in1 = c.s1[c.s1.length - 1];
      const in2 = c.s2[c.s2.length - 1];
      const m = new tg.nn.Bilinear(in1, in2, c.out, { bias: !!c.b, dtype: 'float64' });
      m.weight = leaf(c.w, [c.out, in1, in2]);
      if (c.b) m.bias = leaf(c.b, [c.out]);
      const x1 = leaf(c.x1, c.s1);
      const x2 = leaf(c.x2, c.s2);
      const y = m.forward(x1, x2);
      close(y, c.y, 'y', c.y_shape);
      backwardWith(y, c.g);
      close(x1.grad, c.gx1, 'dx1', c.s1);
      close(x2.grad, c.gx2, 'dx2', c.s2);
      close(m.weight.grad, c.gw, 'dweight');
      if (c.b) close(m.bias!.grad, c.gb, 'dbias');
      const yf = tg.nn.functional.bilinear(
        x1.detach(),
        x2.detach(),
        m.weight.detach(),
        m.bias?.detach() ?? null,
      );
      close(yf, c.y, 'F.bilinear');
    });
});

describe('tg.nn.Bilinear module', () => {
  it("has PyTorch's parameters: weight [out, in1, in2] and bias [out] ~ U(-1/√in1, 1/√in1)", () => {
    const m = new tg.nn.Bilinear(9, 3, 40);
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    expect(m.weight.shape).toEqual([40, 9, 3]);
    expect(m.bias!.shape).toEqual([40]);
    for (const t of [m.weight, m.bias!]) {
      const v = Array.from(t.data as ArrayLike<number>);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(1 / 3);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.25); // spread over the range, not a narrower init
    }
    expect(Object.keys(new tg.nn.Bilinear(2, 3, 4, { bias: false }).stateDict())).toEqual(['weight']);
  });
  it('refuses bad arguments and shapes with PyTorch-like messages', () => {
    throwsA(tg.ValueError, () => new tg.nn.Bilinear(0, 2, 2), [
      'Bilinear: in1_features must be a positive integer',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.Bilinear(2, 2, 2, { bias: 1 } as never), [
      'Bilinear: bias must be true or false',
    ]);
    const m = new tg.nn.Bilinear(3, 4, 2);
    throwsA(tg.ShapeError, () => m.forward(tg.zeros([5, 3]), tg.zeros([4, 4])), [
      'input batch dimensions do not match at dim 0: got 5 and 4',
    ]);
    throwsA(tg.ShapeError, () => m.forward(tg.zeros([5, 3]), tg.zeros([5, 5])), [
      'input2 size does not match weight size: got 5 but expected 4',
    ]);
    throwsA(tg.ShapeError, () => m.forward(tg.zeros([5, 2]), tg.zeros([5, 4])), [
      'input1 size does not match weight size: got 2 but expected 3',
    ]);
    throwsA(tg.ShapeError, () => m.forward(tg.zeros([1, 5, 3]), tg.zeros([5, 4])), [
      'input dimensions do not match: got 3 and 2',
    ]);
  });
});
