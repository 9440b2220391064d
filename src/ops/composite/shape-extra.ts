// TF.js shape ops as compositions of tapegrad's movement ops, so gradients come from the tape: clone, reverse,
// unstack, mirrorPad and diag.
import { ShapeError, ValueError, safeJson, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { run } from '../dispatch.js';
import { cast, mul } from '../elementwise/builders.js';
import { reshape, split, squeeze } from '../movement/builders.js';
import { gather } from '../network/builders.js';
import { padEdges } from './pad-modes.js';

/** An axis argument in [-rank, rank), as TF.js checks it. */
function axisArg(op: string, axis: unknown, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || (axis as number) < -rank || (axis as number) >= rank)
    throw new ValueError(`${op}: ${what} ${safeJson(axis)} is not an integer in [-${rank}, ${rank})`);
  return (axis as number) < 0 ? (axis as number) + rank : (axis as number);
}

/** tf.clone(x): a copy with its own storage; the gradient passes through unchanged. */
export function clone(x: Tensor): Tensor {
  assertTensor(x, 'clone', 'x');
  return run('cast', [x], { dtype: x.dtype }); // a same-dtype cast copies the values, its vjp is the identity
}

/** tf.reverse(x, axis?): reverse the order along `axis` (a number or a list; default every axis). */
export function reverse(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertTensor(x, 'reverse', 'x');
  const list =
    axis === undefined || axis === null ? [...x.shape.keys()] : typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list))
    throw new ValueError(`reverse: axis must be a number or a list, got ${safeJson(axis)}`);
  const axes = list.map((a) => axisArg('reverse', a, x.rank));
  if (new Set(axes).size !== axes.length)
    throw new ValueError(`reverse: axis [${list}] repeats an axis of ${fmtShape(x.shape)}`);
  let y = x;
  for (const a of axes) {
    const n = x.shape[a];
    if (n > 1)
      y = gather(
        y,
        Array.from({ length: n }, (_, i) => n - 1 - i),
        a,
      );
  }
  return y;
}

/** tf.unstack(x, axis = 0): the slices along `axis`, that axis removed. */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  assertTensor(x, 'unstack', 'x');
  const a = axisArg('unstack', axis, x.rank);
  if (x.shape[a] === 0) return [];
  return split(x, x.shape[a], a).map((t) => squeeze(t, [a]));
}

/**
 * tf.mirrorPad(x, paddings, mode): pad by mirroring, 'reflect' without repeating the edge (padding < the axis size),
 * 'symmetric' repeating it (padding ≤ the axis size).
 */
export function mirrorPad(
  x: Tensor,
  paddings: readonly (readonly [number, number])[],
  mode: 'reflect' | 'symmetric',
): Tensor {
  assertTensor(x, 'mirrorPad', 'x');
  if (mode !== 'reflect' && mode !== 'symmetric')
    throw new ValueError(`mirrorPad: mode must be 'reflect' or 'symmetric', got ${safeJson(mode)}`);
  if (x.rank === 0) throw new ShapeError('mirrorPad: x is a scalar; it needs at least one axis');
  if (!Array.isArray(paddings) || paddings.length !== x.rank)
    throw new ShapeError(
      `mirrorPad: paddings must hold ${x.rank} [before, after] pairs for ${fmtShape(x.shape)}, got ${safeJson(paddings)}`,
    );
  const off = mode === 'reflect' ? 1 : 0;
  paddings.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0))
      throw new ValueError(`mirrorPad: paddings[${i}] must be two non-negative integers, got ${safeJson(p)}`);
    if (p[0] > x.shape[i] - off || p[1] > x.shape[i] - off)
      throw new ShapeError(
        `mirrorPad: ${mode} padding [${p}] on axis ${i} of ${fmtShape(x.shape)} must be at most ${x.shape[i] - off}`,
      );
  });
  if (mode === 'reflect') return padEdges(x, paddings, 'reflect', 'mirrorPad');
  // symmetric: x_{b−1} … x₀ | x₀ … x_{n−1} | x_{n−1} … x_{n−e}, one gather per padded axis
  let y = x;
  paddings.forEach(([b, e], a) => {
    if (b === 0 && e === 0) return;
    const n = x.shape[a];
    const idx = [
      ...Array.from({ length: b }, (_, j) => b - 1 - j),
      ...Array.from({ length: n }, (_, j) => j),
      ...Array.from({ length: e }, (_, j) => n - 1 - j),
    ];
    y = gather(y, idx, a);
  });
  return y;
}

/** tf.diag(x): shape [...x.shape, ...x.shape], x's values where the two index halves are equal, zeros elsewhere. */
export function diag(x: Tensor): Tensor {
  assertTensor(x, 'diag', 'x');
  if (x.rank === 0) throw new ShapeError('diag: x is a scalar; it needs at least one axis');
  const n = x.size;
  const eyeN = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eyeN[i * n + i] = 1;
  const id = cast(new Tensor(eyeN, [n, n]), x.dtype);
  return reshape(mul(reshape(x, [n, 1]), id), [...x.shape, ...x.shape]);
}
