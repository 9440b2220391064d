// ONNX index-tuple and scatter operators: GatherND, ScatterND, ScatterElements (and its opset-9 name Scatter), over
// the compositions of src/ops/composite/scatter-nd.ts (tg.gatherND's), with the node named in their errors and
// negative indices counted from the end (ONNX's rule).
import { ShapeError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import {
  type IndexTuples,
  type ScatterReduction,
  checkIndex,
  elementOffsets,
  flatOf,
  gatherNDAt,
  scatterReduce,
  strides,
  tupleOffsets,
} from '../../ops/composite/scatter-nd.js';
import { normAx } from './ops-shape.js';
import { type OpContext, type OpDef, need, unsupported, where as at } from './op-types.js';

export { elementOffsets, strides };

/** The indices as numbers; refused while ops are traced (export) unless they are constants of the graph. */
function indexValues(idx: Tensor, c: OpContext): IndexTuples {
  if (hasOpListeners() && !c.staticInputs?.[1])
    unsupported(
      c.node,
      'indices computed from a graph input while ops are traced (export)',
      'constant indices',
    );
  return { values: idx.raw, shape: idx.shape, negative: true };
}

function reduction(c: OpContext): ScatterReduction {
  const red = c.attrs.str('reduction', 'none');
  if (!['none', 'add', 'mul', 'max', 'min'].includes(red))
    unsupported(c.node, `reduction='${red}'`, "'none', 'add', 'mul', 'max', 'min'");
  return red as ScatterReduction;
}

function gatherND(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const idx = need(ins, 1, c.node, 'indices');
  return gatherNDAt(at(c.node), x, indexValues(idx, c), c.attrs.int('batch_dims', 0));
}

function scatterND(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const { offs, inner } = tupleOffsets(at(c.node), x.shape, indexValues(need(ins, 1, c.node, 'indices'), c));
  const red = reduction(c);
  return scatterReduce(at(c.node), x, need(ins, 2, c.node, 'updates'), flatOf(offs, inner), red);
}

/** ScatterElements: updates[i…] goes to data[i… with i_axis replaced by indices[i…]]. */
function scatterElements(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'data');
  const idx = need(ins, 1, c.node, 'indices');
  const upd = need(ins, 2, c.node, 'updates');
  const a = normAx(c.attrs.int('axis', 0), x.rank, c);
  if (idx.rank !== x.rank || idx.shape.some((d, i) => d !== upd.shape[i] || (i !== a && d > x.shape[i])))
    throw new ShapeError(
      `${at(c.node)}: indices ${fmtShape(idx.shape)} and updates ${fmtShape(upd.shape)} must match and fit in data ${fmtShape(x.shape)}`,
    );
  const v = indexValues(idx, c).values;
  const flat = elementOffsets(idx.shape, strides(x.shape), a, (f) =>
    checkIndex(v[f], x.shape[a], `axis ${a}`, at(c.node), true),
  );
  return scatterReduce(at(c.node), x, upd, flat, reduction(c));
}

export const scatterOps: Record<string, OpDef> = {
  GatherND: { attrs: ['batch_dims'], valueInputs: [1], run: (ins, c) => [gatherND(ins, c)] },
  ScatterND: { attrs: ['reduction'], valueInputs: [1], run: (ins, c) => [scatterND(ins, c)] },
  ScatterElements: {
    attrs: ['axis', 'reduction'],
    valueInputs: [1],
    run: (ins, c) => [scatterElements(ins, c)],
  },
  // Scatter (opset 9-10) is ScatterElements without reduction
  Scatter: { attrs: ['axis'], valueInputs: [1], run: (ins, c) => [scatterElements(ins, c)] },
};
