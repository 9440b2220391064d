// InputLayer and `tg.input`: the entry points of functional models.
import { ValueError } from '../../../core/errors.js';
import { checkOptions } from '../../../core/options.js';
import type { DType } from '../../../core/dtype.js';
import { Layer, type LayerIO, type ShapeWithBatch, uniqueName } from '../../layer.js';
import { type GraphNode, SymbolicTensor } from '../../symbolic.js';

export interface InputArgs {
  /** Shape without the batch axis (TF.js `inputShape` is the same). */
  shape?: (number | null)[];
  inputShape?: (number | null)[];
  /** Shape with the batch axis first (TF.js `batchInputShape` is the same). */
  batchShape?: ShapeWithBatch;
  batchInputShape?: ShapeWithBatch;
  /** The batch size that goes with `shape` (default: any). */
  batchSize?: number;
  name?: string;
  dtype?: DType;
  /** Only false: inputs are dense. */
  sparse?: boolean;
}
const INPUT_OPTIONS = Object.keys({
  shape: true,
  inputShape: true,
  batchShape: true,
  batchInputShape: true,
  batchSize: true,
  name: true,
  dtype: true,
  sparse: true,
} satisfies { [K in keyof InputArgs]-?: true });

export class InputLayer extends Layer {
  static override className = 'InputLayer';
  readonly output: SymbolicTensor;
  constructor(args: InputArgs) {
    checkOptions('InputLayer', args, INPUT_OPTIONS);
    if (args.sparse)
      throw new ValueError('InputLayer: sparse: true is not supported (inputs are dense tensors)');
    const shape = args.shape ?? args.inputShape;
    const given = args.batchShape ?? args.batchInputShape;
    if (given && shape)
      throw new ValueError(
        'InputLayer: give shape (without the batch axis) or batchShape (with it), not both',
      );
    const batchShape = given ?? (shape ? [args.batchSize ?? null, ...shape] : undefined);
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
export function input(args: InputArgs): SymbolicTensor {
  return new InputLayer(args).output;
}
