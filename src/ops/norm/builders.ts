// The per-channel rows as calls (ops/norm/rows.ts): batch moments, (x − m)·s + b, Σ a·(x − m) along one axis.
import { normAxis } from '../../core/shape.js';
import type { Shape } from '../../core/shape.js';
import type { Tensor } from '../../core/tensor.js';
import { run } from '../dispatch.js';
import { reshape, slice } from '../movement/builders.js';

/** x [..., C, ...] as [outer, C, inner] around the channel axis. */
export function channelView(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** [μ | σ²] [2, C]: each channel's mean and population variance over every other axis (the channelMoments row). */
export const channelMoments = (x: Tensor, axis = -1): Tensor =>
  run('channelMoments', [x], { axis: normAxis(axis, x.rank, 'channelMoments') });

/** (x − m)·s + b with m, s, b [C] along `axis` (the channelAffine row). */
export const channelAffine = (x: Tensor, m: Tensor, s: Tensor, b: Tensor, axis = -1): Tensor =>
  run('channelAffine', [x, m, s, b], { axis: normAxis(axis, x.rank, 'channelAffine') });

/** [Σa | Σ a·(x − m)] [2, C], each sum over every axis but `axis` (the channelSums row). */
export const channelSums = (a: Tensor, x: Tensor, m: Tensor, axis = -1): Tensor =>
  run('channelSums', [a, x, m], { axis: normAxis(axis, x.rank, 'channelSums') });

/** Row r of a [2, C] result (channelMoments, channelSums, or their cotangents) as a [C] vector. */
export const pairRow = (t: Tensor, r: number): Tensor =>
  reshape(slice(t, [r, 0], [1, t.shape[1]]), [t.shape[1]]);
