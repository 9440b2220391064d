// Core Keras layer options the Keras fixtures do not cover, against plain loops: channels-first Conv1D/Conv2D (HWIO
// kernels kept), causal Conv1D, grouped Conv2D, channels-first Flatten order, SpatialDropout masks, Dense on rank 3.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  type Img,
  conv1dNaive,
  conv2dNaive,
  permute,
  resolvePadding,
  samePad,
} from '../support/naive-conv.js';
import { randTensor } from '../support/layers.js';

const img = (t: tg.Tensor): Img => ({ data: Float64Array.from(t.data), shape: [...t.shape] });
const f64 = 'float64' as const;

describe('Conv2D / Conv1D options beyond the fixtures', () => {
  const cases: [string, Partial<tg.ConvArgs>][] = [
    ['valid', {}],
    ['same, strides (2, 1)', { padding: 'same', strides: [2, 1] }],
    ['dilation 2', { dilationRate: 2 }],
    ['groups 2, same', { groups: 2, padding: 'same' }],
  ];
  for (const [what, a] of cases)
    it(`Conv2D channelsFirst (${what}) equals the channels-last loops on transposed data, with the same HWIO kernel`, () => {
      const layer = tg.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        dataFormat: 'channelsFirst',
        dtype: f64,
        ...a,
      });
      const x = randTensor([2, 4, 7, 6], 1);
      const y = layer.apply(x) as tg.Tensor;
      const [k, b] = layer.getWeights();
      expect(k.shape).toEqual([3, 3, 4 / (a.groups ?? 1), 4]);
      const xh = permute(img(x), [0, 2, 3, 1]);
      const s: [number, number] =
        typeof a.strides === 'number' ? [a.strides, a.strides] : (a.strides ?? [1, 1]);
      const dil = (a.dilationRate as number | undefined) ?? 1;
      const d: [number, number] = [dil, dil];
      const pads = resolvePadding((a.padding ?? 'valid') as 'same' | 'valid', 7, 6, [3, 3], s, d);
      const ref = conv2dNaive(xh, img(k), Float64Array.from(b.data), {
        stride: s,
        dilation: d,
        pads,
        groups: a.groups ?? 1,
      });
      const refCF = permute(ref, [0, 3, 1, 2]);
      expect(y.shape).toEqual(refCF.shape);
      expectClose(y.data, refCF.data, { rtol: 1e-12, atol: 1e-12 }, what);
    });

  it("Conv1D 'causal' pads (k−1)·d on the left only; channelsFirst uses the same [k, in, out] kernel", () => {
    const causal = tg.layers.conv1d({
      filters: 3,
      kernelSize: 3,
      padding: 'causal',
      dilationRate: 2,
      dtype: f64,
    });
    const x = randTensor([2, 8, 2], 2);
    const y = causal.apply(x) as tg.Tensor;
    const [k, b] = causal.getWeights();
    const ref = conv1dNaive(img(x), img(k), Float64Array.from(b.data), 1, 2, [4, 0], 1);
    expect(y.shape).toEqual([2, 8, 3]);
    expectClose(y.data, ref.data, { rtol: 1e-12, atol: 1e-12 }, 'causal');
    // Causal: output t depends on inputs ≤ t only.
    const x2 = tg.tensor(
      Float64Array.from(x.data).map((v, i) => (Math.floor(i / 2) % 8 === 7 ? v + 5 : v)),
      x.shape,
      { dtype: f64 },
    );
    const y2 = causal.apply(x2) as tg.Tensor;
    for (let t = 0; t < 7; t++)
      for (let f = 0; f < 3; f++) expect(y2.data[t * 3 + f]).toBe(y.data[t * 3 + f]);

    const cf = tg.layers.conv1d({
      filters: 3,
      kernelSize: 2,
      strides: 2,
      padding: 'same',
      dataFormat: 'channelsFirst',
      dtype: f64,
    });
    const xc = randTensor([2, 2, 7], 3);
    const yc = cf.apply(xc) as tg.Tensor;
    const [kc, bc] = cf.getWeights();
    expect(kc.shape).toEqual([2, 2, 3]);
    const r = conv1dNaive(
      permute(img(xc), [0, 2, 1]),
      img(kc),
      Float64Array.from(bc.data),
      2,
      1,
      samePad(7, 2, 2, 1),
      1,
    );
    const rc = permute(r, [0, 2, 1]);
    expect(yc.shape).toEqual(rc.shape);
    expectClose(yc.data, rc.data, { rtol: 1e-12, atol: 1e-12 }, 'channelsFirst Conv1D');
  });

  it('Conv2D getConfig lists the Keras keys; paramFormula adds up', () => {
    const c = tg.layers.conv2d({
      filters: 5,
      kernelSize: [2, 3],
      strides: 2,
      padding: 'same',
      dataFormat: 'channelsFirst',
      activation: 'relu',
      name: 'cc',
    });
    c.apply(tg.zeros([1, 4, 6, 6]));
    expect(c.getConfig()).toMatchObject({
      name: 'cc',
      filters: 5,
      kernel_size: [2, 3],
      strides: [2, 2],
      padding: 'same',
      data_format: 'channels_first',
      dilation_rate: [1, 1],
      activation: 'relu',
      use_bias: true,
    });
    expect(c.countParams()).toBe((2 * 3 * 4 + 1) * 5);
    expect(c.paramFormula()).toBe('(2·3·4+1)·5 = 125');
  });
});

describe('Flatten, SpatialDropout and Dense on rank-3 input', () => {
  it("Flatten channelsFirst moves channels last first (Keras order), so it matches a channels-last model's Flatten", () => {
    const x = randTensor([2, 3, 2, 4], 4);
    const y = tg.layers.flatten({ dataFormat: 'channelsFirst' }).apply(x) as tg.Tensor;
    const ref = permute(img(x), [0, 2, 3, 1]).data;
    expect(y.shape).toEqual([2, 24]);
    expect(Array.from(y.data)).toEqual(Array.from(ref));
    const plain = tg.layers.flatten().apply(x) as tg.Tensor;
    expect(Array.from(plain.data)).toEqual(Array.from(x.data));
  });

  it('SpatialDropout drops whole channels (same mask over every position), scaled by 1/(1−rate); identity at inference', () => {
    const x = tg.add(randTensor([3, 5, 6], 5), 2);
    const sd = tg.layers.spatialDropout1d({ rate: 0.5, dtype: f64 });
    expect(sd.apply(x)).toBe(x);
    tg.setSeed(4);
    const y = sd.apply(x, { training: true }) as tg.Tensor;
    let dropped = 0;
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 6; c++) {
        const col = Array.from(
          { length: 5 },
          (_, t) => y.data[(b * 5 + t) * 6 + c] / x.data[(b * 5 + t) * 6 + c],
        );
        expect(col.every((v) => Math.abs(v - col[0]) < 1e-12)).toBe(true);
        expect([0, 2].some((v) => Math.abs(col[0] - v) < 1e-12)).toBe(true);
        if (col[0] === 0) dropped++;
      }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(18);
    const cf = tg.layers.spatialDropout2d({ rate: 0.5, dataFormat: 'channelsFirst', dtype: f64 });
    const x4 = tg.add(randTensor([2, 4, 3, 3], 6), 2);
    const y4 = cf.apply(x4, { training: true }) as tg.Tensor;
    for (let i = 0; i < 8; i++) {
      const plane = Array.from({ length: 9 }, (_, p) => y4.data[i * 9 + p] / x4.data[i * 9 + p]);
      expect(plane.every((v) => Math.abs(v - plane[0]) < 1e-12)).toBe(true);
    }
  });

  it('Dense on [batch, steps, features] applies the same kernel at every step', () => {
    const d = tg.layers.dense({ units: 2, activation: 'sigmoid', dtype: f64 });
    const x = randTensor([2, 3, 4], 7);
    const y = d.apply(x) as tg.Tensor;
    const [k, b] = d.getWeights();
    const ref: number[] = [];
    for (let r = 0; r < 6; r++)
      for (let u = 0; u < 2; u++)
        ref.push(
          1 /
            (1 +
              Math.exp(
                -(b.data[u] + [0, 1, 2, 3].reduce((s, i) => s + x.data[r * 4 + i] * k.data[i * 2 + u], 0)),
              )),
        );
    expect(y.shape).toEqual([2, 3, 2]);
    expectClose(y.data, ref, { rtol: 1e-12, atol: 1e-12 }, 'Dense rank 3');
    expect(d.getConfig()).toMatchObject({ units: 2, activation: 'sigmoid', use_bias: true });
    expect(d.paramFormula()).toBe('(4+1)·2 = 10');
  });
});
