// tg.regularizers and the layers' regularizer options: penalty values against naive loops of Keras's formula
// (l1·Σ|w| + l2·Σw², no 1/2), the gradient of a regularized model checked by finite differences, one SGD step against
// the hand formula W − lr·(∇loss + 2·l2·W), activity penalties of the whole batch (Keras 3), and the options
// accepted only on the layers whose Keras class takes them.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

beforeEach(() => tg.resetLayerNames());

const naiveL1 = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s;
};
const naiveL2 = (v: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
};

describe('tg.regularizers', () => {
  it('l1, l2 and l1l2 give l1·Σ|x| + l2·Σx² (naive loop)', () => {
    tg.setSeed(1);
    const x = tg.randn([4, 5]);
    const d = x.data;
    expect(tg.regularizers.l1({ l1: 0.3 }).apply(x).item()).toBeCloseTo(0.3 * naiveL1(d), 4);
    expect(tg.regularizers.l2({ l2: 0.2 }).apply(x).item()).toBeCloseTo(0.2 * naiveL2(d), 4);
    expect(tg.regularizers.l1l2({ l1: 0.1, l2: 0.4 }).apply(x).item()).toBeCloseTo(
      0.1 * naiveL1(d) + 0.4 * naiveL2(d),
      4,
    );
  });
  it('TF.js defaults: l1() and l2() use 0.01, l1l2() 0.01 for both', () => {
    expect(tg.regularizers.l1().getConfig()).toEqual({ l1: 0.01, l2: 0 });
    expect(tg.regularizers.l2().getConfig()).toEqual({ l1: 0, l2: 0.01 });
    expect(tg.regularizers.l1l2().getConfig()).toEqual({ l1: 0.01, l2: 0.01 });
    expect(tg.regularizers.l1l2({ l1: 0.5 }).getConfig()).toEqual({ l1: 0.5, l2: 0.01 });
  });
  it('bad factors and unknown options are refused by name', () => {
    expect(() => tg.regularizers.l2({ l2: -1 })).toThrow(/l2 must be a non-negative finite number/);
    expect(() => tg.regularizers.l1({ l2: 0.1 } as never)).toThrow(/regularizers.l1: unknown option 'l2'/);
    expect(() => tg.layers.dense({ units: 2, kernelRegularizer: 'l3' as never })).toThrow(
      /dense \(Dense\): kernelRegularizer: expected a regularizer .* got 'l3'/,
    );
  });
});

describe('layer options', () => {
  it('string shorthands (Keras l1, l2, l1_l2; TF.js l1l2) use the factor 0.01', () => {
    tg.setSeed(2);
    for (const [s, l1, l2] of [
      ['l1', 0.01, 0],
      ['l2', 0, 0.01],
      ['l1_l2', 0.01, 0.01],
      ['l1l2', 0.01, 0.01],
    ] as const) {
      const m = tg.sequential({
        layers: [tg.layers.dense({ units: 3, inputShape: [4], kernelRegularizer: s })],
      });
      const [p] = m.losses;
      const w = (m.layers[0] as tg.Dense).kernel.data;
      expect(p.item()).toBeCloseTo(l1 * naiveL1(w) + l2 * naiveL2(w), 5);
    }
  });
  it('accepted only where Keras takes them', () => {
    const reg = tg.regularizers.l2();
    expect(() => tg.layers.flatten({ kernelRegularizer: reg } as never)).toThrow(
      /Flatten: unknown option 'kernelRegularizer'/,
    );
    expect(() => tg.layers.dense({ units: 2, recurrentRegularizer: reg } as never)).toThrow(
      /Dense: unknown option 'recurrentRegularizer'/,
    );
    // Keras's DepthwiseConv2D has depthwise_regularizer, not kernel_regularizer
    expect(() => tg.layers.depthwiseConv2d({ kernelSize: 3, kernelRegularizer: reg } as never)).toThrow(
      /DepthwiseConv2D: unknown option 'kernelRegularizer'/,
    );
    expect(() => tg.layers.embedding({ inputDim: 4, outputDim: 2, biasRegularizer: reg } as never)).toThrow(
      /Embedding: unknown option 'biasRegularizer'/,
    );
    expect(() => tg.layers.batchNormalization({ kernelRegularizer: reg } as never)).toThrow(
      /BatchNormalization: unknown option 'kernelRegularizer'/,
    );
    expect(() => tg.layers.batchNormalization({ gammaRegularizer: reg, betaRegularizer: reg })).not.toThrow();
    expect(() => tg.layers.prelu({ alphaRegularizer: reg })).not.toThrow();
    expect(() =>
      tg.layers.lstm({ units: 2, kernelRegularizer: reg, recurrentRegularizer: reg, biasRegularizer: reg }),
    ).not.toThrow();
    expect(() =>
      tg.layers.separableConv2d({
        filters: 2,
        kernelSize: 3,
        depthwiseRegularizer: reg,
        pointwiseRegularizer: reg,
      }),
    ).not.toThrow();
  });
  it('each option penalizes its own weight: LSTM recurrent kernel, Embedding table, SeparableConv2D kernels', () => {
    tg.setSeed(3);
    const lstm = tg.layers.lstm({ units: 3, recurrentRegularizer: tg.regularizers.l2({ l2: 0.5 }) });
    const emb = tg.layers.embedding({
      inputDim: 5,
      outputDim: 2,
      embeddingsRegularizer: tg.regularizers.l1({ l1: 2 }),
    });
    const sep = tg.layers.separableConv2d({
      filters: 2,
      kernelSize: 2,
      depthwiseRegularizer: tg.regularizers.l1({ l1: 0.25 }),
      pointwiseRegularizer: tg.regularizers.l2({ l2: 3 }),
    });
    const m1 = tg.sequential({ layers: [tg.layers.inputLayer({ inputShape: [4, 2] }), lstm] });
    expect(m1.losses.map((t) => t.item())[0]).toBeCloseTo(
      0.5 * naiveL2((lstm as tg.LSTM).recurrentKernel.data),
      5,
    );
    const m2 = tg.sequential({ layers: [tg.layers.inputLayer({ inputShape: [3] }), emb] });
    expect(m2.calculateLosses()[0].item()).toBeCloseTo(2 * naiveL1((emb as tg.Embedding).embeddings.data), 4);
    const m3 = tg.sequential({ layers: [tg.layers.inputLayer({ inputShape: [4, 4, 3] }), sep] });
    const s = sep as tg.SeparableConv2D;
    expect(m3.losses.map((t) => t.item())).toEqual([
      expect.closeTo(0.25 * naiveL1(s.depthwiseKernel.data), 5),
      expect.closeTo(3 * naiveL2(s.pointwiseKernel.data), 4),
    ]);
  });
  it('the summary is the same with and without regularizers', () => {
    const make = (reg: boolean) => {
      tg.resetLayerNames();
      const r = reg ? tg.regularizers.l2() : undefined;
      return tg.sequential({
        layers: [
          tg.layers.conv2d({
            filters: 2,
            kernelSize: 3,
            inputShape: [6, 6, 1],
            kernelRegularizer: r,
            biasRegularizer: r,
          }),
          tg.layers.flatten(),
          tg.layers.dense({ units: 3, kernelRegularizer: r, activityRegularizer: r }),
        ],
      });
    };
    expect(make(true).summary({ print: false })).toBe(make(false).summary({ print: false }));
  });
});

/** x·W + b with W [3, 2] and mse: a model with (or without) an L2 kernel regularizer and the same weights. */
function pair(l2: number) {
  tg.setSeed(4);
  const W = tg.randn([3, 2]);
  const b = tg.randn([2]);
  const make = (reg: tg.Regularizer | undefined) => {
    const m = tg.sequential({
      layers: [tg.layers.dense({ units: 2, inputShape: [3], kernelRegularizer: reg })],
    });
    m.setWeights([W, b]);
    m.compile({ optimizer: tg.train.sgd(1), loss: 'mse' });
    return m;
  };
  return { W, plain: make(undefined), reg: make(tg.regularizers.l2({ l2 })) };
}

describe('training with a weight regularizer', () => {
  const x = () =>
    tg.tensor([
      [0.5, -1, 2],
      [1, 0.25, -0.5],
      [-1.5, 1, 0],
    ]);
  const y = () =>
    tg.tensor([
      [1, 0],
      [0, 1],
      [0.5, -0.5],
    ]);

  it('evaluate and trainOnBatch report the loss plus l2·ΣW²', async () => {
    const { W, plain, reg } = pair(0.1);
    const base = plain.evaluate(x(), y()).loss;
    expect(reg.evaluate(x(), y()).loss).toBeCloseTo(base + 0.1 * naiveL2(W.data), 5);
    expect(await reg.trainOnBatch(x(), y())).toBeCloseTo(base + 0.1 * naiveL2(W.data), 5);
  });

  it('one SGD step: W ← W − lr·(∇mse + 2·l2·W), the regularized gradient matching finite differences', async () => {
    const l2 = 0.1;
    const { W, plain, reg } = pair(l2);
    const w0 = Array.from(W.data);
    // the gradient of the loss without regularizer, read from one SGD step with lr = 1 on the plain model
    await plain.trainOnBatch(x(), y());
    const g0 = w0.map((v, i) => v - (plain.layers[0] as tg.Dense).kernel.data[i]);
    await reg.trainOnBatch(x(), y());
    const after = Array.from((reg.layers[0] as tg.Dense).kernel.data);
    after.forEach((v, i) => expect(v).toBeCloseTo(w0[i] - (g0[i] + 2 * l2 * w0[i]), 5));
    // the same gradient by central differences of evaluate's loss (which includes the penalty)
    const { reg: probe } = pair(l2);
    const kernel = (probe.layers[0] as tg.Dense).kernel;
    const h = 1e-2;
    for (let i = 0; i < w0.length; i++) {
      const at = (d: number) => {
        const v = w0.slice();
        v[i] += d;
        kernel.data.set(v);
        return probe.evaluate(x(), y()).loss;
      };
      const num = (at(h) - at(-h)) / (2 * h);
      expect(num).toBeCloseTo(g0[i] + 2 * l2 * w0[i], 3);
    }
  });

  it('fit adds the penalty to every batch loss; a frozen layer keeps its weights, its penalty still reported', async () => {
    const { W, plain, reg } = pair(0.1);
    const h = await reg.fit(x(), y(), { epochs: 1, batchSize: 3, shuffle: false, verbose: 0 });
    expect(h.history.loss[0]).toBeCloseTo(plain.evaluate(x(), y()).loss + 0.1 * naiveL2(W.data), 5);
    const { W: W2, reg: frozen, plain: plain2 } = pair(0.1);
    frozen.layers[0].trainable = false;
    const got = (await frozen.trainOnBatch(x(), y())) as number;
    expect(got).toBeCloseTo(plain2.evaluate(x(), y()).loss + 0.1 * naiveL2(W2.data), 5);
    expect(Array.from((frozen.layers[0] as tg.Dense).kernel.data)).toEqual(Array.from(W2.data));
  });
});

describe('activity regularizers', () => {
  it('fit/evaluate add penalty(output), over the whole batch as Keras 3; predict is unchanged', () => {
    tg.setSeed(5);
    const act = tg.regularizers.l1l2({ l1: 0.3, l2: 0.2 });
    const m = tg.sequential({
      layers: [
        tg.layers.dense({ units: 4, inputShape: [3], activation: 'relu', activityRegularizer: act }),
        tg.layers.dense({ units: 1 }),
      ],
    });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tg.randn([5, 3]);
    const y = tg.randn([5, 1]);
    const p = m.predict(x) as tg.Tensor;
    const hidden = tg.sequential({ layers: [m.layers[0]] }).predict(x) as tg.Tensor;
    let mse = 0;
    for (let i = 0; i < 5; i++) mse += (p.data[i] - y.data[i]) ** 2 / 5;
    const pen = 0.3 * naiveL1(hidden.data) + 0.2 * naiveL2(hidden.data);
    expect(m.evaluate(x, y, { batchSize: 5 }).loss).toBeCloseTo(mse + pen, 4);
    expect(m.losses).toEqual([]); // no weight regularizer: the activity term belongs to a batch
  });
  it('trainOnBatch differentiates the activity penalty: W ← W − lr·(∇mse + 2·l2·xᵀ·y)', async () => {
    tg.setSeed(7);
    const W = tg.randn([3, 2]);
    const bias = tg.randn([2]);
    const x = tg.randn([4, 3]);
    const y = tg.randn([4, 2]);
    const make = (reg?: tg.Regularizer) => {
      const m = tg.sequential({
        layers: [tg.layers.dense({ units: 2, inputShape: [3], activityRegularizer: reg })],
      });
      m.setWeights([W, bias]);
      m.compile({ optimizer: tg.train.sgd(1), loss: 'mse' });
      return m;
    };
    const plain = make();
    const out = plain.predict(x) as tg.Tensor;
    await plain.trainOnBatch(x, y);
    const reg = make(tg.regularizers.l2({ l2: 0.3 }));
    await reg.trainOnBatch(x, y);
    const k0 = (plain.layers[0] as tg.Dense).kernel.data;
    const k1 = (reg.layers[0] as tg.Dense).kernel.data;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++) {
        let xty = 0; // (xᵀ·y)[i, j] by a loop
        for (let b = 0; b < 4; b++) xty += x.data[b * 3 + i] * out.data[b * 2 + j];
        expect(k1[i * 2 + j]).toBeCloseTo(k0[i * 2 + j] - 2 * 0.3 * xty, 5);
      }
  });
  it('the ActivityRegularization layer adds l1·Σ|x| + l2·Σx²', () => {
    tg.setSeed(6);
    const m = tg.sequential({
      layers: [
        tg.layers.dense({ units: 2, inputShape: [3] }),
        new tg.ActivityRegularization({ l1: 0.5, l2: 0.25 }),
      ],
    });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = tg.randn([4, 3]);
    const y = tg.randn([4, 2]);
    const p = m.predict(x) as tg.Tensor;
    let mse = 0;
    for (let i = 0; i < 8; i++) mse += (p.data[i] - y.data[i]) ** 2 / 8;
    expect(m.evaluate(x, y).loss).toBeCloseTo(mse + 0.5 * naiveL1(p.data) + 0.25 * naiveL2(p.data), 4);
  });
});
