// How much of a fresh process's slow first steps is the machine? The seed CNN's training step as the benchmark's
// cnn-train cell runs it (valueAndGrads + plain SGD, batch 32, 2 threads), in fresh processes, with a fixed JavaScript
// loop (~30 µs, no library code, optimized before the model is built) timed on the main thread before every step.
// Per process: steps 5–10 over the steady median (the benchmark's row), the fixed loop's steps 5–10 over its steady
// median (> 1: the core itself ran slower in that window; see scripts/machine-phase.ts), and the first divided by the
// second: the part of the row the machine's phase does not explain.
//   node --import tsx scripts/first-steps-phase.ts [processes=8] [steps=400]     (FS_THREADS=1: one thread)
import { execFileSync } from 'node:child_process';
import { fixedLoopMs } from '../bench/lib/fixed-loop.js';
import { quantile } from '../bench/lib/measure.js';

const median = (a: number[]): number => quantile(a, 0.5);

if (process.argv[2] === '--child') {
  const steps = Number(process.argv[3]);
  for (let i = 0; i < 2000; i++) fixedLoopMs(5); // optimized before the step's code starts to tier up
  const { freshSeedCnn } = await import('../bench/lib/seed-cnn.js');
  const m = await freshSeedCnn(Number(process.env.FS_THREADS ?? 2));
  const step: number[] = [];
  const probe: number[] = [];
  for (let i = 0; i < steps; i++) {
    probe.push(fixedLoopMs(5));
    const t = performance.now();
    m.train();
    step.push(performance.now() - t);
  }
  const steady = steps >> 1; // the second half of the loop is its steady state
  const ratio = (a: number[]): number => median(a.slice(4, 10)) / median(a.slice(steady));
  console.log(
    JSON.stringify({ row: ratio(step), machine: ratio(probe), steady: median(step.slice(steady)) }),
  );
  process.exit(0);
}

const processes = Number(process.argv[2] ?? 8);
const steps = Math.max(100, Number(process.argv[3] ?? 400));
const rows: { row: number; machine: number; steady: number }[] = [];
for (let p = 0; p < processes; p++) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', process.argv[1], '--child', String(steps)], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { row: number; machine: number; steady: number };
  rows.push(r);
  console.log(
    `process ${p + 1}: steps 5–10 / steady ${r.row.toFixed(2)} (steady ${r.steady.toFixed(2)} ms), ` +
      `fixed loop ${r.machine.toFixed(2)}, row / loop ${(r.row / r.machine).toFixed(2)}`,
  );
}
const med = (f: (r: (typeof rows)[number]) => number): string => median(rows.map(f)).toFixed(2);
console.log(
  `medians over ${processes} processes: steps 5–10 / steady ${med((r) => r.row)}, fixed loop ${med((r) => r.machine)}, ` +
    `row / loop ${med((r) => r.row / r.machine)}`,
);
