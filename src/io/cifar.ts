// CIFAR-10 binary batches: records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32), read as NHWC.
import { Tensor } from '../core/tensor.js';
import { FormatError } from './errors.js';
import { type ByteSource, loadSource } from './source.js';

/** The ten CIFAR-10 class names, indexed by label. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

const RECORD = 1 + 3 * 32 * 32;

/**
 * Read one or more CIFAR-10 binary batch files (paths or bytes) into float32 NHWC images [n, 32, 32, 3] in [0, 1] and
 * int32 labels [n]. Each file's size must be a whole number of 3073-byte records and every label must be 0..9.
 */
export function readCifar10(src: ByteSource | ByteSource[]): { images: Tensor; labels: Tensor } {
  const files = (Array.isArray(src) ? src : [src]).map((s) => loadSource(s, 'cifar10'));
  let n = 0;
  for (const f of files) {
    if (f.bytes.length % RECORD !== 0 || f.bytes.length === 0)
      throw new FormatError(
        `${f.name}: ${f.bytes.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 records (truncated or wrong file)`,
      );
    n += f.bytes.length / RECORD;
  }
  const images = new Float32Array(n * 3072);
  const labels = new Int32Array(n);
  let r = 0;
  for (const f of files) {
    const b = f.bytes;
    for (let k = 0; k < b.length / RECORD; k++, r++) {
      const base = k * RECORD;
      const label = b[base];
      if (label > 9) throw new FormatError(`${f.name}: record ${k} has label ${label}, not 0..9`);
      labels[r] = label;
      const out = r * 3072;
      // source CHW: plane c, row y, column x at 1 + c·1024 + y·32 + x → NHWC (y·32 + x)·3 + c
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 1024; p++) images[out + p * 3 + c] = b[base + 1 + c * 1024 + p] / 255;
    }
  }
  return { images: new Tensor(images, [n, 32, 32, 3]), labels: new Tensor(labels, [n]) };
}
