// The cotangents of many slices of one tensor, summed as one concat instead of one pad and one add per slice.
// A recurrent layer reads its input one time step at a time, as a slice: padding each step's gradient to the whole
// sequence and adding them made the backward pass quadratic in the sequence's length (T pads and T-1 adds of
// [B, T, F]: at T = 200 a 2-layer Keras LSTM step spent more time there than in its cells; issue 12).
// The walker (autodiff.ts) hands the cotangent of every slice that cuts one axis of its input to `offer` instead of
// running the slice's vjp; when the input's turn comes, `take` puts the pieces side by side along that axis with
// zero blocks between them: one concat. Each position then holds the one slice's value that covers it, which is what
// the sum of pads holds (NOTE: a -0 stays -0, where the pads' sum would have added a +0 to it). Pieces that overlap
// go back to the pads and adds, in the order they came.
import type { TapeNode } from './tape.js';
import { type Tensor, zeros } from './tensor.js';

interface Piece {
  at: number;
  len: number;
  g: Tensor;
  node: TapeNode;
}

/** The ops `take` needs (core cannot import ops: the walker's runtime provides them). */
export interface PieceOps {
  add(a: Tensor, b: Tensor): Tensor;
  concat(parts: Tensor[], axis: number): Tensor;
}

export class SliceCotangents {
  private readonly waiting = new Map<Tensor, { axis: number; pieces: Piece[] }>();

  /** Whether cotangents of slices of `x` wait for its turn. */
  has(x: Tensor): boolean {
    return this.waiting.size > 0 && this.waiting.has(x);
  }

  /**
   * Keep the cotangent `g` of the slice `node` of `x` if the slice cuts exactly one axis (the same axis as the
   * pieces of x already waiting) and g has x's dtype; false leaves it to the slice's vjp.
   */
  offer(x: Tensor, node: TapeNode, g: Tensor): boolean {
    if (node.op !== 'slice' || g.dtype !== x.dtype) return false;
    const { begin, size } = node.params as { begin: number[]; size: number[] };
    let axis = -1;
    for (let i = 0; i < size.length; i++)
      if (size[i] !== x.shape[i]) {
        if (axis >= 0) return false;
        axis = i;
      }
    if (axis < 0) return false;
    let w = this.waiting.get(x);
    if (w === undefined) this.waiting.set(x, (w = { axis, pieces: [] }));
    else if (w.axis !== axis) return false;
    w.pieces.push({ at: begin[axis], len: size[axis], g, node });
    return true;
  }

  /** The summed cotangent of the waiting slices of `x` (forgetting them). */
  take(x: Tensor, ops: PieceOps): Tensor {
    const w = this.waiting.get(x)!;
    this.waiting.delete(x);
    const ps = w.pieces;
    if (ps.length === 1) return ps[0].node.vjp(ps[0].g)[0]!;
    const sorted = [...ps].sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i - 1].at + sorted[i - 1].len > sorted[i].at) {
        let sum = ps[0].node.vjp(ps[0].g)[0]!;
        for (let j = 1; j < ps.length; j++) sum = ops.add(sum, ps[j].node.vjp(ps[j].g)[0]!);
        return sum;
      }
    const parts: Tensor[] = [];
    const gap = (len: number): Tensor =>
      zeros(
        x.shape.map((d, i) => (i === w.axis ? len : d)),
        { dtype: x.dtype },
      );
    let cur = 0;
    for (const p of sorted) {
      if (p.at > cur) parts.push(gap(p.at - cur));
      parts.push(p.g);
      cur = p.at + p.len;
    }
    if (cur < x.shape[w.axis]) parts.push(gap(x.shape[w.axis] - cur));
    return ops.concat(parts, w.axis);
  }
}
