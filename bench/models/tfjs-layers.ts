// The benchmark networks as TF.js users run them: @tensorflow/tfjs-layers models (`model.predict`,
// `model.trainOnBatch`, `model.fit`), whose Conv2D and Dense call the fused conv/matMul + bias + activation ops.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type CnnSpec, LSTM } from '../lib/specs.js';

// NOTE: tfjs-core's Node bundle ships neither gradients nor chained ops (tensor.flatten() etc., which tfjs-layers'
// initializers call); requiring their registrations through the CommonJS loader fills the global registries.
const req = createRequire(import.meta.url);
req('@tensorflow/tfjs-core/dist/register_all_gradients.js');
req('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js');

/** A CnnSpec network as tf.layers. NOTE: the last Dense has softmax (tfjs-layers losses take probabilities). */
export function tfjsLayersCnn(spec: CnnSpec, init: Float32Array[], shapes: number[][]): tfl.Sequential {
  const m = tfl.sequential();
  spec.convs.forEach((cv, i) => {
    m.add(
      tfl.layers.conv2d({
        filters: cv.filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        ...(i === 0 ? { inputShape: [spec.h, spec.w, spec.c] } : {}),
      }),
    );
    if (cv.pool) m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tfl.layers.flatten());
  for (const d of spec.dense) m.add(tfl.layers.dense({ units: d, activation: 'relu' }));
  m.add(tfl.layers.dense({ units: spec.classes, activation: 'softmax' }));
  m.setWeights(init.map((p, i) => tf.tensor(p, shapes[i])));
  return m;
}

/** `model.predict` + `dataSync` (a synchronous call on tfjs-wasm and tfjs-cpu) and `trainOnBatch` with SGD. */
export function tfjsLayersCnnRunner(
  spec: CnnSpec,
  init: Float32Array[],
  shapes: number[][],
  images: Float32Array,
  labels: Int32Array,
  batch: number,
) {
  const m = tfjsLayersCnn(spec, init, shapes);
  m.compile({ optimizer: tf.train.sgd(spec.lr), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(images, [batch, spec.h, spec.w, spec.c]);
  const y = tf.tensor2d(Float32Array.from(labels), [batch, 1]);
  return {
    infer(): void {
      const out = m.predict(x) as tf.Tensor;
      out.dataSync();
      out.dispose();
    },
    train: (): Promise<unknown> => m.trainOnBatch(x, y),
  };
}

/** bench/models/bn-cnn.ts's conv + BatchNormalization network as tf.layers: `trainOnBatch` (SGD) or `predict`. */
export function tfjsLayersBn(images: Float32Array, labels: Int32Array, batch: number, train: boolean) {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [32, 32, 3],
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
    }),
  );
  m.add(tfl.layers.batchNormalization());
  m.add(tfl.layers.activation({ activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', useBias: false }));
  m.add(tfl.layers.batchNormalization());
  m.add(tfl.layers.activation({ activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.sgd(0.01), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(images, [batch, 32, 32, 3]);
  const y = tf.tensor2d(Float32Array.from(labels), [batch, 1]);
  if (train) return (): Promise<unknown> => m.trainOnBatch(x, y);
  return (): void => {
    const out = m.predict(x) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
}

/** The seed encoder-decoder LSTM as tf.layers, one `fit` epoch (SGD, mse, no shuffle) per call. */
export function tfjsLayersLstm(init: Float32Array[], shapes: number[][], xs: Float32Array, ys: Float32Array) {
  const { samples: N, steps: T, features: F, units: U, out: O } = LSTM;
  const m = tfl.sequential({
    layers: [
      tfl.layers.lstm({
        units: U,
        activation: 'relu',
        inputShape: [T, F],
        recurrentInitializer: 'glorotUniform',
      }),
      tfl.layers.repeatVector({ n: T }),
      tfl.layers.lstm({
        units: U,
        activation: 'relu',
        returnSequences: true,
        recurrentInitializer: 'glorotUniform',
      }),
      tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: LSTM.dense, activation: 'relu' }) }),
      tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: O }) }),
    ],
  });
  m.setWeights(init.map((p, i) => tf.tensor(p, shapes[i])));
  m.compile({ optimizer: tf.train.sgd(LSTM.lr), loss: 'meanSquaredError' });
  const x = tf.tensor3d(xs, [N, T, F]);
  const y = tf.tensor3d(ys, [N, T, O]);
  return {
    epoch: (batch: number): Promise<tfl.History> =>
      m.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 }),
  };
}
