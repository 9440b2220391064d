// The signatures of TF.js's chained ops on Tensor (src/ops/fluent-tfjs.ts installs them; that file checks at compile
// time that each tg function fits its signature here). Core cannot import ops, so the option types are spelled out.
import type { Shape } from './shape.js';
import type { Tensor, TensorLike } from './tensor.js';

type Axes = number | readonly number[] | null | undefined;
type Pairs = readonly (readonly [number, number])[];
type Pair = number | readonly [number, number];

// NOTE: not in src/core/tensor.ts's TensorMethods so the TF.js set stays one list beside its installer; an
// ops-side `declare module` augmentation would not survive the bundled .d.ts (it keeps the relative module name).
export interface TfjsTensorMethods {
  acos(): Tensor;
  acosh(): Tensor;
  asin(): Tensor;
  asinh(): Tensor;
  atan(): Tensor;
  atan2(b: TensorLike): Tensor;
  atanh(): Tensor;
  cosh(): Tensor;
  floorDiv(b: TensorLike): Tensor;
  isFinite(): Tensor;
  isInf(): Tensor;
  isNaN(): Tensor;
  logicalAnd(b: TensorLike): Tensor;
  logicalNot(): Tensor;
  logicalOr(b: TensorLike): Tensor;
  logicalXor(b: TensorLike): Tensor;
  mod(b: TensorLike): Tensor;
  prelu(alpha: TensorLike): Tensor;
  round(): Tensor;
  sinh(): Tensor;
  squaredDifference(b: TensorLike): Tensor;
  step(alpha?: number): Tensor;
  tan(): Tensor;
  cos(): Tensor;
  sin(): Tensor;
  erf(): Tensor;
  expm1(): Tensor;
  floor(): Tensor;
  log1p(): Tensor;
  reciprocal(): Tensor;
  rsqrt(): Tensor;
  sign(): Tensor;
  softplus(): Tensor;
  greaterEqual(b: TensorLike): Tensor;
  lessEqual(b: TensorLike): Tensor;
  notEqual(b: TensorLike): Tensor;
  elu(alpha?: number): Tensor;
  leakyRelu(alpha?: number): Tensor;
  logSigmoid(): Tensor;
  relu6(): Tensor;
  selu(): Tensor;
  all(axis?: Axes, keepDims?: boolean): Tensor;
  any(axis?: Axes, keepDims?: boolean): Tensor;
  argMax(axis?: number): Tensor;
  argMin(axis?: number): Tensor;
  prod(axis?: Axes, keepDims?: boolean): Tensor;
  logSumExp(axes?: Axes, keepdims?: boolean): Tensor;
  cumprod(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
  cumsum(axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
  dot(b: Tensor): Tensor;
  euclideanNorm(axis?: Axes, keepDims?: boolean): Tensor;
  norm(ord?: number | 'euclidean' | 'fro', axis?: Axes, keepDims?: boolean): Tensor;
  broadcastTo(shape: Shape): Tensor;
  pad(paddings: Pairs, value?: number): Tensor;
  slice(begin: readonly number[], size?: readonly number[]): Tensor;
  split(sizes: number | readonly number[], axis?: number): Tensor[];
  tile(reps: readonly number[]): Tensor;
  gather(indices: Tensor | readonly number[], axis?: number): Tensor;
  oneHot(depth: number): Tensor;
  zerosLike(): Tensor;
  onesLike(): Tensor;
  mirrorPad(paddings: Pairs, mode: 'reflect' | 'symmetric'): Tensor;
  reverse(axis?: number | readonly number[]): Tensor;
  unstack(axis?: number): Tensor[];
  stridedSlice(
    begin: readonly number[],
    end: readonly number[],
    strides?: readonly number[],
    beginMask?: number,
    endMask?: number,
    ellipsisMask?: number,
    newAxisMask?: number,
    shrinkAxisMask?: number,
  ): Tensor;
  batchToSpaceND(blockShape: readonly number[], crops: Pairs): Tensor;
  depthToSpace(blockSize: number, dataFormat?: 'NHWC' | 'NCHW'): Tensor;
  spaceToBatchND(blockShape: readonly number[], paddings: Pairs): Tensor;
  topk(k?: number, sorted?: boolean): { values: Tensor; indices: Tensor };
  unsortedSegmentSum(segmentIds: Tensor, numSegments: number): Tensor;
  unique(axis?: number): { values: Tensor; indices: Tensor };
  batchNorm(
    mean: Tensor,
    variance: Tensor,
    offset?: Tensor | null,
    scale?: Tensor | null,
    varianceEpsilon?: number,
    axis?: number,
  ): Tensor;
  localResponseNormalization(depthRadius?: number, bias?: number, alpha?: number, beta?: number): Tensor;
  separableConv2d(
    depthwiseFilter: Tensor,
    pointwiseFilter: Tensor,
    strides?: Pair,
    pad?: 'valid' | 'same',
    dilation?: Pair,
    dataFormat?: string,
  ): Tensor;
  resizeBilinear(size: readonly [number, number], alignCorners?: boolean, halfPixelCenters?: boolean): Tensor;
  resizeNearestNeighbor(
    size: readonly [number, number],
    alignCorners?: boolean,
    halfPixelCenters?: boolean,
  ): Tensor;
  /** TF.js `x.concat(others, axis)`: tg.concat([x, ...others], axis). */
  concat(others: Tensor | readonly Tensor[], axis?: number): Tensor;
  /** TF.js `x.stack(others, axis)`: tg.stack([x, ...others], axis). */
  stack(others: Tensor | readonly Tensor[], axis?: number): Tensor;
  /** TF.js `x.where(condition, b)`: tg.where(condition, x, b) (x where the condition holds, else b). */
  where(condition: TensorLike, b: TensorLike): Tensor;
}
