// Typed errors of the Keras importer: bad or unsupported configs, unknown layers, and weights that do not fit.
import { FormatError } from '../errors.js';

/** A Keras config or weight file the importer cannot turn into a model; the message names file, layer and field. */
export class KerasImportError extends FormatError {}

/** A weights-only file (legacy `save_weights` .h5, Keras 3 `.weights.h5`) given where a whole model was expected. */
export class WeightsOnlyError extends KerasImportError {
  constructor(
    message: string,
    /** The file as the caller named it (a path, or the name given for bytes). */
    readonly file: string,
    readonly format: string,
  ) {
    super(message);
  }
}

/** What the importer knows about a layer it has no implementation for. */
export interface UnknownLayerInfo {
  /** The file (or `<config>`) the layer came from. */
  source: string;
  layerName: string;
  className: string;
  /** Keras 3 `module` / `registered_name`, when the config has them. */
  module: string | null;
  registeredName: string | null;
  configKeys: string[];
  /** The layer's stored weights (name and shape), when a weight file was given. */
  weights: { name: string; shape: number[] }[];
}

/**
 * A layer class with no implementation (a Lambda, a custom class). Carries everything needed to write one:
 * `keras.registerLayer(info.className, fn)` then load again; `keras.layerSkeleton(info)` prints a starting point.
 */
export class UnknownLayerError extends KerasImportError {
  constructor(
    message: string,
    readonly layers: UnknownLayerInfo[],
  ) {
    super(message);
  }
}

/** Weights that do not fit the model (missing, unexpected, or of the wrong shape); `report` lists every problem. */
export class WeightMismatchError extends KerasImportError {
  constructor(
    message: string,
    readonly report: unknown,
  ) {
    super(message);
  }
}
