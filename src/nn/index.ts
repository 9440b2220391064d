// Public exports of src/nn: layers, models, the TF.js-style factories and the PyTorch-style aliases.
import { Sequential } from './model.js';
import type { Layer, LayerArgs } from './layer.js';

export {
  inferShapes,
  isInferringShapes,
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
export { SymbolicTensor } from './symbolic.js';
export { Model, Sequential } from './model.js';
export { Functional, model } from './functional.js';
export { InputLayer, input } from './layers/input.js';
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
} from './layers/core.js';
export { Conv1D, Conv2D, type ConvArgs } from './layers/conv.js';
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
} from './layers/pooling.js';
export {
  conv2dTranspose,
  Conv2DTranspose,
  DepthwiseConv2D,
  SeparableConv2D,
  type Conv2DTransposeArgs,
  type Conv2dTransposeGeometry,
  type DepthwiseConv2DArgs,
  type SeparableConv2DArgs,
} from './layers/conv-extra.js';
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
} from './layers/reshaping.js';
export {
  BatchNormalization,
  LayerNormalization,
  normalize,
  type BatchNormalizationArgs,
  type LayerNormalizationArgs,
} from './layers/normalization.js';
export { Embedding, type EmbeddingArgs } from './layers/embedding.js';
export {
  GaussianDropout,
  GaussianNoise,
  type GaussianDropoutArgs,
  type GaussianNoiseArgs,
} from './layers/noise.js';
export { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract } from './layers/merge.js';
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
} from './layers/advanced-activations.js';
export { RNNBase, type RNNArgs, type StepFn } from './layers/recurrent.js';
export {
  GRU,
  LSTM,
  SimpleRNN,
  type GatedRNNArgs,
  type GRUArgs,
  type LSTMArgs,
} from './layers/recurrent-layers.js';
export {
  Bidirectional,
  TimeDistributed,
  type BidirectionalArgs,
  type MergeMode,
  type TimeDistributedArgs,
} from './layers/wrappers.js';
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
} from './layers/volumetric.js';
export { ActivityRegularization, AlphaDropout, Masking } from './layers/masking-regularization.js';
export { layers } from './layers-api.js';
export type { CompileArgs, FitArgs, History } from './fit.js';
export type { SummaryOptions } from './summary.js';
export * as nn from './torch-extra.js'; // torch-extra.ts re-exports torch.ts
export { Module, Parameter } from './torch.js';

/** TF.js `tf.sequential({layers})`. */
export const sequential = (args: LayerArgs & { layers?: Layer[] } = {}): Sequential => new Sequential(args);
