// Peak RSS of the seed CNN's fit with default settings (issue 12's target: ≤ 384 MiB for 3 epochs × 4,096 images),
// with time per epoch and the backend's memory at the end. Usage: npx tsx scripts/fit-rss.ts [images] [epochs]
import * as tg from '../src/index.js';
import { seedNetwork } from '../test/support/seed-network.js';

const n = Number(process.argv[2] ?? 4096);
const epochs = Number(process.argv[3] ?? 3);
tg.setSeed(1);
const x = tg.rand([n, 32, 32, 3]);
const y = tg.tensor(
  Int32Array.from({ length: n }, (_, i) => (i * 7) % 10),
  [n],
);
const model = seedNetwork();
model.buildModel([null, 32, 32, 3]);
model.compile({
  optimizer: tg.train.adam(0.001),
  loss: (t, p) => tg.losses.sparseCategoricalCrossentropy(t, p, { fromLogits: true }),
  metrics: ['accuracy'],
});
const t0 = performance.now();
await model.fit(x, y, { epochs, batchSize: 32, verbose: 0 });
const ms = performance.now() - t0;
const m = tg.memory();
console.log(
  `seed CNN fit ${epochs} × ${n}: ${(ms / epochs / 1000).toFixed(1)} s/epoch, ${Math.round((n * epochs) / (ms / 1000))} img/s; ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; resident now ${(m.residentBytes / 2 ** 20).toFixed(1)} MiB, ` +
    `wasm memory ${(m.memoryBytes / 2 ** 20).toFixed(0)} MiB, evicted ${m.evicted}, finalized ${m.finalized}`,
);
