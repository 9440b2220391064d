// Bad input gives typed errors whose messages name the op and the shapes/values involved.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsTyped } from '../support/throws.js';
import { run } from '../../src/ops/dispatch.js';
import { PRIMS } from '../../src/ops/table.js';

const z = (shape: number[], dtype: tg.DType = 'float32') => tg.zeros(shape, { dtype });

describe('convolution and pooling options', () => {
  it('conv2d channel mismatch reads exactly as documented, in both data formats', () => {
    throwsTyped(
      () => tg.conv2d(z([1, 8, 8, 12]), z([3, 3, 3, 8])),
      tg.ShapeError,
      'conv2d: input has 12 channels but the kernel [3,3,3,8] expects 3 (dataFormat NHWC)',
    );
    throwsTyped(
      () => tg.conv2d(z([1, 12, 8, 8]), z([8, 3, 3, 3]), null, { dataFormat: 'NCHW' }),
      tg.ShapeError,
      'conv2d: input has 12 channels but the kernel [8,3,3,3] expects 3 (dataFormat NCHW)',
    );
    throwsTyped(
      () => tg.conv2d(z([1, 8, 8, 6]), z([3, 3, 2, 6]), null, { groups: 2 }),
      tg.ShapeError,
      /expects 4 \(2 per group × 2 groups\)/,
    );
  });

  it('negative or zero strides and dilations', () => {
    throwsTyped(
      () => tg.conv2d(z([1, 8, 8, 3]), z([3, 3, 3, 8]), null, { stride: -1 }),
      tg.ValueError,
      'conv2d: stride must be a positive integer or pair, got -1',
    );
    throwsTyped(
      () => tg.conv2d(z([1, 8, 8, 3]), z([3, 3, 3, 8]), null, { dilation: [1, 0] }),
      tg.ValueError,
      /conv2d: dilation must be a positive integer or pair, got \[1,0\]/,
    );
    throwsTyped(
      () => tg.maxPool2d(z([1, 4, 4, 1]), { kernelSize: 2, stride: 0 }),
      tg.ValueError,
      /maxPool2d: stride must be a positive/,
    );
    throwsTyped(
      () => tg.conv1d(z([1, 8, 3]), z([3, 3, 2]), null, { stride: -2 }),
      tg.ValueError,
      /conv1d: stride must be a positive/,
    );
  });

  it('a kernel larger than the padded input', () => {
    throwsTyped(
      () => tg.conv2d(z([1, 2, 2, 1]), z([3, 3, 1, 1])),
      tg.ValueError,
      'conv2d: window 3x3 (dilation 1,1) is larger than the padded input 2x2',
    );
    throwsTyped(
      () => tg.conv2d(z([1, 5, 5, 1]), z([3, 3, 1, 1]), null, { dilation: 3 }),
      tg.ValueError,
      /window 3x3 \(dilation 3,3\) is larger than the padded input 5x5/,
    );
    throwsTyped(
      () => tg.avgPool2d(z([1, 4, 4, 1]), { kernelSize: 5 }),
      tg.ValueError,
      /avgPool2d: window 5x5 .* padded input 4x4/,
    );
  });

  it('a max-pool window lying entirely in the padding', () => {
    throwsTyped(
      () =>
        tg.maxPool2d(z([1, 2, 2, 1]), {
          kernelSize: 2,
          padding: [
            [0, 3],
            [0, 0],
          ],
        }),
      tg.ValueError,
      /maxPool: .*window at output row 1 lies entirely in the padding/,
    );
    throwsTyped(
      () => tg.maxPool2d(z([1, 2, 2, 1]), { kernelSize: 2, padding: 2 }),
      tg.ValueError,
      /lies entirely in the padding/,
    );
  });

  it('unknown data formats and paddings, wrong ranks', () => {
    throwsTyped(
      () => tg.conv2d(z([1, 2, 2, 1]), z([1, 1, 1, 1]), null, { dataFormat: 'NWHC' }),
      tg.ValueError,
      "conv2d: unknown dataFormat 'NWHC' (use 'NHWC' or 'NCHW')",
    );
    throwsTyped(
      () => tg.conv1d(z([1, 4, 1]), z([1, 1, 1]), null, { dataFormat: 'NHCW' }),
      tg.ValueError,
      /conv1d: unknown dataFormat 'NHCW'/,
    );
    throwsTyped(
      () => tg.maxPool2d(z([1, 2, 2, 1]), { kernelSize: 1, dataFormat: 'HWC' }),
      tg.ValueError,
      /maxPool2d: unknown dataFormat 'HWC'/,
    );
    throwsTyped(
      () => tg.conv2d(z([1, 4, 4, 1]), z([3, 3, 1, 1]), null, { padding: 'full' as any }),
      tg.ValueError,
      /conv2d: unknown padding "full"/,
    );
    throwsTyped(
      () => tg.conv1d(z([1, 4, 1]), z([3, 1, 1]), null, { padding: 'full' as any }),
      tg.ValueError,
      /conv1d: unknown padding/,
    );
    throwsTyped(
      () => tg.conv2d(z([8, 8, 3]), z([3, 3, 3, 8])),
      tg.ShapeError,
      'conv2d: input must be rank 4 (NHWC), got [8,8,3]',
    );
    throwsTyped(
      () => tg.conv2d(z([1, 8, 8, 4]), z([3, 3, 4, 8]), z([4])),
      tg.ShapeError,
      /conv2d: bias \[4\] must be \[8\]/,
    );
  });
});

describe('shapes and dtypes', () => {
  it('matmul inner-size mismatch names both shapes', () => {
    throwsTyped(
      () => tg.matmul(z([2, 3]), z([4, 5])),
      tg.ShapeError,
      'matmul: [2,3] · [4,5]: inner sizes 3 and 4 differ',
    );
    throwsTyped(
      () => tg.matmul(z([2, 3]), z([5, 4]), { transB: true }),
      tg.ShapeError,
      /\[2,3\] · \[5,4\]ᵀ: inner sizes 3 and 4 differ/,
    );
    throwsTyped(
      () => tg.matmul(z([2, 2, 3]), z([3, 3, 4])),
      tg.ShapeError,
      /batch axes of \[2,2,3\] and \[3,3,4\] cannot be broadcast/,
    );
  });

  it('broadcast mismatch names the op, both shapes and the axis', () => {
    throwsTyped(
      () => tg.add(z([2, 3]), z([4])),
      tg.ShapeError,
      'add: shapes [2,3] and [4] cannot be broadcast (axis -1: 3 vs 4)',
    );
    throwsTyped(() => tg.mul(z([5, 1, 3]), z([4, 2])), tg.ShapeError, /mul: shapes \[5,1,3\] and \[4,2\]/);
  });

  it('reshape size mismatch', () => {
    throwsTyped(
      () => tg.reshape(z([2, 3]), [4, 2]),
      tg.ShapeError,
      'reshape: cannot reshape [2,3] (6 values) to [4,2] (8 values)',
    );
    throwsTyped(
      () => tg.reshape(z([2, 3]), [4, -1]),
      tg.ShapeError,
      /cannot infer -1 in \[4,-1\] for \[2,3\]/,
    );
  });

  it('dtype mismatches and unsupported dtypes', () => {
    throwsTyped(
      () => run('add', [z([2]), z([2], 'float64')], {}),
      tg.DTypeError,
      'add: operand dtypes float32 and float64 differ',
    );
    throwsTyped(
      () => run('exp', [z([2], 'int32')], {}),
      tg.DTypeError,
      'exp: needs a float tensor, got int32',
    );
    throwsTyped(
      () => run('matmul', [z([2, 2]), z([2, 2], 'float64')], { transA: false, transB: false }),
      tg.DTypeError,
      /matmul: operand dtypes float32 and float64 differ/,
    );
    throwsTyped(
      () => tg.take(z([4]), tg.tensor([1.5])),
      tg.DTypeError,
      'take: indices must be int32, got float32',
    );
    throwsTyped(
      () => tg.tensor([1], undefined, { dtype: 'float16' as any }),
      tg.DTypeError,
      /unknown dtype 'float16'/,
    );
    throwsTyped(
      () => tg.concat([z([2]), z([2], 'float64')]),
      tg.DTypeError,
      'concat: operand dtypes float32, float64 differ (cast first)',
    );
    throwsTyped(
      () => tg.concat([z([2, 3]), z([3, 2])]),
      tg.ShapeError,
      /concat: shapes \[2,3\]:float32, \[3,2\]:float32 do not match outside axis 0/,
    );
    throwsTyped(
      () => tg.argmax(z([2, 0]), 1),
      tg.ValueError,
      'argmax: axis 1 of [2,0] has size 0 (no maximum)',
    );
  });

  it('out-of-range axes, slices, permutations, indices', () => {
    throwsTyped(
      () => tg.sum(z([2, 3]), 2),
      tg.ValueError,
      'sum: axis 2 is out of range for a tensor of rank 2',
    );
    throwsTyped(
      () => tg.slice(z([2, 3]), [1, 1], [2, 2]),
      tg.ShapeError,
      'slice: begin [1,1] size [2,2] is out of bounds for [2,3]',
    );
    throwsTyped(() => tg.transpose(z([2, 3]), [0, 0]), tg.ValueError, /perm \[0,0\] is not a permutation/);
    throwsTyped(
      () => tg.take(z([4]), tg.tensor([4], undefined, { dtype: 'int32' })),
      tg.ValueError,
      'take: index 4 (position 0) is out of range for 4 values',
    );
    throwsTyped(() => z([2]).item(), tg.ShapeError, 'item: tensor of shape [2] has 2 values, not 1');
    throwsTyped(() => run('add', [z([2])], {}), tg.ValueError, 'add: expected 2 inputs, got 1');
  });

  it('crossEntropy label out of range, or the wrong number of labels', () => {
    throwsTyped(
      () => tg.crossEntropy(z([2, 10]), tg.tensor([1, 10], undefined, { dtype: 'int32' })),
      tg.ValueError,
      'crossEntropy: label 10 at position 1 is out of range for 10 classes (expected an integer in [0, 9])',
    );
    throwsTyped(
      () => tg.crossEntropy(z([2, 3]), tg.tensor([-1, 0])),
      tg.ValueError,
      /label -1 at position 0/,
    );
    throwsTyped(
      () => tg.crossEntropy(z([2, 3]), tg.tensor([0.5, 1])),
      tg.ValueError,
      /label 0.5 at position 0/,
    );
    throwsTyped(
      () => tg.crossEntropy(z([2, 10]), tg.tensor([1, 2, 3], undefined, { dtype: 'int32' })),
      tg.ShapeError,
      /labels \[3\] must be \[2\] class indices/,
    );
  });
});

describe('autodiff misuse', () => {
  it('the gradient of a non-scalar without a seed', () => {
    throwsTyped(
      () => tg.grad((x: tg.Tensor) => tg.mul(x, 2))(z([3])),
      tg.GradError,
      'tg.grad: f returned shape [3]; it must return a scalar (or pass dy of the same shape)',
    );
    throwsTyped(
      () => tg.mul(z([3], 'float64').requireGrad(), 2).backward(),
      tg.GradError,
      /backward: output has shape \[3\]; pass a gradient of the same shape/,
    );
    throwsTyped(
      () => tg.sum(z([3]).requireGrad()).backward(z([2])),
      tg.GradError,
      /seed shape \[2\] differs from output shape \[\]/,
    );
  });

  it('backward on a tensor that does not require a gradient', () => {
    throwsTyped(
      () => tg.sum(z([3])).backward(),
      tg.GradError,
      /backward: this tensor does not require a gradient/,
    );
    const frozen = tg.noGrad(() => tg.sum(tg.mul(z([3]).requireGrad(), 2)));
    throwsTyped(
      () => frozen.backward(),
      tg.GradError,
      /does not require a gradient \(no input had requiresGrad, it was computed in noGrad, or it depends on them only through ops whose gradient is zero/,
    );
  });

  it('non-tensor arguments and results', () => {
    throwsTyped(
      () => tg.grads((x: tg.Tensor) => x)(3 as any),
      tg.GradError,
      'tg.grads: argument 0 is a number, expected a Tensor',
    );
    throwsTyped(
      () => tg.vjp((() => 5) as any, z([1])),
      tg.GradError,
      'vjp: f must return a Tensor, got number',
    );
  });
});

describe('numerics', () => {
  afterEach(() => tg.checkNumerics(false));

  it('a NaN loss gives a NumericsError from backward', () => {
    const x = tg.tensor([-1, 2], undefined, { requiresGrad: true });
    throwsTyped(
      () => tg.mean(tg.log(x)).backward(),
      tg.NumericsError,
      /backward: the loss contains NaN or Inf; run with tg.checkNumerics\(true\)/,
    );
    // and a finite loss with an infinite gradient (√x at 0)
    const y = tg.tensor([0, 1], undefined, { requiresGrad: true });
    throwsTyped(
      () => tg.sum(tg.sqrt(y)).backward(),
      tg.NumericsError,
      /backward: the gradient of a leaf of shape \[2\] contains NaN or Inf/,
    );
    throwsTyped(
      () => tg.grad((v: tg.Tensor) => tg.sum(tg.sqrt(v)))(tg.tensor([0, 1])),
      tg.NumericsError,
      /grads: gradient 0 contains NaN or Inf/,
    );
  });

  it('checkNumerics(true) names the forward op (log of a negative) and the scope', () => {
    tg.checkNumerics(true);
    throwsTyped(
      () => tg.log(tg.tensor([1, -1])),
      tg.NumericsError,
      /^checkNumerics: 'log' produced a non-finite value at index 1 from finite inputs\n {2}inputs: \[2\] float32 min=-1 max=1/,
    );
    throwsTyped(
      () => tg.withScope('dense_1', () => tg.sqrt(tg.tensor([-4]))),
      tg.NumericsError,
      /'sqrt' in dense_1 produced a non-finite value/,
    );
    tg.checkNumerics(false);
    expect(Number.isNaN(tg.log(tg.tensor([-1])).data[0])).toBe(true); // off again: no throw
  });

  it('checkNumerics(true) names the op whose gradient went bad in backward', () => {
    tg.checkNumerics(true);
    const y = tg.tensor([0, 1], undefined, { requiresGrad: true });
    throwsTyped(
      () => tg.sum(tg.sqrt(y)).backward(),
      tg.NumericsError,
      /^backward: computing the gradient of 'sqrt': checkNumerics: 'div' produced a non-finite value/,
    );
  });
});

describe('broken vjp rules are caught and named', () => {
  it('a vjp returning a gradient of the wrong shape names the op and both shapes', () => {
    const saved = PRIMS.exp.vjp;
    try {
      PRIMS.exp.vjp = (g) => [tg.sum(g)];
      const x = tg.tensor([1, 2, 3], undefined, { requiresGrad: true });
      throwsTyped(
        () => tg.sum(tg.exp(x)).backward(),
        tg.GradError,
        'exp: gradient for input 0 has shape [] but the input has shape [3]',
      );
    } finally {
      PRIMS.exp.vjp = saved;
    }
    const x = tg.tensor([1, 2, 3], undefined, { requiresGrad: true });
    tg.sum(tg.exp(x)).backward(); // restored
    expect(x.grad!.shape).toEqual([3]);
  });

  it('a vjp returning the wrong number of gradients', () => {
    const saved = PRIMS.mul.vjp;
    try {
      PRIMS.mul.vjp = (g) => [g];
      const x = tg.tensor([1, 2], undefined, { requiresGrad: true });
      throwsTyped(
        () => tg.sum(tg.mul(x, x)).backward(),
        tg.GradError,
        'mul: vjp returned 1 gradients for 2 inputs',
      );
    } finally {
      PRIMS.mul.vjp = saved;
    }
  });
});
