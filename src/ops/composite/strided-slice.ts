// tf.stridedSlice with every mask, as TF.js's slice_util resolves them (a sparse spec with ellipsis/new axes made
// dense over x's axes), then computed as one contiguous slice, one gather per axis with |stride| ≠ 1 or a negative
// stride, and a reshape (new axes in, shrunk axes out). Gradients come from the tape (slice and gather).
import { ShapeError, ValueError, safeJson, fmtShape } from '../../core/errors.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import { reshape, slice } from '../movement/builders.js';
import { gather } from '../network/builders.js';

const NEW_AXIS = -2;
const SHRINK_AXIS = -1;

interface Dense {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  shrinkMask: number;
  /** Per output position of the final shape: an x axis, NEW_AXIS or SHRINK_AXIS. */
  gather: number[];
}

/** Expand the sparse spec (an ellipsis covers the axes not named; implicit at the end) over x's `rank` axes. */
function dense(
  rank: number,
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  masks: {
    beginMask: number;
    endMask: number;
    ellipsisMask: number;
    newAxisMask: number;
    shrinkAxisMask: number;
  },
): Dense {
  let dims = strides.length;
  let ellipsisMask = masks.ellipsisMask;
  let ellipsisSeen = false;
  let newAfterEllipsis = 0;
  for (let i = 0; i < dims; i++) {
    if (ellipsisSeen && (1 << i) & masks.newAxisMask) newAfterEllipsis++;
    if ((1 << i) & ellipsisMask) ellipsisSeen = true;
  }
  if (!ellipsisSeen) ellipsisMask |= 1 << dims++;
  const d: Dense = { begin: [], end: [], strides: [], beginMask: 0, endMask: 0, shrinkMask: 0, gather: [] };
  let full = 0;
  for (let i = 0; i < dims; i++) {
    if ((1 << i) & ellipsisMask) {
      // the ellipsis takes every axis the entries after it do not name
      const next = Math.min(rank - (dims - i) + 1 + newAfterEllipsis, rank);
      for (; full < next; full++) {
        [d.begin[full], d.end[full], d.strides[full]] = [0, 0, 1];
        d.beginMask |= 1 << full;
        d.endMask |= 1 << full;
        d.gather.push(full);
      }
    } else if ((1 << i) & masks.newAxisMask) d.gather.push(NEW_AXIS);
    else {
      if (full === rank)
        throw new ShapeError(
          `stridedSlice: the slice spec names more axes than x's ${rank} (entry ${i} of begin [${begin}])`,
        );
      [d.begin[full], d.end[full], d.strides[full]] = [begin[i], end[i], strides[i]];
      if (masks.beginMask & (1 << i)) d.beginMask |= 1 << full;
      if (masks.endMask & (1 << i)) d.endMask |= 1 << full;
      if (masks.shrinkAxisMask & (1 << i)) {
        d.gather.push(SHRINK_AXIS);
        d.shrinkMask |= 1 << full;
      } else d.gather.push(full);
      full++;
    }
  }
  return d;
}

/** A begin (c = 0) or end (c = 1) index made non-negative and clamped to the valid range for the stride's sign. */
function canonical(x: number, c: 0 | 1, stride: number, dim: number, masked: boolean): number {
  const valid = [stride > 0 ? 0 : -1, stride > 0 ? dim : dim - 1];
  if (masked) return stride > 0 ? valid[c] : valid[(c + 1) & 1];
  const fwd = x < 0 ? dim + x : x;
  return Math.min(Math.max(fwd, valid[0]), valid[1]);
}

/**
 * tf.stridedSlice(x, begin, end, strides = 1s, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask):
 * bit i of beginMask/endMask ignores begin[i]/end[i] (the fullest range), of ellipsisMask makes entry i stand for
 * all the axes not otherwise named, of newAxisMask inserts an axis of size 1, of shrinkAxisMask takes index
 * begin[i] and drops the axis.
 */
export function stridedSlice(
  x: Tensor,
  begin: readonly number[],
  end: readonly number[],
  strides?: readonly number[],
  beginMask = 0,
  endMask = 0,
  ellipsisMask = 0,
  newAxisMask = 0,
  shrinkAxisMask = 0,
): Tensor {
  assertTensor(x, 'stridedSlice', 'x');
  const isInts = (v: unknown): boolean => Array.isArray(v) && v.every((k) => Number.isInteger(k));
  if (!isInts(begin) || !isInts(end) || (strides !== undefined && strides !== null && !isInts(strides)))
    throw new ValueError(
      `stridedSlice: begin, end and strides must be lists of integers, got begin ${safeJson(begin)}, end ${safeJson(end)}, strides ${safeJson(strides)}`,
    );
  const st = strides ?? begin.map(() => 1);
  if (begin.length !== st.length || end.length !== st.length)
    throw new ShapeError(
      `stridedSlice: begin [${begin}], end [${end}] and strides [${st}] must have the same length`,
    );
  const masks = { beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask };
  for (const [k, v] of Object.entries(masks))
    if (!Number.isInteger(v) || v < 0)
      throw new ValueError(`stridedSlice: ${k} must be a non-negative integer bit mask, got ${safeJson(v)}`);
  if (ellipsisMask & (ellipsisMask - 1))
    throw new ValueError(
      `stridedSlice: ellipsisMask ${ellipsisMask} (0b${ellipsisMask.toString(2)}) sets more than one bit; one ellipsis at most`,
    );
  const d = dense(x.rank, begin, end, st, masks);
  const starts: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < x.rank; i++) {
    const [s, dim] = [d.strides[i], x.shape[i]];
    if (s === 0)
      throw new ValueError(
        `stridedSlice: strides[${i}] (axis ${i} of ${fmtShape(x.shape)}) must be non-zero`,
      );
    if (d.shrinkMask & (1 << i)) {
      if (s < 0)
        throw new ValueError(
          `stridedSlice: shrinkAxisMask bit on axis ${i} needs a positive stride, got ${s}`,
        );
      const fwd = d.begin[i] < 0 ? dim + d.begin[i] : d.begin[i];
      if (fwd < 0 || fwd >= dim)
        throw new ShapeError(
          `stridedSlice: shrinkAxisMask index ${d.begin[i]} is out of range for axis ${i} of ${fmtShape(x.shape)}`,
        );
      [d.begin[i], d.end[i], d.strides[i]] = [fwd, fwd + 1, 1];
    } else {
      d.begin[i] = canonical(d.begin[i], 0, s, dim, !!(d.beginMask & (1 << i)));
      d.end[i] = canonical(d.end[i], 1, s, dim, !!(d.endMask & (1 << i)));
    }
    const len = d.end[i] - d.begin[i];
    const st1 = d.strides[i];
    const size = len === 0 || len < 0 !== st1 < 0 ? 0 : Math.ceil(Math.abs(len) / Math.abs(st1));
    sizes.push(size);
    starts.push(size === 0 ? 0 : d.begin[i]);
  }
  // one contiguous slice covering the picked range of every axis, then a gather per axis that skips or reverses
  const lo = starts.map((b, i) => (d.strides[i] > 0 ? b : b + (sizes[i] - 1) * d.strides[i]));
  const span = sizes.map((n, i) => (n === 0 ? 0 : (n - 1) * Math.abs(d.strides[i]) + 1));
  let y = slice(x, sizes.some((n) => n === 0) ? x.shape.map(() => 0) : lo, span);
  for (let i = 0; i < x.rank; i++) {
    const s = d.strides[i];
    if (s === 1 || sizes[i] <= 1 || y.size === 0) continue;
    const first = s > 0 ? 0 : span[i] - 1;
    y = gather(
      y,
      Array.from({ length: sizes[i] }, (_, k) => first + k * s),
      i,
    );
  }
  const finalShape = d.gather.filter((g) => g !== SHRINK_AXIS).map((g) => (g === NEW_AXIS ? 1 : sizes[g]));
  return reshape(y, finalShape);
}
