// Loops with normalization layers, as users write them (2 threads, median ms a step after 40 warm-up steps):
//   keras-train  bench/models/bn-cnn.ts's network (conv(32, no bias) → BatchNormalization → relu → pool → conv(64) → BN
//                → relu → pool → dense) in tg.layers, trainOnBatch at batch 32 on 32×32×3
//   keras-infer  its predict, beside tfjs-wasm's tf.layers predict of the same network (its own weights)
//   torch-train  the same network as a tg.nn.Module on NCHW (Conv2d, BatchNorm2d), loss.backward() + tg.SGD
//   layernorm    tg.nn.Linear(256, 256) → tg.nn.LayerNorm([256]) on [32, 128, 256], forward and backward
//   node --import tsx scripts/norm-steps.ts [steps=120]
// Session 25 ran it against the previous commit in alternating processes (docs/performance.md, "What session 25
// changed").
import * as tg from '../src/index.js';
import { BN_BATCH, bnImages, bnLabels, tapegradLayersBn, tapegradNnBn } from '../bench/models/bn-cnn.js';

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
console.log(`keras-train  ${(await time(tapegradLayersBn(true))).toFixed(2)} ms`);
console.log(`keras-infer  ${(await time(tapegradLayersBn(false))).toFixed(2)} ms`);
console.log(`torch-train  ${(await time(tapegradNnBn(true))).toFixed(2)} ms`);

const ln = new tg.nn.LayerNorm([256]);
const lin = new tg.nn.Linear(256, 256);
const xl = tg.randn([32, 128, 256]);
const lnStep = (): void => {
  tg.mean(tg.square(ln.forward(lin.forward(xl)))).backward();
  for (const p of [...ln.parameters(), ...lin.parameters()]) p.grad = null;
};
console.log(`layernorm    ${(await time(lnStep)).toFixed(2)} ms`);

// tfjs-wasm's tf.layers predict of the same network (BatchNormalization in inference mode)
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('wasm');
await tf.ready();
const { tfjsLayersBn } = await import('../bench/models/tfjs-layers.js');
const tfPredict = tfjsLayersBn(bnImages(), bnLabels(), BN_BATCH, false);
console.log(`tfjs-wasm tf.layers predict  ${(await time(tfPredict)).toFixed(2)} ms`);
