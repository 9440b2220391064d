// nn.ConvTranspose1d (new) against PyTorch 1.13 in float64: 1-tuples for stride, output_padding and kernel_size
// (PyTorch's _single), groups, dilation, no bias, unbatched input and output_size; values, input and weight
// gradients. REFS was printed by this script (Debian's python3-torch 1.13, /usr/bin/python3):
//   import torch, json, math
//   import torch.nn as nn
//   torch.set_default_dtype(torch.float64)
//   r = lambda t: [round(v, 6) for v in t.detach().flatten().tolist()]
//   out = []
//   for args, shape, size in [
//       (dict(stride=(2,), padding=1, output_padding=(1,), dilation=2, groups=2), [2, 2, 5], None),
//       (dict(kernel_size=(2,), stride=3, bias=False), [2, 4], [2, 13]),
//   ]:
//       k = args.pop('kernel_size', 3)
//       m = nn.ConvTranspose1d(2, 4, k, **args)
//       with torch.no_grad():
//           m.weight.copy_(torch.tensor([math.cos(0.37*i) for i in range(m.weight.numel())]).reshape(m.weight.shape))
//           if m.bias is not None: m.bias.copy_(torch.tensor([0.1, -0.2, 0.3, 0.4]))
//       x = torch.tensor([math.sin(0.7*i+0.3) for i in range(math.prod(shape))]).reshape(shape).requires_grad_()
//       y = m(x, output_size=size)
//       (y * torch.tensor([math.cos(0.5*j) for j in range(y.numel())]).reshape(y.shape)).sum().backward()
//       out.append(dict(weightShape=list(m.weight.shape), outShape=list(y.shape), y=r(y), grad=r(x.grad), wgrad=r(m.weight.grad)))
//   print(json.dumps(out, separators=(',', ':')))
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const REFS = [
  {
    weightShape: [2, 2, 3],
    outShape: [2, 4, 12],
    y: [
      0.1, 1.216993, 0.1, 2.094424, 0.1, 2.321419, 0.1, 1.503647, 0.1, 0.637575, 0.1, 0.130706, -0.2,
      0.200965, -0.2, 0.23581, -0.2, -0.041633, -0.2, -0.393558, -0.2, -0.382381, -0.2, -0.211459, 0.3,
      1.412082, 0.3, 2.268445, 0.3, 2.239915, 0.3, 1.299013, 0.3, 0.402392, 0.3, -0.006419, 0.4, 1.879148,
      0.4, 2.463434, 0.4, 2.102166, 0.4, 0.940343, 0.4, 0.359775, 0.4, 0.213352, 0.1, 1.882244, 0.1, 2.313396,
      0.1, 1.47349, 0.1, -0.01239, 0.1, -0.464475, 0.1, -0.361595, -0.2, 0.31704, -0.2, -0.049868, -0.2,
      -0.401528, -0.2, -0.658406, -0.2, -0.263504, -0.2, -0.027737, 0.3, 1.664711, 0.3, 2.22699, 0.3,
      1.268183, 0.3, -0.145976, 0.3, -0.75383, 0.3, -0.545035, 0.4, 2.091892, 0.4, 2.08205, 0.4, 0.906627,
      0.4, -0.50707, 0.4, -0.524848, 0.4, -0.114732,
    ],
    grad: [
      0.863451, 0.983503, -0.993374, -2.056947, -1.229373, -2.708546, -2.310984, 0.719026, 3.087967, 2.617845,
      1.221669, 2.058108, 1.214675, -0.745525, -2.020292, -1.879175, -3.097832, -2.600139, 0.288111, 2.911472,
    ],
    wgrad: [
      2.096976, 1.217797, -0.987716, 2.299138, 1.715755, -0.366792, -2.310199, -3.079741, -1.298648,
      -1.931034, -3.078391, -2.036578,
    ],
  },
  {
    weightShape: [2, 4, 2],
    outShape: [4, 13],
    y: [
      0.254623, 0.234677, 0.0, 1.443268, 1.385557, 0.0, 1.953122, 1.884788, 0.0, 1.544391, 1.497574, 0.0, 0.0,
      0.182968, 0.106495, 0.0, 1.140317, 0.74074, 0.0, 1.561357, 1.026603, 0.0, 1.248066, 0.829639, 0.0, 0.0,
      0.015609, -0.07739, 0.0, 0.240908, -0.29153, 0.0, 0.352904, -0.368559, 0.0, 0.298924, -0.272249, 0.0,
      0.0, -0.159915, -0.220796, 0.0, -0.784511, -1.171312, 0.0, -1.04014, -1.570942, 0.0, -0.806574,
      -1.231734, 0.0, 0.0,
    ],
    grad: [1.964259, 0.566939, -1.884051, -0.833484, -2.649737, -0.057375, 2.64162, 0.431097],
    wgrad: [
      -0.769082, -0.82788, -0.819704, -0.789405, -0.831943, -0.713967, -0.805227, -0.605097, 1.152276,
      0.955925, 1.100488, 0.792933, 0.997171, 0.592813, 0.847162, 0.364934,
    ],
  },
];

const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
function close(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThan(2e-6));
}
const MODULES = [
  () =>
    new nn.ConvTranspose1d(2, 4, 3, {
      stride: [2],
      padding: 1,
      outputPadding: [1],
      dilation: 2,
      groups: 2,
      dtype: 'float64',
    }),
  () => new nn.ConvTranspose1d(2, 4, [2], { stride: 3, bias: false, dtype: 'float64' }),
];
const INPUTS: [number[], number[] | null][] = [
  [[2, 2, 5], null],
  [
    [2, 4],
    [2, 13],
  ],
];

describe('ConvTranspose1d equals PyTorch 1.13', () => {
  REFS.forEach((r, k) => {
    it(`case ${k}: input ${JSON.stringify(INPUTS[k][0])}, output_size ${JSON.stringify(INPUTS[k][1])}`, () => {
      const m = MODULES[k]();
      expect(m.weight.shape).toEqual(r.weightShape);
      m.weight.data.set(Array.from({ length: m.weight.size }, (_, i) => Math.cos(0.37 * i)));
      m.bias?.data.set([0.1, -0.2, 0.3, 0.4]);
      const [shape, outSize] = INPUTS[k];
      const x = tg
        .tensor(
          Array.from({ length: size(shape) }, (_, i) => Math.sin(0.7 * i + 0.3)),
          shape,
          { dtype: 'float64' },
        )
        .requireGrad(true);
      const y = m.forward(x, outSize);
      expect(y.shape).toEqual(r.outShape);
      close(y.data as ArrayLike<number>, r.y, 'value');
      const w = tg.tensor(
        Array.from({ length: y.size }, (_, j) => Math.cos(0.5 * j)),
        y.shape,
        { dtype: 'float64' },
      );
      tg.sum(tg.mul(y, w)).backward();
      close(x.grad!.data as ArrayLike<number>, r.grad, 'input grad');
      close(m.weight.grad!.data as ArrayLike<number>, r.wgrad, 'weight grad');
    });
  });
  it('refusals: bad tuples, output_padding, output_size out of range, wrong channels', () => {
    throwsA(tg.ValueError, () => new nn.ConvTranspose1d(2, 4, [3, 3] as never), [
      'ConvTranspose1d: kernel_size must be',
    ]);
    throwsA(tg.ValueError, () => new nn.ConvTranspose1d(2, 4, 3, { stride: 2, outputPadding: 2 }), [
      'output_padding 2 must be smaller than either stride 2 or dilation 1',
    ]);
    throwsA(tg.ValueError, () => new nn.ConvTranspose1d(2, 4, 3, { paddingMode: 'zeros' } as never), [
      'paddingMode',
    ]);
    const m = new nn.ConvTranspose1d(2, 4, 3, { stride: 2, name: 'up' });
    // torch: m(x, output_size=[14]) for L = 5 → "requested an output size of [14], but valid sizes range from [11] to [12]"
    throwsA(tg.ValueError, () => m.forward(tg.ones([1, 2, 5]), [14]), [
      'up (ConvTranspose1d): requested an output size of [14], but valid sizes range from [11] to [12]',
    ]);
    expect(m.forward(tg.ones([1, 2, 5]), [1, 4, 12]).shape).toEqual([1, 4, 12]);
    throwsA(tg.ShapeError, () => m.forward(tg.ones([1, 3, 5])), ['expected input [N, 2, L], got [1,3,5]']);
  });
});
