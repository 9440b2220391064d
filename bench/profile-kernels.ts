// `npx tsx bench/profile-kernels.ts [wide|sgemm|all] [--batch=32,128] [--threads=N] [--tfjs]`: where the wider
// CNN's training step spends its time (per kernel and per matmul shape, with GFLOP/s) and sgemm GFLOP/s at
// n = 128, 256, 1024, 2048 (with --tfjs, also tfjs-wasm at 1024). Numbers are medians of steps in one process.
// Wider CNN: 32×32×3 → conv 3×3×32 same relu → conv 3×3×32 same relu → pool 2 → conv 3×3×64 same relu →
// conv 3×3×64 same relu → pool 2 → dense 256 relu → dense 10, cross-entropy, plain SGD.
import { registerBackend, setBackend } from '../src/backend/kernels.js';
import { setNumThreads } from '../src/backend/wasm/threads.js';
import { wasmBackend } from '../src/backend/wasm/node.js';
import { valueAndGrads } from '../src/core/autodiff.js';
import { yieldToEventLoop } from '../src/core/storage.js';
import { Tensor } from '../src/core/tensor.js';
import { add, conv2d, crossEntropy, matmul, maxPool2d, relu, reshape } from '../src/ops/index.js';
import { initParams } from './lib/specs.js';
import { randArray, randLabels } from './lib/data.js';
import { cpuMs, timedKernels } from './lib/timed-kernels.js';

const args = process.argv.slice(2);
const mode = args.find((a) => !a.startsWith('--')) ?? 'all';
const opt = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const threads = Number(opt('threads')) || 2;
const batches = (opt('batch') ?? '32,128').split(',').map(Number);
if (!wasmBackend)
  throw new Error('profile-kernels: the wasm backend did not load; run `npm run build:wasm` first');
setNumThreads(threads);
await wasmBackend.pool.whenReady();

const WIDE_SHAPES = [
  [3, 3, 3, 32],
  [32],
  [3, 3, 32, 32],
  [32],
  [3, 3, 32, 64],
  [64],
  [3, 3, 64, 64],
  [64],
  [8 * 8 * 64, 256],
  [256],
  [256, 10],
  [10],
];
/** Multiply-adds ×2 per image of one training step: forward, input gradient (not for the first conv), filter gradient. */
const WIDE_FLOPS = (() => {
  const conv = (hw: number, k: number, o: number): number => 2 * hw * k * o;
  const fwd = [
    conv(1024, 27, 32),
    conv(1024, 288, 32),
    conv(256, 288, 64),
    conv(256, 576, 64),
    2 * 4096 * 256,
    2 * 2560,
  ];
  return fwd.reduce((s, f) => s + 3 * f, 0) - fwd[0];
})();

const t = (data: Float32Array, shape: number[]): Tensor => new Tensor(data, shape);
function wideLogits(x: Tensor, p: Tensor[]): Tensor {
  const cr = (h: Tensor, i: number): Tensor => relu(conv2d(h, p[2 * i], p[2 * i + 1], { padding: 'same' }));
  let h = maxPool2d(cr(cr(x, 0), 1), { kernelSize: 2 });
  h = maxPool2d(cr(cr(h, 2), 3), { kernelSize: 2 });
  h = relu(add(matmul(reshape(h, [x.shape[0], 4096]), p[8]), p[9]));
  return add(matmul(h, p[10]), p[11]);
}
function wideStep(batch: number): () => void {
  const params = initParams(WIDE_SHAPES, 7).map((a, i) => t(a, WIDE_SHAPES[i]));
  const x = t(randArray(batch * 32 * 32 * 3, 8), [batch, 32, 32, 3]);
  const y = new Tensor(randLabels(batch, 10, 9), [batch]);
  return () => {
    const { grads } = valueAndGrads((...ps: Tensor[]) => crossEntropy(wideLogits(x, ps), y))(...params);
    params.forEach((p, i) => {
      const d = p.data;
      const g = grads[i].data;
      for (let j = 0; j < d.length; j++) d[j] -= 0.01 * g[j];
    });
  };
}

// NOTE: with --threads=1 the CPU time of the process (process.cpuUsage) is also recorded per kernel: on a machine
// shared with other work it shows what a kernel costs when it has the core, where wall time shows the waiting too.
const { kernels: timed, stats } = timedKernels(wasmBackend, 'profiled-wasm');
registerBackend(timed);

const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
/** Wall ms of each of n calls (CPU ms of the process in `cpu` when given). */
async function steps(f: () => void, n: number, cpu?: number[]): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    f();
    ms.push(performance.now() - t0);
    cpu?.push(cpuMs() - c0);
    await yieldToEventLoop();
  }
  return ms;
}

async function wide(batch: number): Promise<void> {
  setBackend('wasm');
  const step = wideStep(batch);
  await steps(step, 5);
  const R = batch >= 128 ? 6 : 15;
  const cpu: number[] = [];
  const ms = median(await steps(step, R, cpu));
  setBackend('profiled-wasm');
  stats.clear();
  const pms = median(await steps(step, R));
  setBackend('wasm');
  let kernelMs = 0;
  for (const s of stats.values()) kernelMs += s.ms / R;
  const gf = (WIDE_FLOPS * batch) / ms / 1e6;
  const c = median(cpu);
  console.log(
    `\nwider CNN training, batch ${batch}, ${threads} threads: median ${ms.toFixed(1)} ms per step = ` +
      `${((batch / ms) * 1000).toFixed(0)} images/s (${gf.toFixed(1)} GFLOP/s of conv/dense math); ` +
      `CPU ${c.toFixed(1)} ms per step${threads === 1 ? ` = ${((batch / c) * 1000).toFixed(0)} images/s per busy core` : ''}`,
  );
  console.log(`profiled: ${pms.toFixed(1)} ms per step, kernel calls ${kernelMs.toFixed(1)} ms\n`);
  console.log(
    '| ms/step | % | CPU ms/step | calls | GFLOP/s (wall) | GFLOP/s (CPU) | kernel |\n| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const [k, s] of [...stats.entries()].sort((p, q) => q[1].ms - p[1].ms).slice(0, 28))
    console.log(
      `| ${(s.ms / R).toFixed(2)} | ${((100 * s.ms) / R / pms).toFixed(1)} | ${(s.cpu / R).toFixed(2)} | ${(s.calls / R).toFixed(0)} | ` +
        `${s.flops ? (s.flops / s.ms / 1e6).toFixed(1) : ''} | ${s.flops && s.cpu ? (s.flops / s.cpu / 1e6).toFixed(1) : ''} | ${k} |`,
    );
}

async function sgemm(): Promise<void> {
  setBackend('wasm');
  console.log(`\nsgemm n×n·n×n (${threads} threads), GFLOP/s (median):`);
  for (const n of [128, 256, 512, 1024, 2048]) {
    const a = t(randArray(n * n, 1), [n, n]);
    const b = t(randArray(n * n, 2), [n, n]);
    const reps = Math.max(3, Math.min(200, Math.round(2e9 / (2 * n ** 3))));
    const cpu: number[] = [];
    const ms = median(await steps(() => void matmul(a, b), reps, cpu));
    const f = (2 * n ** 3) / 1e6;
    console.log(`  n=${n}: ${(f / ms).toFixed(1)} wall, ${(f / median(cpu)).toFixed(1)} per CPU-second`);
  }
  if (args.includes('--tfjs')) {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    const n = 1024;
    const ta = tf.tensor2d(randArray(n * n, 1), [n, n]);
    const tb = tf.tensor2d(randArray(n * n, 2), [n, n]);
    const ms: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t0 = performance.now();
      const c = tf.matMul(ta, tb);
      await c.data();
      c.dispose();
      ms.push(performance.now() - t0);
    }
    console.log(`  tfjs-wasm n=1024: ${((2 * n ** 3) / median(ms.slice(2)) / 1e6).toFixed(1)}`);
  }
}

if (mode === 'wide' || mode === 'all') for (const b of batches) await wide(b);
if (mode === 'sgemm' || mode === 'all') await sgemm();
wasmBackend.pool.shutdown();
