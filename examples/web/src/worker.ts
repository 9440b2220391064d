// The training worker: tapegrad runs here (never on the page's thread), trains the seed CNN on MNIST digits, answers
// predictions for the draw pad, explains a conv layer, and loads dropped Keras files.
import * as tg from 'tapegrad';
import type { FromWorker, ImageStack, KerasFileMsg, KerasResult, ToWorker } from './protocol.js';

const post = (m: FromWorker, transfer: Transferable[] = []): void =>
  (self as unknown as Worker).postMessage(m, transfer);

const BATCH = 32;
const EVAL_EVERY = 25;
const IMAGES_EVERY = 10;

let model: tg.Sequential;
let test: { x: tg.Tensor; y: tg.Tensor };
let sample: tg.Tensor;
let keras: { model: tg.Model; takesDigit: boolean; shape: number[] } | null = null;
let running = false;
let resume: (() => void) | null = null;
let step = 0;
let trainData: { x: tg.Tensor; y: tg.Tensor } | null = null;
let started = false;
/** The last drawn digit, so a Keras model dropped later is asked about it too. */
let lastDigit: Float32Array | null = null;

/** digits.bin (see digits-plugin.ts) as [n, 28, 28, 1] images in [0, 1] and int32 labels. */
async function loadDigits(url: string) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetching ${url}: HTTP ${res.status}`);
  const b = new Uint8Array(await res.arrayBuffer());
  const dv = new DataView(b.buffer);
  if (String.fromCharCode(...b.subarray(0, 4)) !== 'TGD1') throw new Error(`${url} is not a digits file`);
  const [nTrain, nTest] = [dv.getUint32(4, true), dv.getUint32(8, true)];
  const n = nTrain + nTest;
  const px = Float32Array.from(b.subarray(12, 12 + n * 784), (v) => v / 255);
  const labels = Int32Array.from(b.subarray(12 + n * 784, 12 + n * 785));
  const split = (a: number, c: number) => ({
    x: tg.tensor(px.subarray(a * 784, (a + c) * 784), [c, 28, 28, 1]),
    y: tg.tensor(labels.subarray(a, a + c), [c], { dtype: 'int32' }),
  });
  return { train: split(0, nTrain), test: split(nTrain, nTest) };
}

/** The seed CNN of the issue. */
function seedNetwork(): tg.Sequential {
  return tg.sequential({
    name: 'seed_cnn',
    layers: [
      tg.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.flatten(),
      tg.layers.dense({ units: 64, activation: 'relu' }),
      tg.layers.dense({ units: 10 }),
    ],
  });
}

/** NHWC [1, h, w, c] → c maps of h×w. */
function mapsOf(t: tg.Tensor): ImageStack {
  const [, h, w, c] = t.shape;
  const src = t.toFlatArray();
  const data = new Float32Array(c * h * w);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) data[k * h * w + p] = src[p * c + k];
  return { h, w, count: c, data };
}

function postImages(): void {
  const conv1 = model.layers[0];
  const kernel = conv1.getWeights()[0]; // [3, 3, 1, 12] (Keras HWIO)
  const filters = mapsOf(tg.reshape(kernel, [1, 3, 3, kernel.shape[3]]));
  const outs: tg.Tensor[] = [];
  tg.noGrad(() => {
    let h = sample;
    for (const l of model.layers.slice(0, 3)) outs.push((h = l.apply(h) as tg.Tensor));
  });
  const [maps1, maps2] = [mapsOf(outs[0]), mapsOf(outs[2])];
  post({ type: 'images', step, filters, maps1, maps2 }, [
    filters.data.buffer,
    maps1.data.buffer,
    maps2.data.buffer,
  ]);
}

async function train(x: tg.Tensor, y: tg.Tensor): Promise<void> {
  let t0 = performance.now();
  let epoch = 0;
  const cb: tg.Callback = {
    onEpochBegin: (e: number) => void (epoch = e),
    onBatchEnd: async (_s: number, logs: Record<string, number>) => {
      step++;
      const now = performance.now();
      post({
        type: 'progress',
        step,
        epoch,
        loss: logs.loss,
        acc: logs.accuracy,
        stepsPerSec: 1000 / Math.max(1, now - t0),
      });
      if (step % IMAGES_EVERY === 0) postImages();
      if (step % EVAL_EVERY === 0) {
        const r = model.evaluate(test.x, test.y, { batchSize: 250 });
        post({ type: 'eval', step, testAcc: r.accuracy, testLoss: r.loss });
      }
      // Let the page's messages (pause, predict, explain, Keras files) in between two steps.
      await new Promise((r) => setTimeout(r, 0));
      while (!running) await new Promise<void>((r) => (resume = r));
      resume = null;
      t0 = performance.now();
    },
  };
  await model.fit(x, y, { epochs: 1000, batchSize: BATCH, verbose: 0, callbacks: [cb] });
}

function probs(logits: tg.Tensor): number[] {
  return Array.from(tg.softmax(logits, -1).toFlatArray());
}

/** Probe input for a model: x[i] = sin(0.1·i) over the batch-1 input shape (the Node test computes the same). */
export function probeInput(shape: number[]): tg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tg.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(0.1 * i)),
    shape,
  );
}

async function loadKeras(files: KerasFileMsg[]): Promise<KerasResult> {
  const npy = files.find((f) => f.name.endsWith('.npy'));
  const bins = files.filter((f) => f.name.endsWith('.bin'));
  const models = files.filter((f) => f !== npy && !bins.includes(f));
  const shards = Object.fromEntries(bins.map((b) => [b.name, new Uint8Array(b.bytes)]));
  const bytes = (f: KerasFileMsg): Uint8Array => new Uint8Array(f.bytes);
  // An architecture JSON (model.to_json()) with a weights file is loaded as { config, weights }.
  const isConfig = (f: KerasFileMsg): boolean =>
    tg.sniffContainer(bytes(f)) === 'json' &&
    !/"(weightsManifest|modelTopology)"/.test(new TextDecoder().decode(bytes(f)));
  const config = models.length === 2 ? models.find(isConfig) : undefined;
  const weights = config && models.find((f) => f !== config);
  const main = config ?? models[0];
  if (!main || (models.length > 1 && !weights))
    throw new Error(
      `drop one model file (.h5, .keras, model.json with its .bin shards) or an architecture .json with its weights .h5; got ${files.map((f) => f.name).join(', ')}`,
    );
  const name = weights ? `${main.name} + ${weights.name}` : main.name;
  const m = weights
    ? // NOTE: the config is passed parsed: tg.keras.loadModel takes a Uint8Array config for a parsed JSON object.
      await tg.keras.loadModel({
        config: tg.parseJsonSafe(new TextDecoder().decode(bytes(main)), main.name) as Record<string, unknown>,
        weights: bytes(weights),
      })
    : await tg.keras.loadModel(bytes(main), { name: main.name, shards });
  const ins =
    m instanceof tg.Functional ? m.inputs.map((t) => t.shape) : [m.builtInputShape as (number | null)[]];
  if (ins.length !== 1 || !ins[0])
    throw new Error(`${name}: the page runs single-input models; this one has ${ins.length} inputs`);
  const inputShape = ins[0];
  let x: tg.Tensor;
  let inputSource: string;
  if (npy) {
    const a = tg.parseNpy(new Uint8Array(npy.bytes), npy.name);
    x = tg.tensor(a.data, a.shape);
    inputSource = `${npy.name} ${JSON.stringify(a.shape)}`;
  } else {
    const shape = inputShape.map((d) => d ?? 1);
    x = probeInput(shape);
    inputSource = `probe x[i] = sin(0.1·i), shape ${JSON.stringify(shape)}`;
  }
  const y = m.predict(x) as tg.Tensor;
  const dims = inputShape.slice(1).join(',');
  const takesDigit = dims === '28,28,1' || dims === '28,28' || dims === '784';
  keras = { model: m, takesDigit, shape: [1, ...inputShape.slice(1).map((d) => d ?? 1)] };
  return {
    name,
    report: tg.keras.formatReport(m.loadReport),
    summary: m.summary({ print: false }),
    inputShape,
    inputSource,
    outputShape: [...y.shape],
    output: Array.from(y.toFlatArray()),
    takesDigit,
  };
}

function predictDigit(pixels: Float32Array): void {
  lastDigit = pixels;
  const x = tg.tensor(pixels, [1, 28, 28, 1]);
  post({ type: 'prediction', model: 'seed', probs: probs(model.predict(x) as tg.Tensor) });
  if (keras?.takesDigit) {
    const y = keras.model.predict(tg.reshape(x, keras.shape)) as tg.Tensor;
    const v = Array.from(y.toFlatArray());
    // A model that ends in softmax already gives probabilities; otherwise its outputs are logits.
    const isProb = v.every((p) => p >= 0) && Math.abs(v.reduce((a, b) => a + b, 0) - 1) < 1e-3;
    post({ type: 'prediction', model: 'keras', probs: isProb ? v : probs(y) });
  }
}

async function init(digitsUrl: string): Promise<void> {
  const status = await tg.initWasm();
  tg.setSeed(42);
  const data = await loadDigits(digitsUrl);
  test = data.test;
  sample = tg.slice(test.x, [0, 0, 0, 0], [1, 28, 28, 1]);
  model = seedNetwork();
  model.buildModel([null, 28, 28, 1]);
  model.compile({
    optimizer: tg.train.adam(0.002),
    loss: (yt, yp) => tg.losses.sparseCategoricalCrossentropy(yt, yp, { fromLogits: true }),
    metrics: ['accuracy'],
  });
  const convLayers = model.layers.filter((l) => l instanceof tg.Conv2D).map((l) => l.name);
  post({
    type: 'ready',
    status,
    summary: model.summary({ print: false }),
    convLayers,
    nTrain: data.train.y.size,
    nTest: data.test.y.size,
    digit: { pixels: Float32Array.from(sample.toFlatArray()), label: test.y.toFlatArray()[0] },
  });
  trainData = data.train;
  postImages();
  kernelCheck();
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
  const idx = model.layers.findIndex((l) => l.name === layerName);
  if (idx < 0) throw new Error(`no layer named ${layerName}`);
  // The layer's input shape for one training batch: run zeros through the layers before it.
  let shape = [BATCH, 28, 28, 1];
  tg.noGrad(() => {
    let h = tg.zeros(shape);
    for (const l of model.layers.slice(0, idx)) h = l.apply(h) as tg.Tensor;
    shape = [...h.shape];
  });
  post({ type: 'explain', layer: layerName, text: tg.explain(model.layers[idx], shape, { backward: true }) });
}

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  try {
    if (m.type === 'init') await init(m.digitsUrl);
    else if (m.type === 'train') {
      running = m.run;
      if (running && resume) resume();
      if (running && !started && trainData) {
        started = true;
        const { x, y } = trainData;
        train(x, y).catch((e) =>
          post({ type: 'error', where: 'training', message: String(e?.message ?? e) }),
        );
      }
    } else if (m.type === 'predict') predictDigit(m.pixels);
    else if (m.type === 'explain') explain(m.layer);
    else if (m.type === 'keras') {
      post({ type: 'keras', result: await loadKeras(m.files) });
      if (lastDigit && keras?.takesDigit) predictDigit(lastDigit);
    }
  } catch (e) {
    post({ type: 'error', where: m.type, message: String((e as Error)?.message ?? e) });
  }
};
