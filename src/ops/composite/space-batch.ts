// Space ↔ batch/depth rearrangements (TF.js spaceToBatchND, batchToSpaceND, depthToSpace) as pad/slice + reshape +
// transpose, so gradients come from the tape. ONNX's DepthToSpace calls depthToSpaceNchw.
import { ShapeError, ValueError, safeJson, fmtShape } from '../../core/errors.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import { pad, reshape, slice, transpose } from '../movement/builders.js';

/** Check blockShape (M positive integers, x of rank > M) and M [before, after] pairs; `what` names the pairs. */
function checkBlocks(
  op: string,
  x: Tensor,
  blockShape: readonly number[],
  pairs: readonly (readonly number[])[],
  what: string,
): void {
  assertTensor(x, op, 'x');
  if (!Array.isArray(blockShape) || !blockShape.every((b) => Number.isInteger(b) && b >= 1))
    throw new ValueError(
      `${op}: blockShape must be a list of positive integers, got ${safeJson(blockShape)}`,
    );
  if (x.rank < 1 + blockShape.length)
    throw new ShapeError(
      `${op}: x ${fmtShape(x.shape)} needs rank > blockShape.length ${blockShape.length} (a batch axis, then the blocked axes)`,
    );
  if (!Array.isArray(pairs) || pairs.length !== blockShape.length)
    throw new ShapeError(
      `${op}: ${what} must hold ${blockShape.length} [start, end] pairs, got ${safeJson(pairs)}`,
    );
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => Number.isInteger(v) && v >= 0))
      throw new ValueError(`${op}: ${what}[${i}] must be two non-negative integers, got ${safeJson(p)}`);
  });
}

/**
 * tf.spaceToBatchND(x, blockShape, paddings): pad the M axes after the batch, then move each blockShape[i]-sized
 * block offset into the batch: [B, s₁…s_M, rest] → [B·Πb, (s₁+pad)/b₁ … , rest].
 */
export function spaceToBatchND(
  x: Tensor,
  blockShape: readonly number[],
  paddings: readonly (readonly [number, number])[],
): Tensor {
  checkBlocks('spaceToBatchND', x, blockShape, paddings, 'paddings');
  const m = blockShape.length;
  const padded = pad(
    x,
    x.shape.map((_, i) => (i >= 1 && i <= m ? paddings[i - 1] : [0, 0])),
  );
  const sp = padded.shape;
  for (let i = 0; i < m; i++)
    if (sp[i + 1] % blockShape[i])
      throw new ShapeError(
        `spaceToBatchND: axis ${i + 1} of ${fmtShape(x.shape)} padded by [${paddings[i]}] is ${sp[i + 1]}, not divisible by blockShape[${i}] = ${blockShape[i]}`,
      );
  const rest = sp.slice(m + 1);
  const split = [sp[0], ...blockShape.flatMap((b, i) => [sp[i + 1] / b, b]), ...rest];
  // [b₁…b_M, B, s₁/b₁…s_M/b_M, rest]
  const perm = [
    ...blockShape.map((_, i) => 2 + 2 * i),
    0,
    ...blockShape.map((_, i) => 1 + 2 * i),
    ...rest.map((_, j) => 1 + 2 * m + j),
  ];
  const prod = blockShape.reduce((p, b) => p * b, 1);
  return reshape(transpose(reshape(padded, split), perm), [
    sp[0] * prod,
    ...blockShape.map((b, i) => sp[i + 1] / b),
    ...rest,
  ]);
}

/** tf.batchToSpaceND(x, blockShape, crops): the inverse of spaceToBatchND, then crop [start, end] off each axis. */
export function batchToSpaceND(
  x: Tensor,
  blockShape: readonly number[],
  crops: readonly (readonly [number, number])[],
): Tensor {
  checkBlocks('batchToSpaceND', x, blockShape, crops, 'crops');
  const m = blockShape.length;
  const prod = blockShape.reduce((p, b) => p * b, 1);
  if (x.shape[0] % prod)
    throw new ShapeError(
      `batchToSpaceND: batch ${x.shape[0]} of ${fmtShape(x.shape)} is not divisible by the product of blockShape [${blockShape}] = ${prod}`,
    );
  const b0 = x.shape[0] / prod;
  const sp = x.shape.slice(1, m + 1);
  const rest = x.shape.slice(m + 1);
  // [B/Πb, s₁, b₁, …, s_M, b_M, rest]
  const perm = [m, ...blockShape.flatMap((_, i) => [m + 1 + i, i]), ...rest.map((_, j) => 2 * m + 1 + j)];
  const full = [b0, ...sp.map((s, i) => s * blockShape[i]), ...rest];
  const y = reshape(transpose(reshape(x, [...blockShape, b0, ...sp, ...rest]), perm), full);
  crops.forEach(([a, b], i) => {
    if (a + b > full[i + 1])
      throw new ShapeError(
        `batchToSpaceND: crops[${i}] [${a}, ${b}] remove more than axis ${i + 1}'s ${full[i + 1]} values`,
      );
  });
  return slice(
    y,
    full.map((_, i) => (i >= 1 && i <= m ? crops[i - 1][0] : 0)),
    full.map((d, i) => (i >= 1 && i <= m ? d - crops[i - 1][0] - crops[i - 1][1] : d)),
  );
}

/** Check a rank-4 x whose depth (axis `c`) divides by blockSize². */
function checkDepth(op: string, x: Tensor, blockSize: number, c: number, min: number): void {
  assertTensor(x, op, 'x');
  if (!Number.isInteger(blockSize) || blockSize < min)
    throw new ValueError(`${op}: blockSize must be an integer ≥ ${min}, got ${safeJson(blockSize)}`);
  if (x.rank !== 4) throw new ShapeError(`${op}: x must be rank 4, got ${fmtShape(x.shape)}`);
  if (x.shape[c] % (blockSize * blockSize))
    throw new ShapeError(
      `${op}: depth ${x.shape[c]} (axis ${c} of ${fmtShape(x.shape)}) is not divisible by blockSize² = ${blockSize * blockSize}`,
    );
}

/**
 * DepthToSpace on NCHW: DCR takes the depth as [block row, block column, channel] (TF's NCHW), CRD as
 * [channel, block row, block column] (ONNX's other mode). `op` names the caller in errors.
 */
export function depthToSpaceNchw(
  x: Tensor,
  blockSize: number,
  mode: 'DCR' | 'CRD',
  op = 'depthToSpace',
): Tensor {
  checkDepth(op, x, blockSize, 1, 1);
  const bs = blockSize;
  const [b, ch, h, w] = x.shape;
  const co = ch / (bs * bs);
  const t =
    mode === 'DCR'
      ? transpose(reshape(x, [b, bs, bs, co, h, w]), [0, 3, 4, 1, 5, 2])
      : transpose(reshape(x, [b, co, bs, bs, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(t, [b, co, h * bs, w * bs]);
}

/**
 * tf.depthToSpace(x, blockSize, dataFormat = 'NHWC'): move blockSize × blockSize blocks of the depth into height and
 * width: [b, h, w, c] → [b, h·bs, w·bs, c/bs²] (NCHW: [b, c, h, w] → [b, c/bs², h·bs, w·bs]).
 */
export function depthToSpace(x: Tensor, blockSize: number, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): Tensor {
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW')
    throw new ValueError(`depthToSpace: dataFormat must be 'NHWC' or 'NCHW', got ${safeJson(dataFormat)}`);
  // NOTE: TF.js asserts blockSize > 1
  if (dataFormat === 'NCHW') {
    checkDepth('depthToSpace', x, blockSize, 1, 2);
    return depthToSpaceNchw(x, blockSize, 'DCR');
  }
  checkDepth('depthToSpace', x, blockSize, 3, 2);
  const bs = blockSize;
  const [b, h, w, c] = x.shape;
  const t = transpose(reshape(x, [b, h, w, bs, bs, c / (bs * bs)]), [0, 1, 3, 2, 4, 5]);
  return reshape(t, [b, h * bs, w * bs, c / (bs * bs)]);
}
