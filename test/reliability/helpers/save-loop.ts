// Child process for the kill-mid-save test: saves a 16 MB checkpoint over and over, each time with every weight set
// to the save number k, and prints `saved k` after each save returns.
import * as tg from '../../../src/index.js';

const path = process.argv[2];
const units = Number(process.argv[3] ?? 2048);
const m = tg.sequential({ layers: [tg.layers.dense({ units, inputShape: [units], name: 'big' })] });
const ws = m.weights.map((w) => w.value); // the live tensors (getWeights returns copies)
for (let k = 1; ; k++) {
  for (const w of ws) w.data.fill(k);
  await tg.saveWeights(m, path, { metadata: { k: String(k) } });
  process.stdout.write(`saved ${k}\n`);
}
