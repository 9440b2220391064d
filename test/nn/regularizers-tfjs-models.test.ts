// Regularized models against real TF.js (the layers one by one are in regularizers-tfjs.test.ts): a nested model, a
// frozen layer, one regularizer object on several weights, a shared layer, evaluate and val_loss, an L1 penalty at 0,
// what regularizers leave alone, TF.js's serialized form, and a model TF.js saved that tapegrad loads and fine-tunes.
// The differences from TF.js and why are listed at the top of regularizers-tfjs.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import {
  type AnyLib,
  type TgModel,
  TFJS_REG,
  expectClose,
  expectSameTraining,
  expectSameWeights,
  rand,
  tf,
  tfLosses,
  tfl,
  twin,
  useCpu,
} from '../support/tfjs-regularizers.js';

beforeAll(useCpu);

describe('models against TF.js', () => {
  it('a nested model holding a regularized layer', async () => {
    const t = twin((L, R, lib) => {
      const inner = lib.sequential({
        layers: [L.dense({ units: 3, inputShape: [4], kernelRegularizer: R.l2({ l2: 0.05 }) })],
      });
      return lib.sequential({ layers: [inner, L.dense({ units: 3, kernelRegularizer: R.l2({ l2: 0.2 }) })] });
    });
    expect(t.a.losses).toHaveLength(2);
    // NOTE: TF.js's calculateLosses on the outer Sequential lists only its own layer's, but its training adds both
    const { a, b } = t;
    a.compile({ optimizer: tg.train.sgd(0.1), loss: 'meanSquaredError' });
    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = rand(24, 5);
    const y = rand(18, 9);
    for (let s = 0; s < 3; s++) {
      const la = (await a.trainOnBatch(new tg.Tensor(x, [6, 4]), new tg.Tensor(y, [6, 3]))) as number;
      const lb = (await b.trainOnBatch(tf.tensor(x, [6, 4]), tf.tensor(y, [6, 3]))) as number;
      expectClose([la], [lb], 2e-5, `step ${s}`);
    }
    const ws = (m: { getWeights(): { data?: unknown; dataSync?: () => Float32Array }[] }) =>
      m.getWeights().map((w) => Array.from((w.dataSync ? w.dataSync() : w.data) as Float32Array));
    const wa = ws(a as never);
    const wb = ws(b as never);
    wa.forEach((w, i) => expectClose(w, wb[i], 1e-5, `weight ${i}`));
  });
  it('a frozen layer: its penalty is reported, its weights stay', async () => {
    const t = twin((L, R, lib) => {
      const frozen = L.dense({ units: 3, inputShape: [4], kernelRegularizer: R.l2({ l2: 0.05 }) }) as {
        trainable: boolean;
      };
      const m = lib.sequential({
        layers: [frozen, L.dense({ units: 3, kernelRegularizer: R.l1({ l1: 0.02 }) })],
      });
      frozen.trainable = false;
      return m;
    });
    const before = Array.from(t.a.layers[0].getWeights()[0].data as Float32Array);
    await expectSameTraining(t, [6, 4], [6, 3], 'sgd', 'frozen');
    expect(Array.from(t.a.layers[0].getWeights()[0].data as Float32Array)).toEqual(before);
  });
  it('one regularizer object on several weights, and zero factors (l2 = 0, l1l2 of zeros)', async () => {
    const t = twin((L, R, lib) => {
      const r = R.l2({ l2: 0.07 });
      return lib.sequential({
        layers: [
          L.dense({
            units: 3,
            inputShape: [4],
            kernelRegularizer: r,
            biasRegularizer: R.l1l2({ l1: 0, l2: 0 }),
          }),
          L.dense({ units: 3, kernelRegularizer: r, biasRegularizer: R.l2({ l2: 0 }) }),
        ],
      });
    });
    await expectSameTraining(t, [6, 4], [6, 3], 'sgd', 'reused');
  });
  it("a shared layer called twice: its penalty counts once (Keras); TF.js's calculateLosses lists it per call", async () => {
    const t = twin((L, R, lib) => {
      const i1 = lib.input({ shape: [4] }) as never;
      const i2 = lib.input({ shape: [4] }) as never;
      const d = L.dense({ units: 3, kernelRegularizer: R.l2({ l2: 0.05 }) }) as {
        apply(x: unknown): unknown;
      };
      const o = (L.add() as { apply(x: unknown): unknown }).apply([d.apply(i1), d.apply(i2)]);
      return lib.model({ inputs: [i1, i2], outputs: o });
    });
    const { a, b } = t;
    const per = b.calculateLosses().map((p) => p.dataSync()[0]);
    expect(per).toHaveLength(2);
    expect(a.losses.map((s) => s.item())).toHaveLength(1);
    expectClose([a.losses[0].item()], [per[0]], 1e-6, 'penalty');
    // TF.js made to count it once trains as tapegrad does
    const own = b.calculateLosses.bind(b);
    b.calculateLosses = () => own().slice(0, 1);
    a.compile({ optimizer: tg.train.sgd(0.1), loss: 'meanSquaredError' });
    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x1 = rand(24, 5);
    const x2 = rand(24, 6);
    const y = rand(18, 9);
    for (let s = 0; s < 3; s++) {
      const la = (await a.trainOnBatch(
        [new tg.Tensor(x1, [6, 4]), new tg.Tensor(x2, [6, 4])],
        new tg.Tensor(y, [6, 3]),
      )) as number;
      const lb = (await b.trainOnBatch(
        [tf.tensor(x1, [6, 4]), tf.tensor(x2, [6, 4])],
        tf.tensor(y, [6, 3]),
      )) as number;
      expectClose([la], [lb], 2e-5, `step ${s}`);
    }
    expectSameWeights(t, 1e-5, 'shared');
  });
  it("evaluate and val_loss add the penalties (Keras); TF.js's leave them out", async () => {
    const t = twin((L, R, lib) =>
      lib.sequential({
        layers: [
          L.dense({
            units: 3,
            inputShape: [4],
            kernelRegularizer: R.l2({ l2: 0.3 }),
            biasRegularizer: R.l1({ l1: 0.2 }),
          }),
        ],
      }),
    );
    const { a, b } = t;
    a.compile({ optimizer: tg.train.sgd(0.1), loss: 'meanSquaredError' });
    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = rand(40, 5);
    const y = rand(30, 9);
    const args = { epochs: 2, batchSize: 3, shuffle: false, verbose: 0, validationSplit: 0.3 } as const;
    const ha = await a.fit(new tg.Tensor(x, [10, 4]), new tg.Tensor(y, [10, 3]), args);
    const hb = await b.fit(tf.tensor(x, [10, 4]), tf.tensor(y, [10, 3]), args);
    expectClose(ha.history.loss as number[], hb.history.loss as number[], 2e-5, 'loss');
    expectSameWeights(t, 1e-5, 'val');
    const pen = a.losses.reduce((s, p) => s + p.item(), 0);
    // the last epoch's val_loss is measured with the weights the model ends with
    const valA = (ha.history.val_loss as number[])[1];
    const valB = (hb.history.val_loss as number[])[1];
    expect(valA).toBeCloseTo(valB + pen, 5);
    const ea = a.evaluate(new tg.Tensor(x, [10, 4]), new tg.Tensor(y, [10, 3])).loss;
    const eb = (b.evaluate(tf.tensor(x, [10, 4]), tf.tensor(y, [10, 3])) as tf.Scalar).dataSync()[0];
    expect(ea).toBeCloseTo(eb + pen, 5);
  });
  it("an L1 penalty on a weight at exactly 0: tapegrad's step uses sign(0) = 0, TF.js's uses −1", async () => {
    tg.resetLayerNames();
    const make = (L: AnyLib, R: AnyLib, lib: AnyLib) =>
      lib.sequential({
        layers: [L.dense({ units: 3, inputShape: [4], biasRegularizer: R.l1({ l1: 0.25 }) })],
      }) as never;
    tg.setSeed(3);
    const a = make(tg.layers as never, tg.regularizers as never, tg as never) as TgModel;
    const b = make(tfl.layers as never, TFJS_REG, tfl as never) as tfl.LayersModel;
    b.setWeights(a.getWeights().map((w) => tf.tensor(Array.from(w.data as Float32Array), [...w.shape])));
    a.compile({ optimizer: tg.train.sgd(0.1), loss: 'meanSquaredError' });
    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = rand(24, 5);
    const y = rand(18, 9);
    await a.trainOnBatch(new tg.Tensor(x, [6, 4]), new tg.Tensor(y, [6, 3]));
    await b.trainOnBatch(tf.tensor(x, [6, 4]), tf.tensor(y, [6, 3]));
    // TF.js's bias took an extra +lr·l1 (its |0|′ = −1); the kernels agree
    const biasA = a.getWeights()[1].data as Float32Array;
    const biasB = b.getWeights()[1].dataSync();
    expectClose(
      biasA,
      Array.from(biasB, (v) => v - 0.1 * 0.25),
      1e-6,
      'bias',
    );
    expectClose(a.getWeights()[0].data as Float32Array, b.getWeights()[0].dataSync(), 1e-6, 'kernel');
  });
});

describe('what regularizers leave alone', () => {
  const make = (reg: boolean) => {
    tg.resetLayerNames();
    tg.setSeed(1);
    const r = reg
      ? { kernelRegularizer: tg.regularizers.l2({ l2: 1 }), activityRegularizer: tg.regularizers.l1() }
      : {};
    return tg.sequential({ layers: [tg.layers.dense({ units: 3, inputShape: [4], ...r })] });
  };
  it('predict, summary and tg.grad of a loss of the model are those of the same model without them', () => {
    const a = make(true);
    const b = make(false);
    b.setWeights(a.getWeights());
    const x = new tg.Tensor(rand(24, 5), [6, 4]);
    const y = new tg.Tensor(rand(18, 9), [6, 3]);
    expect(Array.from((a.predict(x) as tg.Tensor).data)).toEqual(
      Array.from((b.predict(x) as tg.Tensor).data),
    );
    let sa = '';
    let sb = '';
    a.summary({ print: (s: string) => (sa += s + '\n') });
    b.summary({ print: (s: string) => (sb += s + '\n') });
    expect(sa).toBe(sb);
    // as Keras and TF.js: a loss of one's own takes no penalty unless model.losses is added to it
    const kernelOf = (m: TgModel) => (m.layers[0] as unknown as { kernel: tg.Tensor }).kernel;
    const ga = tg.grad(() => tg.losses.meanSquaredError(y, a.apply(x) as tg.Tensor))(kernelOf(a));
    const gb = tg.grad(() => tg.losses.meanSquaredError(y, b.apply(x) as tg.Tensor))(kernelOf(b));
    expect(Array.from(ga.data)).toEqual(Array.from(gb.data));
  });
});

describe("TF.js's other ways of giving a regularizer", () => {
  it("TF.js's serialized {className: 'L1L2', config} is taken as TF.js takes it (a factor left out is 0.01)", async () => {
    const t = twin((L, _R, lib) =>
      lib.sequential({
        layers: [
          L.dense({
            units: 3,
            inputShape: [4],
            kernelRegularizer: { className: 'L1L2', config: { l2: 0.1 } },
            biasRegularizer: { className: 'L1L2', config: {} },
          }),
        ],
      }),
    );
    expect(t.a.losses).toHaveLength(2);
    await expectSameTraining(t, [6, 4], [6, 3], 'sgd', 'serialized');
  });
  it('other objects and bad factors are refused naming the layer, the option and what was given', () => {
    const dense = (kernelRegularizer: unknown) =>
      tg.layers.dense({ units: 2, name: 'd', kernelRegularizer: kernelRegularizer as tg.RegularizerSpec });
    expect(() => dense({ className: 'L2', config: { l2: 0.1 } })).toThrow(
      /d \(Dense\): kernelRegularizer: a serialized regularizer must be \{className: 'L1L2'/,
    );
    expect(() => dense({ className: 'L1L2', config: { l2: -1 } })).toThrow(
      /d \(Dense\): kernelRegularizer: regularizer: l2 must be a non-negative finite number, got -1/,
    );
    expect(() => dense({ class_name: 'L1L2', config: { l2: 0.1 } })).toThrow(
      /kernelRegularizer: expected a regularizer .* got an object/,
    );
    expect(() => dense(TFJS_REG.l2({ l2: 0.1 }))).toThrow(
      /kernelRegularizer: expected a regularizer .* got a L1L2/,
    );
    expect(() => tg.regularizers.l2({ l2: '0.1' as unknown as number })).toThrow(
      /l2 must be a non-negative finite number, got a string '0.1'/,
    );
  });
});

describe('a model TF.js saved, loaded with tg.keras and fine-tuned', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  it('its regularizers are applied: the same penalties, History and weights as TF.js fine-tuning its own model', async () => {
    const b = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          filters: 2,
          kernelSize: 2,
          inputShape: [4, 4, 2],
          kernelRegularizer: TFJS_REG.l2({ l2: 0.05 }) as never,
          biasRegularizer: 'l1l2',
          biasInitializer: 'ones',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4, kernelRegularizer: TFJS_REG.l1({ l1: 0.03 }) as never, useBias: false }),
        tfl.layers.batchNormalization({
          gammaRegularizer: TFJS_REG.l2({ l2: 0.2 }) as never,
          betaRegularizer: TFJS_REG.l2({ l2: 0.1 }) as never,
        }),
        tfl.layers.dense({ units: 3, kernelRegularizer: TFJS_REG.l1l2({ l1: 0.01, l2: 0.02 }) as never }),
      ],
    });
    let art: tf.io.ModelArtifacts | undefined;
    await b.save(
      tf.io.withSaveHandler(async (x) => {
        art = x;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'tg-reg-tfjs-'));
    dirs.push(dir);
    const json = {
      format: 'layers-model',
      modelTopology: art!.modelTopology,
      weightsManifest: [{ paths: ['w.bin'], weights: art!.weightSpecs }],
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(art!.weightData as ArrayBuffer));
    const a = await tg.keras.loadModel(join(dir, 'model.json'));
    expect(a.loadReport.ok).toBe(true);
    expectClose(
      a.losses.map((p) => p.item()),
      tfLosses(b),
      1e-6,
      'penalties',
    );
    a.compile({ optimizer: tg.train.sgd(0.1), loss: 'meanSquaredError' });
    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = rand(8 * 32, 3);
    const y = rand(24, 4);
    const args = { epochs: 3, batchSize: 3, shuffle: false, verbose: 0 } as const;
    const ha = await a.fit(new tg.Tensor(x, [8, 4, 4, 2]), new tg.Tensor(y, [8, 3]), args);
    const hb = await b.fit(tf.tensor(x, [8, 4, 4, 2]), tf.tensor(y, [8, 3]), args);
    // NOTE: TF.js's initializers are unseeded, so the losses' size varies from run to run: the bound is relative
    // (2e-5 of the largest loss, at least 2e-5); an absolute 2e-5 failed once at 2.07e-5 in a fresh-clone CI run
    const scale = Math.max(1, ...(hb.history.loss as number[]).map(Math.abs));
    expectClose(ha.history.loss as number[], hb.history.loss as number[], 2e-5 * scale, 'fit loss');
    expectSameWeights({ a, b }, 1e-5, 'fine-tuned');
  });
});
