// Weight regularizers against real TF.js (@tensorflow/tfjs-layers on the cpu backend): the same model built in both
// with the same regularizers, tapegrad's weights copied into TF.js layer by layer, then model.losses against TF.js's
// calculateLosses(), the loss of each trainOnBatch step, fit's History and the weights after SGD and Adam.
// Where TF.js differs, the tests say how (here and in regularizers-tfjs-models.test.ts) and check tapegrad against
// TF.js made to do what Keras does:
// - TF.js's RNN layers drop their cell's penalties (RNN has no `losses` of its own; the cell holds them) and
//   Bidirectional reads them from its template layer, which is never built: TF.js trains those without a penalty.
//   The tests forward the cells' penalties so that TF.js applies Keras's formula.
// - TF.js counts a shared layer's penalty once per call (Container.calculateLosses walks inbound nodes); Keras once.
// - TF.js's |x|′ at 0 is −1 (tfjs-core Abs gradient uses step(x, −1)); TF, PyTorch and tapegrad use sign(0) = 0.
// - TF.js's evaluate and val_loss leave the penalties out; Keras (and tapegrad) include them.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import {
  type AnyLib,
  type Make,
  expectClose,
  expectSameTraining,
  expectSameWeights,
  optimizers,
  rand,
  size,
  tf,
  tfLosses,
  tfl,
  twin,
  useCpu,
} from '../support/tfjs-regularizers.js';

beforeAll(useCpu);

/** One model per layer type, each with every weight regularizer TF.js takes on it. */
const LAYER_CASES: [string, Make, number[], number[]][] = [
  [
    'Dense',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.dense({
            units: 3,
            inputShape: [4],
            kernelRegularizer: R.l1l2({ l1: 0.03, l2: 0.05 }),
            biasRegularizer: R.l1({ l1: 0.1 }),
          }),
        ],
      }),
    [6, 4],
    [6, 3],
  ],
  [
    'Conv1D',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.conv1d({
            filters: 2,
            kernelSize: 2,
            inputShape: [5, 2],
            kernelRegularizer: R.l2({ l2: 0.05 }),
            biasRegularizer: R.l1({ l1: 0.1 }),
          }),
          L.flatten(),
        ],
      }),
    [5, 5, 2],
    [5, 8],
  ],
  [
    'Conv2D',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.conv2d({
            filters: 2,
            kernelSize: 2,
            inputShape: [4, 4, 2],
            kernelRegularizer: R.l1({ l1: 0.02 }),
            biasRegularizer: R.l2({ l2: 0.5 }),
          }),
          L.flatten(),
        ],
      }),
    [5, 4, 4, 2],
    [5, 18],
  ],
  [
    'Conv2DTranspose',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.conv2dTranspose({
            filters: 2,
            kernelSize: 2,
            inputShape: [3, 3, 2],
            kernelRegularizer: R.l2({ l2: 0.05 }),
            biasRegularizer: R.l1({ l1: 0.1 }),
          }),
          L.flatten(),
        ],
      }),
    [5, 3, 3, 2],
    [5, 32],
  ],
  [
    'DepthwiseConv2D',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.depthwiseConv2d({
            kernelSize: 2,
            depthMultiplier: 2,
            inputShape: [4, 4, 2],
            depthwiseRegularizer: R.l2({ l2: 0.05 }),
            biasRegularizer: R.l1({ l1: 0.1 }),
          }),
          L.flatten(),
        ],
      }),
    [5, 4, 4, 2],
    [5, 36],
  ],
  [
    'SeparableConv2D',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.separableConv2d({
            filters: 2,
            kernelSize: 2,
            inputShape: [4, 4, 2],
            depthwiseRegularizer: R.l2({ l2: 0.05 }),
            pointwiseRegularizer: R.l1({ l1: 0.03 }),
            biasRegularizer: R.l1({ l1: 0.1 }),
          }),
          L.flatten(),
        ],
      }),
    [5, 4, 4, 2],
    [5, 18],
  ],
  [
    'Embedding',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.embedding({
            inputDim: 5,
            outputDim: 3,
            inputLength: 4,
            embeddingsRegularizer: R.l1l2({ l1: 0.01, l2: 0.05 }),
          }),
          L.flatten(),
        ],
      }),
    [6, 4],
    [6, 12],
  ],
  [
    'BatchNormalization',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          // NOTE: no bias before the normalization: its gradient is 0 up to rounding, which Adam turns into steps
          L.dense({ units: 3, inputShape: [4], useBias: false }),
          L.batchNormalization({ gammaRegularizer: R.l2({ l2: 0.2 }), betaRegularizer: R.l1({ l1: 0.1 }) }),
        ],
      }),
    [6, 4],
    [6, 3],
  ],
  [
    'LayerNormalization',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.dense({ units: 3, inputShape: [4] }),
          L.layerNormalization({ gammaRegularizer: R.l1({ l1: 0.2 }), betaRegularizer: R.l2({ l2: 0.1 }) }),
        ],
      }),
    [6, 4],
    [6, 3],
  ],
  [
    'PReLU',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.dense({ units: 3, inputShape: [4] }),
          L.prelu({ alphaRegularizer: R.l1l2({ l1: 0.1, l2: 0.3 }), alphaInitializer: 'ones' }),
        ],
      }),
    [6, 4],
    [6, 3],
  ],
  [
    'TimeDistributed(Dense)',
    (L, R, lib) =>
      lib.sequential({
        layers: [
          L.timeDistributed({
            inputShape: [3, 4],
            layer: L.dense({
              units: 2,
              kernelRegularizer: R.l2({ l2: 0.05 }),
              biasRegularizer: R.l1({ l1: 0.1 }),
            }),
          }),
          L.flatten(),
        ],
      }),
    [5, 3, 4],
    [5, 6],
  ],
];

/** Class indices for the Embedding case (its input). */
const EMBED_X = Float32Array.from({ length: 24 }, (_, i) => (i * 7) % 5);

describe('weight regularizers of each layer against TF.js', () => {
  for (const [name, make, inShape, outShape] of LAYER_CASES)
    for (const opt of ['sgd', 'adam'] as const)
      it(`${name}, ${opt}: model.losses, trainOnBatch, fit and the weights`, async () => {
        const t = twin(make);
        if (name === 'Embedding') {
          // integer inputs: train both on class indices
          const { a, b } = t;
          expectClose(
            a.losses.map((s) => s.item()),
            tfLosses(b),
            1e-6,
            'losses',
          );
          const [oa, ob] = optimizers(opt);
          a.compile({ optimizer: oa, loss: 'meanSquaredError' });
          b.compile({ optimizer: ob, loss: 'meanSquaredError' });
          const y = rand(size(outShape), 9);
          for (let s = 0; s < 3; s++) {
            const la = (await a.trainOnBatch(
              new tg.Tensor(EMBED_X, inShape),
              new tg.Tensor(y, outShape),
            )) as number;
            const lb = (await b.trainOnBatch(tf.tensor(EMBED_X, inShape), tf.tensor(y, outShape))) as number;
            expectClose([la], [lb], 2e-5, `step ${s}`);
          }
          expectSameWeights(t, 3e-5, name);
          return;
        }
        await expectSameTraining(t, inShape, outShape, opt, name);
      });
});

/** TF.js's RNN layers keep their penalties on the cell: forward them so that TF.js trains as Keras does. */
function forwardCellLosses(layer: tfl.layers.Layer): void {
  const l = layer as unknown as {
    cell?: tfl.layers.Layer;
    forwardLayer?: { cell: tfl.layers.Layer };
    backwardLayer?: { cell: tfl.layers.Layer };
    calculateLosses: () => tf.Scalar[];
  };
  l.calculateLosses = l.forwardLayer
    ? () => [...l.forwardLayer!.cell.calculateLosses(), ...l.backwardLayer!.cell.calculateLosses()]
    : () => l.cell!.calculateLosses();
}

describe('recurrent layers and Bidirectional against TF.js (its cells’ penalties forwarded)', () => {
  const regs = (R: AnyLib) => ({
    kernelRegularizer: R.l2({ l2: 0.05 }),
    recurrentRegularizer: R.l1l2({ l1: 0.02, l2: 0.03 }),
    biasRegularizer: R.l2({ l2: 0.1 }),
  });
  const RNNS: [string, (L: AnyLib, R: AnyLib) => unknown][] = [
    ['LSTM', (L, R) => L.lstm({ units: 3, inputShape: [4, 2], recurrentActivation: 'sigmoid', ...regs(R) })],
    [
      'GRU',
      (L, R) =>
        L.gru({
          units: 3,
          inputShape: [4, 2],
          recurrentActivation: 'sigmoid',
          resetAfter: false,
          ...regs(R),
        }),
    ],
    ['SimpleRNN', (L, R) => L.simpleRNN({ units: 3, inputShape: [4, 2], ...regs(R) })],
  ];
  for (const [name, rnn] of RNNS)
    it(`${name}: kernel, recurrent and bias penalties, SGD and Adam`, async () => {
      for (const opt of ['sgd', 'adam'] as const) {
        const t = twin((L, R, lib) => lib.sequential({ layers: [rnn(L, R)] }));
        // TF.js itself reports none of them (its RNN layer has no losses of its own)
        expect(tfLosses(t.b)).toEqual([]);
        forwardCellLosses(t.b.layers[0]);
        expect(t.a.losses).toHaveLength(3);
        await expectSameTraining(t, [5, 4, 2], [5, 3], opt, `${name} ${opt}`);
      }
    });
  it('Bidirectional: the forward and the backward layer each add their penalties (4 here), once', async () => {
    const t = twin((L, R, lib) =>
      lib.sequential({
        layers: [
          L.bidirectional({
            inputShape: [4, 2],
            layer: L.simpleRNN({
              units: 2,
              kernelRegularizer: R.l2({ l2: 0.05 }),
              recurrentRegularizer: R.l1({ l1: 0.03 }),
            }),
          }),
        ],
      }),
    );
    expect(tfLosses(t.b)).toEqual([]);
    forwardCellLosses(t.b.layers[0]);
    expect(t.a.losses).toHaveLength(4);
    await expectSameTraining(t, [5, 4, 2], [5, 4], 'sgd', 'Bidirectional');
  });
});
