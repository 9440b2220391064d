// Keras masking: Masking / Embedding(mask_zero) mark padded time steps; recurrent layers after them skip those
// steps (states carried over). Masks travel with the output tensors through mask-transparent layers.
import type { Tensor } from '../../core/tensor.js';
import { zeros } from '../../core/tensor.js';
import { add, cast, mul, notEqual, sub } from '../../ops/elementwise/builders.js';
import { matmul } from '../../ops/network/builders.js';
import { reshape, slice, stack } from '../../ops/movement/builders.js';
import type { CallKwargs, Layer, LayerIO } from '../../nn/layer.js';
import { GRU, LSTM, SimpleRNN } from '../../nn/keras/layers/rnn-cells.js';
import type { RNNBase, StepFn } from '../../nn/keras/layers/rnn-base.js';

/** The Keras mask of a tensor: [batch, time] with 1 for real steps, 0 for padding. */
const masks = new WeakMap<Tensor, Tensor>();
export const maskOf = (t: unknown): Tensor | undefined =>
  t && typeof t === 'object' ? masks.get(t as Tensor) : undefined;

/** Layers that pass their input's mask on unchanged (Keras `supports_masking` without a new mask). */
export const MASK_TRANSPARENT = new Set([
  'Dense',
  'Activation',
  'Dropout',
  'SpatialDropout1D',
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

/** Attach `mask(input)` to a layer's output (mask producers). */
export function emitMask(layer: Layer, make: (x: Tensor) => Tensor): void {
  layer.registerForwardHook((_l, x, y) => {
    if (!Array.isArray(x) && !Array.isArray(y)) masks.set(y, make(x));
  });
}

/** Carry the input's mask to the output (mask-transparent layers). */
export function passMask(layer: Layer): void {
  layer.registerForwardHook((_l, x, y) => {
    const m = Array.isArray(x) ? undefined : masks.get(x);
    if (m && !Array.isArray(y) && y.rank >= 2 && y.shape[1] === m.shape[1]) masks.set(y, m);
  });
}

/** Embedding(mask_zero=True): index 0 is padding. */
export const zeroIndexMask = (x: Tensor): Tensor => cast(notEqual(x, 0), 'float32');

/**
 * The masked recurrence of Keras's `K.rnn`: at a masked step the states keep their old values and the output
 * repeats the previous output (zeros before the first real step); the last output is that of the last real step.
 */
function maskedLoop(
  layer: RNNBase,
  x: Tensor,
  mask: Tensor,
  step: StepFn,
  bias: Tensor | null,
  kernel: Tensor,
  init: Tensor[],
): LayerIO {
  const [B, T, F] = x.shape;
  const K = kernel.shape[1];
  let xw = reshape(matmul(reshape(x, [B * T, F]), kernel), [B, T, K]);
  if (bias) xw = add(xw, bias);
  let states = init;
  let prev = zeros([B, layer.units], { dtype: init[0].dtype });
  const outs: Tensor[] = [];
  for (let i = 0; i < T; i++) {
    const t = layer.goBackwards ? T - 1 - i : i;
    const m = reshape(slice(mask, [0, t], [B, 1]), [B, 1]);
    const keep = sub(1, m);
    const next = step(reshape(slice(xw, [0, t, 0], [B, 1, K]), [B, K]), states);
    // s ← m·s' + (1 - m)·s ; y ← m·h' + (1 - m)·y_prev
    states = next.map((s, k) => add(mul(m, s), mul(keep, states[k])));
    prev = add(mul(m, next[0]), mul(keep, prev));
    outs.push(prev);
  }
  const y = layer.returnSequences ? stack(outs, 1) : outs[outs.length - 1];
  if (layer.stateful) layer.states = states.map((s) => s.detach());
  return layer.returnState ? [y, ...states] : y;
}

/** Call of a mask-aware recurrent layer: the masked loop when the input carries a mask, else the layer's own call. */
function maskedCall(layer: RNNBase, inputs: LayerIO, kw: CallKwargs, plain: () => LayerIO): LayerIO {
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  const mask = maskOf(x);
  if (!mask || Array.isArray(inputs) || kw.initialState) return plain();
  const inner = layer as unknown as { makeStep(m: Tensor | null): StepFn; inputBias(): Tensor | null };
  const dt = x.dtype === 'float64' ? 'float64' : 'float32';
  const carried =
    layer.stateful && layer.states && layer.states[0].shape[0] === x.shape[0] ? layer.states : null;
  const init =
    carried ??
    Array.from({ length: layer.stateCount }, () => zeros([x.shape[0], layer.units], { dtype: dt }));
  return maskedLoop(layer, x, cast(mask, dt), inner.makeStep(null), inner.inputBias(), layer.kernel, init);
}

/** Mask-aware SimpleRNN (identical to SimpleRNN when no mask reaches it; the Keras class name is unchanged). */
export class MaskedSimpleRNN extends SimpleRNN {
  static override className = 'SimpleRNN';
  override call(inputs: LayerIO, kw: CallKwargs = {}): LayerIO {
    return maskedCall(this, inputs, kw, () => super.call(inputs, kw));
  }
}
/** Mask-aware LSTM. */
export class MaskedLSTM extends LSTM {
  static override className = 'LSTM';
  override call(inputs: LayerIO, kw: CallKwargs = {}): LayerIO {
    return maskedCall(this, inputs, kw, () => super.call(inputs, kw));
  }
}
/** Mask-aware GRU. */
export class MaskedGRU extends GRU {
  static override className = 'GRU';
  override call(inputs: LayerIO, kw: CallKwargs = {}): LayerIO {
    return maskedCall(this, inputs, kw, () => super.call(inputs, kw));
  }
}
