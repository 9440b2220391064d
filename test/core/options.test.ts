// One rule for all options: every public op (src/ops), tg.nn module and train/ entry point that takes an
// options object refuses an unknown key through core/options.ts, naming itself and the known keys. The walk
// below finds every export whose parameters include an options object, so a new op or module fails here until
// it is listed (and refuses unknown keys).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import * as ops from '../../src/ops/index.js';
import * as train from '../../src/train/index.js';
import { checkOptions } from '../../src/core/options.js';
import * as tensorMod from '../../src/core/tensor.js';
import * as randomMod from '../../src/core/random.js';
import * as autodiffMod from '../../src/core/autodiff.js';

const X = { bogusOption: 1 };
const z = (...s: number[]) => tg.zeros(s);
const cellW = (k: number) => ({ kernel: z(2, k * 3), recurrentKernel: z(3, k * 3) });

/** [export name, a call whose options are valid except for bogusOption] */
const opCalls: Record<string, () => unknown> = {
  conv2d: () => tg.conv2d(z(1, 4, 4, 1), z(3, 3, 1, 1), null, { padding: 'same', ...X } as never),
  conv1d: () => tg.conv1d(z(1, 4, 1), z(3, 1, 1), null, { stride: 1, ...X } as never),
  depthwiseConv2d: () => tg.depthwiseConv2d(z(1, 4, 4, 1), z(3, 3, 1, 1), null, X as never),
  convTranspose2d: () => tg.convTranspose2d(z(1, 1, 2, 2), z(1, 1, 2, 2), null, { stride: 2, ...X } as never),
  convTranspose1d: () => tg.convTranspose1d(z(1, 1, 2), z(1, 1, 2), null, X as never),
  maxPool2d: () => tg.maxPool2d(z(1, 4, 4, 1), { kernelSize: 2, ...X } as never),
  maxPool2dWithIndices: () => tg.maxPool2dWithIndices(z(1, 4, 4, 1), { kernelSize: 2, ...X } as never),
  avgPool2d: () => tg.avgPool2d(z(1, 4, 4, 1), { kernelSize: 2, ...X } as never),
  maxPool1d: () => tg.maxPool1d(z(1, 4, 1), { kernelSize: 2, ...X } as never),
  avgPool1d: () => tg.avgPool1d(z(1, 4, 1), { kernelSize: 2, ...X } as never),
  globalAvgPool: () => tg.globalAvgPool(z(1, 4, 4, 1), X as never),
  globalMaxPool: () => tg.globalMaxPool(z(1, 4, 4, 1), X as never),
  crossEntropy: () => tg.crossEntropy(z(2, 3), [0, 1], X as never),
  matmul: () => tg.matmul(z(2, 2), z(2, 2), { transB: true, ...X } as never),
  dropout: () => tg.dropout(z(2, 2), 0.5, X as never),
  reluAdvanced: () => tg.reluAdvanced(z(2), X as never),
  simpleRnnCell: () =>
    tg.simpleRnnCell(z(1, 2), z(1, 3), cellW(1), { recurrentActivation: tg.sigmoid } as never),
  lstmCell: () => tg.lstmCell(z(1, 2), z(1, 3), z(1, 3), cellW(4), X as never),
  gruCell: () => tg.gruCell(z(1, 2), z(1, 3), cellW(3), X as never),
};

const params = (f: unknown): string =>
  (Function.prototype.toString.call(f).match(/^[^(]*\(([^)]*)\)/) ?? ['', ''])[1];
const takesOptions = (f: unknown) => /\b(opts|options|o|args)\b/.test(params(f));

describe('checkOptions', () => {
  it('passes known keys and undefined, refuses the first unknown key with the known list', () => {
    expect(() => checkOptions('f', { a: 1, b: undefined }, ['a', 'b'])).not.toThrow();
    expect(() => checkOptions('f', undefined, ['a'])).not.toThrow();
    expect(() => checkOptions('f', { a: 1, c: 2 }, ['a', 'b'])).toThrow(
      new tg.ValueError("f: unknown option 'c' (known: a, b)"),
    );
  });
});

describe('every public op with an options object refuses an unknown key', () => {
  it('the walk covers every ops export that takes options', () => {
    const found = Object.entries(ops)
      .filter(([, v]) => typeof v === 'function' && takesOptions(v))
      .map(([k]) => k);
    expect(found).toContain('conv2d');
    expect(found.filter((k) => !(k in opCalls))).toEqual([]);
  });
  for (const [name, call] of Object.entries(opCalls))
    it(name, () => {
      expect(call).toThrow(tg.ValueError);
      expect(call).toThrow(/unknown option '(bogusOption|recurrentActivation)' \(known: /);
    });
});

describe('core: tensor creators and gradient calls refuse an unknown key', () => {
  const f = (x: tg.Tensor) => tg.sum(x);
  const coreCalls: Record<string, () => unknown> = {
    tensor: () => tg.tensor([1, 2], [2], X as never),
    full: () => tg.full([2], 1, X as never),
    zeros: () => tg.zeros([2], X as never),
    ones: () => tg.ones([2], X as never),
    arange: () => tg.arange(0, 3, 1, X as never),
    randn: () => tg.randn([2], { seed: 1 } as never), // TF.js takes a seed: here it is tg.setSeed or { rng }
    rand: () => tg.rand([2], X as never),
    truncatedNormal: () => tg.truncatedNormal([2], X as never),
    randint: () => tg.randint([2], 0, 3, X as never),
    grad: () => tg.grad(f, X as never),
    grads: () => tg.grads(f, X as never),
    valueAndGrad: () => tg.valueAndGrad(f, X as never),
    valueAndGrads: () => tg.valueAndGrads(f, X as never),
  };
  it('the walk covers every core creator and gradient call that takes options', () => {
    const found = Object.entries({ ...tensorMod, ...randomMod, ...autodiffMod })
      .filter(([, v]) => typeof v === 'function' && !/^class/.test(Function.prototype.toString.call(v)))
      .filter(([, v]) => takesOptions(v))
      .map(([k]) => k);
    expect(found).toEqual(expect.arrayContaining(['tensor', 'randn', 'grad']));
    expect(found.filter((k) => !(k in coreCalls) && k !== 'backward' && k !== 'backwardPass')).toEqual([]);
  });
  for (const [name, call] of Object.entries(coreCalls))
    it(name, () => {
      expect(call).toThrow(tg.ValueError);
      expect(call).toThrow(new RegExp(`^(tg\\.)?${name}: unknown option '(bogusOption|seed)' \\(known: `));
    });
  it('the known keys still work', () => {
    expect(tg.zeros([2], { dtype: 'int32', requiresGrad: false }).dtype).toBe('int32');
    expect(tg.randn([2], { mean: 1, std: 0, rng: new tg.Rng(3) }).toArray()).toEqual([1, 1]);
    expect(tg.rand([2], { low: 2, high: 2 }).toArray()).toEqual([2, 2]);
    expect(tg.randint([2], 4, 5, { dtype: 'int32' }).toArray()).toEqual([4, 4]);
  });
});

describe('every tg.nn module with options refuses an unknown key', () => {
  const moduleCalls: Record<string, () => unknown> = {
    Linear: () => new tg.nn.Linear(2, 2, X as never),
    Conv2d: () => new tg.nn.Conv2d(1, 1, 3, X as never),
    Conv1d: () => new tg.nn.Conv1d(1, 1, 3, X as never),
    ConvTranspose2d: () => new tg.nn.ConvTranspose2d(1, 1, 3, X as never),
    BatchNorm1d: () => new tg.nn.BatchNorm1d(2, X as never),
    BatchNorm2d: () => new tg.nn.BatchNorm2d(2, X as never),
    LayerNorm: () => new tg.nn.LayerNorm(2, X as never),
    Embedding: () => new tg.nn.Embedding(2, 2, X as never),
    LSTM: () => new tg.nn.LSTM(2, 2, X as never),
    GRU: () => new tg.nn.GRU(2, 2, X as never),
    RNN: () => new tg.nn.RNN(2, 2, X as never),
    LSTMCell: () => new tg.nn.LSTMCell(2, 2, X as never),
    GRUCell: () => new tg.nn.GRUCell(2, 2, X as never),
    RNNCell: () => new tg.nn.RNNCell(2, 2, { nonlinearity: 'relu', ...X } as never),
    MultiheadAttention: () => new tg.nn.MultiheadAttention(4, 2, X as never),
    TransformerEncoderLayer: () => new tg.nn.TransformerEncoderLayer(4, 2, X as never),
    TransformerEncoder: () =>
      new tg.nn.TransformerEncoder(new tg.nn.TransformerEncoderLayer(4, 2), 1, X as never),
    TransformerDecoderLayer: () => new tg.nn.TransformerDecoderLayer(4, 2, X as never),
    TransformerDecoder: () =>
      new tg.nn.TransformerDecoder(new tg.nn.TransformerDecoderLayer(4, 2), 1, X as never),
    Transformer: () => new tg.nn.Transformer(X as never),
    ConvTranspose1d: () => new tg.nn.ConvTranspose1d(1, 1, 3, X as never),
    PReLU: () => new tg.nn.PReLU(1, 0.25, X as never),
    GroupNorm: () => new tg.nn.GroupNorm(1, 2, X as never),
    InstanceNorm1d: () => new tg.nn.InstanceNorm1d(2, X as never),
    InstanceNorm2d: () => new tg.nn.InstanceNorm2d(2, X as never),
    Upsample: () => new tg.nn.Upsample(X as never),
    InstanceNorm3d: () => new tg.nn.InstanceNorm3d(2, X as never),
    UpsamplingNearest2d: () => new tg.nn.UpsamplingNearest2d(X as never),
    UpsamplingBilinear2d: () => new tg.nn.UpsamplingBilinear2d(X as never),
    Unfold: () => new tg.nn.Unfold(X as never),
    Fold: () => new tg.nn.Fold(X as never),
    Bilinear: () => new tg.nn.Bilinear(2, 2, 2, X as never),
    EmbeddingBag: () => new tg.nn.EmbeddingBag(2, 2, X as never),
    ...Object.fromEntries(
      ['BCELoss', 'BCEWithLogitsLoss', 'HuberLoss', 'KLDivLoss', 'L1Loss', 'MSELoss', 'SmoothL1Loss']
        .concat(['CrossEntropyLoss', 'NLLLoss'])
        .concat(['CosineEmbeddingLoss', 'MarginRankingLoss', 'HingeEmbeddingLoss', 'SoftMarginLoss'])
        .concat(['MultiLabelSoftMarginLoss', 'MultiMarginLoss', 'MultiLabelMarginLoss', 'TripletMarginLoss'])
        .concat(['PoissonNLLLoss', 'GaussianNLLLoss', 'CosineSimilarity', 'PairwiseDistance'])
        .map((n) => [n, () => new (tg.nn as unknown as Record<string, new (o: unknown) => unknown>)[n](X)]),
    ),
  };
  it('the walk covers every tg.nn class whose constructor takes options', () => {
    const found = Object.entries(tg.nn)
      .filter(([, v]) => typeof v === 'function' && /^class/.test(Function.prototype.toString.call(v)))
      .filter(([, v]) =>
        /\b(opts|options)\b/.test(
          (Function.prototype.toString.call(v).match(/constructor\(([^)]*)\)/) ?? ['', ''])[1],
        ),
      )
      .map(([k]) => k);
    expect(found.length).toBeGreaterThan(5);
    expect(found.filter((k) => !(k in moduleCalls) && k !== 'Loss')).toEqual([]);
  });
  it('Loss, the base class of the loss modules, says so when constructed directly', () => {
    const Base = tg.nn.Loss as unknown as new (o: unknown) => unknown;
    expect(() => new Base({})).toThrow(/tg\.nn\.Loss itself is the base class of the loss modules/);
  });
  for (const [name, call] of Object.entries(moduleCalls))
    it(name, () => expect(call).toThrow(new RegExp(`^${name}: unknown option 'bogusOption' \\(known: `)));
});

describe('train/: optimizers, losses, schedules and callbacks refuse an unknown key', () => {
  const trainCalls: Record<string, () => unknown> = {
    SGD: () => new tg.SGD([], { lr: 0.1, ...X } as never),
    sgdRule: () => tg.sgdRule(X as never),
    Adam: () => new tg.Adam([], X as never),
    AdamW: () => new tg.AdamW([], X as never),
    adamRule: () => tg.adamRule(X as never),
    RMSprop: () => new tg.RMSprop([], X as never),
    rmspropRule: () => tg.rmspropRule(X as never),
    Adagrad: () => new tg.Adagrad([], X as never),
    adagradRule: () => tg.adagradRule(X as never),
    Adadelta: () => new tg.Adadelta([], X as never),
    adadeltaRule: () => tg.adadeltaRule(X as never),
    Adamax: () => new tg.Adamax([], X as never),
    adamaxRule: () => tg.adamaxRule(X as never),
    Nadam: () => new tg.Nadam([], X as never),
    NAdam: () => new tg.NAdam([], X as never),
    nadamRule: () => tg.nadamRule(X as never),
    exponentialDecay: () =>
      tg.exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5, ...X } as never),
    stepDecay: () => tg.stepDecay({ initialLearningRate: 1, stepSize: 1, ...X } as never),
    cosineDecay: () => tg.cosineDecay({ initialLearningRate: 1, decaySteps: 1, ...X } as never),
    ReduceLROnPlateau: () => new tg.ReduceLROnPlateau({ initialLearningRate: 1, ...X } as never),
    categoricalCrossentropy: () => tg.categoricalCrossentropy(z(1, 2), z(1, 2), X as never),
    sparseCategoricalCrossentropy: () =>
      tg.sparseCategoricalCrossentropy(z(1), z(1, 2), { labelSmoothing: 0.1 } as never),
    binaryCrossentropy: () => tg.binaryCrossentropy(z(1), z(1), X as never),
    huber: () => tg.huber(z(1), z(1), X as never),
    getLoss: () => tg.getLoss('binary_crossentropy', { fromLogits: true, ...X } as never),
    EarlyStopping: () => new tg.callbacks.EarlyStopping(X as never),
    earlyStopping: () => tg.callbacks.earlyStopping(X as never),
    ModelCheckpoint: () => new tg.callbacks.ModelCheckpoint({ filepath: 'a', save: () => {}, ...X } as never),
    modelCheckpoint: () => tg.callbacks.modelCheckpoint({ filepath: 'a', save: () => {}, ...X } as never),
    batchIterator: () => tg.batchIterator([z(2, 1)], { batchSize: 1, ...X } as never).next(),
  };
  it('the walk covers every train/ export whose parameters are an options object', () => {
    const exported = { ...train, ...(train as { callbacks: object }).callbacks };
    const found = Object.entries(exported)
      .filter(([, v]) => typeof v === 'function')
      .filter(([, v]) => {
        const src = Function.prototype.toString.call(v);
        const p = /^class/.test(src) ? (src.match(/constructor\(([^)]*)\)/) ?? ['', ''])[1] : params(v);
        return /\b(opts|options|o|args)\b/.test(p);
      })
      .map(([k]) => k);
    expect(found).toEqual(
      expect.arrayContaining(['Adam', 'sgdRule', 'cosineDecay', 'EarlyStopping', 'getLoss']),
    );
    expect(found.filter((k) => !(k in trainCalls))).toEqual([]);
  });
  for (const [name, call] of Object.entries(trainCalls))
    it(name, () => {
      expect(call).toThrow(tg.ValueError);
      expect(call).toThrow(/unknown option '(bogusOption|labelSmoothing|fromLogits)' \(known: /);
    });
  it("getLoss gives each loss only its own options: getLoss('mse', { fromLogits }) is refused, huber's delta works", () => {
    expect(() => tg.getLoss('mse', { fromLogits: true })).toThrow(
      "getLoss('meanSquaredError'): this loss takes no options, got 'fromLogits'",
    );
    expect(() => tg.getLoss('sparse_categorical_crossentropy', { labelSmoothing: 0.1 })).toThrow(
      /unknown option 'labelSmoothing' \(known: fromLogits\)/,
    );
    expect(
      tg
        .getLoss('huber', { delta: 2 })(tg.tensor([0]), tg.tensor([3]))
        .item(),
    ).toBeCloseTo(2 * 3 - 2, 6);
  });
});
