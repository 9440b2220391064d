// Is a training loop's slow start the engine's JIT or the library's own first-use work? The seed CNN's training step
// as bench/worker.ts's cnn-train cell runs it (valueAndGrads + plain SGD, batch 32, wasm backend), for several fresh
// models one after another in one process: the first model's steps 5–10 pay V8's tier-up, a later fresh model's do
// not (fresh parameters, tapes and arena blocks, optimized code). Prints per round the first 10 step times, the page
// faults of each (first touches of memory: ~12 µs each on the CI-like VM) and steps 5–10 over the steady median.
//   node --import tsx scripts/fresh-model.ts [rounds=3] [steps=400] [--threads=N]
import { availableParallelism } from 'node:os';
import { quantile } from '../bench/lib/measure.js';
import { randArray, randLabels } from '../bench/lib/data.js';
import { SEED_CNN, initParams, specParamShapes } from '../bench/lib/specs.js';

const args = process.argv.slice(2);
const nums = args.filter((a) => /^\d+$/.test(a)).map(Number);
const rounds = nums[0] ?? 3;
const steps = Math.max(20, nums[1] ?? 400);
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10)) || availableParallelism();

const tg = await import('../src/index.js');
tg.setBackend('wasm');
tg.setNumThreads(threads);
await tg.ready();
const { tapegradCnn } = await import('../bench/models/tapegrad.js');
const shapes = specParamShapes(SEED_CNN);
const { h, w, c, classes } = SEED_CNN;

for (let round = 0; round < rounds; round++) {
  const m = tapegradCnn(
    initParams(shapes, 13 + round),
    shapes,
    randArray(32 * h * w * c, 113 + round),
    randLabels(32, classes, 213 + round),
    32,
  );
  const times: number[] = [];
  const faults: number[] = [];
  for (let i = 0; i < steps; i++) {
    const f0 = process.resourceUsage().minorPageFault;
    const t = performance.now();
    m.train();
    times.push(performance.now() - t);
    faults.push(process.resourceUsage().minorPageFault - f0);
  }
  const early = quantile(times.slice(4, 10), 0.5);
  const steady = quantile(times.slice(Math.floor(steps / 5)), 0.5);
  console.log(
    `model ${round + 1}: steps 1–10 ${times
      .slice(0, 10)
      .map((x) => x.toFixed(1))
      .join(' ')} ms | faults ${faults.slice(0, 10).join(' ')} | steps 5–10 ${early.toFixed(2)} ms, ` +
      `steady ${steady.toFixed(2)} ms: ${(early / steady).toFixed(2)}`,
  );
}
