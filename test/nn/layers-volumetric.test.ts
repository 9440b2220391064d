// The eleven layers tg.layers gained from the Keras importer (3-D conv/pool/reshape, Masking, AlphaDropout,
// ActivityRegularization), called through their TF.js-style factories: Keras fixtures (the defaults of each layer)
// and naive loops.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import { expectKeras, fixTensor, getCase, loadCases } from '../support/layers.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/keras-fixtures/kerasjs-layers-k2/', import.meta.url));
const haveFixtures = existsSync(FIXTURES);
if (!haveFixtures)
  console.warn(`skipping the Keras fixture cases: ${FIXTURES} (../shared/keras-fixtures) is missing`);

/** Case 0 of each fixture file is the layer with Keras's default arguments (and a 3×3×3 kernel for Conv3D). */
describe.skipIf(!haveFixtures)('3-D layers through tg.layers match Keras (default arguments)', () => {
  const cases: [string, string, () => tg.Layer][] = [
    ['convolutional/Conv3D', 'convolutional.Conv3D.0', () => tg.layers.conv3d({ filters: 4, kernelSize: 3 })],
    ['pooling/MaxPooling3D', 'pooling.MaxPooling3D.0', () => tg.layers.maxPooling3d()],
    ['pooling/AveragePooling3D', 'pooling.AveragePooling3D.0', () => tg.layers.averagePooling3d()],
    ['pooling/AveragePooling3D', 'pooling.AveragePooling3D.0', () => tg.layers.avgPool3d({ poolSize: 2 })],
    ['pooling/GlobalMaxPooling3D', 'pooling.GlobalMaxPooling3D.0', () => tg.layers.globalMaxPooling3d()],
    [
      'pooling/GlobalAveragePooling3D',
      'pooling.GlobalAveragePooling3D.0',
      () => tg.layers.globalAveragePooling3d(),
    ],
    ['convolutional/ZeroPadding3D', 'convolutional.ZeroPadding3D.0', () => tg.layers.zeroPadding3d()],
    ['convolutional/Cropping3D', 'convolutional.Cropping3D.0', () => tg.layers.cropping3d()],
    ['convolutional/UpSampling3D', 'convolutional.UpSampling3D.0', () => tg.layers.upSampling3d()],
  ];
  for (const [file, id, make] of cases)
    it(`${id} (${make().className})`, () => {
      const c = getCase(loadCases(`layers/${file}.json`), id);
      const layer = make();
      const x = fixTensor(c.input!);
      layer.apply(x);
      if (c.weights) layer.setWeights(c.weights.map((w) => fixTensor(w, false)));
      expectKeras(layer.apply(x) as tg.Tensor, c.expected, id);
    });
});

/** x[b, d, h, w, c] of a [B, D, H, W, C] array. */
const at = (t: tg.Tensor, ...i: number[]): number => {
  let o = 0;
  for (let k = 0; k < i.length; k++) o = o * t.shape[k] + i[k];
  return t.data[o];
};
const ramp = (shape: number[]): tg.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tg.tensor(
    Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3),
    shape,
  );
};

describe('3-D layers against naive loops', () => {
  it('conv3d: y[d,h,w,f] = b[f] + Σ x[d·s+i, h·s+j, w·s+k, c]·W[i,j,k,c,f] (numbers broadcast to three axes)', () => {
    const x = ramp([1, 4, 3, 5, 2]);
    const layer = tg.layers.conv3d({ filters: 3, kernelSize: [2, 2, 3], strides: 1 });
    layer.apply(x);
    const W = ramp([2, 2, 3, 2, 3]);
    const b = tg.tensor([0.5, -1, 2], [3]);
    layer.setWeights([W, b]);
    const y = layer.apply(x) as tg.Tensor;
    expect(y.shape).toEqual([1, 3, 2, 3, 3]);
    const want: number[] = [];
    for (let d = 0; d < 3; d++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 3; w++)
          for (let f = 0; f < 3; f++) {
            let s = b.data[f];
            for (let i = 0; i < 2; i++)
              for (let j = 0; j < 2; j++)
                for (let k = 0; k < 3; k++)
                  for (let c = 0; c < 2; c++) s += at(x, 0, d + i, h + j, w + k, c) * at(W, i, j, k, c, f);
            want.push(s);
          }
    expectClose(Array.from(y.data), want, { rtol: 1e-5, atol: 1e-5 }, 'conv3d');
  });

  it('maxPooling3d / averagePooling3d (poolSize 2 as a number): the max / mean of each 2×2×2 block', () => {
    const x = ramp([1, 4, 2, 4, 3]);
    const mx = tg.layers.maxPooling3d({ poolSize: 2 }).apply(x) as tg.Tensor;
    const av = tg.layers.averagePooling3d({ poolSize: 2 }).apply(x) as tg.Tensor;
    expect(mx.shape).toEqual([1, 2, 1, 2, 3]);
    const wantMax: number[] = [];
    const wantAvg: number[] = [];
    for (let d = 0; d < 2; d++)
      for (let w = 0; w < 2; w++)
        for (let c = 0; c < 3; c++) {
          const v: number[] = [];
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++)
              for (let k = 0; k < 2; k++) v.push(at(x, 0, 2 * d + i, j, 2 * w + k, c));
          wantMax.push(Math.max(...v));
          wantAvg.push(v.reduce((a, b) => a + b, 0) / 8);
        }
    expectClose(Array.from(mx.data), wantMax, { rtol: 1e-6, atol: 1e-6 }, 'maxPooling3d');
    expectClose(Array.from(av.data), wantAvg, { rtol: 1e-6, atol: 1e-6 }, 'averagePooling3d');
  });

  it('zeroPadding3d, cropping3d and upSampling3d move every value where Keras puts it', () => {
    const x = ramp([1, 2, 3, 2, 2]);
    const p = tg.layers.zeroPadding3d({ padding: [1, 0, 2] }).apply(x) as tg.Tensor;
    expect(p.shape).toEqual([1, 4, 3, 6, 2]);
    const c = tg.layers
      .cropping3d({
        cropping: [
          [1, 0],
          [0, 1],
          [1, 0],
        ],
      })
      .apply(x) as tg.Tensor;
    expect(c.shape).toEqual([1, 1, 2, 1, 2]);
    const u = tg.layers.upSampling3d({ size: [1, 2, 3] }).apply(x) as tg.Tensor;
    expect(u.shape).toEqual([1, 2, 6, 6, 2]);
    for (let d = 0; d < 4; d++)
      for (let h = 0; h < 3; h++)
        for (let w = 0; w < 6; w++)
          for (let ch = 0; ch < 2; ch++) {
            const inside = d >= 1 && d < 3 && w >= 2 && w < 4;
            expect(at(p, 0, d, h, w, ch)).toBe(inside ? at(x, 0, d - 1, h, w - 2, ch) : 0);
          }
    for (let h = 0; h < 2; h++)
      for (let ch = 0; ch < 2; ch++) expect(at(c, 0, 0, h, 0, ch)).toBe(at(x, 0, 1, h, 1, ch));
    for (let d = 0; d < 2; d++)
      for (let h = 0; h < 6; h++)
        for (let w = 0; w < 6; w++)
          for (let ch = 0; ch < 2; ch++)
            expect(at(u, 0, d, h, w, ch)).toBe(at(x, 0, d, Math.floor(h / 2), Math.floor(w / 3), ch));
  });

  it('globalMaxPooling3d / globalAveragePooling3d reduce the three spatial axes', () => {
    const x = ramp([2, 2, 3, 2, 2]);
    const gm = tg.layers.globalMaxPooling3d().apply(x) as tg.Tensor;
    const ga = tg.layers.globalAveragePooling3d().apply(x) as tg.Tensor;
    expect(gm.shape).toEqual([2, 2]);
    for (let b = 0; b < 2; b++)
      for (let ch = 0; ch < 2; ch++) {
        const v: number[] = [];
        for (let d = 0; d < 2; d++)
          for (let h = 0; h < 3; h++) for (let w = 0; w < 2; w++) v.push(at(x, b, d, h, w, ch));
        expect(at(gm, b, ch)).toBeCloseTo(Math.max(...v), 12);
        expect(at(ga, b, ch)).toBeCloseTo(v.reduce((a, s) => a + s, 0) / v.length, 12);
      }
  });

  it('the factories refuse an option the layer does not have, by name', () => {
    expect(() => tg.layers.conv3d({ filters: 1, kernelSize: 1, kernelInitializer: 'ones' } as never)).toThrow(
      /Conv3D: unknown option 'kernelInitializer'/,
    );
    expect(() => tg.layers.upSampling3d({ interpolation: 'bilinear' } as never)).toThrow(
      /UpSampling3D: unknown option 'interpolation'/,
    );
  });
});

describe('masking, alphaDropout, activityRegularization', () => {
  it('masking zeroes the steps whose features all equal maskValue and keeps the others', () => {
    const x = tg.tensor([1, 2, 0, 0, 0, 3, 0, 0], [1, 4, 2]);
    const y = tg.layers.masking().apply(x) as tg.Tensor;
    expect(Array.from(y.data)).toEqual([1, 2, 0, 0, 0, 3, 0, 0]);
    const z = tg.layers.masking({ maskValue: 2 }).apply(tg.tensor([2, 2, 2, 5], [1, 2, 2])) as tg.Tensor;
    expect(Array.from(z.data)).toEqual([0, 0, 2, 5]);
  });
  it('alphaDropout and activityRegularization are identities at inference', () => {
    const x = ramp([2, 3]);
    expect(Array.from((tg.layers.alphaDropout({ rate: 0.5 }).apply(x) as tg.Tensor).data)).toEqual(
      Array.from(x.data),
    );
    const r = tg.layers.activityRegularization({ l1: 0.1 });
    expect(Array.from((r.apply(x) as tg.Tensor).data)).toEqual(Array.from(x.data));
    expect(r.getConfig()).toMatchObject({ l1: 0.1, l2: 0 });
  });
});
