// The option names of the readers and writers in src/io, each list written once and checked by the compiler
// against its options type, so `checkOptions` refuses exactly the keys a reader does not have.
import type { LoadCheckpointOptions, SaveCheckpointOptions } from './checkpoint.js';
import type { Hdf5Options } from './hdf5.js';
import type { ContextOptions } from './keras/context.js';
import type { LoadModelOptions } from './keras/load.js';
import type { SaveModelOptions } from './keras/save.js';
import type { MnistOptions } from './mnist.js';
import type { TfjsOptions } from './tfjs.js';
import type { ZipLimits } from './zip.js';

/** Every key of an options type, listed once; the mapped type makes the compiler demand each key and no other. */
export const keysOf = <T>(keys: { [K in keyof T]-?: true }): readonly string[] => Object.keys(keys);

export const HDF5_OPTIONS = keysOf<Hdf5Options>({
  name: true,
  maxFileBytes: true,
  maxDatasetBytes: true,
  maxTotalBytes: true,
  timeoutMs: true,
  skipData: true,
});
const ZIP_OPTIONS = keysOf<ZipLimits>({ maxZipEntries: true, maxZipBytes: true });
const TFJS_OPTIONS = keysOf<TfjsOptions>({ shards: true, maxShardBytes: true });
/** `readKerasFile` / `keras.inspect`: HDF5, zip and TF.js shard limits. */
export const READ_KERAS_OPTIONS: readonly string[] = [...HDF5_OPTIONS, ...ZIP_OPTIONS, ...TFJS_OPTIONS];
export const CONTEXT_OPTIONS = keysOf<ContextOptions>({ kerasVersion: true, backend: true });
export const LOAD_MODEL_OPTIONS = keysOf<LoadModelOptions>({
  name: true,
  maxFileBytes: true,
  maxDatasetBytes: true,
  maxTotalBytes: true,
  timeoutMs: true,
  skipData: true,
  maxZipEntries: true,
  maxZipBytes: true,
  shards: true,
  maxShardBytes: true,
  kerasVersion: true,
  backend: true,
  byName: true,
  strict: true,
  inputShape: true,
});
/** `keras.loadWeights`: as loadModel, without `inputShape` (the model is already built). */
export const LOAD_WEIGHTS_OPTIONS = LOAD_MODEL_OPTIONS.filter((k) => k !== 'inputShape');
export const SAVE_MODEL_OPTIONS = keysOf<SaveModelOptions>({ format: true });
export const MNIST_OPTIONS = keysOf<MnistOptions>({ testFraction: true, seed: true, limitPerClass: true });
export const SAVE_CHECKPOINT_OPTIONS = keysOf<SaveCheckpointOptions>({
  optimizer: true,
  metadata: true,
  rng: true,
});
export const LOAD_CHECKPOINT_OPTIONS = keysOf<LoadCheckpointOptions>({
  optimizer: true,
  strict: true,
  maxBytes: true,
  rng: true,
});

/** The entries of `opts` whose keys are in `keys` (an entry point hands an inner reader only the options it has). */
export function pickOptions<T extends object>(opts: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(opts).filter(([k]) => keys.includes(k))) as Partial<T>;
}
