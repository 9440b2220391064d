// Keras MultiHeadAttention (Keras 3 / tf.keras 2.x `layers.MultiHeadAttention`): query/key/value EinsumDense projections
// to numHeads heads, softmax(q·kᵀ/√keyDim + mask) over the keys, and an output projection back to the query's features.
// Called on [query, value] or [query, value, key]; Keras masks on the inputs (Embedding(maskZero), Masking) become an
// attention mask as Keras 3's `_compute_attention_mask` does, and the output carries the query's mask.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import { Tensor, tensor } from '../../../core/tensor.js';
import { softmax } from '../../../ops/composite/activations.js';
import { add, cast, mul, sub } from '../../../ops/elementwise/builders.js';
import { matmul } from '../../../ops/network/builders.js';
import { reshape, transpose } from '../../../ops/movement/builders.js';
import { dropout } from '../../../ops/random-ops.js';
import type { InitializerSpec } from '../../initializers.js';
import { type CallKwargs, Layer, type LayerArgs, type LayerIO, layerOptions } from '../../layer.js';
import { maskEntryOf, setMask } from '../mask.js';

const n = (v: number): string => v.toLocaleString('en-US');
/** Keras's `_large_negative_number` for float32/float64: added to the scores of masked keys. */
const LARGE_NEGATIVE = -1e9;

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  /** Size of each attention head for query and key. */
  keyDim: number;
  /** Size of each attention head for value (default keyDim). */
  valueDim?: number | null;
  /** Dropout on the attention probabilities in training (default 0). */
  dropout?: number;
  useBias?: boolean;
  /** Last axis of the output (default: the query's features); a one-element list is accepted. */
  outputShape?: number | number[] | null;
  /** Only the default (null: attend over the sequence axis) is supported. */
  attentionAxes?: number | number[] | null;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
}

/** Call options of MultiHeadAttention (Keras call arguments). */
const CALL_KEYS = new Set(['training', 'attentionMask', 'useCausalMask', 'returnAttentionScores']);

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** The projections of one input: kernel [features, numHeads, dim], bias [numHeads, dim]. */
interface Projection {
  kernel: Tensor;
  bias: Tensor | null;
}

/**
 * `tg.layers.multiHeadAttention({numHeads, keyDim})`: Keras MultiHeadAttention on [batch, seq, features] inputs.
 * Weights (Keras order and names): query/kernel [Dq, H, K], query/bias [H, K], key/… [Dk, H, K], value/… [Dv, H, V],
 * attention_output/kernel [H, V, O], attention_output/bias [O].
 */
export class MultiHeadAttention extends Layer {
  static override className = 'MultiHeadAttention';
  /** Reads its inputs' Keras masks and sets its output's (the query's) mask itself. */
  static handlesMasks = true;
  static override options = layerOptions<MultiHeadAttentionArgs>({
    numHeads: true,
    keyDim: true,
    valueDim: true,
    dropout: true,
    useBias: true,
    outputShape: true,
    attentionAxes: true,
    kernelInitializer: true,
    biasInitializer: true,
  });
  static override required = ['numHeads', 'keyDim'];
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly rate: number;
  readonly useBias: boolean;
  readonly outDim: number | null;
  query!: Projection;
  key!: Projection;
  value!: Projection;
  output!: Projection;
  constructor(private args: MultiHeadAttentionArgs) {
    super(args);
    const who = 'MultiHeadAttention';
    if (!positiveInt(args.numHeads))
      throw new ValueError(`${who}: numHeads must be a positive integer, got ${String(args.numHeads)}`);
    if (!positiveInt(args.keyDim))
      throw new ValueError(`${who}: keyDim must be a positive integer, got ${String(args.keyDim)}`);
    if (args.valueDim != null && !positiveInt(args.valueDim))
      throw new ValueError(`${who}: valueDim must be a positive integer, got ${String(args.valueDim)}`);
    const rate = args.dropout ?? 0;
    if (!(typeof rate === 'number' && rate >= 0 && rate < 1))
      throw new ValueError(`${who}: dropout must be in [0, 1), got ${String(rate)}`);
    // NOTE: attention over other axes (or several) is Keras's einsum generalisation; only the default is built here.
    if (args.attentionAxes != null)
      throw new ValueError(
        `${who}: attentionAxes ${JSON.stringify(args.attentionAxes)} is not supported; only the default (null: attend over the sequence axis of [batch, seq, features] inputs)`,
      );
    const os = args.outputShape;
    const out = Array.isArray(os) && os.length === 1 ? os[0] : os;
    if (out != null && !positiveInt(out))
      throw new ValueError(
        `${who}: outputShape must be a positive integer (or a one-element list), got ${JSON.stringify(os)}`,
      );
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.rate = rate;
    this.useBias = args.useBias ?? true;
    this.outDim = out ?? null;
  }

  override build(s: Shape | Shape[]): void {
    const shapes = this.inputShapes(s);
    const [q, v, k] = shapes;
    const H = this.numHeads;
    const kInit = this.args.kernelInitializer ?? 'glorotUniform';
    const bInit = this.args.biasInitializer ?? 'zeros';
    const proj = (name: string, inDim: number, dim: number): Projection => ({
      kernel: this.addWeight(`${name}/kernel`, [inDim, H, dim], kInit),
      bias: this.useBias ? this.addWeight(`${name}/bias`, [H, dim], bInit) : null,
    });
    this.query = proj('query', q[2], this.keyDim);
    this.key = proj('key', k[2], this.keyDim);
    this.value = proj('value', v[2], this.valueDim);
    const O = this.outDim ?? q[2];
    this.output = {
      kernel: this.addWeight('attention_output/kernel', [H, this.valueDim, O], kInit),
      bias: this.useBias ? this.addWeight('attention_output/bias', [O], bInit) : null,
    };
  }

  /** [query, value, key] shapes (key defaults to value), each [batch, seq, features]. */
  private inputShapes(s: Shape | Shape[]): [Shape, Shape, Shape] {
    const who = `${this.name} (MultiHeadAttention)`;
    const list = Array.isArray(s[0]) ? (s as Shape[]) : null;
    if (!list || list.length < 2 || list.length > 3)
      throw new ValueError(
        `${who}: expects a list [query, value] or [query, value, key], got ${list ? `${list.length} inputs` : `a single input ${fmtShape(s as Shape)}`}`,
      );
    for (const [i, t] of list.entries())
      if (t.length !== 3)
        throw new ShapeError(
          `${who}: ${['query', 'value', 'key'][i]} must be [batch, seq, features] (other ranks need attentionAxes, which is not supported), got ${fmtShape(t)}`,
        );
    const [q, v, k = v] = list;
    if (k[1] !== v[1] || k[0] !== v[0])
      throw new ShapeError(
        `${who}: key ${fmtShape(k)} and value ${fmtShape(v)} must have the same batch and sequence length`,
      );
    if (q[0] !== v[0])
      throw new ShapeError(`${who}: query ${fmtShape(q)} and value ${fmtShape(v)} must share the batch size`);
    return [q, v, k];
  }

  /** x [B, T, D] · kernel [D, H, d] + bias → [B, H, T, d]. */
  private project(x: Tensor, p: Projection, which: string): Tensor {
    const [D, H, d] = p.kernel.shape;
    if (x.shape[2] !== D)
      throw new ShapeError(
        `${this.name} (MultiHeadAttention): ${which} has ${x.shape[2]} features but the layer was built for ${D} (input ${fmtShape(x.shape)})`,
      );
    let y = matmul(reshape(x, [-1, D]), reshape(p.kernel, [D, H * d]));
    if (p.bias) y = add(y, reshape(p.bias, [H * d]));
    return transpose(reshape(y, [x.shape[0], x.shape[1], H, d]), [0, 2, 1, 3]);
  }

  call(inputs: LayerIO, kw: CallKwargs = {}): LayerIO {
    const who = `${this.name} (MultiHeadAttention)`;
    for (const k of Object.keys(kw))
      if (!CALL_KEYS.has(k))
        throw new ValueError(`${who}: unknown call option '${k}' (expected ${[...CALL_KEYS].join(', ')})`);
    const list = Array.isArray(inputs) ? inputs : [inputs];
    this.inputShapes(list.map((t) => t.shape));
    const [query, value, key = value] = list;
    const B = query.shape[0];
    const T = query.shape[1];
    const mask = this.attentionMask(query, value, key, list.length === 3, kw);
    // Keras scales the projected query by 1/√keyDim before the dot product.
    const q = mul(this.project(query, this.query, 'query'), 1 / Math.sqrt(this.keyDim));
    const k = this.project(key, this.key, 'key');
    const v = this.project(value, this.value, 'value');
    let scores = matmul(q, k, { transB: true }); // [B, H, T, S]
    if (mask) {
      const [mb, mt, ms] = mask.shape; // [B or 1, T or 1, S or 1]: broadcast over the heads
      scores = add(scores, mul(sub(1, reshape(mask, [mb, 1, mt, ms])), LARGE_NEGATIVE));
    }
    const probs = softmax(scores, -1);
    const dropped = dropout(probs, this.rate, { training: kw.training === true });
    const ctx = transpose(matmul(dropped, v), [0, 2, 1, 3]); // [B, T, H, V]
    const [H, V, O] = this.output.kernel.shape;
    let y = matmul(reshape(ctx, [B * T, H * V]), reshape(this.output.kernel, [H * V, O]));
    if (this.output.bias) y = add(y, this.output.bias);
    y = reshape(y, [B, T, O]);
    const qMask = maskEntryOf(query);
    if (qMask) setMask(y, qMask.mask, `${qMask.source}, passed on by ${this.name} (MultiHeadAttention)`);
    return kw.returnAttentionScores === true ? [y, probs] : y;
  }

  /**
   * Keras 3 `_compute_attention_mask`: the AND of the query's mask [B, T, 1], the value's and key's masks [B, 1, S],
   * `attentionMask` [B, T, S] (1 = attend) and the causal mask (key j ≤ query i); null when there is none.
   */
  private attentionMask(
    query: Tensor,
    value: Tensor,
    key: Tensor,
    hasKey: boolean,
    kw: CallKwargs,
  ): Tensor | null {
    const who = `${this.name} (MultiHeadAttention)`;
    const [B, T] = query.shape;
    const S = value.shape[1];
    const parts: Tensor[] = [];
    const qm = maskEntryOf(query)?.mask;
    if (qm) parts.push(reshape(cast(qm, query.dtype), [B, T, 1]));
    const vm = maskEntryOf(value)?.mask;
    if (vm) parts.push(reshape(cast(vm, query.dtype), [B, 1, S]));
    const km = hasKey ? maskEntryOf(key)?.mask : undefined;
    if (km) parts.push(reshape(cast(km, query.dtype), [B, 1, S]));
    const am = kw.attentionMask;
    if (am != null) {
      if (!(am instanceof Tensor))
        throw new ValueError(`${who}: attentionMask must be a tensor [batch, ${T}, ${S}] (1 = attend)`);
      const ok =
        am.rank === 3 && am.shape[1] === T && am.shape[2] === S && (am.shape[0] === B || am.shape[0] === 1);
      if (!ok)
        throw new ShapeError(
          `${who}: attentionMask must be [batch, query steps, value steps] = ${fmtShape([B, T, S])}, got ${fmtShape(am.shape)}`,
        );
      parts.push(cast(am, query.dtype));
    }
    if (kw.useCausalMask != null && typeof kw.useCausalMask !== 'boolean')
      throw new ValueError(`${who}: useCausalMask must be true or false, got ${String(kw.useCausalMask)}`);
    if (kw.useCausalMask === true) {
      // NOTE: a constant built from the shapes: query step i attends to key steps j ≤ i (Keras's lower triangle).
      const tri = Array.from({ length: T * S }, (_, i) => (i % S <= Math.floor(i / S) ? 1 : 0));
      parts.push(tensor(tri, [1, T, S], { dtype: query.dtype }));
    }
    if (!parts.length) return null;
    return parts.slice(1).reduce((acc, m) => mul(acc, m), parts[0]);
  }

  override paramFormula(): string {
    const H = this.numHeads;
    const b = this.useBias ? 1 : 0;
    const part = (p: Projection) => {
      const [D, , d] = p.kernel.shape;
      return `(${n(D)}+${b})·${n(H)}·${n(d)}`;
    };
    const O = this.output.kernel.shape[2];
    return `${part(this.query)} + ${part(this.key)} + ${part(this.value)} + ${n(H)}·${n(this.valueDim)}·${n(O)}${b ? `+${n(O)}` : ''} = ${n(this.countParams())}`;
  }

  override getConfig() {
    return {
      ...super.getConfig(),
      num_heads: this.numHeads,
      key_dim: this.keyDim,
      value_dim: this.valueDim,
      dropout: this.rate,
      use_bias: this.useBias,
      output_shape: this.outDim,
      attention_axes: null,
    };
  }
}

export const attentionFactories = {
  multiHeadAttention: (a: MultiHeadAttentionArgs) => new MultiHeadAttention(a),
};
