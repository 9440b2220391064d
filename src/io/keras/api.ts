// `tg.keras`: load Keras models (every format and version), build from JSON, register custom layers, save back.
import {
  type ImportedModel,
  type LoadModelOptions,
  type ModelSource,
  loadModel,
  loadWeights,
  modelFromJson,
} from './load.js';
import { registerActivation } from './activations.js';
import {
  KerasImportError,
  UnknownLayerError,
  WeightMismatchError,
  WeightsOnlyError,
  type UnknownLayerInfo,
} from './errors.js';
import { formatInspect, inspectKerasFile, type InspectResult } from './inspect.js';
import { builtinClassNames, clearRegisteredLayers, registerLayer, type CustomLayerImpl } from './registry.js';
import { type LoadReport, formatReport } from './report.js';
import { layerSkeleton } from './skeleton.js';
import { saveModel, type SaveModelOptions } from './save.js';
import { toTfjsArtifacts, type TfjsArtifacts, type TfjsWeightSpec } from './save-tfjs.js';

export type {
  ImportedModel,
  LoadModelOptions,
  ModelSource,
  LoadReport,
  InspectResult,
  UnknownLayerInfo,
  CustomLayerImpl,
  SaveModelOptions,
  TfjsArtifacts,
  TfjsWeightSpec,
};
export { KerasImportError, UnknownLayerError, WeightMismatchError, WeightsOnlyError };

/** The Keras import/export namespace (`tg.keras`). */
export const keras = {
  /** Load a Keras model from a path or bytes (`.h5`, `.keras`, TF.js `model.json`) or `{ config, weights }`. */
  loadModel,
  /** Build the architecture of a model config (JSON text or object) without weights. */
  modelFromJson,
  /** Load stored weights into an existing model; returns the load report. */
  loadWeights,
  /** Save a model as Keras legacy HDF5 (`.h5`), Keras 3 (`.keras`) or TF.js (`model.json` + shard), by extension or `format`. */
  saveModel,
  /** A model as TF.js layers-model artifacts in memory (`tf.loadLayersModel(tf.io.fromMemory(a))`), no file system. */
  toTfjsArtifacts,
  /** Implement a layer class (or one layer, by name) that tapegrad does not have. */
  registerLayer,
  /** Implement a custom activation function by name. */
  registerActivation,
  /** Forget all registered layers. */
  clearRegisteredLayers,
  /** TypeScript starting point for an unknown layer (from `UnknownLayerError.layers`). */
  layerSkeleton,
  /** Describe a Keras file: format, version, backend, layers and weights. */
  inspect: inspectKerasFile,
  /** Text forms of an inspection and of a load report. */
  formatInspect,
  formatReport,
  /** Keras class names with a built-in implementation. */
  supportedLayers: builtinClassNames,
};
