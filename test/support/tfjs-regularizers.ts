// Helpers of the regularizer tests against real TF.js (test/nn/regularizers-tfjs*.test.ts): tfjs-core's gradients
// registered, the same model built in both libraries with tapegrad's weights copied into TF.js, and the training
// comparison (penalties, trainOnBatch losses, fit's History, weights).
import { expect } from 'vitest';
import * as tg from '../../src/index.js';
import { rand, tf, tfl } from './tfjs-layers.js';

export { rand, tf, tfl, useCpu } from './tfjs-layers.js';

export const size = (s: number[]) => s.reduce((p, q) => p * q, 1);

export type AnyLib = Record<string, (cfg?: object) => unknown>;
/** A tapegrad model with its layers (Sequential or a functional model). */
export type TgModel = tg.Model & { layers: tg.Layer[] };
/** Builds the model with one library's layers, regularizers and model functions. */
export type Make = (L: AnyLib, R: AnyLib, lib: AnyLib) => unknown;
export const TFJS_REG = (tfl as unknown as { regularizers: AnyLib }).regularizers;

export interface Twin {
  a: TgModel;
  b: tfl.LayersModel;
}
/**
 * The same model in both, TF.js holding tapegrad's weights (each all-zero weight, a bias, given small values first:
 * an L1 penalty at exactly 0 steps differently in TF.js, see the top of the file).
 */
export function twin(make: Make): Twin {
  tg.resetLayerNames();
  tg.setSeed(7);
  const a = make(
    tg.layers as unknown as AnyLib,
    tg.regularizers as unknown as AnyLib,
    tg as unknown as AnyLib,
  ) as TgModel;
  const b = make(tfl.layers as unknown as AnyLib, TFJS_REG, tfl as unknown as AnyLib) as tfl.LayersModel;
  a.getWeights();
  expect(a.layers.length).toBe(b.layers.length);
  a.layers.forEach((l, i) => {
    const ws = l
      .getWeights()
      .map((w, j) =>
        (w.data as Float32Array).every((v) => v === 0) ? tg.tensor(rand(w.size, 31 + j), [...w.shape]) : w,
      );
    if (!ws.length) return;
    l.setWeights(ws);
    b.layers[i].setWeights(ws.map((w) => tf.tensor(Array.from(w.data as Float32Array), [...w.shape])));
  });
  return { a, b };
}

export function expectClose(x: ArrayLike<number>, y: ArrayLike<number>, atol: number, what: string) {
  expect(x.length, what).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst, what).toBeLessThanOrEqual(atol);
}
export function expectSameWeights({ a, b }: Twin, atol: number, what: string) {
  a.layers.forEach((l, i) => {
    const wa = l.getWeights();
    const wb = b.layers[i].getWeights();
    expect(wa.length, `${what}: layer ${i} weight count`).toBe(wb.length);
    wa.forEach((w, j) =>
      expectClose(w.data as Float32Array, wb[j].dataSync(), atol, `${what}: layer ${i} weight ${j}`),
    );
  });
}
/** TF.js's penalties, layer by layer (a Sequential builds the model it wraps only when compiled). */
export const tfLosses = (m: tfl.LayersModel) =>
  m.layers.flatMap((l) => l.calculateLosses().map((t) => t.dataSync()[0]));

export type Opt = 'sgd' | 'adam';
export const optimizers = (o: Opt): [tg.Optimizer, tf.Optimizer] =>
  o === 'sgd' ? [tg.train.sgd(0.1), tf.train.sgd(0.1)] : [tg.train.adam(0.05), tf.train.adam(0.05)];

/** Penalties, three trainOnBatch steps, two epochs of fit (batch 3, no shuffling) and the weights, in both. */
export async function expectSameTraining(
  t: Twin,
  inShape: number[],
  outShape: number[],
  opt: Opt,
  what: string,
) {
  const { a, b } = t;
  expectClose(
    a.losses.map((s) => s.item()),
    tfLosses(b),
    1e-5 * Math.max(1, ...tfLosses(b)),
    `${what}: model.losses`,
  );
  const [oa, ob] = optimizers(opt);
  a.compile({ optimizer: oa, loss: 'meanSquaredError' });
  b.compile({ optimizer: ob, loss: 'meanSquaredError' });
  const x = rand(size(inShape), 5);
  const y = rand(size(outShape), 9);
  const xa = () => new tg.Tensor(x, inShape);
  const ya = () => new tg.Tensor(y, outShape);
  const xb = () => tf.tensor(x, inShape);
  const yb = () => tf.tensor(y, outShape);
  for (let s = 0; s < 3; s++) {
    const la = (await a.trainOnBatch(xa(), ya())) as number;
    const lb = (await b.trainOnBatch(xb(), yb())) as number;
    expectClose([la], [lb], 2e-5 * Math.max(1, Math.abs(lb)), `${what}: step ${s}`);
  }
  const args = { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 } as const;
  const ha = await a.fit(xa(), ya(), args);
  const hb = await b.fit(xb(), yb(), args);
  expectClose(ha.history.loss as number[], hb.history.loss as number[], 2e-5, `${what}: fit loss`);
  expectSameWeights(t, opt === 'sgd' ? 1e-5 : 3e-5, what);
}
