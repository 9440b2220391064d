// `npx tsx bench/profile.ts [cnn-train|cnn-infer|wide-32|wide-128|lstm-81|lstm-16] [--threads=N]`: where a
// workload's time goes on the wasm backend — step time (best and mean), time per kernel call grouped by kernel
// and shape, and page faults.
import { registerBackend, setBackend, type Kernels } from '../src/backend/kernels.js';
import { setNumThreads } from '../src/backend/wasm/threads.js';
import { wasmBackend } from '../src/backend/wasm/node.js';
import { yieldToEventLoop } from '../src/core/storage.js';
import { tapegradCnn, tapegradLstm } from './models/tapegrad.js';
import {
  CNN,
  CNN_PARAM_SHAPES,
  LSTM,
  LSTM_PARAM_SHAPES,
  WIDE_CNN,
  initParams,
  specParamShapes,
} from './lib/specs.js';
import { randArray, randLabels } from './lib/data.js';

const mode = process.argv[2] ?? 'cnn-train';
const threads = Number(process.argv.find((a) => a.startsWith('--threads='))?.slice(10)) || 2;
if (!wasmBackend) throw new Error('profile: the wasm backend did not load; run `npm run build:wasm` first');
setNumThreads(threads);
await wasmBackend.pool.whenReady();

/** A backend that forwards to wasm and accumulates wall time per kernel label. */
const stats = new Map<string, { calls: number; ms: number }>();
function label(name: string, a: unknown[]): string {
  if (name === 'unary' || name === 'binary' || name === 'compare' || name === 'reduce')
    return `${name} ${String(a[0])}`;
  if (name === 'matmul')
    return `matmul ${a[5]}×${a[6]}×${a[7]} ${a[8] ? 'T' : 'N'}${a[9] ? 'T' : 'N'} batch ${Math.max(a[3] as number, a[4] as number)}`;
  return name;
}
const inner = wasmBackend as unknown as Record<string, unknown>;
const timed: Record<string, unknown> = { name: 'profiled-wasm' };
for (const [key, f] of Object.entries(inner)) {
  if (typeof f !== 'function') continue;
  timed[key] = (...a: unknown[]) => {
    const t = performance.now();
    const r = (f as (...x: unknown[]) => unknown).apply(wasmBackend, a);
    const s = stats.get(label(key, a)) ?? { calls: 0, ms: 0 };
    s.calls++;
    s.ms += performance.now() - t;
    stats.set(label(key, a), s);
    return r;
  };
}
registerBackend(timed as unknown as Kernels);

let step: () => void;
let perStep = '';
if (mode.startsWith('cnn')) {
  const B = 32;
  const m = tapegradCnn(
    initParams(CNN_PARAM_SHAPES, 1),
    CNN_PARAM_SHAPES,
    randArray(B * CNN.h * CNN.w * CNN.c, 2),
    randLabels(B, CNN.classes, 3),
    B,
  );
  step = mode === 'cnn-infer' ? () => void m.infer() : () => void m.train();
  perStep = 'images/s at batch 32';
} else if (mode.startsWith('wide')) {
  // the wider CNN's training step (bench cells wide-train-32 / wide-train-128)
  const B = Number(mode.split('-')[1]) || 32;
  const shapes = specParamShapes(WIDE_CNN);
  const { h, w, c } = WIDE_CNN;
  const m = tapegradCnn(
    initParams(shapes, 1),
    shapes,
    randArray(B * h * w * c, 2),
    randLabels(B, WIDE_CNN.classes, 3),
    B,
    [h, w, c],
    WIDE_CNN,
  );
  step = () => void m.train();
} else {
  const batch = Number(mode.split('-')[1]) || 81;
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  const m = tapegradLstm(
    initParams(LSTM_PARAM_SHAPES, 43),
    LSTM_PARAM_SHAPES,
    randArray(N * T * F, 41),
    randArray(N * T * O, 42),
  );
  step = () => void m.epoch(batch);
}

setBackend('wasm');
for (let i = 0; i < (mode.startsWith('wide') ? 40 : 300); i++) {
  step();
  await yieldToEventLoop();
}
let elapsed = 0;
const R = mode.startsWith('cnn') ? 100 : 10; // wide and lstm: 10 steps
let best = Infinity;
const f0 = process.resourceUsage().minorPageFault;
for (let i = 0; i < R; i++) {
  const t = performance.now();
  step();
  const dt = performance.now() - t;
  best = Math.min(best, dt);
  elapsed += dt;
  await yieldToEventLoop();
}
const mean = elapsed / R;
const faults = (process.resourceUsage().minorPageFault - f0) / R;
setBackend('profiled-wasm');
step();
stats.clear();
let profiledMs = 0;
for (let i = 0; i < R; i++) {
  const t = performance.now();
  step();
  profiledMs += performance.now() - t;
  await yieldToEventLoop();
}
const profiled = profiledMs / R;
setBackend('wasm');
let kernelMs = 0;
for (const s of stats.values()) kernelMs += s.ms / R;
console.log(
  `${mode} (${threads} threads): best ${best.toFixed(2)} ms, mean ${mean.toFixed(2)} ms per step${perStep ? ` (best ${((32 / best) * 1000).toFixed(0)} ${perStep})` : ''}; ${faults.toFixed(0)} page faults per step`,
);
console.log(
  `profiled run: ${profiled.toFixed(2)} ms per step, of which kernel calls ${kernelMs.toFixed(2)} ms (the rest: op layer, tape, allocation, GC)\n`,
);
console.log('| ms/step | calls/step | kernel |\n| ---: | ---: | --- |');
for (const [k, s] of [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20))
  console.log(`| ${(s.ms / R).toFixed(3)} | ${(s.calls / R).toFixed(0)} | ${k} |`);
