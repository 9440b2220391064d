// The benchmark suites: each measures one workload in every framework that has it and returns table rows.
import * as tf from '@tensorflow/tfjs-core';
import { noGrad } from '../src/core/tape.js';
import { vjp } from '../src/core/autodiff.js';
import { Tensor } from '../src/core/tensor.js';
import { setBackend } from '../src/backend/kernels.js';
import { setNumThreads } from '../src/backend/threads.js';
import { wasmBackend } from '../src/backend/wasm-node.js';
import { conv2d, im2col, matmul, reshape } from '../src/ops/index.js';
import { convnetCnn } from './models/convnet.js';
import { tapegradCnn, tapegradLstm } from './models/tapegrad.js';
import { tfjsCnn, tfjsConv, tfjsLstm, tfjsMatmul } from './models/tfjs.js';
import { CNN, CNN_PARAM_SHAPES, CONV, CONV_FLOPS, LSTM, LSTM_PARAM_SHAPES, initParams } from './lib/specs.js';
import { type TimeOptions, randArray, randLabels, time } from './lib/data.js';

/** Frameworks (table columns). */
export const FRAMEWORKS = [
  'tapegrad-wasm',
  'tapegrad-wasm-1t',
  'tapegrad-js',
  'tfjs-wasm',
  'tfjs-cpu',
  'convnetjs',
] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** A measured value, or why there is none. */
export type Cell = number | 'n/a' | 'not run' | 'skipped';
export interface Row {
  workload: string;
  unit: string;
  higherIsBetter: boolean;
  cells: Partial<Record<Framework, Cell>>;
}
export interface SuiteOptions {
  quick: boolean;
  threads: number;
  /** Also run the slow plain-JS configurations on the big conv workload (minutes each). */
  all: boolean;
}

const BATCH = 32;
const log = (s: string): void => void process.stderr.write(`  ${s}\n`);
// NOTE: every cell is the fastest of its runs (Timing.minMs), for every framework alike: this machine is shared
// with other sessions, and the minimum is the measurement least disturbed by them.

/** Select a tapegrad configuration: 'wasm' with n threads, or the JS reference. */
async function useTapegrad(fw: Framework, threads: number): Promise<void> {
  if (fw === 'tapegrad-js') return setBackend('js');
  setBackend('wasm');
  setNumThreads(fw === 'tapegrad-wasm-1t' ? 1 : threads);
  await wasmBackend?.pool.whenReady();
}
async function useTfjs(fw: Framework): Promise<void> {
  await tf.setBackend(fw === 'tfjs-wasm' ? 'wasm' : 'cpu');
  await tf.ready();
}

function tfjsCols(o: SuiteOptions): Framework[] {
  return o.quick ? ['tfjs-wasm'] : ['tfjs-wasm', 'tfjs-cpu'];
}
function tgCols(o: SuiteOptions, withJs = true): Framework[] {
  return o.quick || !withJs ? ['tapegrad-wasm'] : ['tapegrad-wasm', 'tapegrad-wasm-1t', 'tapegrad-js'];
}

/** (1) Seed CNN: training step and inference at batch 32, images/s. */
export async function seedCnn(o: SuiteOptions): Promise<Row[]> {
  const images = randArray(BATCH * CNN.h * CNN.w * CNN.c, 11);
  const labels = randLabels(BATCH, CNN.classes, 12);
  const init = initParams(CNN_PARAM_SHAPES, 13);
  const train: Row = {
    workload: 'seed CNN training step, batch 32',
    unit: 'images/s',
    higherIsBetter: true,
    cells: {},
  };
  const infer: Row = {
    workload: 'seed CNN inference, batch 32',
    unit: 'images/s',
    higherIsBetter: true,
    cells: {},
  };
  const opt: TimeOptions = { budgetMs: o.quick ? 1500 : 4000, warmup: 3 };
  const slow: TimeOptions = { budgetMs: o.quick ? 2000 : 5000, warmup: 1, minRuns: 2 };
  for (const fw of tgCols(o)) {
    await useTapegrad(fw, o.threads);
    const m = tapegradCnn(init, CNN_PARAM_SHAPES, images, labels, BATCH);
    const sel = fw === 'tapegrad-js' ? slow : opt;
    train.cells[fw] = BATCH / ((await time(() => m.train(), sel)).minMs / 1000);
    infer.cells[fw] = BATCH / ((await time(() => m.infer(), sel)).minMs / 1000);
    log(`seed CNN ${fw}: ${train.cells[fw]?.toString()} / ${infer.cells[fw]?.toString()} images/s`);
  }
  for (const fw of tfjsCols(o)) {
    await useTfjs(fw);
    const m = tfjsCnn(init, CNN_PARAM_SHAPES, images, labels, BATCH);
    // NOTE: tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train a conv net at all.
    const trainable = tf.getKernel('Conv2DBackpropFilter', tf.getBackend()) !== undefined;
    train.cells[fw] = trainable
      ? BATCH / ((await time(() => m.train().then(() => undefined), opt)).minMs / 1000)
      : 'n/a';
    infer.cells[fw] = BATCH / ((await time(() => m.infer(), opt)).minMs / 1000);
    m.dispose();
    log(`seed CNN ${fw}: ${train.cells[fw]?.toString()} / ${infer.cells[fw]?.toString()} images/s`);
  }
  const cn = convnetCnn(images, labels, BATCH);
  train.cells.convnetjs = BATCH / ((await time(() => cn.train(), slow)).minMs / 1000);
  infer.cells.convnetjs = BATCH / ((await time(() => cn.infer(), slow)).minMs / 1000);
  log(`seed CNN convnetjs: ${train.cells.convnetjs} / ${infer.cells.convnetjs} images/s`);
  return [train, infer];
}

/** (2) sgemm n×n·n×n, GFLOP/s. */
export async function sgemm(o: SuiteOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of o.quick ? [512] : [512, 1024]) {
    const row: Row = {
      workload: `sgemm ${n}×${n}×${n}`,
      unit: 'GFLOP/s',
      higherIsBetter: true,
      cells: { convnetjs: 'n/a' },
    };
    const a = randArray(n * n, 21);
    const b = randArray(n * n, 22);
    const gf = (ms: number): number => (2 * n ** 3) / ms / 1e6;
    for (const fw of tgCols(o)) {
      await useTapegrad(fw, o.threads);
      const ta = new Tensor(a, [n, n]);
      const tb = new Tensor(b, [n, n]);
      const opt: TimeOptions =
        fw === 'tapegrad-js'
          ? { warmup: 0, minRuns: 1, budgetMs: 0 }
          : { budgetMs: o.quick ? 1000 : 2500, warmup: 2 };
      row.cells[fw] = gf((await time(() => void matmul(ta, tb), opt)).minMs);
    }
    for (const fw of tfjsCols(o)) {
      await useTfjs(fw);
      const m = tfjsMatmul(a, b, n);
      row.cells[fw] = gf((await time(() => m.run(), { budgetMs: o.quick ? 1000 : 2500, warmup: 2 })).minMs);
      m.dispose();
    }
    log(`${row.workload}: ${JSON.stringify(row.cells)}`);
    rows.push(row);
  }
  return rows;
}

/** (3) 64×64×32 → 64 filters 3×3 'same', batch 32: forward, input gradient, filter gradient, GFLOP/s. */
export async function conv(o: SuiteOptions): Promise<Row[]> {
  const { n, h, w, c, o: oc, k } = CONV;
  const x = randArray(n * h * w * c, 31);
  const wt = randArray(k * k * c * oc, 32, 0.1);
  const dy = randArray(n * h * w * oc, 33);
  const names = ['forward', 'input gradient', 'filter gradient'] as const;
  const rows: Row[] = names.map((s) => ({
    workload: `conv 64×64×32→64 3×3 batch 32: ${s}`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    cells: { convnetjs: 'n/a' },
  }));
  const gf = (ms: number): number => CONV_FLOPS / ms / 1e6;
  const once: TimeOptions = { warmup: 0, minRuns: 1, budgetMs: 0 };
  // NOTE: the plain-JS configurations take minutes per pass here; they run only with --all.
  const slow = (fw: Framework): boolean => !o.all && (fw === 'tapegrad-js' || fw === 'tfjs-cpu');
  for (const fw of tgCols(o)) {
    if (slow(fw)) {
      rows.forEach((r) => (r.cells[fw] = 'skipped'));
      continue;
    }
    await useTapegrad(fw, o.threads);
    const opt: TimeOptions =
      fw === 'tapegrad-js' ? once : { warmup: 1, minRuns: 3, budgetMs: o.quick ? 1000 : 3000 };
    const tx = new Tensor(x, [n, h, w, c]);
    const tw = new Tensor(wt, [k, k, c, oc]);
    const tdy = new Tensor(dy, [n, h, w, oc]);
    rows[0].cells[fw] = gf(
      (await time(() => void noGrad(() => conv2d(tx, tw, null, { padding: 'same' })), opt)).minMs,
    );
    // input gradient: the tape's backward for x alone (matmul(dy, wᵀ) then col2im)
    const px = vjp((xx) => conv2d(xx, tw, null, { padding: 'same' }), tx);
    rows[1].cells[fw] = gf((await time(() => void px.vjp(tdy), opt)).minMs);
    // NOTE: filter gradient = the two ops the tape runs for it, im2col(x) then colsᵀ·dy (tfjs's kernel also takes x).
    const geom = {
      n,
      h,
      w,
      c,
      kh: k,
      kw: k,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
      outH: h,
      outW: w,
    };
    const dy2 = reshape(tdy, [n * h * w, oc]);
    rows[2].cells[fw] = gf(
      (await time(() => void noGrad(() => matmul(im2col(tx, geom), dy2, { transA: true })), opt)).minMs,
    );
    log(`conv ${fw}: ${rows.map((r) => r.cells[fw]).join(' / ')} GFLOP/s`);
  }
  for (const fw of tfjsCols(o)) {
    if (slow(fw)) {
      rows.forEach((r) => (r.cells[fw] = 'skipped'));
      continue;
    }
    await useTfjs(fw);
    const m = tfjsConv(x, wt, dy);
    const opt: TimeOptions =
      fw === 'tfjs-cpu' ? once : { warmup: 1, minRuns: 3, budgetMs: o.quick ? 1000 : 3000 };
    rows[0].cells[fw] = gf((await time(m.forward, opt)).minMs);
    rows[1].cells[fw] = gf((await time(m.inputGrad, opt)).minMs);
    rows[2].cells[fw] = m.hasFilterGrad() ? gf((await time(m.filterGrad, opt)).minMs) : 'n/a';
    m.dispose();
    log(`conv ${fw}: ${rows.map((r) => r.cells[fw]).join(' / ')} GFLOP/s`);
  }
  return rows;
}

/** (4) Seed encoder-decoder LSTM: one training epoch over 81 samples at batch 81 and 16, ms. */
export async function lstm(o: SuiteOptions): Promise<Row[]> {
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  const xs = randArray(N * T * F, 41);
  const ys = randArray(N * T * O, 42);
  const init = initParams(LSTM_PARAM_SHAPES, 43);
  const batches = o.quick ? [81] : [81, 16];
  const rows: Row[] = batches.map((b) => ({
    workload: `seed LSTM epoch (81 samples), batch ${b}`,
    unit: 'ms',
    higherIsBetter: false,
    cells: { convnetjs: 'n/a' },
  }));
  const opt: TimeOptions = { warmup: 2, minRuns: 3, budgetMs: o.quick ? 1500 : 4000 };
  for (const fw of tgCols(o)) {
    await useTapegrad(fw, o.threads);
    const m = tapegradLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    for (const [i, b] of batches.entries())
      rows[i].cells[fw] = (
        await time(() => void m.epoch(b), fw === 'tapegrad-js' ? { ...opt, warmup: 1 } : opt)
      ).minMs;
  }
  for (const fw of tfjsCols(o)) {
    await useTfjs(fw);
    const m = tfjsLstm(init, LSTM_PARAM_SHAPES, xs, ys);
    for (const [i, b] of batches.entries())
      rows[i].cells[fw] = (await time(() => m.epoch(b).then(() => undefined), opt)).minMs;
    m.dispose();
  }
  rows.forEach((r) => log(`${r.workload}: ${JSON.stringify(r.cells)}`));
  return rows;
}
