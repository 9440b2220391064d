// Fluent methods on Tensor (`x.add(y).relu()`): one-line delegations to the functional ops, listed
// in one place. The functional ops stay the source of truth.
import { Tensor } from '../core/tensor.js';
import type { TensorMethods } from '../core/tensor.js';
import * as a from './elementwise/builders.js';
import * as r from './reduce/builders.js';
import * as s from './movement/builders.js';
import { matmul } from './network/builders.js';
import { logSoftmax, softmax } from './composite/activations.js';

// NOTE: the signatures live once, in `TensorMethods` (src/core/tensor.ts); this object must implement all of them.
const methods: TensorMethods & ThisType<Tensor> = {
  add(b) {
    return a.add(this, b);
  },
  sub(b) {
    return a.sub(this, b);
  },
  mul(b) {
    return a.mul(this, b);
  },
  div(b) {
    return a.div(this, b);
  },
  pow(b) {
    return a.pow(this, b);
  },
  maximum(b) {
    return a.maximum(this, b);
  },
  minimum(b) {
    return a.minimum(this, b);
  },
  greater(b) {
    return a.greater(this, b);
  },
  less(b) {
    return a.less(this, b);
  },
  equal(b) {
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
  clipByValue(lo, hi) {
    return a.clipByValue(this, lo, hi);
  },
  cast(dtype) {
    return a.cast(this, dtype);
  },
  sum(axes, keepdims) {
    return r.sum(this, axes, keepdims);
  },
  mean(axes, keepdims) {
    return r.mean(this, axes, keepdims);
  },
  max(axes, keepdims) {
    return r.max(this, axes, keepdims);
  },
  min(axes, keepdims) {
    return r.min(this, axes, keepdims);
  },
  argmax(axis) {
    return r.argmax(this, axis);
  },
  matmul(b, opts) {
    return matmul(this, b, opts);
  },
  reshape(shape) {
    return s.reshape(this, shape);
  },
  transpose(perm) {
    return s.transpose(this, perm);
  },
  flatten() {
    return s.flatten(this);
  },
  squeeze(axes) {
    return s.squeeze(this, axes);
  },
  expandDims(axis) {
    return s.expandDims(this, axis);
  },
  softmax(axis) {
    return softmax(this, axis);
  },
  logSoftmax(axis) {
    return logSoftmax(this, axis);
  },
};
Object.assign(Tensor.prototype, methods);
