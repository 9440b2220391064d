// The max-pool gradient's indices are made by poolArgmax inside the vjp and are not rescanned by scatterAdd's range
// check (in range by construction); every other index tensor still is, and the gradient is still right.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';
import { squareGeom } from '../support/backend.js';

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
