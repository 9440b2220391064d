// evaluate(x, y, {sampleWeight}) (Keras `evaluate(..., sample_weight=...)`): the loss is Σ wᵢ·lossᵢ / n, Keras 3's
// "sum_over_batch_size" (keras/src/losses/loss.py `reduce_values` divides by the number of elements, not Σw), the
// same over any batching (Keras's loss tracker averages batches by their size), metrics unweighted (Keras weights
// only weighted_metrics). Expected values: the documented formula by a naive loop over a Dense(3, softmax) with
// fixed weights (float64).
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const X = [
  [0.5, -1.0, 0.25, 2.0],
  [1.5, 0.5, -0.5, 0.0],
  [-1.0, 0.75, 1.0, -0.5],
  [0.0, -0.25, 0.5, 1.0],
  [2.0, 1.0, -1.5, 0.5],
  [-0.5, -1.5, 0.0, 0.75],
];
const KERNEL = [0.2, -0.1, 0.3, -0.4, 0.5, 0.1, 0.3, 0.2, -0.6, 0.1, -0.3, 0.2];
const BIAS = [0.05, -0.05, 0.1];
const LABELS = [0, 2, 1, 1, 0, 2];
const W = [0, 1, 2, 0.5, 1, 3];

const f64 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'float64' });
const x = () => f64(X.flat(), [6, 4]);
const sparse = () => tg.tensor(LABELS, [6], { dtype: 'int32' });

/** Dense(3, softmax) with the fixed weights, compiled with sparse crossentropy and accuracy. */
function net(): tg.Sequential {
  const m = tg.sequential({
    layers: [tg.layers.dense({ units: 3, activation: 'softmax', inputShape: [4], dtype: 'float64' })],
  });
  m.setWeights([f64(KERNEL, [4, 3]), f64(BIAS, [3])]);
  m.compile({ optimizer: tg.train.sgd(0.5), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** Each sample's crossentropy −log p[label], by a naive loop. */
function naiveLosses(): number[] {
  return X.map((row, i) => {
    const z = [0, 1, 2].map((j) => BIAS[j] + row.reduce((a, v, k) => a + v * KERNEL[k * 3 + j], 0));
    const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
    return lse - z[LABELS[i]];
  });
}

describe('evaluate with sampleWeight', () => {
  it('loss = Σ w·loss / n (not / Σw), the same for every batch size; accuracy not weighted', () => {
    const l = naiveLosses();
    const want = l.reduce((a, v, i) => a + W[i] * v, 0) / 6;
    const sumW = W.reduce((a, v) => a + v, 0);
    expect(want).not.toBeCloseTo((want * 6) / sumW, 3); // the two reductions differ on these weights
    const m = net();
    const plain = m.evaluate(x(), sparse());
    for (const batchSize of [6, 4, 1]) {
      const r = m.evaluate(x(), sparse(), { sampleWeight: f64(W, [6]), batchSize });
      expect(r.loss).toBeCloseTo(want, 12);
      expect(r.accuracy).toBe(plain.accuracy);
    }
    // [batch, 1] weights too, and all ones is the unweighted loss
    expect(m.evaluate(x(), sparse(), { sampleWeight: f64(W, [6, 1]) }).loss).toBeCloseTo(want, 12);
    expect(m.evaluate(x(), sparse(), { sampleWeight: tg.ones([6], { dtype: 'float64' }) }).loss).toBeCloseTo(
      plain.loss,
      14,
    );
  });
  it("the same loss trainOnBatch's sampleWeight reports before its step (fit's weighting)", async () => {
    const m = net();
    const ev = m.evaluate(x(), sparse(), { sampleWeight: f64(W, [6]) });
    const [loss] = (await m.trainOnBatch(x(), sparse(), { sampleWeight: f64(W, [6]) })) as number[];
    expect(ev.loss).toBeCloseTo(loss, 13);
  });
  it('two outputs: one weight tensor per output (null for none); per-output losses weighted', () => {
    const inp = tg.input({ shape: [4], dtype: 'float64' });
    const a = tg.layers.dense({ units: 3, activation: 'softmax', name: 'a', dtype: 'float64' }).apply(inp);
    const b = tg.layers.dense({ units: 3, activation: 'softmax', name: 'b', dtype: 'float64' }).apply(inp);
    const m = tg.model({ inputs: inp, outputs: [a, b] as tg.SymbolicTensor[] });
    m.setWeights([f64(KERNEL, [4, 3]), f64(BIAS, [3]), f64(KERNEL, [4, 3]), f64(BIAS, [3])]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const l = naiveLosses();
    const weighted = l.reduce((s, v, i) => s + W[i] * v, 0) / 6;
    const plain = l.reduce((s, v) => s + v, 0) / 6;
    const r = m.evaluate(x(), [sparse(), sparse()], { sampleWeight: [f64(W, [6]), null], batchSize: 4 });
    expect(r.a_loss).toBeCloseTo(weighted, 12);
    expect(r.b_loss).toBeCloseTo(plain, 12);
    expect(r.loss).toBeCloseTo(weighted + plain, 12);
  });
  it('bad weights and classWeight (Keras evaluate has none) are refused by name', () => {
    const m = net();
    expect(() => m.evaluate(x(), sparse(), { sampleWeight: tg.ones([5]) })).toThrow(
      /evaluate: sampleWeight must have shape \[6\].*got \[5\]/,
    );
    expect(() => m.evaluate(x(), sparse(), { sampleWeight: f64([1, 1, -1, 1, 1, 1], [6]) })).toThrow(
      /evaluate: sampleWeight has the weight -1 at sample 2/,
    );
    expect(() => m.evaluate(x(), sparse(), { classWeight: { 0: 1 } } as never)).toThrow(
      /unknown option 'classWeight'/,
    );
  });
});
