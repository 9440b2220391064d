// Keras Embedding: integer indices → rows of an [inputDim, outputDim] table, gathered with `take`.
import { ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import { Tensor } from '../../../core/tensor.js';
import { add, cast, mul, notEqual } from '../../../ops/elementwise/builders.js';
import { reshape } from '../../../ops/movement/builders.js';
import { take } from '../../../ops/network/builders.js';
import type { InitializerSpec } from '../../initializers.js';
import { Layer, type LayerArgs, layerOptions } from '../../layer.js';
import { setMask } from '../mask.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

/** Embedding's regularizer options (Keras `embeddings_regularizer`, `activity_regularizer`). */
const EMBEDDING_REGS = regularizerKeys('embeddingsRegularizer', 'activityRegularizer');

/**
 * Flat indices into a row-major [rows, dim] table for each index of `x`: out[i·dim + j] = x[i]·dim + j,
 * shaped [...x.shape, dim]. Errors (naming `who`) on non-integer or out-of-range indices.
 */
export function rowIndices(x: Tensor, rows: number, dim: number, who: string): Tensor {
  const src = x.data;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!Number.isInteger(v) || v < 0 || v >= rows)
      throw new ValueError(
        `${who}: index ${v} at flat position ${i} of input ${fmtShape(x.shape)} is ${Number.isInteger(v) ? 'out of range' : 'not an integer'} (valid: 0 to ${rows - 1})`,
      );
  }
  // NOTE: ops on x, not a tensor made from its numbers, so a trace (ONNX export) gathers by its input
  const cols = new Tensor(
    Int32Array.from({ length: dim }, (_, j) => j),
    [dim],
  );
  return add(mul(reshape(cast(x, 'int32'), [...x.shape, 1]), dim), cols);
}

export interface EmbeddingArgs
  extends LayerArgs, RegularizerArgs<'embeddingsRegularizer' | 'activityRegularizer'> {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: InitializerSpec;
  /** Index 0 is padding: `computeMask` marks it (then inputDim should be vocabulary size + 1). */
  maskZero?: boolean;
  /** Keras 2 `input_length`: the sequence length, used as the input shape when none is given. */
  inputLength?: number;
}

/** Keras Embedding: y[..., :] = embeddings[x[...], :]; weight 'embeddings' [inputDim, outputDim], U(-0.05, 0.05) init. */
export class Embedding extends Layer {
  static override className = 'Embedding';
  /** Makes its own output mask (maskZero) and ignores an input one (Keras compute_mask). */
  static handlesMasks = true;
  static override options = layerOptions<EmbeddingArgs>({
    inputDim: true,
    outputDim: true,
    embeddingsInitializer: true,
    maskZero: true,
    inputLength: true,
    ...EMBEDDING_REGS,
  });
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  embeddings!: Tensor;
  constructor(readonly args: EmbeddingArgs) {
    super(
      args.inputLength && !args.inputShape && !args.batchInputShape
        ? { ...args, inputShape: [args.inputLength] }
        : args,
    );
    for (const k of ['inputDim', 'outputDim'] as const)
      if (!Number.isInteger(args[k]) || args[k] < 1)
        throw new ValueError(`Embedding: ${k} must be a positive integer, got ${args[k]}`);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    setupRegularizers(this, args, EMBEDDING_REGS);
  }
  override build(_s: Shape): void {
    this.embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      this.args.embeddingsInitializer ?? 'randomUniform',
    );
  }
  call(x: Tensor): Tensor {
    return this.withMask(
      x,
      take(this.embeddings, rowIndices(x, this.inputDim, this.outputDim, `${this.name} (Embedding)`)),
    );
  }
  /** With maskZero the output `y` carries the mask of `x`: recurrent layers after it skip the padding (mask.ts). */
  protected withMask(x: Tensor, y: Tensor): Tensor {
    if (this.maskZero) setMask(y, cast(notEqual(x, 0), 'float32'), `${this.name} (Embedding with maskZero)`);
    return y;
  }
  /** Keras compute_mask: 1 where the index is not 0 (int32, the input's shape), or null without maskZero. */
  computeMask(x: Tensor): Tensor | null {
    return this.maskZero ? notEqual(x, 0) : null;
  }
  override paramFormula(): string {
    return `${this.inputDim.toLocaleString('en-US')}·${this.outputDim.toLocaleString('en-US')} = ${(this.inputDim * this.outputDim).toLocaleString('en-US')}`;
  }
  override getConfig() {
    const c: Record<string, unknown> = {
      ...super.getConfig(),
      input_dim: this.inputDim,
      output_dim: this.outputDim,
      mask_zero: this.maskZero,
      ...regularizerConfig(this),
    };
    if (this.args.inputLength !== undefined) c.input_length = this.args.inputLength;
    return c;
  }
}

export const embeddingFactories = {
  embedding: (a: EmbeddingArgs) => new Embedding(a),
};
