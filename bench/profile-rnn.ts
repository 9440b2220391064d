// `npx tsx bench/profile-rnn.ts [--reps=N] [--ops] [--yield]`: the seed encoder-decoder LSTM through tg.layers (compile + fit,
// and a hand-written valueAndGrads step on the same model) against the same math as explicit cells with functional
// ops (bench/models/tapegrad.ts), in one process and a plain synchronous loop; then, per path, where a step's time
// goes: ops dispatched per step by name and kernel time per kernel. Also Dense and Conv2D
// layers against functional matmul / conv2d. Absolute times depend on the machine's load: compare the ratios.
import * as tg from '../src/index.js';
import { registerBackend, setBackend, type Kernels } from '../src/backend/kernels.js';
import { wasmBackend } from '../src/backend/wasm/node.js';
import { yieldToEventLoop } from '../src/core/storage.js';
import { onOp } from '../src/core/tape.js';
import { tapegradLstm } from './models/tapegrad.js';
import { LSTM, LSTM_PARAM_SHAPES, initParams } from './lib/specs.js';
import { randArray } from './lib/data.js';

const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7)) || 20;
const showOps = process.argv.includes('--ops');
if (!wasmBackend)
  throw new Error('profile-rnn: the wasm backend did not load; run `npm run build:wasm` first');
await wasmBackend.pool.whenReady();
setBackend('wasm');

const { samples: N, steps: T, features: F, out: O, units: U, dense: D } = LSTM;
const init = initParams(LSTM_PARAM_SHAPES, 43);
const xs = randArray(N * T * F, 41);
const ys = randArray(N * T * O, 42);

/**
 * The seed model as users write it. RepeatVector(T) (the default) makes the math equal the explicit cells' and
 * starts from their weights; RepeatVector(1) is examples/lstm-encoder-decoder's variant (its own random weights).
 */
function layerModel(repeat: number = T): tg.Sequential {
  const m = tg.sequential({
    layers: [
      tg.layers.lstm({ units: U, activation: 'relu', inputShape: [T, F] }),
      tg.layers.repeatVector({ n: repeat }),
      tg.layers.lstm({ units: U, activation: 'relu', returnSequences: true }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: D, activation: 'relu' }) }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: O }) }),
    ],
  });
  if (repeat === T)
    m.setWeights(init.map((p, i) => new tg.Tensor(Float32Array.from(p), LSTM_PARAM_SHAPES[i])));
  return m;
}

const yielding = process.argv.includes('--yield');

interface Timing {
  med: number;
  p90: number;
  /** Median CPU time of the process (all threads) per call: steadier than wall time on a loaded machine. */
  cpu: number;
}

/**
 * Median and p90 of per-call times of each function over `n` rounds after 3 warm-up rounds. NOTE: the functions
 * run round-robin (one call of each per round), so a load change on a shared machine hits all of them alike.
 */
async function timeAll(fns: (() => unknown)[], n = reps): Promise<Timing[]> {
  for (let i = 0; i < 3; i++) for (const f of fns) await f();
  const ts: number[][] = fns.map(() => []);
  const cs: number[][] = fns.map(() => []);
  for (let i = 0; i < n; i++)
    for (const [k, f] of fns.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await f();
      ts[k].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cs[k].push((c.user + c.system) / 1000);
      if (yielding) await yieldToEventLoop();
    }
  const median = (t: number[], q = 0.5) => [...t].sort((a, b) => a - b)[Math.floor(n * q)];
  return ts.map((t, k) => ({ med: median(t), p90: median(t, 0.9), cpu: median(cs[k]) }));
}
const fmt = (r: Timing): string =>
  `${r.med.toFixed(1)} ms (p90 ${r.p90.toFixed(1)}, cpu ${r.cpu.toFixed(1)} ms)`;

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
const exampleModel = layerModel(1);
exampleModel.compile({ optimizer: 'adam', loss: 'mse' });
const y1 = tg.slice(y, [0, 0, 0], [N, 1, O]);
const exampleEpoch = () => exampleModel.fit(x, y1, { epochs: 1, batchSize: N, verbose: 0 });
const fwd = layerModel();
const one = tg.layers.lstm({ units: U, activation: 'relu' });
const rows: [string, () => unknown][] = [
  ['explicit cells (functional ops)     ', () => cells.epoch(N)],
  ['tg.layers model, valueAndGrads step ', layerStep],
  ['tg.layers model, compile + fit      ', fitEpoch],
  ['example: RepeatVector(1), adam, fit ', exampleEpoch],
  ['tg.layers forward only (predict)    ', () => fwd.predict(x, { batchSize: N })],
  ['one tg.layers.lstm forward, no tape ', () => tg.noGrad(() => one.apply(x))],
];
console.log(
  `seed encoder-decoder LSTM, batch ${N}, ${T} steps, ${U} units; median of ${reps} epochs (${yielding ? 'yielding' : 'synchronous'} loop)`,
);
const lstmTimes = await timeAll(rows.map(([, f]) => f));
rows.forEach(([name], i) => console.log(`  ${name} ${fmt(lstmTimes[i])}`));

// 2. Dense and Conv2D layers against the functional ops
const xd = tg.randn([N * T, U]);
const dense = tg.layers.dense({ units: D, activation: 'relu' });
dense.apply(xd);
const [wd, bd] = dense.parameters();
const denseLayer = () => tg.valueAndGrads(() => tg.sum(dense.apply(xd) as tg.Tensor))(wd, bd);
const denseOps = () => tg.valueAndGrads((w, b) => tg.sum(tg.relu(tg.add(tg.matmul(xd, w), b))))(wd, bd);
console.log(`dense ${U}→${D} relu on [${N * T}, ${U}], value and grads`);
const denseTimes = await timeAll([denseLayer, denseOps]);
console.log(`  layer ${fmt(denseTimes[0])}   functional ${fmt(denseTimes[1])}`);
const xc = tg.randn([32, 28, 28, 1]);
const conv = tg.layers.conv2d({ filters: 10, kernelSize: 4, activation: 'relu' });
conv.apply(xc);
const [wc, bc] = conv.parameters();
const convLayer = () => tg.valueAndGrads(() => tg.sum(conv.apply(xc) as tg.Tensor))(wc, bc);
const convOps = () => tg.valueAndGrads((w, b) => tg.sum(tg.relu(tg.conv2d(xc, w, b))))(wc, bc);
console.log('conv2d 4×4×1→10 relu on [32, 28, 28, 1], value and grads');
const convInfer = () => tg.noGrad(() => conv.apply(xc));
const convOpsInfer = () => tg.noGrad(() => tg.relu(tg.conv2d(xc, wc, bc)));
const convTimes = await timeAll([convLayer, convOps, convInfer, convOpsInfer]);
console.log(`  layer ${fmt(convTimes[0])}   functional ${fmt(convTimes[1])}`);
console.log(`  inference: layer ${fmt(convTimes[2])}   functional ${fmt(convTimes[3])}`);

// 3. where one step's time goes: ops per step by name, kernel time by kernel
// NOTE: an op listener turns the layers' zero-state shortcut off (listeners see every term), so these steps run
// the first h·U of each layer, unlike the timed ones above.
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
  // the layer path's forward (recorded) and backward apart, with the kernel time and op count of each
  setBackend('profiled-rnn');
  const phase = { fwd: { ms: 0, kms: 0, ops: 0 }, bwd: { ms: 0, kms: 0, ops: 0 } };
  let count = 0;
  const off = onOp(() => void count++);
  const kernelMs = () => [...kstats.values()].reduce((a, s) => a + s.ms, 0);
  for (let i = 0; i < reps; i++) {
    params.forEach((p) => (p.grad = null));
    let k0 = kernelMs();
    let c0 = count;
    let t0 = performance.now();
    const loss = tg.mseLoss(stepModel.apply(x) as tg.Tensor, y);
    phase.fwd.ms += performance.now() - t0;
    phase.fwd.kms += kernelMs() - k0;
    phase.fwd.ops += count - c0;
    [k0, c0, t0] = [kernelMs(), count, performance.now()];
    loss.backward();
    phase.bwd.ms += performance.now() - t0;
    phase.bwd.kms += kernelMs() - k0;
    phase.bwd.ops += count - c0;
    if (yielding) await yieldToEventLoop();
  }
  off();
  setBackend('wasm');
  for (const [k, v] of Object.entries(phase))
    console.log(
      `layers ${k === 'fwd' ? 'forward ' : 'backward'}: ${(v.ms / reps).toFixed(1)} ms, kernels ${(v.kms / reps).toFixed(1)} ms, ${v.ops / reps} ops`,
    );
}
