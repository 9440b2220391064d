// `npx tsx bench/onnx.ts [--quick] [--threads=N] [--batch=N]`: inference of the same .onnx files in tapegrad
// (tg.onnx.loadModel, wasm kernels) and in ONNX Runtime Web (WASM), with the same number of threads, one process.
// Prints CPU ms per batch for each and the ratio (ORT time / tapegrad time: above 1 means tapegrad is faster), and
// tapegrad's node-by-node layer path (useInferencePlan = false: what predict ran before the inference plan).
// NOTE: process CPU time (user + system, which includes ORT's and tapegrad's worker threads), interleaved rounds and
// the median of each, because wall time on a shared machine measures the neighbours; compare ratios.
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
    'node-by-node'.padStart(13),
    'plan speed-up'.padStart(14),
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
    const tTg: number[] = [];
    const tOrt: number[] = [];
    const tNodes: number[] = [];
    const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
    for (let r = 0; r < rounds; r++) {
      let c = process.cpuUsage();
      m.predict(x, { batchSize: batch });
      tTg.push(cpuMs(process.cpuUsage(c)));
      c = process.cpuUsage();
      await session.run(feed);
      tOrt.push(cpuMs(process.cpuUsage(c)));
      m.useInferencePlan = false;
      c = process.cpuUsage();
      m.predict(x, { batchSize: batch });
      tNodes.push(cpuMs(process.cpuUsage(c)));
      m.useInferencePlan = true;
    }
    const [a, b, n] = [median(tTg), median(tOrt), median(tNodes)];
    console.log(
      file.padEnd(12),
      a.toFixed(2).padStart(10),
      b.toFixed(2).padStart(10),
      (b / a).toFixed(2).padStart(13),
      n.toFixed(2).padStart(13),
      (n / a).toFixed(2).padStart(14),
      `  (max |diff| ${diff.toExponential(1)})`,
    );
  }
  await tg.closeHdf5Worker?.();
  process.exit(0);
}

await main();
