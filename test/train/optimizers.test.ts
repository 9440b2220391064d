// Optimizer trajectories on a small linear regression vs plain-loop implementations of the published equations.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, prng } from '../support/check.js';
import {
  type RefStep,
  makeRegression,
  refAdagrad,
  refAdam,
  refRMSprop,
  refSGD,
  regressionGrad,
} from '../support/naive-optimizers.js';
import { runTg as runFixture } from '../support/optim-fixture.js';

const N = 8;
const D = 3;
const reg = makeRegression(N, D, prng(11));
const START = [0.5, -0.3, 0.8, 0.1];
const STEPS = 6;

/** Train w [D] and b [] with tapegrad; record [w..., b] after every step. */
const runTg = (make: (ps: tg.Tensor[]) => tg.Optimizer, dtype: tg.DType, steps = STEPS): number[][] =>
  runFixture(make, dtype, steps, reg);

/** The same run with a reference step; `lr(k)` is the rate after k completed updates. */
function runRef(step: RefStep, lr: (k: number) => number, steps = STEPS): number[][] {
  const p = START.slice();
  const traj: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    step(p, regressionGrad(reg, p), t, lr(t - 1));
    traj.push(p.slice());
  }
  return traj;
}

interface Case {
  name: string;
  make: (ps: tg.Tensor[]) => tg.Optimizer;
  ref: () => RefStep;
  lr: number | ((k: number) => number);
}

const n = D + 1;
const decay = (k: number) => 0.1 * Math.pow(0.5, k / 2);
const decaySchedule = () => tg.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5 });

const CASES: Case[] = [
  { name: 'SGD plain', make: (ps) => new tg.SGD(ps, { lr: 0.1 }), ref: () => refSGD(n), lr: 0.1 },
  {
    name: 'SGD momentum',
    make: (ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.9 }),
    ref: () => refSGD(n, { momentum: 0.9 }),
    lr: 0.05,
  },
  {
    name: 'SGD nesterov + weight decay',
    make: (ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 }),
    ref: () => refSGD(n, { momentum: 0.8, nesterov: true, wd: 0.1 }),
    lr: 0.05,
  },
  {
    name: 'SGD dampening',
    make: (ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3 }),
    ref: () => refSGD(n, { momentum: 0.9, dampening: 0.3 }),
    lr: 0.05,
  },
  {
    name: 'SGD momentum with a decaying schedule (PyTorch form)',
    make: (ps) => new tg.SGD(ps, { lr: decaySchedule(), momentum: 0.9 }),
    ref: () => refSGD(n, { momentum: 0.9 }),
    lr: decay,
  },
  {
    name: 'SGD Keras velocity form with a schedule',
    make: (ps) => new tg.SGD(ps, { lr: decaySchedule(), momentum: 0.9, convention: 'keras' }),
    ref: () => refSGD(n, { momentum: 0.9, keras: true }),
    lr: decay,
  },
  {
    name: 'SGD Keras Nesterov',
    make: (ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.7, nesterov: true, convention: 'keras' }),
    ref: () => refSGD(n, { momentum: 0.7, nesterov: true, keras: true }),
    lr: 0.05,
  },
  { name: 'Adam', make: (ps) => new tg.Adam(ps, { lr: 0.05 }), ref: () => refAdam(n), lr: 0.05 },
  {
    name: 'Adam amsgrad + L2 + custom betas',
    make: (ps) =>
      new tg.Adam(ps, { lr: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, amsgrad: true, weightDecay: 0.05 }),
    ref: () => refAdam(n, { b1: 0.8, b2: 0.95, eps: 1e-6, amsgrad: true, wd: 0.05 }),
    lr: 0.05,
  },
  {
    name: 'Adam Keras epsilon-hat form',
    make: (ps) => new tg.Adam(ps, { lr: 0.05, epsilon: 0.01, convention: 'keras' }),
    ref: () => refAdam(n, { eps: 0.01, keras: true }),
    lr: 0.05,
  },
  {
    name: 'Adam Keras form with amsgrad',
    make: (ps) => new tg.Adam(ps, { lr: 0.05, amsgrad: true, convention: 'keras' }),
    ref: () => refAdam(n, { eps: 1e-7, amsgrad: true, keras: true }),
    lr: 0.05,
  },
  {
    name: 'Adam with a schedule',
    make: (ps) => new tg.Adam(ps, { lr: decay }),
    ref: () => refAdam(n),
    lr: decay,
  },
  {
    name: 'AdamW default decay',
    make: (ps) => new tg.AdamW(ps, { lr: 0.05 }),
    ref: () => refAdam(n, { wd: 0.01, decoupled: true }),
    lr: 0.05,
  },
  {
    name: 'AdamW strong decay + amsgrad',
    make: (ps) => new tg.AdamW(ps, { lr: 0.05, weightDecay: 0.5, amsgrad: true }),
    ref: () => refAdam(n, { wd: 0.5, decoupled: true, amsgrad: true }),
    lr: 0.05,
  },
  {
    name: 'RMSprop (PyTorch)',
    make: (ps) => new tg.RMSprop(ps, { lr: 0.01 }),
    ref: () => refRMSprop(n, { rho: 0.99, eps: 1e-8 }),
    lr: 0.01,
  },
  {
    name: 'RMSprop centered + momentum + L2 (PyTorch)',
    make: (ps) => new tg.RMSprop(ps, { lr: 0.01, rho: 0.9, momentum: 0.5, centered: true, weightDecay: 0.1 }),
    ref: () => refRMSprop(n, { rho: 0.9, eps: 1e-8, momentum: 0.5, centered: true, wd: 0.1 }),
    lr: 0.01,
  },
  {
    name: 'RMSprop (Keras)',
    make: (ps) => new tg.RMSprop(ps, { lr: 0.01, convention: 'keras' }),
    ref: () => refRMSprop(n, { rho: 0.9, eps: 1e-7, keras: true }),
    lr: 0.01,
  },
  {
    name: 'RMSprop centered + momentum with a schedule (Keras)',
    make: (ps) =>
      new tg.RMSprop(ps, { lr: decaySchedule(), momentum: 0.6, centered: true, convention: 'keras' }),
    ref: () => refRMSprop(n, { rho: 0.9, eps: 1e-7, momentum: 0.6, centered: true, keras: true }),
    lr: decay,
  },
  {
    name: 'Adagrad (PyTorch)',
    make: (ps) => new tg.Adagrad(ps, { lr: 0.1 }),
    ref: () => refAdagrad(n, { eps: 1e-10 }),
    lr: 0.1,
  },
  {
    name: 'Adagrad lrDecay + initial accumulator + L2 (PyTorch)',
    make: (ps) =>
      new tg.Adagrad(ps, { lr: 0.1, lrDecay: 0.2, initialAccumulatorValue: 0.5, weightDecay: 0.1 }),
    ref: () => refAdagrad(n, { eps: 1e-10, lrDecay: 0.2, init: 0.5, wd: 0.1 }),
    lr: 0.1,
  },
  {
    name: 'Adagrad (Keras)',
    make: (ps) => new tg.Adagrad(ps, { lr: 0.1, convention: 'keras' }),
    ref: () => refAdagrad(n, { eps: 1e-7, init: 0.1, keras: true }),
    lr: 0.1,
  },
  // TF.js-style constructors: tf.train.* defaults
  { name: 'train.sgd', make: (ps) => tg.train.sgd(0.1).setParameters(ps), ref: () => refSGD(n), lr: 0.1 },
  {
    name: 'train.momentum (Nesterov)',
    make: (ps) => tg.train.momentum(0.05, 0.9, true).setParameters(ps),
    ref: () => refSGD(n, { momentum: 0.9, nesterov: true }),
    lr: 0.05,
  },
  {
    name: 'train.adam',
    make: (ps) => tg.train.adam(0.05).setParameters(ps),
    ref: () => refAdam(n, { eps: 1e-7 }),
    lr: 0.05,
  },
  {
    name: 'train.adamw',
    make: (ps) => tg.train.adamw(0.05, 0.1).setParameters(ps),
    ref: () => refAdam(n, { eps: 1e-7, wd: 0.1, decoupled: true }),
    lr: 0.05,
  },
  {
    name: 'train.rmsprop (centered, momentum)',
    make: (ps) => tg.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true).setParameters(ps),
    ref: () => refRMSprop(n, { rho: 0.9, eps: 1e-7, momentum: 0.5, centered: true, keras: true }),
    lr: 0.01,
  },
  {
    name: 'train.adagrad',
    make: (ps) => tg.train.adagrad(0.1).setParameters(ps),
    ref: () => refAdagrad(n, { eps: 1e-7, init: 0.1, keras: true }),
    lr: 0.1,
  },
];

describe('optimizer trajectories vs published equations', () => {
  for (const c of CASES) {
    const lr = typeof c.lr === 'number' ? () => c.lr as number : c.lr;
    it(`${c.name} (float64)`, () => {
      const got = runTg(c.make, 'float64');
      const want = runRef(c.ref(), lr);
      got.forEach((row, s) => expectClose(row, want[s], { rtol: 1e-10, atol: 1e-13 }, `step ${s + 1}`));
      // the run actually moved the parameters
      expect(Math.max(...want[STEPS - 1].map((v, i) => Math.abs(v - START[i])))).toBeGreaterThan(1e-3);
    });
    it(`${c.name} (float32)`, () => {
      const got = runTg(c.make, 'float32');
      const want = runRef(c.ref(), lr);
      got.forEach((row, s) => expectClose(row, want[s], { rtol: 1e-4, atol: 2e-5 }, `step ${s + 1}`));
    });
  }
});

describe('convention differences are real', () => {
  it('PyTorch and Keras SGD momentum differ under a changing learning rate but agree under a constant one', () => {
    const torch = runTg((ps) => new tg.SGD(ps, { lr: decay, momentum: 0.9 }), 'float64');
    const keras = runTg((ps) => new tg.SGD(ps, { lr: decay, momentum: 0.9, convention: 'keras' }), 'float64');
    expect(Math.abs(torch[STEPS - 1][0] - keras[STEPS - 1][0])).toBeGreaterThan(1e-4);
    const t2 = runTg((ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.9 }), 'float64');
    const k2 = runTg((ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.9, convention: 'keras' }), 'float64');
    t2.forEach((row, s) => expectClose(row, k2[s], { rtol: 1e-12, atol: 1e-14 }));
  });
  it('Adam: epsilon outside sqrt(v-hat) differs from the Keras epsilon-hat form when epsilon is large', () => {
    const a = runTg((ps) => new tg.Adam(ps, { lr: 0.05, epsilon: 0.1 }), 'float64');
    const b = runTg((ps) => new tg.Adam(ps, { lr: 0.05, epsilon: 0.1, convention: 'keras' }), 'float64');
    expect(Math.abs(a[2][0] - b[2][0])).toBeGreaterThan(1e-4);
  });
});
