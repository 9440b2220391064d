// PyTorch 1.13 `nn.TransformerEncoderLayer` and `nn.TransformerEncoder` (`tg.nn.*`): torch's submodule names
// (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2; layers.i and norm), so a torch state dict
// loads, composed from MultiheadAttention (attention.ts), Linear, LayerNorm and Dropout.
import type { DType } from '../../core/dtype.js';
import { ValueError, describeValue } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import type { Tensor } from '../../core/tensor.js';
import { gelu } from '../../ops/composite/activations.js';
import { isRecording } from '../../core/tape.js';
import { add, asTensor, notEqual, relu, where } from '../../ops/elementwise/builders.js';
import { reshape, slice } from '../../ops/movement/builders.js';
import { MultiheadAttention, positive } from './attention.js';
import { Module } from './base.js';
import { ModuleList } from './containers.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layers.js';
import { Linear } from './module.js';
import { moduleOptions } from './options.js';

export interface TransformerEncoderLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability of the attention weights and the three Dropout modules (default 0.1). */
  dropout?: number;
  /** 'relu' (default), 'gelu' (exact, erf form) or a function of a tensor. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  layerNormEps?: number;
  /** Input and output are [N, S, E] instead of [S, N, E]. */
  batchFirst?: boolean;
  /** Pre-norm: x + sa(norm1(x)), then x + ff(norm2(x)); default post-norm: norm1(x + sa(x)), norm2(x + ff(x)). */
  normFirst?: boolean;
  name?: string;
  dtype?: DType;
}
export const LAYER_KEYS = [
  'dimFeedforward',
  'dropout',
  'activation',
  'layerNormEps',
  'batchFirst',
  'normFirst',
  'name',
  'dtype',
] as const;

/** An encoder or decoder layer's options checked, with torch's defaults (the two take the same options). */
export function layerSettings(who: string, opts: TransformerEncoderLayerOptions) {
  const dtype = moduleOptions(who, opts, LAYER_KEYS);
  const ff = opts.dimFeedforward ?? 2048;
  if (!positive(ff))
    throw new ValueError(`${who}: dim_feedforward must be a positive integer, got ${describeValue(ff)}`);
  const act = opts.activation ?? 'relu';
  let activationFn: (x: Tensor) => Tensor;
  if (act === 'relu') activationFn = relu;
  else if (act === 'gelu') activationFn = (x) => gelu(x, false);
  else if (typeof act === 'function') activationFn = act;
  else
    throw new ValueError(
      `${who}: activation should be relu/gelu, not ${describeValue(act)} (or pass a function of a tensor)`,
    );
  for (const k of ['batchFirst', 'normFirst'] as const)
    if (opts[k] !== undefined && typeof opts[k] !== 'boolean')
      throw new ValueError(`${who}: ${k} must be true or false, got ${describeValue(opts[k])}`);
  return {
    dtype,
    ff,
    p: opts.dropout ?? 0.1,
    activationFn,
    batchFirst: opts.batchFirst ?? false,
    normFirst: opts.normFirst ?? false,
    eps: opts.layerNormEps ?? 1e-5,
  };
}

/** An encoder or decoder layer, as a stack copies it. */
interface StackableLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly config: TransformerEncoderLayerOptions;
}

/**
 * A stack's `layers`: numLayers copies of layer, each starting with its weights and mode (torch's deepcopy), after
 * checking the stack's arguments (`arg` is torch's name of the layer argument).
 */
export function layerCopies<L extends StackableLayer>(
  who: string,
  arg: string,
  layer: L,
  kind: abstract new (...a: never[]) => L,
  make: (dModel: number, nhead: number, config: TransformerEncoderLayerOptions) => L,
  numLayers: number,
  norm: unknown,
): ModuleList {
  if (!(layer instanceof kind))
    throw new ValueError(`${who}: ${arg} must be a tg.nn.${kind.name}, got ${describeValue(layer)}`);
  if (!positive(numLayers))
    throw new ValueError(`${who}: num_layers must be a positive integer, got ${describeValue(numLayers)}`);
  if (norm != null && !(norm instanceof Module))
    throw new ValueError(`${who}: norm must be a tg.nn Module or null, got ${describeValue(norm)}`);
  const state = layer.stateDict();
  const { name: _, ...config } = layer.config;
  return new ModuleList(
    Array.from({ length: numLayers }, () => {
      const l = make(layer.dModel, layer.nhead, config);
      l.loadStateDict(state);
      l.train(layer.training);
      return l;
    }),
  );
}

export interface EncoderLayerForwardOptions {
  /** attnMask of the self-attention: [S, S] or [N·nhead, S, S]; int32 nonzero = masked, float = added. */
  srcMask?: Tensor | null;
  /** [N, S] ([S] unbatched): int32 nonzero = padding; float = added. */
  srcKeyPaddingMask?: Tensor | null;
}

/**
 * PyTorch 1.13 `nn.TransformerEncoderLayer(d_model, nhead)`: self-attention and a feed-forward block
 * linear2(dropout(activation(linear1(x)))), each with a residual connection, dropout and LayerNorm.
 */
export class TransformerEncoderLayer extends Module {
  static override className = 'TransformerEncoderLayer';
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  /** The options this layer was made with (TransformerEncoder makes its copies from them). */
  readonly config: TransformerEncoderLayerOptions;
  private readonly activationFn: (x: Tensor) => Tensor;
  // torch's submodule names (state-dict keys), in torch's order
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  constructor(
    readonly dModel: number,
    readonly nhead: number,
    opts: TransformerEncoderLayerOptions = {},
  ) {
    super(opts?.name);
    const { dtype, ff, p, activationFn, batchFirst, normFirst, eps } = layerSettings(
      'TransformerEncoderLayer',
      opts,
    );
    this.dtype = dtype;
    this.config = { ...opts };
    this.activationFn = activationFn;
    this.batchFirst = batchFirst;
    this.normFirst = normFirst;
    // torch's construction order, which is its state-dict order
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      batchFirst: this.batchFirst,
      dtype,
    });
    this.linear1 = new Linear(dModel, ff, { dtype });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { dtype });
    this.norm1 = new LayerNorm(dModel, { eps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, dtype });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
  }

  forward(src: Tensor, opts: EncoderLayerForwardOptions = {}): Tensor {
    const who = `${this.name} (TransformerEncoderLayer).forward`;
    checkOptionsObject(who, opts, ['srcMask', 'srcKeyPaddingMask', 'isCausal'], { required: true });
    if ('isCausal' in opts)
      throw new ValueError(
        `${who}: isCausal is not in PyTorch 1.13's TransformerEncoderLayer; pass a causal srcMask instead`,
      );
    const sa = (x: Tensor) => {
      const [y] = this.self_attn.forward(x, x, x, {
        attnMask: opts.srcMask ?? null,
        keyPaddingMask: opts.srcKeyPaddingMask ?? null,
        needWeights: false,
      });
      return this.dropout1.forward(y) as Tensor;
    };
    const ff = (x: Tensor) => {
      const h = this.dropout.forward(this.activationFn(this.linear1.forward(x) as Tensor)) as Tensor;
      return this.dropout2.forward(this.linear2.forward(h)) as Tensor;
    };
    const n1 = (x: Tensor) => this.norm1.forward(x) as Tensor;
    const n2 = (x: Tensor) => this.norm2.forward(x) as Tensor;
    if (this.normFirst) {
      const x = add(src, sa(n1(src)));
      return add(x, ff(n2(x)));
    }
    const x = n1(add(src, sa(src)));
    return n2(add(x, ff(x)));
  }
}

/**
 * PyTorch 1.13 `nn.TransformerEncoder(encoder_layer, num_layers, norm = None)`: numLayers copies of encoderLayer
 * (`layers.0`, …; each starts with the given layer's weights, as torch's deepcopy), then the optional final norm.
 * NOTE: torch's enable_nested_tensor fast path is followed: in eval mode without gradients (tg.noGrad, or frozen
 * weights and input) on batchFirst post-norm layers with an even nhead, a left-aligned srcKeyPaddingMask and no mask,
 * torch runs nested tensors and pads back with zeros: padded positions come out 0 (before the final norm) and the
 * sequence axis is cut to the longest unpadded row. Elsewhere every position gets the dense computation.
 */
export class TransformerEncoder extends Module {
  static override className = 'TransformerEncoder';
  /** torch's `layers` ModuleList (`layers.0.self_attn.in_proj_weight`, …). */
  layers: ModuleList;
  norm: Module | null;
  readonly enableNestedTensor: boolean;
  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    opts: { norm?: Module | null; enableNestedTensor?: boolean; name?: string } = {},
  ) {
    super(opts?.name);
    checkOptionsObject('TransformerEncoder', opts, ['norm', 'enableNestedTensor', 'name'], {
      required: true,
    });
    if (opts.enableNestedTensor !== undefined && typeof opts.enableNestedTensor !== 'boolean')
      throw new ValueError(
        `TransformerEncoder: enableNestedTensor must be true or false, got ${describeValue(opts.enableNestedTensor)}`,
      );
    this.layers = layerCopies(
      'TransformerEncoder',
      'encoder_layer',
      encoderLayer,
      TransformerEncoderLayer,
      (d, h, c) => new TransformerEncoderLayer(d, h, c),
      numLayers,
      opts.norm,
    );
    this.norm = opts.norm ?? null;
    this.enableNestedTensor = opts.enableNestedTensor ?? true;
  }

  /** The unpadded length of each row when torch 1.13 would take its nested-tensor path, else null (see the class). */
  private nestedLengths(src: Tensor, mask: Tensor | null, kpm: Tensor | null): number[] | null {
    const first = this.layers.at(0) as TransformerEncoderLayer;
    const act = first.config.activation ?? 'relu';
    if (!this.enableNestedTensor || first.normFirst || first.training || !first.batchFirst) return null;
    if ((act !== 'relu' && act !== 'gelu') || src.rank !== 3 || kpm === null || mask !== null) return null;
    if (
      first.nhead % 2 === 1 ||
      kpm.rank !== 2 ||
      kpm.shape[0] !== src.shape[0] ||
      kpm.shape[1] !== src.shape[1]
    )
      return null;
    const weights = [first.self_attn, first.norm1, first.norm2, first.linear1, first.linear2].flatMap((m) =>
      m.namedParameters().map(([, t]) => t),
    );
    if (isRecording() && [src, ...weights].some((t) => t.requiresGrad)) return null;
    const [N, S] = kpm.shape;
    const lengths: number[] = [];
    for (let n = 0; n < N; n++) {
      const row = Array.from(kpm.data.subarray(n * S, (n + 1) * S), (v) => v !== 0);
      const len = row.indexOf(true) < 0 ? S : row.indexOf(true);
      // torch's mask_check: padding only at the end of each row (left-aligned), else the dense path
      if (row.slice(len).some((p) => !p)) return null;
      lengths.push(len);
    }
    return lengths;
  }

  forward(src: Tensor, opts: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null } = {}): Tensor {
    const who = `${this.name} (TransformerEncoder).forward`;
    checkOptionsObject(who, opts, ['mask', 'srcKeyPaddingMask', 'isCausal'], { required: true });
    if ('isCausal' in opts)
      throw new ValueError(
        `${who}: isCausal is not in PyTorch 1.13's TransformerEncoder; pass a causal mask instead`,
      );
    const kpm = opts.srcKeyPaddingMask ?? null;
    const nested = this.nestedLengths(src, opts.mask ?? null, kpm);
    let x = src;
    for (let i = 0; i < this.layers.length; i++)
      x = (this.layers.at(i) as TransformerEncoderLayer).forward(x, {
        srcMask: opts.mask ?? null,
        srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null,
      });
    if (nested) {
      // to_padded_tensor(0.): zeros at the padded positions, the sequence axis cut to the longest row
      const [N, S, E] = x.shape;
      x = where(reshape(notEqual(kpm!, 0), [N, S, 1]), asTensor(0, x.dtype), x);
      const longest = Math.max(...nested);
      if (longest < S) x = slice(x, [0, 0, 0], [N, longest, E]);
    }
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }
}
