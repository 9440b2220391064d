// TF.js's chained ops (`x.tan()`, `x.cumsum(1)`, `x.resizeBilinear([4, 4])`) as Tensor methods: each one calls the
// tg function with the tensor as its first argument, TF.js's method name and argument order (tfjs-core 4.22
// public/chained_ops). The signatures live in src/core/tensor-methods-tfjs.ts (checked against these functions below);
// test/ops/fluent-tfjs.test.ts walks TF.js's chained_ops directory so the list cannot drift.
import { Tensor, onesLike, zerosLike } from '../core/tensor.js';
import type { TfjsTensorMethods } from '../core/tensor-methods-tfjs.js';
import * as a from './elementwise/builders.js';
import { broadcastTo, concat, pad, slice, split, stack, tile } from './movement/builders.js';
import { logSumExp } from './reduce/builders.js';
import { gather } from './network/builders.js';
import { elu, leakyRelu, logSigmoid, relu6, selu } from './composite/activations.js';
import { oneHot } from './composite/losses.js';
import { batchNorm } from './composite/batch-norm.js';
import { localResponseNormalization } from './composite/lrn.js';
import { separableConv2d } from './composite/separable-conv.js';
import * as m from './composite/math-extra.js';
import { all, any, argMax, argMin, prod } from './composite/reduce-extra.js';
import { cumprod, cumsum } from './composite/cumulative.js';
import { dot, euclideanNorm, norm } from './composite/norm-dot.js';
import { mirrorPad, reverse, unstack } from './composite/shape-extra.js';
import { batchToSpaceND, depthToSpace, spaceToBatchND } from './composite/space-batch.js';
import { stridedSlice } from './composite/strided-slice.js';
import { topk } from './composite/topk.js';
import { unsortedSegmentSum } from './composite/segment.js';
import { unique } from './composite/select.js';
import { resizeBilinear, resizeNearestNeighbor } from './image/resize.js';

// Methods that are exactly `fn(this, ...args)`: TF.js's method takes the tg function's arguments after the first.
// NOTE: conv1d, conv2d, conv2dTranspose and depthwiseConv2d are left out: tg's functions take PyTorch-style
// (x, w, b, options), not TF.js's positional (filter, strides, pad, …), so a same-named method would mislead.
const direct = {
  acos: m.acos,
  acosh: m.acosh,
  asin: m.asin,
  asinh: m.asinh,
  atan: m.atan,
  atan2: m.atan2,
  atanh: m.atanh,
  cosh: m.cosh,
  floorDiv: m.floorDiv,
  isFinite: m.isFinite,
  isInf: m.isInf,
  isNaN: m.isNaN,
  logicalAnd: m.logicalAnd,
  logicalNot: m.logicalNot,
  logicalOr: m.logicalOr,
  logicalXor: m.logicalXor,
  mod: m.mod,
  prelu: m.prelu,
  round: m.round,
  sinh: m.sinh,
  squaredDifference: m.squaredDifference,
  step: m.step,
  tan: m.tan,
  cos: a.cos,
  sin: a.sin,
  erf: a.erf,
  expm1: a.expm1,
  floor: a.floor,
  log1p: a.log1p,
  reciprocal: a.reciprocal,
  rsqrt: a.rsqrt,
  sign: a.sign,
  softplus: a.softplus,
  greaterEqual: a.greaterEqual,
  lessEqual: a.lessEqual,
  notEqual: a.notEqual,
  elu,
  leakyRelu,
  logSigmoid,
  relu6,
  selu,
  all,
  any,
  argMax,
  argMin,
  prod,
  logSumExp,
  cumprod,
  cumsum,
  dot,
  euclideanNorm,
  norm,
  broadcastTo,
  pad,
  slice,
  split,
  tile,
  gather,
  oneHot,
  zerosLike,
  onesLike,
  mirrorPad,
  reverse,
  unstack,
  stridedSlice,
  batchToSpaceND,
  depthToSpace,
  spaceToBatchND,
  topk,
  unsortedSegmentSum,
  unique,
  batchNorm,
  localResponseNormalization,
  separableConv2d,
  resizeBilinear,
  resizeNearestNeighbor,
};

/** A function's type without its first parameter (the tensor the method is called on). */
type Rest<F> = F extends (x: never, ...rest: infer R) => infer O ? (...rest: R) => O : never;
// Compile-time checks: each tg function fits its method's signature in TfjsTensorMethods, and every method is installed.
type Adapted = 'concat' | 'stack' | 'where';
const fits: { [K in keyof typeof direct]: TfjsTensorMethods[K] } = {} as {
  [K in keyof typeof direct]: Rest<(typeof direct)[K]>;
};
const complete: Exclude<keyof TfjsTensorMethods, keyof typeof direct | Adapted> extends never ? true : false =
  true;
void fits;
void complete;

const list = (others: Tensor | readonly Tensor[]): readonly Tensor[] =>
  others instanceof Tensor ? [others] : others;
const adapted: Pick<TfjsTensorMethods, Adapted> & ThisType<Tensor> = {
  concat(others, axis) {
    return concat([this, ...list(others)], axis);
  },
  stack(others, axis) {
    return stack([this, ...list(others)], axis);
  },
  where(condition, b) {
    return a.where(condition, this, b);
  },
};

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const [name, fn] of Object.entries(direct) as [string, (...args: unknown[]) => unknown][])
  proto[name] = function (this: Tensor, ...args: unknown[]): unknown {
    return fn(this, ...args);
  };
Object.assign(Tensor.prototype, adapted);
