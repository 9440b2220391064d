// Public exports of src/train: optimizers (classes and `train.*` constructors), schedules, clipping, losses,
// metrics and callbacks. `losses`, `metrics` and `callbacks` are also namespaces (TF.js `tf.losses`, ...).
export * as train from './tfjs.js';
export * from './optim/rule.js';
export * from './optim/optimizer.js';
export * from './optim/sgd.js';
export * from './optim/adam.js';
export * from './optim/rmsprop.js';
export * from './optim/adagrad.js';
export * from './schedules.js';
export * from './clip.js';
export * from './losses.js';
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
