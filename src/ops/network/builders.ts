// Matmul and the network primitives users call directly: im2col/col2im, take/scatterAdd.
import { ShapeError, ValueError, describeValue, fmtShape, safeJson } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { type Shape, sizeOf } from '../../core/shape.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import type { ConvActivation, WindowGeom } from '../../backend/kernels.js';
import { run } from '../dispatch.js';
import { NO_PARAMS, cast } from '../elementwise/builders.js';
import { broadcastTo, reshape } from '../movement/builders.js';

const MATMUL_KEYS = ['transA', 'transB'] as const;
const NO_AXES: readonly number[] = Object.freeze([]);
export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/** The four params objects of the matmul row, shared (one per transA, transB pair) instead of one per call. */
const MM_PARAMS = [false, true].map((transA) =>
  [false, true].map((transB) => Object.freeze({ transA, transB })),
);
const NO_OPTIONS: MatmulOptions = Object.freeze({});

/** Batched matrix product; a 1-D operand is treated as a vector, batch axes broadcast. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = NO_OPTIONS): Tensor {
  assertTensor(a, 'matmul', 'a');
  assertTensor(b, 'matmul', 'b');
  if (opts !== NO_OPTIONS) checkOptions('matmul', opts, MATMUL_KEYS);
  const b0 = b; // the caller's b, for the message of a fold whose inner sizes differ
  let transA = opts.transA ?? false;
  let transB = opts.transB ?? false;
  if (a.rank === 0 || b.rank === 0)
    throw new ShapeError(`matmul: scalars are not matrices (${fmtShape(a.shape)} · ${fmtShape(b.shape)})`);
  const vecA = a.rank === 1;
  const vecB = b.rank === 1;
  if (vecA) [a, transA] = [reshape(a, [1, a.shape[0]]), false];
  if (vecB) [b, transB] = [reshape(b, [b.shape[0], 1]), false];
  if (a.dtype !== b.dtype) {
    const dt = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
    [a, b] = [cast(a, dt), cast(b, dt)];
  }
  // NOTE: a stack of matrices times one matrix (a Linear or Dense over a sequence) is one product over the stacked
  // rows, as PyTorch folds it: one kernel call instead of a batch of skinny ones, and b's gradient one product
  // instead of one per matrix summed afterwards. Each output is the same dot product either way.
  if (a.rank > 2 && b.rank === 2 && !transA) {
    const k = a.shape[a.rank - 1];
    const kb = b.shape[transB ? 1 : 0];
    if (k !== kb)
      throw new ShapeError(
        `matmul: ${fmtShape(a.shape)} · ${fmtShape(b0.shape)}${transB ? 'ᵀ' : ''}: inner sizes ${k} and ${kb} differ`,
      );
    const lead = a.shape.slice(0, -1);
    const out = run('matmul', [reshape(a, [sizeOf(lead), k]), b], MM_PARAMS[0][transB ? 1 : 0]);
    return reshape(out, vecB ? lead : [...lead, out.shape[1]]);
  }
  const ba = a.rank > 2 ? a.shape.slice(0, -2) : NO_AXES;
  const bb = b.rank > 2 ? b.shape.slice(0, -2) : NO_AXES;
  if (ba.length && bb.length && (ba.length !== bb.length || ba.some((d, i) => d !== bb[i]))) {
    const n = Math.max(ba.length, bb.length);
    const batch = Array.from({ length: n }, (_, i) => {
      const x = ba[ba.length - n + i] ?? 1;
      const y = bb[bb.length - n + i] ?? 1;
      if (x !== y && x !== 1 && y !== 1)
        throw new ShapeError(
          `matmul: batch axes of ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be broadcast`,
        );
      return Math.max(x, y);
    });
    a = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
    b = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  }
  let out = run('matmul', [a, b], MM_PARAMS[transA ? 1 : 0][transB ? 1 : 0]);
  if (vecA) out = reshape(out, [...out.shape.slice(0, -2), out.shape[out.rank - 1]]);
  if (vecB) out = reshape(out, out.shape.slice(0, -1));
  return out;
}

export const im2col = (x: Tensor, geom: WindowGeom): Tensor => run('im2col', [x], { geom });
export const col2im = (cols: Tensor, geom: WindowGeom): Tensor => run('col2im', [cols], { geom });
export const poolArgmax = (x: Tensor, geom: WindowGeom): Tensor => run('poolArgmax', [x], { geom });
/** scatterAdd(dy, poolArgmax(x)) into zeros shaped like x, in one kernel: max-pooling's input gradient. */
export const maxPool2dGrad = (x: Tensor, dy: Tensor, geom: WindowGeom): Tensor =>
  run('maxPool2dGrad', [x, dy], { geom });
/**
 * act(im2col(x)·w (+ b)) in one kernel, shaped [n, outH, outW, out] ([n, out, outH, outW] with `nchw`): conv2d's path
 * when nothing records. `activation` 'relu' applies relu in the same pass ('linear', the default: none).
 */
export const conv2dFused = (
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  geom: WindowGeom,
  activation?: ConvActivation,
  nchw = false,
): Tensor =>
  run('conv2dFused', b ? [x, w, b] : [x, w], {
    geom,
    ...(activation === undefined ? {} : { activation }),
    ...(nchw ? { nchw } : {}),
  });
/** col2im(g·wᵀ) in one kernel for g [n, outH, outW, o], w [kh·kw·c, o]: the input gradient of conv2dFused. */
export const conv2dBackpropInput = (g: Tensor, w: Tensor, geom: WindowGeom): Tensor =>
  run('conv2dBackpropInput', [g, w], { geom });
/** im2col(x)ᵀ·g in one kernel, shaped [kh·kw·c, o]: the filter gradient of conv2dFused. */
export const conv2dBackpropFilter = (x: Tensor, g: Tensor, geom: WindowGeom): Tensor =>
  run('conv2dBackpropFilter', [x, g], { geom });
/** Window maxima in one kernel (the values take(x, poolArgmax(x)) gives): maxPool2d's path when nothing records. */
export const maxPool2dFused = (x: Tensor, geom: WindowGeom): Tensor => run('maxPool2dFused', [x], { geom });
/**
 * Window averages in one kernel: (Σ of each window's taps inside x) / divisor, with one divisor for every window or one
 * per output pixel (outH·outW): avgPool2d's path when nothing records.
 */
export const avgPool2dFused = (x: Tensor, geom: WindowGeom, divisors: readonly number[]): Tensor =>
  run('avgPool2dFused', [x], { geom, divisors });
/** Gather values by flat index: out[i] = x.flat[idx[i]], out has idx's shape. */
export const take = (x: Tensor, idx: Tensor): Tensor => run('take', [x, idx], NO_PARAMS);
/** Zeros of `shape` with g[i] added at flat index idx[i]. */
export const scatterAdd = (g: Tensor, idx: Tensor, shape: Shape): Tensor =>
  run('scatterAdd', [g, idx], { shape: [...shape] });

/**
 * Gather slices along `axis` (tf.gather / torch.index_select): out shape = x.shape with axis replaced by idx.shape.
 * A composite of `take`, so its gradient is the scatter-add of `take`'s vjp.
 */
export function gather(x: Tensor, indices: Tensor | readonly number[], axis = 0): Tensor {
  assertTensor(x, 'gather', 'x');
  if (!Array.isArray(indices)) assertTensor(indices, 'gather', 'indices');
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank)
    throw new ShapeError(`gather: axis ${axis} is out of range for ${fmtShape(x.shape)}`);
  // NOTE: plain numbers as they are (not Int32Array.from, which truncates 0.5 to 0): checked below as a tensor's are
  const idx = Array.isArray(indices) ? (indices as number[]) : (indices as Tensor).raw;
  const idxShape = Array.isArray(indices) ? [indices.length] : [...(indices as Tensor).shape];
  const n = x.shape[a];
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const flat = new Int32Array(outer * idx.length * inner);
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (let j = 0; j < idx.length; j++) {
      const k = idx[j];
      if (!Number.isInteger(k))
        throw new ValueError(
          `gather: index ${typeof k === 'number' ? k : `${safeJson(k)} (${describeValue(k)})`} (position ${j}) is not an integer`,
        );
      if (k < 0 || k >= n)
        throw new ShapeError(`gather: index ${k} (position ${j}) is out of range for axis ${a} of size ${n}`);
      for (let r = 0; r < inner; r++) flat[o++] = (i * n + k) * inner + r;
    }
  return take(x, new Tensor(flat, [...x.shape.slice(0, a), ...idxShape, ...x.shape.slice(a + 1)]));
}
