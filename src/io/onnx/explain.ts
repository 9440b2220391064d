// explain() for the nodes of an imported ONNX model: a Conv, MaxPool/AveragePool or Gemm/MatMul node becomes the
// equivalent op spec (NCHW, its weights' shapes, its real pads), explained on the input shape the node sees.
import { ValueError } from '../../core/errors.js';
import { explain, type ExplainOptions } from '../../debug/explain.js';
import type { OpSpec } from '../../debug/explain-targets.js';
import { noGrad } from '../../core/tape.js';
import type { Tensor } from '../../core/tensor.js';
import type { OnnxModel, OnnxNode } from './model.js';
import { Attrs, type OpContext, unsupported } from './op-types.js';
import { windowOf } from './ops-nn.js';

const EXPLAINABLE = ['Conv', 'MaxPool', 'AveragePool', 'Gemm', 'MatMul'];

/** The input tensor a node receives when the model runs on its sample input (symbolic dims = 1). */
function sampleInputOf(m: OnnxModel, node: OnnxNode): Tensor {
  let seen: Tensor | null = null;
  const off = node.registerForwardPreHook((_l, x) => void (seen ??= Array.isArray(x) ? x[0] : x));
  try {
    noGrad(() => m.apply(m.sampleInputs(1), { training: false }));
  } finally {
    off();
  }
  if (!seen) throw new ValueError(`onnx explain: node '${node.name}' did not run`);
  return seen;
}

/** The op spec and input shape `explain` needs for an ONNX node. */
export function nodeSpec(m: OnnxModel, name: string): { spec: OpSpec; inputShape: number[] } {
  const node = m.layers.find((l) => l.name === name);
  if (!node)
    throw new ValueError(
      `onnx explain: no node named '${name}' (nodes: ${m.layers.map((l) => l.name).join(', ')})`,
    );
  const n = node.spec;
  const c: OpContext = {
    node: n,
    opset: node.opset,
    attrs: new Attrs(n, n.attrs),
    training: false,
    inTypes: node.inTypes,
  };
  const x = sampleInputOf(m, node);
  const slot = (i: number) => (node.slots[i]?.kind === 'fixed' ? (node.slots[i] as { t: Tensor }).t : null);
  const inputShape = [...x.shape];
  if (n.opType === 'Conv' && x.rank === 4) {
    const w = slot(1);
    if (!w)
      return unsupported(
        n,
        'explaining a Conv whose weight is computed',
        'a Conv with an initializer weight',
      );
    const win = windowOf(c, x, c.attrs.ints('kernel_shape') ?? w.shape.slice(2));
    return {
      spec: {
        op: 'conv2d',
        kernel: w.shape,
        stride: win.s,
        dilation: win.d,
        padding: win.pads,
        groups: c.attrs.int('group', 1),
        dataFormat: 'NCHW',
        bias: !!n.inputs[2],
      },
      inputShape,
    };
  }
  if ((n.opType === 'MaxPool' || n.opType === 'AveragePool') && x.rank === 4) {
    const kernel = c.attrs.ints('kernel_shape') ?? [];
    // the pads as given (ceil_mode's extra is the op's own ceilMode), dilations, count_include_pad
    const win = windowOf(c, x, kernel);
    const ceil = c.attrs.int('ceil_mode', 0) === 1;
    const max = n.opType === 'MaxPool';
    return {
      spec: {
        op: max ? 'maxPool2d' : 'avgPool2d',
        kernelSize: win.k,
        stride: win.s,
        padding: win.pads,
        dataFormat: 'NCHW',
        dilation: win.d,
        ...(!max && { countIncludePad: c.attrs.int('count_include_pad', 0) === 1 }),
        ...(ceil && { ceilMode: true }),
      },
      inputShape,
    };
  }
  const w = slot(1);
  if (n.opType === 'Gemm' && w && x.rank === 2 && c.attrs.int('transA', 0) === 0)
    return {
      spec: { op: 'dense', units: c.attrs.int('transB', 0) ? w.shape[0] : w.shape[1], bias: !!n.inputs[2] },
      inputShape,
    };
  if (n.opType === 'MatMul' && w && w.rank === 2 && x.rank === 2)
    return { spec: { op: 'dense', units: w.shape[1], bias: false }, inputShape };
  return unsupported(
    n,
    `explaining ${n.opType} on input [${inputShape}]`,
    `${EXPLAINABLE.join(', ')} (2-D windows, matrix weights)`,
  );
}

/**
 * explain() an ONNX node: the formula, output size and padding arithmetic, parameter count, and the primitives the
 * forward (and backward) run, on the input shape the node sees in the model.
 * @example console.log(tg.onnx.explainNode(m, '/conv1/Conv', { backward: true }));
 */
export function explainNode(m: OnnxModel, name: string, opts: ExplainOptions = {}): string {
  const { spec, inputShape } = nodeSpec(m, name);
  return explain(spec, inputShape, opts);
}
