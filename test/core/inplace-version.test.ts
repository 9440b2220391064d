// Values a graph saved, written in place by the library before backward (an optimizer step, setWeights, `data =`):
// backward refuses, as PyTorch's version counter does ("modified by an inplace operation"), instead of silently
// taking the gradient at the new values. Writes after backward, and graphs recorded after the write, are fine.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const lossOf = (x: tg.Tensor, w: tg.Tensor): tg.Tensor => tg.sum(tg.tanh(tg.matmul(x, tg.matmul(w, w))));

describe('in-place writes between forward and backward', () => {
  it('an optimizer step after the forward pass makes backward throw, naming the op and the tensor', () => {
    tg.setSeed(0);
    const W = tg.randn([8, 8]).requireGrad();
    W.name = 'W';
    const x = tg.randn([4, 8]);
    const opt = new tg.SGD([W], { lr: 1 });
    const loss = lossOf(x, W);
    W.grad = tg.onesLike(W);
    opt.step();
    W.zeroGrad();
    expect(() => loss.backward()).toThrow(tg.GradError);
    const again = lossOf(x, W);
    W.grad = tg.onesLike(W);
    opt.step();
    expect(() => again.backward()).toThrow(
      /'matmul' needs its input \d, 'W' float32 \[8,8\], at the values of the forward pass, but they were changed in place/,
    );
  });

  it('the usual order (forward, backward, step) and a fresh forward after a step work, with the right gradient', () => {
    tg.setSeed(1);
    const W = tg.randn([5, 5]).requireGrad();
    const x = tg.randn([3, 5]);
    const opt = new tg.Adam([W], { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const loss = lossOf(x, W);
      loss.backward();
      const ref = tg.grad((w: tg.Tensor) => lossOf(x, w))(W.detach()).data;
      expect(Array.from(W.grad!.data)).toEqual(Array.from(ref));
      opt.step();
    }
  });

  it('setWeights and a `data =` assignment between forward and backward are refused too', () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3], name: 'd' })] });
    const x = tg.ones([2, 3]);
    const [k] = m.trainableWeights.map((w) => w.value);
    k.requireGrad(true);
    const y1 = tg.sum(m.apply(x) as tg.Tensor);
    m.setWeights(m.getWeights());
    expect(() => y1.backward()).toThrow(
      /'biasAdd' \(in sequential\/d\) needs its input 1, 'd.bias' float32 \[2\], at the values/,
    );
    const w = tg.tensor([1, 2, 3], [3]).requireGrad();
    const y2 = tg.sum(tg.mul(w, w));
    w.data = new Float32Array([4, 5, 6]);
    expect(() => y2.backward()).toThrow(/'mul' needs its input 0, float32 \[3\]/);
  });

  it('a retained graph stepped between two backward calls is refused on the second, as in PyTorch', () => {
    const w = tg.tensor([0.5, -1, 2], [3]).requireGrad();
    const opt = new tg.SGD([w], { lr: 0.1 });
    const y = tg.sum(tg.exp(w));
    y.backward(undefined, { retainGraph: true });
    expect(Array.from(w.grad!.data)).toEqual(Array.from(tg.exp(tg.tensor([0.5, -1, 2], [3])).data));
    opt.step();
    expect(() => y.backward()).toThrow(/'exp' needs its (input 0|output)/);
  });

  it('valueAndGrads inside a loop that steps after each call is unaffected', () => {
    tg.setSeed(2);
    const W = tg.randn([4, 4]).requireGrad();
    const x = tg.randn([2, 4]);
    const opt = new tg.SGD([W], { lr: 0.01 });
    for (let i = 0; i < 3; i++) {
      const { grads } = tg.valueAndGrads((w: tg.Tensor) => lossOf(x, w))(W);
      W.grad = grads[0];
      opt.step();
    }
    expect(Number.isFinite(W.data[0])).toBe(true);
  });
});
