// Browser twin of mnist.ts: the digits live in the mnist package's files on disk, which a page cannot read.
import type { Tensor } from '../core/tensor.js';
import { FileError } from './errors.js';

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

/** Always throws in browsers: fetch the digits as bytes and build the tensors (examples/web shows how). */
export function loadMnist(_opts: MnistOptions = {}): { train: MnistSplit; test: MnistSplit } {
  throw new FileError(
    "loadMnist: reads the mnist package's JSON files from disk, which browsers cannot do; fetch the digits as bytes " +
      'and build [n, 28, 28, 1] images with tg.tensor (examples/web does this with a digits.bin file)',
  );
}

/** What loadMnist needs of `require`: a function that loads a package file by name. */
export type PackageRequire = (id: string) => unknown;

/** Always throws in browsers, as loadMnist. */
export function loadMnistWith(
  _req: PackageRequire,
  opts: MnistOptions = {},
): { train: MnistSplit; test: MnistSplit } {
  return loadMnist(opts);
}
