// Public exports of src/io: file readers and writers (HDF5, Keras files, NumPy, safetensors, IDX, CIFAR, MNIST).
export { FormatError, FileError } from './errors.js';
export { type ByteSource } from './source.js';
export { type JsonValue, parseJsonSafe } from './safe-json.js';
export {
  openHdf5,
  readHdf5Datasets,
  closeHdf5Worker,
  isHdf5,
  Hdf5File,
  type Hdf5Array,
  type Hdf5Options,
} from './hdf5.js';
export {
  type KerasFile,
  type KerasFormat,
  type KerasLayerWeights,
  type KerasWeight,
  weightToTensor,
} from './keras/types.js';
export { readKerasFile, sniffContainer, type ReadKerasOptions } from './keras/files.js';
export { type ShardMap } from './tfjs.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray } from './npy.js';
export { writeFileAtomic } from './atomic.js';
export {
  loadSafetensors,
  saveSafetensors,
  parseSafetensors,
  encodeSafetensors,
  type Safetensors,
} from './safetensors.js';
export { readIdx, parseIdx, readIdxImages, readIdxLabels, loadIdxDataset, type IdxArray } from './idx.js';
export { readCifar10, CIFAR10_CLASSES } from './cifar.js';
export { loadMnist, type MnistOptions, type MnistSplit } from './mnist.js';
export {
  CheckpointMismatchError,
  checkpointSaver,
  loadCheckpoint,
  loadWeights,
  saveCheckpoint,
  saveWeights,
  type CheckpointReport,
  type LoadCheckpointOptions,
  type MatchReport,
  type SaveCheckpointOptions,
  type ShapeMismatch,
} from './checkpoint.js';
export * as layouts from './layouts.js';
export {
  keras,
  KerasImportError,
  UnknownLayerError,
  WeightMismatchError,
  WeightsOnlyError,
  type ImportedModel,
  type LoadModelOptions,
  type LoadReport,
  type ModelSource,
  type SaveModelOptions,
  type TfjsArtifacts,
  type TfjsWeightSpec,
  type UnknownLayerInfo,
} from './keras/api.js';
// NOTE: TF.js's `tf.models` (modelFromJSON); loading it also installs `model.toJSON`'s topology writer.
export { models, type ModelAndWeightsConfig } from './keras/model-json.js';
export {
  onnx,
  OnnxModel,
  OnnxNode,
  OnnxUnsupportedError,
  type OnnxModelOptions,
  type LoadOnnxOptions,
} from './onnx/index.js';
