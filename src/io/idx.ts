// IDX files (MNIST, Fashion-MNIST): big-endian header of type + dims, then big-endian values; .gz read transparently.
import { checkOptions } from '../core/options.js';
import { Tensor } from '../core/tensor.js';
import { FormatError } from './errors.js';
import { maybeGunzip } from './gzip.js';
import { joinPath, pathExists } from './node-fs.js';
import { type ElemType, checkedSize, decodeElements } from './numeric.js';
import { fmtBytes } from './fmt-bytes.js';
import { type ByteSource, loadSource, viewOf } from './source.js';

/** Raw IDX contents: unsigned bytes stay a Uint8Array, other types use tapegrad's arrays. */
export interface IdxArray {
  shape: number[];
  /** `uint8`, `int8`, `int16`, `int32`, `float32` or `float64`. */
  sourceDtype: string;
  data: Uint8Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, ElemType> = {
  0x08: { kind: 'u', size: 1, littleEndian: false },
  0x09: { kind: 'i', size: 1, littleEndian: false },
  0x0b: { kind: 'i', size: 2, littleEndian: false },
  0x0c: { kind: 'i', size: 4, littleEndian: false },
  0x0d: { kind: 'f', size: 4, littleEndian: false },
  0x0e: { kind: 'f', size: 8, littleEndian: false },
};

/** Largest IDX data accepted after inflation (2 GiB; Fashion-MNIST's training images are 47 MiB). */
export const IDX_MAX_BYTES = 2 * 1024 ** 3;

interface IdxHeader {
  type: ElemType;
  shape: number[];
  /** Offset of the first value. */
  start: number;
  /** Data bytes the dims require. */
  need: number;
}

/** The header of IDX bytes: magic, type, dims; throws a FormatError naming `name` when it is not one. */
function idxHeader(bytes: Uint8Array, name: string): IdxHeader {
  if (bytes.length < 4) throw new FormatError(`${name}: truncated IDX file (${bytes.length} bytes)`);
  const type = TYPES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type)
    throw new FormatError(
      `${name}: not an IDX file (magic ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')})`,
    );
  const ndim = bytes[3];
  if (ndim === 0) throw new FormatError(`${name}: IDX header declares 0 dimensions`);
  if (bytes.length < 4 + 4 * ndim)
    throw new FormatError(`${name}: truncated IDX header (needs ${ndim} dimensions)`);
  const dv = viewOf(bytes);
  const shape = Array.from({ length: ndim }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const count = checkedSize(shape, `${name}: IDX dims`);
  return { type, shape, start: 4 + 4 * ndim, need: count * type.size };
}

/**
 * Decode IDX bytes (gzip-compressed or not); the data length must equal what the header's dims require.
 * NOTE: gzip data is inflated as a stream whose cap is set by the header once its first bytes are out: what the dims
 * require (plus one byte, to tell "too long" from "exact"), at most IDX_MAX_BYTES, so a gzip bomb is refused after
 * inflating no more than the header promised.
 */
export function parseIdx(input: Uint8Array, name = '<bytes>'): IdxArray {
  const bytes = maybeGunzip(input, name, IDX_MAX_BYTES, {
    why: 'more than its IDX header declares; refused',
    capFromHead: {
      headBytes: 4 + 4 * 255,
      cap: (head) => {
        const h = idxHeader(head, name);
        if (h.start + h.need > IDX_MAX_BYTES)
          throw new FormatError(
            `${name}: IDX dims [${h.shape.join(',')}] need ${fmtBytes(h.need)} of data, above the limit of ${fmtBytes(IDX_MAX_BYTES)}`,
          );
        return h.start + h.need + 1;
      },
    },
  });
  const { type, shape, start, need } = idxHeader(bytes, name);
  const count = need / type.size;
  const have = bytes.length - start;
  if (need !== have)
    throw new FormatError(
      `${name}: IDX dims [${shape.join(',')}] need ${need} data bytes but the file has ${have}${have < need ? ' (truncated)' : ''}`,
    );
  const raw = bytes.subarray(start);
  if (type.kind === 'u') return { shape, sourceDtype: 'uint8', data: raw.slice() };
  const dec = decodeElements(raw, type, count, name);
  return { shape, sourceDtype: dec.sourceDtype, data: dec.data as Int32Array | Float32Array | Float64Array };
}

/** Read an IDX file (path or bytes; `.gz` detected from the bytes). */
export function readIdx(src: ByteSource, opts: { name?: string } = {}): IdxArray {
  checkOptions('readIdx', opts, ['name']);
  const { bytes, name } = loadSource(src, 'idx', opts);
  return parseIdx(bytes, name);
}

/** An IDX image file (uint8, [n, h, w]) as a float32 NHWC Tensor [n, h, w, 1] scaled to [0, 1]. */
export function readIdxImages(src: ByteSource, opts: { name?: string } = {}): Tensor {
  checkOptions('readIdxImages', opts, ['name']);
  const { bytes, name } = loadSource(src, 'idx', opts);
  const a = parseIdx(bytes, name);
  if (a.sourceDtype !== 'uint8' || a.shape.length !== 3)
    throw new FormatError(
      `${name}: expected uint8 images of rank 3 [n, h, w], got ${a.sourceDtype} [${a.shape.join(',')}]`,
    );
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] / 255; // pixel / 255 ∈ [0, 1]
  return new Tensor(out, [...a.shape, 1]);
}

/** An IDX label file (uint8, [n]) as an int32 Tensor [n]. */
export function readIdxLabels(src: ByteSource, opts: { name?: string } = {}): Tensor {
  checkOptions('readIdxLabels', opts, ['name']);
  const { bytes, name } = loadSource(src, 'idx', opts);
  const a = parseIdx(bytes, name);
  if (a.sourceDtype !== 'uint8' || a.shape.length !== 1)
    throw new FormatError(
      `${name}: expected uint8 labels of rank 1 [n], got ${a.sourceDtype} [${a.shape.join(',')}]`,
    );
  return new Tensor(Int32Array.from(a.data), a.shape);
}

/**
 * Load one split of an MNIST-layout folder (MNIST, Fashion-MNIST): `<prefix>-images-idx3-ubyte[.gz]` and
 * `<prefix>-labels-idx1-ubyte[.gz]` with prefix `train` or `t10k`. Image and label counts must agree.
 */
export function loadIdxDataset(dir: string, split: 'train' | 't10k'): { images: Tensor; labels: Tensor } {
  const find = (stem: string): string => {
    for (const f of [`${stem}`, `${stem}.gz`]) if (pathExists(joinPath(dir, f))) return joinPath(dir, f);
    throw new FormatError(`${dir}: neither ${stem} nor ${stem}.gz exists`);
  };
  const images = readIdxImages(find(`${split}-images-idx3-ubyte`));
  const labels = readIdxLabels(find(`${split}-labels-idx1-ubyte`));
  if (images.shape[0] !== labels.shape[0])
    throw new FormatError(`${dir}: ${images.shape[0]} ${split} images but ${labels.shape[0]} labels`);
  return { images, labels };
}
