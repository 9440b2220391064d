// fit's classWeight against real TF.js (@tensorflow/tfjs-layers on the cpu backend): the same model in both,
// tapegrad's weights copied into TF.js, then fit with classWeight (no shuffling) compared epoch by epoch (loss, the
// per-output losses, val_loss, metrics) and the weights after it. Also tapegrad's own options against the TF.js run
// they must equal: trainOnBatch with classWeight (TF.js fit on one batch) and sampleWeight holding each sample's class
// weight (TF.js classWeight). Where TF.js differs (a class key beyond the output's classes, multi-output val_* logs),
// the test says how.
import { beforeAll, describe, expect, it } from 'vitest';
import { rand, tf, tfl, useCpu } from '../../support/tfjs-layers.js';
import * as tg from '../../../src/index.js';

beforeAll(useCpu);

type AnyLib = Record<string, (cfg?: object) => unknown>;
/** A tapegrad model with its layers (Sequential or a functional model). */
type TgModel = tg.Model & { layers: tg.Layer[] };
type Make = (L: AnyLib, lib: AnyLib) => unknown;

/** The same model in both, TF.js holding tapegrad's initial weights. */
function twin(make: Make): { a: TgModel; b: tfl.LayersModel } {
  tg.resetLayerNames();
  tg.setSeed(5);
  const a = make(tg.layers as unknown as AnyLib, tg as unknown as AnyLib) as TgModel;
  const b = make(tfl.layers as unknown as AnyLib, tfl as unknown as AnyLib) as tfl.LayersModel;
  a.getWeights();
  expect(a.layers.length).toBe(b.layers.length);
  a.layers.forEach((l, i) => {
    const ws = l.getWeights();
    if (ws.length)
      b.layers[i].setWeights(ws.map((w) => tf.tensor(Array.from(w.data as Float32Array), [...w.shape])));
  });
  return { a, b };
}
function expectClose(x: ArrayLike<number>, y: ArrayLike<number>, atol: number, what: string) {
  expect(x.length, what).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst, what).toBeLessThanOrEqual(atol);
}
function expectSameWeights(a: TgModel, b: tfl.LayersModel, atol: number, what: string) {
  a.layers.forEach((l, i) =>
    l
      .getWeights()
      .forEach((w, j) =>
        expectClose(
          w.data as Float32Array,
          b.layers[i].getWeights()[j].dataSync(),
          atol,
          `${what}: layer ${i} weight ${j}`,
        ),
      ),
  );
}

const N = 10;
const X = rand(N * 4, 11);
const LABELS = Float32Array.from({ length: N }, (_, i) => (i * 7) % 3);
const ONE_HOT = Float32Array.from([...LABELS].flatMap((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))));
const BINARY = LABELS.map((l) => (l === 1 ? 1 : 0));
const CW3 = { 0: 1, 1: 3, 2: 0.5 };

const mlp =
  (units: number, activation: string): Make =>
  (L, lib) =>
    lib.sequential({
      layers: [L.dense({ units: 5, activation: 'relu', inputShape: [4] }), L.dense({ units, activation })],
    });

interface Case {
  units: number;
  act: string;
  loss: string;
  y: Float32Array;
  yShape: number[];
  classWeight: Record<number, number>;
  opt?: 'sgd' | 'adam';
  metrics?: string[];
  extra?: Record<string, unknown>;
}
const optimizers = (o: 'sgd' | 'adam'): [tg.Optimizer, tf.Optimizer] =>
  o === 'sgd' ? [tg.train.sgd(0.2), tf.train.sgd(0.2)] : [tg.train.adam(0.05), tf.train.adam(0.05)];

/** fit with classWeight in both: every History key (TF.js names accuracy 'acc'), then the weights. */
async function expectSameFit(c: Case, what: string) {
  const { a, b } = twin(mlp(c.units, c.act));
  const [oa, ob] = optimizers(c.opt ?? 'sgd');
  a.compile({ optimizer: oa, loss: c.loss, metrics: c.metrics ?? [] });
  b.compile({ optimizer: ob, loss: c.loss, metrics: c.metrics ?? [] });
  const args = {
    epochs: 3,
    batchSize: 4,
    shuffle: false,
    verbose: 0 as const,
    classWeight: c.classWeight,
    ...c.extra,
  };
  const ha = await a.fit(new tg.Tensor(X, [N, 4]), new tg.Tensor(c.y, c.yShape), args);
  const hb = await b.fit(tf.tensor(X, [N, 4]), tf.tensor(c.y, c.yShape), args as tfl.ModelFitArgs);
  const keys = Object.keys(ha.history).sort();
  expect(
    keys.map((k) => k.replace('accuracy', 'acc')),
    what,
  ).toEqual(Object.keys(hb.history).sort());
  for (const k of keys)
    expectClose(
      ha.history[k] as number[],
      hb.history[k.replace('accuracy', 'acc')] as number[],
      2e-5,
      `${what}: ${k}`,
    );
  expectSameWeights(a, b, c.opt === 'adam' ? 2e-5 : 1e-6, what);
}

describe('fit with classWeight against TF.js', () => {
  it('sparse labels ([batch, 1] and [batch]) with sparseCategoricalCrossentropy', async () => {
    for (const yShape of [[N, 1], [N]])
      await expectSameFit(
        {
          units: 3,
          act: 'softmax',
          loss: 'sparseCategoricalCrossentropy',
          y: LABELS,
          yShape,
          classWeight: CW3,
        },
        `sparse ${yShape}`,
      );
  });
  it('one-hot labels with categoricalCrossentropy, Adam, accuracy (not weighted)', async () => {
    await expectSameFit(
      {
        units: 3,
        act: 'softmax',
        loss: 'categoricalCrossentropy',
        y: ONE_HOT,
        yShape: [N, 3],
        classWeight: CW3,
        opt: 'adam',
        metrics: ['accuracy'],
      },
      'one-hot',
    );
  });
  it('binary: one sigmoid unit with binaryCrossentropy; several sigmoid units weighted by the argmax', async () => {
    await expectSameFit(
      {
        units: 1,
        act: 'sigmoid',
        loss: 'binaryCrossentropy',
        y: BINARY,
        yShape: [N, 1],
        classWeight: { 0: 1, 1: 4 },
      },
      'binary',
    );
    await expectSameFit(
      { units: 3, act: 'sigmoid', loss: 'binaryCrossentropy', y: ONE_HOT, yShape: [N, 3], classWeight: CW3 },
      'multi-label',
    );
  });
  it('validationSplit and validationData: the validation loss is not weighted', async () => {
    const base = {
      units: 3,
      act: 'softmax',
      loss: 'categoricalCrossentropy',
      y: ONE_HOT,
      yShape: [N, 3],
      classWeight: CW3,
    };
    await expectSameFit({ ...base, extra: { validationSplit: 0.3 } }, 'validationSplit');
    // validationData: each library its own tensors
    const { a, b } = twin(mlp(3, 'softmax'));
    a.compile({ optimizer: tg.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    b.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    const args = { epochs: 2, batchSize: 4, shuffle: false, verbose: 0, classWeight: CW3 } as const;
    const vx = X.slice(0, 12);
    const vy = ONE_HOT.slice(0, 9);
    const ha = await a.fit(new tg.Tensor(X, [N, 4]), new tg.Tensor(ONE_HOT, [N, 3]), {
      ...args,
      validationData: [new tg.Tensor(vx, [3, 4]), new tg.Tensor(vy, [3, 3])],
    });
    const hb = await b.fit(tf.tensor(X, [N, 4]), tf.tensor(ONE_HOT, [N, 3]), {
      ...args,
      validationData: [tf.tensor(vx, [3, 4]), tf.tensor(vy, [3, 3])],
    });
    for (const k of ['loss', 'val_loss'])
      expectClose(ha.history[k] as number[], hb.history[k] as number[], 2e-5, `validationData ${k}`);
  });
  it('every weight 0: loss 0 and no step, in both', async () => {
    await expectSameFit(
      {
        units: 3,
        act: 'softmax',
        loss: 'categoricalCrossentropy',
        y: ONE_HOT,
        yShape: [N, 3],
        classWeight: { 0: 0, 1: 0, 2: 0 },
      },
      'zeros',
    );
  });
  it('with weight regularizers: the penalty is added unweighted, as TF.js', async () => {
    const make: Make = (L, lib) => {
      const R = (
        lib === (tg as unknown as AnyLib)
          ? tg.regularizers
          : (tfl as unknown as { regularizers: AnyLib }).regularizers
      ) as AnyLib;
      return lib.sequential({
        layers: [
          L.dense({ units: 5, activation: 'relu', inputShape: [4], kernelRegularizer: R.l2({ l2: 0.05 }) }),
          L.dense({ units: 3, activation: 'softmax', kernelRegularizer: R.l1l2({ l1: 0.01, l2: 0.02 }) }),
        ],
      });
    };
    const { a, b } = twin(make);
    a.compile({ optimizer: tg.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    b.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    const args = { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, classWeight: CW3 } as const;
    const ha = await a.fit(new tg.Tensor(X, [N, 4]), new tg.Tensor(ONE_HOT, [N, 3]), args);
    const hb = await b.fit(tf.tensor(X, [N, 4]), tf.tensor(ONE_HOT, [N, 3]), args);
    expectClose(ha.history.loss as number[], hb.history.loss as number[], 2e-5, 'loss');
    expectSameWeights(a, b, 1e-6, 'regularized');
  });
});

describe('several outputs against TF.js', () => {
  const twoHeads: Make = (L, lib) => {
    const i = lib.input({ shape: [4] }) as never;
    const h = (L.dense({ units: 5, activation: 'relu', name: 'h' }) as { apply(x: unknown): never }).apply(i);
    const cls = (
      L.dense({ units: 3, activation: 'softmax', name: 'cls' }) as { apply(x: unknown): unknown }
    ).apply(h);
    const bin = (
      L.dense({ units: 1, activation: 'sigmoid', name: 'bin' }) as { apply(x: unknown): unknown }
    ).apply(h);
    return lib.model({ inputs: i, outputs: [cls, bin] });
  };
  const forms: [string, unknown][] = [
    ['an array of maps', [CW3, { 0: 1, 1: 4 }]],
    ['maps by output name', { cls: CW3, bin: { 0: 1, 1: 4 } }],
    ['null for an output', [null, { 0: 1, 1: 4 }]],
    ['a name left out', { bin: { 0: 1, 1: 4 } }],
  ];
  for (const [what, classWeight] of forms)
    it(`classWeight as ${what}: loss and per-output losses`, async () => {
      const { a, b } = twin(twoHeads);
      const losses = ['categoricalCrossentropy', 'binaryCrossentropy'];
      a.compile({ optimizer: tg.train.sgd(0.2), loss: losses });
      b.compile({ optimizer: tf.train.sgd(0.2), loss: losses });
      const args = { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, classWeight } as const;
      const ha = await a.fit(
        new tg.Tensor(X, [N, 4]),
        [new tg.Tensor(ONE_HOT, [N, 3]), new tg.Tensor(BINARY, [N, 1])],
        args as never,
      );
      const hb = await b.fit(
        tf.tensor(X, [N, 4]),
        [tf.tensor(ONE_HOT, [N, 3]), tf.tensor(BINARY, [N, 1])],
        args as never,
      );
      // NOTE: TF.js's multi-output val_* logs are shifted (its test function logs the running total), so none here
      for (const k of ['loss', 'cls_loss', 'bin_loss'])
        expectClose(ha.history[k] as number[], hb.history[k] as number[], 2e-5, `${what}: ${k}`);
      expectSameWeights(a, b, 1e-6, what);
    });
});

describe("tapegrad's own options against the TF.js run they equal", () => {
  it('trainOnBatch(x, y, {classWeight}) takes the step TF.js fit takes on the same single batch', async () => {
    const { a, b } = twin(mlp(3, 'softmax'));
    a.compile({ optimizer: tg.train.sgd(0.2), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    b.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    for (let s = 0; s < 3; s++) {
      const ra = (await a.trainOnBatch(new tg.Tensor(X, [N, 4]), new tg.Tensor(ONE_HOT, [N, 3]), {
        classWeight: CW3,
      })) as number[];
      const hb = await b.fit(tf.tensor(X, [N, 4]), tf.tensor(ONE_HOT, [N, 3]), {
        epochs: 1,
        batchSize: N,
        verbose: 0,
        classWeight: CW3,
      });
      expectClose(ra, [hb.history.loss[0] as number, hb.history.acc[0] as number], 2e-6, `step ${s}`);
    }
    expectSameWeights(a, b, 1e-6, 'trainOnBatch');
  });
  it("sampleWeight holding each sample's class weight trains as TF.js's classWeight", async () => {
    const { a, b } = twin(mlp(3, 'softmax'));
    a.compile({ optimizer: tg.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    b.compile({ optimizer: tf.train.sgd(0.2), loss: 'categoricalCrossentropy' });
    const args = { epochs: 3, batchSize: 4, shuffle: false, verbose: 0 } as const;
    const sampleWeight = new tg.Tensor(
      LABELS.map((l) => CW3[l as 0 | 1 | 2]),
      [N],
    );
    const ha = await a.fit(new tg.Tensor(X, [N, 4]), new tg.Tensor(ONE_HOT, [N, 3]), {
      ...args,
      sampleWeight,
    });
    const hb = await b.fit(tf.tensor(X, [N, 4]), tf.tensor(ONE_HOT, [N, 3]), { ...args, classWeight: CW3 });
    expectClose(ha.history.loss as number[], hb.history.loss as number[], 2e-5, 'loss');
    expectSameWeights(a, b, 1e-6, 'sampleWeight');
  });
});

describe('where tapegrad refuses what TF.js takes or refuses', () => {
  const fitBoth = async (loss: string, classWeight: Record<number, number>) => {
    const { a, b } = twin(mlp(3, 'softmax'));
    a.compile({ optimizer: tg.train.sgd(0.2), loss });
    b.compile({ optimizer: tf.train.sgd(0.2), loss });
    const args = { epochs: 1, batchSize: 4, shuffle: false, verbose: 0, classWeight } as const;
    const ra = a.fit(new tg.Tensor(X, [N, 4]), new tg.Tensor(ONE_HOT, [N, 3]), args);
    const rb = b.fit(tf.tensor(X, [N, 4]), tf.tensor(ONE_HOT, [N, 3]), args);
    return [ra, rb] as const;
  };
  it('a class of the data without a weight: both refuse', async () => {
    const [ra, rb] = await fitBoth('categoricalCrossentropy', { 0: 1, 1: 3 });
    await expect(ra).rejects.toThrow(/classWeight has no weight for class 2/);
    await expect(rb).rejects.toThrow(/class 2 exists in the data but not in classWeight/);
  });
  it('a class beyond the output (TF.js ignores it): refused by name', async () => {
    const [ra, rb] = await fitBoth('categoricalCrossentropy', { 0: 1, 1: 2, 2: 3, 5: 1 });
    await expect(ra).rejects.toThrow(/classWeight has class 5, but output 'output_1' has 3 classes/);
    await expect(rb).resolves.toBeDefined();
  });
});

describe('classWeight with a value loss (TF.js and Keras weight it by the target class too)', () => {
  it('meanSquaredError on one-hot targets: weighted by the argmax, as TF.js', async () => {
    await expectSameFit(
      { units: 3, act: 'softmax', loss: 'meanSquaredError', y: ONE_HOT, yShape: [N, 3], classWeight: CW3 },
      'mse one-hot',
    );
  });
});
