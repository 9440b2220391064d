// Imported models keep Keras's layer order for getWeights/setWeights, and Keras's weight order when nested.
import { Functional } from '../../nn/keras/functional.js';
import type { Layer, Weight } from '../../nn/layer.js';
import type { JsonObject } from './cfg.js';
import type { KerasContext } from './context.js';
import { Sequential } from '../../nn/keras/model.js';

/**
 * Keras lists a nested model's weights trainable-first (`trainable_weights + non_trainable_weights`), which is
 * how legacy HDF5 files store them; a top-level model lists each layer's weights in turn (`get_weights`).
 */
function kerasOrder(all: [string, Weight][], nested: boolean): [string, Weight][] {
  if (!nested) return all;
  return [...all.filter(([, w]) => w.trainable), ...all.filter(([, w]) => !w.trainable)];
}

/** A Sequential built by the importer. */
export class KerasSequential extends Sequential {
  static override className = 'Sequential';
  /** True when this model is a layer of another model. */
  nested = false;
  override namedWeights(prefix = ''): [string, Weight][] {
    return kerasOrder(super.namedWeights(prefix), this.nested);
  }
}

/** A functional model built by the importer; `layerOrder` is the config's layer list (Keras `model.layers`). */
export class KerasFunctional extends Functional {
  static override className = 'Functional';
  nested = false;
  layerOrder: Layer[] = [];
  override children(): [string, Layer][] {
    if (!this.layerOrder.length) return super.children();
    return this.layerOrder.map((l) => [l.name, l]);
  }
  override namedWeights(prefix = ''): [string, Weight][] {
    return kerasOrder(super.namedWeights(prefix), this.nested);
  }
}

/** The canonical Keras config each imported layer was built from (export writes these back). */
export const importedLayers = new WeakMap<Layer, { className: string; config: JsonObject }>();
/** The writer of each imported model (its Keras version decides activation semantics on export). */
export const importedFrom = new WeakMap<Layer, KerasContext>();
