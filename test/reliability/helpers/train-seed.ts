// Train the seed CNN (examples/cifar-cnn) from a fixed seed on synthetic 32×32×3 data and save a checkpoint; run as
// a script (`tsx train-seed.ts <threads> <out.safetensors>`) it prints the checkpoint's SHA-256, for cross-process checks.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tg from '../../../src/index.js';
import { wasmBackend } from '../../../src/backend/wasm/node.js';
import { seedNetwork } from '../../support/seed-network.js';

export interface SeedRun {
  /** Checkpoint bytes (weights + Adam state) after training. */
  bytes: Uint8Array;
  /** Jobs the worker pool ran on other threads during training. */
  posted: number;
}

/** Train with `threads` threads and save to `out`; same seed, data, shuffling and dropout-free model every time. */
export async function trainSeed(threads: number, out: string, epochs = 2): Promise<SeedRun> {
  tg.setNumThreads(threads);
  if (wasmBackend) await wasmBackend.pool.whenReady();
  const posted0 = wasmBackend?.pool.posted ?? 0;
  tg.resetLayerNames();
  tg.setSeed(1234);
  const x = tg.rand([96, 32, 32, 3]);
  const y = tg.randint([96], 0, 10);
  const model = seedNetwork();
  model.buildModel([null, 32, 32, 3]);
  model.compile({
    optimizer: tg.train.adam(0.01),
    loss: (t, p) => tg.losses.sparseCategoricalCrossentropy(t, p, { fromLogits: true }),
  });
  await model.fit(x, y, { epochs, batchSize: 32, verbose: 0, shuffle: true });
  await tg.saveCheckpoint(out, model);
  return { bytes: new Uint8Array(readFileSync(out)), posted: (wasmBackend?.pool.posted ?? 0) - posted0 };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [threads, out] = process.argv.slice(2);
  const r = await trainSeed(Number(threads), out);
  process.stdout.write(
    `${tg.getBackend()} ${tg.getNumThreads()} ${createHash('sha256').update(r.bytes).digest('hex')}\n`,
  );
}
