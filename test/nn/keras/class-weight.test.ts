// fit's / trainOnBatch's classWeight and sampleWeight (TF.js `standardizeWeights` + `computeWeightedLoss`, Keras
// `class_weight` / `sample_weight`): each sample's loss times its weight, reduced as Σ w·loss / batchSize (TF.js
// `mean(loss * w)`, Keras "sum_over_batch_size"; not PyTorch's Σ w·loss / Σ w). Metrics and the validation loss are
// not weighted. The expected numbers come from PyTorch 1.13 (/usr/bin/python3), reduction='none' then the TF.js
// formula, one SGD step (lr 0.5) on the same Dense layer:
//
//   import torch; torch.set_default_dtype(torch.float64); F = torch.nn.functional
//   X, K, B, y = <X, KERNEL, BIAS, LABELS below>; cw = torch.tensor([1.0, 2.5, 0.5]); lr = 0.5
//   def step(K, B, w):
//       K = K.clone().requires_grad_(); B = B.clone().requires_grad_()
//       l = F.cross_entropy(X @ K + B, y, reduction='none'); loss = (w * l).sum() / len(y); loss.backward()
//       return (K - lr*K.grad).flatten().tolist(), (B - lr*B.grad).tolist(), loss.item()
//   step(K, B, cw[y])                                  # SOFTMAX_CW
//   step(K, B, torch.tensor([0, 1, 2, 0.5, 1, 3.]))    # SOFTMAX_SW
//   # one sigmoid unit, K1, B1, yb below, classWeight {0: 0.25, 1: 3}:
//   p = torch.sigmoid(X @ K1 + B1).squeeze(1); l = F.binary_cross_entropy(p, yb, reduction='none')
//   loss = (torch.where(yb == 1, 3.0, 0.25) * l).sum() / 6; same SGD step   # SIGMOID_CW
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
const CW = { 0: 1, 1: 2.5, 2: 0.5 };
const K1 = [0.3, -0.2, 0.1, 0.4];
const B1 = [-0.1];
const YB = [1, 0, 0, 1, 1, 0];

// [kernel after the step, bias after the step, loss before it], from the script above
const SOFTMAX_CW = [
  [
    0.417350140659571, -0.2086650000364549, 0.1913148593768839, -0.34215229124504587, 0.5168886888895122,
    0.025263602355533626, 0.10153812277862476, 0.37426543219291586, -0.5758035549715406, 0.11956887319468135,
    -0.19635269678804265, 0.07678382359336135,
  ],
  [-0.01966603053704684, 0.15997980304048692, -0.040313772503440065],
  1.4679912695089328,
] as const;
const SOFTMAX_SW = [
  [
    0.43568431036754224, -0.19134680841478358, 0.1556624980472413, -0.13963615708061639, 0.5639466906886907,
    -0.22431053360807443, 0.14641401712950608, 0.2999143044641539, -0.54632832159366, 0.028407991208314692,
    -0.3246007690744557, 0.29619277786614107,
  ],
  [-0.09893937152197636, -0.012770715277956847, 0.21171008679993325],
  1.3784312128994367,
] as const;
const SIGMOID_CW = [
  [0.5345717865008772, -0.1781046120922686, 0.00963079330807834, 0.6736344885539205],
  [0.13646534684519734],
  0.7575831952967752,
] as const;

const f64 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'float64' });
const x = () => f64(X.flat(), [6, 4]);
const sparse = () => tg.tensor(LABELS, [6], { dtype: 'int32' });
const oneHot = () =>
  f64(
    LABELS.flatMap((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0))),
    [6, 3],
  );

/** Dense(3, softmax) on 4 features with the fixed weights above, SGD(0.5). */
function softmaxNet(loss = 'sparseCategoricalCrossentropy', metrics: string[] = []): tg.Sequential {
  const m = tg.sequential({
    name: 'net',
    layers: [tg.layers.dense({ units: 3, activation: 'softmax', inputShape: [4], dtype: 'float64' })],
  });
  m.setWeights([f64(KERNEL, [4, 3]), f64(BIAS, [3])]);
  m.compile({ optimizer: tg.train.sgd(0.5), loss, metrics });
  return m;
}
function sigmoidNet(): tg.Sequential {
  const m = tg.sequential({
    layers: [tg.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [4], dtype: 'float64' })],
  });
  m.setWeights([f64(K1, [4, 1]), f64(B1, [1])]);
  m.compile({ optimizer: tg.train.sgd(0.5), loss: 'binaryCrossentropy' });
  return m;
}
const weightsOf = (m: tg.Layer): number[][] => m.getWeights().map((w) => Array.from(w.data));

type Ref = readonly [readonly number[], readonly number[], number];
/** Kernel and bias after the step, and the loss the step reported, against a reference. */
function expectStep([k, b]: number[][], loss: unknown, ref: Ref) {
  k.forEach((v, i) => expect(v).toBeCloseTo(ref[0][i], 12));
  b.forEach((v, i) => expect(v).toBeCloseTo(ref[1][i], 12));
  expect(loss as number).toBeCloseTo(ref[2], 12);
}

describe('classWeight: one SGD step against PyTorch with the TF.js reduction Σ w·loss / n', () => {
  it('sparse labels (trainOnBatch)', async () => {
    const m = softmaxNet();
    const loss = await m.trainOnBatch(x(), sparse(), { classWeight: CW });
    expectStep(weightsOf(m), loss, SOFTMAX_CW);
  });
  it('one-hot labels: the class is the argmax of the row (fit, one batch)', async () => {
    const m = softmaxNet('categoricalCrossentropy');
    const h = await m.fit(x(), oneHot(), { classWeight: CW, batchSize: 6, shuffle: false, verbose: 0 });
    expectStep(weightsOf(m), h.history.loss[0], SOFTMAX_CW);
  });
  it('one sigmoid unit: the class is the label 0 or 1', async () => {
    const m = sigmoidNet();
    const loss = await m.trainOnBatch(x(), f64(YB, [6, 1]), { classWeight: { 0: 0.25, 1: 3 } });
    expectStep(weightsOf(m), loss, SIGMOID_CW);
  });
  it('two outputs: one map each (an array, or by output name as TF.js ClassWeightMap), null for none', async () => {
    const make = () => {
      const inp = tg.input({ shape: [4], dtype: 'float64' });
      const a = tg.layers.dense({ units: 3, activation: 'softmax', name: 'a', dtype: 'float64' }).apply(inp);
      const b = tg.layers.dense({ units: 1, activation: 'sigmoid', name: 'b', dtype: 'float64' }).apply(inp);
      const m = tg.model({ inputs: inp, outputs: [a, b] as tg.SymbolicTensor[] });
      m.setWeights([f64(KERNEL, [4, 3]), f64(BIAS, [3]), f64(K1, [4, 1]), f64(B1, [1])]);
      m.compile({
        optimizer: tg.train.sgd(0.5),
        loss: ['sparseCategoricalCrossentropy', 'binaryCrossentropy'],
      });
      return m;
    };
    const y = () => [sparse(), f64(YB, [6, 1])];
    for (const classWeight of [[CW, { 0: 0.25, 1: 3 }], { a: CW, b: { 0: 0.25, 1: 3 } }]) {
      const m = make();
      const [total, la, lb] = (await m.trainOnBatch(x(), y(), { classWeight })) as number[];
      const [ka, ba, kb, bb] = weightsOf(m);
      // the outputs share no weight: each one's step is its own single-output reference
      expectStep([ka, ba], la, SOFTMAX_CW);
      expectStep([kb, bb], lb, SIGMOID_CW);
      expect(total).toBeCloseTo(SOFTMAX_CW[2] + SIGMOID_CW[2], 12);
    }
    // null: output 'b' unweighted
    const m = make();
    const u = make();
    const [, , lb] = (await m.trainOnBatch(x(), y(), { classWeight: [CW, null] })) as number[];
    const [, , ub] = (await u.trainOnBatch(x(), y())) as number[];
    expect(lb).toBe(ub);
  });
  it('all weights 1 is exactly no classWeight; metrics are not weighted (Keras, TF.js)', async () => {
    const a = softmaxNet('sparseCategoricalCrossentropy', ['accuracy']);
    const b = softmaxNet('sparseCategoricalCrossentropy', ['accuracy']);
    const c = softmaxNet('sparseCategoricalCrossentropy', ['accuracy']);
    const la = (await a.trainOnBatch(x(), sparse(), { classWeight: { 0: 1, 1: 1, 2: 1 } })) as number[];
    const lb = (await b.trainOnBatch(x(), sparse())) as number[];
    // weight 0 on classes 0 and 2: the loss changes, the accuracy (the same predictions) does not
    const lc = (await c.trainOnBatch(x(), sparse(), { classWeight: { 0: 0, 1: 5, 2: 0 } })) as number[];
    expect(la).toEqual(lb);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    expect(lc[0]).not.toBeCloseTo(lb[0], 3);
    expect(lc[1]).toBe(lb[1]);
  });
  it('shuffled batches of fit weight each sample by its own class (as trainOnBatch on the same batches)', async () => {
    const a = softmaxNet();
    const b = softmaxNet();
    const h = await a.fit(x(), sparse(), { classWeight: CW, batchSize: 4, verbose: 0, rng: new tg.Rng(7) });
    // fit's Fisher–Yates order from the same seed, then the batches one by one
    const order = [0, 1, 2, 3, 4, 5];
    const rng = new tg.Rng(7);
    for (let i = 5; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const losses: number[] = [];
    for (const idx of [order.slice(0, 4), order.slice(4)]) {
      const bx = f64(
        idx.flatMap((i) => X[i]),
        [idx.length, 4],
      );
      const by = tg.tensor(
        idx.map((i) => LABELS[i]),
        [idx.length],
        { dtype: 'int32' },
      );
      losses.push((await b.trainOnBatch(bx, by, { classWeight: CW })) as number);
    }
    expect(order).not.toEqual([0, 1, 2, 3, 4, 5]);
    weightsOf(a).forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(weightsOf(b)[i][j], 13)));
    expect(h.history.loss[0]).toBeCloseTo((losses[0] * 4 + losses[1] * 2) / 6, 13);
  });
  it('the validation loss is not weighted (TF.js and Keras evaluate it without class weights)', async () => {
    const m = softmaxNet();
    const ref = softmaxNet();
    const h = await m.fit(x(), sparse(), {
      classWeight: { 0: 0.1, 1: 4, 2: 0.1 },
      batchSize: 6,
      epochs: 1,
      verbose: 0,
      validationData: [x(), sparse()],
    });
    ref.setWeights(m.getWeights());
    expect(h.history.val_loss[0]).toBeCloseTo(ref.evaluate(x(), sparse()).loss, 13);
  });
});

/** The softmax net's predictions for X, by a naive loop (float64). */
function naiveSoftmax(): number[][] {
  return X.map((row) => {
    const z = [0, 1, 2].map((j) => BIAS[j] + row.reduce((a, v, k) => a + v * KERNEL[k * 3 + j], 0));
    const e = z.map(Math.exp);
    const t = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / t);
  });
}

describe('classWeight with any compiled loss (Keras 3 class_weight_to_sample_weights: argmax of a row, else the rounded target)', () => {
  const cwOf = (k: number) => CW[k as 0 | 1 | 2];
  it('tg.losses.meanSquaredError on one-hot targets: Σ w(argmax y)·mse / n (hand-computed)', async () => {
    const p = naiveSoftmax();
    let want = 0;
    LABELS.forEach((k, i) => {
      const mse = p[i].reduce((a, v, j) => a + (v - (j === k ? 1 : 0)) ** 2, 0) / 3;
      want += cwOf(k) * mse;
    });
    want /= 6;
    for (const loss of [tg.losses.meanSquaredError, 'meanSquaredError', 'mse'] as const) {
      const m = softmaxNet();
      m.compile({ optimizer: tg.train.sgd(0.5), loss });
      expect((await m.trainOnBatch(x(), oneHot(), { classWeight: CW })) as number).toBeCloseTo(want, 12);
    }
  });
  it('tg.losses.huber and tg.losses.meanAbsoluteError on one regression unit: the class is the rounded target', async () => {
    const y = [0, 2.2, 1, 3, 0.9, 2]; // classes 0, 2, 1, 3, 1, 2
    const cw = { 0: 0.5, 1: 2, 2: 1, 3: 4 };
    const cls = y.map(Math.round) as (0 | 1 | 2 | 3)[];
    const pred = X.map((row) => B1[0] + row.reduce((a, v, k) => a + v * K1[k], 0));
    const huber = (e: number) => (Math.abs(e) <= 1 ? 0.5 * e * e : Math.abs(e) - 0.5);
    for (const [loss, per] of [
      [tg.losses.huber, huber],
      [tg.losses.meanAbsoluteError, Math.abs],
    ] as const) {
      const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [4], dtype: 'float64' })] });
      m.setWeights([f64(K1, [4, 1]), f64(B1, [1])]);
      m.compile({ optimizer: tg.train.sgd(0.1), loss: loss as tg.LossFn });
      const want = cls.reduce((a: number, k, i) => a + cw[k] * per(pred[i] - y[i]), 0) / 6;
      const got = (await m.trainOnBatch(x(), f64(y, [6, 1]), { classWeight: cw })) as number;
      expect(got).toBeCloseTo(want, 12);
    }
  });
  it('tg.losses.categoricalCrossentropy and getLoss(name, options) functions: weighted whole (hand-computed)', async () => {
    const p = naiveSoftmax();
    const ce = (i: number, s: number) =>
      -[0, 1, 2].reduce((a, j) => a + ((j === LABELS[i] ? 1 : 0) * (1 - s) + s / 3) * Math.log(p[i][j]), 0);
    for (const [loss, s] of [
      [tg.losses.categoricalCrossentropy, 0],
      [tg.losses.getLoss('categoricalCrossentropy', { labelSmoothing: 0.2 }), 0.2],
    ] as const) {
      const m = softmaxNet();
      m.compile({ optimizer: tg.train.sgd(0.5), loss: loss as tg.LossFn });
      const want = LABELS.reduce((a, k, i) => a + cwOf(k) * ce(i, s), 0) / 6;
      expect((await m.trainOnBatch(x(), oneHot(), { classWeight: CW })) as number).toBeCloseTo(want, 12);
    }
  });
});

describe('sampleWeight (Keras sample_weight; TF.js refuses it)', () => {
  it('one SGD step against PyTorch', async () => {
    const m = softmaxNet();
    const loss = await m.trainOnBatch(x(), sparse(), { sampleWeight: f64([0, 1, 2, 0.5, 1, 3], [6]) });
    expectStep(weightsOf(m), loss, SOFTMAX_SW);
  });
  it('a loss function of the user returning one value per sample is weighted per sample', async () => {
    const m = tg.sequential({
      layers: [tg.layers.dense({ units: 3, activation: 'softmax', inputShape: [4], dtype: 'float64' })],
    });
    m.setWeights([f64(KERNEL, [4, 3]), f64(BIAS, [3])]);
    // −Σ y·log p per row: categorical crossentropy without the mean (the probabilities here are far from the clip)
    const perSample = (t: tg.Tensor, p: tg.Tensor) => tg.neg(tg.sum(tg.mul(t, tg.log(p)), 1));
    m.compile({ optimizer: tg.train.sgd(0.5), loss: perSample });
    const loss = await m.trainOnBatch(x(), oneHot(), { sampleWeight: f64([0, 1, 2, 0.5, 1, 3], [6]) });
    expectStep(weightsOf(m), loss, SOFTMAX_SW);
  });
});

describe('classWeight / sampleWeight errors name the option and the value', () => {
  const bad = async (opts: object, re: RegExp, m = softmaxNet(), y: tg.Tensor = sparse()) => {
    const before = weightsOf(m);
    await expect(m.trainOnBatch(x(), y, opts)).rejects.toThrow(re);
    // refused before any update
    expect(weightsOf(m)).toEqual(before);
  };
  it('a class outside the output`s classes', () =>
    bad(
      { classWeight: { 0: 1, 1: 1, 2: 1, 5: 2 } },
      /classWeight has class 5, but output 'output_1' has 3 classes/,
    ));
  it('a negative or non-finite weight, a key that is not a class index', async () => {
    await bad({ classWeight: { 0: 1, 1: -2, 2: 1 } }, /classWeight gives class 1 the weight -2/);
    await bad({ classWeight: { 0: 1, 1: NaN, 2: 1 } }, /classWeight gives class 1 the weight NaN/);
    await bad({ classWeight: { 0: 1, 1: Infinity, 2: 1 } }, /weight Infinity/);
    await bad({ classWeight: { 0: 1, a: 1 } }, /classWeight has the key 'a', which is not a class index/);
    await bad({ classWeight: 3 }, /classWeight must be a map/);
  });
  it('a class of the data without a weight (TF.js: classWeight must contain all classes)', () =>
    bad({ classWeight: { 0: 1, 2: 1 } }, /classWeight has no weight for class 1 \(sample 2/));
  it('a value loss on one unit: a rounded target without a weight (as TF.js)', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [4], dtype: 'float64' })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await bad(
      { classWeight: { 0: 1 } },
      /classWeight has no weight for class 2 \(sample 1/,
      m,
      f64([0, 1.6, 0, 0, 0, 0], [6, 1]),
    );
  });
  it('both options, a wrong sampleWeight, a wrong number of maps, sampleWeight with validationSplit', async () => {
    await bad({ classWeight: CW, sampleWeight: tg.ones([6]) }, /classWeight or sampleWeight, not both/);
    await bad({ sampleWeight: tg.ones([5]) }, /sampleWeight must have shape \[6\].*got \[5\]/);
    await bad({ sampleWeight: f64([1, 1, -1, 1, 1, 1], [6]) }, /sampleWeight has the weight -1 at sample 2/);
    await bad({ classWeight: [CW, CW] }, /classWeight is an array of 2 maps but the model has 1 output/);
    await bad({ classWeight: { nope: CW } }, /classWeight has a map for 'nope', which is not an output/);
    await bad({ classWigth: CW }, /unknown option 'classWigth'/);
    const m = softmaxNet();
    await expect(
      m.fit(x(), sparse(), { sampleWeight: tg.ones([6]), validationSplit: 0.5, verbose: 0 }),
    ).rejects.toThrow(/sampleWeight with validationSplit is not supported/);
  });
  it('an output carrying a padding mask (Keras would multiply the weights into the mask)', async () => {
    const m = tg.sequential({
      layers: [tg.layers.embedding({ inputDim: 5, outputDim: 1, maskZero: true, inputShape: [null] })],
    });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const tokens = tg.tensor([1, 2, 0, 3, 0, 0], [2, 3]);
    const y = tg.zeros([2, 3, 1]);
    const before = weightsOf(m);
    await expect(m.trainOnBatch(tokens, y, { sampleWeight: tg.ones([2]) })).rejects.toThrow(
      /sampleWeight on output 'output_1', which carries the padding mask made by embedding.*is not supported/,
    );
    expect(weightsOf(m)).toEqual(before);
  });
  it('a loss function of the user that returns one number for the batch', async () => {
    const m = softmaxNet();
    m.compile({ optimizer: 'sgd', loss: (t, p) => tg.mean(tg.square(tg.sub(p, tg.oneHot(t, 3)))) });
    await bad({ classWeight: CW }, /must return one value per sample \(\[6\].*one number for the batch/, m);
  });
});
