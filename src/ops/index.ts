// The ops layer's public face; importing it installs what core's walker needs and the fluent methods.
import { installRuntime, setGradNumericsCheck } from '../core/autodiff.js';
import { registerBackend } from '../backend/kernels.js';
import { jsKernels } from '../backend/js.js';
import '../backend/wasm/node.js'; // registers 'wasm' and makes it the default when build/wasm/kernels.wasm loads
import { add, cast } from './elementwise/builders.js';
import { concat } from './movement/builders.js';
import { registerPrims, setForwardNumericsCheck } from './dispatch.js';
import { PRIMS } from './table.js';
import { allFinite } from './finite.js';
import './fluent.js';
import './fluent-tfjs.js'; // TF.js's chained ops (x.tan(), x.cumsum(), …)

registerBackend(jsKernels);
registerPrims(PRIMS);
installRuntime({
  add: (a, b) => add(a, b),
  cast,
  concat: (parts, axis) => concat(parts, axis),
  allFinite,
});

/**
 * Anomaly mode: stop at the first non-finite value, naming the forward op (with layer path, call site and
 * input statistics), or in backward the op whose gradient went bad. Off by default (it scans every result).
 */
export function checkNumerics(on = true): void {
  setForwardNumericsCheck(on);
  setGradNumericsCheck(on);
}

export {
  abs,
  add,
  asTensor,
  cast,
  clipByValue,
  cos,
  div,
  equal,
  erf,
  exp,
  expm1,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  neg,
  notEqual,
  pow,
  reciprocal,
  relu,
  rsqrt,
  sigmoid,
  sign,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  where,
} from './elementwise/builders.js';
export {
  broadcastTo,
  concat,
  expandDims,
  flatten,
  pad,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  sumTo,
  tile,
  transpose,
} from './movement/builders.js';
export { argmax, argmin, logSumExp, max, mean, min, sum, variance } from './reduce/builders.js';
export {
  col2im,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dFused,
  gather,
  im2col,
  matmul,
  maxPool2dFused,
  maxPool2dGrad,
  poolArgmax,
  scatterAdd,
  take,
  type MatmulOptions,
} from './network/builders.js';
export { hessian, hvp, jacobian, jvp } from './transforms.js';
export { dropout } from './random-ops.js';
export { conv1d, conv2d, depthwiseConv2d, type Conv1dOptions, type Conv2dOptions } from './composite/conv.js';
/** TF.js `tf.fused`: conv2d, depthwiseConv2d and matMul with a bias and an activation in one call. */
export * as fused from './composite/fused.js';
export type { FusedActivation, FusedConv2dArgs, FusedMatMulArgs } from './composite/fused.js';
/** TF.js `tf.image`: resizes, cropAndResize, flips, grayscale conversions and nonMaxSuppression. */
export * as image from './image/index.js';
export { avgPool3d, conv3d, maxPool3d, type Pool3dPad } from './composite/conv3d.js';
export { separableConv2d } from './composite/separable-conv.js';
export { maxPoolWithArgmax } from './composite/pool-argmax.js';
export { localResponseNormalization } from './composite/lrn.js';
export {
  avgPool1d,
  avgPool2d,
  globalAvgPool,
  globalMaxPool,
  maxPool1d,
  maxPool2d,
  maxPool2dWithIndices,
  type AvgPool2dOptions,
  type Pool1dOptions,
  type Pool2dOptions,
} from './composite/pool.js';
export {
  celu,
  elu,
  exponential,
  gelu,
  glu,
  hardShrink,
  hardSigmoid,
  hardSilu,
  hardTanh,
  leakyRelu,
  linear,
  logSigmoid,
  logSoftmax,
  mish,
  relu6,
  reluAdvanced,
  selu,
  silu,
  softmax,
  softplus,
  softShrink,
  softsign,
  sparsePlus,
  squareplus,
  swish,
  tanhShrink,
  thresholdedRelu,
} from './composite/activations.js';
export { huberLoss, maeLoss, mseLoss, oneHot } from './composite/losses.js';
export { crossEntropy, type CrossEntropyOptions } from './composite/cross-entropy.js';
export {
  conv2dTranspose,
  convTranspose2d,
  convTranspose1d,
  type Conv2dTransposeGeometry,
  type ConvTransposeOptions,
} from './composite/conv-transpose.js';
export { padEdges, type PaddingMode } from './composite/pad-modes.js';
// TF.js creation and shape ops (tf.tensor2d, tf.range, tf.eye, tf.stridedSlice, tf.depthToSpace, …)
export {
  eye,
  fill,
  linspace,
  randomNormal,
  randomUniform,
  range,
  tensor1d,
  tensor2d,
  tensor3d,
  tensor4d,
  tensor5d,
  tensor6d,
} from './creation.js';
export { clone, diag, mirrorPad, reverse, unstack } from './composite/shape-extra.js';
export { batchToSpaceND, depthToSpace, spaceToBatchND } from './composite/space-batch.js';
export { stridedSlice } from './composite/strided-slice.js';
export { multinomial } from './composite/multinomial.js';
/** TF.js `tf.linalg`: bandPart (and PyTorch's tril / triu). */
export * as linalg from './composite/band-part.js';
export { batchNorm, moments } from './composite/batch-norm.js';
// TF.js indexing, scatter, counting and sorting ops
export { topk } from './composite/topk.js';
export { gatherND, scatterND, tensorScatterUpdate } from './composite/scatter-nd.js';
export { bincount, denseBincount, unsortedSegmentSum } from './composite/segment.js';
export { lowerBound, searchSorted, upperBound } from './composite/search-sorted.js';
export { einsum } from './composite/einsum.js';
export {
  booleanMask,
  booleanMaskAsync,
  setdiff1d,
  setdiff1dAsync,
  unique,
  whereAsync,
} from './composite/select.js';
/** TF.js `tf.math`: confusionMatrix. */
export * as math from './composite/math-namespace.js';
export {
  acos,
  acosh,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  cosh,
  floorDiv,
  isFinite,
  isInf,
  isNaN,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
  mod,
  prelu,
  round,
  sinh,
  squaredDifference,
  step,
  tan,
} from './composite/math-extra.js';
export { all, any, argMax, argMin, prod } from './composite/reduce-extra.js';
export { cumprod, cumsum } from './composite/cumulative.js';
export { dot, euclideanNorm, norm, outerProduct, type NormOrd } from './composite/norm-dot.js';
export {
  gruCell,
  gruUpdate,
  lstmCell,
  lstmStep,
  lstmUpdate,
  simpleRnnCell,
  type CellActivation,
  type CellOptions,
  type CellWeights,
  type GruCellOptions,
} from './composite/rnn.js';
export type { Pair, Padding2d } from './composite/window.js';
export type { WindowGeom } from '../core/window-geom.js';

export { type PrimName, type PrimParams } from './table.js';
