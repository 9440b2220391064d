// The operator table of the ONNX importer: every supported op_type → its implementation, and the load-time check
// that refuses an unsupported operator or attribute by name before anything runs.
import { einsumOps } from './ops-einsum.js';
import { extraOps } from './ops-extra.js';
import { mathOps } from './ops-math.js';
import { nnOps } from './ops-nn.js';
import { resizeOps } from './ops-resize.js';
import { rnnOps } from './ops-rnn.js';
import { scatterOps } from './ops-scatter.js';
import { shapeOps } from './ops-shape.js';
import { topkOps } from './ops-topk.js';
import type { OnnxNodeSpec } from './graph.js';
import { OnnxUnsupportedError, type OpDef, where } from './op-types.js';

export const ONNX_OPS: Record<string, OpDef> = {
  ...mathOps,
  ...nnOps,
  ...shapeOps,
  ...rnnOps,
  ...extraOps,
  ...resizeOps,
  ...scatterOps,
  ...einsumOps,
  ...topkOps,
};

/** Every operator the importer runs, sorted. */
export const supportedOperators = (): string[] => Object.keys(ONNX_OPS).sort();

/** The implementation of a node, or an OnnxUnsupportedError naming the operator, the node and what is supported. */
export function opFor(node: OnnxNodeSpec, opset: number): OpDef {
  const def = Object.prototype.hasOwnProperty.call(ONNX_OPS, node.opType) ? ONNX_OPS[node.opType] : undefined;
  if (!def)
    throw new OnnxUnsupportedError(
      `${where(node)}: operator ${node.opType} is not supported (supported: ${supportedOperators().join(', ')})`,
    );
  if (def.since !== undefined && opset < def.since)
    throw new OnnxUnsupportedError(
      `${where(node)}: ${node.opType} needs opset ${def.since} or later, the model has ${opset}`,
    );
  for (const a of node.attrs.keys())
    if (!def.attrs.includes(a))
      throw new OnnxUnsupportedError(
        `${where(node)}: attribute '${a}' is not supported (${node.opType} supports: ${def.attrs.join(', ') || 'no attributes'})`,
      );
  return def;
}
