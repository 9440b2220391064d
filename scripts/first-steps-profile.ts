// Where the first steps' extra time goes, function by function: the seed CNN's training step (bench/models/tapegrad.ts,
// tg.valueAndGrads + plain SGD, batch 32, 2 threads) CPU-profiled for 300 steps in fresh processes, then self time per
// function (JavaScript, wasm, the collector) in steps 5–10 against steps 200–260, ms a step, largest excess first.
//   node --import tsx scripts/first-steps-profile.ts [processes=6] [top=40]
// Session 19 found four wasm kernels in V8's baseline tier this way (docs/performance.md, "What session 19 changed").
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: Node[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
const EARLY = [4, 10];
const LATE = [200, 260];
const STEPS = 300;

if (process.argv[2] === '--child') {
  // one fresh process: profile the loop, write { profile, marks } (µs on the profiler's clock) to argv[3]
  const { Session } = await import('node:inspector');
  const { freshSeedCnn } = await import('../bench/lib/seed-cnn.js');
  const m = await freshSeedCnn(2);
  const s = new Session();
  s.connect();
  const post = (method: string, params?: object): Promise<any> =>
    new Promise((res, rej) => s.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  // NOTE: the profiler's timestamps and process.hrtime are both the monotonic clock
  const marks: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    marks.push(Number(process.hrtime.bigint() / 1000n));
    m.train();
  }
  marks.push(Number(process.hrtime.bigint() / 1000n));
  const { profile } = await post('Profiler.stop');
  writeFileSync(process.argv[3], JSON.stringify({ profile, marks }));
  process.exit(0);
}

const processes = Number(process.argv[2] ?? 6);
const top = Number(process.argv[3] ?? 40);
const self = new Map<string, [number, number]>();
for (let p = 0; p < processes; p++) {
  const file = join(tmpdir(), `first-steps-${process.pid}-${p}.json`);
  execFileSync(process.execPath, ['--import', 'tsx', process.argv[1], '--child', file], { stdio: 'inherit' });
  const { profile, marks } = JSON.parse(readFileSync(file, 'utf8')) as { profile: Profile; marks: number[] };
  rmSync(file);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const early = t >= marks[EARLY[0]] && t < marks[EARLY[1]];
    const late = t >= marks[LATE[0]] && t < marks[LATE[1]];
    if (!early && !late) continue;
    const f = byId.get(profile.samples[i])!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(src|bench)\//, '$1/')}:${f.columnNumber + 1}`;
    const r = self.get(key) ?? [0, 0];
    r[early ? 0 : 1] += profile.timeDeltas[i + 1] ?? 0;
    self.set(key, r);
  }
}
// µs summed over the processes → ms a step
const perStep = [...self].map(([k, [e, l]]) => ({
  k,
  e: e / 1000 / (processes * (EARLY[1] - EARLY[0])),
  l: l / 1000 / (processes * (LATE[1] - LATE[0])),
}));
const total = perStep.reduce((a, r) => [a[0] + r.e, a[1] + r.l], [0, 0]);
console.log(
  `steps 5–10: ${total[0].toFixed(2)} ms a step; steps 201–260: ${total[1].toFixed(2)} (main thread, sampled)`,
);
console.log('excess    early     late   function');
for (const r of perStep.sort((a, b) => b.e - b.l - (a.e - a.l)).slice(0, top))
  console.log(
    `${(r.e - r.l).toFixed(3).padStart(6)} ${r.e.toFixed(3).padStart(8)} ${r.l.toFixed(3).padStart(8)}   ${r.k}`,
  );
