// Public exports of src/train: optimizers (classes and `train.*` constructors), schedules, clipping, losses,
// metrics and callbacks. `losses`, `metrics` and `callbacks` are also namespaces (TF.js `tf.losses`, ...).
export * as train from './tfjs.js';
export {
  pureRule,
  withL2,
  type BaseHyper,
  type Convention,
  type SlotState,
  type UpdateRule,
} from './optim/rule.js';
export { Optimizer, type ClipOptions, type GradientsInput, type ParamsInput } from './optim/optimizer.js';
export { SGD, sgdRule, type SGDHyper, type SGDOptions } from './optim/sgd.js';
export { Adam, adamRule, AdamW, type AdamHyper, type AdamOptions } from './optim/adam.js';
export { RMSprop, rmspropRule, type RMSpropHyper, type RMSpropOptions } from './optim/rmsprop.js';
export { Adagrad, adagradRule, type AdagradHyper, type AdagradOptions } from './optim/adagrad.js';
export { Adadelta, adadeltaRule, type AdadeltaHyper, type AdadeltaOptions } from './optim/adadelta.js';
export { Adamax, adamaxRule, type AdamaxHyper, type AdamaxOptions } from './optim/adamax.js';
export { Nadam, Nadam as NAdam, nadamRule, type NadamHyper, type NadamOptions } from './optim/nadam.js';
export {
  cosineDecay,
  exponentialDecay,
  linearWarmup,
  piecewiseConstant,
  ReduceLROnPlateau,
  stepDecay,
  type CosineDecayOptions,
  type ExponentialDecayOptions,
  type LearningRate,
  type LRSchedule,
  type ReduceLROnPlateauOptions,
  type StepDecayOptions,
} from './schedules.js';
export * as optim from './lr-scheduler/optim.js';
export {
  clipByGlobalNorm,
  clipByNorm,
  clipGradientsByValue,
  clipGradNorm,
  clipGradValue,
  globalNorm,
} from './clip.js';
export {
  binaryCrossentropy,
  categoricalCrossentropy,
  categoricalHinge,
  cosineSimilarity,
  EPSILON,
  getLoss,
  hinge,
  huber,
  kullbackLeiblerDivergence,
  logcosh,
  lossNames,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  meanSquaredLogarithmicError,
  poisson,
  sparseCategoricalCrossentropy,
  squaredHinge,
  type CrossentropyOptions,
  type LossFn,
  type LossOptions,
} from './losses.js';
export * as losses from './losses.js';
export {
  type MetricFn,
  accuracy,
  binaryAccuracy,
  categoricalAccuracy,
  sparseCategoricalAccuracy,
  topKCategoricalAccuracy,
  sparseTopKCategoricalAccuracy,
  getMetric,
} from './metrics.js';
export * as metrics from './metrics.js';
export {
  type Logs,
  type CallbackModel,
  type Callback,
  BaseCallback,
  CallbackList,
  HistoryCallback,
  EarlyStopping,
  type EarlyStoppingOptions,
  ModelCheckpoint,
  type ModelCheckpointOptions,
  TerminateOnNaN,
} from './callbacks.js';
export * as callbacks from './callbacks.js';
export {
  seededPermutation,
  takeRows,
  shuffleTogether,
  trainTestSplit,
  batchIterator,
  channelMeanStd,
  normalizeChannels,
  toOneHot,
  type Batch,
  type BatchOptions,
} from './datasets.js';
