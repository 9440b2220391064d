// Fluent methods on Tensor (`x.add(y).relu()`): one-line delegations to the functional ops, listed
// in one place. The functional ops stay the source of truth.
import { Tensor } from '../core/tensor.js';
import type { DType } from '../core/dtype.js';
import type { TensorLike } from '../core/tensor.js';
import * as a from './elementwise/builders.js';
import * as r from './reduce/builders.js';
import * as s from './movement/builders.js';
import { matmul, type MatmulOptions } from './network/builders.js';
import { logSoftmax, softmax } from './composite/activations.js';

type Axes = number | readonly number[];

// NOTE: the method signatures are declared on Tensor itself (src/core/tensor.ts), so published .d.ts files carry them.

const methods: Record<string, (this: Tensor, ...args: any[]) => Tensor> = {
  add(b: TensorLike) {
    return a.add(this, b);
  },
  sub(b: TensorLike) {
    return a.sub(this, b);
  },
  mul(b: TensorLike) {
    return a.mul(this, b);
  },
  div(b: TensorLike) {
    return a.div(this, b);
  },
  pow(b: TensorLike) {
    return a.pow(this, b);
  },
  maximum(b: TensorLike) {
    return a.maximum(this, b);
  },
  minimum(b: TensorLike) {
    return a.minimum(this, b);
  },
  greater(b: TensorLike) {
    return a.greater(this, b);
  },
  less(b: TensorLike) {
    return a.less(this, b);
  },
  equal(b: TensorLike) {
    return a.equal(this, b);
  },
  neg() {
    return a.neg(this);
  },
  exp() {
    return a.exp(this);
  },
  log() {
    return a.log(this);
  },
  sqrt() {
    return a.sqrt(this);
  },
  abs() {
    return a.abs(this);
  },
  square() {
    return a.square(this);
  },
  relu() {
    return a.relu(this);
  },
  sigmoid() {
    return a.sigmoid(this);
  },
  tanh() {
    return a.tanh(this);
  },
  clipByValue(lo: number, hi: number) {
    return a.clipByValue(this, lo, hi);
  },
  cast(dtype: DType) {
    return a.cast(this, dtype);
  },
  sum(axes?: Axes, keepdims?: boolean) {
    return r.sum(this, axes, keepdims);
  },
  mean(axes?: Axes, keepdims?: boolean) {
    return r.mean(this, axes, keepdims);
  },
  max(axes?: Axes, keepdims?: boolean) {
    return r.max(this, axes, keepdims);
  },
  min(axes?: Axes, keepdims?: boolean) {
    return r.min(this, axes, keepdims);
  },
  argmax(axis?: number) {
    return r.argmax(this, axis);
  },
  matmul(b: Tensor, opts?: MatmulOptions) {
    return matmul(this, b, opts);
  },
  reshape(shape: readonly number[]) {
    return s.reshape(this, shape);
  },
  transpose(perm?: readonly number[]) {
    return s.transpose(this, perm);
  },
  flatten() {
    return s.flatten(this);
  },
  squeeze(axes?: readonly number[]) {
    return s.squeeze(this, axes);
  },
  expandDims(axis?: number) {
    return s.expandDims(this, axis);
  },
  softmax(axis?: number) {
    return softmax(this, axis);
  },
  logSoftmax(axis?: number) {
    return logSoftmax(this, axis);
  },
};
Object.assign(Tensor.prototype, methods);
