// ONNX selection operators: TopK (k rounds of argmax and masking; values through take, so differentiable),
// NonZero and Compress (indices read from the data: their positions are not differentiable, Compress's values are).
import { ShapeError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import { add, cast, equal, mul, neg, where } from '../../ops/elementwise/builders.js';
import { argmax } from '../../ops/reduce/builders.js';
import { gather, take } from '../../ops/network/builders.js';
import { concat, reshape } from '../../ops/movement/builders.js';
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
 * NOTE: k rounds of argmax (which takes the first maximum, hence the tie rule) each masking its pick with −∞: O(k·n),
 * fine for the small k of detection / beam heads. A -∞ (or NaN) in the data may be picked twice once the finite
 * values run out; sorted=0 leaves the order to the implementation (ONNX), so the sorted order is returned for it too.
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
  // x as [outer, n, inner]: the flat offset of (o, j, r) is (o·n + j)·inner + r
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const base = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) for (let r = 0; r < inner; r++) base[o * inner + r] = o * n * inner + r;
  const baseT = new Tensor(base, [outer, 1, inner]);
  const pos = new Tensor(
    Int32Array.from({ length: n }, (_, j) => j),
    [1, n, 1],
  );
  const f = cast(reshape(x, [outer, n, inner]), 'float64');
  let cur = largest ? f : neg(f);
  const vals: Tensor[] = [];
  const idxs: Tensor[] = [];
  for (let r = 0; r < k; r++) {
    const j = reshape(cast(argmax(cur, 1), 'int32'), [outer, 1, inner]);
    vals.push(take(x, add(mul(j, inner), baseT)));
    idxs.push(j);
    if (r + 1 < k) cur = where(equal(pos, j), -Infinity, cur);
  }
  const shape = x.shape.map((d, i) => (i === a ? k : d));
  const cat = (ts: Tensor[]) => reshape(ts.length === 1 ? ts[0] : concat(ts, 1), shape);
  return [cat(vals), cat(idxs)];
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

/** NonZero: the coordinates of the non-zero elements, [rank, count], in row-major order. */
function nonZero(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'X');
  const v = readValues(x, 0, 'X', c);
  const hits: number[] = [];
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) hits.push(i);
  const out = new Int32Array(x.rank * hits.length);
  hits.forEach((f, h) => {
    let rem = f;
    for (let d = x.rank - 1; d >= 0; d--) {
      out[d * hits.length + h] = rem % x.shape[d];
      rem = Math.floor(rem / x.shape[d]);
    }
  });
  return new Tensor(out, [x.rank, hits.length]);
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
