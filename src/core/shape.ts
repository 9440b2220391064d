// Shape arithmetic: sizes, strides, broadcasting, axis normalisation, conv/pool output sizes.
import { ShapeError, ValueError, describeValue, fmtShape, safeJson } from './errors.js';

export type Shape = readonly number[];

// NOTE: plain loops, not reduce/every with a callback: these run several times per op, and before V8 has
// optimized them (a run's first hundreds of steps) a callback per element costs more than the loop (issue 12).
export function sizeOf(s: Shape): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) n *= s[i];
  return n;
}

export function stridesOf(s: Shape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throw a ValueError naming `where` unless `s` is an array (a shape is a list of sizes, as TF.js takes it). */
export function assertShapeArray(s: unknown, where: string): asserts s is Shape {
  // NOTE: a typed array of sizes is accepted too (the Tensor constructor always took one)
  if (!Array.isArray(s) && !(ArrayBuffer.isView(s) && !(s instanceof DataView)))
    throw new ValueError(
      `${where}: shape must be an array like [3] or [2, 3], got ${describeValue(s)}${typeof s === 'number' ? ` (${s}; write [${s}])` : ''}`,
    );
}

export function assertValidShape(s: Shape, where: string): void {
  assertShapeArray(s, where);
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

/** Axes argument (undefined or null = all, as TF.js) to a sorted unique list of non-negative axes. */
export function normAxes(
  axes: number | readonly number[] | undefined | null,
  rank: number,
  op = 'op',
): number[] {
  const out: number[] = [];
  if (axes === undefined || axes === null) {
    for (let i = 0; i < rank; i++) out.push(i);
    return out;
  }
  if (typeof axes === 'number') {
    out.push(normAxis(axes, rank, op));
    return out;
  }
  // NOTE: an options object ({ axis: 1 }, PyTorch's dim=) would read as no axes at all: refused by name
  if (!Array.isArray(axes) && !ArrayBuffer.isView(axes))
    throw new ValueError(
      `${op}: axes must be a number, an array of numbers, or undefined/null for all axes, got ${describeValue(axes)}${
        typeof axes === 'object' ? ` ${safeJson(axes)}` : ''
      }; the axes are the 2nd argument and keepDims the 3rd, as TF.js: ${op}(x, 1, true)`,
    );
  for (let i = 0; i < axes.length; i++) {
    const a = normAxis(axes[i], rank, op);
    if (!out.includes(a)) out.push(a);
  }
  if (out.length > 1) out.sort((x, y) => x - y);
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
  for (let i = 0; i < shape.length; i++) {
    if (!axes.includes(i)) out.push(shape[i]);
    else if (keepdims) out.push(1);
  }
  return out;
}
