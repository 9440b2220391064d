// tg.nn.Unfold / tg.nn.Fold and F.unfold / F.fold against PyTorch 1.13 (float64 values and input gradients of
// sum(y · g), stride, padding, dilation, non-square kernels, unbatched inputs; modules3-data.ts names the fixture),
// the conv2d = matmul(w.reshape(O, -1), unfold(x)) identity, and the errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { FIX, backwardWith, camelKeys, close, f64, leaf } from './modules3-data.js';

const F = tg.nn.functional;

describe('tg.nn.Unfold against PyTorch 1.13', () => {
  for (const c of FIX.unfold)
    it(`${JSON.stringify(c.shape)} ${JSON.stringify(c.kwargs)}`, () => {
      const x = leaf(c.x, c.shape);
      const y = new tg.nn.Unfold(camelKeys(c.kwargs) as tg.nn.UnfoldOptions).forward(x);
      close(y, c.y, 'y', c.y_shape);
      backwardWith(y, c.g);
      close(x.grad, c.gx, 'dx', c.shape);
      // the functional is the same op
      const { kernelSize, ...rest } = camelKeys(c.kwargs);
      close(F.unfold(f64(c.x, c.shape), kernelSize, rest), c.y, 'F.unfold');
      // PyTorch's positional form, nn.Unfold(kernel_size, ...keywords)
      close(new tg.nn.Unfold(kernelSize, rest).forward(f64(c.x, c.shape)), c.y, 'Unfold(k, opts)');
    });
});

describe('tg.nn.Fold against PyTorch 1.13', () => {
  for (const c of FIX.fold)
    it(`${JSON.stringify(c.shape)} ${JSON.stringify(c.kwargs)}`, () => {
      const x = leaf(c.x, c.shape);
      const y = new tg.nn.Fold(camelKeys(c.kwargs) as tg.nn.FoldOptions).forward(x);
      close(y, c.y, 'y', c.y_shape);
      backwardWith(y, c.g);
      close(x.grad, c.gx, 'dx', c.shape);
      const { outputSize, kernelSize, ...rest } = camelKeys(c.kwargs);
      close(F.fold(f64(c.x, c.shape), outputSize, kernelSize, rest), c.y, 'F.fold');
      const positional = new tg.nn.Fold(outputSize, kernelSize, rest).forward(f64(c.x, c.shape));
      close(positional, c.y, 'Fold(outputSize, k, opts)');
    });
});

describe('conv2d is a matmul with the unfolded input', () => {
  it('conv2d(x, w) = matmul(w.reshape(O, -1), unfold(x)) reshaped to [N, O, oh, ow], values and gradients', () => {
    const rng = new tg.Rng(7);
    const xv = tg.randn([2, 3, 6, 5], { rng, dtype: 'float64' });
    const wv = tg.randn([4, 3, 3, 2], { rng, dtype: 'float64' });
    const opts = {
      stride: [2, 1] as [number, number],
      padding: [1, 0] as [number, number],
      dilation: [1, 2] as [number, number],
    };
    const x1 = xv.detach().requireGrad(true);
    const w1 = wv.detach().requireGrad(true);
    const conv = tg.conv2d(x1, w1, null, { ...opts, dataFormat: 'NCHW' });
    const x2 = xv.detach().requireGrad(true);
    const w2 = wv.detach().requireGrad(true);
    const cols = F.unfold(x2, [3, 2], opts); // [N, C·kh·kw, L]
    const viaUnfold = tg.reshape(tg.matmul(tg.reshape(w2, [4, -1]), cols), conv.shape);
    expect(conv.shape).toEqual([2, 4, 3, 3]);
    close(viaUnfold, Array.from(conv.data as ArrayLike<number>), 'conv');
    const g = tg.randn(conv.shape, { rng, dtype: 'float64' });
    tg.sum(tg.mul(conv, g)).backward();
    tg.sum(tg.mul(viaUnfold, g)).backward();
    close(x2.grad, Array.from(x1.grad!.data as ArrayLike<number>), 'dx');
    close(w2.grad, Array.from(w1.grad!.data as ArrayLike<number>), 'dw');
  });
  it('the docs/api.md example: stride 2, a 3x2 kernel', () => {
    const x = tg.randn([2, 3, 6, 5], { dtype: 'float64' });
    const w = tg.randn([4, 3, 3, 2], { dtype: 'float64' });
    const y = tg.conv2d(x, w, null, { stride: 2, dataFormat: 'NCHW' });
    const same = tg.reshape(tg.matmul(tg.reshape(w, [4, -1]), F.unfold(x, [3, 2], { stride: 2 })), y.shape);
    expect(y.shape).toEqual([2, 4, 2, 2]);
    close(same, Array.from(y.data as ArrayLike<number>), 'conv');
  });
  it('fold(unfold(x)) is x times the number of blocks covering each pixel (PyTorch docs identity)', () => {
    const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const y = F.fold(F.unfold(x, 2), 3, 2);
    const ones = F.fold(F.unfold(tg.onesLike(x), 2), 3, 2);
    expect(Array.from(ones.data as ArrayLike<number>)).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
    close(y, [1, 4, 3, 8, 20, 12, 7, 16, 9], 'fold∘unfold');
  });
});

describe('Unfold/Fold errors', () => {
  it('refuses bad options by name', () => {
    throwsA(tg.ValueError, () => new tg.nn.Unfold({} as never), ['Unfold: kernelSize is required']);
    throwsA(tg.ValueError, () => new tg.nn.Unfold({ kernelSize: 2, padding: -1 }), [
      'Unfold: padding must be a non-negative integer',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.Unfold({ kernelSize: 2, stride: 0 }), [
      'Unfold: stride must be a positive',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.Unfold({ kernelSize: [1, 2, 3] as never }), [
      'Unfold: kernelSize',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.Fold({ kernelSize: 2 } as never), [
      'Fold: outputSize is required',
    ]);
    throwsA(tg.ValueError, () => F.unfold(tg.zeros([1, 1, 4, 4]), 2, { pading: 1 } as never), [
      "nn.functional.unfold: unknown option 'pading'",
    ]);
  });
  it('refuses inputs as PyTorch does', () => {
    const u = new tg.nn.Unfold({ kernelSize: 3 });
    throwsA(tg.ShapeError, () => u.forward(tg.zeros([4, 4])), ['expected 3D or 4D']);
    throwsA(tg.ValueError, () => u.forward(tg.zeros([1, 1, 2, 2])), [
      'Given input with spatial size (2, 2), kernel_size=(3,3)',
      'calculated shape of the array of sliding blocks as (0, 0)',
    ]);
    const f = new tg.nn.Fold({ outputSize: [5, 5], kernelSize: 2 });
    throwsA(tg.ShapeError, () => f.forward(tg.zeros([2, 12, 15])), [
      "expected size of input's dimension 2 to match the calculated number of sliding blocks 4 * 4 = 16, but got input.size(2)=15",
    ]);
    throwsA(tg.ShapeError, () => f.forward(tg.zeros([2, 13, 16])), [
      'divisible by the product of kernel_size',
    ]);
    throwsA(tg.ShapeError, () => f.forward(tg.zeros([16])), ['expected 2D or 3D']);
    throwsA(tg.ValueError, () => new tg.nn.Unfold(2, { strid: 1 } as never), [
      "Unfold: unknown option 'strid'",
    ]);
    throwsA(tg.ValueError, () => new tg.nn.Fold({ outputSize: 4, kernelSize: 2 } as never, 2), [
      'Fold: give outputSize and kernelSize either as arguments or in one options object',
    ]);
  });
});
