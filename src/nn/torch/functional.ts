// `tg.nn.functional`: PyTorch's `torch.nn.functional` (in PyTorch usually imported as F; here
// `const F = tg.nn.functional`), stateless functions over the ops the modules use, so F.conv2d(x, m.weight, m.bias)
// equals m.forward(x). Activations, linear, convolution, pooling and dropout are in functional-layers.ts; norms,
// embedding, one_hot and pad in functional-misc.ts; adaptive pooling in adaptive-pool.ts; maxPool1d in
// max-pool1d.ts; maxUnpool1d/2d in max-unpool.ts; the losses in functional-losses.ts; the activations of
// activation-modules.ts in functional-activations.ts; group/instance/local-response norm, pixel shuffles, interpolate
// and avgPool1d in functional-shape.ts.
// NOTE: names are camelCase as the wing's methods (F.log_softmax is logSoftmax, F.cross_entropy is crossEntropy);
// PyTorch's keyword arguments go in an options object, as the modules' do.
export {
  alphaDropout,
  avgPool2d,
  conv1d,
  conv2d,
  dropout,
  dropout1d,
  dropout2d,
  dropout3d,
  elu,
  featureAlphaDropout,
  gelu,
  leakyRelu,
  linear,
  logSoftmax,
  maxPool2d,
  relu,
  selu,
  sigmoid,
  softmax,
  tanh,
  type AvgPool2dFunctionalOptions,
  type ConvFunctionalOptions,
  type MaxPool2dFunctionalOptions,
} from './functional-layers.js';
export {
  celu,
  glu,
  hardsigmoid,
  hardswish,
  hardtanh,
  logsigmoid,
  mish,
  prelu,
  relu6,
  silu,
  softmin,
  tanhshrink,
  threshold,
} from './functional-activations.js';
export {
  avgPool1d,
  groupNorm,
  instanceNorm,
  interpolate,
  localResponseNorm,
  pixelShuffle,
  pixelUnshuffle,
  type AvgPool1dFunctionalOptions,
  type InstanceNormFunctionalOptions,
  type InterpolateOptions,
} from './functional-shape.js';
export { maxPool1d, type MaxPool1dFunctionalOptions } from './max-pool1d.js';
export { maxUnpool1d, maxUnpool2d, type MaxUnpoolFunctionalOptions } from './max-unpool.js';
export {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
} from './adaptive-pool.js';
export {
  batchNorm,
  embedding,
  layerNorm,
  oneHot,
  pad,
  type BatchNormFunctionalOptions,
} from './functional-misc.js';
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from './functional-losses.js';
// the margin, embedding and likelihood losses (functional-losses-more.ts) and the distances (distance.ts)
export {
  cosineEmbeddingLoss,
  gaussianNllLoss,
  hingeEmbeddingLoss,
  marginRankingLoss,
  multiMarginLoss,
  multilabelMarginLoss,
  multilabelSoftMarginLoss,
  poissonNllLoss,
  softMarginLoss,
  tripletMarginLoss,
} from './functional-losses-more.js';
export { cosineSimilarity, pairwiseDistance } from './distance.js';
export { fold, unfold, type UnfoldFunctionalOptions } from './fold.js';
export { bilinear } from './bilinear.js';
export { embeddingBag, type EmbeddingBagFunctionalOptions } from './embedding-bag.js';
export { channelShuffle } from './channel-modules.js';
