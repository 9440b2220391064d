// Symbolic tensors for the functional API: `tg.input` makes one; a layer applied to symbolic inputs
// records a graph node and infers the output shape by running itself once on zeros (batch 1).
import { ShapeError } from '../core/errors.js';
import { Tensor, zeros } from '../core/tensor.js';
import type { CallKwargs, Layer, LayerIO, ShapeWithBatch } from './layer.js';
import { inferShapes } from './shape-inference.js';

let nextId = 1;

/** One application of a layer in a graph. */
export interface GraphNode {
  layer: Layer;
  inputs: SymbolicTensor[];
  kwargs: CallKwargs;
  outputs: SymbolicTensor[];
}

export class SymbolicTensor {
  readonly id = nextId++;
  constructor(
    /** Batch axis first; null where unknown. */
    readonly shape: ShapeWithBatch,
    readonly dtype: Tensor['dtype'],
    /** The node that produced it (null for a model input). */
    readonly node: GraphNode | null,
    readonly outputIndex = 0,
    readonly name?: string,
  ) {}
  get rank(): number {
    return this.shape.length;
  }
}

/** A concrete stand-in: zeros with every unknown axis set to 1. */
export const sampleFor = (s: SymbolicTensor): Tensor =>
  zeros(
    s.shape.map((d) => d ?? 1),
    { dtype: s.dtype },
  );

export function applySymbolic(
  layer: Layer,
  inputs: SymbolicTensor | SymbolicTensor[],
  kwargs: CallKwargs,
): SymbolicTensor | SymbolicTensor[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.every((t) => t instanceof SymbolicTensor))
    throw new ShapeError(`${layer.name}: cannot mix symbolic inputs (from tg.input) with concrete tensors`);
  const sample = Array.isArray(inputs) ? list.map(sampleFor) : sampleFor(inputs);
  const wasTraining = layer.training;
  const out = inferShapes(() => {
    try {
      layer.training = false;
      return layer.apply(sample, { ...kwargs, training: false }) as LayerIO;
    } finally {
      layer.training = wasTraining;
    }
  });
  const outs = Array.isArray(out) ? out : [out];
  const node: GraphNode = { layer, inputs: list, kwargs, outputs: [] };
  node.outputs = outs.map((t, i) => new SymbolicTensor([null, ...t.shape.slice(1)], t.dtype, node, i));
  return Array.isArray(out) ? node.outputs : node.outputs[0];
}
