// Node's speed on the page's own training loop: the worker's Trainer (src/trainer.ts) on the same digits, batch 32,
// so the page's steps/s can be compared with Node's on the same machine.
// Run: npm run build && npx tsx examples/web/speed.ts [steps]
import * as tg from 'tapegrad';
import { makeDigits } from './digits-plugin.js';
import { type Split, Trainer } from './src/trainer.js';

const steps = Number(process.argv[2] ?? 150);
const b = makeDigits();
const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
const [nTrain, nTest] = [dv.getUint32(4, true), dv.getUint32(8, true)];
const n = nTrain + nTest;
const px = Float32Array.from(b.subarray(12, 12 + n * 784), (v) => v / 255);
const labels = Int32Array.from(b.subarray(12 + n * 784, 12 + n * 785));
const split = (a: number, c: number): Split => ({
  px: px.subarray(a * 784, (a + c) * 784),
  labels: labels.subarray(a, a + c),
  n: c,
});
tg.setSeed(42);
const trainer = new Trainer(split(0, nTrain), split(nTrain, nTest));
// NOTE: the same work per step as the page: statistics every 10th step, an evaluation every 25th.
const run = async (k: number): Promise<number> => {
  const t0 = performance.now();
  for (let i = 0; i < k; i++) {
    trainer.trainStep((trainer.step + 1) % 10 === 0);
    if (trainer.step % 25 === 0) trainer.evaluate();
    await new Promise((r) => setTimeout(r, 0));
  }
  return (performance.now() - t0) / 1000;
};
await run(20); // warm-up
const s = await run(steps);
console.log(
  `node: ${(steps / s).toFixed(1)} steps/s, ${Math.round((32 * steps) / s)} examples/s over ${steps} steps ` +
    `(backend ${tg.getBackend()}, ${tg.getNumThreads()} threads, test accuracy ${(100 * trainer.evaluate().testAcc).toFixed(1)}%)`,
);
