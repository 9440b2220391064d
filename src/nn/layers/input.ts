// InputLayer and `tg.input`: the entry points of functional models.
import { ValueError } from '../../core/errors.js';
import type { DType } from '../../core/dtype.js';
import { Layer, type LayerIO, type ShapeWithBatch, uniqueName } from '../layer.js';
import { type GraphNode, SymbolicTensor } from '../symbolic.js';

export class InputLayer extends Layer {
  static override className = 'InputLayer';
  readonly output: SymbolicTensor;
  constructor(args: {
    shape?: (number | null)[];
    batchShape?: ShapeWithBatch;
    name?: string;
    dtype?: DType;
    sparse?: boolean;
  }) {
    const batchShape = args.batchShape ?? (args.shape ? [null, ...args.shape] : undefined);
    if (!batchShape)
      throw new ValueError(
        'input: give a shape (without the batch axis), e.g. tg.input({shape: [28, 28, 1]})',
      );
    // NOTE: Keras 2 names inputs input_1, input_2, ... (one-based).
    super({ name: args.name ?? uniqueName('input', false), batchInputShape: batchShape, dtype: args.dtype });
    this.built = true;
    const node: GraphNode = { layer: this, inputs: [], kwargs: {}, outputs: [] };
    this.output = new SymbolicTensor(batchShape, args.dtype ?? 'float32', node, 0, this.name);
    node.outputs = [this.output];
  }
  call(x: LayerIO): LayerIO {
    return x;
  }
  override getConfig(): Record<string, unknown> {
    return { batch_input_shape: this.batchInputShape, dtype: this.dtype, name: this.name, sparse: false };
  }
}

/** A symbolic model input (TF.js `tf.input`): `shape` excludes the batch axis. */
export function input(args: {
  shape?: (number | null)[];
  batchShape?: ShapeWithBatch;
  name?: string;
  dtype?: DType;
}): SymbolicTensor {
  return new InputLayer(args).output;
}
