// The batch-level entry points of a compiled model (TF.js names): trainOnBatch is one fit step on exactly the batch
// given (same weights as fit over one batch, unshuffled), metricsNames says what it returns, predictOnBatch equals
// predict; wrong use is a clear error.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';

const N = 24;
/** 4 features, 3 classes from a fixed linear rule; float64 so two runs compare exactly. */
function data() {
  const xs = uniform(N * 4, 3);
  const labels = Array.from({ length: N }, (_, i) => {
    const r = xs.subarray(i * 4, i * 4 + 4);
    const s = [r[0] + r[1], r[1] - r[2], r[3] - r[0]];
    return s.indexOf(Math.max(...s));
  });
  return { x: tg.tensor(xs, [N, 4], { dtype: 'float64' }), y: tg.tensor(labels, [N], { dtype: 'int32' }) };
}

/** Dense(6, tanh) → Dense(3, softmax) with fixed weights, compiled with SGD (and accuracy unless metrics = []). */
function net(metrics: string[] = ['accuracy']): tg.Sequential {
  const m = tg.sequential({
    layers: [
      tg.layers.dense({ units: 6, activation: 'tanh', inputShape: [4], dtype: 'float64' }),
      tg.layers.dense({ units: 3, activation: 'softmax', dtype: 'float64' }),
    ],
  });
  m.setWeights(
    m
      .getWeights()
      .map((w, i) => tg.tensor(uniform(w.size, 50 + i, -0.8, 0.8), w.shape, { dtype: 'float64' })),
  );
  m.compile({ optimizer: tg.train.sgd(0.3), loss: 'sparseCategoricalCrossentropy', metrics });
  return m;
}
const weightsOf = (m: tg.Layer): number[][] => m.getWeights().map((w) => Array.from(w.data));

describe('trainOnBatch', () => {
  it('is one fit step on exactly this batch: the same weights and loss as fit with batchSize = n, unshuffled', async () => {
    const { x, y } = data();
    const a = net();
    const b = net();
    const got = await a.trainOnBatch(x, y);
    const h = await b.fit(x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
    expect(a.metricsNames).toEqual(['loss', 'accuracy']);
    expect(got).toEqual([h.history.loss[0], h.history.accuracy[0]]);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    expect(a.training).toBe(false); // back in inference mode, as after fit
  });

  it('returns the bare loss without metrics; a synchronous loop of steps lowers it', async () => {
    const { x, y } = data();
    const m = net([]);
    expect(m.metricsNames).toEqual(['loss']);
    const first = await m.trainOnBatch(x, y);
    expect(typeof first).toBe('number');
    for (let i = 0; i < 40; i++) void m.trainOnBatch(x, y); // NOTE: the step runs before the call returns
    expect((await m.trainOnBatch(x, y)) as number).toBeLessThan((first as number) * 0.8);
  });

  it('a two-output model reports the total, each output loss and each metric per output, in metricsNames order', async () => {
    const ia = tg.input({ shape: [4], name: 'feats' });
    const h = tg.layers.dense({ units: 5, activation: 'tanh', name: 'h' }).apply(ia) as tg.SymbolicTensor;
    const cls = tg.layers
      .dense({ units: 3, activation: 'softmax', name: 'cls' })
      .apply(h) as tg.SymbolicTensor;
    const reg = tg.layers.dense({ units: 1, name: 'reg' }).apply(h) as tg.SymbolicTensor;
    const m = tg.model({ inputs: ia, outputs: [cls, reg] });
    m.compile({
      optimizer: tg.train.sgd(0),
      loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'],
      metrics: ['accuracy'],
    });
    const { y } = data();
    const x = tg.tensor(uniform(N * 4, 3), [N, 4]);
    const t = tg.tensor(uniform(N, 4), [N, 1]);
    const got = (await m.trainOnBatch(x, [y, t])) as number[];
    expect(m.metricsNames).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_accuracy']);
    const ev = m.evaluate(x, [y, t], { batchSize: N }); // lr 0: the step changed nothing
    expect(got).toHaveLength(5);
    m.metricsNames.forEach((k, i) => expect(got[i]).toBeCloseTo(ev[k], 5));
  });

  it('wrong use is a clear error: not compiled, wrong input shape, a NaN in y', async () => {
    const { x, y } = data();
    const bare = tg.sequential({ layers: [tg.layers.dense({ units: 3, inputShape: [4] })] });
    await expect(bare.trainOnBatch(x, y)).rejects.toThrow(/trainOnBatch: call compile/);
    expect(() => bare.metricsNames).toThrow(/metricsNames: call compile/);
    const m = net();
    await expect(m.trainOnBatch(tg.zeros([N, 5], { dtype: 'float64' }), y)).rejects.toThrow(
      /dense.*last axis 4.*\[24,5\]/,
    );
    const yBad = tg.tensor(
      Float32Array.from({ length: N }, (_, i) => (i === 7 ? NaN : 0)),
      [N],
    );
    await expect(m.trainOnBatch(x, yBad)).rejects.toThrow(/trainOnBatch/);
  });
});

describe('predictOnBatch', () => {
  it('equals predict, in one call', () => {
    const { x } = data();
    const m = net();
    expect(Array.from((m.predictOnBatch(x) as tg.Tensor).data)).toEqual(
      Array.from((m.predict(x, { batchSize: 5 }) as tg.Tensor).data),
    );
  });
});
