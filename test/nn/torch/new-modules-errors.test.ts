// Misuse of the new tg.nn modules (activation-modules.ts, norm-modules.ts, shape-modules.ts): each refusal names the
// module and the argument; the messages follow PyTorch 1.13's where it has one (quoted from
// /usr/bin/python3 -c 'import torch; ...' beside each), and the deliberate refusals (inplace=true, Upsample's
// antialias) are tapegrad's.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const z = (...shape: number[]) => tg.zeros(shape);

describe('new tg.nn modules: refusals', () => {
  it('inplace=true is refused by name (tapegrad has no in-place ops); false is accepted', () => {
    throwsA(tg.ValueError, () => new nn.ReLU6(true), ['ReLU6', 'inplace=true']);
    throwsA(tg.ValueError, () => new nn.LeakyReLU(0.1, true), ['LeakyReLU', 'inplace=true']);
    throwsA(tg.ValueError, () => new nn.Hardtanh(-1, 1, true), ['Hardtanh', 'inplace=true']);
    throwsA(tg.ValueError, () => new nn.Threshold(0, 1, true), ['Threshold', 'inplace=true']);
    expect(new nn.SiLU(false).forward(z(2)).shape).toEqual([2]);
  });
  it('constructor arguments as PyTorch checks them', () => {
    // torch: nn.Hardtanh(1.0, 1.0) → AssertionError
    throwsA(tg.ValueError, () => new nn.Hardtanh(1, 1), ['Hardtanh', 'max_val must be greater than min_val']);
    // torch: nn.GroupNorm(3, 4) → ValueError: num_channels must be divisible by num_groups
    throwsA(tg.ValueError, () => new nn.GroupNorm(3, 4), [
      'GroupNorm',
      'num_channels must be divisible by num_groups',
    ]);
    // torch: nn.CELU(0.)(x) → ZeroDivisionError: alpha cannot be 0 for CELU
    throwsA(tg.ValueError, () => new nn.CELU(0), ['CELU', 'alpha must not be 0']);
    throwsA(tg.ValueError, () => new nn.GELU('erf' as 'none'), [
      'GELU',
      "approximate must be 'none' or 'tanh'",
    ]);
    throwsA(tg.ValueError, () => new nn.PReLU(0), ['PReLU', 'num_parameters must be a positive integer']);
    throwsA(tg.ValueError, () => new nn.GroupNorm(2, 4, { momentum: 0.1 } as object), [
      'GroupNorm',
      'momentum',
    ]);
    // torch: nn.AvgPool1d(3, padding=2)(x) → pad should be at most half of kernel size, but got pad=2 and kernel_size=3
    throwsA(tg.ValueError, () => new nn.AvgPool1d(3, null, 2), [
      'AvgPool1d',
      'pad should be at most half of kernel size',
    ]);
    throwsA(tg.ValueError, () => new nn.ZeroPad2d([1, 2] as never), [
      'ZeroPad2d',
      'padding must be an integer or 4 integers',
    ]);
    throwsA(tg.ValueError, () => new nn.Unflatten(1, [-1, -1]), [
      'Unflatten',
      'only one dimension can be inferred',
    ]);
  });
  it('InstanceNorm keeps running statistics only with trackRunningStats: true', () => {
    expect(Object.keys(new nn.InstanceNorm2d(3, { trackRunningStats: true }).stateDict())).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(Object.keys(new nn.InstanceNorm1d(3).stateDict())).toEqual([]);
    expect(Object.keys(new nn.InstanceNorm1d(3, { affine: true }).stateDict()).sort()).toEqual([
      'bias',
      'weight',
    ]);
  });
  it('Upsample: modes, size vs scaleFactor, alignCorners as F.interpolate', () => {
    throwsA(tg.ValueError, () => new nn.Upsample({ scaleFactor: 2, mode: 'cubic' as 'nearest' }), [
      'Upsample',
      "mode must be one of 'nearest', 'nearest-exact', 'area', 'linear', 'bilinear', 'bicubic', 'trilinear'",
    ]);
    // torch: nn.Upsample()(x) → ValueError: either size or scale_factor should be defined
    throwsA(tg.ValueError, () => new nn.Upsample(), ['either size or scale_factor should be defined']);
    throwsA(tg.ValueError, () => new nn.Upsample({ size: 2, scaleFactor: 2 }), [
      'only one of size or scale_factor should be defined',
    ]);
    throwsA(tg.ValueError, () => new nn.Upsample({ scaleFactor: 2, alignCorners: true }), [
      'align_corners option can only be set with the interpolating modes',
    ]);
    throwsA(tg.ValueError, () => new nn.Upsample({ scaleFactor: 2, antialias: true } as object), [
      'Upsample',
      'antialias',
    ]);
    // torch: Got 3D input, but bilinear mode needs 4D input
    throwsA(tg.ShapeError, () => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(z(1, 1, 2)), [
      'Upsample',
      'bilinear mode takes 4D [N, C, H, W] input',
    ]);
  });
  it('forward shape errors', () => {
    throwsA(tg.ShapeError, () => new nn.PixelShuffle(2).forward(z(1, 5, 2, 2)), [
      "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=5 is not divisible by 4",
    ]);
    throwsA(tg.ShapeError, () => new nn.PixelUnshuffle(2).forward(z(1, 1, 3, 2)), [
      'pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=3 is not divisible by 2',
    ]);
    throwsA(tg.ShapeError, () => new nn.GLU().forward(z(2, 3)), [
      'Halving dimension must be even, but dimension 1 is size 3',
    ]);
    throwsA(tg.ShapeError, () => new nn.PReLU(3).forward(z(2, 4, 5)), [
      'Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and channel size = 4',
    ]);
    throwsA(tg.ShapeError, () => new nn.Unflatten(1, [2, 4]).forward(z(2, 6)), [
      "don't multiply up to the size of dim 1 (6)",
    ]);
    throwsA(tg.ShapeError, () => new nn.GroupNorm(2, 4).forward(z(2, 6, 3)), ['GroupNorm', 'num_channels 4']);
    throwsA(tg.ShapeError, () => new nn.InstanceNorm1d(3).forward(z(2, 3, 4, 5)), [
      'expected 2D or 3D input (got 4D input)',
    ]);
    throwsA(tg.ShapeError, () => new nn.InstanceNorm1d(3, { affine: true }).forward(z(2, 4, 5)), [
      'does not match num_features (3)',
    ]);
    // torch: nn.PReLU(3)(tensor([-1., 2, -3])) → ... Found parameter numbers = 3 and channel size = 1.
    throwsA(tg.ShapeError, () => new nn.PReLU(3).forward(z(3)), [
      'Found parameter numbers = 3 and channel size = 1',
    ]);
    throwsA(tg.ShapeError, () => new nn.PReLU(3).forward(z()), ['Not allow zero-dim input tensor']);
    expect(new nn.PReLU().forward(tg.scalar(-1)).data[0]).toBeCloseTo(-0.25, 7);
    // torch: nn.InstanceNorm1d(3)(torch.ones(2, 3, 1)) → ValueError: Expected more than 1 spatial element when training
    throwsA(tg.ValueError, () => new nn.InstanceNorm1d(3).forward(z(2, 3, 1)), [
      'Expected more than 1 spatial element when training',
    ]);
    throwsA(tg.ShapeError, () => new nn.LocalResponseNorm(2).forward(z(2, 3)), [
      'Expected 3D or higher dimensionality input (got 2 dimensions)',
    ]);
    throwsA(tg.ShapeError, () => new nn.ReflectionPad1d(4).forward(z(1, 1, 4)), ['reflect padding (4, 4)']);
  });
  it('PReLU: weight [numParameters] filled with init, a trainable parameter in the state dict', () => {
    // torch: nn.PReLU(2, 0.3).weight → tensor([0.3000, 0.3000], requires_grad=True)
    const m = new nn.PReLU(2, 0.3);
    expect(Array.from(m.weight.data as Float32Array)).toEqual([Math.fround(0.3), Math.fround(0.3)]);
    expect(m.parameters()).toHaveLength(1);
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
  });
  it('Threshold passes NaN through, as PyTorch (x <= threshold ? value : x)', () => {
    // torch: nn.Threshold(0.3, -7.)(tensor([nan, 0.3, 1., -inf])) → tensor([nan, -7., 1., -7.])
    const y = new nn.Threshold(0.3, -7).forward(
      tg.tensor([NaN, 0.3, 1, -Infinity], [4], { dtype: 'float64' }),
    );
    expect(y.dtype).toBe('float64');
    expect(Array.from(y.data as Float64Array)).toEqual([NaN, -7, 1, -7]);
  });
  it('float32 inputs keep float32 (Upsample bilinear weights, GroupNorm, Softplus)', () => {
    const x = tg.ones([1, 2, 2, 2]);
    expect(new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }).forward(x).dtype).toBe('float32');
    expect(new nn.GroupNorm(1, 2).forward(x).dtype).toBe('float32');
    expect(new nn.Softplus().forward(x).dtype).toBe('float32');
  });
});
