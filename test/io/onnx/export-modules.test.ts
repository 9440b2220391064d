// The activations (tg.layers.activation) and tg.nn modules the exporter takes, one small model each, exported and run
// in ONNX Runtime Web at batch 1 and 3 (traced at 2), imported back, and checked by ONNX's checker
// (export-roundtrip-lib.ts); transposed convolutions, which have no ONNX rendering, are refused by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { type Case, rng, roundTrips, seq } from './export-roundtrip-lib.js';

const ACTIVATIONS = [
  'relu',
  'sigmoid',
  'tanh',
  'linear',
  'softmax',
  'logSoftmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'hardSigmoid',
  'swish',
  'silu',
  'gelu',
  'relu6',
  'exponential',
  'leakyRelu',
  'mish',
  'hardSilu',
  'hardSwish',
  'celu',
  'hardTanh',
  'logSigmoid',
  'softShrink',
  'hardShrink',
  'tanhShrink',
  'squareplus',
  'sparsePlus',
];
const activations: Case[] = ACTIVATIONS.map((a) => [
  `activation '${a}'`,
  seq([6], () => tg.layers.activation({ activation: a as never })),
  [{ shape: [6] }],
]);

const torch: Case[] = [
  [
    'nn.Linear, ReLU, Tanh, Sigmoid',
    () =>
      new tg.nn.Sequential(
        new tg.nn.Linear(4, 5),
        new tg.nn.ReLU(),
        new tg.nn.Linear(5, 3),
        new tg.nn.Tanh(),
        new tg.nn.Sigmoid(),
      ),
    [{ shape: [4] }],
  ],
  [
    'nn.Conv2d, BatchNorm2d, MaxPool2d, AvgPool2d, Flatten',
    () =>
      randomizeTorchBN(
        new tg.nn.Sequential(
          new tg.nn.Conv2d(2, 3, 3, { padding: 1, stride: 2 }),
          new tg.nn.BatchNorm2d(3),
          new tg.nn.MaxPool2d(2),
          new tg.nn.AvgPool2d(1),
          new tg.nn.Flatten(),
        ),
      ),
    [{ shape: [2, 8, 8] }],
  ],
  [
    'nn.Conv1d, BatchNorm1d',
    () =>
      randomizeTorchBN(
        new tg.nn.Sequential(new tg.nn.Conv1d(2, 3, 3, { dilation: 2 }), new tg.nn.BatchNorm1d(3)),
      ),
    [{ shape: [2, 9] }],
  ],
  [
    'nn.LayerNorm, Softmax, LogSoftmax, Dropout, Identity',
    () =>
      new tg.nn.Sequential(
        new tg.nn.LayerNorm(5),
        new tg.nn.Dropout(0.5),
        new tg.nn.Identity(),
        new tg.nn.Softmax(-1),
        new tg.nn.LogSoftmax(-1),
      ),
    [{ shape: [3, 5] }],
  ],
  ['nn.Embedding', () => new tg.nn.Sequential(new tg.nn.Embedding(9, 3)), [{ shape: [4], ints: 9 }]],
  ...(['RNN', 'GRU', 'LSTM'] as const).map((k): Case => [
    `nn.${k} (2 layers, bidirectional)`,
    () => new RecurrentNet(k),
    [{ shape: [4, 3] }],
  ]),
];

/** A tg.nn recurrent layer's outputs (all steps) as a module with one output. */
class RecurrentNet extends tg.nn.Module {
  rnn: tg.nn.Module;
  constructor(kind: 'RNN' | 'GRU' | 'LSTM') {
    super();
    this.rnn = new tg.nn[kind](3, 2, { batchFirst: true, numLayers: 2, bidirectional: true });
  }
  forward(x: tg.Tensor) {
    return (this.rnn.forward(x) as tg.Tensor[])[0];
  }
}

/** Random running statistics (positive variance) for every BatchNorm of a tg.nn model. */
function randomizeTorchBN(m: tg.nn.Module): tg.nn.Module {
  for (const [name, w] of m.namedWeights()) {
    if (w.value.dtype !== 'float32') continue; // num_batches_tracked
    const r = tg.randn(w.value.shape, { rng });
    w.value.data.set((name.endsWith('running_var') ? tg.add(tg.abs(r), 0.5) : r).data);
  }
  return m.eval();
}

roundTrips(
  'every activation and tg.nn module: ORT at batch 1 and 3 (traced at 2) and the import match tapegrad',
  [...activations, ...torch],
);

describe('what has no ONNX rendering is refused by name', () => {
  it('transposed convolutions (col2im): Keras conv2dTranspose and nn.ConvTranspose2d', () => {
    const k = seq([4, 4, 2], () => tg.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2 }))();
    const t = new tg.nn.ConvTranspose2d(2, 3, 3, { stride: 2 }).eval();
    for (const [m, shape] of [
      [k, [2, 4, 4, 2]],
      [t, [2, 2, 4, 4]],
    ] as const)
      expect(() => tg.onnx.exportModel(m, { sampleInput: tg.randn([...shape], { rng }) })).toThrow(
        /onnx export: primitive 'col2im' has no ONNX rendering \(exportable: /,
      );
  });
});
