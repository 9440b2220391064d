// Float64 gradchecks (finite differences) of the core layers w.r.t. input and weights, and of Sequential, functional
// and Module models composed of them.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { gradcheckLayer as gradcheckLayerOnly, randTensor, withWeights } from '../support/layers.js';

const f64 = 'float64' as const;
const cf = 'channelsFirst' as const;

/** Inputs in ±[0.1, 1.5] with random sign: away from the kinks of relu-like activations at 0. */
const awayFromZero = (shape: number[], seed: number): tg.Tensor => {
  const t = randTensor(shape, seed, 0.1, 1.5);
  const s = randTensor(shape, seed + 1000);
  return tg.mul(t, tg.sign(s));
};

/** Output of a layer/model as one flat tensor, with `args` = inputs then weights (Keras order) substituted. */
function flatOut(m: tg.Layer, nIn: number, args: tg.Tensor[], training = false): tg.Tensor {
  return withWeights(m, args.slice(nIn), () => {
    const y = m.apply(nIn === 1 ? args[0] : args.slice(0, nIn), { training }) as tg.Tensor | tg.Tensor[];
    return Array.isArray(y)
      ? tg.concat(
          y.map((t) => tg.reshape(t, [-1])),
          0,
        )
      : tg.reshape(y, [-1]);
  });
}

/**
 * Guard against a vacuous gradcheck: d Σ(y·c)/d(arg) must be non-zero for the input and every weight, so the
 * weights really were substituted and reach the output.
 */
function expectGradsReach(m: tg.Layer, xs: tg.Tensor[], ws: tg.Tensor[]): void {
  const out = flatOut(m, xs.length, [...xs, ...ws]);
  const c = randTensor([out.size], 99, 0.5, 1.5);
  const gs = tg.grads((...args: tg.Tensor[]) => tg.sum(tg.mul(flatOut(m, xs.length, args), c)))(...xs, ...ws);
  gs.forEach((g, i) =>
    expect(
      Array.from(g.data).some((v) => v !== 0),
      `${m.name}: gradient of argument ${i} is all zero`,
    ).toBe(true),
  );
}

/** The shared layer gradcheck (input and trainable weights), plus the non-vacuity guard. */
function gradcheckLayer(layer: tg.Layer, x: tg.Tensor): void {
  gradcheckLayerOnly(layer, x);
  expectGradsReach(layer, [x], layer.weights.map((w) => w.value).slice(0, layer.trainableWeights.length));
}

describe('gradcheck: Dense, Activation, Dropout and the reshaping core layers', () => {
  it('Dense with bias, without bias, with an activation, and on rank-3 input', () => {
    gradcheckLayer(tg.layers.dense({ units: 3, dtype: f64 }), randTensor([2, 4], 1));
    gradcheckLayer(tg.layers.dense({ units: 3, useBias: false, dtype: f64 }), randTensor([2, 4], 2));
    gradcheckLayer(tg.layers.dense({ units: 3, activation: 'tanh', dtype: f64 }), randTensor([2, 4], 3));
    gradcheckLayer(
      tg.layers.dense({ units: 2, activation: 'softmax', dtype: f64 }),
      randTensor([2, 3, 4], 4),
    );
  });

  // NOTE: glu halves the last axis, so it gets an even one.
  for (const name of tg.activationNames())
    it(`Activation('${name}')`, () => {
      gradcheckLayer(
        tg.layers.activation({ activation: name, dtype: f64 }),
        awayFromZero([2, name === 'glu' ? 6 : 5], 10),
      );
    });

  it('Dropout and SpatialDropout: identity at inference, mask-and-scale in training (fixed seed per evaluation)', () => {
    const x = randTensor([2, 3, 4], 5);
    gradcheckLayer(tg.layers.dropout({ rate: 0.4, dtype: f64 }), x);
    for (const layer of [
      tg.layers.dropout({ rate: 0.4, dtype: f64 }),
      tg.layers.spatialDropout1d({ rate: 0.4, dtype: f64 }),
    ]) {
      const res = tg.gradcheck(
        (xi) => {
          tg.setSeed(123);
          return layer.apply(xi, { training: true }) as tg.Tensor;
        },
        [x],
        { atol: 1e-6, rtol: 1e-5, mode: 'full' },
      );
      expect(res.ok, `${layer.name}: ${JSON.stringify(res.worst)}`).toBe(true);
      // The mask really drops something and scales the rest by 1/(1 - rate).
      tg.setSeed(123);
      const y = (layer.apply(x, { training: true }) as tg.Tensor).data;
      const zeros = Array.from(y).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThan(0);
      expect(zeros).toBeLessThan(y.length);
      Array.from(y).forEach((v, i) => v !== 0 && expect(v).toBeCloseTo(x.data[i] / 0.6, 12));
    }
  });

  it('Flatten (both data formats), Reshape, Permute, RepeatVector', () => {
    gradcheckLayer(tg.layers.flatten({ dtype: f64 }), randTensor([2, 2, 3, 2], 6));
    gradcheckLayer(tg.layers.flatten({ dataFormat: cf, dtype: f64 }), randTensor([2, 2, 3, 2], 7));
    gradcheckLayer(tg.layers.reshape({ targetShape: [3, -1], dtype: f64 }), randTensor([2, 2, 3], 8));
    gradcheckLayer(tg.layers.permute({ dims: [3, 1, 2], dtype: f64 }), randTensor([2, 2, 3, 4], 9));
    gradcheckLayer(tg.layers.repeatVector({ n: 3, dtype: f64 }), randTensor([2, 4], 10));
  });
});

describe('gradcheck: Conv1D and Conv2D', () => {
  const conv2d: [string, Partial<tg.ConvArgs>][] = [
    ['valid', {}],
    ['same, strides (2,1), relu', { padding: 'same', strides: [2, 1], activation: 'relu' }],
    ['dilation 2, no bias', { dilationRate: 2, useBias: false }],
    ['channelsFirst, same', { dataFormat: cf, padding: 'same' }],
    ['groups 2', { groups: 2 }],
  ];
  for (const [what, a] of conv2d)
    it(`Conv2D ${what}`, () => {
      const x = a.dataFormat === cf ? randTensor([2, 4, 5, 5], 20) : randTensor([2, 5, 5, 4], 20);
      gradcheckLayer(tg.layers.conv2d({ filters: 2, kernelSize: 3, dtype: f64, ...a }), x);
    });
  const conv1d: [string, Partial<tg.ConvArgs>][] = [
    ['valid', {}],
    ['same, stride 2, tanh', { padding: 'same', strides: 2, activation: 'tanh' }],
    ['causal, dilation 2', { padding: 'causal', dilationRate: 2 }],
    ['channelsFirst', { dataFormat: cf }],
  ];
  for (const [what, a] of conv1d)
    it(`Conv1D ${what}`, () => {
      const x = a.dataFormat === cf ? randTensor([2, 3, 7], 21) : randTensor([2, 7, 3], 21);
      gradcheckLayer(tg.layers.conv1d({ filters: 2, kernelSize: 3, dtype: f64, ...a }), x);
    });
});

describe('gradcheck: pooling', () => {
  // Random inputs have no ties, so each max window has one winner and the max is differentiable.
  const pools: [string, () => tg.Layer, number[]][] = [
    ['MaxPooling2D valid', () => tg.layers.maxPooling2d({ poolSize: 2, dtype: f64 }), [2, 4, 5, 2]],
    [
      'MaxPooling2D same, strides 1',
      () => tg.layers.maxPooling2d({ poolSize: [2, 3], strides: 1, padding: 'same', dtype: f64 }),
      [1, 4, 4, 2],
    ],
    [
      'MaxPooling2D channelsFirst',
      () => tg.layers.maxPooling2d({ poolSize: 2, dataFormat: cf, dtype: f64 }),
      [2, 2, 4, 4],
    ],
    [
      'AveragePooling2D same (padding not counted)',
      () => tg.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', dtype: f64 }),
      [2, 5, 4, 2],
    ],
    [
      'AveragePooling2D channelsFirst',
      () => tg.layers.averagePooling2d({ poolSize: 2, dataFormat: cf, dtype: f64 }),
      [1, 2, 4, 4],
    ],
    [
      'MaxPooling1D same',
      () => tg.layers.maxPooling1d({ poolSize: 3, strides: 2, padding: 'same', dtype: f64 }),
      [2, 7, 3],
    ],
    [
      'AveragePooling1D same',
      () => tg.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same', dtype: f64 }),
      [2, 7, 3],
    ],
    [
      'MaxPooling1D channelsFirst',
      () => tg.layers.maxPooling1d({ poolSize: 2, dataFormat: cf, dtype: f64 }),
      [2, 3, 6],
    ],
    ['GlobalMaxPooling2D', () => tg.layers.globalMaxPooling2d({ dtype: f64 }), [2, 3, 3, 2]],
    [
      'GlobalAveragePooling2D channelsFirst',
      () => tg.layers.globalAveragePooling2d({ dataFormat: cf, dtype: f64 }),
      [2, 2, 3, 3],
    ],
    ['GlobalMaxPooling1D', () => tg.layers.globalMaxPooling1d({ dtype: f64 }), [2, 5, 3]],
    ['GlobalAveragePooling1D', () => tg.layers.globalAveragePooling1d({ dtype: f64 }), [2, 5, 3]],
  ];
  pools.forEach(([what, make, shape], i) =>
    it(what, () => gradcheckLayer(make(), randTensor(shape, 30 + i))),
  );
});

/** gradcheck of a whole model w.r.t. its inputs and every weight (random directions), plus the non-vacuity guard. */
function gradcheckModel(m: tg.Layer, x: tg.Tensor | tg.Tensor[]): void {
  const xs = Array.isArray(x) ? x : [x];
  m.apply(x);
  const ws = m.weights.map((w) => w.value); // the live tensors (getWeights returns copies)
  expect(ws.length).toBeGreaterThan(0);
  for (const w of ws) expect(w.dtype).toBe('float64');
  const res = tg.gradcheck((...args) => flatOut(m, xs.length, args), [...xs, ...ws], {
    atol: 1e-6,
    rtol: 1e-5,
    mode: 'random',
    directions: 8,
  });
  expect(res.ok, `${m.name}: ${JSON.stringify(res.worst)} ratio ${res.maxRatio}`).toBe(true);
  expectGradsReach(m, xs, ws);
}

describe('gradcheck: models composed of the core layers', () => {
  it('Sequential conv → pool → flatten → dense', () => {
    const m = tg.sequential({
      layers: [
        tg.layers.conv2d({
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          activation: 'tanh',
          inputShape: [6, 6, 2],
          dtype: f64,
        }),
        tg.layers.maxPooling2d({ poolSize: 2, dtype: f64 }),
        tg.layers.flatten({ dtype: f64 }),
        tg.layers.dense({ units: 4, activation: 'sigmoid', dtype: f64 }),
        tg.layers.dense({ units: 2, dtype: f64 }),
      ],
    });
    gradcheckModel(m, randTensor([2, 6, 6, 2], 40));
  });

  it('functional model with two inputs, a shared Dense and two outputs', () => {
    const a = tg.input({ shape: [5, 3], dtype: f64 });
    const b = tg.input({ shape: [4], dtype: f64 });
    const c = tg.layers.conv1d({ filters: 4, kernelSize: 2, dtype: f64 }).apply(a) as tg.SymbolicTensor;
    const p = tg.layers.globalAveragePooling1d({ dtype: f64 }).apply(c) as tg.SymbolicTensor;
    const shared = tg.layers.dense({ units: 4, activation: 'elu', dtype: f64 });
    const sp = shared.apply(p) as tg.SymbolicTensor;
    const sb = shared.apply(b) as tg.SymbolicTensor;
    const out1 = tg.layers.dense({ units: 2, dtype: f64 }).apply(sp) as tg.SymbolicTensor;
    const out2 = tg.layers
      .dense({ units: 1, activation: 'sigmoid', dtype: f64 })
      .apply(sb) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [a, b], outputs: [out1, out2] });
    gradcheckModel(m, [randTensor([2, 5, 3], 41), randTensor([2, 4], 42)]);
  });

  it('Module subclass holding Keras layers and a raw Parameter', () => {
    class Net extends tg.nn.Module {
      conv = tg.layers.conv2d({ filters: 2, kernelSize: 2, dtype: f64 });
      pool = tg.layers.averagePooling2d({ poolSize: 2, dtype: f64 });
      fc = tg.layers.dense({ units: 3, dtype: f64 });
      scale = tg.Parameter(randTensor([3], 43));
      forward(x: tg.Tensor): tg.Tensor {
        const h = this.pool.apply(tg.relu(this.conv.apply(x) as tg.Tensor)) as tg.Tensor;
        return tg.mul(this.fc.apply(tg.reshape(h, [h.shape[0], -1])) as tg.Tensor, this.scale);
      }
    }
    const net = new Net();
    const x = awayFromZero([2, 5, 5, 2], 44);
    net.forward(x);
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'scale',
      'conv.kernel',
      'conv.bias',
      'fc.kernel',
      'fc.bias',
    ]);
    gradcheckModel(net, x);
  });
});
