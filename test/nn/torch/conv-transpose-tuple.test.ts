// nn.ConvTranspose2d given PyTorch 1-tuples: torch 1.13 keeps stride=(2,), padding=(1,), dilation=(2,) and
// output_padding=(1,) as given and its conv_transpose2d expands each to both axes; a 1-tuple kernel_size makes a
// 3-D weight its forward refuses, and forward(x, output_size) with a 1-tuple stride/padding/dilation raises
// IndexError (its _output_padding reads stride[1]). REF was printed by this script (Debian's python3-torch 1.13,
// /usr/bin/python3):
//   import torch, json, math
//   import torch.nn as nn
//   torch.set_default_dtype(torch.float64)
//   m = nn.ConvTranspose2d(2, 3, 3, stride=(2,), padding=(1,), dilation=(2,), output_padding=(1,))
//   with torch.no_grad():
//       m.weight.copy_(torch.tensor([math.cos(0.37*i) for i in range(m.weight.numel())]).reshape(m.weight.shape))
//       m.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
//   x = torch.tensor([math.sin(0.7*i+0.3) for i in range(1*2*3*4)]).reshape(1, 2, 3, 4).requires_grad_()
//   y = m(x)
//   y.sum().backward()
//   r = lambda t: [round(v, 6) for v in t.detach().flatten().tolist()]
//   print(json.dumps(dict(stride=m.stride, padding=m.padding, dilation=m.dilation, output_padding=m.output_padding, outShape=list(y.shape), y=r(y), grad=r(x.grad)), separators=(',', ':')))
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const REF = {
  stride: [2],
  padding: [1],
  dilation: [2],
  output_padding: [1],
  outShape: [1, 3, 8, 10],
  y: [
    0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 1.055536, 0.1, -0.373782, 0.1, -3.183496, 0.1,
    -3.16899, 0.1, -1.697391, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, -1.851819, 0.1,
    -2.525647, 0.1, -1.46766, 0.1, -0.257385, 0.1, 0.309871, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
    0.1, -0.153408, 0.1, 1.853112, 0.1, 3.723334, 0.1, 2.546423, 0.1, 1.01594, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
    0.1, 0.1, 0.1, 0.1, 0.1, 1.826194, 0.1, 1.260995, 0.1, -1.515878, 0.1, -2.209744, 0.1, -1.464815, -0.2,
    -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.88671, -0.2, 0.814929, -0.2, 3.544677,
    -0.2, 3.184893, -0.2, 1.542371, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2,
    1.750313, -0.2, 2.24079, -0.2, 1.062217, -0.2, -0.050936, -0.2, -0.477738, -0.2, -0.2, -0.2, -0.2, -0.2,
    -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.320117, -0.2, -2.30937, -0.2, -3.670742, -0.2, -2.254782, -0.2,
    -0.811883, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -1.925836, -0.2, -1.125325,
    -0.2, 1.716199, -0.2, 2.193671, -0.2, 1.325855, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3,
    0.69358, 0.3, -1.220155, 0.3, -3.773324, 0.3, -3.080996, 0.3, -1.325684, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3,
    0.3, 0.3, 0.3, 0.3, 0.3, -1.57978, 0.3, -1.869549, 0.3, -0.612101, 0.3, 0.364532, 0.3, 0.635775, 0.3, 0.3,
    0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.78939, 0.3, 2.690972, 0.3, 3.495311, 0.3, 1.890416, 0.3,
    0.586169, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 1.964397, 0.3, 0.956905, 0.3, -1.848701,
    0.3, -2.092881, 0.3, -1.132892,
  ],
  grad: [
    -2.39508, -2.852317, -2.852317, -2.852317, -0.99909, -0.508789, -0.508789, -0.508789, -0.99909, -0.508789,
    -0.508789, -0.508789, 3.177964, 4.407446, 4.407446, 4.407446, 2.686493, 3.212574, 3.212574, 3.212574,
    2.686493, 3.212574, 3.212574, 3.212574,
  ],
};

function close(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThan(2e-6));
}

describe('ConvTranspose2d with 1-tuples (PyTorch 1.13)', () => {
  it('stride, padding, dilation and output_padding [k] stand for both axes: values and gradient equal PyTorch', () => {
    const m = new nn.ConvTranspose2d(2, 3, 3, {
      stride: [2],
      padding: [1],
      dilation: [2],
      outputPadding: [1],
      dtype: 'float64',
    });
    expect([m.stride, m.padding, m.dilation, m.outputPadding]).toEqual([
      [2, 2],
      [1, 1],
      [2, 2],
      [1, 1],
    ]);
    m.weight.data.set(Array.from({ length: m.weight.size }, (_, i) => Math.cos(0.37 * i)));
    m.bias!.data.set([0.1, -0.2, 0.3]);
    const x = tg
      .tensor(
        Array.from({ length: 24 }, (_, i) => Math.sin(0.7 * i + 0.3)),
        [1, 2, 3, 4],
        { dtype: 'float64' },
      )
      .requireGrad(true);
    const y = m.forward(x);
    expect(y.shape).toEqual(REF.outShape);
    close(y.data as ArrayLike<number>, REF.y, 'value');
    tg.sum(y).backward();
    close(x.grad!.data as ArrayLike<number>, REF.grad, 'grad');
  });
  it('a 1-tuple kernel_size, and output_size with a 1-tuple stride, are refused as PyTorch fails on them', () => {
    throwsA(tg.ValueError, () => new nn.ConvTranspose2d(1, 1, [3] as never), [
      'ConvTranspose2d: kernel_size must be a positive integer or pair, got [3]',
    ]);
    throwsA(tg.ValueError, () => new nn.ConvTranspose2d(1, 1, 3, { stride: [2, 3, 4] as never }), [
      'ConvTranspose2d: stride must be a positive integer or pair (or [k] for both), got [2,3,4]',
    ]);
    const m = new nn.ConvTranspose2d(1, 1, 3, { stride: [2], name: 'up' });
    expect(m.forward(tg.ones([1, 1, 4, 5])).shape).toEqual([1, 1, 9, 11]);
    throwsA(tg.ValueError, () => m.forward(tg.ones([1, 1, 4, 5]), [9, 11]), [
      'up (ConvTranspose2d): output_size needs stride given as a pair [h, w], not a 1-tuple',
    ]);
    const n = new nn.ConvTranspose2d(1, 1, 3, { stride: 2, outputPadding: [1] });
    expect(n.forward(tg.ones([1, 1, 4, 5]), [9, 11]).shape).toEqual([1, 1, 9, 11]);
  });
});
