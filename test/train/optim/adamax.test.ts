// Adamax against PyTorch's numbers, a plain loop of Keras's formula, TF.js's optimizer, and its option checks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { expectClose } from '../../support/check.js';
import { type RefStep, regressionGrad } from '../../support/naive-optimizers.js';
import { REG, START, STEPS, compareWithTfjs, runRef, runTg, tfc } from '../../support/optim-fixture.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/**
 * Keras 3 `Adamax.update_step`: m ← β₁m + (1-β₁)g, u ← max(β₂u, |g|), p ← p - lr·m/((1-β₁ᵗ)(u+ε)), with TF.js's
 * `decay` (lr/(1 + (t-1)·decay)); `torch` puts ε in u instead (PyTorch docs: u ← max(β₂u, |g|+ε),
 * p ← p - lr/(1-β₁ᵗ)·m/u).
 */
function refAdamax(
  n: number,
  o: { b1?: number; b2?: number; eps: number; wd?: number; decay?: number; torch?: boolean },
): RefStep {
  const { b1 = 0.9, b2 = 0.999, eps, wd = 0, decay = 0, torch = false } = o;
  const m = new Array<number>(n).fill(0);
  const u = new Array<number>(n).fill(0);
  return (p, g, t, lr0) => {
    const lr = lr0 / (1 + (t - 1) * decay);
    for (let i = 0; i < n; i++) {
      const gi = g[i] + wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      if (torch) {
        u[i] = Math.max(b2 * u[i], Math.abs(gi) + eps);
        p[i] -= (lr / (1 - b1 ** t)) * (m[i] / u[i]);
      } else {
        u[i] = Math.max(b2 * u[i], Math.abs(gi));
        p[i] -= (lr * m[i]) / ((1 - b1 ** t) * (u[i] + eps));
      }
    }
  };
}

// Made with /usr/bin/python3 (torch 1.13), float64, the fixture's X, y, w, b (test/support/optim-fixture.ts):
//   w = torch.tensor([0.5, -0.3, 0.8], requires_grad=True); b = torch.tensor(0.1, requires_grad=True)
//   opt = torch.optim.Adamax([w, b])                                                      # TORCH_DEFAULT
//   opt = torch.optim.Adamax([w, b], lr=0.05, betas=(0.8, 0.95), eps=0.01, weight_decay=0.1)  # TORCH_CUSTOM
//   6 × (opt.zero_grad(); ((X @ w + b - y) ** 2).mean().backward(); opt.step(); print(w.tolist() + [b.item()]))
const TORCH_DEFAULT = [
  [0.49800000028169, -0.301999999958848, 0.801999999939714, 0.098000001],
  [0.496088303801142, -0.30400018073486, 0.803997880835116, 0.096269323695778],
  [0.494262756862505, -0.306000379831558, 0.805993188825911, 0.094793253389269],
  [0.492520983233463, -0.308000430764001, 0.807985462517191, 0.093556151978357],
  [0.490860408525192, -0.310000163756909, 0.809974235744465, 0.09254159017051],
  [0.489278287077888, -0.311999406484266, 0.811959040473536, 0.091732490942215],
];
const TORCH_CUSTOM = [
  [0.45381679389313, -0.348927038626609, 0.848089780324737, 0.0625],
  [0.434934409932446, -0.398671444080822, 0.894021767146117, 0.078994383809265],
  [0.427220007879988, -0.44823757547649, 0.935124742002426, 0.096556280294079],
  [0.423578769909196, -0.496919084715746, 0.970399832821615, 0.101783779700804],
  [0.421954377074544, -0.544168314755643, 0.999790037150412, 0.092472251168173],
  [0.423187067893273, -0.589526312320013, 1.023868098812364, 0.074132575235659],
];

const expectTraj = (got: number[][], want: number[][], rtol: number, atol: number) =>
  got.forEach((row, s) => expectClose(row, want[s], { rtol, atol }, `step ${s + 1}`));

describe('Adamax matches PyTorch', () => {
  it('defaults (lr 0.002, betas 0.9/0.999, eps 1e-8), float64', () => {
    expectTraj(
      runTg((ps) => new tg.Adamax(ps), 'float64'),
      TORCH_DEFAULT,
      1e-12,
      1e-14,
    );
  });
  it('betas, a large epsilon (inside u) and weight decay, float64 and float32, as the plain loop', () => {
    const make = (ps: tg.Tensor[]) =>
      new tg.Adamax(ps, { lr: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 0.01, weightDecay: 0.1 });
    expectTraj(runTg(make, 'float64'), TORCH_CUSTOM, 1e-12, 1e-14);
    expectTraj(runTg(make, 'float32'), TORCH_CUSTOM, 1e-5, 1e-6);
    // and the plain-loop PyTorch form (the one the Keras check below departs from) reproduces them too
    const ref = runRef(refAdamax(4, { b1: 0.8, b2: 0.95, eps: 0.01, wd: 0.1, torch: true }), 0.05);
    expectTraj(ref, TORCH_CUSTOM, 1e-12, 1e-14);
  });
});

describe('Adamax Keras and TF.js conventions', () => {
  it("'keras' puts epsilon outside the max, with Keras's defaults (lr 0.001, eps 1e-7)", () => {
    const got = runTg((ps) => new tg.Adamax(ps, { convention: 'keras' }), 'float64');
    const want = runRef(refAdamax(4, { eps: 1e-7 }), 0.001);
    expectTraj(got, want, 1e-10, 1e-13);
    expect(Math.abs(want[STEPS - 1][0] - START[0])).toBeGreaterThan(1e-3);
  });
  it("'keras' with a large epsilon and weight decay differs from 'pytorch' by where epsilon goes", () => {
    const o = { lr: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 0.01, weightDecay: 0.1 };
    const make = (ps: tg.Tensor[]) => new tg.Adamax(ps, { ...o, convention: 'keras' });
    const want = runRef(refAdamax(4, { b1: 0.8, b2: 0.95, eps: 0.01, wd: 0.1 }), 0.05);
    const got = runTg(make, 'float64');
    expectTraj(got, want, 1e-10, 1e-13);
    expectTraj(runTg(make, 'float32'), want, 1e-5, 1e-6);
    expect(Math.abs(got[STEPS - 1][1] - TORCH_CUSTOM[STEPS - 1][1])).toBeGreaterThan(1e-4);
  });
  it('tg.train.adamax has TF.js defaults and argument order (learningRate, beta1, beta2, epsilon, decay)', () => {
    const a = tg.train.adamax();
    const { beta1, beta2, epsilon, lrDecay, convention } = a.rule.hp as tg.AdamaxHyper;
    expect([a.learningRate, beta1, beta2, epsilon, lrDecay, convention]).toEqual([
      0.002,
      0.9,
      0.999,
      1e-7,
      0,
      'tfjs',
    ]);
    const want = runRef(refAdamax(4, { b1: 0.8, b2: 0.9, eps: 1e-3, decay: 0.3 }), 0.05);
    expectTraj(
      runTg((ps) => tg.train.adamax(0.05, 0.8, 0.9, 1e-3, 0.3).setParameters(ps), 'float64'),
      want,
      1e-10,
      1e-13,
    );
  });
  it('tg.train.adamax matches TF.js 4.22 (defaults)', () =>
    compareWithTfjs(
      () => tfc.train.adamax(0.05),
      () => tg.train.adamax(0.05),
    ));
  it('tg.train.adamax matches TF.js 4.22 (betas, epsilon and decay)', () =>
    compareWithTfjs(
      () => tfc.train.adamax(0.05, 0.8, 0.9, 1e-3, 0.3),
      () => tg.train.adamax(0.05, 0.8, 0.9, 1e-3, 0.3),
    ));
});

describe('Adamax options', () => {
  it('refuses options it does not have, by name', () => {
    for (const key of ['maximize', 'foreach', 'differentiable', 'capturable', 'amsgrad', 'betas', 'decay'])
      expect(() => new tg.Adamax([], { [key]: true } as never), key).toThrow(
        `Adamax: unknown option '${key}'`,
      );
  });
  it('checks its hyper-parameters', () => {
    expect(() => new tg.Adamax([], { beta1: 1 })).toThrow('adamax: beta1 must be a number in [0, 1), got 1');
    expect(() => new tg.Adamax([], { beta2: -0.1 })).toThrow(
      'adamax: beta2 must be a number in [0, 1), got -0.1',
    );
    expect(() => new tg.Adamax([], { epsilon: -1 })).toThrow('adamax: epsilon must be a number in [0, ');
    expect(() => new tg.Adamax([], { lrDecay: -1 })).toThrow('adamax: lrDecay must be a number in [0, ');
    expect(() => new tg.Adamax([], { lr: 'x' as never })).toThrow('adamax: learning rate must be a number');
    expect(() => tg.train.adamax(0.01, 0.9, 0.999, 1e-7, -2)).toThrow('adamax: lrDecay must be');
  });
  it('picks defaults by convention', () => {
    const hp = (c?: tg.Convention) => {
      const h = tg.adamaxRule(c ? { convention: c } : {}).hp;
      return [h.lr, h.beta1, h.beta2, h.epsilon];
    };
    expect(hp()).toEqual([0.002, 0.9, 0.999, 1e-8]);
    expect(hp('keras')).toEqual([0.001, 0.9, 0.999, 1e-7]);
    expect(hp('tfjs')).toEqual([0.002, 0.9, 0.999, 1e-7]);
  });
  it('a learning-rate schedule is read at the optimizer iteration', () => {
    const sched = (k: number) => 0.05 * 0.5 ** k;
    const got = runTg((ps) => new tg.Adamax(ps, { lr: sched, convention: 'keras' }), 'float64');
    const ref = refAdamax(4, { eps: 1e-7 });
    const p = START.slice();
    const want: number[][] = [];
    for (let t = 1; t <= STEPS; t++) {
      ref(p, regressionGrad(REG, p), t, sched(t - 1));
      want.push(p.slice());
    }
    expectTraj(got, want, 1e-10, 1e-13);
  });
});

describe("compile({ optimizer: 'adamax' })", () => {
  it('trains with Keras defaults', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({ optimizer: 'adamax', loss: 'mse' });
    const opt = m.compiled!.optimizer;
    expect(opt).toBeInstanceOf(tg.Adamax);
    expect([opt.learningRate, opt.rule.hp.convention]).toEqual([0.001, 'tfjs']);
    const x = tg.randn([8, 3], { rng: new tg.Rng(1) });
    const y = tg.randn([8, 1], { rng: new tg.Rng(2) });
    const h = await m.fit(x, y, { epochs: 5, batchSize: 8, verbose: 0 });
    const loss = h.history.loss;
    expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
  });
  it('the error for an unknown name lists the new names', () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    expect(() => m.compile({ optimizer: 'adamx', loss: 'mse' })).toThrow(
      "compile: unknown optimizer 'adamx' (use sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax",
    );
  });
});
