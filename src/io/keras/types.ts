// The neutral structure every Keras-family file is read into, whatever its container format.
import type { DType, TypedArray } from '../../core/dtype.js';
import { Tensor } from '../../core/tensor.js';
import type { JsonValue } from '../safe-json.js';

/**
 * Which container the model came from:
 * - `h5-model`: legacy Keras 1/2 `model.save('x.h5')` (architecture + weights + training config)
 * - `h5-weights`: legacy Keras 1/2 `model.save_weights('x.h5')`
 * - `keras3`: Keras 3 `.keras` zip (config.json + metadata.json + model.weights.h5)
 * - `keras3-weights`: Keras 3 `model.save_weights('x.weights.h5')`
 * - `tfjs`: TensorFlow.js layers model (`model.json` + binary shards)
 * - `keras-json`: architecture only, `model.to_json()`
 */
export type KerasFormat = 'h5-model' | 'h5-weights' | 'keras3' | 'keras3-weights' | 'tfjs' | 'keras-json';

/** One stored weight: its name as the file records it, where it lives, and its values. */
export interface KerasWeight {
  /**
   * Name as the file records it: the legacy HDF5 `weight_names` entry (`dense_1/kernel:0`), the Keras 3 path
   * inside the layer (`vars/0`), or the TF.js manifest name (`dense_1/kernel`).
   */
  name: string;
  /** Full location in the file: HDF5 path, or `weightsManifest[g].weights[i]` for TF.js. */
  path: string;
  shape: number[];
  dtype: DType;
  /** Element type in the file before widening/narrowing (`float16`, `int64`, `uint8` quantised, ...). */
  sourceDtype: string;
  data: TypedArray;
}

/** The weights of one layer, in the order the file lists them (Keras's `layer.weights` order). */
export interface KerasLayerWeights {
  /** Layer name (`dense_1`); for Keras 3, the group name under `layers/`. */
  name: string;
  /** HDF5 group of the layer, or '' for TF.js. */
  path: string;
  weights: KerasWeight[];
}

/** Everything a Keras-family file holds, in one shape for every format. */
export interface KerasFile {
  format: KerasFormat;
  /** The file name used in messages. */
  source: string;
  kerasVersion: string | null;
  backend: string | null;
  /** Parsed model config (`{class_name, config, ...}`), or null for weights-only files. */
  modelConfig: JsonValue | null;
  /** Parsed training/compile config when the file has one. */
  trainingConfig: JsonValue | null;
  /** Format-specific extras: Keras 3 `metadata.json`; TF.js `format`/`generatedBy`/`convertedBy`. */
  metadata: JsonValue | null;
  /** Per-layer weights. Legacy HDF5 lists every layer of `layer_names`, including those without weights. */
  layers: KerasLayerWeights[];
}

/** A stored weight as a Tensor (values shared, not copied). */
export function weightToTensor(w: KerasWeight): Tensor {
  return new Tensor(w.data, w.shape);
}
