// The benchmark workloads written with tapegrad's functional ops, tg.valueAndGrads and a plain SGD update (the
// Keras-style versions are in tapegrad-layers.ts).
import { valueAndGrads } from '../../src/core/autodiff.js';
import { noGradFrame as noGrad } from '../../src/core/lifetime.js';
import { Tensor } from '../../src/core/tensor.js';
import {
  add,
  conv2d,
  lstmStep,
  crossEntropy,
  fused,
  matmul,
  maxPool2d,
  mseLoss,
  relu,
  reshape,
  sigmoid,
  slice,
  stack,
} from '../../src/ops/index.js';
import { CNN, type CnnSpec, LSTM, SEED_CNN } from '../lib/specs.js';

const t = (data: Float32Array, shape: number[]): Tensor => new Tensor(data, shape);

/** Plain SGD on the parameters' own arrays: p -= lr·g. */
function sgd(params: Tensor[], grads: Tensor[], lr: number): void {
  params.forEach((p, i) => {
    const d = p.data;
    const g = grads[i].data;
    for (let j = 0; j < d.length; j++) d[j] -= lr * g[j];
  });
}

/** The two layer kinds of the CNN as plain functional ops, or through tg.fused (TF.js tf.fused: one call each). */
interface CnnOps {
  convRelu(h: Tensor, w: Tensor, b: Tensor): Tensor;
  dense(h: Tensor, w: Tensor, b: Tensor, withRelu: boolean): Tensor;
}
const PLAIN_OPS: CnnOps = {
  convRelu: (h, w, b) => relu(conv2d(h, w, b, { padding: 'same' })),
  dense: (h, w, b, withRelu) => (withRelu ? relu(add(matmul(h, w), b)) : add(matmul(h, w), b)),
};
const FUSED_OPS: CnnOps = {
  convRelu: (h, w, b) =>
    fused.conv2d({ x: h, filter: w, bias: b, strides: 1, pad: 'same', activation: 'relu' }),
  dense: (h, w, b, withRelu) =>
    fused.matMul({ a: h, b: w, bias: b, activation: withRelu ? 'relu' : 'linear' }),
};

/** Logits of a CnnSpec network: per conv, conv 'same' + bias → relu (→ max-pool 2); then relu denses, last linear. */
function cnnLogits(x: Tensor, params: Tensor[], spec: CnnSpec, ops: CnnOps = PLAIN_OPS): Tensor {
  let h = x;
  let i = 0;
  for (const cv of spec.convs) {
    h = ops.convRelu(h, params[i++], params[i++]);
    if (cv.pool) h = maxPool2d(h, { kernelSize: 2 });
  }
  h = reshape(h, [x.shape[0], params[i].shape[0]]);
  for (let d = 0; d < spec.dense.length; d++) h = ops.dense(h, params[i++], params[i++], true);
  return ops.dense(h, params[i++], params[i++], false);
}

/** A CnnSpec network on [batch, h, w, c] images: a training step (returns the loss) and batched inference. */
export function tapegradCnn(
  init: Float32Array[],
  shapes: number[][],
  images: Float32Array,
  labels: Int32Array,
  batch: number,
  hwc: number[] = [CNN.h, CNN.w, CNN.c],
  spec: CnnSpec = SEED_CNN,
) {
  const params = init.map((p, i) => t(Float32Array.from(p), shapes[i]));
  const x = t(images, [batch, ...hwc]);
  const y = new Tensor(labels, [batch]);
  return {
    /** One SGD step on this batch, or on other images/labels of the same sizes. */
    train(xs: Tensor = x, ys: Tensor = y): number {
      const { value, grads } = valueAndGrads((...ps: Tensor[]) => crossEntropy(cnnLogits(xs, ps, spec), ys))(
        ...params,
      );
      sgd(params, grads, spec.lr);
      return value.item();
    },
    infer(): Float32Array {
      return noGrad(() => cnnLogits(x, params, spec)).data as Float32Array;
    },
    /** The same inference through tg.fused. */
    inferFused(): Float32Array {
      return noGrad(() => cnnLogits(x, params, spec, FUSED_OPS)).data as Float32Array;
    },
  };
}

/**
 * One Keras-style LSTM layer (activation relu, recurrent sigmoid, gates i,f,c,o); xs is one input per step.
 * z = x·W + h·U + b per step, then `lstmStep` (the fused LSTM state update row); an input repeated over time
 * (RepeatVector) is projected once, as jax-js's jit and the layers do.
 */
function lstmLayer(xs: Tensor[], W: Tensor, U: Tensor, b: Tensor): Tensor[] {
  const n = xs[0].shape[0];
  const u = LSTM.units;
  let h = t(new Float32Array(n * u), [n, u]);
  let c = h;
  const hs: Tensor[] = [];
  const projected = new Map<Tensor, Tensor>();
  for (const xt of xs) {
    let xw = projected.get(xt);
    if (!xw) projected.set(xt, (xw = add(matmul(xt, W), b)));
    [h, c] = lstmStep(add(xw, matmul(h, U)), c, relu, sigmoid);
    hs.push(h);
  }
  return hs;
}

function lstmLoss(x: Tensor, y: Tensor, [W1, U1, b1, W2, U2, b2, Wd, bd, Wo, bo]: Tensor[]): Tensor {
  const [n, T, F] = x.shape;
  const steps = Array.from({ length: T }, (_, s) => reshape(slice(x, [0, s, 0], [n, 1, F]), [n, F]));
  const enc = lstmLayer(steps, W1, U1, b1)[T - 1];
  const dec = lstmLayer(new Array<Tensor>(T).fill(enc), W2, U2, b2); // RepeatVector(T)
  const seq = reshape(stack(dec, 1), [n * T, LSTM.units]);
  const d = relu(add(matmul(seq, Wd), bd)); // TimeDistributed(Dense 100 relu)
  const out = reshape(add(matmul(d, Wo), bo), [n, T, LSTM.out]);
  return mseLoss(out, y);
}

/** The seed LSTM: one epoch over the data set in mini-batches (SGD), returns the last loss. */
export function tapegradLstm(init: Float32Array[], shapes: number[][], xs: Float32Array, ys: Float32Array) {
  const params = init.map((p, i) => t(Float32Array.from(p), shapes[i]));
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  return {
    epoch(batch: number): number {
      let loss = 0;
      for (let s = 0; s < N; s += batch) {
        const n = Math.min(batch, N - s);
        const x = t(xs.subarray(s * T * F, (s + n) * T * F), [n, T, F]);
        const y = t(ys.subarray(s * T * O, (s + n) * T * O), [n, T, O]);
        const { value, grads } = valueAndGrads((...ps: Tensor[]) => lstmLoss(x, y, ps))(...params);
        sgd(params, grads, LSTM.lr);
        loss = value.item();
      }
      return loss;
    },
  };
}
