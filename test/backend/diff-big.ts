// Large single-op programs for the differential test: shapes past the wasm backend's thread thresholds
// (kernel-context.ts PARALLEL_MIN: 4e6 matmul flops, 2e6 conv flops, 2^16 window and 2^18 elementwise values), the
// wide/tiled/deep matmul paths and the conv filter-gradient slices, so 1 and 2 threads take different cuts.
import * as tg from '../../src/index.js';
import { Builder, type Program, Rng, fmt } from './diff-programs.js';

type Family = (b: Builder) => void;

const matmulBig: Family = (b) => {
  const r = b.rng;
  const tA = r.chance(0.3);
  const tB = r.chance(0.3);
  const kind = r.int(0, 3);
  // [batch, m, k, n]: shared wide (tiles of 512 columns past 1024), batched, short and wide (column chunks), deep
  const [B, m, k, n] = [
    [1, r.int(64, 100), r.int(32, 64), r.chance(0.5) ? r.int(1030, 1100) : r.int(64, 300)],
    [r.int(6, 8), r.int(40, 64), r.int(40, 64), r.int(40, 64)],
    [1, r.int(5, 12), r.int(200, 260), r.int(1800, 2100)],
    [1, r.int(2, 20), r.int(8192, 8600), r.int(2, 20)],
  ][kind];
  const a = b.leaf(B > 1 ? [B, ...(tA ? [k, m] : [m, k])] : tA ? [k, m] : [m, k]);
  const w = b.leaf(B > 1 ? [B, ...(tB ? [n, k] : [k, n])] : tB ? [n, k] : [k, n]);
  const o = { transA: tA, transB: tB };
  b.op(`tg.matmul(x0, x1, ${fmt(o)})`, [a, w], (p, q) => tg.matmul(p, q, o));
};

const convBig: Family = (b) => {
  const r = b.rng;
  const nchw = r.chance(0.3);
  const groups = r.chance(0.2) ? 2 : 1;
  const [n, h, w, c] = [r.int(2, 4), r.int(14, 34), r.int(14, 34), groups * r.int(4, 8)];
  const [kh, kw] = [r.int(1, 5), r.int(1, 5)];
  const o = groups * r.int(6, 12);
  const x = b.leaf(nchw ? [n, c, h, w] : [n, h, w, c]);
  const k = b.leaf(nchw ? [o, c / groups, kh, kw] : [kh, kw, c / groups, o]);
  const bias = b.leaf([o]);
  const opts: tg.Conv2dOptions = {
    stride: r.pick([1, 1, 2, [1, 2]] as const),
    dilation: r.pick([1, 1, 2] as const),
    padding: r.pick(['same', 'valid', 1] as const),
    ...(groups > 1 && { groups }),
    ...(nchw && { dataFormat: 'NCHW' }),
  };
  b.op(`tg.conv2d(x0, x1, x2, ${fmt(opts)})`, [x, k, bias], (p, q, s) => tg.conv2d(p, q, s, opts));
};

const poolBig: Family = (b) => {
  const r = b.rng;
  const nchw = r.chance(0.3);
  const [n, h, w, c] = [r.int(2, 3), r.int(60, 70), r.int(60, 70), r.int(8, 9)];
  const x = b.leaf(nchw ? [n, c, h, w] : [n, h, w, c], 'float32', r.chance(0.5));
  const opts: tg.AvgPool2dOptions = {
    kernelSize: r.pick([2, 3, [2, 3]] as const),
    stride: r.pick([1, 2, [2, 1]] as const),
    padding: r.pick(['valid', 'same', 1] as const),
    ...(nchw && { dataFormat: 'NCHW' }),
  };
  if (r.chance(0.5)) b.op(`tg.maxPool2d(x0, ${fmt(opts)})`, [x], (t) => tg.maxPool2d(t, opts));
  else b.op(`tg.avgPool2d(x0, ${fmt(opts)})`, [x], (t) => tg.avgPool2d(t, opts));
};

const BIG_ELEMENTWISE: [string, (x: tg.Tensor, y: tg.Tensor) => tg.Tensor][] = [
  ['tg.add(x0, x1)', tg.add],
  ['tg.mul(x0, x1)', tg.mul],
  ['tg.maximum(x0, x1)', tg.maximum],
  ['tg.div(x0, 3)', (x) => tg.div(x, 3)],
  ['tg.where(tg.greater(x0, x1), x0, x1)', (x, y) => tg.where(tg.greater(x, y), x, y)],
  ['tg.relu(x0)', (x) => tg.relu(x)],
  ['tg.exp(x0)', (x) => tg.exp(x)],
  ['tg.sigmoid(x0)', (x) => tg.sigmoid(x)],
  ['tg.transpose(x0, [0, 2, 1])', (x) => tg.transpose(x, [0, 2, 1])],
  ["tg.transpose(tg.cast(x0, 'int32'), [0, 2, 1])", (x) => tg.transpose(tg.cast(x, 'int32'), [0, 2, 1])],
  ["tg.where(tg.cast(x0, 'int32'), x0, x1)", (x, y) => tg.where(tg.cast(x, 'int32'), x, y)],
  ['tg.sum(x0, 1)', (x) => tg.sum(x, 1)],
  ['tg.max(x0, 2)', (x) => tg.max(x, 2)],
  ['tg.softmax(x0, -1)', (x) => tg.softmax(x, -1)],
  ['tg.logSoftmax(x0, 1)', (x) => tg.logSoftmax(x, 1)],
];
const elementwiseBig: Family = (b) => {
  const r = b.rng;
  const shape = [r.int(2, 3), r.int(250, 300), r.int(440, 520)];
  const [text, f] = r.pick(BIG_ELEMENTWISE);
  const x = b.leaf(shape);
  const y = b.leaf(shape);
  b.op(text, [x, y], f);
};

const FAMILIES: Family[] = [matmulBig, convBig, poolBig, elementwiseBig];

/** One large op from `seed` (special values in some programs, as the small ones). */
export function makeBigProgram(seed: number): Program {
  const rng = new Rng(seed);
  const b = new Builder(rng, rng.pick([0, 0, 0.01]));
  rng.pick(FAMILIES)(b);
  return b.program(seed);
}
