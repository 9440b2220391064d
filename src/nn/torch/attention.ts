// PyTorch 1.13 `nn.MultiheadAttention` (`tg.nn.MultiheadAttention`): torch's parameters, state-dict names and init,
// and the computation of torch's F.multi_head_attention_forward, composed from tapegrad ops (the tape differentiates
// it). Masks: an int32 tensor is a bool mask (nonzero = masked, as torch's bool/uint8), a float tensor is added.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { rand, randn } from '../../core/random.js';
import type { Shape } from '../../core/shape.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { softmax } from '../../ops/composite/activations.js';
import { add, asTensor, cast, div, mul, notEqual, where } from '../../ops/elementwise/builders.js';
import { matmul } from '../../ops/network/builders.js';
import { broadcastTo, concat, pad, reshape, slice, squeeze, transpose } from '../../ops/movement/builders.js';
import { sum } from '../../ops/reduce/builders.js';
import { Module } from './base.js';
import { dropoutTrain } from './dropout.js';
import { Linear } from './module.js';
import { moduleOptions } from './options.js';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in train mode (default 0). */
  dropout?: number;
  /** in_proj_bias and out_proj.bias (default true). */
  bias?: boolean;
  /** Learned bias_k / bias_v [1, 1, E] appended to the keys and values (default false). */
  addBiasKv?: boolean;
  /** Append a zero key and value (after the projections) (default false). */
  addZeroAttn?: boolean;
  /** Key features (default embedDim); with vdim, separate q/k/v_proj_weight when either differs from embedDim. */
  kdim?: number | null;
  vdim?: number | null;
  /** Inputs and output are [N, L, E] instead of [L, N, E]. */
  batchFirst?: boolean;
  name?: string;
  dtype?: DType;
}
const MHA_KEYS = [
  'dropout',
  'bias',
  'addBiasKv',
  'addZeroAttn',
  'kdim',
  'vdim',
  'batchFirst',
  'name',
  'dtype',
] as const;

export interface AttentionForwardOptions {
  /** [N, S] (or [S] unbatched): int32 nonzero = ignore that key; float = added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true); false returns null in their place. */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S] ([numHeads, L, S] unbatched): int32 nonzero = masked; float = added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true): [N, L, S]; else [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
}
const FWD_KEYS = ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal'] as const;

/** torch.nn.init.xavier_uniform_ on a 2-D weight [out, in]: U(±√(6 / (in + out))). */
export const xavierUniform = (shape: Shape, dtype: DType): Tensor => {
  const b = Math.sqrt(6 / (shape[0] + shape[1]));
  return rand(shape, { low: -b, high: b, dtype });
};
/** torch.nn.init.xavier_normal_ on bias_k / bias_v [1, 1, E]: fan_in = fan_out = E, so N(0, 1/E). */
const xavierNormalKv = (shape: Shape, dtype: DType): Tensor =>
  mul(randn(shape, { dtype }), 1 / Math.sqrt(shape[2]));

const isBool = (m: Tensor): boolean => m.dtype === 'int32';
/** A positive integer (a size or count argument). */
export const positive = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/**
 * PyTorch 1.13 `nn.MultiheadAttention(embed_dim, num_heads)`: softmax(q·kᵀ/√headDim + mask)·v over numHeads heads,
 * with in-projections (in_proj_weight [3E, E], or q/k/v_proj_weight when kdim or vdim differ from E) and out_proj.
 * `forward(query, key, value, opts)` returns [attnOutput, attnWeights | null].
 */
export class MultiheadAttention extends Module {
  static override className = 'MultiheadAttention';
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropoutP: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  /** torch's `_qkv_same_embed_dim`: one packed in_proj_weight. */
  readonly qkvSameEmbedDim: boolean;
  inProjWeight: Tensor | null = null;
  qProjWeight: Tensor | null = null;
  kProjWeight: Tensor | null = null;
  vProjWeight: Tensor | null = null;
  inProjBias: Tensor | null = null;
  biasK: Tensor | null = null;
  biasV: Tensor | null = null;
  /** torch's submodule name, so its weights are out_proj.weight / out_proj.bias in the state dict. */
  out_proj: Linear;
  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    opts: MultiheadAttentionOptions = {},
  ) {
    super(opts?.name);
    const dtype = (this.dtype = moduleOptions('MultiheadAttention', opts, MHA_KEYS));
    if (!positive(embedDim) || !positive(numHeads))
      throw new ValueError(
        `MultiheadAttention: embed_dim and num_heads must be positive integers, got ${describeValue(embedDim)} and ${describeValue(numHeads)}`,
      );
    if (embedDim % numHeads !== 0)
      throw new ValueError(
        `MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim ${embedDim} and num_heads ${numHeads}`,
      );
    for (const k of ['kdim', 'vdim'] as const)
      if (opts[k] != null && !positive(opts[k]))
        throw new ValueError(
          `MultiheadAttention: ${k} must be a positive integer or null, got ${describeValue(opts[k])}`,
        );
    for (const k of ['bias', 'addBiasKv', 'addZeroAttn', 'batchFirst'] as const)
      if (opts[k] !== undefined && typeof opts[k] !== 'boolean')
        throw new ValueError(`MultiheadAttention: ${k} must be true or false, got ${describeValue(opts[k])}`);
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(
        `MultiheadAttention: dropout must be a probability in [0, 1], got ${describeValue(p)}`,
      );
    this.dropoutP = p;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.headDim = embedDim / numHeads;
    this.batchFirst = opts.batchFirst ?? false;
    this.addZeroAttn = opts.addZeroAttn ?? false;
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    const E = embedDim;
    // torch's registration order, which is its state-dict order: the in-projection weight(s), in_proj_bias, bias_k/v
    if (this.qkvSameEmbedDim) this.inProjWeight = this.addWeight('in_proj_weight', [3 * E, E], xavierUniform);
    else {
      this.qProjWeight = this.addWeight('q_proj_weight', [E, E], xavierUniform);
      this.kProjWeight = this.addWeight('k_proj_weight', [E, this.kdim], xavierUniform);
      this.vProjWeight = this.addWeight('v_proj_weight', [E, this.vdim], xavierUniform);
    }
    const bias = opts.bias ?? true;
    if (bias) this.inProjBias = this.addWeight('in_proj_bias', [3 * E], 'zeros');
    if (opts.addBiasKv) {
      this.biasK = this.addWeight('bias_k', [1, 1, E], xavierNormalKv);
      this.biasV = this.addWeight('bias_v', [1, 1, E], xavierNormalKv);
    }
    // NOTE: out_proj.weight keeps Linear's default init (as torch); torch zeroes out_proj.bias with in_proj_bias.
    this.out_proj = new Linear(E, E, { bias, dtype });
    if (this.out_proj.bias) this.out_proj.bias.data.fill(0);
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: AttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    const who = `${this.name} (MultiheadAttention)`;
    checkOptionsObject(`${who}.forward`, opts, FWD_KEYS, { required: true });
    if ('isCausal' in opts)
      throw new ValueError(
        `${who}.forward: isCausal is not in PyTorch 1.13's MultiheadAttention; pass a causal attnMask (int32 upper triangle of ones) instead`,
      );
    const needWeights = opts.needWeights ?? true;
    const average = opts.averageAttnWeights ?? true;
    if (typeof needWeights !== 'boolean' || typeof average !== 'boolean')
      throw new ValueError(
        `${who}.forward: needWeights and averageAttnWeights must be true or false, got ${describeValue(needWeights)} and ${describeValue(average)}`,
      );
    for (const [k, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const)
      if (!(t instanceof Tensor))
        throw new ValueError(`${who}: ${k} must be a Tensor, got ${describeValue(t)}`);
    if (query.rank !== 2 && query.rank !== 3)
      throw new ShapeError(
        `${who}: query should be unbatched 2D or batched 3D tensor but received ${query.rank}-D query tensor (shape ${fmtShape(query.shape)})`,
      );
    const batched = query.rank === 3;
    if (key.rank !== query.rank || value.rank !== query.rank)
      throw new ShapeError(
        `${who}: for ${query.rank}-D query, expected key and value to be ${query.rank}-D but found ${key.rank}-D and ${value.rank}-D`,
      );
    // torch's layout [L, N, E]: unbatched inputs get N = 1, batchFirst ones are transposed
    const toLNE = (t: Tensor): Tensor =>
      !batched ? reshape(t, [t.shape[0], 1, t.shape[1]]) : this.batchFirst ? transpose(t, [1, 0, 2]) : t;
    const [q0, k0, v0] = [query, key, value].map(toLNE);
    const [L, N] = q0.shape;
    const S = k0.shape[0];
    const E = this.embedDim;
    const want = (t: Tensor, what: string, shape: number[]) => {
      if (t.shape.some((d, i) => d !== shape[i]))
        throw new ShapeError(
          `${who}: ${what} in torch's layout [L or S, N, features] should be ${fmtShape(shape)}, got ${fmtShape(t.shape)}${this.batchFirst && batched ? ' (transposed from batchFirst [N, L, features])' : ''}`,
        );
    };
    want(q0, 'query', [L, N, E]);
    want(k0, 'key', [S, N, this.kdim]);
    want(v0, 'value', [S, N, this.vdim]);
    const mask = this.maskFor(
      who,
      batched,
      L,
      S,
      N,
      opts.keyPaddingMask ?? null,
      opts.attnMask ?? null,
      q0.dtype,
    );
    const [wq, wk, wv] = this.projWeights();
    const b = this.inProjBias;
    const proj = (x: Tensor, w: Tensor, i: number) => {
      const y = matmul(x, w, { transB: true });
      return b ? add(y, slice(b, [i * E], [E])) : y;
    };
    let k = proj(k0, wk, 1);
    let v = proj(v0, wv, 2);
    if (this.biasK && this.biasV) {
      k = concat([k, broadcastTo(this.biasK, [1, N, E])], 0);
      v = concat([v, broadcastTo(this.biasV, [1, N, E])], 0);
    }
    const H = this.numHeads;
    const hd = this.headDim;
    // [len, N, E] → [N, H, len, headDim]
    const heads = (t: Tensor) => transpose(reshape(t, [t.shape[0], N, H, hd]), [1, 2, 0, 3]);
    const q = heads(div(proj(q0, wq, 0), Math.sqrt(hd)));
    let kh = heads(k);
    let vh = heads(v);
    if (this.addZeroAttn) {
      const z = zeros([N, H, 1, hd], { dtype: kh.dtype });
      kh = concat([kh, z], 2);
      vh = concat([vh, z], 2);
    }
    let scores = matmul(q, kh, { transB: true }); // [N, H, L, S']
    if (mask) scores = add(scores, mask);
    let attn = softmax(scores, -1);
    if (this.training && this.dropoutP > 0) attn = dropoutTrain(attn, this.dropoutP);
    const ctx = reshape(transpose(matmul(attn, vh), [2, 0, 1, 3]), [L, N, E]);
    let out = this.out_proj.forward(ctx) as Tensor;
    out = !batched ? reshape(out, [L, E]) : this.batchFirst ? transpose(out, [1, 0, 2]) : out;
    if (!needWeights) return [out, null];
    let w = average ? div(sum(attn, [1]), H) : attn;
    if (!batched) w = squeeze(w, [0]);
    return [out, w];
  }

  /** The three in-projection weights [E, E], [E, kdim], [E, vdim] (rows of in_proj_weight when packed). */
  private projWeights(): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const w = this.inProjWeight;
    if (w) return [0, 1, 2].map((i) => slice(w, [i * E, 0], [E, E])) as [Tensor, Tensor, Tensor];
    return [this.qProjWeight!, this.kProjWeight!, this.vProjWeight!];
  }

  /**
   * The additive mask broadcastable to the scores [N, H, L, S'] (S' = S + bias_kv + zero attn), merged as torch 1.13:
   * a bool attnMask or'ed with the padding mask, a float one filled with -inf where a bool padding mask is set.
   */
  private maskFor(
    who: string,
    batched: boolean,
    L: number,
    S: number,
    N: number,
    kpm: Tensor | null,
    am: Tensor | null,
    dtype: DType,
  ): Tensor | null {
    const H = this.numHeads;
    for (const [k, t] of [
      ['keyPaddingMask', kpm],
      ['attnMask', am],
    ] as const)
      if (t !== null && !(t instanceof Tensor))
        throw new ValueError(`${who}: ${k} must be a Tensor or null, got ${describeValue(t)}`);
    const extra = (this.biasK ? 1 : 0) + (this.addZeroAttn ? 1 : 0);
    // masks get False / 0 columns for the bias_k and zero-attention keys, as torch pads them
    const padKeys = (t: Tensor) =>
      extra ? pad(t, [...t.shape.slice(0, -1).map((): [number, number] => [0, 0]), [0, extra]]) : t;
    const asFloat = (t: Tensor) => (t.dtype === dtype ? t : cast(t, dtype));
    const ninf = asTensor(-Infinity, dtype);
    const zero = asTensor(0, dtype);
    let a: Tensor | null = null;
    if (am) {
      const shape3 = batched ? [N * H, L, S] : [H, L, S];
      if (
        am.rank === 2
          ? am.shape[0] !== L || am.shape[1] !== S
          : am.rank !== 3 || am.shape.some((d, i) => d !== shape3[i])
      )
        throw new ShapeError(
          `${who}: attnMask must be [L, S] = ${fmtShape([L, S])} or ${batched ? '[N·numHeads, L, S]' : '[numHeads, L, S]'} = ${fmtShape(shape3)}, got ${fmtShape(am.shape)}`,
        );
      a = padKeys(am);
      if (am.rank === 3) a = reshape(a, [N, H, L, S + extra]);
    }
    let k: Tensor | null = null;
    if (kpm) {
      if (
        kpm.rank !== (batched ? 2 : 1) ||
        kpm.shape[0] !== (batched ? N : S) ||
        (batched && kpm.shape[1] !== S)
      )
        throw new ShapeError(
          `${who}: keyPaddingMask must be ${batched ? `[N, S] = ${fmtShape([N, S])}` : `[S] = ${fmtShape([S])}`}, got ${fmtShape(kpm.shape)}`,
        );
      k = reshape(padKeys(kpm), [N, 1, 1, S + extra]);
    }
    if (!a) return k === null ? null : isBool(k) ? where(k, ninf, zero) : asFloat(k);
    if (isBool(a)) {
      const m = where(a, ninf, zero);
      // NOTE: torch or's a float padding mask into a bool attnMask: any nonzero entry masks its key
      return k === null ? m : add(m, where(notEqual(k, 0), ninf, zero));
    }
    if (k === null) return asFloat(a);
    if (!isBool(k))
      throw new ValueError(
        `${who}: a float keyPaddingMask cannot be merged with a float attnMask (PyTorch 1.13's masked_fill needs a bool mask); pass an int32 (bool) keyPaddingMask`,
      );
    return where(k, ninf, asFloat(a));
  }
}
