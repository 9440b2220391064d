// fit/evaluate options and callbacks as Keras and TF.js take them: numeric options checked by name (no infinite loop,
// no silent no-op), TF.js's object form of callbacks, setParams and onBatchBegin called, onTrainEnd given the last
// epoch's logs, verbose 2 (one line per epoch), and compile naming what a loss may be.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

beforeEach(() => tg.resetLayerNames());

function setup() {
  const m = tg.sequential({ name: 'm', layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  return { m, x: tg.randn([10, 3], { rng: new tg.Rng(1) }), y: tg.randn([10, 2], { rng: new tg.Rng(2) }) };
}

describe('numeric options', () => {
  it('fit refuses a batch size, epoch count or initial epoch that is not a suitable integer, naming it and the value', async () => {
    const { m, x, y } = setup();
    const bad: [tg.FitArgs, string][] = [
      [{ batchSize: 0 }, 'm.fit: batchSize must be a positive integer, got 0'],
      [{ batchSize: -1 }, 'm.fit: batchSize must be a positive integer, got -1'],
      [{ batchSize: 2.5 }, 'm.fit: batchSize must be a positive integer, got 2.5'],
      [{ epochs: 2.5 }, 'm.fit: epochs must be a non-negative integer, got 2.5'],
      [{ epochs: -1 }, 'm.fit: epochs must be a non-negative integer, got -1'],
      [{ epochs: '3' as never }, "m.fit: epochs must be a non-negative integer, got '3'"],
      [{ initialEpoch: -1 }, 'm.fit: initialEpoch must be a non-negative integer, got -1'],
      [{ validationSplit: 1 }, 'm.fit: validationSplit must be a number in [0, 1), got 1'],
      [{ validationSplit: -0.2 }, 'm.fit: validationSplit must be a number in [0, 1), got -0.2'],
      [
        { verbose: 3 as never },
        'm.fit: verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got 3',
      ],
    ];
    for (const [args, msg] of bad)
      await expect(m.fit(x, y, { verbose: 0, ...args }), JSON.stringify(args)).rejects.toThrow(
        new tg.ValueError(msg),
      );
    // epochs 0 and validationSplit 0 are valid: nothing to train, no split
    expect((await m.fit(x, y, { epochs: 0, verbose: 0 })).epoch).toEqual([]);
    expect((await m.fit(x, y, { validationSplit: 0, verbose: 0 })).history.val_loss).toBeUndefined();
  });

  it('evaluate refuses a batch size that is not a positive integer (0 looped forever)', () => {
    const { m, x, y } = setup();
    for (const bs of [2.5, -1, 0])
      expect(() => m.evaluate(x, y, { batchSize: bs })).toThrow(
        new tg.ValueError(`m.evaluate: batchSize must be a positive integer, got ${bs}`),
      );
    expect(m.evaluate(x, y, { batchSize: 3 }).loss).toBeCloseTo(m.evaluate(x, y).loss, 6);
  });
});

describe('callbacks', () => {
  it('one object of hooks (TF.js CustomCallbackArgs) is one callback', async () => {
    const { m, x, y } = setup();
    const epochs: number[] = [];
    await m.fit(x, y, { epochs: 2, verbose: 0, callbacks: { onEpochEnd: (e) => void epochs.push(e) } });
    expect(epochs).toEqual([0, 1]);
  });

  it('a hook name that is none of the hooks is refused by name (a typo, TF.js onYield)', async () => {
    const { m, x, y } = setup();
    await expect(m.fit(x, y, { verbose: 0, callbacks: { onEpochend: () => {} } as never })).rejects.toThrow(
      /m\.fit: callbacks has an unknown hook 'onEpochend' \(known: setModel, setParams, onTrainBegin/,
    );
    await expect(
      m.fit(x, y, { verbose: 0, callbacks: [{}, { onYield: () => {} } as never] }),
    ).rejects.toThrow(/m\.fit: callbacks\[1\] has an unknown hook 'onYield'/);
    // other keys of a plain object are the user's own
    await m.fit(x, y, { verbose: 0, callbacks: [{ count: 0, onEpochEnd() {} } as tg.Callback] });
  });

  it('setParams before onTrainBegin, onBatchBegin before each batch, onTrainEnd with the last epoch logs', async () => {
    const { m, x, y } = setup();
    const ev: string[] = [];
    let params: Record<string, unknown> = {};
    let endLogs: tg.Logs | undefined;
    const h = await m.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      validationSplit: 0.2,
      verbose: 0,
      callbacks: [
        {
          setParams: (p) => void ((params = p), ev.push('setParams')),
          onTrainBegin: () => void ev.push('trainBegin'),
          onEpochBegin: (e) => void ev.push(`epochBegin ${e}`),
          onBatchBegin: (b, logs) => void ev.push(`batchBegin ${b} (${logs?.size})`),
          onBatchEnd: (b) => void ev.push(`batchEnd ${b}`),
          onEpochEnd: (e) => void ev.push(`epochEnd ${e}`),
          onTrainEnd: (logs) => void ((endLogs = logs), ev.push('trainEnd')),
        },
      ],
    });
    const epoch = (e: number) => [
      `epochBegin ${e}`,
      'batchBegin 0 (4)',
      'batchEnd 0',
      'batchBegin 1 (4)',
      'batchEnd 1',
      `epochEnd ${e}`,
    ];
    expect(ev).toEqual(['setParams', 'trainBegin', ...epoch(0), ...epoch(1), 'trainEnd']);
    expect(params).toEqual({
      epochs: 2,
      initialEpoch: 0,
      samples: 8,
      steps: 2,
      batchSize: 4,
      verbose: 0,
      doValidation: true,
      metrics: ['loss', 'val_loss'],
    });
    expect(endLogs).toEqual({ loss: h.history.loss[1], val_loss: h.history.val_loss[1] });
  });
});

describe('verbose', () => {
  it('2: one title and one summary line per epoch, never redrawn', async () => {
    const { m, x, y } = setup();
    const out: [string, boolean][] = [];
    await m.fit(x, y, { epochs: 2, batchSize: 5, verbose: 2, log: (l, same) => out.push([l, same]) });
    expect(out.map(([, same]) => same)).toEqual([false, false, false, false]);
    expect(out[0][0]).toBe('Epoch 1/2');
    expect(out[2][0]).toBe('Epoch 2/2');
    expect(out[1][0]).toMatch(/^2\/2 - \d+(?:\.\d)?s - \d+ms\/step - loss: \d+\.\d{4}$/);
  });
});

describe('compile', () => {
  it('a loss that is neither a name nor a function: says what is accepted', () => {
    const { m } = setup();
    expect(() => m.compile({ optimizer: 'sgd', loss: { name: 'mse' } as never })).toThrow(
      /^m\.compile: loss must be a loss name \(e\.g\. 'meanSquaredError', 'categoricalCrossentropy'\) or a function \(yTrue, yPred\) => Tensor, or a list of them \(one per output\); got an object \{"name":"mse"\}$/,
    );
    expect(() => m.compile({ optimizer: 'sgd', loss: ['mse', 3 as never] })).toThrow(
      /m\.compile: loss\[1\] must be/,
    );
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: [{} as never] })).toThrow(
      /m\.compile: metrics\[0\] must be a metric name/,
    );
  });
  it('one metric without a list (TF.js)', () => {
    const { m, x, y } = setup();
    m.compile({ optimizer: 'sgd', loss: 'mse', metrics: 'mae' });
    expect(Object.keys(m.evaluate(x, y))).toEqual(['loss', 'mae']);
  });
});
