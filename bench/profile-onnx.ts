// `npx tsx bench/profile-onnx.ts [--file=cnn.onnx] [--threads=1] [--batch=32] [--rounds=200]`: where an imported
// ONNX model's inference time goes, layer by layer, in tapegrad and in ONNX Runtime Web, in one process.
// - tapegrad: every kernel call of one `predict` (the inference plan), in call order, with its median µs over the
//   rounds (a backend that forwards to wasm and times each call: bench/lib/timed-kernels.ts), then the whole
//   predict's median and the part spent outside kernels (dispatch, shape rules, frames, JS movement).
// - ORT: the session's own per-node profile (`enableProfiling: true`; ORT prints the events as JSON when the
//   profile ends), median µs per node over the rounds; ORT names the nodes after its fusions (FusedConv = Conv +
//   BatchNormalization + Relu, Gelu = Div/Erf/Add/Mul/Mul, the Pad folded into AveragePool).
// NOTE: rounds interleave the four runs (tapegrad plain, ORT plain, tapegrad timed, ORT profiled) so load from
// other work hits all of them alike; compare ratios within one run, and read `uptime` beside them.
import fs, { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-web';
import * as tg from '../src/index.js';
import { registerBackend, setBackend } from '../src/backend/kernels.js';
import { wasmBackend } from '../src/backend/wasm/node.js';
import { randArray } from './lib/data.js';
import { timedKernels } from './lib/timed-kernels.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const file = opt('file') ?? 'cnn.onnx';
const threads = Number(opt('threads')) || 1;
const batch = Number(opt('batch')) || 32;
const rounds = Number(opt('rounds')) || 200;
const warm = Math.max(20, Math.floor(rounds / 5));
const SHAPES: Record<string, number[]> = { 'cnn.onnx': [batch, 1, 28, 28], 'mlp.onnx': [batch, 6] };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const us = (ms: number): string => (ms * 1000).toFixed(0).padStart(7);

async function main(): Promise<void> {
  if (!wasmBackend) throw new Error('profile-onnx: build the wasm kernels first (npm run build:wasm)');
  const shape = SHAPES[file];
  if (!shape)
    throw new Error(`profile-onnx: no input shape for '${file}' (known: ${Object.keys(SHAPES).join(', ')})`);
  tg.setBackend('wasm');
  tg.setNumThreads(threads);
  await wasmBackend.pool.whenReady();
  ort.env.wasm.numThreads = threads;
  let trace: [string, number][] = [];
  const { kernels: timed } = timedKernels(wasmBackend, 'profiled-wasm', (l, ms) => void trace.push([l, ms]), {
    cpu: false,
  });
  registerBackend(timed);

  const bytes = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'onnx', file));
  const m = await tg.onnx.loadModel(bytes, { name: file });
  const plain = await ort.InferenceSession.create(bytes);
  const profiled = await ort.InferenceSession.create(bytes, { enableProfiling: true });
  const data = randArray(
    shape.reduce((a, b) => a * b, 1),
    71,
  );
  const x = new tg.Tensor(data, shape);
  const feed = { [plain.inputNames[0]]: new ort.Tensor('float32', data, shape) };

  // per call index of one predict: label and the wall ms of that call in each round
  const calls: { label: string; ms: number[] }[] = [];
  const tTg: number[] = [];
  const tOrt: number[] = [];
  const load0 = loadavg()[0];
  for (let r = 0; r < warm + rounds; r++) {
    const keep = r >= warm;
    setBackend('wasm');
    let t0 = performance.now();
    m.predict(x, { batchSize: batch });
    if (keep) tTg.push(performance.now() - t0);
    t0 = performance.now();
    await plain.run(feed);
    if (keep) tOrt.push(performance.now() - t0);
    setBackend('profiled-wasm');
    trace = [];
    m.predict(x, { batchSize: batch });
    if (keep)
      trace.forEach(([label, ms], i) => {
        calls[i] ??= { label, ms: [] };
        calls[i].ms.push(ms);
      });
    await profiled.run(feed);
  }
  setBackend('wasm');

  // ORT's profile: printed as JSON when it ends, by fs.writeSync(1, ...) of the CommonJS fs object (patched meanwhile)
  const chunks: string[] = [];
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, text: unknown, ...rest: unknown[]) => {
    if (fd !== 1) return (writeSync as (...a: unknown[]) => number)(fd, text, ...rest);
    chunks.push(String(text));
    return String(text).length;
  }) as typeof fs.writeSync;
  profiled.endProfiling();
  fs.writeSync = writeSync;
  const text = chunks.join('');
  const events = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(']') + 1)) as {
    cat: string;
    name: string;
    dur: number;
    args: { op_name?: string };
  }[];
  const perNode = new Map<string, { op: string; us: number[] }>();
  let run = -1;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') run++;
    if (e.cat !== 'Node' || run < warm) continue;
    const n = e.name.replace(/_kernel_time$/, '');
    const s = perNode.get(n) ?? { op: e.args.op_name ?? '', us: [] };
    s.us.push(e.dur);
    perNode.set(n, s);
  }

  const log = console.log;
  const load1 = loadavg()[0];
  const tgMs = median(tTg);
  const ortMs = median(tOrt);
  log(
    `${file}, batch ${batch}, ${threads} thread(s), ${rounds} rounds after ${warm} warm-up; load average ` +
      `${load0.toFixed(2)} → ${load1.toFixed(2)}; wall medians`,
  );
  log(
    `whole run: tapegrad predict ${us(tgMs)} µs, ORT run ${us(ortMs)} µs, ORT/tapegrad ${(ortMs / tgMs).toFixed(2)}`,
  );
  log('\ntapegrad kernel calls of one predict (in order), median µs:');
  let sum = 0;
  for (const c of calls) {
    const v = median(c.ms);
    sum += v;
    log(`${us(v)}  ${c.label}`);
  }
  log(`${us(sum)}  all kernels; ${us(tgMs - sum)} outside kernels (dispatch, shapes, frames, plan)`);
  log('\nORT nodes (its profile, after its fusions), median µs:');
  let ortSum = 0;
  for (const [n, s] of perNode) {
    const v = median(s.us);
    ortSum += v;
    log(`${us(v / 1000)}  ${n} (${s.op})`);
  }
  log(
    `${us(ortSum / 1000)}  all nodes; ${us(ortMs - ortSum / 1000)} outside nodes (run(), copies in and out)`,
  );
  await plain.release();
  await profiled.release();
  wasmBackend.pool.shutdown();
  process.exit(0);
}

await main();
