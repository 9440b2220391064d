// `npx tsx bench/same-math.ts`: checks the claim every benchmark table rests on — tapegrad and tfjs compute the same
// numbers from the same initial values — on small slices (seed CNN at batch 2; the LSTM step at batch 81, as cells in
// tapegrad, tfjs and jax-js and as layers + fit in tapegrad and tf.layers),
// and prints them as JSON (test/bench/bench.test.ts runs it and compares).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { jaxLstm } from './models/jax.js';
import { tapegradCnn, tapegradLstm } from './models/tapegrad.js';
import { tapegradLayersCnnInfer, tapegradLayersLstm } from './models/tapegrad-layers.js';
import { tfjsCnn, tfjsLstm } from './models/tfjs.js';
import { tfjsLayersCnn, tfjsLayersLstm } from './models/tfjs-layers.js';
import { CNN, CNN_PARAM_SHAPES, LSTM, LSTM_PARAM_SHAPES, SEED_CNN, initParams } from './lib/specs.js';
import { randArray, randLabels } from './lib/data.js';

await tf.setBackend('cpu');
const B = 2;
const init = initParams(CNN_PARAM_SHAPES, 1);
const images = randArray(B * CNN.h * CNN.w * CNN.c, 2);
const labels = randLabels(B, CNN.classes, 3);
const tgCnn = tapegradCnn(init, CNN_PARAM_SHAPES, images, labels, B);
const tfCnn = tfjsCnn(init, CNN_PARAM_SHAPES, images, labels, B);
const logits = tf.tidy(() => tfCnn.logits());
// the tf.layers model ends in softmax: its probabilities against softmax(tapegrad tg.layers logits)
const tflProbs = tf.tidy(
  () =>
    tfjsLayersCnn(SEED_CNN, init, CNN_PARAM_SHAPES).predict(
      tf.tensor4d(images, [B, CNN.h, CNN.w, CNN.c]),
    ) as tf.Tensor,
);
const tgLayerLogits = tapegradLayersCnnInfer(SEED_CNN, init, CNN_PARAM_SHAPES, images, B).infer();
const out = {
  cnn: {
    logits: [
      Array.from(tgCnn.infer()),
      Array.from(await logits.data()),
      Array.from(tgLayerLogits),
      Array.from(tgCnn.inferFused()),
    ],
    layerProbs: [
      Array.from(tf.tidy(() => tf.softmax(tf.tensor2d(tgLayerLogits, [B, CNN.classes]))).dataSync()),
      Array.from(await tflProbs.data()),
    ],
    losses: [
      [tgCnn.train(), tgCnn.train()],
      [await tfCnn.train(), await tfCnn.train()],
    ],
  },
  lstm: {} as Record<string, number[]>,
};
logits.dispose();
const { samples: N, steps: T, features: F, out: O } = LSTM;
const lInit = initParams(LSTM_PARAM_SHAPES, 43);
const xs = randArray(N * T * F, 41);
const ys = randArray(N * T * O, 42);
// one epoch at batch 81 = one SGD step on all 81 samples: the returned loss is that step's
out.lstm = {
  tapegrad: [tapegradLstm(lInit, LSTM_PARAM_SHAPES, xs, ys).epoch(N)],
  tfjs: [await tfjsLstm(lInit, LSTM_PARAM_SHAPES, xs, ys).epoch(N)],
  jax: [(await jaxLstm(lInit, LSTM_PARAM_SHAPES, xs, ys)).epoch(N)],
  // fit reports the loss of its one batch, computed before the update: the same number as the cells' step
  tapegradLayers: [(await tapegradLayersLstm(lInit, LSTM_PARAM_SHAPES, xs, ys).epoch(N)).history.loss[0]],
  tfjsLayers: [(await tfjsLayersLstm(lInit, LSTM_PARAM_SHAPES, xs, ys).epoch(N)).history.loss[0] as number],
};
console.log(JSON.stringify(out));
