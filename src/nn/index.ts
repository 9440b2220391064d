// Public exports of src/nn: layers, models, the TF.js-style factories and the PyTorch-style aliases.
import { Sequential } from './keras/model.js';
import type { Layer, LayerArgs } from './layer.js';

export { inferShapes, isInferringShapes } from './shape-inference.js';
export {
  Layer,
  resetLayerNames,
  type BackwardHook,
  type CallKwargs,
  type ForwardHook,
  type ForwardPreHook,
  type LayerArgs,
  type LayerIO,
  type OptionsOf,
  type ShapeWithBatch,
  type Weight,
} from './layer.js';
export {
  getInitializer,
  orthogonal,
  varianceScaling,
  type Initializer,
  type InitializerSpec,
} from './initializers.js';
export { activationNames, getActivation, type ActivationFn, type ActivationSpec } from './activations.js';
export {
  regularizers,
  Regularizer,
  OrthogonalRegularizer,
  type RegularizerKind,
  type RegularizerSpec,
} from './regularizers.js';
export { SymbolicTensor } from './symbolic.js';
export { Model, Sequential } from './keras/model.js';
export { Functional, model } from './keras/functional.js';
export { InputLayer, input } from './keras/layers/input.js';
export {
  Activation,
  Dense,
  Dropout,
  Flatten,
  Permute,
  RepeatVector,
  Reshape,
  SpatialDropout,
  type DenseArgs,
} from './keras/layers/core.js';
export { Conv1D, Conv2D, type ConvArgs } from './keras/layers/conv.js';
export {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
  type PoolArgs,
} from './keras/layers/pooling.js';
export {
  Conv2DTranspose,
  DepthwiseConv2D,
  SeparableConv2D,
  type Conv2DTransposeArgs,
  type DepthwiseConv2DArgs,
  type SeparableConv2DArgs,
} from './keras/layers/conv-depthwise-transpose.js';
export {
  Cropping1D,
  Cropping2D,
  UpSampling1D,
  UpSampling2D,
  ZeroPadding1D,
  ZeroPadding2D,
  type Cropping1DArgs,
  type Cropping2DArgs,
  type UpSampling1DArgs,
  type UpSampling2DArgs,
  type ZeroPadding1DArgs,
  type ZeroPadding2DArgs,
} from './keras/layers/reshaping.js';
export {
  BatchNormalization,
  LayerNormalization,
  normalize,
  type BatchNormalizationArgs,
  type LayerNormalizationArgs,
} from './keras/layers/normalization.js';
export { Embedding, type EmbeddingArgs } from './keras/layers/embedding.js';
export {
  GaussianDropout,
  GaussianNoise,
  type GaussianDropoutArgs,
  type GaussianNoiseArgs,
} from './keras/layers/noise.js';
export {
  Add,
  Average,
  Concatenate,
  Dot,
  Maximum,
  Minimum,
  Multiply,
  Subtract,
} from './keras/layers/merge.js';
export {
  ELU,
  LeakyReLU,
  PReLU,
  ReLU,
  Softmax,
  ThresholdedReLU,
  type LeakyReLUArgs,
  type PReLUArgs,
  type ReLUArgs,
} from './keras/layers/advanced-activations.js';
export { RNNBase, type RNNArgs, type StepFn } from './keras/layers/rnn-base.js';
export {
  GRU,
  LSTM,
  SimpleRNN,
  type GatedRNNArgs,
  type GRUArgs,
  type LSTMArgs,
} from './keras/layers/rnn-cells.js';
export {
  Bidirectional,
  TimeDistributed,
  type BidirectionalArgs,
  type MergeMode,
  type TimeDistributedArgs,
} from './keras/layers/wrappers.js';
export {
  AveragePooling3D,
  Conv3D,
  Cropping3D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  MaxPooling3D,
  UpSampling3D,
  ZeroPadding3D,
  type Conv3DArgs,
  type DataFormat,
  type Pool3DArgs,
} from './keras/layers/volumetric.js';
export { ActivityRegularization, AlphaDropout, Masking } from './keras/layers/masking-regularization.js';
export { layers } from './keras/layers-api.js';
export type { CompileArgs, FitArgs, History } from './keras/fit.js';
export type { SummaryOptions } from './keras/summary.js';
export * as nn from './torch/index.js';
export { Module, Parameter } from './torch/module.js';

/** TF.js `tf.sequential({layers})`. */
export const sequential = (args: LayerArgs & { layers?: Layer[] } = {}): Sequential => new Sequential(args);
