// Callbacks driven by fake logs and a fake model: EarlyStopping (Keras 3 rules), History, ModelCheckpoint, lists.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';

/** A model whose single weight is the epoch number it was last set to, so restores are visible. */
class FakeModel implements tg.CallbackModel {
  stopTraining = false;
  w = tg.tensor([0]);
  getWeights() {
    return [this.w];
  }
  setWeights(ws: tg.Tensor[]) {
    this.w = ws[0];
  }
}

/** Drive `cb` like fit would: stop when the model says so; the weight tracks the epoch. Returns epochs run. */
function fit(
  cb: tg.Callback,
  values: number[],
  key = 'val_loss',
  model = new FakeModel(),
): { epochs: number; model: FakeModel } {
  cb.setModel?.(model);
  cb.onTrainBegin?.();
  let e = 0;
  for (; e < values.length && !model.stopTraining; e++) {
    model.w.data[0] = e;
    cb.onEpochEnd?.(e, { [key]: values[e], loss: 1 });
  }
  cb.onTrainEnd?.();
  return { epochs: e, model };
}

describe('EarlyStopping', () => {
  it('patience counts epochs without improvement; stops at the first epoch where wait reaches patience', () => {
    // best 1.0 at e1; e2..e4 no improvement → wait 1, 2, 3 → stop after e4 with patience 3
    const es = new tg.EarlyStopping({ patience: 3 });
    const r = fit(es, [2, 1, 1.5, 1.2, 1.1, 0.5, 0.4]);
    expect(r.epochs).toBe(5);
    expect(es.stoppedEpoch).toBe(4);
    expect(es.best).toBe(1);
    expect(es.bestEpoch).toBe(1);
  });

  it('patience 0 stops at the first non-improving epoch (but never at epoch 0)', () => {
    const es = new tg.EarlyStopping();
    expect(fit(es, [3, 2, 2.5, 1]).epochs).toBe(3);
    // a non-improving epoch 0 (NaN) does not stop: the check needs epoch > 0
    const es2 = new tg.EarlyStopping({ mode: 'min' });
    expect(fit(es2, [NaN, 5]).epochs).toBe(2);
    expect(es2.stoppedEpoch).toBe(0);
  });

  it('minDelta: a change smaller than minDelta is not an improvement (min and max modes)', () => {
    const es = new tg.EarlyStopping({ patience: 1, minDelta: 0.1 });
    // 1.0 → 0.95 (not an improvement, wait 1 → stop)
    expect(fit(es, [1, 0.95, 0.5]).epochs).toBe(2);
    const up = new tg.EarlyStopping({ monitor: 'val_accuracy', patience: 1, minDelta: 0.05 });
    expect(up.direction).toBe('max');
    // 0.5 → 0.6 improves; 0.62 does not (needs > 0.65) → stop at e2
    expect(fit(up, [0.5, 0.6, 0.62, 0.9], 'val_accuracy').epochs).toBe(3);
  });

  it('auto mode: losses and errors minimise, accuracy-like maximise, unknown names need a mode', () => {
    expect(new tg.EarlyStopping({ monitor: 'loss' }).direction).toBe('min');
    expect(new tg.EarlyStopping({ monitor: 'val_mse' }).direction).toBe('min');
    expect(new tg.EarlyStopping({ monitor: 'acc' }).direction).toBe('max');
    expect(new tg.EarlyStopping({ monitor: 'val_auc' }).direction).toBe('max');
    expect(() => new tg.EarlyStopping({ monitor: 'my_score' })).toThrow(/pass mode: 'min' or 'max'/);
    expect(new tg.EarlyStopping({ monitor: 'my_score', mode: 'max' }).direction).toBe('max');
  });

  it('baseline: improvements that do not beat the baseline do not reset the wait', () => {
    // baseline 0.5: e0 and e1 improve but stay above it, so wait is 1, 2; e2 does not improve, wait 3 ≥ 2 → stop
    const es = new tg.EarlyStopping({ patience: 2, baseline: 0.5 });
    expect(fit(es, [1, 0.9, 0.95, 0.3]).epochs).toBe(3);
    // without a baseline the same values reset the wait and training continues
    expect(fit(new tg.EarlyStopping({ patience: 2 }), [1, 0.9, 0.95, 0.3]).epochs).toBe(4);
    // (Keras 3: an improving epoch never triggers the stop, even above the baseline)
    expect(fit(new tg.EarlyStopping({ patience: 2, baseline: 0.5 }), [1, 0.9, 0.8, 0.7]).epochs).toBe(4);
  });

  it('restoreBestWeights puts back the best epoch weights at the end, stopped early or not', () => {
    const es = new tg.EarlyStopping({ patience: 2, restoreBestWeights: true });
    const r = fit(es, [3, 1, 2, 2.5, 0.1]);
    expect(r.epochs).toBe(4);
    // fit() overwrites the live weight in place each epoch, so 1 here proves the best weights were copied
    expect(r.model.w.data[0]).toBe(1);
    const es2 = new tg.EarlyStopping({ patience: 10, restoreBestWeights: true });
    expect(fit(es2, [3, 1, 2]).model.w.data[0]).toBe(1);
  });

  it('startFromEpoch ignores warm-up epochs; the instance resets between fits', () => {
    const es = new tg.EarlyStopping({ patience: 0, startFromEpoch: 2 });
    // e0, e1 ignored even though worse; watching starts at e2
    expect(fit(es, [1, 5, 4, 3, 3.5]).epochs).toBe(5);
    expect(fit(es, [1, 5, 4, 3, 3.5]).epochs).toBe(5);
    expect(es.best).toBe(3);
  });

  it('a missing monitor warns with the available keys and does not stop', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const es = new tg.EarlyStopping({ monitor: 'val_loss' });
    expect(fit(es, [1, 2, 3], 'loss_other').epochs).toBe(3);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/'val_loss' is not in the logs \(available: loss_other, loss\)/),
    );
    warn.mockRestore();
  });

  it('without a model, the error says to pass the callback to fit', () => {
    const es = new tg.EarlyStopping({ restoreBestWeights: true });
    expect(() => es.onEpochEnd(0, { val_loss: 1 })).toThrow(/no model set/);
  });
});

describe('History, ModelCheckpoint, TerminateOnNaN, CallbackList', () => {
  it('HistoryCallback records epochs and one list per key', () => {
    const h = new tg.HistoryCallback();
    h.onTrainBegin();
    h.onEpochEnd(0, { loss: 2, acc: 0.5 });
    h.onEpochEnd(1, { loss: 1, acc: 0.75 });
    expect(h.epoch).toEqual([0, 1]);
    expect(h.history).toEqual({ loss: [2, 1], acc: [0.5, 0.75] });
    expect(tg.callbacks.History).toBe(tg.HistoryCallback);
  });

  it('ModelCheckpoint formats the path and saves every epoch, or only on improvement', async () => {
    const paths: string[] = [];
    const every = new tg.ModelCheckpoint({
      filepath: 'ck/e{epoch:02d}-{val_loss:.2f}.keras',
      save: (p) => void paths.push(p),
    });
    fit(every, [0.5, 0.75]);
    expect(paths).toEqual(['ck/e01-0.50.keras', 'ck/e02-0.75.keras']);
    const best: string[] = [];
    const cb = new tg.ModelCheckpoint({
      filepath: 'best-{epoch}.keras',
      save: (p) => void best.push(p),
      saveBestOnly: true,
    });
    fit(cb, [3, 1, 2, 0.5]);
    expect(best).toEqual(['best-1.keras', 'best-2.keras', 'best-4.keras']);
    // async save functions are awaited through the returned promise
    let done = false;
    const slow = new tg.ModelCheckpoint({
      filepath: 'x',
      save: async () => {
        await new Promise((r) => setTimeout(r, 5));
        done = true;
      },
    });
    slow.setModel(new FakeModel());
    await slow.onEpochEnd(0, { val_loss: 1 });
    expect(done).toBe(true);
  });

  it('ModelCheckpoint with saveFreq counts batches', () => {
    const paths: string[] = [];
    const cb = new tg.ModelCheckpoint({ filepath: 'b{epoch}', save: (p) => void paths.push(p), saveFreq: 2 });
    cb.onTrainBegin();
    cb.onEpochBegin(0);
    for (let b = 0; b < 5; b++) cb.onBatchEnd(b, { loss: 1 });
    cb.onEpochEnd(0, { loss: 1 });
    expect(paths).toEqual(['b1', 'b1']);
    expect(() => new tg.ModelCheckpoint({ filepath: 'x', save: () => {}, saveFreq: 0 })).toThrow(/saveFreq/);
    expect(() => tg.callbacks.formatPath('{nope}', { loss: 1 })).toThrow(/\{nope\}/);
  });

  it('TerminateOnNaN stops on a non-finite batch loss', () => {
    const m = new FakeModel();
    const cb = new tg.TerminateOnNaN();
    cb.setModel(m);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    cb.onBatchEnd(0, { loss: 1 });
    expect(m.stopTraining).toBe(false);
    cb.onBatchEnd(1, { loss: NaN });
    expect(m.stopTraining).toBe(true);
    warn.mockRestore();
  });

  it('CallbackList calls in order, stays synchronous for sync callbacks and awaits async ones', async () => {
    const order: string[] = [];
    const m = new FakeModel();
    const sync: tg.Callback = { onEpochEnd: (e) => void order.push(`a${e}`) };
    const list = new tg.CallbackList([sync, { onEpochEnd: (e) => void order.push(`b${e}`) }], m);
    expect(list.onEpochEnd(0, {})).toBeUndefined();
    const asyncCb: tg.Callback = {
      onEpochEnd: async (e) => {
        await new Promise((r) => setTimeout(r, 2));
        order.push(`c${e}`);
      },
    };
    const list2 = new tg.CallbackList([asyncCb, sync], m);
    const r = list2.onEpochEnd(1, {});
    expect(r).toBeInstanceOf(Promise);
    await r;
    expect(order).toEqual(['a0', 'b0', 'c1', 'a1']);
    m.stopTraining = true;
    expect(list2.stopTraining).toBe(true);
  });
});

describe("mode 'auto'", () => {
  it('a name ending in loss is minimised, even with a maximised word in it', () => {
    for (const monitor of [
      'val_iou_head_loss',
      'val_previous_frame_loss',
      'val_accent_loss',
      'cls_auc_loss',
      'loss',
    ])
      expect(new tg.EarlyStopping({ monitor }).direction, monitor).toBe('min');
  });

  it('maximised words match whole words (snake_case or camelCase); others need mode', () => {
    for (const monitor of [
      'val_acc',
      'val_binary_accuracy',
      'binaryAccuracy',
      'cls_auc',
      'recall_1',
      'f1_score',
      'meanIoU',
    ])
      expect(new tg.EarlyStopping({ monitor }).direction, monitor).toBe('max');
    for (const monitor of ['val_mse', 'mean_absolute_error', 'meanSquaredError', 'val_kld'])
      expect(new tg.EarlyStopping({ monitor }).direction, monitor).toBe('min');
    expect(() => new tg.EarlyStopping({ monitor: 'val_accent' })).toThrow(
      "EarlyStopping: cannot tell whether 'val_accent' should be minimised or maximised; pass mode: 'min' or 'max'",
    );
  });

  it('null options are refused by name', () => {
    expect(() => new tg.EarlyStopping(null as never)).toThrow(
      /^EarlyStopping: options must be an object \{ monitor, .* \}, got null$/,
    );
    expect(() => new tg.ModelCheckpoint(null as never)).toThrow(
      /^ModelCheckpoint: options must be an object/,
    );
  });
});
