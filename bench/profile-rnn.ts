// `npx tsx bench/profile-rnn.ts [--reps=N] [--ops] [--yield]`: the seed encoder-decoder LSTM through tg.layers (compile + fit,
// and a hand-written valueAndGrads step on the same model) against the same math as explicit cells with functional
// ops (bench/models/tapegrad.ts), in one process and a plain synchronous loop; then, per path, where a step's time
// goes: forward vs backward, ops dispatched per step by name, and kernel time per kernel. Also Dense and Conv2D
// layers against functional matmul / conv2d. Absolute times depend on the machine's load: compare the ratios.
import * as tg from '../src/index.js';
import { registerBackend, setBackend, type Kernels } from '../src/backend/kernels.js';
import { wasmBackend } from '../src/backend/wasm-node.js';
import { yieldToEventLoop } from '../src/core/storage.js';
import { onOp } from '../src/core/tape.js';
import { tapegradLstm } from './models/tapegrad.js';
import { LSTM, LSTM_PARAM_SHAPES, initParams } from './lib/specs.js';
import { randArray } from './lib/timer.js';

const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7)) || 20;
const showOps = process.argv.includes('--ops');
if (!wasmBackend) throw new Error('profile-rnn: the wasm backend did not load; run `npm run build:wasm` first');
await wasmBackend.pool.whenReady();
setBackend('wasm');

const { samples: N, steps: T, features: F, out: O, units: U, dense: D } = LSTM;
const init = initParams(LSTM_PARAM_SHAPES, 43);
const xs = randArray(N * T * F, 41);
const ys = randArray(N * T * O, 42);

/** The seed model as users write it (RepeatVector(T) so the math equals the explicit cells'), weights = init. */
function layerModel(): tg.Sequential {
  const m = tg.sequential({
    layers: [
      tg.layers.lstm({ units: U, activation: 'relu', inputShape: [T, F] }),
      tg.layers.repeatVector({ n: T }),
      tg.layers.lstm({ units: U, activation: 'relu', returnSequences: true }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: D, activation: 'relu' }) }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: O }) }),
    ],
  });
  m.setWeights(init.map((p, i) => new tg.Tensor(Float32Array.from(p), LSTM_PARAM_SHAPES[i])));
  return m;
}

const yielding = process.argv.includes('--yield');

/** Median and p90 of per-call times of `fn` over `n` calls after 3 warm-up calls (synchronous loop, or --yield). */
async function time(fn: () => unknown, n = reps): Promise<{ med: number; p90: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
    if (yielding) await yieldToEventLoop();
  }
  ts.sort((a, b) => a - b);
  return { med: ts[Math.floor(n / 2)], p90: ts[Math.floor(n * 0.9)] };
}
const fmt = (r: { med: number; p90: number }): string => `${r.med.toFixed(1)} ms (p90 ${r.p90.toFixed(1)})`;

const x = new tg.Tensor(Float32Array.from(xs), [N, T, F]);
const y = new tg.Tensor(Float32Array.from(ys), [N, T, O]);

// 1. epochs at batch 81 (one SGD step each), same math
const cells = tapegradLstm(init, LSTM_PARAM_SHAPES, xs, ys);
const fitModel = layerModel();
fitModel.compile({ optimizer: tg.train.sgd(LSTM.lr), loss: 'mse' });
const stepModel = layerModel();
const params = stepModel.parameters();
const layerStep = (): number => {
  const { value, grads } = tg.valueAndGrads(() => tg.mseLoss(stepModel.apply(x) as tg.Tensor, y))(...params);
  params.forEach((p, i) => {
    const d = p.data;
    const g = grads[i].data;
    for (let j = 0; j < d.length; j++) d[j] -= LSTM.lr * g[j];
  });
  return value.item();
};
const fitEpoch = () => fitModel.fit(x, y, { epochs: 1, batchSize: N, shuffle: false, verbose: 0 });
console.log(`seed encoder-decoder LSTM, batch ${N}, ${T} steps, ${U} units; median of ${reps} epochs`);
console.log(`  explicit cells (functional ops)      ${fmt(await time(() => cells.epoch(N)))}`);
console.log(`  tg.layers model, valueAndGrads step  ${fmt(await time(layerStep))}`);
console.log(`  tg.layers model, compile + fit       ${fmt(await time(fitEpoch))}`);
const fwd = layerModel();
console.log(`  tg.layers forward only (predict)     ${fmt(await time(() => fwd.predict(x, { batchSize: N })))}`);
const one = tg.layers.lstm({ units: U, activation: 'relu' });
console.log(`  one tg.layers.lstm forward, no tape  ${fmt(await time(() => tg.noGrad(() => one.apply(x))))}`);

// 2. Dense and Conv2D layers against the functional ops
const xd = tg.randn([N * T, U]);
const dense = tg.layers.dense({ units: D, activation: 'relu' });
dense.apply(xd);
const [wd, bd] = dense.parameters();
const denseLayer = () => tg.valueAndGrads(() => tg.sum(dense.apply(xd) as tg.Tensor))(wd, bd);
const denseOps = () => tg.valueAndGrads((w, b) => tg.sum(tg.relu(tg.add(tg.matmul(xd, w), b))))(wd, bd);
console.log(`dense ${U}→${D} relu on [${N * T}, ${U}], value and grads`);
console.log(`  layer ${fmt(await time(denseLayer))}   functional ${fmt(await time(denseOps))}`);
const xc = tg.randn([32, 28, 28, 1]);
const conv = tg.layers.conv2d({ filters: 10, kernelSize: 4, activation: 'relu' });
conv.apply(xc);
const [wc, bc] = conv.parameters();
const convLayer = () => tg.valueAndGrads(() => tg.sum(conv.apply(xc) as tg.Tensor))(wc, bc);
const convOps = () => tg.valueAndGrads((w, b) => tg.sum(tg.relu(tg.conv2d(xc, w, b))))(wc, bc);
console.log('conv2d 4×4×1→10 relu on [32, 28, 28, 1], value and grads');
console.log(`  layer ${fmt(await time(convLayer))}   functional ${fmt(await time(convOps))}`);
const convInfer = () => tg.noGrad(() => conv.apply(xc));
const convOpsInfer = () => tg.noGrad(() => tg.relu(tg.conv2d(xc, wc, bc)));
console.log(`  inference: layer ${fmt(await time(convInfer))}   functional ${fmt(await time(convOpsInfer))}`);

// 3. where one step's time goes: ops per step by name, forward vs backward, kernel time by kernel
if (showOps) {
  const kstats = new Map<string, { calls: number; ms: number }>();
  const inner = wasmBackend as unknown as Record<string, unknown>;
  const timed: Record<string, unknown> = { name: 'profiled-rnn' };
  for (const [key, f] of Object.entries(inner)) {
    if (typeof f !== 'function') continue;
    timed[key] = (...a: unknown[]) => {
      const t0 = performance.now();
      const r = (f as (...z: unknown[]) => unknown).apply(wasmBackend, a);
      const label =
        key === 'matmul'
          ? `matmul ${a[5]}×${a[6]}×${a[7]}`
          : key === 'unary' || key === 'binary'
            ? `${key} ${String(a[0])}`
            : key;
      const s = kstats.get(label) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += performance.now() - t0;
      kstats.set(label, s);
      return r;
    };
  }
  registerBackend(timed as unknown as Kernels);
  for (const [name, step] of [
    ['explicit cells', () => cells.epoch(N)],
    ['layers valueAndGrads', layerStep],
  ] as const) {
    setBackend('profiled-rnn');
    const ops = new Map<string, number>();
    const off = onOp((e) => ops.set(e.op, (ops.get(e.op) ?? 0) + 1));
    kstats.clear();
    let ms = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      step();
      ms += (performance.now() - t0) / reps;
      if (yielding) await yieldToEventLoop();
    }
    off();
    setBackend('wasm');
    let kms = 0;
    for (const s of kstats.values()) kms += s.ms / reps;
    const nOps = [...ops.values()].reduce((a, b) => a + b, 0) / reps;
    console.log(`\n${name}: ${ms.toFixed(1)} ms per step, ${nOps} ops, kernels ${kms.toFixed(1)} ms`);
    console.log(
      '  ops: ' +
        [...ops.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v / reps}`)
          .join(', '),
    );
    for (const [k, s] of [...kstats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12))
      console.log(`  ${(s.ms / reps).toFixed(2).padStart(7)} ms ${String(s.calls / reps).padStart(5)}× ${k}`);
  }
}
