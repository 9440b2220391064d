// Shape arithmetic: sizes, strides, broadcasting, axis normalisation, conv/pool output sizes.
import { ShapeError, ValueError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export const sizeOf = (s: Shape): number => s.reduce((a, b) => a * b, 1);

export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

export const shapesEqual = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export function assertValidShape(s: Shape, where: string): void {
  for (let i = 0; i < s.length; i++)
    if (!Number.isInteger(s[i]) || s[i] < 0)
      throw new ShapeError(`${where}: invalid shape ${fmtShape(s)} (dimensions must be integers >= 0)`);
}

/** NumPy broadcasting: align from the right, 1 stretches. */
export function broadcastShapes(a: Shape, b: Shape, op = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (axis ${i - n}: ${da} vs ${db})`,
      );
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalise a possibly negative axis for a tensor of rank `rank`. */
export function normAxis(axis: number, rank: number, op = 'op'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1) || (rank === 0 && a !== 0))
    throw new ValueError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** Axes argument (undefined = all) to a sorted unique list of non-negative axes. */
export function normAxes(axes: number | readonly number[] | undefined, rank: number, op = 'op'): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(a, rank, op)))].sort((x, y) => x - y);
  return out;
}

/** Output length of a conv/pool window sweep along one axis. */
export function windowOut(
  inSize: number,
  k: number,
  stride: number,
  dilation: number,
  padBefore: number,
  padAfter: number,
): number {
  const eff = (k - 1) * dilation + 1;
  return Math.floor((inSize + padBefore + padAfter - eff) / stride) + 1;
}

/** TF/Keras 'same' padding along one axis: out = ceil(in/stride); NOTE: the odd extra pixel goes at the end. */
export function samePads(inSize: number, k: number, stride: number, dilation: number): [number, number] {
  const eff = (k - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output shape of reducing `axes` (already normalised). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}
