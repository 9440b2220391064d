// In-memory dataset helpers: seeded shuffling, row selection, batching, per-channel normalisation, one-hot labels.
import { checkOptions } from '../core/options.js';
import { allocArray } from '../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Rng } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import { oneHot } from '../ops/composite/losses.js';

/** A permutation of 0..n-1 from a seed (Fisher–Yates with tapegrad's Rng: the same on every machine). */
export function seededPermutation(n: number, seed: number): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ValueError(`seededPermutation: n must be a non-negative integer, got ${n}`);
  const rng = new Rng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Rows `idx` of `t` along axis 0, copied into a new tensor (no tape). */
export function takeRows(t: Tensor, idx: ArrayLike<number>): Tensor {
  if (t.rank === 0) throw new ShapeError(`takeRows: needs a tensor of rank >= 1, got a scalar`);
  const n = t.shape[0];
  const row = n === 0 ? 0 : t.size / n;
  const out = allocArray(t.dtype, idx.length * row);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new ValueError(`takeRows: row ${i} is outside 0..${n - 1}`);
    out.set(t.data.subarray(i * row, (i + 1) * row), k * row);
  }
  return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
}

function sameRows(ts: Tensor[], op: string): number {
  if (ts.length === 0) throw new ValueError(`${op}: needs at least one tensor`);
  const n = ts[0].shape[0];
  for (const t of ts)
    if (t.rank === 0 || t.shape[0] !== n)
      throw new ShapeError(
        `${op}: all tensors need the same first dimension, got ${ts.map((x) => fmtShape(x.shape)).join(' and ')}`,
      );
  return n;
}

/** The same seeded permutation applied to the rows of every tensor (e.g. images and labels together). */
export function shuffleTogether(ts: Tensor[], seed: number): Tensor[] {
  const p = seededPermutation(sameRows(ts, 'shuffleTogether'), seed);
  return ts.map((t) => takeRows(t, p));
}

/** Split rows into a train part and a test part (the last `testFraction` of a seeded permutation). */
export function trainTestSplit(
  ts: Tensor[],
  testFraction: number,
  seed: number,
): { train: Tensor[]; test: Tensor[] } {
  if (!(testFraction >= 0 && testFraction <= 1))
    throw new ValueError(`trainTestSplit: testFraction ${testFraction} is not in [0, 1]`);
  const n = sameRows(ts, 'trainTestSplit');
  const p = seededPermutation(n, seed);
  const nTest = Math.round(n * testFraction);
  const trainIdx = p.subarray(0, n - nTest);
  const testIdx = p.subarray(n - nTest);
  return { train: ts.map((t) => takeRows(t, trainIdx)), test: ts.map((t) => takeRows(t, testIdx)) };
}

export interface BatchOptions {
  batchSize: number;
  /** Reshuffle before iterating (default false). */
  shuffle?: boolean;
  /** Seed for the shuffle (default 0). */
  seed?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** batchIterator's option names; the mapped type makes the compiler demand every key of BatchOptions and no other. */
const BATCH_OPTIONS = Object.keys({
  batchSize: true,
  shuffle: true,
  seed: true,
  dropLast: true,
} satisfies { [K in keyof BatchOptions]-?: true });

/** One batch: the rows `[start, start + size)` of each tensor (after the optional shuffle). */
export interface Batch {
  tensors: Tensor[];
  /** 0-based batch number. */
  index: number;
}

/** Iterate over row batches of one or more tensors with the same first dimension. */
export function* batchIterator(ts: Tensor[], opts: BatchOptions): Generator<Batch> {
  checkOptions('batchIterator', opts, BATCH_OPTIONS);
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ValueError(`batchIterator: batchSize must be a positive integer, got ${batchSize}`);
  const n = sameRows(ts, 'batchIterator');
  const order = opts.shuffle ? seededPermutation(n, opts.seed ?? 0) : null;
  let index = 0;
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    if (opts.dropLast && e - s < batchSize) break;
    const idx = order ? order.subarray(s, e) : Int32Array.from({ length: e - s }, (_, k) => s + k);
    yield { tensors: ts.map((t) => takeRows(t, idx)), index: index++ };
  }
}

/** Per-channel (last axis) mean and standard deviation (population, float64 accumulation). */
export function channelMeanStd(x: Tensor): { mean: number[]; std: number[] } {
  if (x.rank === 0) throw new ShapeError('channelMeanStd: needs a tensor of rank >= 1');
  const c = x.shape[x.rank - 1];
  const m = c === 0 ? 0 : x.size / c;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < x.size; i++) sum[i % c] += x.data[i];
  const mean = Array.from(sum, (s) => s / m);
  for (let i = 0; i < x.size; i++) {
    const d = x.data[i] - mean[i % c];
    sq[i % c] += d * d;
  }
  return { mean, std: Array.from(sq, (s) => Math.sqrt(s / m)) };
}

/** (x − mean[c]) / std[c] over the last axis; returns float32 (float64 input stays float64). */
export function normalizeChannels(x: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  const c = x.shape[x.rank - 1];
  if (x.rank === 0 || mean.length !== c || std.length !== c)
    throw new ShapeError(
      `normalizeChannels: ${mean.length} means and ${std.length} stds for ${c} channels of ${fmtShape(x.shape)}`,
    );
  for (const s of std) if (!(s > 0)) throw new ValueError(`normalizeChannels: std ${s} must be positive`);
  const out = allocArray(x.dtype === 'float64' ? 'float64' : 'float32', x.size);
  for (let i = 0; i < x.size; i++) out[i] = (x.data[i] - mean[i % c]) / std[i % c];
  return new Tensor(out, x.shape);
}

/**
 * Integer labels [n] (a tensor or a plain array) → float32 one-hot [n, numClasses]: `oneHot` (ops/composite/losses)
 * restricted to rank-1 labels. A label outside 0..numClasses-1 is an error naming it and its position.
 */
export function toOneHot(labels: Tensor | ArrayLike<number>, numClasses: number): Tensor {
  if (labels instanceof Tensor && labels.rank !== 1)
    throw new ShapeError(`toOneHot: labels must be rank 1, got ${fmtShape(labels.shape)}`);
  // NOTE: plain arrays become float64 so a fractional label is refused by oneHot instead of truncated.
  const t = labels instanceof Tensor ? labels : new Tensor(Float64Array.from(labels), [labels.length]);
  return oneHot(t, numClasses);
}
