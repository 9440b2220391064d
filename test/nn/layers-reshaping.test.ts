// ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D: Keras fixtures, naive loops (bilinear), errors, configs.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  expectKeras,
  expectThrowsWith,
  fixTensor,
  getCase,
  loadCases,
  randTensor,
} from '../support/layers.js';

type Made = [string, () => tg.Layer];
const cf = 'channelsFirst' as const;

function runCases(file: string, made: Made[]): void {
  const cases = loadCases(file);
  for (const [id, make] of made)
    it(`matches Keras ${id}`, () => {
      const c = getCase(cases, id);
      expectKeras(make().apply(fixTensor(c.input!)) as tg.Tensor, c.expected, id);
    });
}

describe('ZeroPadding', () => {
  runCases('layers/convolutional/ZeroPadding1D.json', [
    ['convolutional.ZeroPadding1D.0', () => new tg.ZeroPadding1D({ padding: 1 })],
    ['convolutional.ZeroPadding1D.1', () => new tg.ZeroPadding1D({ padding: 3 })],
    ['convolutional.ZeroPadding1D.2', () => new tg.ZeroPadding1D({ padding: [3, 2] })],
  ]);
  runCases('layers/convolutional/ZeroPadding2D.json', [
    ['convolutional.ZeroPadding2D.0', () => new tg.ZeroPadding2D({ padding: [1, 1] })],
    ['convolutional.ZeroPadding2D.1', () => new tg.ZeroPadding2D({ padding: [1, 1], dataFormat: cf })],
    ['convolutional.ZeroPadding2D.2', () => new tg.ZeroPadding2D({ padding: [3, 2] })],
    ['convolutional.ZeroPadding2D.3', () => new tg.ZeroPadding2D({ padding: [3, 2], dataFormat: cf })],
    [
      'convolutional.ZeroPadding2D.4',
      () =>
        new tg.ZeroPadding2D({
          padding: [
            [1, 2],
            [3, 4],
          ],
        }),
    ],
    ['convolutional.ZeroPadding2D.5', () => new tg.ZeroPadding2D({ padding: 2 })],
  ]);
  it('has Keras defaults and configs, and rejects bad options and ranks', () => {
    const z = tg.layers.zeroPadding2d({ name: 'zp' });
    expect((z.apply(tg.zeros([1, 2, 3, 1])) as tg.Tensor).shape).toEqual([1, 4, 5, 1]);
    expect(z.getConfig()).toMatchObject({
      padding: [
        [1, 1],
        [1, 1],
      ],
      data_format: 'channels_last',
    });
    expect(tg.layers.zeroPadding1d().getConfig()).toMatchObject({ padding: [1, 1] });
    expectThrowsWith(() => new tg.ZeroPadding2D({ padding: [1, -1] }), ['ZeroPadding2D', 'padding']);
    expectThrowsWith(() => z.apply(tg.zeros([2, 3, 1])), ['zp', 'ZeroPadding2D', 'rank 4', '[2,3,1]']);
  });
});

describe('Cropping', () => {
  runCases('layers/convolutional/Cropping1D.json', [
    ['convolutional.Cropping1D.0', () => new tg.Cropping1D({ cropping: [1, 1] })],
    ['convolutional.Cropping1D.1', () => new tg.Cropping1D({ cropping: [2, 3] })],
    ['convolutional.Cropping1D.2', () => new tg.Cropping1D({ cropping: 2 })],
  ]);
  runCases('layers/convolutional/Cropping2D.json', [
    [
      'convolutional.Cropping2D.0',
      () =>
        new tg.Cropping2D({
          cropping: [
            [1, 1],
            [1, 1],
          ],
        }),
    ],
    [
      'convolutional.Cropping2D.1',
      () =>
        new tg.Cropping2D({
          cropping: [
            [1, 1],
            [1, 1],
          ],
          dataFormat: cf,
        }),
    ],
    [
      'convolutional.Cropping2D.2',
      () =>
        new tg.Cropping2D({
          cropping: [
            [4, 2],
            [3, 1],
          ],
        }),
    ],
    [
      'convolutional.Cropping2D.3',
      () =>
        new tg.Cropping2D({
          cropping: [
            [4, 2],
            [3, 1],
          ],
          dataFormat: cf,
        }),
    ],
    ['convolutional.Cropping2D.4', () => new tg.Cropping2D({ cropping: [2, 3] })],
    // NOTE: the notebook heading says "cropping 4", but 4 cannot crop 7 columns; the stored output is the
    // input with 1 removed on every side (8x7 → 6x5), so the case is checked as cropping 1.
    ['convolutional.Cropping2D.5', () => new tg.Cropping2D({ cropping: 1 })],
  ]);
  it('rejects a cropping that leaves nothing, naming the layer, the axis and the shape', () => {
    const c = new tg.Cropping2D({
      cropping: [
        [2, 1],
        [0, 0],
      ],
      name: 'crop',
    });
    expectThrowsWith(() => c.apply(tg.zeros([1, 3, 4, 2])), ['crop', 'Cropping2D', '[2, 1]', '[1,3,4,2]']);
    expect(c.getConfig()).toMatchObject({
      cropping: [
        [2, 1],
        [0, 0],
      ],
    });
    expect(tg.layers.cropping2D({ cropping: 1 })).toBeInstanceOf(tg.Cropping2D);
  });
});

/** Half-pixel bilinear resize of one [h, w] plane, straight from the definition (4 neighbours per pixel). */
function naiveBilinear(x: ArrayLike<number>, h: number, w: number, oh: number, ow: number): number[] {
  const src = (o: number, n: number, on: number) => {
    const s = (o + 0.5) * (n / on) - 0.5;
    const f = Math.floor(s);
    return [Math.max(f, 0), Math.min(Math.ceil(s), n - 1), s - f] as const;
  };
  const out: number[] = [];
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      const [y0, y1, ty] = src(oy, h, oh);
      const [x0, x1, tx] = src(ox, w, ow);
      const top = x[y0 * w + x0] * (1 - tx) + x[y0 * w + x1] * tx;
      const bot = x[y1 * w + x0] * (1 - tx) + x[y1 * w + x1] * tx;
      out.push(top * (1 - ty) + bot * ty);
    }
  return out;
}

describe('UpSampling', () => {
  runCases('layers/convolutional/UpSampling1D.json', [
    ['convolutional.UpSampling1D.0', () => new tg.UpSampling1D({ size: 2 })],
    ['convolutional.UpSampling1D.1', () => new tg.UpSampling1D({ size: 3 })],
  ]);
  runCases('layers/convolutional/UpSampling2D.json', [
    ['convolutional.UpSampling2D.0', () => new tg.UpSampling2D({ size: [2, 2] })],
    ['convolutional.UpSampling2D.1', () => new tg.UpSampling2D({ size: [2, 2], dataFormat: cf })],
    ['convolutional.UpSampling2D.2', () => new tg.UpSampling2D({ size: [3, 2] })],
    ['convolutional.UpSampling2D.3', () => new tg.UpSampling2D({ size: [1, 3], dataFormat: cf })],
    ['convolutional.UpSampling2D.4', () => new tg.UpSampling2D({ size: 2 })],
  ]);

  it('bilinear: a 1x2 row [0, 1] upsampled x2 gives TF2 half-pixel values [0, 0.25, 0.75, 1]', () => {
    const y = tg.layers
      .upSampling2d({ size: [1, 2], interpolation: 'bilinear' })
      .apply(tg.tensor([0, 1], [1, 1, 2, 1])) as tg.Tensor;
    expectClose(y.data, [0, 0.25, 0.75, 1], { rtol: 1e-7, atol: 1e-7 });
  });

  it('bilinear matches a naive loop per plane (channels last and first) and gradchecks', () => {
    const x = randTensor([2, 3, 4, 2], 11);
    const y = new tg.UpSampling2D({ size: [3, 2], interpolation: 'bilinear' }).apply(x) as tg.Tensor;
    expect(y.shape).toEqual([2, 9, 8, 2]);
    const planes = tg.transpose(x, [0, 3, 1, 2]);
    const want = tg.transpose(
      tg.tensor(
        Array.from({ length: 4 }, (_, p) =>
          naiveBilinear(planes.data.subarray(p * 12, p * 12 + 12), 3, 4, 9, 8),
        ).flat(),
        [2, 2, 9, 8],
        { dtype: 'float64' },
      ),
      [0, 2, 3, 1],
    );
    expectClose(y.data, want.data, { rtol: 1e-12, atol: 1e-12 });
    const ycf = new tg.UpSampling2D({ size: [3, 2], interpolation: 'bilinear', dataFormat: cf }).apply(
      planes,
    ) as tg.Tensor;
    expectClose(tg.transpose(ycf, [0, 2, 3, 1]).data, y.data, { rtol: 1e-12, atol: 1e-12 });
    const res = tg.gradcheck(
      (t) => new tg.UpSampling2D({ size: 2, interpolation: 'bilinear' }).apply(t) as tg.Tensor,
      [randTensor([1, 2, 3, 1], 12)],
    );
    expect(res.ok).toBe(true);
  });

  it('nearest gradient sums the copies back', () => {
    const x = randTensor([1, 2, 2, 1], 13).requireGrad();
    const y = new tg.UpSampling2D({ size: [2, 3] }).apply(x) as tg.Tensor;
    tg.sum(y).backward();
    expectClose(x.grad!.data, [6, 6, 6, 6]);
  });

  it('configs and errors', () => {
    expect(new tg.UpSampling2D().getConfig()).toMatchObject({
      size: [2, 2],
      interpolation: 'nearest',
      data_format: 'channels_last',
    });
    expect(new tg.UpSampling1D({ size: 3 }).getConfig()).toMatchObject({ size: 3 });
    expectThrowsWith(
      () => new tg.UpSampling2D({ interpolation: 'bicubic' as 'nearest' }),
      ['UpSampling2D', 'bicubic'],
    );
    expectThrowsWith(
      () => new tg.UpSampling1D({ name: 'up1' }).apply(tg.zeros([2, 3])),
      ['up1', 'UpSampling1D', 'rank 3', '[2,3]'],
    );
  });
});
