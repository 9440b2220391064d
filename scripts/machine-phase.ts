// Is it the code or the machine? Times a small workload (tapegrad's predict of the ONNX MLP the benchmark runs, batch
// 32) in 250 ms blocks, interleaved with a fixed JavaScript loop that touches no library code (one short loop every 20
// predicts); each row is one block's medians. Where both slow down in the same blocks, the CPU itself ran slower then
// (this VM's cores lose speed for seconds at a time).
//   node --import tsx scripts/machine-phase.ts [seconds=6] [threads=2]
import { readFileSync } from 'node:fs';
import * as tg from '../src/index.js';
import { fixedLoopMs } from '../bench/lib/fixed-loop.js';
import { quantile } from '../bench/lib/measure.js';

const seconds = Number(process.argv[2] ?? 6);
tg.setNumThreads(Number(process.argv[3] ?? 2));
await tg.ready();
const m = await tg.onnx.loadModel(readFileSync(new URL('../test/fixtures/onnx/mlp.onnx', import.meta.url)));
const x = tg.rand([32, 6], { low: -1, high: 1, rng: new tg.Rng(71) });

const median = (a: number[]): number => quantile(a, 0.5);
const rows: string[] = [];
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  const steps: number[] = [];
  const loops: number[] = [];
  const b0 = performance.now();
  while (performance.now() - b0 < 250) {
    loops.push(fixedLoopMs(20));
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      m.predict(x, { batchSize: 32 });
      steps.push(performance.now() - t);
    }
  }
  rows.push(
    `${((performance.now() - t0) / 1000).toFixed(2)} s  predict ${(median(steps) * 1000).toFixed(1)} µs  loop ${(median(loops) * 1000).toFixed(0)} µs`,
  );
}
console.log(rows.join('\n'));
