// Fine-tune a PyTorch model in tapegrad, then hand it back to ONNX Runtime.
// test/fixtures/onnx/cnn.onnx is a small CNN that PyTorch trained on the MNIST digits 0–4 only (make_fixtures.py).
// Here its last layer (a Gemm) learns all ten digits while every other initializer stays frozen; the result is
// exported to ONNX and run in ONNX Runtime Web, which must give the same outputs.
// Run: npx tsx examples/onnx-finetune/main.ts [--quick]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import * as tg from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const MODEL = join(here, '..', '..', 'test', 'fixtures', 'onnx', 'cnn.onnx');

/** Accuracy overall and on the digits 5–9, which the PyTorch model never saw. */
function accuracy(m: tg.OnnxModel, x: tg.Tensor, y: tg.Tensor): { all: number; unseen: number } {
  const pred = tg.argmax(m.predict(x, { batchSize: 256 }) as tg.Tensor, 1).data;
  let ok = 0,
    unseen = 0,
    okUnseen = 0;
  y.data.forEach((label, i) => {
    ok += pred[i] === label ? 1 : 0;
    if (label >= 5) (unseen++, (okUnseen += pred[i] === label ? 1 : 0));
  });
  return { all: ok / y.size, unseen: okUnseen / Math.max(unseen, 1) };
}

export async function main(opts: { quick?: boolean; log?: (s: string) => void } = {}) {
  const log = opts.log ?? console.log;
  tg.setSeed(3);
  const m = await tg.onnx.loadModel(MODEL);
  log(`${MODEL.split('/').slice(-1)[0]}: opset ${m.opset}, produced by ${m.producer}`);
  m.summary({ print: log });

  // MNIST digits as NCHW (ONNX's layout): [n, 28, 28, 1] → [n, 1, 28, 28] is a reshape since C = 1.
  const { train, test } = tg.loadMnist({ seed: 1, limitPerClass: opts.quick ? 60 : undefined });
  const nchw = (t: tg.Tensor) => tg.reshape(t, [t.shape[0], 1, 28, 28]);
  const [xTrain, xTest] = [nchw(train.images), nchw(test.images)];
  const before = accuracy(m, xTest, test.labels);
  log(
    `before: test accuracy ${(before.all * 100).toFixed(1)}%, on the unseen digits 5–9 ${(before.unseen * 100).toFixed(1)}%`,
  );

  // Freeze every initializer except the last Gemm's (fc2.weight, fc2.bias).
  for (const w of m.weights) {
    w.trainable = w.name.startsWith('fc2.');
    w.value.requiresGrad = w.trainable; // and no backward pass below the last layer
  }
  log(`trainable: ${m.trainableWeights.map((w) => `${w.name} [${w.value.shape}]`).join(', ')}`);
  m.compile({
    optimizer: tg.train.adam(0.02),
    loss: tg.getLoss('sparseCategoricalCrossentropy', { fromLogits: true }),
    metrics: ['accuracy'],
  });
  await m.fit(xTrain, train.labels, {
    epochs: opts.quick ? 4 : 3,
    batchSize: 32,
    verbose: 0,
    log: (l) => log(l),
  });
  const after = accuracy(m, xTest, test.labels);
  log(
    `after:  test accuracy ${(after.all * 100).toFixed(1)}%, on the unseen digits 5–9 ${(after.unseen * 100).toFixed(1)}%`,
  );

  // Export (traced with a batch of 64) and check in ONNX Runtime Web.
  const dir = mkdtempSync(join(tmpdir(), 'onnx-finetune-'));
  const out = join(dir, 'cnn-finetuned.onnx');
  const xs = tg.slice(xTest, [0, 0, 0, 0], [64, -1, -1, -1]);
  await tg.onnx.saveModel(m, out, { sampleInput: xs });
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(readFileSync(out));
  const r = await session.run({
    [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(xs.data), [...xs.shape]),
  });
  const ortY = r[session.outputNames[0]].data as Float32Array;
  const ours = (m.predict(xs) as tg.Tensor).data;
  // max |ours - ort| relative to the largest logit
  const scale = Math.max(...Array.from(ours, Math.abs));
  const maxRel = Math.max(...Array.from(ours, (v, i) => Math.abs(v - ortY[i]))) / scale;
  log(
    `exported ${out}: ONNX Runtime Web agrees with tapegrad on 64 test digits (max difference ${maxRel.toExponential(1)} of the largest logit)`,
  );
  rmSync(dir, { recursive: true, force: true });
  return { before, after, ortMaxRelDiff: maxRel };
}

if (import.meta.url === `file://${process.argv[1]}`) await main({ quick: process.argv.includes('--quick') });
