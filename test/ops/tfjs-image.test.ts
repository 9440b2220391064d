// tg.image (resizeBilinear, resizeNearestNeighbor, cropAndResize, flipLeftRight, rgbToGrayscale, grayscaleToRGB,
// nonMaxSuppression[Async], transform) against tfjs-core's cpu backend: values and shapes on several shapes and options,
// gradients via tf.grads where TF.js defines them, tg.gradcheck in float64, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { tfc, useTfjsCpu, valuesFor } from '../support/tfjs-compare.js';
import { expectClose } from '../support/check.js';
import { compareMany } from './tfjs-image-lib.js';

beforeAll(useTfjsCpu);

type Flags = [boolean, boolean];
const FLAGS: Flags[] = [
  [false, false],
  [true, false],
  [false, true],
];
// [input shape, size]: up, down, mixed, odd ratios, to 1, rank 3
const SIZES: [number[], [number, number]][] = [
  [
    [1, 3, 3, 2],
    [5, 7],
  ],
  [
    [2, 5, 5, 1],
    [3, 2],
  ],
  [
    [1, 4, 4, 3],
    [4, 9],
  ],
  [
    [1, 6, 6, 1],
    [4, 4],
  ],
  [
    [2, 3, 3, 2],
    [1, 1],
  ],
  [
    [4, 4, 2],
    [7, 3],
  ],
];

describe('image.resizeBilinear', () => {
  for (const [shape, size] of SIZES)
    for (const [ac, hp] of FLAGS)
      it(`${JSON.stringify(shape)} → ${size} alignCorners ${ac} halfPixelCenters ${hp}`, () =>
        compareMany(
          [shape],
          (x) => tg.image.resizeBilinear(x, size, ac, hp),
          (x) => tfc.image.resizeBilinear(x as tfc.Tensor4D, size, ac, hp),
          'resizeBilinear',
          // NOTE: TF.js's ResizeBilinearGrad ignores halfPixelCenters and labels a non-square gradient [b, w, h, c]:
          // the gradient is compared where its kernel is the forward's adjoint, gradcheck covers the rest
          { grad: !hp && shape.length === 4 && shape[1] === shape[2] ? [0] : [] },
        ));
  it('casts int32 images to float32 as TF.js', () => {
    const x = tg.tensor([1, 2, 3, 4], [1, 2, 2, 1], { dtype: 'int32' });
    const y = tg.image.resizeBilinear(x, [3, 3]);
    const yt = tfc.image.resizeBilinear(tfc.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32'), [3, 3]);
    expect(y.dtype).toBe('float32');
    expectClose(y.data, yt.dataSync(), { rtol: 1e-6, atol: 1e-6 });
  });
});

describe('image.resizeNearestNeighbor', () => {
  for (const [shape, size] of SIZES)
    for (const [ac, hp] of FLAGS)
      it(`${JSON.stringify(shape)} → ${size} alignCorners ${ac} halfPixelCenters ${hp}`, () =>
        compareMany(
          [shape],
          (x) => tg.image.resizeNearestNeighbor(x, size, ac, hp),
          (x) => tfc.image.resizeNearestNeighbor(x as tfc.Tensor4D, size, ac, hp),
          'resizeNearestNeighbor',
          // NOTE: TF.js's ResizeNearestNeighborGrad ignores halfPixelCenters and offsets dy by the image's batch
          // stride (NaN or wrong values past the first image): compared on one image, gradcheck covers the rest
          { rtol: 0, atol: 0, grad: hp || (shape.length === 4 && shape[0] > 1) ? [] : [0] },
        ));
  it('keeps int32 and rounds half up with alignCorners (Math.round)', () => {
    // 3 → 5 with alignCorners: sources 0, 0.5, 1, 1.5, 2 → rows 0, 1, 1, 2, 2
    const x = tg.tensor([10, 20, 30], [1, 3, 1, 1], { dtype: 'int32' });
    const y = tg.image.resizeNearestNeighbor(x, [5, 1], true);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data)).toEqual([10, 20, 20, 30, 30]);
  });
});

describe('image.resize errors', () => {
  const x = tg.zeros([1, 2, 2, 1]);
  it.each([
    ['resizeBilinear', tg.image.resizeBilinear],
    ['resizeNearestNeighbor', tg.image.resizeNearestNeighbor],
  ] as const)('%s refuses bad rank, size and alignCorners with halfPixelCenters', (name, f) => {
    expect(() => f(tg.zeros([2, 2]), [3, 3])).toThrow(
      new RegExp(`${name}: images must be rank 3 .* got \\[2, ?2\\]`),
    );
    expect(() => f(x, [3] as unknown as [number, number])).toThrow(
      `${name}: size must be [newHeight, newWidth]`,
    );
    expect(() => f(x, [0, 3])).toThrow(`${name}: size must be`);
    expect(() => f(x, [3, 3], true, true)).toThrow(
      `${name}: if halfPixelCenters is true, alignCorners must be false`,
    );
  });
});

describe('image.flipLeftRight, rgbToGrayscale, grayscaleToRGB', () => {
  it.each([[[1, 3, 4, 2]], [[2, 1, 5, 3]]])('flipLeftRight %j', (shape) =>
    compareMany(
      [shape],
      (x) => tg.image.flipLeftRight(x),
      (x) => tfc.image.flipLeftRight(x as tfc.Tensor4D),
      'flip',
      {
        rtol: 0,
        atol: 0,
        grad: [],
      },
    ),
  );
  it.each([[[4, 3]], [[2, 2, 3]], [[1, 2, 3, 3]], [[2, 1, 2, 2, 3]]])('rgbToGrayscale %j', (shape) =>
    // TF.js has no gradient for its Einsum: gradcheck only
    compareMany(
      [shape],
      (x) => tg.image.rgbToGrayscale(x),
      (x) => tfc.image.rgbToGrayscale(x as tfc.Tensor2D),
      'gray',
      {
        rtol: 1e-6,
        atol: 1e-7,
        grad: [],
      },
    ),
  );
  it('rgbToGrayscale truncates back to int32 as TF.js', () => {
    const v = [255, 0, 10, 3, 200, 99];
    const y = tg.image.rgbToGrayscale(tg.tensor(v, [2, 3], { dtype: 'int32' }));
    const yt = tfc.image.rgbToGrayscale(tfc.tensor2d(v, [2, 3], 'int32'));
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.data)).toEqual(Array.from(yt.dataSync()));
  });
  it.each([[[4, 1]], [[2, 3, 1]], [[1, 2, 2, 1]]])('grayscaleToRGB %j', (shape) =>
    compareMany(
      [shape],
      (x) => tg.image.grayscaleToRGB(x),
      (x) => tfc.image.grayscaleToRGB(x as tfc.Tensor2D),
      'rgb',
      {
        rtol: 0,
        atol: 0,
      },
    ),
  );
  it('refuses wrong ranks and channel counts', () => {
    expect(() => tg.image.flipLeftRight(tg.zeros([2, 2, 1]))).toThrow('flipLeftRight: image must be rank 4');
    expect(() => tg.image.rgbToGrayscale(tg.zeros([2, 4]))).toThrow(
      'rgbToGrayscale: image must be at least rank 2 with a last axis of size 3',
    );
    expect(() => tg.image.grayscaleToRGB(tg.zeros([2, 3]))).toThrow(
      'grayscaleToRGB: image must be at least rank 2 with a last axis of size 1',
    );
  });
});

describe('image.cropAndResize', () => {
  // boxes inside, partly outside (extrapolated), flipped, degenerate; two images
  const BOXES = [
    [0.1, 0.2, 0.8, 0.9],
    [-0.3, 0.1, 0.6, 1.4],
    [0.9, 0.7, 0.2, 0.1],
    [0.5, 0.5, 0.5, 0.5],
    [0, 0, 1, 1],
  ];
  const IND = [0, 1, 1, 0, 1];
  const cases: [number[], [number, number], 'bilinear' | 'nearest', number][] = [
    [[2, 5, 6, 2], [3, 4], 'bilinear', 0],
    [[2, 4, 4, 1], [1, 5], 'bilinear', -2.5],
    [[2, 6, 5, 3], [4, 1], 'nearest', 7],
    [[2, 3, 3, 1], [5, 5], 'nearest', 0],
  ];
  for (const [shape, crop, method, extra] of cases)
    it(`${JSON.stringify(shape)} crop ${crop} ${method} extrapolation ${extra}`, () => {
      const v = valuesFor(shape);
      const y = tg.image.cropAndResize(
        tg.tensor(v, shape, { dtype: 'float32' }),
        tg.tensor(BOXES.flat(), [5, 4]),
        tg.tensor(IND, [5], { dtype: 'int32' }),
        crop,
        method,
        extra,
      );
      const yt = tfc.image.cropAndResize(
        tfc.tensor4d(Float32Array.from(v), shape as [number, number, number, number]),
        tfc.tensor2d(BOXES),
        tfc.tensor1d(IND, 'int32'),
        crop,
        method,
        extra,
      );
      expect(y.shape).toEqual(yt.shape);
      expectClose(y.data, yt.dataSync(), { rtol: 1e-5, atol: 1e-6 });
      // TF.js defines no gradient here: gradcheck in the image (boxes fixed)
      const boxes64 = tg.tensor(BOXES.flat(), [5, 4], { dtype: 'float64' });
      const ind = tg.tensor(IND, [5], { dtype: 'int32' });
      const r = tg.gradcheck(
        (im) => tg.image.cropAndResize(im, boxes64, ind, crop, method, extra),
        [tg.tensor(v, shape, { dtype: 'float64' })],
        { mode: 'random', directions: 3 },
      );
      expect(r.ok).toBe(true);
    });
  it('refuses bad shapes, crop sizes, methods and box indices', () => {
    const im = tg.zeros([2, 3, 3, 1]);
    const b = tg.zeros([1, 4]);
    const i = tg.tensor([0], [1], { dtype: 'int32' });
    expect(() => tg.image.cropAndResize(tg.zeros([3, 3, 1]), b, i, [2, 2])).toThrow(
      'cropAndResize: image must be rank 4',
    );
    expect(() => tg.image.cropAndResize(im, tg.zeros([1, 3]), i, [2, 2])).toThrow(
      'cropAndResize: boxes must be [numBoxes, 4]',
    );
    expect(() => tg.image.cropAndResize(im, b, tg.zeros([2], { dtype: 'int32' }), [2, 2])).toThrow(
      'cropAndResize: boxInd must be [1]',
    );
    expect(() => tg.image.cropAndResize(im, b, i, [0, 2])).toThrow('cropAndResize: cropSize must be');
    expect(() => tg.image.cropAndResize(im, b, i, [2, 2], 'bicubic' as 'nearest')).toThrow(
      `cropAndResize: method must be 'bilinear' or 'nearest', got "bicubic"`,
    );
    expect(() => tg.image.cropAndResize(im, b, tg.tensor([2], [1], { dtype: 'int32' }), [2, 2])).toThrow(
      'cropAndResize: boxInd values must be in [0, 2), got 2',
    );
  });
});

describe('image.nonMaxSuppression', () => {
  // overlapping clusters, flipped corners, a zero-area box and tied scores
  const boxes = [
    [0, 0, 1, 1],
    [0, 0.1, 1, 1.1],
    [0, -0.1, 1, 0.9],
    [0, 10, 1, 11],
    [1, 10.1, 0, 11.1],
    [0, 100, 1, 101],
    [5, 5, 5, 6],
    [0, 0.5, 1, 1.5],
  ];
  const scores = [0.9, 0.75, 0.6, 0.95, 0.5, 0.3, 0.99, 0.75];
  const cases: [number, number | undefined, number | undefined][] = [
    [8, undefined, undefined],
    [3, undefined, undefined],
    [8, 0.2, undefined],
    [8, 0.9, 0.55],
    [8, 0.9, 0.5], // a score equal to scoreThreshold is dropped
    [8, 0, undefined],
    [8, 1, undefined],
    [0, 0.5, undefined],
  ];
  it.each(cases)('maxOutputSize %d iouThreshold %s scoreThreshold %s matches TF.js', (max, iou, st) => {
    const got = tg.image.nonMaxSuppression(tg.tensor(boxes.flat(), [8, 4]), tg.tensor(scores), max, iou, st);
    const want = tfc.image.nonMaxSuppression(tfc.tensor2d(boxes), tfc.tensor1d(scores), max, iou, st);
    expect(got.dtype).toBe('int32');
    expect(got.shape).toEqual(want.shape);
    expect(Array.from(got.data)).toEqual(Array.from(want.dataSync()));
  });
  it('random boxes match TF.js', () => {
    const n = 40;
    const v = valuesFor([n, 4]).map((a) => a * 3);
    const s = valuesFor([n]);
    const got = tg.image.nonMaxSuppression(tg.tensor(v, [n, 4]), tg.tensor(s), 20, 0.3, -0.5);
    const want = tfc.image.nonMaxSuppression(
      tfc.tensor2d(Float32Array.from(v), [n, 4]),
      tfc.tensor1d(Float32Array.from(s)),
      20,
      0.3,
      -0.5,
    );
    expect(Array.from(got.data)).toEqual(Array.from(want.dataSync()));
    expect(got.size).toBeGreaterThan(3);
  });
  it('nonMaxSuppressionAsync resolves to the same indices', async () => {
    const p = tg.image.nonMaxSuppressionAsync(tg.tensor(boxes.flat(), [8, 4]), tg.tensor(scores), 4);
    expect(p).toBeInstanceOf(Promise);
    const want = await tfc.image.nonMaxSuppressionAsync(tfc.tensor2d(boxes), tfc.tensor1d(scores), 4);
    expect(Array.from((await p).data)).toEqual(Array.from(want.dataSync()));
  });
  it('refuses bad shapes and thresholds', () => {
    const b = tg.zeros([2, 4]);
    const s = tg.zeros([2]);
    expect(() => tg.image.nonMaxSuppression(tg.zeros([2, 3]), s, 1)).toThrow(
      'nonMaxSuppression: boxes must be [numBoxes, 4]',
    );
    expect(() => tg.image.nonMaxSuppression(b, tg.zeros([3]), 1)).toThrow(
      'nonMaxSuppression: scores must be [2]',
    );
    expect(() => tg.image.nonMaxSuppression(b, s, 1, 1.5)).toThrow(
      'nonMaxSuppression: iouThreshold must be in [0, 1], got 1.5',
    );
    expect(() => tg.image.nonMaxSuppression(b, s, -1)).toThrow(
      'nonMaxSuppression: maxOutputSize must be a non-negative integer',
    );
  });
});

describe('image.transform', () => {
  // rotation + shift, scaling (down and up), two projective ones (the second's projection is 0 at X = 2), identity
  const T = [
    [0.8, -0.6, 1.5, 0.6, 0.8, -1.2, 0, 0],
    [1.7, 0, -0.5, 0, 0.6, 0.3, 0, 0],
    [1, 0.2, 0, -0.1, 1, 0, 0.05, -0.02],
    [1, 0.3, 0, 0, 1, 0, -0.5, 0], // k = 1 − X/2 is 0 at X = 2: fillValue there
    [1, 0, 0, 0, 1, 0, 0, 0],
  ];
  const modes = ['constant', 'reflect', 'wrap', 'nearest'] as const;
  for (const interp of ['nearest', 'bilinear'] as const)
    for (const mode of modes)
      it(`${interp} ${mode}: every transform, with and without outputShape`, () => {
        const shape = [1, 5, 6, 2];
        const v = valuesFor(shape);
        for (const [i, tr] of T.entries())
          for (const out of [undefined, [7, 4] as [number, number]]) {
            const y = tg.image.transform(
              tg.tensor(v, shape, { dtype: 'float32' }),
              tg.tensor(tr, [1, 8]),
              interp,
              mode,
              0.25,
              out,
            );
            const yt = tfc.image.transform(
              tfc.tensor4d(Float32Array.from(v), [1, 5, 6, 2]),
              tfc.tensor2d([tr]),
              interp,
              mode,
              0.25,
              out,
            );
            expect(y.shape).toEqual(yt.shape);
            expectClose(
              y.data,
              yt.dataSync(),
              { rtol: 1e-5, atol: 1e-6 },
              `transform ${i} ${JSON.stringify(out)}`,
            );
          }
      });
  it('transforms every image of a batch with its own row (TF.js 4.22 transforms only the first)', () => {
    const shape = [2, 4, 5, 1];
    const v = valuesFor(shape);
    const rows = [T[0], T[1]];
    const y = tg.image.transform(
      tg.tensor(v, shape, { dtype: 'float32' }),
      tg.tensor(rows.flat(), [2, 8]),
      'bilinear',
      'reflect',
    );
    for (const b of [0, 1]) {
      const one = tfc.image.transform(
        tfc.tensor4d(Float32Array.from(v.subarray(b * 20, b * 20 + 20)), [1, 4, 5, 1]),
        tfc.tensor2d([rows[b]]),
        'bilinear',
        'reflect',
      );
      expectClose(
        y.data.subarray(b * 20, b * 20 + 20),
        one.dataSync(),
        { rtol: 1e-5, atol: 1e-6 },
        `image ${b}`,
      );
    }
  });
  it.each(['nearest', 'bilinear'] as const)('%s: gradcheck in the image (float64)', (interp) => {
    const shape = [2, 4, 5, 2];
    const tr = tg.tensor([T[0], T[2]].flat(), [2, 8], { dtype: 'float64' });
    const r = tg.gradcheck(
      (im) => tg.image.transform(im, tr, interp, 'constant', 0.5, [5, 3]),
      [tg.tensor(valuesFor(shape), shape, { dtype: 'float64' })],
      { mode: 'random', directions: 3 },
    );
    expect(r.ok).toBe(true);
  });
  it('refuses bad shapes and options', () => {
    const im = tg.zeros([2, 3, 3, 1]);
    const tr = tg.zeros([1, 8]);
    expect(() => tg.image.transform(tg.zeros([3, 3, 1]), tr)).toThrow('transform: image must be rank 4');
    // TF.js refuses int32 images too ("must be float32 tensor")
    expect(() => tg.image.transform(tg.zeros([1, 3, 3, 1], { dtype: 'int32' }), tr)).toThrow(
      'transform: image must be float32 or float64, got int32',
    );
    expect(() => tg.image.transform(im, tg.zeros([3, 8]))).toThrow(
      'transform: transforms must be [2, 8] or [1, 8], got [3,8]',
    );
    expect(() => tg.image.transform(im, tr, 'bicubic' as 'nearest')).toThrow(
      `transform: interpolation must be 'nearest' or 'bilinear'`,
    );
    expect(() => tg.image.transform(im, tr, 'nearest', 'mirror' as 'wrap')).toThrow(
      `transform: fillMode must be one of`,
    );
    expect(() =>
      tg.image.transform(im, tr, 'nearest', 'constant', 0, [3] as unknown as [number, number]),
    ).toThrow('transform: outputShape must be [height, width]');
  });
});
