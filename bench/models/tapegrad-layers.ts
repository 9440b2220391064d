// The benchmark networks as tapegrad users write them with Keras-style layers: tg.sequential + compile + fit /
// predict, with the same initial weights as the functional versions (tapegrad.ts) and the peers.
import * as tg from '../../src/index.js';
import { type CnnSpec, LSTM } from '../lib/specs.js';

const t = (data: Float32Array, shape: number[]): tg.Tensor => new tg.Tensor(Float32Array.from(data), shape);

/** A CnnSpec network as tg.layers (conv 'same' relu, max-pool 2, flatten, relu denses, logits). */
export function layersCnn(spec: CnnSpec): tg.Sequential {
  const layers: tg.Layer[] = [];
  for (const cv of spec.convs) {
    layers.push(
      tg.layers.conv2d({ filters: cv.filters, kernelSize: 3, padding: 'same', activation: 'relu' }),
    );
    if (cv.pool) layers.push(tg.layers.maxPooling2d({ poolSize: 2 }));
  }
  layers.push(tg.layers.flatten());
  for (const d of spec.dense) layers.push(tg.layers.dense({ units: d, activation: 'relu' }));
  layers.push(tg.layers.dense({ units: spec.classes }));
  const m = tg.sequential({ layers });
  m.buildModel([null, spec.h, spec.w, spec.c]);
  return m;
}

/** Inference through `model.predict` at the batch size of `images`, reading the logits back. */
export function tapegradLayersCnnInfer(
  spec: CnnSpec,
  init: Float32Array[],
  shapes: number[][],
  images: Float32Array,
  batch: number,
) {
  const m = layersCnn(spec);
  m.setWeights(init.map((p, i) => t(p, shapes[i])));
  const x = t(images, [batch, spec.h, spec.w, spec.c]);
  return { infer: (): Float32Array => (m.predict(x) as tg.Tensor).data as Float32Array };
}

/**
 * One SGD step per `trainOnBatch` on the same batch (TF.js users' custom loop): sparse cross-entropy from logits, the
 * learning rate and initial weights of the functional version (tapegrad.ts), so the two cells compare the layers.
 */
export function tapegradLayersCnnTrain(
  spec: CnnSpec,
  init: Float32Array[],
  shapes: number[][],
  images: Float32Array,
  labels: Int32Array,
  batch: number,
) {
  const m = layersCnn(spec);
  m.setWeights(init.map((p, i) => t(p, shapes[i])));
  m.compile({
    optimizer: tg.train.sgd(spec.lr),
    loss: (y, p) => tg.losses.sparseCategoricalCrossentropy(y, p, { fromLogits: true }),
  });
  const x = new tg.Tensor(images, [batch, spec.h, spec.w, spec.c]);
  const y = new tg.Tensor(labels, [batch]);
  // NOTE: the promise is returned (and awaited by the harness), as TF.js users await trainOnBatch
  return { train: () => m.trainOnBatch(x, y) };
}

/** `model.fit` with the defaults a user starts from: adam, sparse cross-entropy from logits, batch 32, shuffled. */
export function tapegradLayersCnnFit(spec: CnnSpec, images: Float32Array, labels: Int32Array, n: number) {
  tg.setSeed(5);
  const m = layersCnn(spec);
  m.compile({
    optimizer: 'adam',
    loss: (y, p) => tg.losses.sparseCategoricalCrossentropy(y, p, { fromLogits: true }),
  });
  const x = new tg.Tensor(images, [n, spec.h, spec.w, spec.c]);
  const y = new tg.Tensor(labels, [n]);
  return { epoch: () => m.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 }) };
}

/** The seed encoder-decoder LSTM as users write it: lstm → repeatVector → lstm → timeDistributed(dense) ×2. */
export function layersLstm(): tg.Sequential {
  const { steps: T, features: F, units: U } = LSTM;
  return tg.sequential({
    layers: [
      tg.layers.lstm({ units: U, activation: 'relu', inputShape: [T, F] }),
      tg.layers.repeatVector({ n: T }),
      tg.layers.lstm({ units: U, activation: 'relu', returnSequences: true }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: LSTM.dense, activation: 'relu' }) }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: LSTM.out }) }),
    ],
  });
}

/** One epoch of `compile` + `fit` (SGD, mse, no shuffle) over the 81 samples at the given batch size. */
export function tapegradLayersLstm(
  init: Float32Array[],
  shapes: number[][],
  xs: Float32Array,
  ys: Float32Array,
) {
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  const m = layersLstm();
  m.buildModel([null, T, F]);
  m.setWeights(init.map((p, i) => t(p, shapes[i])));
  m.compile({ optimizer: tg.train.sgd(LSTM.lr), loss: 'mse' });
  const x = t(xs, [N, T, F]);
  const y = t(ys, [N, T, O]);
  return {
    epoch: (batch: number) => m.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 }),
  };
}
