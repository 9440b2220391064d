// tg.conv3d, maxPool3d, avgPool3d, separableConv2d, maxPoolWithArgmax and localResponseNormalization against
// tfjs-core's cpu backend: values and shapes on several shapes and options, gradients via tf.grads, tg.gradcheck in
// float64, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { tfc, useTfjsCpu, valuesFor } from '../support/tfjs-compare.js';
import { expectClose } from '../support/check.js';
import { compareMany } from './tfjs-image-lib.js';

beforeAll(useTfjsCpu);

type T3 = [number, number, number];

describe('conv3d', () => {
  // [x shape, filter shape, strides, pad, dilations]
  const cases: [number[], number[], number | T3, 'valid' | 'same', number | T3][] = [
    [[1, 4, 5, 5, 2], [2, 3, 3, 2, 3], 1, 'valid', 1],
    [[2, 5, 4, 6, 1], [3, 2, 3, 1, 2], [2, 1, 2], 'same', 1],
    [[1, 6, 5, 5, 2], [2, 2, 2, 2, 2], 1, 'same', [2, 1, 2]],
    [[4, 4, 4, 3], [3, 3, 3, 3, 1], 2, 'valid', 1],
    [[1, 3, 3, 3, 1], [1, 1, 1, 1, 4], 1, 'same', 1],
  ];
  for (const [xs, ws, s, p, d] of cases)
    it(`x ${JSON.stringify(xs)} filter ${JSON.stringify(ws)} strides ${JSON.stringify(s)} ${p} dilations ${JSON.stringify(d)}`, () =>
      compareMany(
        [xs, ws],
        (x, w) => tg.conv3d(x, w, s, p, 'NDHWC', d),
        (x, w) => tfc.conv3d(x as tfc.Tensor5D, w as tfc.Tensor5D, s, p, 'NDHWC', d),
        'conv3d',
        // NOTE: TF.js's conv3d gradient refuses dilations above 1 (gradcheck covers them)
        { grad: d === 1 ? [0, 1] : [] },
      ));
  it('refuses NCDHW, bad ranks, channel mismatches and pads', () => {
    const x = tg.zeros([1, 3, 3, 3, 2]);
    const w = tg.zeros([2, 2, 2, 2, 1]);
    expect(() => tg.conv3d(x, w, 1, 'valid', 'NCDHW')).toThrow(`conv3d: dataFormat must be 'NDHWC'`);
    expect(() => tg.conv3d(tg.zeros([3, 3, 2]), w)).toThrow('conv3d: x must be rank 4 [d, h, w, c] or 5');
    expect(() => tg.conv3d(x, tg.zeros([2, 2, 2, 3, 1]))).toThrow(
      'conv3d: x [1,3,3,3,2] has 2 channels but the filter [2,2,2,3,1] expects 3',
    );
    expect(() => tg.conv3d(x, w, 1, 'full' as 'same')).toThrow(`conv3d: pad must be 'valid' or 'same'`);
    expect(() => tg.conv3d(x, w, [1, 1] as unknown as T3)).toThrow(
      'conv3d: strides must be a positive integer or [depth, height, width]',
    );
    expect(() => tg.conv3d(x, tg.zeros([4, 2, 2, 2, 1]))).toThrow(
      'conv3d: input depth 3 is smaller than the dilated filter depth 4',
    );
  });
});

describe('maxPool3d and avgPool3d', () => {
  const cases: [number[], number | T3, number | T3, 'valid' | 'same' | number][] = [
    [[1, 4, 4, 4, 2], 2, 2, 'valid'],
    [[2, 5, 4, 6, 1], [3, 2, 2], [2, 1, 2], 'same'],
    [[3, 5, 5, 2], [2, 3, 2], 1, 'valid'],
    [[1, 5, 5, 5, 1], 3, 2, 1],
    [[1, 4, 5, 3, 2], [1, 2, 3], [1, 2, 1], 'same'],
  ];
  for (const [xs, k, s, p] of cases) {
    it(`maxPool3d ${JSON.stringify(xs)} filter ${JSON.stringify(k)} strides ${JSON.stringify(s)} pad ${p}`, () =>
      compareMany(
        [xs],
        (x) => tg.maxPool3d(x, k, s, p),
        (x) => tfc.maxPool3d(x as tfc.Tensor5D, k, s, p),
        'maxPool3d',
        // NOTE: TF.js's maxPool3dPositions strides window rows by the filter height, not its width: its gradient is
        // wrong when they differ (compared only when they agree; gradcheck covers the rest)
        { rtol: 0, atol: 0, grad: typeof k === 'number' || k[1] === k[2] ? [0] : [] },
      ));
    it(`avgPool3d ${JSON.stringify(xs)} filter ${JSON.stringify(k)} strides ${JSON.stringify(s)} pad ${p}`, () =>
      compareMany(
        [xs],
        (x) => tg.avgPool3d(x, k, s, p),
        (x) => tfc.avgPool3d(x as tfc.Tensor5D, k, s, p),
        'avgPool3d',
        // NOTE: TF.js's AvgPool3DGrad divides by the whole window while its forward divides by the real cells, so
        // with padding its gradient is not its forward's (compared without padding; gradcheck covers the rest)
        { grad: p === 'valid' ? [0] : [] },
      ));
  }
  it('refuses NCDHW, rounding modes other than floor, bad pads and ranks', () => {
    const x = tg.zeros([1, 4, 4, 4, 1]);
    expect(() => tg.maxPool3d(x, 2, 2, 'valid', undefined, 'NCDHW')).toThrow(
      `maxPool3d: dataFormat must be 'NDHWC'`,
    );
    expect(() => tg.avgPool3d(x, 2, 2, 1, 'ceil')).toThrow(
      `avgPool3d: dimRoundingMode "ceil" is not supported`,
    );
    expect(() => tg.maxPool3d(x, 2, 2, -1)).toThrow(
      `maxPool3d: pad must be 'valid', 'same' or a non-negative integer, got -1`,
    );
    expect(() => tg.avgPool3d(tg.zeros([4, 4, 4]), 2, 2)).toThrow('avgPool3d: x must be rank 4');
  });
});

describe('separableConv2d', () => {
  // [x, depthwise, pointwise, strides, pad, dilation]
  const cases: [
    number[],
    number[],
    number[],
    number | [number, number],
    'valid' | 'same',
    number | [number, number],
  ][] = [
    [[1, 5, 5, 2], [3, 3, 2, 1], [1, 1, 2, 3], 1, 'valid', 1],
    [[2, 6, 5, 3], [2, 3, 3, 2], [1, 1, 6, 4], [2, 1], 'same', 1],
    [[1, 7, 7, 1], [3, 3, 1, 3], [1, 1, 3, 2], 1, 'same', 2],
    [[5, 4, 2], [2, 2, 2, 2], [1, 1, 4, 1], 2, 'valid', 1],
  ];
  for (const [xs, dw, pw, s, p, d] of cases)
    it(`x ${JSON.stringify(xs)} depthwise ${JSON.stringify(dw)} pointwise ${JSON.stringify(pw)} strides ${s} ${p} dilation ${d}`, () =>
      compareMany(
        [xs, dw, pw],
        (x, a, b) => tg.separableConv2d(x, a, b, s, p, d),
        (x, a, b) => tfc.separableConv2d(x as tfc.Tensor4D, a as tfc.Tensor4D, b as tfc.Tensor4D, s, p, d),
        'separableConv2d',
        // NOTE: TF.js's depthwise gradient refuses dilations above 1 (gradcheck covers them)
        { grad: d === 1 ? [0, 1, 2] : [] },
      ));
  it('refuses NCHW and mismatched filters', () => {
    const x = tg.zeros([1, 4, 4, 2]);
    const dw = tg.zeros([2, 2, 2, 2]);
    expect(() => tg.separableConv2d(x, dw, tg.zeros([1, 1, 4, 1]), 1, 'valid', 1, 'NCHW')).toThrow(
      `separableConv2d: dataFormat must be 'NHWC'`,
    );
    expect(() => tg.separableConv2d(x, dw, tg.zeros([1, 1, 3, 1]))).toThrow(
      'separableConv2d: pointwiseFilter [1,1,3,1] must have 4 (in·multiplier) input channels',
    );
    expect(() => tg.separableConv2d(x, dw, tg.zeros([2, 1, 4, 1]))).toThrow(
      'separableConv2d: pointwiseFilter must be [1, 1, 4, out]',
    );
    expect(() => tg.separableConv2d(tg.zeros([4, 4]), dw, tg.zeros([1, 1, 4, 1]))).toThrow(
      'separableConv2d: x must be rank 3',
    );
  });
});

describe('maxPoolWithArgmax', () => {
  const cases: [number[], number | [number, number], number | [number, number], 'valid' | 'same' | number][] =
    [
      [[1, 4, 4, 2], 2, 2, 'valid'],
      [[2, 5, 6, 3], [3, 2], [2, 1], 'same'],
      [[3, 5, 5, 1], 3, 2, 1],
    ];
  for (const [xs, k, s, p] of cases)
    for (const inc of [false, true])
      it(`${JSON.stringify(xs)} filter ${JSON.stringify(k)} strides ${JSON.stringify(s)} pad ${p} includeBatchInIndex ${inc}`, () => {
        const v = valuesFor(xs);
        const { result, indexes } = tg.maxPoolWithArgmax(
          tg.tensor(v, xs, { dtype: 'float32' }),
          k,
          s,
          p,
          inc,
        );
        const want = tfc.maxPoolWithArgmax(
          tfc.tensor4d(Float32Array.from(v), xs as [number, number, number, number]),
          k,
          s,
          p,
          inc,
        );
        expect(result.shape).toEqual(want.result.shape);
        expectClose(result.data, want.result.dataSync(), { rtol: 0, atol: 0 });
        expect(indexes.dtype).toBe('int32');
        expect(Array.from(indexes.data)).toEqual(Array.from(want.indexes.dataSync()));
        // the values' gradient is max pooling's (TF.js registers none for MaxPoolWithArgmax): against tf.maxPool's
        compareMany(
          [xs],
          (x) => tg.maxPoolWithArgmax(x, k, s, p, inc).result,
          (x) => tfc.maxPool(x as tfc.Tensor4D, k, s, p),
          'maxPoolWithArgmax',
          { rtol: 0, atol: 0 },
        );
      });
  it('takes the first of tied maxima, as TF.js', () => {
    const v = [1, 3, 3, 0, 2, 3, 3, 3, 1];
    const { indexes } = tg.maxPoolWithArgmax(tg.tensor(v, [1, 3, 3, 1]), 2, 1, 'valid');
    const want = tfc.maxPoolWithArgmax(tfc.tensor4d(v, [1, 3, 3, 1]), 2, 1, 'valid');
    expect(Array.from(indexes.data)).toEqual(Array.from(want.indexes.dataSync()));
  });
  it('refuses bad ranks and pads', () => {
    expect(() => tg.maxPoolWithArgmax(tg.zeros([3, 3, 1]), 2, 1, 'valid')).toThrow(
      'maxPoolWithArgmax: x must be rank 4',
    );
    expect(() => tg.maxPoolWithArgmax(tg.zeros([1, 3, 3, 1]), 2, 1, 'full' as 'same')).toThrow(
      `maxPoolWithArgmax: pad must be 'valid', 'same' or a non-negative integer`,
    );
  });
});

describe('localResponseNormalization', () => {
  const cases: [number[], number, number, number, number][] = [
    [[1, 2, 2, 7], 5, 1, 1, 0.5],
    [[2, 3, 2, 6], 2, 2, 0.5, 0.75],
    [[3, 2, 4], 1, 0.5, 2, 1.3],
    [[1, 1, 3, 5], 0, 1, 1, 0.5],
  ];
  for (const [xs, r, b, a, be] of cases)
    it(`${JSON.stringify(xs)} depthRadius ${r} bias ${b} alpha ${a} beta ${be}`, () =>
      compareMany(
        [xs],
        (x) => tg.localResponseNormalization(x, r, b, a, be),
        (x) => tfc.localResponseNormalization(x as tfc.Tensor4D, r, b, a, be),
        'localResponseNormalization',
      ));
  it('refuses bad ranks and a fractional depthRadius', () => {
    expect(() => tg.localResponseNormalization(tg.zeros([2, 3]))).toThrow(
      'localResponseNormalization: x must be rank 3',
    );
    expect(() => tg.localResponseNormalization(tg.zeros([1, 2, 2, 3]), 1.5)).toThrow(
      'localResponseNormalization: depthRadius must be a non-negative integer, got 1.5',
    );
  });
});
