// ONNX selection operators: TopK (tg.topk: a top-k index primitive, values through take, so differentiable),
// NonZero and Compress (indices read from the data: their positions are not differentiable, Compress's values are).
import { ShapeError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { neg } from '../../ops/elementwise/builders.js';
import { gather } from '../../ops/network/builders.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { topk } from '../../ops/composite/topk.js';
import { whereIndices } from '../../ops/composite/select.js';
import { normAx } from './ops-shape.js';
import { DataType } from './proto.js';
import { type OpContext, type OpDef, intsOf, need, unsupported, where as at } from './op-types.js';

const flag = (c: OpContext, name: string): boolean => {
  const v = c.attrs.int(name, 1);
  if (v !== 0 && v !== 1) unsupported(c.node, `${name}=${v}`, '0 or 1');
  return v === 1;
};

/**
 * TopK along axis: the k largest (or smallest) values, sorted, with their indices; ties go to the lower index.
 * NOTE: tg.topk on the axis moved last (one heap pass per row, O(n log k)); smallest is the top of −x. sorted=0
 * leaves the order to the implementation (ONNX), so the sorted order is returned for it too.
 */
function topK(ins: (Tensor | null)[], c: OpContext): Tensor[] {
  const x = need(ins, 0, c.node, 'X');
  const a = normAx(c.attrs.int('axis', -1), x.rank, c);
  const largest = flag(c, 'largest');
  flag(c, 'sorted');
  // K: the attribute k before opset 10, the second input from 10 on
  let k: number;
  if (c.opset < 10) {
    if (!c.attrs.has('k')) throw new ShapeError(`${at(c.node)}: attribute 'k' is required before opset 10`);
    k = c.attrs.int('k', 0);
  } else {
    if (c.attrs.has('k'))
      unsupported(c.node, `attribute 'k' at opset ${c.opset}`, 'the K input from opset 10');
    const kIn = need(ins, 1, c.node, 'K');
    if (kIn.size !== 1)
      throw new ShapeError(`${at(c.node)}: K must hold one value, got ${fmtShape(kIn.shape)}`);
    k = intsOf(kIn)[0];
  }
  const n = x.shape[a];
  if (!(k >= 1 && k <= n))
    throw new ShapeError(`${at(c.node)}: K=${k} must be in 1..${n} (axis ${a} of ${fmtShape(x.shape)})`);
  // the axis last (a permutation that is its own inverse: swap a and the last axis)
  const perm = x.shape.map((_, i) => (i === a ? x.rank - 1 : i === x.rank - 1 ? a : i));
  const last = a === x.rank - 1 ? x : transpose(x, perm);
  const { values, indices } = topk(largest ? last : neg(last), k);
  const back = (t: Tensor) => (a === x.rank - 1 ? t : transpose(t, perm));
  return [back(largest ? values : neg(values)), back(indices)];
}

/** Refuse data-dependent positions while ops are traced (export), unless the input is a graph constant. */
function readValues(t: Tensor, slot: number, what: string, c: OpContext): ArrayLike<number> {
  if (hasOpListeners() && !c.staticInputs?.[slot])
    unsupported(
      c.node,
      `${what} computed from a graph input while ops are traced (export)`,
      `a constant ${what}`,
    );
  return t.raw;
}

/** NonZero: the coordinates of the non-zero elements, [rank, count], in row-major order (tg.whereAsync's, transposed). */
function nonZero(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'X');
  readValues(x, 0, 'X', c);
  return transpose(whereIndices(x), [1, 0]);
}

/** Compress: the slices along axis (or the elements of the flattened input) where condition is true. */
function compress(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'input');
  const cond = need(ins, 1, c.node, 'condition');
  if (cond.rank !== 1)
    throw new ShapeError(`${at(c.node)}: condition must be 1-D, got ${fmtShape(cond.shape)}`);
  const hasAxis = c.attrs.has('axis');
  const a = hasAxis ? normAx(c.attrs.int('axis', 0), x.rank, c) : 0;
  const src = hasAxis ? x : reshape(x, [x.size]);
  if (cond.size > src.shape[a])
    throw new ShapeError(
      `${at(c.node)}: condition has ${cond.size} values for ${hasAxis ? `axis ${a} of ${fmtShape(x.shape)}` : `${x.size} elements`}`,
    );
  const v = readValues(cond, 1, 'condition', c);
  const keep: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i]) keep.push(i);
  return gather(src, new Tensor(Int32Array.from(keep), [keep.length]), a);
}

export const topkOps: Record<string, OpDef> = {
  TopK: {
    attrs: ['axis', 'largest', 'sorted', 'k'],
    valueInputs: [1],
    run: topK,
    outTypes: (c) => [c.inTypes[0], DataType.INT64],
  },
  NonZero: {
    attrs: [],
    valueInputs: [0],
    run: (ins, c) => [nonZero(ins, c)],
    outTypes: () => [DataType.INT64],
  },
  Compress: { attrs: ['axis'], valueInputs: [1], since: 9, run: (ins, c) => [compress(ins, c)] },
};
