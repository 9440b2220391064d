// fit with callbacks and output: EarlyStopping on a rising val_loss (with and without restoring the best weights),
// the order of callback hooks, train/inference mode during fit, and the plain-line progress output.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';

/** Training labels from a rule; validation = the same inputs with the labels rotated, so val_loss rises as it learns. */
function setup(dropout = 0) {
  const n = 60;
  const x = tg.tensor(uniform(n * 4, 11), [n, 4]);
  const lab = Array.from({ length: n }, (_, i) => (x.data[i * 4] > 0 ? (x.data[i * 4 + 1] > 0 ? 0 : 1) : 2));
  const y = tg.tensor(lab, [n], { dtype: 'int32' });
  const yVal = tg.tensor(
    lab.map((l) => (l + 1) % 3),
    [n],
    { dtype: 'int32' },
  );
  const layers: tg.Layer[] = [tg.layers.dense({ units: 8, activation: 'relu', inputShape: [4] })];
  if (dropout) layers.push(tg.layers.dropout({ rate: dropout }));
  layers.push(tg.layers.dense({ units: 3, activation: 'softmax' }));
  const m = tg.sequential({ layers });
  m.setWeights(m.getWeights().map((w, i) => tg.tensor(uniform(w.size, 300 + i, -0.5, 0.5), w.shape)));
  m.compile({ optimizer: tg.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return { m, x, y, yVal };
}

/** A callback that snapshots the weights and val_loss at the end of every epoch. */
class Recorder extends tg.BaseCallback {
  snaps: number[][][] = [];
  events: string[] = [];
  onTrainBegin() {
    this.events.push('trainBegin');
  }
  onEpochBegin(e: number) {
    this.events.push(`epochBegin ${e}`);
  }
  onBatchEnd(b: number) {
    if (b === 0) this.events.push('batchEnd 0');
  }
  onEpochEnd(e: number) {
    this.events.push(`epochEnd ${e}`);
    this.snaps.push(this.model!.getWeights().map((w) => Array.from(w.data)));
  }
  onTrainEnd() {
    this.events.push('trainEnd');
  }
}
const argmin = (v: number[]): number => v.indexOf(Math.min(...v));

describe('EarlyStopping in fit', () => {
  it('stops a run whose val_loss rises, patience epochs after the best, and restores the best weights', async () => {
    const { m, x, y, yVal } = setup();
    const rec = new Recorder();
    const es = new tg.EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const h = await m.fit(x, y, {
      epochs: 40,
      batchSize: 10,
      validationData: [x, yVal],
      callbacks: [rec, es],
      rng: new tg.Rng(1),
      verbose: 0,
    });
    const v = h.history.val_loss;
    const best = argmin(v);
    expect(h.epoch.length).toBeLessThan(40);
    // Stopped exactly `patience` epochs after the last improvement, and those epochs were all worse.
    expect(h.epoch.length).toBe(best + 3);
    v.slice(best + 1).forEach((u) => expect(u).toBeGreaterThan(v[best]));
    // The training loss kept falling meanwhile: it is the validation set that got worse.
    expect(h.history.loss[h.epoch.length - 1]).toBeLessThan(h.history.loss[0]);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(rec.snaps[best]);
    expect(rec.snaps[rec.snaps.length - 1]).not.toEqual(rec.snaps[best]);
    expect(m.evaluate(x, yVal).loss).toBeCloseTo(v[best], 5);
  });

  it('without restoreBestWeights the last epoch weights stay', async () => {
    const { m, x, y, yVal } = setup();
    const rec = new Recorder();
    const h = await m.fit(x, y, {
      epochs: 40,
      batchSize: 10,
      validationData: [x, yVal],
      callbacks: [rec, new tg.EarlyStopping({ patience: 1 })],
      rng: new tg.Rng(1),
      verbose: 0,
    });
    expect(h.epoch.length).toBe(argmin(h.history.val_loss) + 2);
    expect(m.getWeights().map((w) => Array.from(w.data))).toEqual(rec.snaps[rec.snaps.length - 1]);
  });

  it('callback hooks run in Keras order, with the model set', async () => {
    const { m, x, y } = setup();
    const rec = new Recorder();
    await m.fit(x, y, { epochs: 2, batchSize: 30, callbacks: [rec], verbose: 0 });
    expect(rec.model).toBe(m);
    expect(rec.events).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batchEnd 0',
      'epochEnd 0',
      'epochBegin 1',
      'batchEnd 0',
      'epochEnd 1',
      'trainEnd',
    ]);
  });
});

describe('train and inference mode during fit', () => {
  it('Dropout is active for training batches and off for validation; the model is back in inference mode after', async () => {
    const { m, x, y, yVal } = setup(0.5);
    const drop = m.layers[1];
    const modes: boolean[] = [];
    const probe: tg.Callback = { onBatchEnd: () => void modes.push(drop.training) };
    const h = await m.fit(x, y, {
      epochs: 2,
      batchSize: 20,
      validationData: [x, yVal],
      callbacks: [probe],
      verbose: 0,
    });
    expect(modes).toEqual([true, true, true, true, true, true]);
    expect(drop.training).toBe(false);
    // Validation ran without dropout: it equals a deterministic evaluate with the final weights.
    expect(h.history.val_loss[1]).toBeCloseTo(m.evaluate(x, yVal).loss, 6);
    expect(m.evaluate(x, yVal).loss).toBe(m.evaluate(x, yVal).loss);
  });
});

describe('progress output', () => {
  it('with a log function (not a TTY): plain lines, one title and one summary per epoch, values as in the History', async () => {
    const { m, x, y } = setup();
    const out: [string, boolean][] = [];
    const h = await m.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      validationSplit: 0.2,
      log: (line, same) => out.push([line, same]),
    });
    expect(out.map(([, same]) => same)).toEqual([false, false, false, false]);
    const lines = out.map(([l]) => l);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[2]).toBe('Epoch 2/2');
    // 48 training samples in batches of 16: 3 steps.
    const re =
      /^3\/3 - \d+(?:\.\d)?s - \d+ms\/step - loss: (\d+\.\d{4}) - accuracy: (\d\.\d{4}) - val_loss: (\d+\.\d{4}) - val_accuracy: (\d\.\d{4})$/;
    for (const [i, line] of [lines[1], lines[3]].entries()) {
      const m2 = line.match(re);
      expect(m2, line).not.toBeNull();
      expect(m2!.slice(1).map(Number)).toEqual(
        ['loss', 'accuracy', 'val_loss', 'val_accuracy'].map((k) => +h.history[k][i].toFixed(4)),
      );
    }
    for (const l of lines) expect(l.includes('\r') || l.includes(String.fromCharCode(27)), l).toBe(false);
  });

  it('verbose 0 prints nothing', async () => {
    const { m, x, y } = setup();
    const out: string[] = [];
    await m.fit(x, y, { epochs: 2, verbose: 0, log: (l) => out.push(l) });
    expect(out).toEqual([]);
  });

  it('a NaN loss stops fit with a message naming the epoch and batch, and the model is left in inference mode', async () => {
    const { x } = setup();
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [4] })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    m.setWeights(m.getWeights().map((w) => tg.full(w.shape, Number.NaN)));
    await expect(m.fit(x, tg.zeros([60, 2]), { epochs: 1, batchSize: 20, verbose: 0 })).rejects.toThrow(
      /loss became NaN at epoch 1, batch 1.*checkNumerics/,
    );
    expect(m.training).toBe(false);
  });
});
