// Quick check of the memory design in the loops users write: the seed CNN training step (valueAndGrads + plain
// SGD, batch 32) and inference, timed in a plain synchronous loop and in a loop that yields per step, with the
// backend's resident bytes and the process's peak RSS. Usage: npx tsx scripts/loop-check.ts [steps]
import * as tg from '../src/index.js';
import { tapegradCnn } from '../bench/models/tapegrad.js';
import { CNN, CNN_PARAM_SHAPES, initParams } from '../bench/lib/specs.js';
import { randArray } from '../bench/lib/timer.js';

const steps = Number(process.argv[2] ?? 60);
const B = 32;
const images = randArray(B * CNN.h * CNN.w * CNN.c, 7, 1);
const labels = Int32Array.from({ length: B }, (_, i) => i % CNN.classes);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
async function time(what: string, step: () => unknown, yielding: boolean): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
    if (yielding) await new Promise((r) => setImmediate(r));
  }
  const first = ms.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
  const steady = median(ms.slice(5));
  const m = tg.memory();
  console.log(
    `${what.padEnd(28)} ${yielding ? 'yield' : 'sync '}  first5 ${first.toFixed(1)} ms  median ${steady.toFixed(2)} ms ` +
      `(${Math.round((B / steady) * 1000)} img/s)  resident ${(m.residentBytes / 2 ** 20).toFixed(1)} MiB ` +
      `evicted ${m.evicted}  rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  );
}
for (const yielding of [false, true]) {
  const net = tapegradCnn(initParams(CNN_PARAM_SHAPES, 1), CNN_PARAM_SHAPES, images, labels, B);
  await time('seed CNN train step', () => net.train(), yielding);
  await time('seed CNN inference', () => net.infer(), yielding);
}
