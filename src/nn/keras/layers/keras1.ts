// Keras 1 layers with no Keras 2 counterpart, for importing Keras 1 models: Merge(mode='cos'), BatchNormalization
// mode 1 (per-sample) and mode 2 (batch statistics at train and test time), and Embedding with row dropout.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import { Tensor } from '../../../core/tensor.js';
import { add, div, maximum, mul, sqrt, sub } from '../../../ops/elementwise/builders.js';
import { mean, sum, variance } from '../../../ops/reduce/builders.js';
import { dropout } from '../../../ops/random-ops.js';
import { take } from '../../../ops/network/builders.js';
import { type CallKwargs, type LayerArgs, type LayerIO, Layer } from '../../layer.js';
import { Embedding, type EmbeddingArgs, rowIndices } from './embedding.js';
import { BatchNormalization, type BatchNormalizationArgs, positiveAxis } from './normalization.js';
import { batchNormTraining, broadcastParam } from '../../../ops/composite/batch-norm.js';

/** Keras 1's K.epsilon() (`_EPSILON = 10e-8`). */
export const KERAS1_EPSILON = 1e-7;

/**
 * Keras 1 `Merge(mode='cos')` of two [batch, n] tensors: cos = ⟨a, b⟩ / max(√(⟨a, a⟩·⟨b, b⟩), 1e-7), shape
 * [batch, 1]. NOTE: Keras 1.2's tensor carried an extra unit axis ([batch, 1, 1]) that its own shape inference
 * ([batch, 1]) did not; the values are the same, and [batch, 1] is what the layers after it were built for.
 */
export class CosineMerge extends Layer {
  static override className = 'Merge';
  constructor(args: LayerArgs = {}) {
    super(args);
  }
  call(inputs: LayerIO): Tensor {
    const who = `${this.name} (Merge, mode 'cos')`;
    if (!Array.isArray(inputs) || inputs.length !== 2 || inputs.some((t) => !(t instanceof Tensor)))
      throw new ValueError(`${who}: expects a list of exactly 2 tensors`);
    const [a, b] = inputs as Tensor[];
    if (a.rank !== 2 || b.rank !== 2 || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1])
      throw new ShapeError(
        `${who}: expects two [batch, n] inputs of the same shape, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
      );
    const dot = (x: Tensor, y: Tensor) => sum(mul(x, y), [1], true);
    return div(dot(a, b), maximum(sqrt(mul(dot(a, a), dot(b, b))), KERAS1_EPSILON));
  }
}

/**
 * Keras 1 BatchNormalization with `mode` 1 or 2 (mode 0 is Keras 2's layer). Same four weights (gamma, beta,
 * running mean, running variance — Keras 1's `running_std` held the variance), which these modes never use.
 * - mode 1, per sample over the last axis: y = γ·(x − μ)/(√(σ² + ε) + ε) + β.
 * - mode 2, batch statistics in training and inference: y = γ·(x − μ_B)/√(σ²_B + ε) + β, running stats untouched.
 */
export class Keras1BatchNormalization extends BatchNormalization {
  static override className = 'BatchNormalization';
  readonly mode: 1 | 2;
  constructor(args: BatchNormalizationArgs & { mode: 1 | 2 }) {
    const { mode, ...rest } = args;
    super(rest);
    this.mode = mode;
  }
  override call(x: Tensor): Tensor {
    const a = positiveAxis(
      this.axis,
      x.rank,
      `${this.name} (BatchNormalization, mode ${this.mode})`,
      x.shape,
    );
    if (this.mode === 1 && a !== x.rank - 1)
      throw new ValueError(
        `${this.name} (BatchNormalization, mode 1): Keras 1 normalizes each sample over the last axis, so axis must be -1 (got ${this.axis} for an input ${fmtShape(x.shape)})`,
      );
    const bp = (p: Tensor | null) => (p ? broadcastParam(p, x.shape, [a]) : null);
    if (this.mode === 2) return batchNormTraining(x, this.beta, this.gamma, this.epsilon, a).y;
    const mu = mean(x, [a], true);
    const sd = add(sqrt(add(variance(x, [a], true), this.epsilon)), this.epsilon);
    let y = div(sub(x, mu), sd);
    if (this.gamma) y = mul(y, bp(this.gamma)!);
    return this.beta ? add(y, bp(this.beta)!) : y;
  }
  override getConfig() {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/**
 * Keras 1 Embedding with `dropout`: in training each row of the table is kept with probability 1 − rate and scaled
 * by 1/(1 − rate) (the same rows for the whole batch), W' = W · B/(1 − rate), B ~ Bernoulli(1 − rate) per row;
 * inference uses W.
 */
export class Keras1Embedding extends Embedding {
  static override className = 'Embedding';
  readonly dropoutRate: number;
  constructor(args: EmbeddingArgs & { dropout: number }) {
    const { dropout: rate, ...rest } = args;
    super(rest);
    if (!(rate >= 0 && rate < 1))
      throw new ValueError(`Embedding (Keras 1): dropout must be in [0, 1), got ${rate}`);
    this.dropoutRate = rate;
  }
  override call(x: Tensor, kw: CallKwargs = {}): Tensor {
    if (!kw.training || this.dropoutRate === 0) return super.call(x);
    const w = dropout(this.embeddings, this.dropoutRate, {
      training: true,
      noiseShape: [this.inputDim, 1],
    });
    return this.withMask(
      x,
      take(w, rowIndices(x, this.inputDim, this.outputDim, `${this.name} (Embedding)`)),
    );
  }
  override getConfig() {
    return { ...super.getConfig(), dropout: this.dropoutRate };
  }
}
