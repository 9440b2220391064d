// DepthwiseConv2D, SeparableConv2D and Conv2DTranspose: Keras fixtures, naive loops, gradchecks, errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  expectKeras,
  expectThrowsWith,
  fixTensor,
  getCase,
  gradcheckLayer,
  loadCases,
  randTensor,
} from '../support/layers.js';

/** Naive depthwise conv, NHWC, kernel [kh,kw,c,m], TF 'same'/'valid' padding. */
function naiveDepthwise(
  x: tg.Tensor,
  k: tg.Tensor,
  b: tg.Tensor | null,
  s: [number, number],
  pad: 'same' | 'valid',
  d: [number, number] = [1, 1],
): { data: number[]; shape: number[] } {
  const [n, h, w, c] = x.shape;
  const [kh, kw, , m] = k.shape;
  const ek = [(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1];
  const oh = pad === 'same' ? Math.ceil(h / s[0]) : Math.floor((h - ek[0]) / s[0]) + 1;
  const ow = pad === 'same' ? Math.ceil(w / s[1]) : Math.floor((w - ek[1]) / s[1]) + 1;
  const pt = pad === 'same' ? Math.floor(Math.max((oh - 1) * s[0] + ek[0] - h, 0) / 2) : 0;
  const pl = pad === 'same' ? Math.floor(Math.max((ow - 1) * s[1] + ek[1] - w, 0) / 2) : 0;
  const out: number[] = [];
  for (let bi = 0; bi < n; bi++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ci = 0; ci < c; ci++)
          for (let j = 0; j < m; j++) {
            let acc = b ? b.data[ci * m + j] : 0;
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * s[0] - pt + ky * d[0];
                const ix = ox * s[1] - pl + kx * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                acc += x.data[((bi * h + iy) * w + ix) * c + ci] * k.data[((ky * kw + kx) * c + ci) * m + j];
              }
            out.push(acc);
          }
  return { data: out, shape: [n, oh, ow, c * m] };
}

/** Naive transposed conv by scattering: full[iy·s + ky·d] += x·K, then crop `cut` rows/cols and keep [oh, ow]. */
function naiveTranspose(
  x: tg.Tensor,
  k: tg.Tensor,
  b: tg.Tensor | null,
  s: [number, number],
  d: [number, number],
  cut: [number, number],
  oh: number,
  ow: number,
): number[] {
  const [n, h, w, c] = x.shape;
  const [kh, kw, f] = k.shape;
  const out = new Array<number>(n * oh * ow * f).fill(0);
  for (let bi = 0; bi < n; bi++)
    for (let iy = 0; iy < h; iy++)
      for (let ix = 0; ix < w; ix++)
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const oy = iy * s[0] + ky * d[0] - cut[0];
            const ox = ix * s[1] + kx * d[1] - cut[1];
            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
            for (let fi = 0; fi < f; fi++)
              for (let ci = 0; ci < c; ci++)
                out[((bi * oh + oy) * ow + ox) * f + fi] +=
                  x.data[((bi * h + iy) * w + ix) * c + ci] * k.data[((ky * kw + kx) * f + fi) * c + ci];
          }
  if (b) for (let i = 0; i < out.length; i++) out[i] += b.data[i % f];
  return out;
}

describe('Conv2DTranspose', () => {
  const cases = loadCases('layers/convolutional/Conv2DTranspose.json');
  const cfg: [number, [number, number], number, 'valid' | 'same', string, boolean][] = [
    [4, [3, 3], 1, 'valid', 'linear', false],
    [4, [3, 3], 1, 'valid', 'linear', true],
    [4, [3, 3], 2, 'valid', 'relu', true],
    [4, [3, 3], 1, 'same', 'relu', true],
    [5, [3, 3], 2, 'same', 'relu', true],
    [3, [2, 3], 1, 'same', 'relu', true],
  ];
  cfg.forEach(([filters, kernelSize, strides, padding, activation, useBias], i) =>
    it(`matches Keras case ${i} (${filters} ${kernelSize.join('x')} filters, strides ${strides}, ${padding}, ${activation}, bias ${useBias})`, () => {
      const c = getCase(cases, `convolutional.Conv2DTranspose.${i}`);
      const layer = new tg.Conv2DTranspose({ filters, kernelSize, strides, padding, activation, useBias });
      const x = fixTensor(c.input!);
      layer.build(x.shape);
      layer.built = true;
      layer.setWeights(c.weights!.map((w) => fixTensor(w, false)));
      expectKeras(layer.apply(x) as tg.Tensor, c.expected, `Conv2DTranspose.${i}`);
    }),
  );

  it('matches a naive scatter loop with outputPadding, dilation and channels_first', () => {
    const x = randTensor([2, 3, 4, 3], 1);
    // valid, strides 2, dilation 1, outputPadding 1: out = (h-1)·s + k + op
    const l1 = new tg.Conv2DTranspose({
      filters: 2,
      kernelSize: [3, 2],
      strides: 2,
      outputPadding: 1,
      dtype: 'float64',
      biasInitializer: 'ones',
    });
    const y1 = l1.apply(x) as tg.Tensor;
    expect(y1.shape).toEqual([2, 2 * 2 + 3 + 1, 3 * 2 + 2 + 1, 2]);
    expectClose(
      y1.data,
      naiveTranspose(x, l1.kernel, l1.bias, [2, 2], [1, 1], [0, 0], 8, 9),
      { rtol: 1e-12, atol: 1e-12 },
      'outputPadding',
    );
    // same, strides [2, 3], dilation 1: out = in·s; cut = floor((k - s)⁺ / 2) ... checked against the scatter loop
    const l2 = new tg.Conv2DTranspose({
      filters: 2,
      kernelSize: 4,
      strides: [2, 3],
      padding: 'same',
      dtype: 'float64',
    });
    const y2 = l2.apply(x) as tg.Tensor;
    expect(y2.shape).toEqual([2, 6, 12, 2]);
    // TF pads a forward conv on 6 rows (k 4, s 2) by 2 in total (1 before); on 12 columns (k 4, s 3) by 1 (0 before)
    expectClose(
      y2.data,
      naiveTranspose(x, l2.kernel, l2.bias, [2, 3], [1, 1], [1, 0], 6, 12),
      { rtol: 1e-12, atol: 1e-12 },
      'same',
    );
    // dilation 2, valid: out = (h-1)·1 + (k-1)·2 + 1
    const l3 = new tg.Conv2DTranspose({ filters: 3, kernelSize: 2, dilationRate: 2, dtype: 'float64' });
    const y3 = l3.apply(x) as tg.Tensor;
    expect(y3.shape).toEqual([2, 5, 6, 3]);
    expectClose(
      y3.data,
      naiveTranspose(x, l3.kernel, l3.bias, [1, 1], [2, 2], [0, 0], 5, 6),
      { rtol: 1e-12, atol: 1e-12 },
      'dilation',
    );
    // channels_first: same numbers with axes moved
    const l4 = new tg.Conv2DTranspose({
      filters: 2,
      kernelSize: [3, 2],
      strides: 2,
      outputPadding: 1,
      dataFormat: 'channelsFirst',
      dtype: 'float64',
    });
    l4.build([2, 3, 3, 4]);
    l4.built = true;
    l4.setWeights(l1.getWeights());
    const y4 = l4.apply(tg.transpose(x, [0, 3, 1, 2])) as tg.Tensor;
    expectClose(tg.transpose(y4, [0, 2, 3, 1]).data, y1.data, { rtol: 1e-12, atol: 1e-12 }, 'channels_first');
  });

  it('gradchecks w.r.t. input, kernel and bias', () => {
    const layer = new tg.Conv2DTranspose({
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      dtype: 'float64',
      biasInitializer: 'ones',
    });
    gradcheckLayer(layer, randTensor([1, 3, 2, 2], 2));
  });

  it('counts parameters, reports config and rejects bad inputs', () => {
    const layer = new tg.Conv2DTranspose({ filters: 8, kernelSize: 3, name: 'deconv' });
    layer.apply(tg.zeros([1, 4, 4, 5]));
    expect(layer.countParams()).toBe(3 * 3 * 5 * 8 + 8);
    expect(layer.paramFormula()).toBe('(3·3·5+1)·8 = 368');
    expect(layer.getConfig()).toMatchObject({
      filters: 8,
      kernel_size: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      output_padding: null,
    });
    expectThrowsWith(
      () => layer.apply(tg.zeros([1, 4, 4, 6])),
      ['deconv', 'Conv2DTranspose', '[1,4,4,6]', '[3,3,8,5]'],
    );
    expectThrowsWith(() => layer.apply(tg.zeros([4, 4, 5])), ['deconv', 'rank 4', '[4,4,5]']);
    expectThrowsWith(
      () => new tg.Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2 }),
      ['outputPadding', 'smaller than the strides'],
    );
  });
});

describe('SeparableConv2D', () => {
  const cases = loadCases('layers/convolutional/SeparableConv2D.json');
  const cfg: [number, number, 'valid' | 'same', number, string, boolean][] = [
    [4, 1, 'valid', 1, 'linear', true],
    [4, 1, 'valid', 2, 'relu', true],
    [16, 1, 'valid', 3, 'relu', true],
    [4, 2, 'valid', 1, 'relu', true],
    [4, 1, 'same', 1, 'relu', true],
    [4, 1, 'same', 2, 'relu', false],
    [4, 2, 'same', 2, 'relu', true],
  ];
  cfg.forEach(([filters, strides, padding, depthMultiplier, activation, useBias], i) =>
    it(`matches Keras case ${i} (${filters} filters, strides ${strides}, ${padding}, depth multiplier ${depthMultiplier}, bias ${useBias})`, () => {
      const c = getCase(cases, `convolutional.SeparableConv2D.${i}`);
      const layer = new tg.SeparableConv2D({
        filters,
        kernelSize: 3,
        strides,
        padding,
        depthMultiplier,
        activation,
        useBias,
      });
      const x = fixTensor(c.input!);
      layer.build(x.shape);
      layer.built = true;
      layer.setWeights(c.weights!.map((w) => fixTensor(w, false)));
      expectKeras(layer.apply(x) as tg.Tensor, c.expected, `SeparableConv2D.${i}`);
    }),
  );

  it('equals a naive depthwise loop followed by a naive 1x1 conv', () => {
    const layer = new tg.SeparableConv2D({
      filters: 3,
      kernelSize: [3, 2],
      strides: [2, 1],
      padding: 'same',
      depthMultiplier: 2,
      dtype: 'float64',
      biasInitializer: 'ones',
    });
    const x = randTensor([2, 5, 4, 2], 3);
    const y = layer.apply(x) as tg.Tensor;
    const dw = naiveDepthwise(x, layer.depthwiseKernel, null, [2, 1], 'same');
    const [cm, f] = [4, 3];
    const want: number[] = [];
    for (let p = 0; p < dw.data.length / cm; p++)
      for (let j = 0; j < f; j++) {
        let acc = layer.bias!.data[j];
        for (let i = 0; i < cm; i++) acc += dw.data[p * cm + i] * layer.pointwiseKernel.data[i * f + j];
        want.push(acc);
      }
    expect(y.shape).toEqual([2, 3, 4, 3]);
    expectClose(y.data, want, { rtol: 1e-12, atol: 1e-12 });
  });

  it('gradchecks, counts parameters and names the layer in errors', () => {
    const layer = new tg.SeparableConv2D({
      filters: 3,
      kernelSize: 2,
      depthMultiplier: 2,
      dtype: 'float64',
      biasInitializer: 'ones',
      name: 'sep',
    });
    gradcheckLayer(layer, randTensor([1, 3, 3, 2], 4));
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[2, 2, 2, 2], [1, 1, 4, 3], [3]]);
    expect(layer.countParams()).toBe(16 + 12 + 3);
    expect(layer.paramFormula()).toBe('2·2·2·2 + 4·3+3 = 31');
    expectThrowsWith(
      () => layer.apply(tg.zeros([1, 3, 3, 5], { dtype: 'float64' })),
      ['sep', 'SeparableConv2D', '[1,3,3,5]', '[2,2,2,2]'],
    );
  });
});

describe('DepthwiseConv2D', () => {
  it('matches a naive loop (strides, same/valid, dilation, depth multiplier, channels_first)', () => {
    const x = randTensor([2, 6, 5, 3], 5);
    for (const [s, pad, d, m] of [
      [[1, 1], 'valid', [1, 1], 1],
      [[2, 1], 'same', [1, 1], 2],
      [[1, 1], 'same', [2, 2], 3],
    ] as const) {
      const layer = new tg.DepthwiseConv2D({
        kernelSize: [3, 2],
        strides: [...s] as [number, number],
        padding: pad,
        dilationRate: [...d] as [number, number],
        depthMultiplier: m,
        dtype: 'float64',
        biasInitializer: 'ones',
      });
      const y = layer.apply(x) as tg.Tensor;
      const want = naiveDepthwise(x, layer.depthwiseKernel, layer.bias, [...s] as [number, number], pad, [
        ...d,
      ] as [number, number]);
      expect(y.shape).toEqual(want.shape);
      expectClose(
        y.data,
        want.data,
        { rtol: 1e-12, atol: 1e-12 },
        `strides ${s}, ${pad}, dilation ${d}, multiplier ${m}`,
      );
      const cf = new tg.DepthwiseConv2D({
        kernelSize: [3, 2],
        strides: [...s] as [number, number],
        padding: pad,
        dilationRate: [...d] as [number, number],
        depthMultiplier: m,
        dtype: 'float64',
        dataFormat: 'channelsFirst',
      });
      cf.build([2, 3, 6, 5]);
      cf.built = true;
      cf.setWeights(layer.getWeights());
      const ycf = cf.apply(tg.transpose(x, [0, 3, 1, 2])) as tg.Tensor;
      expectClose(
        tg.transpose(ycf, [0, 2, 3, 1]).data,
        y.data,
        { rtol: 1e-12, atol: 1e-12 },
        'channels_first',
      );
    }
  });

  it('gradchecks, counts parameters, configures and errors', () => {
    const layer = new tg.DepthwiseConv2D({
      kernelSize: 2,
      depthMultiplier: 2,
      dtype: 'float64',
      biasInitializer: 'ones',
      name: 'dw',
    });
    gradcheckLayer(layer, randTensor([1, 3, 3, 2], 6));
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[2, 2, 2, 2], [4]]);
    expect(layer.paramFormula()).toBe('2·2·2·2+4 = 20');
    expect(layer.getConfig()).toMatchObject({
      depth_multiplier: 2,
      kernel_size: [2, 2],
      padding: 'valid',
      use_bias: true,
    });
    const big = tg.layers.depthwiseConv2d({ kernelSize: 3 });
    big.apply(tg.zeros([1, 5, 5, 8]));
    expect(big.countParams()).toBe(3 * 3 * 8 + 8);
    expectThrowsWith(
      () => layer.apply(tg.zeros([1, 3, 3, 4], { dtype: 'float64' })),
      ['dw', 'DepthwiseConv2D', '[1,3,3,4]', '[2,2,2,2]'],
    );
    expectThrowsWith(
      () => layer.apply(tg.zeros([1, 3, 3], { dtype: 'float64' })),
      ['dw', 'rank 4', '[1,3,3]'],
    );
  });
});
