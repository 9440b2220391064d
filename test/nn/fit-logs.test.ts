// What fit / evaluate / trainOnBatch log, as Keras: unique names for repeated metrics, precision and recall summed
// over the epoch (not averaged over batches), per-sample custom losses and metrics reduced by their mean, History
// after the user's callbacks, stopTraining honoured right after onBatchEnd, and options objects checked by name.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsTyped } from '../support/throws.js';

beforeEach(() => tg.resetLayerNames());

/** A model whose prediction is its input (Dense(1) with weight 1, bias 0): the predictions are chosen by hand. */
function identity(): tg.Sequential {
  const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [1] })] });
  m.setWeights([tg.tensor([[1]]), tg.tensor([0])]);
  return m;
}
const col = (v: number[]) => tg.tensor(v, [v.length, 1]);

describe('repeated metric names are made unique (Keras 2: name, name_1, ...)', () => {
  it('two unnamed functions: metricsNames, evaluate, trainOnBatch and the History agree', async () => {
    tg.setSeed(0);
    const x = tg.randn([8, 3]);
    const y = tg.randn([8, 1]);
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({
      optimizer: tg.train.sgd(0),
      loss: 'mse',
      metrics: [
        (t: tg.Tensor, p: tg.Tensor) => tg.mean(tg.abs(tg.sub(t, p))),
        (t: tg.Tensor, p: tg.Tensor) => tg.mean(tg.square(tg.sub(t, p))),
      ],
    });
    expect(m.metricsNames).toEqual(['loss', 'metric', 'metric_1']);
    const p = m.predict(x) as tg.Tensor;
    const mae = tg.metrics.mae(y, p).item();
    const mse = tg.metrics.mse(y, p).item();
    const ev = m.evaluate(x, y);
    expect(Object.keys(ev)).toEqual(['loss', 'metric', 'metric_1']);
    expect(ev.metric).toBeCloseTo(mae, 6);
    expect(ev.metric_1).toBeCloseTo(mse, 6);
    const got = (await m.trainOnBatch(x, y)) as number[];
    expect(got).toHaveLength(3);
    expect(got[1]).toBeCloseTo(mae, 6);
    const h = await m.fit(x, y, { epochs: 1, verbose: 0, validationData: [x, y] });
    expect(Object.keys(h.history)).toEqual([
      'loss',
      'metric',
      'metric_1',
      'val_loss',
      'val_metric',
      'val_metric_1',
    ]);
    expect(h.history.val_metric[0]).toBeCloseTo(mae, 6);
  });

  it("metrics: ['mse', 'mse'] and a metric named like the loss", async () => {
    const m = identity();
    const loss = (t: tg.Tensor, p: tg.Tensor) => tg.mean(tg.square(tg.sub(t, p)));
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mse', 'mse', loss] });
    expect(m.metricsNames).toEqual(['loss', 'mse', 'mse_1', 'loss_1']);
    const ev = m.evaluate(col([1, 2]), col([0, 0]));
    expect(ev).toEqual({ loss: 2.5, mse: 2.5, mse_1: 2.5, loss_1: 2.5 });
  });

  it('two outputs with a repeated metric', () => {
    const inp = tg.input({ shape: [2] });
    const a = tg.layers.dense({ units: 1, name: 'a' }).apply(inp) as tg.SymbolicTensor;
    const b = tg.layers.dense({ units: 1, name: 'b' }).apply(inp) as tg.SymbolicTensor;
    const m = tg.model({ inputs: inp, outputs: [a, b] });
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae', 'mae'] });
    expect(m.metricsNames).toEqual(['loss', 'a_loss', 'b_loss', 'a_mae', 'b_mae', 'a_mae_1', 'b_mae_1']);
    const ev = m.evaluate(tg.ones([3, 2]), [tg.zeros([3, 1]), tg.zeros([3, 1])]);
    expect(Object.keys(ev)).toEqual(m.metricsNames);
    expect(ev.a_mae_1).toBe(ev.a_mae);
  });
});

describe('precision and recall accumulate over the epoch (Keras stateful metrics)', () => {
  // predicted positive (> 0.5): rows 0, 1, 3, 5, 7, 9 with labels 1, 0, 1, 0, 1, 0 → tp 3, fp 3;
  // positives: rows 0, 3, 4, 6, 7 → tp 3, fn 2. Precision 1/2, recall 3/5 over the whole set.
  const preds = [0.9, 0.8, 0.2, 0.6, 0.1, 0.7, 0.4, 0.95, 0.3, 0.55];
  const labels = [1, 0, 0, 1, 1, 0, 1, 1, 0, 0];
  const x = () => col(preds);
  const y = () => col(labels);

  it('evaluate gives the whole-set value for every batch size', () => {
    const m = identity();
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['precision', tg.metrics.recall] });
    for (const batchSize of [1, 3, 10, 32]) {
      const ev = m.evaluate(x(), y(), { batchSize });
      expect(ev.precision, `batchSize ${batchSize}`).toBeCloseTo(0.5, 6);
      expect(ev.recall, `batchSize ${batchSize}`).toBeCloseTo(0.6, 6);
    }
  });

  it('fit: the epoch and validation values are the whole set, batch logs and trainOnBatch the batch', async () => {
    const m = identity();
    m.compile({ optimizer: tg.train.sgd(0), loss: 'binaryCrossentropy', metrics: ['precision', 'recall'] });
    const batches: Record<string, number>[] = [];
    const h = await m.fit(x(), y(), {
      epochs: 1,
      batchSize: 3,
      shuffle: false,
      verbose: 0,
      validationData: [x(), y()],
      callbacks: {
        onBatchEnd: (_b: number, logs?: Record<string, number>) => void batches.push({ ...logs }),
      },
    });
    expect(h.history.precision[0]).toBeCloseTo(0.5, 6);
    expect(h.history.recall[0]).toBeCloseTo(0.6, 6);
    expect(h.history.val_precision[0]).toBeCloseTo(0.5, 6);
    expect(h.history.val_recall[0]).toBeCloseTo(0.6, 6);
    // rows 6..8: predicted positive row 7 (label 1) → precision 1; positives rows 6, 7 → recall 1/2
    expect(batches[2].precision).toBe(1);
    expect(batches[2].recall).toBe(0.5);
    const idx = tg.tensor([6, 7, 8], [3], { dtype: 'int32' });
    const got = await m.trainOnBatch(tg.gather(x(), idx, 0), tg.gather(y(), idx, 0));
    expect(got).toEqual([expect.any(Number), 1, 0.5]);
  });
});

describe('a custom loss or metric may return one value per sample (Keras and TF.js take the mean)', () => {
  it('per-sample [batch] and per-element [batch, 2] losses train as the mean', async () => {
    tg.setSeed(0);
    const x = tg.randn([8, 3]);
    const y = tg.randn([8, 2]);
    const run = async (loss: string | tg.LossFn) => {
      tg.setSeed(5);
      const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
      const perSample = (t: tg.Tensor, p: tg.Tensor) => tg.mean(tg.square(tg.sub(t, p)), -1);
      m.compile({ optimizer: tg.train.sgd(0.1), loss, metrics: [perSample] });
      const h = await m.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      return { h: h.history, w: Array.from(m.getWeights()[0].data) };
    };
    const ref = await run('mse');
    for (const f of [
      (t: tg.Tensor, p: tg.Tensor) => tg.mean(tg.square(tg.sub(t, p)), -1),
      (t: tg.Tensor, p: tg.Tensor) => tg.square(tg.sub(t, p)),
    ]) {
      const got = await run(f);
      got.h.loss.forEach((v, i) => expect(v).toBeCloseTo(ref.h.loss[i], 6));
      got.h.perSample.forEach((v, i) => expect(v).toBeCloseTo(ref.h.loss[i], 6));
      got.w.forEach((v, i) => expect(v).toBeCloseTo(ref.w[i], 6));
    }
  });

  it('a loss function that returns a number is refused by name', () => {
    const m = identity();
    m.compile({ optimizer: 'sgd', loss: (() => 3) as unknown as tg.LossFn });
    throwsTyped(
      () => m.evaluate(col([1]), col([1])),
      tg.ValueError,
      /evaluate: the loss function '.*' returned the number 3; it must return a Tensor/,
    );
  });
});

describe('callbacks', () => {
  it('stopTraining set in onBatchEnd ends the epoch after that batch (Keras 3, TF.js)', async () => {
    tg.setSeed(0);
    const x = tg.randn([40, 3]);
    const y = tg.randn([40, 1]);
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({ optimizer: tg.train.sgd(0.01), loss: 'mse' });
    const events: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      verbose: 0,
      validationData: [x, y],
      callbacks: {
        onBatchEnd(b: number) {
          events.push(`batch ${b}`);
          if (b === 1) m.stopTraining = true;
        },
        onEpochEnd: (e: number) => void events.push(`epochEnd ${e}`),
        onTrainEnd: () => void events.push('trainEnd'),
      },
    });
    expect(events).toEqual(['batch 0', 'batch 1', 'epochEnd 0', 'trainEnd']);
    expect(h.epoch).toEqual([0]);
    expect(Object.keys(h.history)).toEqual(['loss', 'val_loss']);
  });

  it('the History keeps what the user callbacks add to the epoch logs', async () => {
    tg.setSeed(0);
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({ optimizer: tg.train.sgd(0.01), loss: 'mse' });
    const h = await m.fit(tg.randn([8, 3]), tg.randn([8, 1]), {
      epochs: 2,
      verbose: 0,
      callbacks: {
        onEpochEnd(e: number, logs?: Record<string, number>) {
          logs!.val_auc = 0.5 + e / 10;
        },
      },
    });
    expect(h.history.val_auc).toEqual([0.5, 0.6]);
  });
});

describe('options objects', () => {
  it('compile(null), fit(x, y, null) and evaluate(x, y, null) are refused by name', async () => {
    const m = identity();
    throwsTyped(
      () => m.compile(null as never),
      tg.ValueError,
      /^sequential\.compile: options must be an object \{ optimizer, loss, metrics \}, got null$/,
    );
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(m.fit(col([1]), col([1]), null as never)).rejects.toThrow(
      /\.fit: options \(the 3rd argument\) must be an object \{ epochs, .* \}, got null/,
    );
    throwsTyped(
      () => m.evaluate(col([1]), col([1]), null as never),
      tg.ValueError,
      /\.evaluate: options \(the 3rd argument\) must be an object \{ batchSize, sampleWeight \}, got null/,
    );
  });
});
