// Loops with normalization layers, as users write them (2 threads, median ms a step after 40 warm-up steps):
//   keras-train  tg.layers conv(32, no bias) → BatchNormalization → relu → pool → conv(64) → BN → relu → pool → dense,
//                trainOnBatch at batch 32 on 32×32×3
//   keras-infer  the same model's predict, beside tfjs-wasm's tf.layers predict of the same network (its own weights)
//   torch-train  the same network as a tg.nn.Module on NCHW (Conv2d, BatchNorm2d), loss.backward() + tg.SGD
//   layernorm    tg.nn.Linear(256, 256) → tg.nn.LayerNorm([256]) on [32, 128, 256], forward and backward
//   node --import tsx scripts/norm-steps.ts [steps=120]
// Session 25 ran it against the previous commit in alternating processes (docs/performance.md, "What session 25
// changed").
import * as tg from '../src/index.js';

const STEPS = Number(process.argv[2] ?? 120);
const WARM = 40;
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1];
async function time(step: () => unknown): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
  }
  return median(ms.slice(WARM));
}

tg.setBackend('wasm');
tg.setNumThreads(2);
await tg.ready();
const B = 32;
const labels = new tg.Tensor(
  Int32Array.from({ length: B }, (_, i) => i % 10),
  [B],
);

function kerasModel(): tg.Sequential {
  const m = tg.sequential();
  m.add(
    tg.layers.conv2d({
      inputShape: [32, 32, 3],
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
    }),
  );
  m.add(tg.layers.batchNormalization());
  m.add(tg.layers.activation({ activation: 'relu' }));
  m.add(tg.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tg.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', useBias: false }));
  m.add(tg.layers.batchNormalization());
  m.add(tg.layers.activation({ activation: 'relu' }));
  m.add(tg.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tg.layers.flatten());
  m.add(tg.layers.dense({ units: 10 }));
  m.compile({ optimizer: tg.train.sgd(0.01), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

class TorchNet extends tg.nn.Module {
  c1 = new tg.nn.Conv2d(3, 32, 3, { padding: 1, bias: false });
  b1 = new tg.nn.BatchNorm2d(32);
  c2 = new tg.nn.Conv2d(32, 64, 3, { padding: 1, bias: false });
  b2 = new tg.nn.BatchNorm2d(64);
  pool = new tg.nn.MaxPool2d(2);
  fc = new tg.nn.Linear(64 * 8 * 8, 10);
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.b1.forward(this.c1.forward(x))));
    h = this.pool.forward(tg.relu(this.b2.forward(this.c2.forward(h))));
    return this.fc.forward(tg.reshape(h, [h.shape[0], -1]));
  }
}

const keras = kerasModel();
const x = tg.randn([B, 32, 32, 3]);
console.log(`keras-train  ${(await time(() => keras.trainOnBatch(x, labels))).toFixed(2)} ms`);
console.log(`keras-infer  ${(await time(() => (keras.predict(x) as tg.Tensor).data)).toFixed(2)} ms`);

const net = new TorchNet();
const opt = new tg.SGD(net.parameters(), { lr: 0.01 });
const xn = tg.randn([B, 3, 32, 32]);
const torchStep = (): void => {
  opt.zeroGrad();
  tg.crossEntropy(net.forward(xn), labels).backward();
  opt.step();
};
console.log(`torch-train  ${(await time(torchStep)).toFixed(2)} ms`);

const ln = new tg.nn.LayerNorm([256]);
const lin = new tg.nn.Linear(256, 256);
const xl = tg.randn([32, 128, 256]);
const lnStep = (): void => {
  tg.mean(tg.square(ln.forward(lin.forward(xl)))).backward();
  for (const p of [...ln.parameters(), ...lin.parameters()]) p.grad = null;
};
console.log(`layernorm    ${(await time(lnStep)).toFixed(2)} ms`);

// tfjs-wasm's tf.layers predict of the same Keras network (BatchNormalization in inference mode)
const tf = await import('@tensorflow/tfjs-core');
const tfl = await import('@tensorflow/tfjs-layers');
await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('wasm');
await tf.ready();
const tm = tfl.sequential();
tm.add(
  tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, padding: 'same', useBias: false }),
);
tm.add(tfl.layers.batchNormalization());
tm.add(tfl.layers.activation({ activation: 'relu' }));
tm.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
tm.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', useBias: false }));
tm.add(tfl.layers.batchNormalization());
tm.add(tfl.layers.activation({ activation: 'relu' }));
tm.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
tm.add(tfl.layers.flatten());
tm.add(tfl.layers.dense({ units: 10 }));
const tx = tf.randomNormal([B, 32, 32, 3]);
const tfPredict = (): void => {
  const y = tm.predict(tx) as import('@tensorflow/tfjs-core').Tensor;
  y.dataSync();
  y.dispose();
};
console.log(`tfjs-wasm tf.layers predict  ${(await time(tfPredict)).toFixed(2)} ms`);
