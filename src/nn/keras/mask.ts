// Keras masks: Masking and Embedding(maskZero) mark padded time steps with a [batch, time] mask (1 = real step,
// 0 = padding) attached to their output tensor (Keras's `_keras_mask`). Sequential and functional models carry
// it through mask-transparent layers to the layers that use it: the recurrent layers skip the masked steps
// (rnn-base.ts), GlobalAveragePooling1D averages the real steps only (pooling.ts), and fit/evaluate leave the masked
// steps of an output out of the loss (masked-loss.ts). A mask that reaches any other layer is refused by name, as
// Keras 2 and TF.js refuse it ("does not support masking"); in a model imported from Keras 3, which drops the mask
// there with a warning instead, it is dropped with a warning too (`followKeras3Masking`).
import { ValueError } from '../../core/errors.js';
import { keep } from '../../core/lifetime.js';
import { Tensor } from '../../core/tensor.js';
import { mul } from '../../ops/elementwise/builders.js';
import type { CallKwargs, Layer, LayerIO } from '../layer.js';

interface MaskEntry {
  mask: Tensor;
  /** The layer that made it, for messages: `embedding (Embedding with maskZero)`. */
  source: string;
}
const masks = new WeakMap<Tensor, MaskEntry>();

/** The Keras mask of a tensor ([batch, time], 1 for real steps), if a mask-producing layer put one on it. */
export const maskOf = (t: unknown): Tensor | undefined =>
  t instanceof Tensor ? masks.get(t)?.mask : undefined;

/** The mask of a tensor with the name of the layer that made it. */
export const maskEntryOf = (t: unknown): Readonly<MaskEntry> | undefined =>
  t instanceof Tensor ? masks.get(t) : undefined;

/** Attach a mask to a tensor. NOTE: kept: it is made inside a layer's call but read after that call ends. */
export function setMask(t: Tensor, mask: Tensor, source: string): void {
  masks.set(t, { mask: keep(mask), source });
}

/** Give `to` the mask of `from` (same source), when `from` has one. */
export function copyMask(from: Tensor, to: Tensor): void {
  const e = masks.get(from);
  if (e) masks.set(to, e);
}

/** Layers that pass their input's mask on unchanged (Keras/TF.js `supportsMasking` without a new mask). */
export const MASK_TRANSPARENT = new Set([
  'Dense',
  'Activation',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'AlphaDropout',
  'GaussianNoise',
  'GaussianDropout',
  'BatchNormalization',
  'LayerNormalization',
  'TimeDistributed',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ReLU',
  'ThresholdedReLU',
  'Softmax',
  'ActivityRegularization',
]);

/**
 * Layers that read their input's mask and set their outputs' masks themselves declare `static handlesMasks = true`:
 * the mask producers, the recurrent layers, Bidirectional, GlobalAveragePooling1D, Sequential and functional models.
 */
const handlesMasks = (layer: Layer): boolean =>
  (layer.constructor as { handlesMasks?: boolean }).handlesMasks === true;

/** Whether a layer passes masks through: a transparent class (TimeDistributed only when its layer is one). */
function transparent(layer: Layer): boolean {
  if (!MASK_TRANSPARENT.has(layer.className)) return false;
  const inner = (layer as { layer?: unknown }).layer;
  return layer.className !== 'TimeDistributed' || (inner instanceof Object && transparent(inner as Layer));
}

/**
 * Keras 3 classes that use or pass on a mask (`supports_masking`) in ways tapegrad does not reproduce (merging masks,
 * attention masks, TimeDistributed around a layer that is not mask-transparent, ...): a mask reaching them stays
 * refused in Keras 3 models too, since dropping it would compute something else than Keras 3.
 */
const KERAS3_MASK_USERS = new Set([
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Dot',
  'Attention',
  'AdditiveAttention',
  'MultiHeadAttention',
  'GroupedQueryAttention',
  'Lambda',
  'Identity',
  'TimeDistributed',
  'GroupNormalization',
  'UnitNormalization',
  'Normalization',
  'Rescaling',
  'ConvLSTM1D',
  'ConvLSTM2D',
  'ConvLSTM3D',
]);

/** Layers of models imported from Keras 3, with where to record a dropped mask (the load report's notes). */
const keras3Layers = new WeakMap<Layer, { note?: (message: string) => void; warned: boolean }>();

/**
 * Mark a layer built from a Keras 3 model: a mask reaching it when it cannot use the mask is dropped (its outputs carry
 * none) with a one-time console warning naming the layer, and `note` (the importer's load-report notes) gets the same
 * line, instead of the refusal Keras 2 and TF.js give. Keras 3 warns "this layer does not support masking and will
 * therefore destroy the mask information" and goes on.
 * NOTE: the Keras version, not the layer, decides this; models built with `tg.layers` keep the Keras 2 / TF.js refusal.
 */
export function followKeras3Masking(layer: Layer, note?: (message: string) => void): void {
  keras3Layers.set(layer, { note, warned: false });
}

/**
 * After `layer` ran inside a model (Keras `compute_mask`): a mask-transparent layer hands its input's mask to its
 * output; a layer that handles masks has set its outputs' masks itself; any other layer that received a mask
 * is refused, naming it and the layer that made the mask (or, in a Keras 3 model, drops the mask with a warning).
 * Returns the output, which is a copy when a dropped mask would otherwise stay on an input the layer returned as is.
 */
export function propagateMask(layer: Layer, inputs: LayerIO, output: LayerIO): LayerIO {
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const masked = ins.find((t) => masks.has(t));
  if (!masked || handlesMasks(layer)) return output;
  const { mask, source } = masks.get(masked)!;
  if (transparent(layer) && ins.length === 1 && output instanceof Tensor) {
    if (output.rank >= 2 && output.shape[0] === mask.shape[0] && output.shape[1] === mask.shape[1])
      masks.set(output, masks.get(masked)!);
    return output;
  }
  const k3 = keras3Layers.get(layer);
  if (k3 && !KERAS3_MASK_USERS.has(layer.className)) {
    if (!k3.warned) {
      k3.warned = true;
      const msg =
        `layer '${layer.name}' (${layer.className}) receives the padding mask made by ${source} but does not support ` +
        'masking: as Keras 3 does, the mask is dropped there and the layers after it see no mask';
      console.warn(`tapegrad: ${msg}`);
      k3.note?.(msg);
    }
    // NOTE: a layer that returns an input unchanged (Reshape to the same shape, UpSampling1D by 1) would hand on the
    // input's mask with it: such an output is replaced by a copy that carries none.
    const unmasked = (t: Tensor): Tensor => (masks.has(t) ? mul(t, 1) : t);
    return Array.isArray(output) ? output.map(unmasked) : unmasked(output);
  }
  throw new ValueError(
    `${layer.name} (${layer.className}) receives the padding mask made by ${source}, but cannot use it: ` +
      'a mask reaches SimpleRNN, LSTM, GRU and Bidirectional layers (which skip the masked steps) and ' +
      'GlobalAveragePooling1D (which averages the real steps) through ' +
      `mask-transparent layers (${[...MASK_TRANSPARENT].slice(0, 4).join(', ')}, ...) only. ` +
      `Put the recurrent layer before ${layer.name}, or drop the mask (no maskZero / Masking layer) if the padding need not be skipped`,
  );
}

/** Run one layer of a model and carry masks on (Sequential's loop and the functional graph's nodes). */
export function applyMasked(layer: Layer, x: LayerIO, kw: CallKwargs): LayerIO {
  const y = layer.apply(x, kw) as LayerIO;
  return propagateMask(layer, x, y);
}
