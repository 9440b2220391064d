// F.interpolate / nn.Upsample in every PyTorch 1.13 mode (nearest and nearest-exact on 3-5D, area on 3-5D, linear,
// bilinear, bicubic, trilinear; up and down, alignCorners both ways, size vs scaleFactor, recomputeScaleFactor):
// values and input gradients of sum(y · g) against PyTorch 1.13 in float64, the numbers in
// test/fixtures/torch-interp/interp.json written by `/usr/bin/python3 test/fixtures/torch-interp/gen.py`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const F = tg.nn.functional;
const nn = tg.nn;

interface Case {
  id: string;
  shape: number[];
  kwargs: Record<string, unknown>;
  x: number[];
  yShape: number[];
  y: number[];
  g: number[];
  gx: number[];
}
const FIX = JSON.parse(
  readFileSync(new URL('../../fixtures/torch-interp/interp.json', import.meta.url), 'utf8'),
) as { interp: Case[] };

/** PyTorch's keyword arguments as tapegrad's options. */
function options(kw: Record<string, unknown>): tg.nn.functional.InterpolateOptions {
  const keys: Record<string, string> = {
    size: 'size',
    scale_factor: 'scaleFactor',
    mode: 'mode',
    align_corners: 'alignCorners',
    recompute_scale_factor: 'recomputeScaleFactor',
    antialias: 'antialias',
  };
  return Object.fromEntries(
    Object.entries(kw).map(([k, v]) => [keys[k], v]),
  ) as tg.nn.functional.InterpolateOptions;
}
function close(got: tg.Tensor, want: number[], what: string): void {
  expect(got.size, `${what}: size`).toBe(want.length);
  const g = Array.from(got.data as ArrayLike<number>);
  want.forEach((w, i) =>
    expect(Math.abs(g[i] - w), `${what}[${i}]: got ${g[i]}, PyTorch ${w}`).toBeLessThanOrEqual(
      1e-12 + 1e-10 * Math.abs(w),
    ),
  );
}

describe('F.interpolate against PyTorch 1.13 (float64 values and input gradients)', () => {
  for (const c of FIX.interp)
    it(`${c.id}: ${JSON.stringify(c.kwargs)} on ${JSON.stringify(c.shape)}`, () => {
      const x = tg.tensor(c.x, c.shape, { dtype: 'float64' });
      const g = tg.tensor(c.g, c.yShape, { dtype: 'float64' });
      const opts = options(c.kwargs);
      const y = F.interpolate(x, opts);
      expect(y.shape).toEqual(c.yShape);
      close(y, c.y, 'y');
      const [gx] = tg.grads((t: tg.Tensor) => tg.sum(tg.mul(F.interpolate(t, opts), g)))(x);
      // NOTE: PyTorch 1.13's bicubic backward copies the gradient through when the sizes are equal, though its
      // forward (matched above) applies the cubic weights: tapegrad's gradient is the forward's adjoint instead,
      // <interpolate(x), g> = <x, dx> for this linear map
      if (c.id === 'bicubic-same-sf') {
        const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
          Array.from(a).reduce((p, v, i) => p + v * b[i], 0);
        expect(dot(c.x, gx.data)).toBeCloseTo(dot(c.y, c.g), 12);
        expect(Math.abs(gx.data[0] - c.gx[0])).toBeGreaterThan(0.1);
      } else close(gx, c.gx, 'dx');
      // the module is the same op (it has no antialias option, as PyTorch's)
      if (!opts.antialias)
        expect(Array.from(new nn.Upsample(opts).forward(x).data)).toEqual(Array.from(y.data));
    });
});

describe('UpsamplingNearest2d and UpsamplingBilinear2d are Upsample with a fixed mode', () => {
  const x = tg.tensor(
    Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.3)),
    [1, 2, 3, 4],
    { dtype: 'float64' },
  );
  const same = (a: tg.Tensor, b: tg.Tensor) => expect(Array.from(a.data)).toEqual(Array.from(b.data));
  it('nearest, and bilinear with alignCorners true (PyTorch: align_corners=True)', () => {
    same(
      new nn.UpsamplingNearest2d({ scaleFactor: 2 }).forward(x),
      F.interpolate(x, { scaleFactor: 2, mode: 'nearest' }),
    );
    const b = new nn.UpsamplingBilinear2d({ size: [5, 7] });
    expect(b.mode).toBe('bilinear');
    expect(b.alignCorners).toBe(true);
    same(b.forward(x), F.interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true }));
    // alignCorners changes the result here, so the alias must set it
    expect(Array.from(b.forward(x).data)).not.toEqual(
      Array.from(F.interpolate(x, { size: [5, 7], mode: 'bilinear' }).data),
    );
  });
  it('their options are only size and scaleFactor', () => {
    throwsA(tg.ValueError, () => new nn.UpsamplingBilinear2d({ mode: 'nearest' } as object), [
      'UpsamplingBilinear2d',
      "unknown option 'mode'",
    ]);
    throwsA(tg.ValueError, () => new nn.UpsamplingNearest2d(), [
      'UpsamplingNearest2d',
      'either size or scale_factor should be defined',
    ]);
  });
});

describe('interpolate refusals as PyTorch 1.13', () => {
  const x3 = tg.zeros([1, 2, 4], { dtype: 'float64' });
  const x4 = tg.zeros([1, 2, 4, 4], { dtype: 'float64' });
  it('a mode on the wrong rank names the ranks it takes', () => {
    // torch: Got 4D input, but linear mode needs 3D input
    throwsA(tg.ShapeError, () => F.interpolate(x4, { scaleFactor: 2, mode: 'linear' }), [
      'interpolate',
      'linear mode takes 3D [N, C, L] input',
    ]);
    throwsA(tg.ShapeError, () => F.interpolate(x3, { scaleFactor: 2, mode: 'bicubic' }), [
      'bicubic mode takes 4D [N, C, H, W] input',
    ]);
    throwsA(tg.ShapeError, () => F.interpolate(x4, { scaleFactor: 2, mode: 'trilinear' }), [
      'trilinear mode takes 5D [N, C, D, H, W] input',
    ]);
    throwsA(tg.ShapeError, () => F.interpolate(tg.zeros([2, 4]), { scaleFactor: 2, mode: 'area' }), [
      'area mode takes 3D [N, C, L] or 4D [N, C, H, W] or 5D [N, C, D, H, W] input',
    ]);
  });
  it('align_corners only with the interpolating modes; unknown modes refused; antialias only bilinear/bicubic', () => {
    for (const mode of ['nearest-exact', 'area'] as const)
      throwsA(tg.ValueError, () => F.interpolate(x3, { scaleFactor: 2, mode, alignCorners: false }), [
        'align_corners option can only be set with the interpolating modes',
      ]);
    throwsA(tg.ValueError, () => F.interpolate(x3, { scaleFactor: 2, mode: 'cubic' as 'linear' }), [
      'interpolate',
      "mode must be one of 'nearest'",
      'got "cubic"',
    ]);
    // torch: Anti-alias option is only supported for bilinear and bicubic modes
    throwsA(tg.ValueError, () => F.interpolate(x3, { scaleFactor: 2, mode: 'linear', antialias: true }), [
      'interpolate',
      'Anti-alias option is only supported for bilinear and bicubic modes',
    ]);
    throwsA(tg.ValueError, () => F.interpolate(x4, { scaleFactor: 2, antialias: true }), [
      'Anti-alias option is only supported for bilinear and bicubic modes',
    ]);
    throwsA(tg.ValueError, () => new nn.Upsample({ scaleFactor: 2, antialias: true } as object), [
      "Upsample: unknown option 'antialias'",
    ]);
  });
  it('sizes: one per spatial axis, and output sizes above 0', () => {
    // torch: Input and output must have the same number of spatial dimensions, but got input with spatial
    // dimensions of [4, 4] and output size of [2]
    throwsA(tg.ValueError, () => F.interpolate(x4, { size: [2], mode: 'bicubic' }), [
      'Input and size must have the same number of spatial dimensions',
    ]);
    throwsA(tg.ValueError, () => F.interpolate(x3, { scaleFactor: 0.2, mode: 'area' }), [
      'Input and output sizes should be greater than 0',
    ]);
    throwsA(tg.ValueError, () => F.interpolate(x3, { size: 2.5, mode: 'linear' }), ['size must be integers']);
  });
});
