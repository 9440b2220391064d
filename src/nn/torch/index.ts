// `tg.nn`: the PyTorch-style front end. `Module` (base.ts, with stateDict/loadStateDict of state-dict.ts), the basic
// modules (module.ts, which re-exports Module, the dropout modules of dropout.ts and the containers of
// containers.ts), normalization, embedding and transposed convolutions (layers.ts), the recurrent modules
// (recurrent.ts), ConvTranspose1d (conv-transpose1d.ts), adaptive pooling (adaptive-pool.ts), MaxPool1d
// (max-pool1d.ts), MaxUnpool1d/2d (max-unpool.ts), the losses (losses.ts, class-losses.ts), the channel dropouts
// (feature-dropout.ts) and `tg.nn.functional` (functional.ts).
// NOTE: no `tg.nn.F` alias: PyTorch has none either (F is the user's import name: const F = tg.nn.functional).
export {
  AlphaDropout,
  AvgPool2d,
  Conv1d,
  Conv2d,
  Dropout,
  Flatten,
  Identity,
  Linear,
  LogSoftmax,
  MaxPool2d,
  Module,
  ModuleDict,
  ModuleList,
  Parameter,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  type TorchConvOptions,
} from './module.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  ConvTranspose2d,
  Embedding,
  LayerNorm,
  type BatchNormOptions,
} from './layers.js';
export { GRU, LSTM, RNN, type TorchRNNOptions } from './recurrent.js';
// Single-step cells for decoder loops (rnn-cells.ts).
export { GRUCell, LSTMCell, RNNCell, type RNNCellOptions } from './rnn-cells.js';
export { ConvTranspose1d, type ConvTranspose1dOptions } from './conv-transpose1d.js';
export { MaxPool1d } from './max-pool1d.js';
export { MaxUnpool1d, MaxUnpool2d } from './max-unpool.js';
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  type OutputSize1d,
  type OutputSize2d,
} from './adaptive-pool.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  Loss,
  MSELoss,
  SmoothL1Loss,
  type Reduction,
} from './losses.js';
export { CrossEntropyLoss, NLLLoss } from './class-losses.js';
// The margin, embedding and likelihood losses (losses-margin.ts, losses-multi.ts, losses-nll.ts) and the distance
// modules (distance.ts).
export {
  CosineEmbeddingLoss,
  HingeEmbeddingLoss,
  MarginRankingLoss,
  MultiLabelSoftMarginLoss,
  SoftMarginLoss,
  TripletMarginLoss,
} from './losses-margin.js';
export { MultiLabelMarginLoss, MultiMarginLoss } from './losses-multi.js';
export { GaussianNLLLoss, PoissonNLLLoss } from './losses-nll.js';
export {
  CosineSimilarity,
  PairwiseDistance,
  type CosineSimilarityOptions,
  type PairwiseDistanceOptions,
} from './distance.js';
export type { IncompatibleKeys, StateDict } from './state-dict.js';
export { Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout } from './feature-dropout.js';
export * as functional from './functional.js';
// Attention and Transformer encoders, PyTorch 1.13 (attention.ts, transformer.ts).
export {
  MultiheadAttention,
  type AttentionForwardOptions,
  type MultiheadAttentionOptions,
} from './attention.js';
export {
  TransformerEncoder,
  TransformerEncoderLayer,
  type EncoderLayerForwardOptions,
  type TransformerEncoderLayerOptions,
} from './transformer.js';
// The everyday modules: activations (activation-modules.ts), GroupNorm/InstanceNorm/
// LocalResponseNorm (norm-modules.ts), Unflatten, the padding modules, PixelShuffle/Unshuffle, Upsample, AvgPool1d
// (shape-modules.ts).
export {
  CELU,
  ELU,
  GELU,
  GLU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSigmoid,
  Mish,
  PReLU,
  ReLU6,
  SELU,
  SiLU,
  Softmin,
  Softplus,
  Softsign,
  Tanhshrink,
  Threshold,
} from './activation-modules.js';
export {
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  LocalResponseNorm,
  type InstanceNormOptions,
} from './norm-modules.js';
export {
  AvgPool1d,
  ConstantPad1d,
  ConstantPad2d,
  PixelShuffle,
  PixelUnshuffle,
  ReflectionPad1d,
  ReflectionPad2d,
  ReplicationPad1d,
  ReplicationPad2d,
  Unflatten,
  Upsample,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
  ZeroPad2d,
  type UpsampleOptions,
} from './shape-modules.js';
// Transformer decoders and the full Transformer, PyTorch 1.13 (transformer-decoder.ts).
export {
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  type DecoderForwardOptions,
  type TransformerDecoderLayerOptions,
  type TransformerForwardOptions,
  type TransformerOptions,
} from './transformer-decoder.js';
// Unfold/Fold (fold.ts), Bilinear (bilinear.ts), EmbeddingBag (embedding-bag.ts), ParameterList/ParameterDict
// (parameter-containers.ts), Softmax2d and ChannelShuffle (channel-modules.ts).
export { Fold, Unfold, type FoldOptions, type UnfoldOptions } from './fold.js';
export { Bilinear } from './bilinear.js';
export { EmbeddingBag, type BagMode, type EmbeddingBagOptions } from './embedding-bag.js';
export { ParameterDict, ParameterList } from './parameter-containers.js';
export { ChannelShuffle, Softmax2d } from './channel-modules.js';
