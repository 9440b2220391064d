// `tg.linalg` (TF.js's tf.linalg namespace): bandPart, and PyTorch's tril / triu over the same mask, each a `where`
// against a constant 0/1 mask of the last two axes, so the gradient passes where kept and is zero elsewhere.
import { ShapeError, ValueError, fmtShape, safeJson } from '../../core/errors.js';
import { Tensor, assertTensor } from '../../core/tensor.js';
import { where } from '../elementwise/builders.js';

/** Keep x[..., i, j] where keep(i, j), zeros elsewhere (over the last two axes). */
function band(op: string, x: Tensor, keep: (i: number, j: number) => boolean): Tensor {
  assertTensor(x, op, 'x');
  if (x.rank < 2)
    throw new ShapeError(
      `${op}: x must have rank ≥ 2 (a matrix or a batch of them), got ${fmtShape(x.shape)}`,
    );
  const [r, c] = x.shape.slice(-2);
  const mask = new Int32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) mask[i * c + j] = keep(i, j) ? 1 : 0;
  return where(new Tensor(mask, [r, c]), x, 0);
}

/** An integer band width (or diagonal offset) argument. */
function intArg(op: string, what: string, v: unknown): number {
  if (!Number.isInteger(v)) throw new ValueError(`${op}: ${what} must be an integer, got ${safeJson(v)}`);
  return v as number;
}

/**
 * tf.linalg.bandPart(x, numLower, numUpper): keep numLower diagonals below the main one and numUpper above
 * (a negative count keeps that whole triangle), zeros elsewhere.
 */
export function bandPart(x: Tensor, numLower: number | Tensor, numUpper: number | Tensor): Tensor {
  // NOTE: a scalar tensor count (TF.js allows an int32 scalar) is read as its number
  const num = (v: number | Tensor): unknown => (v instanceof Tensor && v.size === 1 ? v.raw[0] : v);
  const lo = intArg('linalg.bandPart', 'numLower', num(numLower));
  const up = intArg('linalg.bandPart', 'numUpper', num(numUpper));
  if (x instanceof Tensor && x.rank >= 2) {
    const [r, c] = x.shape.slice(-2);
    // as TF.js, a band wider than the matrix is refused
    if (lo > r)
      throw new ValueError(`linalg.bandPart: numLower ${lo} exceeds the ${r} rows of ${fmtShape(x.shape)}`);
    if (up > c)
      throw new ValueError(
        `linalg.bandPart: numUpper ${up} exceeds the ${c} columns of ${fmtShape(x.shape)}`,
      );
  }
  return band('linalg.bandPart', x, (i, j) => (lo < 0 || i - j <= lo) && (up < 0 || j - i <= up));
}

/** torch.tril(x, diagonal = 0): keep j − i ≤ diagonal over the last two axes. */
export const tril = (x: Tensor, diagonal = 0): Tensor => {
  const k = intArg('linalg.tril', 'diagonal', diagonal);
  return band('linalg.tril', x, (i, j) => j - i <= k);
};

/** torch.triu(x, diagonal = 0): keep j − i ≥ diagonal over the last two axes. */
export const triu = (x: Tensor, diagonal = 0): Tensor => {
  const k = intArg('linalg.triu', 'diagonal', diagonal);
  return band('linalg.triu', x, (i, j) => j - i >= k);
};
