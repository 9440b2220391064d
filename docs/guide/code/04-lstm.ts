// Recurrent layers: an LSTM forecaster reading windows of 8 steps of one feature.
import * as tg from '../../../src/index.js';

tg.setSeed(0);
const model = tg.sequential({
  layers: [tg.layers.lstm({ units: 12, inputShape: [8, 1] }), tg.layers.dense({ units: 1 })],
});
model.summary({ print: console.log });

// Windows of a sine wave: x [n, 8, 1] → the next value y [n, 1].
const n = 64;
const xs = new Float32Array(n * 8);
const ys = new Float32Array(n);
for (let i = 0; i < n; i++) {
  for (let t = 0; t < 8; t++) xs[i * 8 + t] = Math.sin((i + t) * 0.3);
  ys[i] = Math.sin((i + 8) * 0.3);
}
const x = new tg.Tensor(xs, [n, 8, 1]);
const y = new tg.Tensor(ys, [n, 1]);
model.compile({ optimizer: tg.train.adam(0.02), loss: 'meanSquaredError' });
const h = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
const first = h.history.loss[0];
const last = h.history.loss[h.history.loss.length - 1];
console.log(`\nloss after 15 epochs is below a tenth of the first epoch's: ${last < first / 10}`);

// returnSequences keeps the time axis: one output per step instead of one per sequence.
const seq = tg.layers.lstm({ units: 12, returnSequences: true });
console.log(
  `returnSequences: true → ${tg.fmtShape((seq.apply(tg.zeros([4, 8, 1])) as tg.Tensor).shape)}; false → ${tg.fmtShape((tg.layers.lstm({ units: 12 }).apply(tg.zeros([4, 8, 1])) as tg.Tensor).shape)}`,
);
