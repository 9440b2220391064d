// Max pooling with indices (PyTorch return_indices=True) and the tie rule, against PyTorch 1.13 in float64:
// F.maxPool1d / nn.MaxPool1d (new), F.maxPool2d, and F.adaptiveMaxPool1d/2d / nn.AdaptiveMaxPool1d/2d (indices new,
// gradient on ties now PyTorch's: all of it to the first maximum of a cell, not shared among the tied inputs). The
// input holds small integers, so most windows have ties; PyTorch picks the first maximum of each window for both the
// index and the gradient. Indices are int32 here (PyTorch: int64). REFS was printed by this script (Debian's
// python3-torch 1.13, /usr/bin/python3):
//   import torch, json, math
//   import torch.nn.functional as F
//   torch.set_default_dtype(torch.float64)
//   def inp(shape):  # integers in [-3, 2]: many ties
//       n = math.prod(shape)
//       return torch.tensor([float(math.floor(3*math.sin(0.9*i+0.2))) for i in range(n)]).reshape(shape).requires_grad_()
//   def wts(shape):
//       n = math.prod(shape)
//       return torch.tensor([math.cos(i*0.37) for i in range(n)]).reshape(shape)
//   r = lambda t: [round(v, 6) for v in t.detach().flatten().tolist()]
//   cases = [
//     ('max1d', [2, 2, 9], dict(kernel_size=3, stride=2, padding=1)),
//     ('max1d', [3, 10], dict(kernel_size=2, dilation=2, ceil_mode=True)),
//     ('max2d', [1, 2, 5, 6], dict(kernel_size=3, stride=2, padding=1)),
//     ('max2d', [2, 4, 5], dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True)),
//     ('amax2d', [1, 2, 5, 7], (3, 4)),
//     ('amax2d', [2, 6, 6], (2, None)),
//     ('amax1d', [2, 3, 7], 3),
//     ('amax1d', [2, 8], 4),
//   ]
//   out = []
//   for kind, shape, a in cases:
//       x = inp(shape)
//       if kind == 'max1d': y, i = F.max_pool1d(x, return_indices=True, **a)
//       elif kind == 'max2d': y, i = F.max_pool2d(x, return_indices=True, **a)
//       elif kind == 'amax2d': y, i = F.adaptive_max_pool2d(x, a, return_indices=True)
//       else: y, i = F.adaptive_max_pool1d(x, a, return_indices=True)
//       (y * wts(y.shape)).sum().backward()
//       out.append(dict(kind=kind, shape=shape, args=a, outShape=list(y.shape), y=r(y), idx=i.flatten().tolist(), grad=r(x.grad)))
//   print(json.dumps(out, separators=(',', ':')).replace('None', 'null'))
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { close, input, weights } from './pool-inputs.js';

const nn = tg.nn;
const F = tg.nn.functional;

interface Ref {
  kind: 'max1d' | 'max2d' | 'amax2d' | 'amax1d';
  shape: number[];
  args: any;
  outShape: number[];
  y: number[];
  idx: number[];
  grad: number[];
}
const REFS: Ref[] = [
  {
    kind: 'max1d',
    shape: [2, 2, 9],
    args: { kernel_size: 3, stride: 2, padding: 1 },
    outShape: [2, 2, 5],
    y: [
      2.0, 2.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0, 2.0, 2.0, -2.0, 0.0, 2.0, 2.0, -2.0, 0.0, 2.0, 2.0, -2.0, 0.0,
    ],
    idx: [1, 1, 3, 7, 8, 0, 1, 5, 6, 7, 0, 3, 4, 5, 7, 1, 2, 3, 5, 8],
    grad: [
      0.0, 1.932327, 0.0, 0.738469, 0.0, 0.0, 0.0, 0.444662, 0.090672, -0.27559, -0.604552, 0.0, 0.0, 0.0,
      -0.851691, -0.983557, -0.982304, 0.0, -0.8481, 0.0, 0.0, -0.59911, -0.269033, 0.097456, 0.0, 0.450755,
      0.0, 0.0, 0.743046, 0.93477, 0.999977, 0.0, 0.929841, 0.0, 0.0, 0.733856,
    ],
  },
  {
    kind: 'max1d',
    shape: [3, 10],
    args: { kernel_size: 2, dilation: 2, ceil_mode: true },
    outShape: [3, 5],
    y: [2.0, 2.0, -2.0, 2.0, 2.0, 0.0, 0.0, 2.0, 2.0, -2.0, 2.0, 2.0, 0.0, 0.0, 0.0],
    idx: [2, 2, 4, 8, 8, 0, 4, 6, 6, 8, 2, 2, 4, 8, 8],
    grad: [
      0.0, 0.0, 1.932327, 0.0, 0.738469, 0.0, 0.0, 0.0, 0.535333, 0.0, -0.27559, 0.0, 0.0, 0.0, -0.604552,
      0.0, -1.835248, 0.0, -0.982304, 0.0, 0.0, 0.0, -1.44721, 0.0, -0.269033, 0.0, 0.0, 0.0, 0.548211, 0.0,
    ],
  },
  {
    kind: 'max2d',
    shape: [1, 2, 5, 6],
    args: { kernel_size: 3, stride: 2, padding: 1 },
    outShape: [1, 2, 3, 3],
    y: [2.0, 2.0, 2.0, 0.0, 2.0, 2.0, 0.0, 0.0, 2.0, 2.0, 2.0, 0.0, 2.0, 2.0, 2.0, 0.0, 2.0, 2.0],
    idx: [1, 1, 9, 7, 8, 9, 24, 21, 22, 0, 7, 5, 6, 7, 21, 19, 20, 21],
    grad: [
      0.0, 1.932327, 0.0, 0.0, 0.0, 0.0, 0.0, 0.444662, 0.090672, 0.462878, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, -0.851691, -0.983557, 0.0, -0.604552, 0.0, 0.0, 0.0, 0.0, 0.0, -0.982304, 0.0, 0.0,
      0.0, 0.0, -0.59911, -0.269033, -0.750644, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.743046, 0.93477, 1.450732, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ],
  },
  {
    kind: 'max2d',
    shape: [2, 4, 5],
    args: { kernel_size: [2, 3], stride: [1, 2], ceil_mode: true },
    outShape: [2, 3, 2],
    y: [2.0, 2.0, 0.0, 2.0, 2.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
    idx: [1, 2, 7, 8, 15, 14, 2, 2, 10, 9, 10, 17],
    grad: [
      0.0, 1.0, 0.932327, 0.0, 0.0, 0.0, 0.0, 0.738469, 0.444662, 0.0, 0.0, 0.0, 0.0, 0.0, -0.27559, 0.090672,
      0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.456243, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.982304, -1.831657, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, -0.59911, 0.0, 0.0,
    ],
  },
  {
    kind: 'amax2d',
    shape: [1, 2, 5, 7],
    args: [3, 4],
    outShape: [1, 2, 3, 4],
    y: [
      2.0, 2.0, 0.0, -2.0, 2.0, 2.0, 0.0, -2.0, 2.0, 2.0, 0.0, -2.0, 2.0, 2.0, 0.0, -2.0, 2.0, 2.0, 0.0, -2.0,
      2.0, 2.0, 0.0, -2.0,
    ],
    idx: [1, 1, 3, 6, 8, 8, 10, 13, 22, 22, 24, 27, 1, 1, 3, 6, 8, 8, 10, 13, 22, 22, 24, 27],
    grad: [
      0.0, 1.932327, 0.0, 0.738469, 0.0, 0.0, 0.444662, 0.0, -0.184919, 0.0, -0.604552, 0.0, 0.0, -0.851691,
      0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.965861, 0.0, -0.8481, 0.0, 0.0, -0.59911, 0.0, 0.0, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, -0.171577, 0.0, 0.450755, 0.0, 0.0, 0.743046, 0.0, 1.934747, 0.0, 0.929841, 0.0,
      0.0, 0.733856, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.52243, 0.0, -0.282135, 0.0, 0.0, -0.609967,
      0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ],
  },
  {
    kind: 'amax2d',
    shape: [2, 6, 6],
    args: [2, null],
    outShape: [2, 2, 6],
    y: [
      0.0, 2.0, 2.0, 2.0, 2.0, 0.0, 2.0, 0.0, -2.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0, -2.0, 0.0, -2.0,
      0.0, 2.0, 2.0, 2.0,
    ],
    idx: [0, 1, 2, 9, 16, 17, 30, 31, 20, 21, 22, 23, 0, 1, 8, 15, 16, 5, 30, 19, 20, 21, 22, 29],
    grad: [
      1.0, 0.932327, 0.738469, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.444662, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.090672,
      -0.27559, 0.0, 0.0, -0.983557, -0.982304, -0.8481, -0.59911, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.604552,
      -0.851691, 0.0, 0.0, 0.0, 0.0, -0.269033, 0.097456, 0.0, 0.0, 0.0, 0.999977, 0.0, 0.0, 0.450755, 0.0,
      0.0, 0.0, 0.0, 0.0, 0.0, 0.743046, 0.93477, 0.0, 0.0, 0.733856, 0.438547, 0.083883, -0.282135, 0.0, 0.0,
      0.0, 0.0, 0.0, 0.0, -0.609967, 0.929841, 0.0, 0.0, 0.0, 0.0, 0.0,
    ],
  },
  {
    kind: 'amax1d',
    shape: [2, 3, 7],
    args: 3,
    outShape: [2, 3, 3],
    y: [2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0, 2.0, -2.0, 2.0, 2.0, -2.0],
    idx: [1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 4, 1, 2, 6],
    grad: [
      0.0, 1.0, 0.932327, 0.0, 0.738469, 0.0, 0.0, 0.0, 0.444662, 0.090672, 0.0, -0.27559, 0.0, 0.0, 0.0,
      -0.604552, -0.851691, 0.0, -0.983557, 0.0, 0.0, 0.0, -0.982304, -0.8481, 0.0, -0.59911, 0.0, 0.0, 0.0,
      -0.269033, 0.097456, 0.0, 0.450755, 0.0, 0.0, 0.0, 0.743046, 0.93477, 0.0, 0.0, 0.0, 0.999977,
    ],
  },
  {
    kind: 'amax1d',
    shape: [2, 8],
    args: 4,
    outShape: [2, 4],
    y: [2.0, 2.0, -2.0, 0.0, 2.0, 0.0, -2.0, 2.0],
    idx: [1, 2, 4, 7, 0, 2, 5, 7],
    grad: [
      0.0, 1.0, 0.932327, 0.0, 0.738469, 0.0, 0.0, 0.444662, 0.090672, 0.0, -0.27559, 0.0, 0.0, -0.604552,
      0.0, -0.851691,
    ],
  },
];

/** The functional call of a case: [values, indices]. */
function functionalCall(r: Ref, x: tg.Tensor): [tg.Tensor, tg.Tensor] {
  const a = r.args;
  const o = { stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceil_mode };
  const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  if (r.kind === 'max1d') return F.maxPool1d(x, a.kernel_size, { ...opts, returnIndices: true });
  if (r.kind === 'max2d') return F.maxPool2d(x, a.kernel_size, { ...opts, returnIndices: true });
  if (r.kind === 'amax2d') return F.adaptiveMaxPool2d(x, a, { returnIndices: true });
  return F.adaptiveMaxPool1d(x, a, { returnIndices: true });
}
/** The module of a case, with returnIndices as given. */
function moduleOf(r: Ref, withIndices: boolean): tg.nn.Module {
  const a = r.args;
  if (r.kind === 'max1d')
    return new nn.MaxPool1d(
      a.kernel_size,
      a.stride,
      a.padding,
      a.dilation,
      withIndices,
      a.ceil_mode ?? false,
    );
  if (r.kind === 'max2d')
    return new nn.MaxPool2d(
      a.kernel_size,
      a.stride,
      a.padding,
      a.dilation,
      withIndices,
      a.ceil_mode ?? false,
    );
  return r.kind === 'amax2d'
    ? new nn.AdaptiveMaxPool2d(a, withIndices)
    : new nn.AdaptiveMaxPool1d(a, withIndices);
}

describe('max pooling with indices equals PyTorch 1.13 (values, int32 indices, gradients on ties)', () => {
  for (const r of REFS) {
    const label = `${r.kind} ${JSON.stringify(r.shape)} ${JSON.stringify(r.args)}`;
    it(`functional ${label}`, () => {
      const x = input(r.shape);
      const [y, idx] = functionalCall(r, x);
      expect(y.shape).toEqual(r.outShape);
      expect(idx.shape).toEqual(r.outShape);
      expect(idx.dtype).toBe('int32');
      close(y.data as ArrayLike<number>, r.y, 'value');
      expect(Array.from(idx.data as ArrayLike<number>)).toEqual(r.idx);
      tg.sum(tg.mul(y, weights(r.outShape))).backward();
      close(x.grad!.data as ArrayLike<number>, r.grad, 'grad');
    });
    it(`module ${label}: values only, and [values, indices] with returnIndices`, () => {
      const x = input(r.shape);
      const y = moduleOf(r, false).forward(x) as tg.Tensor;
      expect(y.shape).toEqual(r.outShape);
      close(y.data as ArrayLike<number>, r.y, 'value');
      tg.sum(tg.mul(y, weights(r.outShape))).backward();
      close(x.grad!.data as ArrayLike<number>, r.grad, 'grad');
      const [v, idx] = moduleOf(r, true).forward(input(r.shape)) as [tg.Tensor, tg.Tensor];
      close(v.data as ArrayLike<number>, r.y, 'value (returnIndices)');
      expect(Array.from(idx.data as ArrayLike<number>)).toEqual(r.idx);
    });
  }
});

describe('MaxPool1d argument checks (PyTorch 1.13 messages)', () => {
  it('padding above half the kernel, tuples of the wrong length, a wrong rank and a bad flag are refused by name', () => {
    // torch: nn.MaxPool1d(3, padding=2)(x) → "max_pool1d() padding should be at most half of kernel size, but got
    // padding=2 and kernel_size=3"; nn.MaxPool1d((3, 2)) → "kernel_size must be an int, list of ints or tuple of
    // ints of size 1"; a 4-D input → "Expected 2D or 3D (batch mode) tensor"
    throwsA(tg.ValueError, () => new nn.MaxPool1d(3, null, 2), [
      'MaxPool1d: padding should be at most half of kernel size, but got padding=2 and kernel_size=3',
    ]);
    throwsA(tg.ValueError, () => new nn.MaxPool1d([3, 2] as never), ['MaxPool1d: kernel_size must be']);
    throwsA(tg.ShapeError, () => new nn.MaxPool1d(3).forward(tg.ones([1, 1, 1, 5])), [
      'Expected 2D or 3D (batch mode) tensor',
      'got: [1,1,1,5]',
    ]);
    throwsA(tg.ValueError, () => new nn.MaxPool1d(3, null, 0, 1, 1 as never), [
      'MaxPool1d: return_indices must be true or false, got 1',
    ]);
    throwsA(tg.ValueError, () => F.maxPool1d(tg.ones([1, 5]), 2, { returnIndex: true } as never), [
      'nn.functional.maxPool1d',
      'returnIndex',
    ]);
  });
  it('a 1-tuple is the number, and stride defaults to the kernel size', () => {
    const x = input([2, 7]);
    const a = new nn.MaxPool1d([3], [2], [1], [1], true).forward(x);
    const b = F.maxPool1d(x, 3, { stride: 2, padding: 1, returnIndices: true });
    expect(Array.from(a[1].data)).toEqual(Array.from(b[1].data));
    expect(new nn.MaxPool1d(2).forward(x).shape).toEqual([2, 3]);
  });
});
