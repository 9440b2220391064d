// nn.MaxUnpool1d/2d and F.maxUnpool1d/2d against PyTorch 1.13 in float64: max pooling with indices then unpooling,
// values and the input gradient through both (overlapping windows: an input winning two windows has its index twice,
// written once, and the gradient at that index reaches it once per window, as PyTorch's gather), batched and
// unbatched, default and explicit output sizes; values sharing an index (PyTorch writes the last one, each gets the
// gradient there). REFS was printed by this script (Debian's python3-torch 1.13, /usr/bin/python3):
//   import torch, json, math
//   import torch.nn as nn
//   import torch.nn.functional as F
//   torch.set_default_dtype(torch.float64)
//   def inp(shape):  # integers in [-3, 2]: many ties
//       n = math.prod(shape)
//       return torch.tensor([float(math.floor(3*math.sin(0.9*i+0.2))) for i in range(n)]).reshape(shape).requires_grad_()
//   def wts(shape):
//       n = math.prod(shape)
//       return torch.tensor([math.cos(i*0.37) for i in range(n)]).reshape(shape)
//   r = lambda t: [round(v, 6) for v in t.detach().flatten().tolist()]
//   out = []
//   # max pooling then unpooling (overlapping windows: an input can win two windows, its index appears twice)
//   for name, shape, pool, unpool, size in [
//       ('2d', [1, 2, 5, 6], lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True), lambda y, i, s: F.max_unpool2d(y, i, 3, 2, 1, output_size=s), [1, 2, 5, 6]),
//       ('2d', [2, 4, 5], lambda x: F.max_pool2d(x, 2, return_indices=True), lambda y, i, s: nn.MaxUnpool2d(2)(y, i, output_size=s), [4, 5]),
//       ('1d', [2, 2, 9], lambda x: F.max_pool1d(x, 3, 2, 1, return_indices=True), lambda y, i, s: F.max_unpool1d(y, i, 3, 2, 1, output_size=s), None),
//       ('1d', [3, 8], lambda x: F.max_pool1d(x, 2, return_indices=True), lambda y, i, s: nn.MaxUnpool1d(2)(y, i, output_size=s), [9]),
//   ]:
//       x = inp(shape)
//       y, i = pool(x)
//       u = unpool(y, i, size)
//       (u * wts(u.shape)).sum().backward()
//       out.append(dict(name=name, shape=shape, size=size, outShape=list(u.shape), u=r(u), grad=r(x.grad)))
//   # values sharing an index: PyTorch writes the last, each gets the gradient there
//   v = torch.tensor([[[1., 2., 3.]]], requires_grad=True)
//   u = F.max_unpool1d(v, torch.tensor([[[4, 4, 1]]]), 2)
//   (u * wts(u.shape)).sum().backward()
//   out.append(dict(name='shared', u=r(u), grad=r(v.grad)))
//   print(json.dumps(out, separators=(',', ':')))
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { close, input, weights } from './pool-inputs.js';

const nn = tg.nn;
const F = tg.nn.functional;

const REFS: any[] = [
  {
    name: '2d',
    shape: [1, 2, 5, 6],
    size: [1, 2, 5, 6],
    outShape: [1, 2, 5, 6],
    u: [
      0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ],
    grad: [
      0.0, 1.864655, 0.0, 0.0, 0.0, 0.0, 0.0, -0.851691, -0.983557, -1.964608, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, 0.0, 0.083883, -0.282135, 0.0, -0.855242, 0.0, 0.0, 0.0, 0.0, 0.0, 0.104236, 0.0,
      0.0, 0.0, 0.0, 0.927312, 0.72921, 0.864826, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.752098, 0.939525, 1.999582, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ],
  },
  {
    name: '2d',
    shape: [2, 4, 5],
    size: [4, 5],
    outShape: [2, 4, 5],
    u: [
      0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0,
    ],
    grad: [
      0.0, 0.932327, 0.738469, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.743046, 0.0,
      0.999977, 0.0, 0.0, 0.0, 0.083883, -0.282135, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.104236, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, 0.432413, 0.0, 0.0,
    ],
  },
  {
    name: '1d',
    shape: [2, 2, 9],
    size: null,
    outShape: [2, 2, 9],
    u: [
      0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, -2.0, 0.0,
      0.0, 0.0, 2.0, 2.0, 0.0, -2.0, 0.0, 0.0, 0.0, 2.0, 2.0, 0.0, -2.0, 0.0, 0.0, 0.0,
    ],
    grad: [
      0.0, 1.864655, 0.0, 0.444662, 0.0, 0.0, 0.0, -0.851691, -0.983557, -0.982304, -0.8481, 0.0, 0.0, 0.0,
      0.450755, 0.743046, 0.93477, 0.0, 0.929841, 0.0, 0.0, 0.083883, -0.282135, -0.609967, 0.0, -0.984765,
      0.0, 0.0, -0.59364, -0.262463, 0.104236, 0.0, 0.74759, 0.0, 0.0, 0.927312,
    ],
  },
  {
    name: '1d',
    shape: [3, 8],
    size: [9],
    outShape: [3, 9],
    u: [
      0.0, 2.0, 2.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, -2.0, 0.0, 2.0, 0.0, 2.0, 0.0,
      -2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0,
    ],
    grad: [
      0.0, 0.932327, 0.738469, 0.0, 0.090672, 0.0, 0.0, -0.851691, -0.982304, 0.0, -0.59911, 0.0, 0.0,
      0.450755, 0.0, 0.93477, 0.929841, 0.0, 0.438547, 0.0, 0.0, -0.609967, -0.855242, 0.0,
    ],
  },
  { name: 'shared', u: [0.0, 3.0, 0.0, 0.0, 2.0, 0.0], grad: [0.090672, 0.090672, 0.932327] },
];

const int32 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'int32' });

type Pair = [tg.Tensor, tg.Tensor];
/** The pool and unpool of each REFS case, in the script's order. */
const CASES: [(x: tg.Tensor) => Pair, (y: tg.Tensor, i: tg.Tensor, s: any) => tg.Tensor][] = [
  [
    (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, returnIndices: true }),
    (y, i, s) => F.maxUnpool2d(y, i, 3, { stride: 2, padding: 1, outputSize: s }),
  ],
  [(x) => F.maxPool2d(x, 2, { returnIndices: true }), (y, i, s) => new nn.MaxUnpool2d(2).forward(y, i, s)],
  [
    (x) => new nn.MaxPool1d(3, 2, 1, 1, true).forward(x),
    (y, i, s) => F.maxUnpool1d(y, i, 3, { stride: 2, padding: 1, outputSize: s }),
  ],
  [(x) => F.maxPool1d(x, 2, { returnIndices: true }), (y, i, s) => new nn.MaxUnpool1d(2).forward(y, i, s)],
];

describe('max unpooling equals PyTorch 1.13 (values and gradients)', () => {
  CASES.forEach(([pool, unpool], k) => {
    const r = REFS[k];
    it(`${r.name} ${JSON.stringify(r.shape)} output_size ${JSON.stringify(r.size)}`, () => {
      const x = input(r.shape);
      const [y, idx] = pool(x);
      const u = unpool(y, idx, r.size);
      expect(u.shape).toEqual(r.outShape);
      close(u.data as ArrayLike<number>, r.u, 'value');
      tg.sum(tg.mul(u, weights(u.shape))).backward();
      close(x.grad!.data as ArrayLike<number>, r.grad, 'grad');
    });
  });
  it('values sharing an index: the last is written, each gets the gradient there', () => {
    const r = REFS[4];
    const v = tg.tensor([1, 2, 3], [1, 1, 3], { dtype: 'float64' }).requireGrad(true);
    const u = F.maxUnpool1d(v, int32([4, 4, 1], [1, 1, 3]), 2);
    close(u.data as ArrayLike<number>, r.u, 'value');
    tg.sum(tg.mul(u, weights(u.shape))).backward();
    close(v.grad!.data as ArrayLike<number>, r.grad, 'grad');
  });
  it('float32 keeps its dtype; the shared value is exact (no sum and difference)', () => {
    const v = tg.tensor([1e-8, 1, 7], [1, 3]);
    const u = F.maxUnpool1d(v, int32([2, 2, 0], [1, 3]), 2);
    expect(u.dtype).toBe('float32');
    expect(Array.from(u.data)).toEqual([7, 0, 1, 0, 0, 0]);
  });
});

describe('max unpooling refusals (PyTorch 1.13 messages)', () => {
  const x = tg.ones([1, 1, 3]);
  it('an index outside the output plane', () => {
    // torch: F.max_unpool1d(x, [[[0, 5, 9]]], 2) → "Found an invalid max index: 9 (output volumes are of size 6x1"
    throwsA(tg.ValueError, () => F.maxUnpool1d(x, int32([0, 5, 9], [1, 1, 3]), 2), [
      'nn.functional.maxUnpool1d: Found an invalid max index: 9 (output volumes are of size 6x1)',
    ]);
    throwsA(tg.ValueError, () => new nn.MaxUnpool1d(2).forward(x, int32([0, 5, -1], [1, 1, 3])), [
      'Found an invalid max index: -1',
    ]);
  });
  it('an output_size outside (default - stride, default + stride) or of the wrong length', () => {
    // torch: output_size=[8] → 'invalid output_size "[8]" (dim 0 must be between 4 and 8)'; a 3-element size for
    // max_unpool2d → "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"
    const i = int32([0, 5, 4], [1, 1, 3]);
    throwsA(tg.ValueError, () => new nn.MaxUnpool1d(2).forward(x, i, [8]), [
      'invalid output_size [8] (dim 0 must be between 4 and 8, exclusive)',
    ]);
    expect(Array.from(new nn.MaxUnpool1d(2).forward(x, i, [1, 1, 7]).data)).toEqual([1, 0, 0, 0, 1, 1, 0]);
    throwsA(
      tg.ValueError,
      () =>
        F.maxUnpool2d(tg.ones([1, 1, 2, 2]), int32([0, 3, 8, 15], [1, 1, 2, 2]), 2, {
          outputSize: [1, 4, 4],
        }),
      ["output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"],
    );
  });
  it('indices of another shape or dtype, a wrong rank, a 1-tuple for 2-d', () => {
    throwsA(tg.ShapeError, () => F.maxUnpool1d(x, int32([0, 5], [1, 1, 2]), 2), [
      'Expected shape of indices to be same as that of the input tensor',
    ]);
    throwsA(tg.DTypeError, () => F.maxUnpool1d(x, tg.tensor([0, 5, 4], [1, 1, 3]), 2), [
      'indices must be int32',
      'got float32',
    ]);
    throwsA(tg.ShapeError, () => new nn.MaxUnpool1d(2).forward(tg.ones([3]), int32([0, 5, 4], [3])), [
      'expected 2D or 3D input',
    ]);
    // torch: nn.MaxUnpool2d((2,)) fails at forward ("exactly two elements (height, width) in output_size")
    throwsA(tg.ValueError, () => new nn.MaxUnpool2d([2] as never), ['MaxUnpool2d: kernel_size must be']);
    throwsA(tg.ValueError, () => new nn.MaxUnpool1d(2, null, -1), [
      'MaxUnpool1d: padding must be a non-negative',
    ]);
  });
});
