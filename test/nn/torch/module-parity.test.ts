// PyTorch parity of tg.nn found in session 29's audit, each against PyTorch 1.13 (values from Debian's python3-torch
// in float64, the calls quoted beside them) or a plain-loop reference: Softmax/LogSoftmax without a dim,
// ConvTranspose2d's output_size, zeroGrad(setToNone), train(non-boolean), cached activations, recurrent dropout 1,
// named_buffers.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { torchLstm } from '../../support/rnn-loops.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });
const close = (got: ArrayLike<number>, want: number[], digits = 14) => {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(got[i], `[${i}]`).toBeCloseTo(v, digits));
};

describe('nn.Softmax() / nn.LogSoftmax() without a dim: PyTorch _get_softmax_dim', () => {
  it('rank 4 takes dim 1 (the channels), rank 3 dim 0, rank 0 the scalar itself', () => {
    // torch: nn.Softmax()(tensor([1., 2, 3, 4]).reshape(1, 2, 1, 2)) (and LogSoftmax)
    const x4 = f64([1, 2, 3, 4], [1, 2, 1, 2]);
    close(
      new nn.Softmax().forward(x4).data,
      [0.11920292202211755, 0.11920292202211755, 0.8807970779778823, 0.8807970779778823],
    );
    close(
      new nn.LogSoftmax().forward(x4).data,
      [-2.1269280110429727, -2.1269280110429727, -0.1269280110429726, -0.1269280110429726],
    );
    // torch: nn.Softmax()(tensor([0., 1, 2, 3, 4, 5]).reshape(2, 1, 3) / 2)
    const x3 = f64([0, 0.5, 1, 1.5, 2, 2.5], [2, 1, 3]);
    close(
      new nn.Softmax().forward(x3).data,
      [
        0.18242552380635632, 0.18242552380635632, 0.18242552380635632, 0.8175744761936437, 0.8175744761936437,
        0.8175744761936437,
      ],
    );
    close(
      new nn.LogSoftmax().forward(x3).data,
      [
        -1.7014132779827524, -1.7014132779827524, -1.7014132779827524, -0.20141327798275246,
        -0.20141327798275246, -0.20141327798275246,
      ],
    );
    // torch: nn.Softmax()(tensor(3.)) → 1., nn.LogSoftmax()(tensor(3.)) → 0.
    expect(Array.from(new nn.Softmax().forward(tg.scalar(3)).data)).toEqual([1]);
    expect(Array.from(new nn.LogSoftmax().forward(tg.scalar(3)).data)).toEqual([0]);
    // an explicit dim is kept; a non-integer dim is refused by name
    close(
      new nn.Softmax(-1).forward(x4).data,
      [0.2689414213699951, 0.7310585786300049, 0.2689414213699951, 0.7310585786300049],
    );
    throwsA(tg.ValueError, () => new nn.Softmax(1.5), ['Softmax', 'dim', '1.5']);
  });
});

describe('nn.ConvTranspose2d forward(x, outputSize)', () => {
  const make = () => {
    const ct = new nn.ConvTranspose2d(1, 1, 3, { stride: 2, padding: 1, dtype: 'float64' });
    ct.weight.data.set(Array.from({ length: 9 }, (_, i) => i / 7 - 0.5));
    ct.bias!.data.set([0.25]);
    return ct;
  };
  it('picks the output_padding that gives the requested size ([h, w] or [n, c, h, w]); values and input gradient', () => {
    // torch: ct = nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1); weight arange(9)/7 - 0.5, bias 0.25;
    //   x = arange(9)/10 as [1, 1, 3, 3]; y = ct(x, output_size=[1, 1, 6, 6]); (y·arange(36)).sum().backward()
    const ct = make();
    const x = f64(
      Array.from({ length: 9 }, (_, i) => i / 10),
      [1, 1, 3, 3],
    ).requireGrad(true);
    expect(ct.forward(x).shape).toEqual([1, 1, 5, 5]);
    const y = ct.forward(x, [1, 1, 6, 6]);
    expect(y.shape).toEqual([1, 1, 6, 6]);
    close(
      y.data,
      [
        0.25, 0.24285714285714285, 0.2571428571428571, 0.2571428571428571, 0.2642857142857143,
        0.29285714285714287, 0.14285714285714285, 0.021428571428571408, 0.15714285714285714,
        0.04999999999999993, 0.17142857142857143, 0.2714285714285714, 0.2714285714285714, 0.2857142857142857,
        0.2785714285714286, 0.3, 0.2857142857142857, 0.35714285714285715, 0.18571428571428572,
        0.10714285714285715, 0.2, 0.13571428571428562, 0.21428571428571425, 0.3999999999999999,
        0.2928571428571428, 0.32857142857142857, 0.3, 0.34285714285714286, 0.3071428571428571,
        0.4214285714285715, 0.55, 0.8857142857142857, 0.6, 0.9857142857142855, 0.65, 0.7642857142857142,
      ],
    );
    tg.sum(
      tg.mul(
        y,
        f64(
          Array.from({ length: 36 }, (_, i) => i),
          [1, 1, 6, 6],
        ),
      ),
    ).backward();
    close(
      x.grad!.data,
      [
        7.714285714285714, 13.0, 16.428571428571427, 21.21428571428571, 25.285714285714285, 26.57142857142857,
        31.499999999999996, 32.99999999999999, 34.28571428571428,
      ],
      12,
    );
    // torch: ct(x, output_size=[5, 6]).shape → (1, 1, 5, 6)
    expect(ct.forward(x, [5, 6]).shape).toEqual([1, 1, 5, 6]);
  });
  it('refuses sizes out of range and lists of the wrong length with PyTorch words', () => {
    const ct = make();
    const x = tg.zeros([1, 1, 3, 3], { dtype: 'float64' });
    // torch: ct(x, output_size=[7, 7]) → ValueError: requested an output size of [7, 7], but valid sizes range
    //   from [5, 5] to [6, 6] (for an input of torch.Size([3, 3]))
    throwsA(tg.ValueError, () => ct.forward(x, [7, 7]), [
      'ConvTranspose2d',
      'requested an output size of [7, 7], but valid sizes range from [5, 5] to [6, 6] (for an input of [3, 3])',
    ]);
    // torch: ct(x, output_size=[6]) → ValueError: ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements (got 1)
    throwsA(tg.ValueError, () => ct.forward(x, [6]), ['output_size must have 2 or 4 elements', '[6]']);
  });
});

describe('Module state: zeroGrad(setToNone), train(mode), cached tensors, buffers', () => {
  it('zeroGrad(false) leaves zeros of each grad shape (PyTorch 1.13 default); zeroGrad() leaves null', () => {
    // torch: l = nn.Linear(2, 2); l(ones(1, 2)).sum().backward(); l.zero_grad(set_to_none=False) → weight.grad zeros(2, 2)
    const l = new nn.Linear(2, 2);
    tg.sum(l.forward(tg.ones([1, 2]))).backward();
    l.zeroGrad(false);
    expect(l.weight.grad!.shape).toEqual([2, 2]);
    expect(Array.from(l.weight.grad!.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(l.bias!.grad!.data)).toEqual([0, 0]);
    // the next backward accumulates onto the zeros: the grads of one step
    tg.sum(l.forward(tg.ones([1, 2]))).backward();
    expect(Array.from(l.weight.grad!.data)).toEqual([1, 1, 1, 1]);
    l.zeroGrad();
    expect(l.weight.grad).toBeNull();
    throwsA(tg.ValueError, () => l.zeroGrad('no' as never), ['zeroGrad', 'set_to_none', '"no"']);
  });

  it('train(mode) refuses a non-boolean (torch: ValueError: training mode is expected to be boolean)', () => {
    throwsA(tg.ValueError, () => new nn.Linear(2, 2).train('x' as never), [
      'train',
      'training mode is expected to be boolean',
      '"x"',
    ]);
    expect(new nn.Linear(2, 2).train(false).training).toBe(false);
  });

  it('an activation kept on `this` in forward is no parameter (torch registers only Parameters)', () => {
    // torch: a module whose forward does self.last = self.fc(x) lists ['fc.weight', 'fc.bias'] after a call too
    class Net extends nn.Module {
      fc = new nn.Linear(2, 2);
      last: tg.Tensor | null = null;
      forward(x: tg.Tensor) {
        this.last = this.fc.forward(x);
        return this.last;
      }
    }
    const net = new Net();
    net.forward(tg.ones([1, 2]));
    expect(net.last!.requiresGrad).toBe(true);
    expect(net.namedParameters().map(([n]) => n)).toEqual(['fc.weight', 'fc.bias']);
    expect(net.countParams()).toBe(6);
  });

  it('namedBuffers() lists running statistics by path, in PyTorch order', () => {
    // torch: nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).named_buffers() →
    //   ['1.running_mean', '1.running_var', '1.num_batches_tracked']
    const s = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
    expect(s.namedBuffers().map(([n, t]) => [n, t.shape])).toEqual([
      ['1.running_mean', [3]],
      ['1.running_var', [3]],
      ['1.num_batches_tracked', []],
    ]);
    expect(s.buffers()).toEqual(s.namedBuffers().map(([, t]) => t));
    expect(new nn.Linear(2, 2).namedBuffers()).toEqual([]);
  });
});

describe('recurrent dropout 1 (torch allows dropout in [0, 1])', () => {
  it('LSTM(numLayers 2, dropout 1) in train mode feeds zeros to layer 2; in eval mode dropout does nothing', () => {
    // torch: nn.LSTM(2, 3, num_layers=2, dropout=1.0).train() → output equals layer 2 run on zeros
    tg.setSeed(4);
    const m = new nn.LSTM(2, 3, { numLayers: 2, dropout: 1, dtype: 'float64' });
    const w = (k: string) => Array.from((m as unknown as Record<string, tg.Tensor>)[k].data);
    const xs = [
      [0.5, -1],
      [2, 0.25],
      [-0.75, 1.5],
    ];
    const x = f64(xs.flat(), [3, 1, 2]);
    const l1 = (inp: number[][]) =>
      torchLstm(inp, w('weight_ih_l1'), w('weight_hh_l1'), w('bias_ih_l1'), w('bias_hh_l1'), 3);
    const [train] = m.forward(x);
    close(train.data, l1(xs.map(() => [0, 0, 0])).flat(), 12);
    const [ev] = m.eval().forward(x);
    const h0 = torchLstm(xs, w('weight_ih_l0'), w('weight_hh_l0'), w('bias_ih_l0'), w('bias_hh_l0'), 3);
    close(ev.data, l1(h0).flat(), 12);
    throwsA(tg.ValueError, () => new nn.GRU(2, 3, { dropout: 1.5 }), [
      'GRU',
      'dropout should be a number in range [0, 1]',
      '1.5',
    ]);
  });
});
