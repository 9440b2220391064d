// Keras masks: Masking and Embedding(maskZero) mark padded time steps with a [batch, time] mask (1 = real step,
// 0 = padding) attached to their output tensor (Keras's `_keras_mask`). Sequential and functional models carry
// it through mask-transparent layers to the layers that use it: the recurrent layers skip the masked steps
// (rnn-base.ts), GlobalAveragePooling1D averages the real steps only (pooling.ts), the merge layers merge their inputs'
// masks (merge.ts), and fit/evaluate leave the masked steps of an output out of the loss (masked-loss.ts). A mask that
// reaches any other layer is refused by name, as Keras 2 and TF.js refuse it ("does not support masking"); in a model
// imported from Keras 3, which drops the mask there with a warning instead, it is dropped with a warning too
// (`followKeras3Masking`). What merges and BatchNormalization do with a mask depends on the Keras version that wrote an
// imported model (`mergeMasking`, `maskedMomentsEpsilon`).
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
  'SpatialDropout3D',
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
 * Keras 3 classes that use or pass on a mask (`supports_masking`) in ways tapegrad does not reproduce (attention masks,
 * TimeDistributed around a layer that is not mask-transparent, ...): a mask reaching them stays refused in Keras 3
 * models too, since dropping it would compute something else than Keras 3.
 */
const KERAS3_MASK_USERS = new Set([
  'Attention',
  'AdditiveAttention',
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

/** The Keras that wrote a layer of an imported model: its major version and its version number, when known. */
interface KerasMark {
  major: 2 | 3;
  /** [major, minor, patch] of the file's `keras_version`, or null when it is not recorded. */
  version: number[] | null;
  /** Keras 3: where to record a dropped mask (the load report's notes). */
  note?: (message: string) => void;
  warned: boolean;
}
const kerasLayers = new WeakMap<Layer, KerasMark>();

/** `3.8.0` → [3, 8, 0], `2.2.4-tf` → [2, 2, 4]; null when there is no leading number. */
function versionNumbers(version: string | null | undefined): number[] | null {
  const m = version ? /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version) : null;
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null;
}

/** Whether the layer's recorded Keras version is at least `min`; an unknown version counts as the newest. */
function atLeast(mark: KerasMark, ...min: number[]): boolean {
  const v = mark.version;
  if (!v || v[0] !== min[0]) return v === null || v[0] > min[0];
  for (let i = 1; i < min.length; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

/**
 * Mark a layer built from a Keras 3 model: a mask reaching it when it cannot use the mask is dropped (its outputs carry
 * none) with a one-time console warning naming the layer, and `note` (the importer's load-report notes) gets the same
 * line, instead of the refusal Keras 2 and TF.js give. Keras 3 warns "this layer does not support masking and will
 * therefore destroy the mask information" and goes on. `version` (the file's `keras_version`) picks the Keras 3
 * release's merge and BatchNormalization mask rules; without it the newest release's rules apply.
 * NOTE: the Keras version, not the layer, decides this; models built with `tg.layers` keep the Keras 2 / TF.js refusal.
 */
export function followKeras3Masking(
  layer: Layer,
  note?: (message: string) => void,
  version?: string | null,
): void {
  kerasLayers.set(layer, { major: 3, version: versionNumbers(version), note, warned: false });
}

/**
 * Mark a layer built from a Keras 2 (tf.keras) model written by `version`: tf.keras ≥ 2.12 computes BatchNormalization's
 * training moments over the unmasked positions (`maskedMomentsEpsilon`); unmarked layers follow TF.js, which ignores it.
 * NOTE: an unrecorded version, or one that is not 2.x (`tfjs-layers 4.1.0`), keeps the mask out of the moments.
 */
export function followKeras2Masking(layer: Layer, version: string | null): void {
  kerasLayers.set(layer, { major: 2, version: versionNumbers(version), warned: false });
}

/**
 * How a merge layer treats its inputs' masks:
 * - 'and' (Keras 2 `_Merge.compute_mask`, Keras 3 before 3.4; the default): the output's mask is the AND of the masks
 *   present, an unmasked input constrains nothing; Concatenate ANDs across its last axis, concatenates along others.
 * - 'or' (Keras ≥ 3.4): the OR of the masks when every input has one, else none; Maximum, Minimum and Multiply also
 *   replace masked values (`_apply_merge_op_and_or_mask`); Concatenate ORs across its last axis (an unmasked input
 *   counts as all ones there).
 * - 'drop' (Keras 3.0–3.3): the merge sees no mask (Layer.__call__ read the mask of the input list itself, None)
 *   and its output carries none.
 * NOTE: TF.js's Merge.computeMask returns the first input's mask with a leading axis added (a loop bound off by one):
 * layers built with tg.layers follow Keras 2 instead.
 */
export function mergeMasking(layer: Layer): 'and' | 'or' | 'drop' {
  const mark = kerasLayers.get(layer);
  if (mark?.major !== 3) return 'and';
  return atLeast(mark, 3, 4, 0) ? 'or' : atLeast(mark, 3, 0, 0) ? 'drop' : 'and';
}

/**
 * BatchNormalization with a mask, in training: the ε its masked moments add to the count of unmasked positions
 * (mean = Σ m·x / (Σ m + ε)), or null when the mask does not change the moments. Keras ≥ 3.0.2: `backend.epsilon()`
 * = 1e-7; tf.keras ≥ 2.12 (`tf.nn.weighted_moments`, divide_no_nan): 0; earlier Keras, TF.js and tg.layers: null.
 */
export function maskedMomentsEpsilon(layer: Layer): number | null {
  const mark = kerasLayers.get(layer);
  if (!mark) return null;
  if (mark.major === 3) return atLeast(mark, 3, 0, 2) ? 1e-7 : null;
  return mark.version?.[0] === 2 && atLeast(mark, 2, 12, 0) ? 0 : null;
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
  const k3 = kerasLayers.get(layer);
  if (k3?.major === 3 && !KERAS3_MASK_USERS.has(layer.className)) {
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
      'a mask reaches SimpleRNN, LSTM, GRU and Bidirectional layers (which skip the masked steps), ' +
      'GlobalAveragePooling1D (which averages the real steps) and the merge layers (which merge the masks) through ' +
      `mask-transparent layers (${[...MASK_TRANSPARENT].slice(0, 4).join(', ')}, ...) only. ` +
      `Put the recurrent layer before ${layer.name}, or drop the mask (no maskZero / Masking layer) if the padding need not be skipped`,
  );
}

/** Run one layer of a model and carry masks on (Sequential's loop and the functional graph's nodes). */
export function applyMasked(layer: Layer, x: LayerIO, kw: CallKwargs): LayerIO {
  const y = layer.apply(x, kw) as LayerIO;
  return propagateMask(layer, x, y);
}
