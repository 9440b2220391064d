// Training: compile + fit with validation, callbacks (early stopping, training curves), evaluate.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tg from '../../../src/index.js';

tg.setSeed(1);
// Two classes of points: inside or outside the unit circle.
const rng = new tg.Rng(1);
const n = 400;
const xs = new Float32Array(n * 2);
const ys = new Float32Array(n * 2);
for (let i = 0; i < n; i++) {
  const [p, q] = [rng.next() * 4 - 2, rng.next() * 4 - 2];
  xs.set([p, q], i * 2);
  ys[i * 2 + (p * p + q * q < 1.5 ? 1 : 0)] = 1;
}
const x = new tg.Tensor(xs, [n, 2]);
const y = new tg.Tensor(ys, [n, 2]);

const model = tg.sequential({
  layers: [
    tg.layers.dense({ units: 16, activation: 'relu', inputShape: [2] }),
    tg.layers.dense({ units: 2, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: tg.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const path = join(mkdtempSync(join(tmpdir(), 'curves-')), 'curves.svg');
const history = await model.fit(x, y, {
  epochs: 30,
  batchSize: 32,
  validationSplit: 0.2,
  verbose: 0,
  callbacks: [
    new tg.TrainingCurves({ path }),
    new tg.callbacks.EarlyStopping({ monitor: 'val_loss', patience: 5 }),
  ],
});
console.log('history keys:', Object.keys(history.history).join(', '));
const acc = history.history.val_accuracy;
console.log(`validation accuracy above 0.9 at the end: ${acc[acc.length - 1] > 0.9}`);
console.log(
  `curves written: ${readFileSync(path, 'utf8').startsWith('<svg')} (one point per epoch: ${
    history.epoch.length ===
    readFileSync(path, 'utf8')
      .match(/data-series="loss"[^>]*points="([^"]+)"/)![1]
      .split(' ').length
  })`,
);
console.log('evaluate keys:', Object.keys(model.evaluate(x, y)).join(', '));
