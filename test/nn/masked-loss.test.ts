// fit / evaluate / trainOnBatch with a masked output: as modern Keras (tf.keras ≥ 2.11, Keras 3), the masked steps
// are left out of the loss, Σ(loss·m) / Σm, and the metrics are weighted by the mask.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

beforeEach(() => tg.resetLayerNames());

/** A model whose output is Embedding(5, 1, maskZero) with row i = [i]: token t predicts t at its step, mask t ≠ 0. */
function identityTokens(): tg.Sequential {
  const m = tg.sequential({
    layers: [tg.layers.embedding({ inputDim: 5, outputDim: 1, maskZero: true, inputShape: [null] })],
  });
  m.setWeights([tg.tensor([[0], [1], [2], [3], [4]])]);
  return m;
}
/** Targets [batch, time, 1] from rows of numbers. */
const steps = (rows: number[][]) => tg.tensor(rows.flat(), [rows.length, rows[0].length, 1]);

describe('a masked output leaves its padded steps out of the loss and the metrics', () => {
  it('by hand: mse Σ(e²·m)/Σm and mae weighted by the valid steps, whatever the batch size', () => {
    const m = identityTokens();
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const x = tg.tensor([
      [3, 1, 0, 0],
      [2, 0, 0, 0],
    ]);
    const y = steps([
      [1, 1, 5, 5],
      [0, 7, 7, 7],
    ]);
    // valid steps: 3 vs 1, 1 vs 1, 2 vs 0 → squared errors 4, 0, 4; abs errors 2, 0, 2 (not (4+0+25+25+4+49+49+49)/8)
    const all = m.evaluate(x, y);
    expect(all.loss).toBeCloseTo(8 / 3, 6);
    expect(all.mae).toBeCloseTo(4 / 3, 6);
    // one row per batch: the loss is averaged over batches by batch size (Keras's loss tracker), the metric over
    // the valid steps of the whole evaluation (Keras's mask-weighted metric)
    const one = m.evaluate(x, y, { batchSize: 1 });
    expect(one.loss).toBeCloseTo((4 / 2 + 4 / 1) / 2, 6);
    expect(one.mae).toBeCloseTo(4 / 3, 6);
  });

  it('trainOnBatch: the loss and the step use the valid steps only', async () => {
    const m = identityTokens();
    m.compile({ optimizer: tg.train.sgd(0.1), loss: 'mse' });
    const loss = await m.trainOnBatch(tg.tensor([[3, 1, 0, 0]]), steps([[1, 1, 9, 9]]));
    expect(loss).toBeCloseTo(2, 6); // (2² + 0²) / 2
    // d loss / d w3 = 2·(3 − 1) / 2 = 2 (averaged over 2 valid steps, not 4): w3 = 3 − 0.1·2
    const w = Array.from(m.getWeights()[0].data);
    expect(w[3]).toBeCloseTo(2.8, 6);
    expect(w.filter((_, i) => i !== 3)).toEqual([0, 1, 2, 4]);
  });

  it('Embedding → LSTM(returnSequences) → TimeDistributed(Dense): padded and unpadded batches agree', async () => {
    tg.setSeed(11);
    const m = tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [null] }),
        tg.layers.lstm({ units: 4, returnSequences: true }),
        tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 3, activation: 'softmax' }) }),
      ],
    });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const short = m.evaluate(
      tg.tensor([
        [1, 2],
        [3, 4],
      ]),
      tg.tensor([
        [0, 2],
        [1, 1],
      ]),
    );
    // two padded steps per row, with labels that would change the loss if they counted
    const padded = m.evaluate(
      tg.tensor([
        [1, 2, 0, 0],
        [3, 4, 0, 0],
      ]),
      tg.tensor([
        [0, 2, 1, 1],
        [1, 1, 0, 2],
      ]),
    );
    expect(padded.loss).toBeCloseTo(short.loss, 5);
    expect(padded.accuracy).toBeCloseTo(short.accuracy, 6);
    // fit trains on the padded batch with the same loss as its first logs
    const h = await m.fit(
      tg.tensor([
        [1, 2, 0, 0],
        [3, 4, 0, 0],
      ]),
      tg.tensor([
        [0, 2, 1, 1],
        [1, 1, 0, 2],
      ]),
      { epochs: 1, verbose: 0, shuffle: false },
    );
    expect(h.history.loss[0]).toBeCloseTo(short.loss, 5);
  });

  it('a batch with every step masked has loss 0 and changes nothing', async () => {
    const m = identityTokens();
    m.compile({ optimizer: tg.train.sgd(0.1), loss: 'mse', metrics: ['mae'] });
    expect(m.evaluate(tg.tensor([[0, 0]]), steps([[5, 5]]))).toEqual({ loss: 0, mae: 0 });
    expect(await m.trainOnBatch(tg.tensor([[0, 0]]), steps([[5, 5]]))).toEqual([0, 0]);
    expect(Array.from(m.getWeights()[0].data)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a user function with one value per step [batch, time] is averaged over the valid steps (Keras weights it by the mask)', async () => {
    const x = tg.tensor([
      [3, 1, 0, 0],
      [2, 0, 0, 0],
    ]);
    const y = steps([
      [1, 1, 5, 5],
      [0, 7, 7, 7],
    ]);
    const perStep = (a: tg.Tensor, b: tg.Tensor) => tg.mean(tg.square(tg.sub(a, b)), -1);
    const absStep = (a: tg.Tensor, b: tg.Tensor) => tg.mean(tg.abs(tg.sub(a, b)), -1);
    const m = identityTokens();
    m.compile({ optimizer: tg.train.sgd(0.1), loss: perStep, metrics: [absStep] });
    // the same numbers as the built-in mse and mae: valid steps 3 vs 1, 1 vs 1, 2 vs 0
    expect(m.evaluate(x, y).loss).toBeCloseTo(8 / 3, 6);
    expect(m.evaluate(x, y).absStep).toBeCloseTo(4 / 3, 6);
    expect(m.evaluate(x, y, { batchSize: 1 }).absStep).toBeCloseTo(4 / 3, 6);
    // and the same step: d loss / d w3 = 2·(3 − 1) / 2 on one row with 2 valid steps
    expect(await m.trainOnBatch(tg.tensor([[3, 1, 0, 0]]), steps([[1, 1, 9, 9]]))).toEqual([2, 1]);
    expect(m.getWeights()[0].data[3]).toBeCloseTo(2.8, 6);
    // every step masked: loss 0, weights unchanged
    expect(await m.trainOnBatch(tg.tensor([[0, 0]]), steps([[5, 5]]))).toEqual([0, 0]);
    expect(m.getWeights()[0].data[3]).toBeCloseTo(2.8, 6);
  });

  it('a user function with one value per sample is refused under a mask, naming the shapes', () => {
    const m = identityTokens();
    m.compile({
      optimizer: 'sgd',
      loss: (a: tg.Tensor, b: tg.Tensor) => tg.mean(tg.square(tg.sub(a, b)), [1, 2]),
    });
    expect(() => m.evaluate(tg.tensor([[3, 1, 0, 0]]), steps([[1, 1, 5, 5]]))).toThrow(
      /the loss function 'loss' returns shape \[1\], not \[1,4\] \[batch, time\]\. Return one value per step/,
    );
  });

  it('built-in loss and metric functions work; user functions (one number per batch) are refused by name', () => {
    const x = tg.tensor([[3, 1, 0, 0]]);
    const y = steps([[1, 1, 5, 5]]);
    const m = identityTokens();
    m.compile({ optimizer: 'sgd', loss: tg.getLoss('mse'), metrics: [tg.metrics.mae] });
    expect(m.evaluate(x, y).loss).toBeCloseTo(2, 6);
    m.compile({ optimizer: 'sgd', loss: (a: tg.Tensor, b: tg.Tensor) => tg.mean(tg.abs(tg.sub(a, b))) });
    expect(() => m.evaluate(x, y)).toThrow(
      /carries the padding mask made by embedding \(Embedding with maskZero\).*the loss function 'loss' returns one number/,
    );
    const myMetric = (a: tg.Tensor, b: tg.Tensor) => tg.mean(tg.sub(a, b));
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: [myMetric] });
    expect(() => m.evaluate(x, y)).toThrow(/the metric function 'myMetric' returns one number/);
  });

  it('targets must keep the padded steps: [batch, time, ...] like the predictions', () => {
    const m = identityTokens();
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(() => m.evaluate(tg.tensor([[3, 1, 0, 0]]), steps([[1, 1]]))).toThrow(
      /the targets must be \[batch, time, \.\.\.\] = \[1, 4, \.\.\.\]/,
    );
  });
});
