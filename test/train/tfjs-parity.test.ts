// `tg.train.*` against TF.js's own optimizers (@tensorflow/tfjs-core, cpu backend) fed the same gradients, float32.
import { beforeAll, describe, it } from 'vitest';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tg from '../../src/index.js';
import { expectClose, prng } from '../support/check.js';
import { makeRegression, regressionGrad } from '../support/naive-optimizers.js';

const D = 3;
const reg = makeRegression(8, D, prng(5));
const START = [0.5, -0.3, 0.8, 0.1];

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

let counter = 0;
/** Run both optimizers for `steps` updates from the same start, gradients from the plain-JS formula. */
function compare(makeTf: () => tfc.Optimizer, makeTg: () => tg.Optimizer, rtol = 2e-5, atol = 1e-6): void {
  const steps = 6;
  const name = `v${counter++}`;
  const v = tfc.variable(tfc.tensor1d(START), true, name);
  const p = tg.tensor(START, [START.length], { dtype: 'float32', requiresGrad: true });
  p.name = name;
  const oTf = makeTf();
  const oTg = makeTg().setParameters([p]);
  for (let s = 0; s < steps; s++) {
    const gTf = regressionGrad(reg, Array.from(v.dataSync()));
    oTf.applyGradients({ [name]: tfc.tensor1d(gTf) });
    const gTg = regressionGrad(reg, Array.from(p.data));
    oTg.applyGradients({ [name]: tg.tensor(gTg, [gTg.length], { dtype: 'float32' }) });
    expectClose(p.data, v.dataSync(), { rtol, atol }, `step ${s + 1}`);
  }
  v.dispose();
}

describe('tg.train.* matches TF.js optimizers', () => {
  it('sgd', () =>
    compare(
      () => tfc.train.sgd(0.1),
      () => tg.train.sgd(0.1),
    ));
  it('momentum', () =>
    compare(
      () => tfc.train.momentum(0.05, 0.9),
      () => tg.train.momentum(0.05, 0.9),
    ));
  it('momentum with Nesterov', () =>
    compare(
      () => tfc.train.momentum(0.05, 0.9, true),
      () => tg.train.momentum(0.05, 0.9, true),
    ));
  // NOTE: TF.js keeps β₂ᵗ in float32, so 1 - 0.999ᵗ has a relative error near 1e-7 / (1 - 0.999ᵗ) ≈ 2e-5 and each
  // step (size ≈ lr = 0.05) drifts by ~1e-6; tapegrad agrees with the float64 reference to 1e-7 (optimizers.test.ts).
  it('adam (defaults)', () =>
    compare(
      () => tfc.train.adam(0.05),
      () => tg.train.adam(0.05),
      1e-4,
      1e-5,
    ));
  it('adam (custom betas and epsilon)', () =>
    compare(
      () => tfc.train.adam(0.02, 0.8, 0.9, 1e-3),
      () => tg.train.adam(0.02, 0.8, 0.9, 1e-3),
    ));
  it('rmsprop', () =>
    compare(
      () => tfc.train.rmsprop(0.01),
      () => tg.train.rmsprop(0.01),
    ));
  it('rmsprop with momentum', () =>
    compare(
      () => tfc.train.rmsprop(0.01, 0.8, 0.6, 1e-6),
      () => tg.train.rmsprop(0.01, 0.8, 0.6, 1e-6),
    ));
  it('adagrad', () =>
    compare(
      () => tfc.train.adagrad(0.1),
      () => tg.train.adagrad(0.1),
    ));
  it('adagrad with an initial accumulator', () =>
    compare(
      () => tfc.train.adagrad(0.1, 0.3),
      () => tg.train.adagrad(0.1, 0.3),
    ));
});
