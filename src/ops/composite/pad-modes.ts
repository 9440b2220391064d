// Non-constant padding (PyTorch's padding_mode / F.pad modes) as compositions of slice and concat, so the
// gradient comes from the tape: reflect and replicate fold the border's gradient back onto the edge, circular
// onto the opposite side.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { concat, pad, slice } from '../movement/builders.js';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

export function checkPaddingMode(mode: unknown, op: string): PaddingMode {
  if (mode === undefined) return 'zeros';
  if (!PADDING_MODES.includes(mode as PaddingMode))
    throw new ValueError(
      `${op}: unknown paddingMode ${JSON.stringify(mode)} (use ${PADDING_MODES.map((m) => `'${m}'`).join(', ')})`,
    );
  return mode as PaddingMode;
}

/** One index i along an axis as a slice of length 1. */
const at = (x: Tensor, axis: number, i: number): Tensor =>
  slice(
    x,
    x.shape.map((_, a) => (a === axis ? i : 0)),
    x.shape.map((d, a) => (a === axis ? 1 : d)),
  );

/**
 * Pad each axis by [before, after] with `mode`:
 * reflect (x₂ x₁ | x₀ … x_{n−1} | x_{n−2} …, edge not repeated), replicate (x₀ x₀ | … | x_{n−1} x_{n−1}),
 * circular (x_{n−p} … x_{n−1} | … | x₀ …), or zeros.
 */
export function padEdges(
  x: Tensor,
  paddings: readonly (readonly [number, number])[],
  mode: PaddingMode,
  op = 'padEdges',
): Tensor {
  if (paddings.length !== x.rank)
    throw new ValueError(
      `${op}: expected ${x.rank} [before, after] pairs for ${fmtShape(x.shape)}, got ${paddings.length}`,
    );
  if (mode === 'zeros') return pad(x, paddings);
  let y = x;
  paddings.forEach(([b, e], axis) => {
    if (b === 0 && e === 0) return;
    const n = y.shape[axis];
    const limit = mode === 'reflect' ? n - 1 : mode === 'circular' ? n : Infinity;
    if (b > limit || e > limit || b < 0 || e < 0)
      throw new ShapeError(
        `${op}: ${mode} padding (${b}, ${e}) on axis ${axis} of ${fmtShape(x.shape)} must be ${mode === 'reflect' ? 'smaller than' : 'at most'} the axis size ${n}`,
      );
    const idx = (k: number, before: boolean): number => {
      // k-th padded position counting outward from the edge (k = 1 is next to it)
      if (mode === 'replicate') return before ? 0 : n - 1;
      if (mode === 'reflect') return before ? k : n - 1 - k;
      return before ? n - k : k - 1; // circular
    };
    const left = Array.from({ length: b }, (_, j) => at(y, axis, idx(b - j, true)));
    const right = Array.from({ length: e }, (_, j) => at(y, axis, idx(j + 1, false)));
    y = concat([...left, y, ...right], axis);
  });
  return y;
}
