// Symbolic tensors for the functional API: `tg.input` makes one; a layer applied to symbolic inputs
// records a graph node and infers the output shape by running itself once on zeros (batch 1).
import { ShapeError, ValueError } from '../core/errors.js';
import { Tensor, ones, zeros } from '../core/tensor.js';
import type { CallKwargs, Layer, LayerIO, ShapeWithBatch } from './layer.js';
import { maskEntryOf, propagateMask, setMask } from './keras/mask.js';
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
  /** The mask this tensor will carry (Masking / Embedding(maskZero) upstream): its shape and maker; else null. */
  mask: { shape: ShapeWithBatch; source: string } | null = null;
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

const holdsSymbolic = (v: unknown): boolean =>
  v instanceof SymbolicTensor || (Array.isArray(v) && v.some((t) => t instanceof SymbolicTensor));

export function applySymbolic(
  layer: Layer,
  inputs: SymbolicTensor | SymbolicTensor[],
  kwargs: CallKwargs,
): SymbolicTensor | SymbolicTensor[] {
  const { initialState, ...rest } = kwargs;
  // Keras/TF.js: symbolic initial states (an encoder's returned states) become inputs of the node, as in the
  // list form `apply([x, h, c])`, so they are fed at run time with the real batch
  if (holdsSymbolic(initialState)) {
    if (Array.isArray(inputs))
      throw new ValueError(
        `${layer.name} (${layer.className}): give the initial states either after the input in a list or as initialState, not both`,
      );
    const states = (Array.isArray(initialState) ? initialState : [initialState]) as SymbolicTensor[];
    return applySymbolic(layer, [inputs, ...states], rest);
  }
  for (const [k, v] of Object.entries(kwargs))
    if (holdsSymbolic(v))
      throw new ValueError(
        `${layer.name} (${layer.className}): the call option '${k}' is a symbolic tensor; a graph takes symbolic tensors as layer inputs (and initialState) only`,
      );
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.every((t) => t instanceof SymbolicTensor))
    throw new ShapeError(`${layer.name}: cannot mix symbolic inputs (from tg.input) with concrete tensors`);
  const samples = list.map(sampleFor);
  list.forEach((s, i) => {
    if (s.mask) setMask(samples[i], ones(s.mask.shape.map((d) => d ?? 1)), s.mask.source);
  });
  const sample = Array.isArray(inputs) ? samples : samples[0];
  const wasTraining = layer.training;
  const out = inferShapes(() => {
    try {
      layer.training = false;
      const y = layer.apply(sample, { ...kwargs, training: false }) as LayerIO;
      // a layer that would get a mask it cannot use is refused here, as Keras refuses it when the graph is built
      return propagateMask(layer, sample, y);
    } finally {
      layer.training = wasTraining;
    }
  });
  const outs = Array.isArray(out) ? out : [out];
  const node: GraphNode = { layer, inputs: list, kwargs, outputs: [] };
  node.outputs = outs.map((t, i) => {
    const s = new SymbolicTensor([null, ...t.shape.slice(1)], t.dtype, node, i);
    const m = maskEntryOf(t);
    if (m) s.mask = { shape: [null, ...m.mask.shape.slice(1)], source: m.source };
    return s;
  });
  return Array.isArray(out) ? node.outputs : node.outputs[0];
}
