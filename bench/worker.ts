// One benchmark cell in its own process: `node --import tsx bench/worker.ts <workload> <framework> [--quick|--tiny]
// [--threads=N] [--loop=sync|yielding|first|first-yielding]`. Builds a fresh model, runs one of bench/lib/measure.ts's
// loops on it (the synchronous one by default; bench/run.ts starts a second process for the yielding one, and more
// where the workload asks: --loop=first for a median first-steps ratio, each with a --loop=first-yielding partner for
// a median sync/yielding ratio), and prints one line
// `BENCH_RESULT {json}` with the step times and this process's peak RSS (process.resourceUsage().maxRSS).
import { availableParallelism } from 'node:os';
import {
  type Interleaved,
  type Measurement,
  type Stats,
  interleaved,
  measure,
  measureYielding,
} from './lib/measure.js';
import { randArray, randLabels } from './lib/data.js';
import {
  type CnnSpec,
  LSTM,
  LSTM_PARAM_SHAPES,
  SEED_CNN,
  WIDE_CNN,
  initParams,
  specParamShapes,
} from './lib/specs.js';
import { type FrameworkId, type Runner, loopOptions, workload } from './workloads.js';

export interface CellResult {
  workload: string;
  framework: FrameworkId;
  /** Why there is no measurement (the configuration cannot run this workload). */
  na?: string;
  m?: Measurement;
  /** `--loop=yielding`: the yielding loop of a fresh model (bench/run.ts moves it into the sync cell's `m`). */
  yielding?: Stats;
  /** A pair workload's result: `a` is this framework's steps, `b` those of the workload's `pair.against`. */
  pair?: Interleaved;
  /** Peak RSS in MiB: after building the model (before the first step), and over the whole process. */
  rssSetupMiB: number;
  rssPeakMiB: number;
  /** tapegrad's cells: the kernel build that loaded ('kernels-fma.wasm' or 'kernels.wasm'). */
  kernels?: string;
}

const maxRssMiB = (): number => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

let kernels: string | undefined;

async function tapegradReady(threads: number): Promise<void> {
  const { wasmBackend, kernelFile } = await import('../src/backend/wasm/node.js');
  kernels = kernelFile ?? undefined;
  const { setBackend } = await import('../src/backend/kernels.js');
  const { setNumThreads, ready } = await import('../src/backend/wasm/threads.js');
  if (!wasmBackend) throw new Error('bench: the wasm backend did not load; run `npm run build:wasm` first');
  setBackend('wasm');
  setNumThreads(threads);
  await ready(); // tg.ready(), as the TF.js cells start after tf.ready()
}

async function tfjsReady(backend: 'wasm' | 'cpu'): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  await import(backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu');
  await tf.setBackend(backend);
  await tf.ready();
}

function cnnData(spec: CnnSpec, batch: number, seed: number) {
  const shapes = specParamShapes(spec);
  return {
    shapes,
    init: initParams(shapes, seed),
    images: randArray(batch * spec.h * spec.w * spec.c, seed + 100),
    labels: randLabels(batch, spec.classes, seed + 200),
  };
}

async function cnnRunner(
  fw: FrameworkId,
  spec: CnnSpec,
  batch: number,
  train: boolean,
  threads: number,
): Promise<Runner> {
  const d = cnnData(spec, batch, 13);
  const hwc = [spec.h, spec.w, spec.c];
  if (fw === 'tapegrad' || (fw === 'tapegrad-fused' && !train)) {
    await tapegradReady(threads);
    const { tapegradCnn } = await import('./models/tapegrad.js');
    const m = tapegradCnn(d.init, d.shapes, d.images, d.labels, batch, hwc, spec);
    if (fw === 'tapegrad-fused') return { step: () => m.inferFused() };
    return { step: train ? () => m.train() : () => m.infer() };
  }
  if (fw === 'tapegrad-layers') {
    await tapegradReady(threads);
    const { tapegradLayersCnnInfer, tapegradLayersCnnTrain } = await import('./models/tapegrad-layers.js');
    if (train)
      return { step: tapegradLayersCnnTrain(spec, d.init, d.shapes, d.images, d.labels, batch).train };
    return { step: tapegradLayersCnnInfer(spec, d.init, d.shapes, d.images, batch).infer };
  }
  if (fw === 'tapegrad-nn' && spec === SEED_CNN) {
    await tapegradReady(threads);
    const { torchSeedCnn } = await import('./lib/seed-cnn.js');
    const { noGrad } = await import('../src/index.js');
    const m = torchSeedCnn(); // NOTE: its own weights and batch (NCHW): only the time is compared
    return { step: train ? m.step : () => noGrad(() => m.net.forward(m.x)).data };
  }
  if (fw === 'tfjs-wasm-layers' || fw === 'tfjs-cpu-layers') {
    const backend = fw === 'tfjs-wasm-layers' ? 'wasm' : 'cpu';
    await tfjsReady(backend);
    const tf = await import('@tensorflow/tfjs-core');
    // NOTE: tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train a conv net at all.
    if (train && tf.getKernel('Conv2DBackpropFilter', backend) === undefined)
      return { na: 'tfjs-wasm has no Conv2DBackpropFilter kernel: it cannot train a conv net' };
    const { tfjsLayersCnnRunner } = await import('./models/tfjs-layers.js');
    const m = tfjsLayersCnnRunner(spec, d.init, d.shapes, d.images, d.labels, batch);
    return { step: train ? m.train : m.infer };
  }
  if (fw === 'tfjs-wasm-fused' && !train && spec === SEED_CNN) {
    await tfjsReady('wasm');
    const { tfjsFusedCnn } = await import('./models/tfjs.js');
    return { step: tfjsFusedCnn(d.init, d.shapes, d.images, batch).infer };
  }
  if (fw === 'convnetjs' && spec === SEED_CNN) {
    const { convnetCnn } = await import('./models/convnet.js');
    const m = convnetCnn(d.images, d.labels, batch);
    return { step: train ? () => m.train() : () => m.infer() };
  }
  return { na: `no ${fw} configuration for this workload` };
}

async function sgemmRunner(fw: FrameworkId, n: number, threads: number): Promise<Runner> {
  const a = randArray(n * n, 21);
  const b = randArray(n * n, 22);
  if (fw === 'tapegrad') {
    await tapegradReady(threads);
    const { Tensor } = await import('../src/core/tensor.js');
    const { matmul } = await import('../src/ops/index.js');
    const ta = new Tensor(a, [n, n]);
    const tb = new Tensor(b, [n, n]);
    // NOTE: the product is not read back (as in a network, the next op reads it where it is); nor is tfjs's.
    return { step: () => void matmul(ta, tb) };
  }
  if (fw === 'tfjs-wasm-ops') {
    await tfjsReady('wasm');
    const tf = await import('@tensorflow/tfjs-core');
    const ta = tf.tensor2d(a, [n, n]);
    const tb = tf.tensor2d(b, [n, n]);
    return { step: () => tf.matMul(ta, tb).dispose() };
  }
  return { na: `no ${fw} configuration for sgemm` };
}

async function lstmRunner(fw: FrameworkId, layers: boolean, threads: number): Promise<Runner> {
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  const xs = randArray(N * T * F, 41);
  const ys = randArray(N * T * O, 42);
  const init = initParams(LSTM_PARAM_SHAPES, 43);
  if (fw === 'tapegrad' && !layers) {
    await tapegradReady(threads);
    const { tapegradLstm } = await import('./models/tapegrad.js');
    const m = tapegradLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    return { step: () => m.epoch(N) };
  }
  if (fw === 'tapegrad-layers' && layers) {
    await tapegradReady(threads);
    const { tapegradLayersLstm } = await import('./models/tapegrad-layers.js');
    const m = tapegradLayersLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    return { step: () => m.epoch(N) };
  }
  if (fw === 'tfjs-wasm-layers' && layers) {
    await tfjsReady('wasm');
    const { tfjsLayersLstm } = await import('./models/tfjs-layers.js');
    const m = tfjsLayersLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    return { step: () => m.epoch(N) };
  }
  if (fw === 'tfjs-wasm-ops' && !layers) {
    await tfjsReady('wasm');
    const { tfjsLstm } = await import('./models/tfjs.js');
    const m = tfjsLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    return { step: () => m.epoch(N) };
  }
  if (fw === 'jax-js-jit' && !layers) {
    const { jaxLstm } = await import('./models/jax.js');
    const m = await jaxLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    return { step: () => m.epoch(N) };
  }
  return { na: `no ${fw} configuration for this workload` };
}

async function fitRunner(fw: FrameworkId, threads: number): Promise<Runner> {
  if (fw !== 'tapegrad-layers') return { na: `no ${fw} configuration for fit` };
  await tapegradReady(threads);
  const n = 4096;
  const images = randArray(n * SEED_CNN.h * SEED_CNN.w * SEED_CNN.c, 61);
  const labels = randLabels(n, SEED_CNN.classes, 62);
  const { tapegradLayersCnnFit } = await import('./models/tapegrad-layers.js');
  return { step: tapegradLayersCnnFit(SEED_CNN, images, labels, n).epoch };
}

/**
 * Inference of test/fixtures/onnx/<file> (PyTorch exports), batch 32: tapegrad (tg.onnx.loadModel, predict) or
 * ONNX Runtime Web (WASM) with the same thread count, on the same file and input.
 */
async function onnxRunner(fw: FrameworkId, file: string, threads: number): Promise<Runner> {
  const { readFileSync } = await import('node:fs');
  const bytes = readFileSync(new URL(`../test/fixtures/onnx/${file}`, import.meta.url));
  const shape = file === 'cnn.onnx' ? [32, 1, 28, 28] : [32, 6];
  const data = randArray(
    shape.reduce((a, b) => a * b, 1),
    71,
  );
  if (fw === 'tapegrad') {
    await tapegradReady(threads);
    await import('../src/ops/index.js'); // registers the primitive table (deep imports skip the package entry)
    const { loadModel } = await import('../src/io/onnx/load.js');
    const { Tensor } = await import('../src/core/tensor.js');
    const m = await loadModel(bytes, { name: file });
    const x = new Tensor(data, shape);
    // NOTE: the predictions are not read back (as ORT's output stays in its own tensor); predict returns them.
    return { step: () => void m.predict(x, { batchSize: 32 }) };
  }
  if (fw === 'ort-web') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = threads;
    const s = await ort.InferenceSession.create(bytes);
    const feed = { [s.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    return { step: async () => void (await s.run(feed)) };
  }
  return { na: `no ${fw} configuration for ONNX files` };
}

/** bench/models/bn-cnn.ts's conv + BatchNormalization network (each framework its own weights). */
async function bnRunner(fw: FrameworkId, train: boolean, threads: number): Promise<Runner> {
  if (fw === 'tapegrad-layers' || fw === 'tapegrad-nn') {
    await tapegradReady(threads);
    const { tapegradLayersBn, tapegradNnBn } = await import('./models/bn-cnn.js');
    return { step: fw === 'tapegrad-layers' ? tapegradLayersBn(train) : tapegradNnBn(train) };
  }
  if (fw === 'tfjs-wasm-layers') {
    await tfjsReady('wasm');
    const tf = await import('@tensorflow/tfjs-core');
    if (train && tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined)
      return { na: 'tfjs-wasm has no Conv2DBackpropFilter kernel: it cannot train a conv net' };
    const { tfjsLayersBn } = await import('./models/tfjs-layers.js');
    const { BN_BATCH, bnImages, bnLabels } = await import('./models/bn-cnn.js');
    return { step: tfjsLayersBn(bnImages(), bnLabels(), BN_BATCH, train) };
  }
  return { na: `no ${fw} configuration for this workload` };
}

export async function runner(id: string, fw: FrameworkId, threads: number): Promise<Runner> {
  if (id === 'onnx-cnn' || id === 'onnx-mlp') return onnxRunner(fw, `${id.slice(5)}.onnx`, threads);
  if (id === 'cnn-train' || id === 'cnn-infer')
    return cnnRunner(fw, SEED_CNN, 32, id === 'cnn-train', threads);
  if (id.startsWith('wide-train-')) return cnnRunner(fw, WIDE_CNN, Number(id.slice(11)), true, threads);
  if (id.startsWith('sgemm-')) return sgemmRunner(fw, Number(id.slice(6)), threads);
  if (id.startsWith('lstm-')) return lstmRunner(fw, id === 'lstm-layers', threads);
  if (id === 'cnn-fit') return fitRunner(fw, threads);
  if (id === 'bn-cnn-train' || id === 'bn-cnn-infer') return bnRunner(fw, id === 'bn-cnn-train', threads);
  throw new Error(`bench: no runner for workload '${id}'`);
}

async function main(): Promise<void> {
  const [id, fw] = process.argv.slice(2, 4) as [string, FrameworkId];
  const args = process.argv.slice(4);
  const mode = args.includes('--tiny') ? 'tiny' : args.includes('--quick') ? 'quick' : 'full';
  const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10)) || availableParallelism();
  const loop = args.find((a) => a.startsWith('--loop='))?.slice(7) ?? 'sync';
  if (!['sync', 'yielding', 'first', 'first-yielding'].includes(loop))
    throw new Error(`bench: --loop is sync, yielding, first or first-yielding, got '${loop}'`);
  const w = workload(id);
  const r = await runner(w.pair?.of ?? id, fw, threads);
  const other = w.pair ? await runner(w.pair.of, w.pair.against, threads) : null;
  const rssSetupMiB = maxRssMiB();
  const out: CellResult = { workload: id, framework: fw, rssSetupMiB, rssPeakMiB: rssSetupMiB, kernels };
  if ('na' in r) out.na = r.na;
  else if (other) {
    if ('na' in other) out.na = `${w.pair!.against}: ${other.na}`;
    else out.pair = await interleaved(r.step, other.step, loopOptions(w, mode).sync, w.pair!.block);
    out.rssPeakMiB = maxRssMiB();
  } else {
    const o = loopOptions(w, mode);
    if (loop === 'sync') out.m = await measure(r.step, o.sync);
    // --loop=first: another fresh model's synchronous loop for its steps 5–10 / steady ratio (bench/run.ts takes the
    // median over processes); the quick loop's length is enough for a steady median after the same warm-up window
    else if (loop === 'first') out.m = await measure(r.step, loopOptions(w, 'quick').sync);
    // --loop=first-yielding: the same for the yielding loop, the partner of a 'first' process in a sync/yielding pair
    else if (loop === 'first-yielding')
      out.yielding = await measureYielding(r.step, loopOptions(w, 'quick').sync);
    else if (o.yielding) out.yielding = await measureYielding(r.step, o.yielding);
    else out.na = `${id}: no yielding loop (it yields by itself)`;
    out.rssPeakMiB = maxRssMiB();
  }
  // NOTE: worker threads (tapegrad's pool, jax-js) must not keep a finished cell alive, so the process exits, but
  // only once the line is written: a pipe takes 64 KiB at a time and an exit right after write() cut long lines.
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`, () => process.exit(0));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
