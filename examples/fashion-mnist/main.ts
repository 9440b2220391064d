// A 2-conv network on the full Fashion-MNIST (60,000 train / 10,000 test, from Debian's dataset-fashion-mnist
// package), reporting time per epoch and test accuracy. Published "2 Conv + pooling" results: 0.876–0.916.
//   npx tsx examples/fashion-mnist/main.ts [--epochs=12] [--quick] [--dir=/usr/share/datasets/fashion-mnist]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../src/index.js';

export const DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';
/**
 * NOTE: evaluation batches of 128, not 500: a batch's activations live in the kernels' memory, which never
 * shrinks, and 500 images' first conv output alone is 50 MB (issue 12: the example's peak RSS ≤ 512 MiB).
 */
const EVAL_BATCH = 128;

export interface FashionOptions {
  dir?: string;
  epochs?: number;
  /** 1,500 training and 500 test images, one epoch: what CI runs. */
  quick?: boolean;
  log?: (line: string) => void;
}

export function fashionNetwork(): tg.Sequential {
  return tg.sequential({
    name: 'fashion_2conv',
    layers: [
      tg.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        inputShape: [28, 28, 1],
      }),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.flatten(),
      tg.layers.dropout({ rate: 0.3 }),
      tg.layers.dense({ units: 128, activation: 'relu' }),
      tg.layers.dense({ units: 10 }),
    ],
  });
}

export async function main(opts: FashionOptions = {}) {
  const log = opts.log ?? console.log;
  const dir = opts.dir ?? DEFAULT_DIR;
  const file = (n: string) => join(dir, `${n}.gz`);
  if (!existsSync(file('train-images-idx3-ubyte')))
    throw new Error(
      `Fashion-MNIST not found in ${dir}: install it with 'apt-get install dataset-fashion-mnist' or pass --dir=`,
    );
  tg.setSeed(1);
  let xTrain = tg.readIdxImages(file('train-images-idx3-ubyte'));
  let yTrain = tg.readIdxLabels(file('train-labels-idx1-ubyte'));
  let xTest = tg.readIdxImages(file('t10k-images-idx3-ubyte'));
  let yTest = tg.readIdxLabels(file('t10k-labels-idx1-ubyte'));
  if (opts.quick) {
    [xTrain, yTrain] = [tg.slice(xTrain, [0, 0, 0, 0], [1500, 28, 28, 1]), tg.slice(yTrain, [0], [1500])];
    [xTest, yTest] = [tg.slice(xTest, [0, 0, 0, 0], [500, 28, 28, 1]), tg.slice(yTest, [0], [500])];
  }
  log(`Fashion-MNIST: ${yTrain.size} train / ${yTest.size} test, backend ${tg.getBackend()}`);
  const model = fashionNetwork();
  model.summary({ print: log });
  model.compile({
    optimizer: tg.train.adam(0.001),
    loss: (y, p) => tg.losses.sparseCategoricalCrossentropy(y, p, { fromLogits: true }),
    metrics: ['accuracy'],
  });
  const epochs = opts.epochs ?? (opts.quick ? 1 : 12);
  const epochSeconds: number[] = [];
  let t0 = Date.now();
  const history = await model.fit(xTrain, yTrain, {
    epochs,
    batchSize: 64,
    log: opts.log ? (line) => log(line) : undefined,
    callbacks: [
      {
        onEpochBegin: () => void (t0 = Date.now()),
        onEpochEnd: (epoch: number) => {
          epochSeconds.push((Date.now() - t0) / 1000);
          const acc = model.evaluate(xTest, yTest, { batchSize: EVAL_BATCH }).accuracy;
          log(
            `epoch ${epoch + 1}: ${epochSeconds[epoch].toFixed(1)} s, test accuracy ${(acc * 100).toFixed(2)}%`,
          );
        },
      },
    ],
  });
  const testAccuracy = model.evaluate(xTest, yTest, { batchSize: EVAL_BATCH }).accuracy;
  const mean = epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length;
  log(
    `final test accuracy ${(testAccuracy * 100).toFixed(2)}%, ${mean.toFixed(1)} s per epoch (mean of ${epochs})`,
  );
  return { testAccuracy, epochSeconds, history };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const val = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
  main({
    quick: args.includes('--quick'),
    epochs: val('epochs') ? Number(val('epochs')) : undefined,
    dir: val('dir'),
  }).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
