// The training worker: tapegrad runs here (never on the page's thread). It trains the seed CNN on MNIST digits, sends
// progress, evaluations, statistics and layer images, answers predictions for the draw pad, explains a conv layer,
// saves / loads back the trained model, and loads dropped Keras files.
import * as tg from 'tapegrad';
import { loadKeras, type LoadedKeras } from './keras-drop.js';
import type { FromWorker, ImageStack, KerasFileMsg, SaveFormat, ToWorker, WorkerState } from './protocol.js';
import { batchOf, mapsOf, type Split, Trainer } from './trainer.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void =>
  (self as unknown as Worker).postMessage(m, transfer);

const EVAL_EVERY = 25;
const IMAGES_EVERY = 10;
const STATS_EVERY = 10;
/** Test digits shown in the page's prediction grid. */
export const GRID = 60;

let trainer: Trainer;
let data: { train: Split; test: Split };
let sample: tg.Tensor;
let keras: LoadedKeras | null = null;
let running = false;
let looping = false;
/** The last drawn digit, so a Keras model dropped later (or a model loaded back) is asked about it too. */
let lastDigit: Float32Array | null = null;
let lastEval: { step: number; preds: Int32Array; testLoss: number; testAcc: number } = {
  step: -1,
  preds: new Int32Array(0),
  testLoss: NaN,
  testAcc: NaN,
};
let lastDense: WorkerState['dense'] = {};

/** digits.bin.gz (see digits-plugin.ts): gunzipped in the browser, split into train and test digits. */
async function loadDigits(url: string): Promise<{ train: Split; test: Split }> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`fetching ${url}: HTTP ${res.status}`);
  post({ type: 'loading', what: 'unpacking the digits' });
  // NOTE: the file is gzip bytes served as-is (any static server), so the page never depends on Content-Encoding.
  const b = new Uint8Array(
    await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer(),
  );
  const dv = new DataView(b.buffer);
  if (String.fromCharCode(...b.subarray(0, 4)) !== 'TGD1') throw new Error(`${url} is not a digits file`);
  const [nTrain, nTest] = [dv.getUint32(4, true), dv.getUint32(8, true)];
  const n = nTrain + nTest;
  const px = Float32Array.from(b.subarray(12, 12 + n * 784), (v) => v / 255);
  const labels = Int32Array.from(b.subarray(12 + n * 784, 12 + n * 785));
  const split = (a: number, c: number): Split => ({
    px: px.subarray(a * 784, (a + c) * 784),
    labels: labels.subarray(a, a + c),
    n: c,
  });
  return { train: split(0, nTrain), test: split(nTrain, nTest) };
}

/** Conv filters, both conv layers' maps for the sample digit, dense kernels and dense outputs. */
function postImages(): void {
  const model = trainer.model;
  const kernel = model.layers[0].getWeights()[0]; // [3, 3, 1, 12] (Keras HWIO)
  const filters = mapsOf(tg.reshape(kernel, [1, 3, 3, kernel.shape[3]]));
  // tg.noGrad releases what its function made and did not return: return the outputs to keep them
  const outs = tg.noGrad(() => {
    const hs: tg.Tensor[] = [];
    let h = sample;
    for (const l of model.layers) hs.push((h = l.apply(h) as tg.Tensor));
    return hs;
  });
  const [maps1, maps2] = [mapsOf(outs[0]), mapsOf(outs[2])];
  lastDense = {};
  const dense = model.layers.flatMap((l, i) => {
    if (!(l instanceof tg.Dense)) return [];
    const k = l.getWeights()[0]; // [in, out]
    const values = k.toFlatArray();
    lastDense[l.name] = { shape: [...k.shape], values: Array.from(values) };
    const img: ImageStack = { h: k.shape[0], w: k.shape[1], count: 1, data: Float32Array.from(values) };
    return [{ name: l.name, kernel: img, output: Array.from(outs[i].toFlatArray()) }];
  });
  post({ type: 'images', step: trainer.step, filters, maps1, maps2, dense }, [
    filters.data.buffer,
    maps1.data.buffer,
    maps2.data.buffer,
    ...dense.map((d) => d.kernel.data.buffer),
  ]);
}

function postEval(): void {
  const r = trainer.evaluate();
  lastEval = { step: trainer.step, ...r };
  post({
    type: 'eval',
    step: trainer.step,
    testAcc: r.testAcc,
    testLoss: r.testLoss,
    preds: r.preds.slice(),
  });
}

/** Train while `running`, yielding between steps so the page's messages (pause, settings, predict…) get in. */
async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (running) {
      const s = trainer.step + 1;
      const r = trainer.trainStep(s % STATS_EVERY === 0);
      post({
        type: 'progress',
        step: trainer.step,
        epoch: trainer.epoch,
        loss: r.loss,
        acc: r.acc,
        time: performance.now(),
        batchSize: r.batchSize,
      });
      if (r.layers) post({ type: 'stats', step: trainer.step, layers: r.layers });
      if (trainer.step % IMAGES_EVERY === 0) postImages();
      if (trainer.step % EVAL_EVERY === 0) postEval();
      // NOTE: a macrotask, so queued messages run and finalizers can free this step's resident tensors.
      await new Promise((r) => setTimeout(r, 0));
    }
  } catch (e) {
    running = false;
    post({ type: 'error', where: 'training', message: String((e as Error)?.message ?? e) });
  } finally {
    looping = false;
  }
}

function probs(logits: tg.Tensor): number[] {
  return Array.from(tg.softmax(logits, -1).toFlatArray());
}

function predictDigit(pixels: Float32Array): void {
  lastDigit = pixels;
  const x = tg.tensor(pixels, [1, 28, 28, 1]);
  post({ type: 'prediction', model: 'seed', probs: probs(trainer.model.predict(x) as tg.Tensor) });
  if (keras?.takesDigit) {
    const y = keras.model.predict(tg.reshape(x, keras.shape)) as tg.Tensor;
    const v = Array.from(y.toFlatArray());
    // A model that ends in softmax already gives probabilities; otherwise its outputs are logits.
    const isProb = v.every((p) => p >= 0) && Math.abs(v.reduce((a, b) => a + b, 0) - 1) < 1e-3;
    post({ type: 'prediction', model: 'keras', probs: isProb ? v : probs(y) });
  }
}

async function init(digitsUrl: string): Promise<void> {
  post({ type: 'loading', what: 'loading the WebAssembly kernels' });
  const status = await tg.initWasm();
  tg.setSeed(42);
  post({ type: 'loading', what: 'downloading the digits' });
  data = await loadDigits(digitsUrl);
  post({ type: 'loading', what: 'building the model' });
  sample = batchOf(data.test, [0]).x;
  trainer = new Trainer(data.train, data.test);
  const model = trainer.model;
  const convLayers = model.layers.filter((l) => l instanceof tg.Conv2D).map((l) => l.name);
  const grid = data.test.px.slice(0, GRID * 784);
  post({
    type: 'ready',
    status,
    summary: model.summary({ print: false }),
    convLayers,
    nTrain: data.train.n,
    nTest: data.test.n,
    digit: { pixels: Float32Array.from(sample.toFlatArray()), label: data.test.labels[0] },
    grid: { h: 28, w: 28, count: GRID, data: grid },
    testLabels: Array.from(data.test.labels),
    settings: trainer.settings,
  });
  postImages();
  kernelCheck();
}

/** A fresh model (same seed, so the same start) and optimizer: training starts over, settings are kept. */
function reset(): void {
  const settings = trainer.settings;
  tg.setSeed(42);
  trainer = new Trainer(data.train, data.test);
  trainer.configure(settings);
  lastEval = { step: -1, preds: new Int32Array(0), testLoss: NaN, testAcc: NaN };
  post({ type: 'reset', summary: trainer.model.summary({ print: false }) });
  postImages();
}

/** A matmul big enough to be split over the pool, on the active backend and on the JS reference: max |difference|. */
function kernelCheck(): void {
  const size = 384;
  const a = tg.randn([size, size], { rng: new tg.Rng(7) });
  const b = tg.randn([size, size], { rng: new tg.Rng(8) });
  const before = tg.backendStatus();
  const fast = tg.matmul(a, b).toFlatArray();
  const after = tg.backendStatus();
  tg.setBackend('js');
  const ref = tg.matmul(a, b).toFlatArray();
  tg.setBackend(before.backend);
  let maxDiff = 0;
  for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast[i] - ref[i]));
  post({
    type: 'kernelCheck',
    size,
    threads: after.threads,
    poolJobs: after.poolJobs - before.poolJobs,
    maxDiff,
  });
}

function explain(layerName: string): void {
  const model = trainer.model;
  const idx = model.layers.findIndex((l) => l.name === layerName);
  if (idx < 0) throw new Error(`no layer named ${layerName}`);
  // The layer's input shape for one training batch: run zeros through the layers before it.
  let shape = [trainer.settings.batchSize, 28, 28, 1];
  tg.noGrad(() => {
    let h = tg.zeros(shape);
    for (const l of model.layers.slice(0, idx)) h = l.apply(h) as tg.Tensor;
    shape = [...h.shape];
  });
  post({ type: 'explain', layer: layerName, text: tg.explain(model.layers[idx], shape, { backward: true }) });
}

/** The trained model's bytes: Keras 3 .keras, legacy .h5, or its weights as safetensors (Keras weight paths). */
async function save(format: SaveFormat): Promise<void> {
  const model = trainer.model;
  const bytes =
    format === 'safetensors'
      ? tg.encodeSafetensors(Object.fromEntries(model.namedWeights().map(([n, w]) => [n, w.value])), {
          format: 'tapegrad',
          model: model.name,
          step: String(trainer.step),
        })
      : await tg.keras.saveModel(model, null, { format });
  const name = `seed_cnn-step${trainer.step}.${format}`;
  const buf = bytes.slice().buffer;
  post({ type: 'saved', format, name, bytes: buf }, [buf]);
}

/** Load weights saved by `save` (or any file with the seed CNN's weights) into the page's model. */
async function loadSeed(f: KerasFileMsg): Promise<void> {
  const model = trainer.model;
  const bytes = new Uint8Array(f.bytes);
  let values: tg.Tensor[];
  let report: string;
  if (/\.safetensors$/i.test(f.name)) {
    const st = tg.parseSafetensors(bytes, f.name);
    const names = model.namedWeights().map(([n]) => n);
    const missing = names.filter((n) => !st.tensors.has(n));
    if (missing.length)
      throw new Error(
        `${f.name} has no tensor named ${missing.join(', ')} (it has ${[...st.tensors.keys()].join(', ')})`,
      );
    values = names.map((n) => st.tensors.get(n)!);
    report = `${names.length} tensors from ${f.name}`;
  } else {
    const m = await tg.keras.loadModel(bytes, { name: f.name });
    values = m.getWeights();
    report = tg.keras.formatReport(m.loadReport);
  }
  model.setWeights(values); // checks the count and every shape, naming the layer and weight
  trainer.rebind();
  post({ type: 'loadedSeed', name: f.name, report });
  postImages();
  postEval();
  if (lastDigit) predictDigit(lastDigit);
}

function state(withRaw: boolean): WorkerState {
  const probe = tg.noGrad(() => {
    const y = tg.softmax(trainer.model.predict(batchOf(data.test, [...Array(10).keys()]).x) as tg.Tensor, -1);
    const v = y.toFlatArray();
    return Array.from({ length: 10 }, (_, i) => Array.from(v.subarray(i * 10, i * 10 + 10)));
  });
  return {
    step: trainer.step,
    settings: { ...trainer.settings },
    optimizerRule: trainer.opt.rule.name,
    momentum: (trainer.opt.rule.hp as { momentum?: number }).momentum ?? null,
    learningRate: trainer.opt.learningRate,
    evalStep: lastEval.step,
    preds: Array.from(lastEval.preds),
    evalLoss: lastEval.testLoss,
    evalAcc: lastEval.testAcc,
    labels: Array.from(data.test.labels),
    statsStep: trainer.statsStep,
    raw: withRaw ? trainer.lastRaw : {},
    probe,
    dense: lastDense,
  };
}

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  try {
    if (m.type === 'init') await init(m.digitsUrl);
    else if (m.type === 'train') {
      running = m.run;
      if (running) void loop();
      else {
        // Paused: bring every view up to the step the model is at.
        postImages();
        postEval();
      }
    } else if (m.type === 'reset') {
      running = false;
      reset();
    } else if (m.type === 'settings') {
      trainer.configure(m.settings);
      post({ type: 'settings', settings: trainer.settings });
    } else if (m.type === 'predict') predictDigit(m.pixels);
    else if (m.type === 'explain') explain(m.layer);
    else if (m.type === 'keras') {
      keras = null; // a failed load leaves no previous model behind
      const r = await loadKeras(m.files);
      keras = r.loaded;
      post({ type: 'keras', result: r.result });
      if (lastDigit && keras.takesDigit) predictDigit(lastDigit);
    } else if (m.type === 'save') await save(m.format);
    else if (m.type === 'loadSeed') await loadSeed(m.file);
    else if (m.type === 'state') post({ type: 'state', state: state(m.raw) });
  } catch (e) {
    post({ type: 'error', where: m.type, message: String((e as Error)?.message ?? e) });
  }
};
