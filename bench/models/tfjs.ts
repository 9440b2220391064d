// The same workloads in TensorFlow.js ops (tfjs-core ops and tf.fused, tf.train.sgd), on whichever tfjs backend is
// active; the tf.layers versions are in tfjs-layers.ts.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { CNN, CNN_FLAT, LSTM } from '../lib/specs.js';

// NOTE: tfjs-core's Node bundle ships no gradient definitions and its ESM build uses directory imports Node
// rejects; requiring the ESM registration through tsx's CommonJS loader fills the (global) gradient registry.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');

type T2 = tf.Tensor2D;

function cnnLogits(x: tf.Tensor4D, [w1, b1, w2, b2, w3, b3, w4, b4]: tf.Variable[]): T2 {
  const block = (v: tf.Tensor4D, w: tf.Variable, b: tf.Variable): tf.Tensor4D =>
    tf.maxPool(tf.relu(tf.add(tf.conv2d(v, w as tf.Tensor4D, 1, 'same'), b)) as tf.Tensor4D, 2, 2, 'valid');
  const h = block(block(x, w1, b1), w2, b2);
  const d = tf.relu(tf.add(tf.matMul(tf.reshape(h, [x.shape[0], CNN_FLAT]) as T2, w3 as T2), b3)) as T2;
  return tf.add(tf.matMul(d, w4 as T2), b4);
}

/** The seed CNN in tfjs: a training step and batched inference. */
export function tfjsCnn(
  init: Float32Array[],
  shapes: number[][],
  images: Float32Array,
  labels: Int32Array,
  batch: number,
) {
  const params = init.map((p, i) => tf.variable(tf.tensor(p, shapes[i])));
  const x = tf.tensor4d(images, [batch, CNN.h, CNN.w, CNN.c]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), CNN.classes);
  const opt = tf.train.sgd(CNN.lr);
  return {
    async train(): Promise<number> {
      const loss = opt.minimize(
        () => tf.losses.softmaxCrossEntropy(y, cnnLogits(x, params)) as tf.Scalar,
        true,
        params,
      );
      const v = (await loss!.data())[0];
      loss!.dispose();
      return v;
    },
    /** The logits of the current batch (call inside tf.tidy). */
    logits(): T2 {
      return cnnLogits(x, params);
    },
    async infer(): Promise<void> {
      const out = tf.tidy(() => cnnLogits(x, params));
      await out.data();
      out.dispose();
    },
    dispose(): void {
      tf.dispose([...params, x, y]);
      opt.dispose();
    },
  };
}

function lstmLayer(xs: T2[], W: tf.Tensor, U: tf.Tensor, b: tf.Tensor): T2[] {
  const n = xs[0].shape[0];
  const u = LSTM.units;
  let h: T2 = tf.zeros([n, u]);
  let c: T2 = h;
  const hs: T2[] = [];
  for (const xt of xs) {
    const z = tf.add(tf.add(tf.matMul(xt, W as T2), tf.matMul(h, U as T2)), b) as T2;
    const gate = (k: number) => tf.slice(z, [0, k * u], [n, u]);
    c = tf.add(tf.mul(tf.sigmoid(gate(1)), c), tf.mul(tf.sigmoid(gate(0)), tf.relu(gate(2))));
    h = tf.mul(tf.sigmoid(gate(3)), tf.relu(c));
    hs.push(h);
  }
  return hs;
}

/** The seed LSTM in tfjs: one epoch in mini-batches with SGD. */
export function tfjsLstm(init: Float32Array[], shapes: number[][], xs: Float32Array, ys: Float32Array) {
  const params = init.map((p, i) => tf.variable(tf.tensor(p, shapes[i])));
  const [W1, U1, b1, W2, U2, b2, Wd, bd, Wo, bo] = params;
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  const opt = tf.train.sgd(LSTM.lr);
  return {
    async epoch(batch: number): Promise<number> {
      let last = 0;
      for (let s = 0; s < N; s += batch) {
        const n = Math.min(batch, N - s);
        const x = tf.tensor3d(xs.subarray(s * T * F, (s + n) * T * F), [n, T, F]);
        const y = tf.tensor3d(ys.subarray(s * T * O, (s + n) * T * O), [n, T, O]);
        const loss = opt.minimize(
          () => {
            const steps = Array.from(
              { length: T },
              (_, k) => tf.reshape(tf.slice(x, [0, k, 0], [n, 1, F]), [n, F]) as T2,
            );
            const enc = lstmLayer(steps, W1, U1, b1)[T - 1];
            const dec = lstmLayer(new Array<T2>(T).fill(enc), W2, U2, b2);
            const seq = tf.reshape(tf.stack(dec, 1), [n * T, LSTM.units]) as T2;
            const d = tf.relu(tf.add(tf.matMul(seq, Wd as T2), bd)) as T2;
            const out = tf.reshape(tf.add(tf.matMul(d, Wo as T2), bo), [n, T, O]);
            return tf.losses.meanSquaredError(y, out) as tf.Scalar;
          },
          true,
          params,
        );
        last = (await loss!.data())[0];
        tf.dispose([loss!, x, y]);
      }
      return last;
    },
    dispose(): void {
      tf.dispose(params);
      opt.dispose();
    },
  };
}

/** sgemm n×n·n×n. */
export function tfjsMatmul(a: Float32Array, b: Float32Array, n: number) {
  const ta = tf.tensor2d(a, [n, n]);
  const tb = tf.tensor2d(b, [n, n]);
  return {
    async run(): Promise<void> {
      const c = tf.matMul(ta, tb);
      await c.data();
      c.dispose();
    },
    dispose: () => tf.dispose([ta, tb]),
  };
}

/** Seed CNN inference with tfjs's fused ops: tf.fused.conv2d and tf.fused.matMul with bias + relu in one kernel. */
export function tfjsFusedCnn(init: Float32Array[], shapes: number[][], images: Float32Array, batch: number) {
  const [w1, b1, w2, b2, w3, b3, w4, b4] = init.map((p, i) => tf.tensor(p, shapes[i]));
  const x = tf.tensor4d(images, [batch, CNN.h, CNN.w, CNN.c]);
  const block = (v: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
    tf.maxPool(
      tf.fused.conv2d({
        x: v,
        filter: w as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: b,
        activation: 'relu',
      }),
      2,
      2,
      'valid',
    );
  return {
    infer(): void {
      const out = tf.tidy(() => {
        const h = tf.reshape(block(block(x, w1, b1), w2, b2), [batch, CNN_FLAT]) as T2;
        const d = tf.fused.matMul({ a: h, b: w3 as T2, bias: b3, activation: 'relu' });
        return tf.fused.matMul({ a: d, b: w4 as T2, bias: b4 });
      });
      out.dataSync();
      out.dispose();
    },
  };
}
