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
const LAYER_KEYS = [
  'dimFeedforward',
  'dropout',
  'activation',
  'layerNormEps',
  'batchFirst',
  'normFirst',
  'name',
  'dtype',
] as const;

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
    const dtype = (this.dtype = moduleOptions('TransformerEncoderLayer', opts, LAYER_KEYS));
    this.config = { ...opts };
    const ff = opts.dimFeedforward ?? 2048;
    if (!positive(ff))
      throw new ValueError(
        `TransformerEncoderLayer: dim_feedforward must be a positive integer, got ${describeValue(ff)}`,
      );
    const p = opts.dropout ?? 0.1;
    const act = opts.activation ?? 'relu';
    if (act === 'relu') this.activationFn = relu;
    else if (act === 'gelu') this.activationFn = (x) => gelu(x, false);
    else if (typeof act === 'function') this.activationFn = act;
    else
      throw new ValueError(
        `TransformerEncoderLayer: activation should be relu/gelu, not ${describeValue(act)} (or pass a function of a tensor)`,
      );
    for (const k of ['batchFirst', 'normFirst'] as const)
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean')
        throw new ValueError(
          `TransformerEncoderLayer: ${k} must be true or false, got ${describeValue(opts[k])}`,
        );
    this.batchFirst = opts.batchFirst ?? false;
    this.normFirst = opts.normFirst ?? false;
    const eps = opts.layerNormEps ?? 1e-5;
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
    if (!(encoderLayer instanceof TransformerEncoderLayer))
      throw new ValueError(
        `TransformerEncoder: encoder_layer must be a tg.nn.TransformerEncoderLayer, got ${describeValue(encoderLayer)}`,
      );
    if (typeof numLayers !== 'number' || !Number.isInteger(numLayers) || numLayers < 1)
      throw new ValueError(
        `TransformerEncoder: num_layers must be a positive integer, got ${describeValue(numLayers)}`,
      );
    if (opts.norm != null && !(opts.norm instanceof Module))
      throw new ValueError(
        `TransformerEncoder: norm must be a tg.nn Module or null, got ${describeValue(opts.norm)}`,
      );
    if (opts.enableNestedTensor !== undefined && typeof opts.enableNestedTensor !== 'boolean')
      throw new ValueError(
        `TransformerEncoder: enableNestedTensor must be true or false, got ${describeValue(opts.enableNestedTensor)}`,
      );
    const state = encoderLayer.stateDict();
    this.layers = new ModuleList(
      Array.from({ length: numLayers }, () => {
        const { name: _, ...config } = encoderLayer.config;
        const l = new TransformerEncoderLayer(encoderLayer.dModel, encoderLayer.nhead, config);
        l.loadStateDict(state);
        l.train(encoderLayer.training);
        return l;
      }),
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
