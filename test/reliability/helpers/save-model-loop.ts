// Child process for the kill-mid-save test of Keras saves: saves a dense model as .keras or .h5 over and over, each
// time with every weight set to the save number k, and prints `saved k` after each save returns.
import * as tg from '../../../src/index.js';

const path = process.argv[2];
const units = Number(process.argv[3] ?? 1024);
const m = tg.sequential({ layers: [tg.layers.dense({ units, inputShape: [units], name: 'big' })] });
m.ensureBuilt();
const ws = m.weights.map((w) => w.value);
for (let k = 1; ; k++) {
  for (const w of ws) w.data.fill(k);
  await tg.keras.saveModel(m, path);
  process.stdout.write(`saved ${k}\n`);
}
