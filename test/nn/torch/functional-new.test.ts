// The tg.nn.functional forms of the modules added in activation-modules.ts, norm-modules.ts and shape-modules.ts,
// against PyTorch 1.13: outputs and input gradients (of sum(y · wave(y.shape, 9))) in float64, from the numbers of
// functional-new-data.ts, made once by torch_functional_new.py (`/usr/bin/python3
// test/nn/torch/torch_functional_new.py`, the same calls on the same wave inputs); then PyTorch's error cases and
// the functionals equal to the modules.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { wave } from './loss-data.js';
import { TORCH } from './functional-new-data.js';

const F = tg.nn.functional;
const nn = tg.nn;
const w64 = (shape: number[], seed: number, scale = 1) =>
  tg.tensor(wave(shape, seed, scale).data, shape, { dtype: 'float64' });
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });
/** The elementwise input: the activations' kinks, then wave values in (-5, 5) (ACT of the script). */
const ACT = f64([-3, -1, -0.5, 0, 0.5, 1, 3, 6, ...wave([16], 1, 3).data], [4, 6]);

/**
 * |got − want| ≤ 1e-12 + rel·|want| (float64 on both sides), rel 1e-10 unless `LOOSE` says otherwise.
 * NOTE: PyTorch 1.13's gradients of hardsigmoid and celu use float32 constants (1.0f/6.0f in hardsigmoid_backward,
 * 1.0/alpha.toFloat() in celu's derivative), so they agree with the exact float64 gradient to about 1e-7 only.
 */
const LOOSE: Record<string, number> = { 'hardsigmoid.d0': 1e-7, 'celu.d0': 1e-7 };
function close(got: tg.Tensor, key: string, skip: readonly number[] = []): void {
  const rel = LOOSE[key] ?? 1e-10;
  const want = TORCH[key];
  expect(want, `${key}: no PyTorch numbers`).toBeDefined();
  expect(got.size, `${key}: size`).toBe(want.length);
  const g = Array.from(got.data as ArrayLike<number>);
  want.forEach((w, i) => {
    if (!skip.includes(i))
      expect(Math.abs(g[i] - w), `${key}[${i}]: got ${g[i]}, PyTorch ${w}`).toBeLessThanOrEqual(
        1e-12 + rel * Math.abs(w),
      );
  });
}
/** y = fn(...inputs) and the gradients of sum(y · wave(y.shape, 9)) against PyTorch's `key`, `key.d0`, .... */
function check(key: string, fn: (...xs: tg.Tensor[]) => tg.Tensor, ...inputs: tg.Tensor[]): tg.Tensor[] {
  const y = fn(...inputs);
  close(y, key);
  const loss = (...xs: tg.Tensor[]) => {
    const out = fn(...xs);
    return tg.sum(tg.mul(out, w64([...out.shape], 9)));
  };
  const gs = tg.grads(loss)(...inputs);
  // hardswish at x = 3 (ACT[6]) is checked apart: see its test
  gs.forEach((g, i) => close(g, `${key}.d${i}`, key === 'hardswish' ? [6] : []));
  return gs;
}

describe('tg.nn.functional: the new activations against PyTorch 1.13 (values and gradients)', () => {
  const cases: [string, (x: tg.Tensor) => tg.Tensor][] = [
    ['hardtanh', (x) => F.hardtanh(x)],
    ['hardtanh_bounds', (x) => F.hardtanh(x, -0.5, 1)],
    ['relu6', (x) => F.relu6(x)],
    ['hardsigmoid', (x) => F.hardsigmoid(x)],
    ['hardswish', (x) => F.hardswish(x)],
    ['silu', (x) => F.silu(x)],
    ['mish', (x) => F.mish(x)],
    ['celu', (x) => F.celu(x, 0.7)],
    ['threshold', (x) => F.threshold(x, 0.5, -2)],
    ['tanhshrink', (x) => F.tanhshrink(x)],
    ['logsigmoid', (x) => F.logsigmoid(x)],
    ['softmin1', (x) => F.softmin(x, 1)],
    ['softmin0', (x) => F.softmin(x, 0)],
    ['glu0', (x) => F.glu(x, 0)],
    ['glu', (x) => F.glu(x)],
  ];
  for (const [key, fn] of cases) it(key, () => check(key, fn, ACT));

  it("hardswish's gradient at 3 is PyTorch 1.13's scalar kernel's, 1.5 (the module's rule)", () => {
    // NOTE: PyTorch 1.13 itself gives 1.5 at x = 3 on short tensors (scalar kernel: x <= 3) but 1 on long ones (its
    // vectorised kernel: x >= 3), as in the table above; the module (and so the functional) keeps the scalar rule
    const [g] = tg.grads((x: tg.Tensor) => tg.sum(F.hardswish(x)))(f64([-3, 3]));
    expect(Array.from(g.data)).toEqual([-0.5, 1.5]);
  });

  it('prelu with one slope per channel and with one slope (gradients for input and weight)', () => {
    check('prelu', (x, w) => F.prelu(x, w), w64([2, 3, 4], 2), f64([0.25, -0.5, 1.5]));
    check('prelu1', (x, w) => F.prelu(x, w), w64([2, 3, 4], 2), f64([0.3]));
  });
});

describe('tg.nn.functional: norms, pixel shuffles, avgPool1d and interpolate against PyTorch 1.13', () => {
  it('groupNorm with weight, bias and eps, and without affine', () => {
    check(
      'groupNorm',
      (x, w, b) => F.groupNorm(x, 3, w, b, { eps: 1e-3 }),
      w64([2, 6, 5], 3),
      w64([6], 4),
      w64([6], 5),
    );
    check('groupNorm_plain', (x) => F.groupNorm(x, 2), w64([2, 4, 3, 3], 6));
  });
  it('instanceNorm with weight and bias, and 2-D spatial without affine', () => {
    check(
      'instanceNorm',
      (x, w, b) => F.instanceNorm(x, null, null, w, b),
      w64([2, 3, 5], 7),
      w64([3], 8),
      w64([3], 10),
    );
    check(
      'instanceNorm_plain',
      (x) => F.instanceNorm(x, null, null, null, null, { eps: 1e-3 }),
      w64([2, 3, 3, 4], 11),
    );
  });
  it('localResponseNorm (odd and even size)', () => {
    check('lrn', (x) => F.localResponseNorm(x, 3, 1e-2, 0.75, 2), w64([2, 5, 4], 12));
    check('lrn2', (x) => F.localResponseNorm(x, 2), w64([1, 4, 3, 3], 13));
  });
  it('pixelShuffle and pixelUnshuffle', () => {
    check('pixelShuffle', (x) => F.pixelShuffle(x, 2), w64([1, 8, 2, 3], 14));
    check('pixelUnshuffle', (x) => F.pixelUnshuffle(x, 2), w64([2, 1, 4, 6], 15));
  });
  it('avgPool1d (stride, padding, ceilMode, no countIncludePad; unbatched)', () => {
    const opts = { stride: 2, padding: 1, ceilMode: true, countIncludePad: false };
    check('avgPool1d', (x) => F.avgPool1d(x, 3, opts), w64([2, 3, 7], 16));
    check('avgPool1d_unbatched', (x) => F.avgPool1d(x, 2), w64([3, 7], 17));
  });
  it('interpolate: nearest by scale, size and recomputed scale; bilinear with and without alignCorners', () => {
    check('nearest_scale', (x) => F.interpolate(x, { scaleFactor: 2 }), w64([1, 2, 5], 18));
    check('nearest_size', (x) => F.interpolate(x, { size: 7 }), w64([1, 2, 5], 19));
    check(
      'nearest_recompute',
      (x) => F.interpolate(x, { scaleFactor: 1.7, recomputeScaleFactor: true }),
      w64([1, 1, 3, 4], 20),
    );
    check(
      'bilinear',
      (x) => F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: false }),
      w64([1, 2, 3, 4], 21),
    );
    check(
      'bilinear_ac',
      (x) => F.interpolate(x, { scaleFactor: 1.5, mode: 'bilinear', alignCorners: true }),
      w64([1, 2, 3, 4], 22),
    );
  });
});

describe('tg.nn.functional: the new functionals refuse what PyTorch 1.13 refuses', () => {
  const x3 = w64([2, 6, 3], 1);
  const bad = (f: () => unknown, msg: string | RegExp) => expect(f).toThrow(msg);
  it('activations', () => {
    bad(() => F.celu(ACT, 0), 'nn.functional.celu: ZeroDivisionError: alpha cannot be 0 for CELU');
    bad(
      () => F.prelu(x3, f64([1, 2])),
      /nn\.functional\.prelu: Mismatch of parameter numbers and input channel size/,
    );
    bad(() => F.prelu(x3, f64([1, 1], [1, 2])), /Expected `weight` to be a scalar or 1D tensor/);
    bad(() => F.glu(f64([1, 2, 3])), /nn\.functional\.glu: Halving dimension must be even/);
    bad(() => F.relu6(ACT, true), /nn\.functional\.relu6: inplace=true is not supported/);
    bad(() => F.threshold(ACT, 0.5, 'a' as unknown as number), /threshold: value must be a number/);
    bad(() => F.hardtanh(ACT, 1, -1), /hardtanh: maxVal must not be less than minVal/);
    bad(
      () => (F.silu as (...a: unknown[]) => tg.Tensor)(ACT, false, 1),
      /silu\(\) takes 2 positional arguments/,
    );
  });
  it('norms', () => {
    bad(() => F.groupNorm(x3, 4), /Expected number of channels in input to be divisible by num_groups/);
    bad(
      () => F.groupNorm(x3, 3, f64([1, 2, 3, 4, 5])),
      /Expected weight to be a vector of size equal to the number of channels/,
    );
    bad(() => F.instanceNorm(w64([2, 3, 1], 1)), /Expected more than 1 spatial element when training/);
    bad(
      () => F.instanceNorm(x3, f64([0, 0, 0, 0, 0])),
      /instanceNorm: Expected running_mean to be a vector of size equal to the number of channels/,
    );
    // torch: Expected running_mean and running_var to be defined when use_input_stats is false
    bad(
      () => F.instanceNorm(x3, null, null, null, null, { useInputStats: false }),
      /Expected running_mean and running_var to be defined when use_input_stats is false/,
    );
    bad(() => F.localResponseNorm(w64([2, 3], 1), 2), /Expected 3D or higher dimensionality input/);
  });
  it('shapes, pooling and interpolate', () => {
    bad(
      () => F.pixelShuffle(w64([1, 3, 2, 2], 1), 2),
      /divisible by the square of upscale_factor, but input.size\(-3\)=3 is not divisible by 4/,
    );
    bad(
      () => F.pixelUnshuffle(w64([1, 3, 3, 2], 1), 2),
      /expects height to be divisible by downscale_factor, but input.size\(-2\)=3/,
    );
    bad(() => F.pixelShuffle(w64([1, 4, 2, 2], 1), 0), /expects a positive upscale_factor, but got 0/);
    bad(
      () => F.avgPool1d(w64([1, 2, 5], 1), 2, { padding: 2 }),
      /pad should be at most half of kernel size, but got pad=2 and kernel_size=2/,
    );
    bad(
      () => F.interpolate(w64([1, 2, 3], 1)),
      /nn\.functional\.interpolate: either size or scale_factor should be defined/,
    );
    bad(
      () => F.interpolate(w64([1, 2, 3], 1), { size: 4, scaleFactor: 2 }),
      /only one of size or scale_factor/,
    );
    bad(
      () => F.interpolate(w64([1, 2, 3], 1), { scaleFactor: 2, mode: 'bicubic' }),
      /bicubic mode takes 4D \[N, C, H, W\] input, got \[1,2,3\]/,
    );
    bad(
      () => F.interpolate(w64([1, 2, 3], 1), { scaleFactor: 2, antialias: true }),
      /Anti-alias option is only supported for bilinear and bicubic modes/,
    );
    bad(() => F.interpolate(w64([2, 5], 1), { scaleFactor: 2 }), /nearest mode takes 3D/);
    bad(() => F.interpolate(w64([1, 2, 3], 1), { scale: 2 } as object), /scale/);
  });
});

describe('tg.nn.functional: the new functionals equal the modules', () => {
  const same = (a: tg.Tensor, b: tg.Tensor) => {
    expect(a.shape).toEqual(b.shape);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  };
  it('norms, shuffles, pooling, upsample and prelu', () => {
    const x = w64([2, 6, 4, 4], 3);
    const g = new nn.GroupNorm(3, 6, { dtype: 'float64' });
    same(F.groupNorm(x, 3, g.weight, g.bias), g.forward(x));
    const inorm = new nn.InstanceNorm2d(6, { affine: true, dtype: 'float64' });
    same(F.instanceNorm(x, null, null, inorm.weight, inorm.bias), inorm.forward(x));
    same(F.localResponseNorm(x, 3), new nn.LocalResponseNorm(3).forward(x));
    same(F.pixelShuffle(x, 1), new nn.PixelShuffle(1).forward(x));
    const x8 = w64([2, 8, 2, 2], 5);
    same(F.pixelShuffle(x8, 2), new nn.PixelShuffle(2).forward(x8));
    same(F.pixelUnshuffle(x, 2), new nn.PixelUnshuffle(2).forward(x));
    const opts = { scaleFactor: 1.5, mode: 'bilinear' as const };
    same(F.interpolate(x, opts), new nn.Upsample(opts).forward(x));
    const x1 = w64([2, 3, 9], 4);
    same(F.avgPool1d(x1, 3, { stride: 2, padding: 1 }), new nn.AvgPool1d(3, 2, 1).forward(x1));
    const p = new nn.PReLU(6, 0.1, { dtype: 'float64' });
    same(F.prelu(x, p.weight), p.forward(x));
  });
});
