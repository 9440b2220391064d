// Every Keras layer kind (tg.layers) the exporter takes, one small model each, exported and run in ONNX Runtime Web
// at batch 1 and 3 (traced at 2), imported back, and checked by ONNX's checker (export-roundtrip-lib.ts).
import * as tg from '../../../src/index.js';
import { type Case, merged, randomize, randomizeBN, roundTrips, seq } from './export-roundtrip-lib.js';

const keras: Case[] = [
  [
    'dense + flatten',
    seq(
      [3, 4],
      () => tg.layers.flatten(),
      () => tg.layers.dense({ units: 5 }),
    ),
    [{ shape: [3, 4] }],
  ],
  [
    'dense on rank 3',
    seq([3, 4], () => tg.layers.dense({ units: 2, activation: 'relu' })),
    [{ shape: [3, 4] }],
  ],
  [
    'reshape, permute',
    seq(
      [6, 2],
      () => tg.layers.reshape({ targetShape: [3, 4] }),
      () => tg.layers.permute({ dims: [2, 1] }),
    ),
    [{ shape: [6, 2] }],
  ],
  ['repeatVector', seq([3], () => tg.layers.repeatVector({ n: 4 })), [{ shape: [3] }]],
  [
    'dropouts and noise (inference: identity)',
    seq(
      [4, 4, 2],
      () => tg.layers.dropout({ rate: 0.5 }),
      () => tg.layers.spatialDropout2d({ rate: 0.3 }),
      () => tg.layers.gaussianNoise({ stddev: 1 }),
      () => tg.layers.gaussianDropout({ rate: 0.3 }),
      () => tg.layers.alphaDropout({ rate: 0.3 }),
      () => tg.layers.activityRegularization({ l1: 0.1 }),
    ),
    [{ shape: [4, 4, 2] }],
  ],
  ['spatialDropout1d', seq([5, 2], () => tg.layers.spatialDropout1d({ rate: 0.3 })), [{ shape: [5, 2] }]],
  [
    'conv1d valid, strided, dilated',
    seq(
      [9, 3],
      () => tg.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2 }),
      () => tg.layers.conv1d({ filters: 2, kernelSize: 2, dilationRate: 2, padding: 'same' }),
    ),
    [{ shape: [9, 3] }],
  ],
  [
    'conv1d causal',
    seq([7, 2], () => tg.layers.conv1d({ filters: 3, kernelSize: 3, padding: 'causal' })),
    [{ shape: [7, 2] }],
  ],
  [
    'conv2d same, strided, dilated, grouped',
    seq(
      [9, 9, 4],
      () => tg.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
      () => tg.layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, groups: 2 }),
    ),
    [{ shape: [9, 9, 4] }],
  ],
  [
    'pooling 1d and 2d',
    seq(
      [8, 8, 2],
      () => tg.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
      () => tg.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      () => tg.layers.reshape({ targetShape: [4, 2] }),
      () => tg.layers.maxPooling1d({ poolSize: 2 }),
      () => tg.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
    ),
    [{ shape: [8, 8, 2] }],
  ],
  ['global max pooling 2d', seq([5, 5, 3], () => tg.layers.globalMaxPooling2d()), [{ shape: [5, 5, 3] }]],
  [
    'global average pooling 2d and 1d',
    seq(
      [5, 5, 3],
      () => tg.layers.globalAveragePooling2d(),
      () => tg.layers.reshape({ targetShape: [3, 1] }),
      () => tg.layers.globalMaxPooling1d(),
    ),
    [{ shape: [5, 5, 3] }],
  ],
  ['global average pooling 1d', seq([6, 3], () => tg.layers.globalAveragePooling1d()), [{ shape: [6, 3] }]],
  [
    'depthwise and separable conv',
    seq(
      [7, 7, 2],
      () => tg.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }),
      () => tg.layers.separableConv2d({ filters: 3, kernelSize: 2, padding: 'same' }),
    ),
    [{ shape: [7, 7, 2] }],
  ],
  [
    'padding, cropping, upsampling 2d',
    seq(
      [4, 5, 2],
      () => tg.layers.zeroPadding2d({ padding: [1, 2] }),
      () =>
        tg.layers.cropping2d({
          cropping: [
            [1, 0],
            [0, 2],
          ],
        }),
      () => tg.layers.upSampling2d({ size: [2, 3] }),
    ),
    [{ shape: [4, 5, 2] }],
  ],
  [
    'bilinear upsampling',
    seq([3, 4, 2], () => tg.layers.upSampling2d({ size: 2, interpolation: 'bilinear' })),
    [{ shape: [3, 4, 2] }],
  ],
  [
    'padding, cropping, upsampling 1d',
    seq(
      [5, 2],
      () => tg.layers.zeroPadding1d({ padding: 2 }),
      () => tg.layers.cropping1d({ cropping: [1, 2] }),
      () => tg.layers.upSampling1d({ size: 2 }),
    ),
    [{ shape: [5, 2] }],
  ],
  [
    'batch and layer normalization',
    () => randomizeBN(seq([4, 3], () => tg.layers.batchNormalization())()),
    [{ shape: [4, 3] }],
  ],
  [
    'layer normalization',
    () => randomize(seq([4, 3], () => tg.layers.layerNormalization())()),
    [{ shape: [4, 3] }],
  ],
  [
    'embedding',
    seq([5], () => tg.layers.embedding({ inputDim: 7, outputDim: 3 })),
    [{ shape: [5], ints: 7 }],
  ],
  [
    'add, subtract, multiply',
    merged([[3], [3]], () => tg.layers.subtract()),
    [{ shape: [3] }, { shape: [3] }],
  ],
  ...(['add', 'multiply', 'average', 'maximum', 'minimum'] as const).map((k): Case => [
    k,
    merged(
      [
        [2, 3],
        [2, 3],
        [2, 3],
      ],
      () => tg.layers[k](),
    ),
    [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }],
  ]),
  [
    'concatenate',
    merged(
      [
        [2, 3],
        [2, 4],
      ],
      () => tg.layers.concatenate({ axis: -1 }),
    ),
    [{ shape: [2, 3] }, { shape: [2, 4] }],
  ],
  [
    'dot (normalized)',
    merged([[4], [4]], () => tg.layers.dot({ axes: 1, normalize: true })),
    [{ shape: [4] }, { shape: [4] }],
  ],
  [
    'dot of sequences',
    merged(
      [
        [3, 4],
        [5, 4],
      ],
      () => tg.layers.dot({ axes: [2, 2] }),
    ),
    [{ shape: [3, 4] }, { shape: [5, 4] }],
  ],
  [
    'advanced activations',
    () =>
      randomize(
        seq(
          [6],
          () => tg.layers.leakyReLU({ alpha: 0.2 }),
          () => tg.layers.prelu(),
          () => tg.layers.elu({ alpha: 0.7 }),
          () => tg.layers.reLU({ maxValue: 1.5, negativeSlope: 0.1, threshold: 0.2 }),
          () => tg.layers.thresholdedReLU({ theta: 0.3 }),
          () => tg.layers.softmax(),
        )(),
      ),
    [{ shape: [6] }],
  ],
  [
    'simpleRNN (sequences, backwards)',
    seq([4, 3], () => tg.layers.simpleRNN({ units: 3, returnSequences: true, goBackwards: true })),
    [{ shape: [4, 3] }],
  ],
  ['lstm', () => randomize(seq([4, 3], () => tg.layers.lstm({ units: 3 }))()), [{ shape: [4, 3] }]],
  [
    'gru (resetAfter and not)',
    () =>
      randomize(
        seq(
          [4, 3],
          () => tg.layers.gru({ units: 2, returnSequences: true }),
          () => tg.layers.gru({ units: 3, resetAfter: false }),
        )(),
      ),
    [{ shape: [4, 3] }],
  ],
  [
    'masking + lstm',
    seq(
      [5, 2],
      () => tg.layers.masking({ maskValue: 0 }),
      () => tg.layers.lstm({ units: 2 }),
    ),
    [{ shape: [5, 2], zeroStep: true }],
  ],
  [
    'embedding (maskZero) + gru',
    seq(
      [5],
      () => tg.layers.embedding({ inputDim: 4, outputDim: 3, maskZero: true }),
      () => tg.layers.gru({ units: 2, returnSequences: true }),
    ),
    [{ shape: [5], ints: 4 }],
  ],
  [
    'timeDistributed dense',
    seq([3, 4], () => tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 2 }) })),
    [{ shape: [3, 4] }],
  ],
  [
    'bidirectional gru',
    seq([4, 2], () =>
      tg.layers.bidirectional({
        layer: tg.layers.gru({ units: 2, returnSequences: true }),
        mergeMode: 'sum',
      }),
    ),
    [{ shape: [4, 2] }],
  ],
  [
    'conv3d and 3d pooling',
    seq(
      [5, 5, 5, 2],
      () => tg.layers.conv3d({ filters: 3, kernelSize: 2, padding: 'same' }),
      () => tg.layers.maxPooling3d({ poolSize: 2 }),
      () => tg.layers.averagePooling3d({ poolSize: 2, strides: 1, padding: 'same' }),
    ),
    [{ shape: [5, 5, 5, 2] }],
  ],
  ['global 3d pooling', seq([3, 3, 3, 2], () => tg.layers.globalMaxPooling3d()), [{ shape: [3, 3, 3, 2] }]],
  [
    'global average 3d pooling',
    seq([3, 3, 3, 2], () => tg.layers.globalAveragePooling3d()),
    [{ shape: [3, 3, 3, 2] }],
  ],
  [
    'padding, cropping, upsampling 3d',
    seq(
      [3, 3, 2, 1],
      () => tg.layers.zeroPadding3d({ padding: 1 }),
      () =>
        tg.layers.cropping3d({
          cropping: [
            [1, 0],
            [0, 1],
            [1, 1],
          ],
        }),
      () => tg.layers.upSampling3d({ size: 2 }),
    ),
    [{ shape: [3, 3, 2, 1] }],
  ],
];

roundTrips('every Keras layer kind: ORT at batch 1 and 3 (traced at 2) and the import match tapegrad', keras);
