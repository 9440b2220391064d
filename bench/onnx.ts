// `npx tsx bench/onnx.ts [--quick] [--threads=N] [--batch=N]`: inference of the same .onnx files in tapegrad
// (tg.onnx.loadModel, wasm kernels) and in ONNX Runtime Web (WASM), with the same number of threads, one process.
// Prints CPU ms per batch for each and the ratio (ORT time / tapegrad time: above 1 means tapegrad is faster), and
// tapegrad's other two paths: the inference plan (useExecutor = false: what predict ran before the compiled
// executor) and node by node (useInferencePlan = false: one layer call per node).
// NOTE: process CPU time (user + system, which includes ORT's and tapegrad's worker threads) of a loop of calls
// long enough (~20 ms) for the clock's resolution, the four interleaved round by round, and the median round of
// each, because wall time on a shared machine measures the neighbours; compare ratios. Then wall time the way the
// harness takes it, but robust to neighbours: tapegrad and ORT called alternately, the median single call of each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import * as tg from '../src/index.js';
import { wasmBackend } from '../src/backend/wasm/node.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10)) || 1;
const batch = Number(args.find((a) => a.startsWith('--batch='))?.slice(8)) || 32;
const rounds = quick ? 5 : 15;
const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'onnx');
const FILES: [string, number[]][] = [
  ['cnn.onnx', [batch, 1, 28, 28]], // PyTorch CNN: conv-bn-relu-maxpool, grouped conv, ceil-mode avgpool, gemm, gelu
  ['mlp.onnx', [batch, 6]],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;

/** CPU ms per call of `f`, over a loop of `reps` calls. */
async function perCall(f: () => unknown, reps: number): Promise<number> {
  const c = process.cpuUsage();
  for (let i = 0; i < reps; i++) await f();
  return cpuMs(process.cpuUsage(c)) / reps;
}

async function main() {
  if (!wasmBackend) throw new Error('build the wasm kernels first (npm run build:wasm)');
  tg.setBackend('wasm');
  tg.setNumThreads(threads);
  ort.env.wasm.numThreads = threads;
  console.log(
    `ONNX inference, batch ${batch}, ${threads} thread(s), ${rounds} rounds (median CPU ms per batch)`,
  );
  console.log(
    'file'.padEnd(12),
    'tapegrad'.padStart(10),
    'ORT web'.padStart(10),
    'ORT/tapegrad'.padStart(13),
    'plan'.padStart(10),
    'node-by-node'.padStart(13),
  );
  for (const [file, shape] of FILES) {
    const bytes = readFileSync(join(fixtures, file));
    const m = await tg.onnx.loadModel(bytes, { name: file });
    const session = await ort.InferenceSession.create(bytes);
    const x = tg.rand(shape, { rng: new tg.Rng(1) });
    const feed = { [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), shape) };
    // warm up both, and check they agree
    const ours = (m.predict(x, { batchSize: batch }) as tg.Tensor).data;
    const theirs = (await session.run(feed))[session.outputNames[0]].data as Float32Array;
    const diff = Math.max(...Array.from(ours, (v, i) => Math.abs(v - theirs[i])));
    const paths = {
      executor: () => m.predict(x, { batchSize: batch }),
      ort: () => session.run(feed),
      plan: () => {
        m.useExecutor = false;
        m.predict(x, { batchSize: batch });
        m.useExecutor = true;
      },
      nodes: () => {
        m.useInferencePlan = false;
        m.predict(x, { batchSize: batch });
        m.useInferencePlan = true;
      },
    };
    // calls per round: ~20 ms of the slowest path's first timing
    const reps: Record<string, number> = {};
    for (const [k, f] of Object.entries(paths)) {
      for (let i = 0; i < 20; i++) await f(); // warm up
      const t = performance.now();
      await f();
      reps[k] = Math.max(
        5,
        Math.min(2000, Math.round((quick ? 10 : 20) / Math.max(performance.now() - t, 0.005))),
      );
    }
    const times: Record<string, number[]> = { executor: [], ort: [], plan: [], nodes: [] };
    // NOTE: tapegrad's executor and ORT interleaved first, then the two older paths: their garbage (hundreds of
    // tensors per call) would otherwise be collected in whichever loop runs after them
    for (const pair of [
      ['executor', 'ort'],
      ['plan', 'nodes'],
    ] as const)
      for (let r = 0; r < rounds; r++) for (const k of pair) times[k].push(await perCall(paths[k], reps[k]));
    const [a, b, p, n] = ['executor', 'ort', 'plan', 'nodes'].map((k) => median(times[k]));
    // wall: alternate calls, median of each (a descheduled call is an outlier, not the median)
    const wall: Record<string, number[]> = { executor: [], ort: [] };
    for (let i = 0; i < (quick ? 10 : 30) * reps.executor; i++)
      for (const k of ['executor', 'ort'] as const) {
        const t = performance.now();
        await paths[k]();
        wall[k].push(performance.now() - t);
      }
    const [wa, wb] = [median(wall.executor), median(wall.ort)];
    console.log(
      file.padEnd(12),
      a.toFixed(3).padStart(10),
      b.toFixed(3).padStart(10),
      (b / a).toFixed(2).padStart(13),
      p.toFixed(3).padStart(10),
      n.toFixed(3).padStart(13),
      `  (max |diff| ${diff.toExponential(1)})`,
    );
    console.log(
      ''.padEnd(12),
      `wall median ms per call: tapegrad ${wa.toFixed(3)}, ORT web ${wb.toFixed(3)}, ORT/tapegrad ${(wb / wa).toFixed(2)}`,
    );
  }
  await tg.closeHdf5Worker?.();
  process.exit(0);
}

await main();
