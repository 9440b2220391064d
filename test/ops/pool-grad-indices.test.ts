// The max-pool gradient goes to each window's first maximum (one maxPool2dGrad kernel, no index tensor), and index
// tensors from user code are still range-checked by scatterAdd.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';
import { squareGeom, wasm } from '../support/backend.js';

describe('max-pool gradient indices', () => {
  it.each(['float32', 'float64'] as const)(
    '%s: the gradient of maxPool2d puts each output gradient on its window’s first maximum (naive loops)',
    (dtype) => {
      const [n, h, w, c] = [2, 6, 5, 3];
      const x = tg.tensor(uniform(n * h * w * c, 5, -1, 1), [n, h, w, c], { dtype });
      const oh = 3;
      const ow = 2;
      const wts = tg.tensor(uniform(n * oh * ow * c, 6, -1, 1), [n, oh, ow, c], { dtype });
      const g = tg.grad((t: tg.Tensor) => tg.sum(tg.mul(tg.maxPool2d(t, { kernelSize: 2 }), wts)))(x).data;
      const xd = x.data;
      const wd = wts.data;
      const want = new Float64Array(xd.length);
      const at = (b: number, y: number, xx: number, ch: number) => ((b * h + y) * w + xx) * c + ch;
      for (let b = 0; b < n; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let ch = 0; ch < c; ch++) {
              let best = -1;
              for (let ky = 0; ky < 2; ky++)
                for (let kx = 0; kx < 2; kx++) {
                  const i = at(b, oy * 2 + ky, ox * 2 + kx, ch);
                  if (best < 0 || xd[i] > xd[best]) best = i;
                }
              want[best] += wd[((b * oh + oy) * ow + ox) * c + ch];
            }
      for (let i = 0; i < want.length; i++) expect(g[i]).toBeCloseTo(want[i], 6);
    },
  );

  it('indices from user code are still checked: a poolArgmax result changed out of range is refused', () => {
    const x = tg.tensor(uniform(16, 7, -1, 1), [1, 4, 4, 1]);
    const idx = tg.poolArgmax(x, squareGeom(1, 4, 4, 1, 2, { s: 2 }));
    idx.data[1] = 99;
    expect(() => tg.scatterAdd(tg.ones([1, 2, 2, 1]), idx, [1, 4, 4, 1])).toThrow(
      'scatterAdd: index 99 (position 1) is out of range for 16 values',
    );
  });
});

// NCHW max pooling with a 2×2 window and stride 2 runs in place as [N·C, H, W, 1] (the kernels' one-channel path)
// instead of transposing to NHWC and back; it must give the transposed path's bits, forward and backward.
describe('NCHW 2×2 max pooling without transposes', () => {
  it.each([
    [2, 3, 9, 16, false],
    [1, 5, 8, 7, false],
    [2, 4, 7, 11, true],
  ] as const)(
    '[%i, %i, %i, %i] ceilMode %s: the transposed path’s values and gradient bits',
    (n, c, h, w, ceilMode) => {
      const x = tg.tensor(uniform(n * c * h * w, 11, -1, 1), [n, c, h, w]);
      for (let i = 0; i < x.size; i += 5) x.data[i] = Math.round(x.data[i]); // ties within windows
      const opts = { kernelSize: 2, dataFormat: 'NCHW', ceilMode } as const;
      const viaNhwc = (t: tg.Tensor) =>
        tg.transpose(tg.maxPool2d(tg.transpose(t, [0, 2, 3, 1]), { kernelSize: 2, ceilMode }), [0, 3, 1, 2]);
      const y = tg.maxPool2d(x, opts);
      expect(Array.from(y.data)).toEqual(Array.from(viaNhwc(x).data));
      const wts = tg.tensor(uniform(y.size, 12, -1, 1), y.shape);
      const g = tg.grad((t: tg.Tensor) => tg.sum(tg.mul(tg.maxPool2d(t, opts), wts)))(x);
      const want = tg.grad((t: tg.Tensor) => tg.sum(tg.mul(viaNhwc(t), wts)))(x);
      expect(Array.from(g.data)).toEqual(Array.from(want.data));
    },
  );
  it('runs no transpose kernel, forward or backward (wasm)', () => {
    const K = wasm();
    const x = tg.tensor(uniform(2 * 3 * 8 * 8, 13, -1, 1), [2, 3, 8, 8]);
    const transpose = vi.spyOn(K, 'transpose');
    const g = tg.grad((t: tg.Tensor) => tg.sum(tg.maxPool2d(t, { kernelSize: 2, dataFormat: 'NCHW' })))(x);
    expect(transpose).not.toHaveBeenCalled();
    transpose.mockRestore();
    expect(g.shape).toEqual([2, 3, 8, 8]);
  });
});
