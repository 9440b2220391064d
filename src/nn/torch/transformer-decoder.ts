// PyTorch 1.13 `nn.TransformerDecoderLayer`, `nn.TransformerDecoder` and `nn.Transformer` (`tg.nn.*`): torch's
// submodule names (self_attn, multihead_attn, linear1, dropout, linear2, norm1..3, dropout1..3; layers.i and norm;
// encoder and decoder), so a torch state dict loads, composed from MultiheadAttention, Linear, LayerNorm, Dropout and
// the encoder modules of transformer.ts.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { Tensor, tensor, writeValues } from '../../core/tensor.js';
import { add } from '../../ops/elementwise/builders.js';
import { MultiheadAttention, positive, xavierUniform } from './attention.js';
import { Module } from './base.js';
import { ModuleList } from './containers.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layers.js';
import { Linear } from './module.js';
import { moduleOptions } from './options.js';
import {
  LAYER_KEYS,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  layerCopies,
  layerSettings,
} from './transformer.js';

/** The options of TransformerDecoderLayer: the same as TransformerEncoderLayer's (torch's signature is the same). */
export type TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;
export interface DecoderForwardOptions {
  /** attnMask of the self-attention: [T, T] or [N·nhead, T, T]; int32 nonzero = masked, float = added. */
  tgtMask?: Tensor | null;
  /** attnMask of the attention over the memory: [T, S] or [N·nhead, T, S]. */
  memoryMask?: Tensor | null;
  /** [N, T] ([T] unbatched): int32 nonzero = padding; float = added. */
  tgtKeyPaddingMask?: Tensor | null;
  /** [N, S] ([S] unbatched): int32 nonzero = padding; float = added. */
  memoryKeyPaddingMask?: Tensor | null;
}
const FWD_KEYS = [
  'tgtMask',
  'memoryMask',
  'tgtKeyPaddingMask',
  'memoryKeyPaddingMask',
  'tgtIsCausal',
  'memoryIsCausal',
] as const;

/** Checks a decoder forward's options; refuses PyTorch 2's tgtIsCausal / memoryIsCausal by name. */
function checkForward(who: string, opts: DecoderForwardOptions): void {
  checkOptionsObject(who, opts, FWD_KEYS, { required: true });
  for (const k of ['tgtIsCausal', 'memoryIsCausal'])
    if (k in opts)
      throw new ValueError(
        `${who}: ${k} is not in PyTorch 1.13's transformer decoder; pass a causal mask (Transformer.generateSquareSubsequentMask) instead`,
      );
}

/**
 * PyTorch 1.13 `nn.TransformerDecoderLayer(d_model, nhead)`: self-attention over tgt, attention from tgt to memory,
 * then the feed-forward block linear2(dropout(activation(linear1(x)))), each with a residual connection, dropout
 * and LayerNorm (after each block, or before it with normFirst).
 */
export class TransformerDecoderLayer extends Module {
  static override className = 'TransformerDecoderLayer';
  readonly normFirst: boolean;
  readonly batchFirst: boolean;
  /** The options this layer was made with (TransformerDecoder makes its copies from them). */
  readonly config: TransformerDecoderLayerOptions;
  private readonly activationFn: (x: Tensor) => Tensor;
  // torch's submodule names (state-dict keys), in torch's order
  self_attn: MultiheadAttention;
  multihead_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  norm3: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  dropout3: Dropout;
  constructor(
    readonly dModel: number,
    readonly nhead: number,
    opts: TransformerDecoderLayerOptions = {},
  ) {
    super(opts?.name);
    const { dtype, ff, p, activationFn, batchFirst, normFirst, eps } = layerSettings(
      'TransformerDecoderLayer',
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
    this.multihead_attn = new MultiheadAttention(dModel, nhead, {
      dropout: p,
      batchFirst: this.batchFirst,
      dtype,
    });
    this.linear1 = new Linear(dModel, ff, { dtype });
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(ff, dModel, { dtype });
    this.norm1 = new LayerNorm(dModel, { eps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, dtype });
    this.norm3 = new LayerNorm(dModel, { eps, dtype });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    this.dropout3 = new Dropout(p);
  }

  forward(tgt: Tensor, memory: Tensor, opts: DecoderForwardOptions = {}): Tensor {
    checkForward(`${this.name} (TransformerDecoderLayer).forward`, opts);
    const sa = (x: Tensor) => {
      const [y] = this.self_attn.forward(x, x, x, {
        attnMask: opts.tgtMask ?? null,
        keyPaddingMask: opts.tgtKeyPaddingMask ?? null,
        needWeights: false,
      });
      return this.dropout1.forward(y) as Tensor;
    };
    const mha = (x: Tensor) => {
      const [y] = this.multihead_attn.forward(x, memory, memory, {
        attnMask: opts.memoryMask ?? null,
        keyPaddingMask: opts.memoryKeyPaddingMask ?? null,
        needWeights: false,
      });
      return this.dropout2.forward(y) as Tensor;
    };
    const ff = (x: Tensor) => {
      const h = this.dropout.forward(this.activationFn(this.linear1.forward(x) as Tensor)) as Tensor;
      return this.dropout3.forward(this.linear2.forward(h)) as Tensor;
    };
    const n = (m: LayerNorm, x: Tensor) => m.forward(x) as Tensor;
    if (this.normFirst) {
      let x = add(tgt, sa(n(this.norm1, tgt)));
      x = add(x, mha(n(this.norm2, x)));
      return add(x, ff(n(this.norm3, x)));
    }
    let x = n(this.norm1, add(tgt, sa(tgt)));
    x = n(this.norm2, add(x, mha(x)));
    return n(this.norm3, add(x, ff(x)));
  }
}

/**
 * PyTorch 1.13 `nn.TransformerDecoder(decoder_layer, num_layers, norm = None)`: numLayers copies of decoderLayer
 * (`layers.0`, …; each starts with the given layer's weights, as torch's deepcopy), then the optional final norm.
 */
export class TransformerDecoder extends Module {
  static override className = 'TransformerDecoder';
  /** torch's `layers` ModuleList (`layers.0.multihead_attn.in_proj_weight`, …). */
  layers: ModuleList;
  norm: Module | null;
  constructor(
    decoderLayer: TransformerDecoderLayer,
    readonly numLayers: number,
    opts: { norm?: Module | null; name?: string } = {},
  ) {
    super(opts?.name);
    checkOptionsObject('TransformerDecoder', opts, ['norm', 'name'], { required: true });
    this.layers = layerCopies(
      'TransformerDecoder',
      'decoder_layer',
      decoderLayer,
      TransformerDecoderLayer,
      (d, h, c) => new TransformerDecoderLayer(d, h, c),
      numLayers,
      opts.norm,
    );
    this.norm = opts.norm ?? null;
  }

  forward(tgt: Tensor, memory: Tensor, opts: DecoderForwardOptions = {}): Tensor {
    checkForward(`${this.name} (TransformerDecoder).forward`, opts);
    let x = tgt;
    for (let i = 0; i < this.layers.length; i++)
      x = (this.layers.at(i) as TransformerDecoderLayer).forward(x, memory, opts);
    return this.norm ? (this.norm.forward(x) as Tensor) : x;
  }
}

export interface TransformerOptions extends TransformerEncoderLayerOptions {
  /** Model width (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  /** Used instead of the TransformerEncoder the other options would make (torch's custom_encoder). */
  customEncoder?: Module | null;
  /** Used instead of the TransformerDecoder the other options would make (torch's custom_decoder). */
  customDecoder?: Module | null;
}
const TRANSFORMER_KEYS = [
  'dModel',
  'nhead',
  'numEncoderLayers',
  'numDecoderLayers',
  'customEncoder',
  'customDecoder',
  ...LAYER_KEYS,
] as const;

export interface TransformerForwardOptions {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * PyTorch 1.13 `nn.Transformer(d_model = 512, nhead = 8, num_encoder_layers = 6, num_decoder_layers = 6, ...)`:
 * an encoder (TransformerEncoder with a final LayerNorm) and a decoder (TransformerDecoder with a final LayerNorm).
 * As torch's _reset_parameters, every parameter of rank > 1 is re-drawn xavier_uniform (custom modules included).
 * `forward(src, tgt, opts)` returns the decoder output, shaped like tgt.
 */
export class Transformer extends Module {
  static override className = 'Transformer';
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  encoder: Module;
  decoder: Module;
  constructor(opts: TransformerOptions = {}) {
    super(opts?.name);
    const who = 'Transformer';
    const dtype = (this.dtype = moduleOptions(who, opts, TRANSFORMER_KEYS));
    const dModel = (this.dModel = opts.dModel ?? 512);
    const nhead = (this.nhead = opts.nhead ?? 8);
    const nEnc = opts.numEncoderLayers ?? 6;
    const nDec = opts.numDecoderLayers ?? 6;
    if (!positive(nEnc) || !positive(nDec))
      throw new ValueError(
        `${who}: num_encoder_layers and num_decoder_layers must be positive integers, got ${describeValue(nEnc)} and ${describeValue(nDec)}`,
      );
    for (const k of ['customEncoder', 'customDecoder'] as const)
      if (opts[k] != null && !(opts[k] instanceof Module))
        throw new ValueError(`${who}: ${k} must be a tg.nn Module or null, got ${describeValue(opts[k])}`);
    const layerOpts: TransformerEncoderLayerOptions = { dtype };
    for (const k of LAYER_KEYS)
      if (k !== 'name' && k !== 'dtype' && opts[k] !== undefined) Object.assign(layerOpts, { [k]: opts[k] });
    const eps = opts.layerNormEps ?? 1e-5;
    this.encoder =
      opts.customEncoder ??
      new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layerOpts), nEnc, {
        norm: new LayerNorm(dModel, { eps, dtype }),
      });
    this.decoder =
      opts.customDecoder ??
      new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layerOpts), nDec, {
        norm: new LayerNorm(dModel, { eps, dtype }),
      });
    this.batchFirst = opts.batchFirst ?? false;
    // torch's _reset_parameters: xavier_uniform_ on every parameter of rank > 1
    for (const [, p] of this.namedParameters())
      if (p.rank > 1) writeValues(p, xavierUniform(p.shape, p.dtype).data);
  }

  /** torch's generate_square_subsequent_mask: a float [sz, sz] mask, -inf above the diagonal and 0 elsewhere. */
  static generateSquareSubsequentMask(sz: number, opts: { dtype?: DType } = {}): Tensor {
    checkOptionsObject('Transformer.generateSquareSubsequentMask', opts, ['dtype'], { required: true });
    if (typeof sz !== 'number' || !Number.isInteger(sz) || sz < 0)
      throw new ValueError(
        `Transformer.generateSquareSubsequentMask: sz must be a non-negative integer, got ${describeValue(sz)}`,
      );
    const data = Array.from({ length: sz * sz }, (_, k) => (k % sz > Math.floor(k / sz) ? -Infinity : 0));
    return tensor(data, [sz, sz], { dtype: opts.dtype ?? 'float32' });
  }

  forward(src: Tensor, tgt: Tensor, opts: TransformerForwardOptions = {}): Tensor {
    const who = `${this.name} (Transformer).forward`;
    checkOptionsObject(
      who,
      opts,
      [
        'srcMask',
        'tgtMask',
        'memoryMask',
        'srcKeyPaddingMask',
        'tgtKeyPaddingMask',
        'memoryKeyPaddingMask',
        'srcIsCausal',
        'tgtIsCausal',
        'memoryIsCausal',
      ],
      { required: true },
    );
    for (const k of ['srcIsCausal', 'tgtIsCausal', 'memoryIsCausal'])
      if (k in opts)
        throw new ValueError(
          `${who}: ${k} is not in PyTorch 1.13's Transformer; pass a causal mask (Transformer.generateSquareSubsequentMask) instead`,
        );
    for (const [k, t] of [
      ['src', src],
      ['tgt', tgt],
    ] as const)
      if (!(t instanceof Tensor))
        throw new ValueError(`${who}: ${k} must be a Tensor, got ${describeValue(t)}`);
    // torch's checks: the same batch size (batched inputs) and dModel features
    const b = this.batchFirst ? 0 : 1;
    if (src.rank === 3 && src.shape[b] !== tgt.shape[b])
      throw new ShapeError(
        `${who}: the batch number of src and tgt must be equal, got src ${fmtShape(src.shape)} and tgt ${fmtShape(tgt.shape)}${this.batchFirst ? ' (batchFirst)' : ''}`,
      );
    if (src.shape[src.rank - 1] !== this.dModel || tgt.shape[tgt.rank - 1] !== this.dModel)
      throw new ShapeError(
        `${who}: the feature number of src and tgt must be equal to d_model ${this.dModel}, got src ${fmtShape(src.shape)} and tgt ${fmtShape(tgt.shape)}`,
      );
    const memory = this.encoder.forward(src, {
      mask: opts.srcMask ?? null,
      srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null,
    }) as Tensor;
    return this.decoder.forward(tgt, memory, {
      tgtMask: opts.tgtMask ?? null,
      memoryMask: opts.memoryMask ?? null,
      tgtKeyPaddingMask: opts.tgtKeyPaddingMask ?? null,
      memoryKeyPaddingMask: opts.memoryKeyPaddingMask ?? null,
    }) as Tensor;
  }
}
