// tg.nn.Linear with zero in_features or out_features, as PyTorch 1.13 allows it (values from Debian's python3-torch
// in float64, the calls quoted beside them): shapes, init, forward, gradients, parameter counts and names.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;

describe('tg.nn.Linear(0, n) and Linear(n, 0)', () => {
  it('Linear(0, 3): weight [3, 0], a zero bias (bound 1/√fan_in is 0 for fan_in 0), output = bias broadcast', () => {
    // torch: l = nn.Linear(0, 3) → l.weight.shape (3, 0), l.bias = [0., 0., 0.], 3 parameters, state_dict keys
    //   ['weight', 'bias']; x = zeros(2, 0, requires_grad=True); l(x).sum().backward() → y zeros(2, 3),
    //   x.grad zeros(2, 0), l.weight.grad zeros(3, 0), l.bias.grad [2., 2., 2.]
    tg.setSeed(3);
    const l = new nn.Linear(0, 3, { dtype: 'float64' });
    expect(l.weight.shape).toEqual([3, 0]);
    expect(Array.from(l.bias!.data)).toEqual([0, 0, 0]);
    expect(l.countParams()).toBe(3);
    expect(l.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
      ['weight', [3, 0]],
      ['bias', [3]],
    ]);
    const x = tg.zeros([2, 0], { dtype: 'float64' }).requireGrad(true);
    l.bias!.data.set([1, 2, 3]);
    const y = l.forward(x);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([1, 2, 3, 1, 2, 3]);
    tg.sum(y).backward();
    expect(x.grad!.shape).toEqual([2, 0]);
    expect(l.weight.grad!.shape).toEqual([3, 0]);
    expect(Array.from(l.bias!.grad!.data)).toEqual([2, 2, 2]);
    // without bias the output is the empty sum: zeros
    expect(Array.from(new nn.Linear(0, 2, { bias: false }).forward(tg.zeros([1, 0])).data)).toEqual([0, 0]);
    expect(l.paramFormula()).toBe('(0+1)·3 = 3');
  });

  it('Linear(3, 0): weight [0, 3], bias [0], output [..., 0], input gradient zeros', () => {
    // torch: l2 = nn.Linear(3, 0); y = l2(randn(2, 3, requires_grad=True)) → shape (2, 0);
    //   y.sum().backward() → x.grad zeros(2, 3), l2.bias.grad [] , l2.weight.grad zeros(0, 3)
    const l = new nn.Linear(3, 0, { dtype: 'float64' });
    expect(l.weight.shape).toEqual([0, 3]);
    expect(l.bias!.shape).toEqual([0]);
    expect(l.countParams()).toBe(0);
    const x = tg.randn([2, 3], { dtype: 'float64' }).requireGrad(true);
    const y = l.forward(x);
    expect(y.shape).toEqual([2, 0]);
    tg.sum(y).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(l.weight.grad!.shape).toEqual([0, 3]);
    // torch: nn.Linear(0, 0)(zeros(4, 0)).shape → (4, 0)
    expect(new nn.Linear(0, 0).forward(tg.zeros([4, 0])).shape).toEqual([4, 0]);
  });

  it('in a Sequential: names, summary, weights round trip; negative and fractional sizes are still refused', () => {
    const s = new nn.Sequential(new nn.Linear(0, 3), new nn.Linear(3, 0));
    expect(s.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
      ['0.weight', [3, 0]],
      ['0.bias', [3]],
      ['1.weight', [0, 3]],
      ['1.bias', [0]],
    ]);
    const text = s.summary({ inputShape: [0], print: false });
    expect(text).toContain('Total params: 3');
    s.setWeights(s.getWeights().map((w) => tg.add(w, 1)));
    expect(Array.from(s.forward(tg.zeros([1, 0])).data)).toEqual([]);
    expect(Array.from((s.at(0) as tg.nn.Linear).bias!.data)).toEqual([1, 1, 1]);
    throwsA(tg.ValueError, () => new nn.Linear(-1, 2), ['Linear', 'in_features', 'non-negative', '-1']);
    throwsA(tg.ValueError, () => new nn.Linear(2, 1.5), ['Linear', 'out_features', '1.5']);
    throwsA(tg.ShapeError, () => new nn.Linear(0, 2).forward(tg.zeros([2, 1])), ['in_features is 0']);
  });
});
