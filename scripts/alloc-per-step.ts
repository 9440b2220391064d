// What the seed CNN's training step (bench/models/tapegrad.ts: valueAndGrads + plain SGD, batch 32) allocates on V8's
// heap, step by step, in fresh processes: new-space bytes used across each step (steps in which a collection ran are
// left out), the median over steps 5–10 and over steps 200–260, the collections counted in those windows, and the
// tensors a step makes (every op's output, plus those the grads call and the benchmark make; Tensor ids count them).
// Unlike step times, these numbers do not move with the machine's phase: use them to judge a change to the op path's
// JavaScript (every KiB a step in the first steps is also ~¼ of a first-touch page fault; docs/performance.md).
//   node --import tsx scripts/alloc-per-step.ts [processes=3] [threads=2]
import { execFileSync } from 'node:child_process';
import { quantile } from '../bench/lib/measure.js';

const STEPS = 300;
const EARLY: [number, number] = [4, 10];
const LATE: [number, number] = [200, 260];

if (process.argv[2] === '--child') {
  const v8 = await import('node:v8');
  const { PerformanceObserver } = await import('node:perf_hooks');
  const { freshSeedCnn } = await import('../bench/lib/seed-cnn.js');
  const { Tensor } = await import('../src/core/tensor.js');
  const m = await freshSeedCnn(Number(process.argv[3]));
  const gcAt: number[] = [];
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gcAt.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  const newSpace = (): number =>
    v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
  const marks: number[] = [];
  const bytes: number[] = [];
  const made: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const before = newSpace();
    const id = Tensor.peekId();
    marks.push(performance.now());
    m.train();
    bytes.push(newSpace() - before); // negative when a scavenge emptied new space mid-step
    made.push(Tensor.peekId() - id);
  }
  marks.push(performance.now());
  await new Promise((r) => setTimeout(r, 50)); // let the observer deliver the last entries
  obs.disconnect();
  const window = ([a, b]: [number, number]) => {
    const kept = bytes.slice(a, b).filter((x) => x >= 0);
    const gcs = gcAt.filter((t) => t >= marks[a] && t < marks[b]).length;
    return { kib: kept.length ? quantile(kept, 0.5) / 1024 : NaN, gcs };
  };
  console.log(
    JSON.stringify({ early: window(EARLY), late: window(LATE), tensors: quantile(made.slice(4), 0.5) }),
  );
  process.exit(0);
}

const processes = Number(process.argv[2] ?? 3);
const threads = Number(process.argv[3] ?? 2);
const early: number[] = [];
const late: number[] = [];
for (let p = 0; p < processes; p++) {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', String(threads)],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').pop()!);
  early.push(r.early.kib);
  late.push(r.late.kib);
  console.log(
    `process ${p + 1}: steps 5–10 ${r.early.kib.toFixed(0)} KiB a step (${r.early.gcs} collections), ` +
      `steps 201–260 ${r.late.kib.toFixed(0)} KiB a step (${r.late.gcs} collections), ${r.tensors} tensors a step`,
  );
}
console.log(
  `medians over ${processes} processes: steps 5–10 ${quantile(early, 0.5).toFixed(0)} KiB a step, ` +
    `steps 201–260 ${quantile(late, 0.5).toFixed(0)} KiB a step`,
);
