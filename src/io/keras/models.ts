// Imported models keep Keras's layer order for getWeights/setWeights, and Keras's weight order when nested.
import type { Tensor } from '../../core/tensor.js';
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

/** `getWeights` / `setWeights` in the writer's own layout (a Keras 1 model's per-gate RNN arrays, ...). */
export interface FileWeightView {
  get(): Tensor[];
  set(values: Tensor[]): void;
}
/** The models whose weight lists follow their writer's layout rather than the layers' own (keras1-weights.ts). */
export const fileWeightViews = new WeakMap<Layer, FileWeightView>();

/** A Sequential built by the importer. */
export class KerasSequential extends Sequential {
  static override className = 'Sequential';
  /** True when this model is a layer of another model. */
  nested = false;
  override namedWeights(prefix = ''): [string, Weight][] {
    return kerasOrder(super.namedWeights(prefix), this.nested);
  }
  override getWeights(): Tensor[] {
    return fileWeightViews.get(this)?.get() ?? super.getWeights();
  }
  override setWeights(values: Tensor[]): void {
    const v = fileWeightViews.get(this);
    if (v) v.set(values);
    else super.setWeights(values);
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
  override getWeights(): Tensor[] {
    return fileWeightViews.get(this)?.get() ?? super.getWeights();
  }
  override setWeights(values: Tensor[]): void {
    const v = fileWeightViews.get(this);
    if (v) v.set(values);
    else super.setWeights(values);
  }
}

/** The canonical Keras config each imported layer was built from (export writes these back). */
export const importedLayers = new WeakMap<Layer, { className: string; config: JsonObject }>();
/** The writer of each imported model (its Keras version decides activation semantics on export). */
export const importedFrom = new WeakMap<Layer, KerasContext>();
