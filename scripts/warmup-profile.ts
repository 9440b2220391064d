// The seed CNN's training step over a long synchronous run, as bench/worker.ts's cnn-train cell runs it
// (tg.valueAndGrads + plain SGD, batch 32, wasm backend): medians per block of steps, the steps 5–10 / steady ratio,
// the same loop yielding per step, JS bytes allocated per step, and how many ops a step dispatches.
//   node --import tsx scripts/warmup-profile.ts [steps=300] [block=20] [--threads=N] [--count]
//   node --no-opt --import tsx scripts/warmup-profile.ts 60      (the unoptimized cost: Ignition/Sparkplug only)
// --count wraps every row's forward with a counter (a separate run: the wrapper changes what V8 sees).
import { availableParallelism } from 'node:os';
import { quantile } from '../bench/lib/measure.js';
import { randArray, randLabels } from '../bench/lib/data.js';
import { SEED_CNN, initParams, specParamShapes } from '../bench/lib/specs.js';

const args = process.argv.slice(2);
const nums = args.filter((a) => /^\d+$/.test(a)).map(Number);
const steps = nums[0] ?? 300;
const block = nums[1] ?? 20;
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10)) || availableParallelism();
const count = args.includes('--count');
// --prof=A-B: CPU-profile steps A..B (1-based, inclusive) into /tmp/warmup-A-B.cpuprofile
const profArg = args.find((a) => a.startsWith('--prof='))?.slice(7);
const [profFrom, profTo] = profArg ? profArg.split('-').map(Number) : [0, -1];
const { Session } = await import('node:inspector');
const session = new Session();
const post = (method: string, params?: object): Promise<any> =>
  new Promise((res, rej) => session.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
if (profArg) {
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
}

const { wasmBackend } = await import('../src/backend/wasm/node.js');
const { setBackend } = await import('../src/backend/kernels.js');
const { setNumThreads } = await import('../src/backend/wasm/threads.js');
if (!wasmBackend) throw new Error('warmup-profile: the wasm backend did not load; run `npm run build:wasm`');
setBackend('wasm');
setNumThreads(threads);
await wasmBackend.pool.whenReady();

const { PRIMS } = await import('../src/ops/table.js');
const counts = new Map<string, number>();
const sequence: string[] = [];
if (count) {
  type Row = { forward: (...a: any[]) => unknown };
  for (const [name, row] of Object.entries(PRIMS) as [string, Row][]) {
    const f = row.forward;
    row.forward = (...a: any[]) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      const ins = (a[1] as { shape: number[] }[]).map((t) => `[${t.shape}]`).join(' ');
      sequence.push(`${name} ${ins} -> [${a[4]}]`);
      return f(...a);
    };
  }
}

// --split: time every kernel call (the backend's JS plumbing and the wasm code) apart from the rest of the step
const split = args.includes('--split');
let kernelMs = 0;
if (split) {
  const { kernels } = await import('../src/backend/kernels.js');
  const k = kernels() as unknown as Record<string, unknown>;
  const plumbing = new Set(['alloc', 'free', 'hold', 'unhold', 'memory', 'setMemoryBudget']);
  for (const name of Object.keys(k)) {
    const f = k[name];
    if (typeof f !== 'function' || plumbing.has(name)) continue;
    k[name] = (...a: unknown[]) => {
      const t = performance.now();
      try {
        return (f as (...a: unknown[]) => unknown).apply(k, a);
      } finally {
        kernelMs += performance.now() - t;
      }
    };
  }
}
const kernelTimes: number[] = [];

const { tapegradCnn } = await import('../bench/models/tapegrad.js');
const shapes = specParamShapes(SEED_CNN);
const batch = 32;
const m = tapegradCnn(
  initParams(shapes, 13),
  shapes,
  randArray(batch * SEED_CNN.h * SEED_CNN.w * SEED_CNN.c, 113),
  randLabels(batch, SEED_CNN.classes, 213),
  batch,
);

const times: number[] = [];
const heapDeltas: number[] = [];
const cpuTimes: number[] = [];
for (let i = 0; i < steps; i++) {
  if (i + 1 === profFrom) {
    await post('Profiler.start');
    if (args.includes('--heap'))
      await post('HeapProfiler.startSampling', {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
  }
  const h = process.memoryUsage().heapUsed;
  const c = process.cpuUsage();
  kernelMs = 0;
  const t = performance.now();
  m.train();
  times.push(performance.now() - t);
  kernelTimes.push(kernelMs);
  const dc = process.cpuUsage(c);
  cpuTimes.push((dc.user + dc.system) / 1000);
  heapDeltas.push(process.memoryUsage().heapUsed - h);
  if (i + 1 === profTo) {
    if (args.includes('--heap')) {
      const { profile: heap } = await post('HeapProfiler.stopSampling');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`/tmp/warmup-${profArg}.heapprofile`, JSON.stringify(heap));
    }
    const { profile } = await post('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`/tmp/warmup-${profArg}.cpuprofile`, JSON.stringify(profile));
  }
  if (count && i === 0) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
    console.log(`ops dispatched in step 1: ${total} (${rows.join(', ')})`);
    if (args.includes('--sequence')) console.log(sequence.join('\n'));
    counts.clear();
  }
}
if (count)
  console.log(
    `ops per step (steps 2..${steps}): ${[...counts.values()].reduce((a, b) => a + b, 0) / (steps - 1)}`,
  );

// NOTE: JS bytes per step = the heap's growth over a step in which no collection ran: the median of the positive
// deltas (a step with a scavenge shows a drop). Approximate: memoryUsage() itself allocates a little.
const grown = heapDeltas.slice(warmupOf(steps)).filter((d) => d > 0);
console.log(
  `JS heap growth per step (median of GC-free steps): ${(quantile(grown, 0.5) / 1024).toFixed(0)} KiB`,
);
function warmupOf(n: number): number {
  return Math.min(n - 1, Math.max(5, Math.floor(n / 5)));
}

const med = (xs: number[]): number => quantile(xs, 0.5);
const lines: string[] = [];
for (let s = 0; s < steps; s += block)
  lines.push(`${s + 1}-${Math.min(steps, s + block)}: ${med(times.slice(s, s + block)).toFixed(2)}`);
const warm = warmupOf(steps);
const steady = med(times.slice(warm));
const early = med(times.slice(4, 10));
// NOTE: process CPU time (every thread: with --threads=1 and --no-opt that is the main thread plus GC helpers)
// moves less than wall time on a shared machine.
console.log(
  `CPU ms per step: steps 5-10 ${med(cpuTimes.slice(4, 10)).toFixed(2)}, steady ${med(cpuTimes.slice(warmupOf(steps))).toFixed(2)}`,
);
if (split) {
  const parts: string[] = [];
  for (let s = 0; s < steps; s += block) {
    const k = kernelTimes.slice(s, s + block);
    const js = times.slice(s, s + block).map((t, i) => t - k[i]);
    parts.push(`${s + 1}-${Math.min(steps, s + block)}: ${med(k).toFixed(2)} + ${med(js).toFixed(2)}`);
  }
  console.log(`kernel calls + the rest, medians per ${block} steps (ms): ${parts.join(' | ')}`);
  const k510 = kernelTimes.slice(4, 10);
  const js510 = times.slice(4, 10).map((t, i) => t - k510[i]);
  const kS = kernelTimes.slice(warmupOf(steps));
  const jsS = times.slice(warmupOf(steps)).map((t, i) => t - kS[i]);
  console.log(
    `SPLIT kernels 5-10 ${med(k510).toFixed(2)} steady ${med(kS).toFixed(2)}; rest 5-10 ${med(js510).toFixed(2)} steady ${med(jsS).toFixed(2)}`,
  );
}
console.log(`medians per ${block} steps (ms): ${lines.join(' | ')}`);
console.log(
  `first 5 mean ${(times.slice(0, 5).reduce((a, b) => a + b, 0) / 5).toFixed(2)} ms; steps 5-10 ${early.toFixed(2)} ms; ` +
    `steady (after ${warm}) ${steady.toFixed(2)} ms; from5th ${(early / steady).toFixed(2)}`,
);

// the same model in a loop that yields after every step
const ytimes: number[] = [];
for (let i = 0; i < Math.min(100, steps); i++) {
  const t = performance.now();
  m.train();
  await new Promise((r) => setImmediate(r));
  ytimes.push(performance.now() - t);
}
console.log(
  `yielding median ${med(ytimes).toFixed(2)} ms; sync/yielding speed ${(med(ytimes) / steady).toFixed(2)}`,
);
const cpuEarly = med(cpuTimes.slice(4, 10));
const cpuSteady = med(cpuTimes.slice(warm));
const kib = quantile(grown, 0.5) / 1024;
// one line for scripts that compare runs: wall and CPU ms of steps 5-10 and steady, their ratios, yielding ratio, KiB
const summary = [
  early,
  steady,
  early / steady,
  cpuEarly,
  cpuSteady,
  cpuEarly / cpuSteady,
  med(ytimes) / steady,
  kib,
];
console.log(`SUMMARY ${summary.map((v) => v.toFixed(3)).join(' ')}`);
process.exit(0);
