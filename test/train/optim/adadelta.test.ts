// Adadelta against PyTorch's numbers, a plain loop of Keras's formula, TF.js's optimizer, and its option checks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { expectClose } from '../../support/check.js';
import type { RefStep } from '../../support/naive-optimizers.js';
import { START, STEPS, runRef, runTfjs, runTg, tfc } from '../../support/optim-fixture.js';

beforeAll(async () => {
  await tfc.setBackend('cpu');
});

/**
 * Keras 3 `Adadelta.update_step` (also PyTorch's algorithm): v ← ρv + (1-ρ)g², Δ = √(a+ε)/√(v+ε)·g,
 * a ← ρa + (1-ρ)Δ², p ← p - lr·Δ. `tfjsOldV` divides by the v of the previous step instead (TF.js 4.22).
 */
function refAdadelta(n: number, o: { rho: number; eps: number; wd?: number; tfjsOldV?: boolean }): RefStep {
  const { rho, eps, wd = 0, tfjsOldV = false } = o;
  const v = new Array<number>(n).fill(0);
  const a = new Array<number>(n).fill(0);
  return (p, g, _t, lr) => {
    for (let i = 0; i < n; i++) {
      const gi = g[i] + wd * p[i];
      const vOld = v[i];
      v[i] = rho * v[i] + (1 - rho) * gi * gi;
      const d = (Math.sqrt(a[i] + eps) / Math.sqrt((tfjsOldV ? vOld : v[i]) + eps)) * gi;
      a[i] = rho * a[i] + (1 - rho) * d * d;
      p[i] -= lr * d;
    }
  };
}

// Made with /usr/bin/python3 (torch 1.13), float64, the fixture's X, y, w, b (test/support/optim-fixture.ts):
//   w = torch.tensor([0.5, -0.3, 0.8], requires_grad=True); b = torch.tensor(0.1, requires_grad=True)
//   opt = torch.optim.Adadelta([w, b])                                          # TORCH_DEFAULT
//   opt = torch.optim.Adadelta([w, b], lr=0.5, rho=0.8, eps=1e-3, weight_decay=0.1)  # TORCH_CUSTOM
//   6 × (opt.zero_grad(); ((X @ w + b - y) ** 2).mean().backward(); opt.step(); print(w.tolist() + [b.item()]))
const TORCH_DEFAULT = [
  [0.496840854238847, -0.303162210720482, 0.803162134005896, 0.096876524762228],
  [0.493830418349652, -0.306402338498354, 0.80639675249415, 0.094532558773395],
  [0.491058128165161, -0.309692102876334, 0.809671297609076, 0.093271146638618],
  [0.488514772083986, -0.313016580975583, 0.812966087804878, 0.092812317899133],
  [0.486167644086716, -0.316366454460635, 0.8162681745452, 0.092770279365322],
  [0.483992379930509, -0.319735468424545, 0.819569342400236, 0.092894993365904],
];
const TORCH_CUSTOM = [
  [0.469474795720108, -0.334937779805714, 0.834038161168016, 0.086191380731525],
  [0.453264954848774, -0.370879556737552, 0.867068590141107, 0.092953272927098],
  [0.442900938786953, -0.406448784250683, 0.896255196989726, 0.090614415455561],
  [0.439752387116219, -0.441022293701076, 0.921726713625775, 0.08595963052285],
  [0.44035520171623, -0.474109644963101, 0.943935842417146, 0.077899414451683],
  [0.443843392197119, -0.505436864481161, 0.963632927005397, 0.068545300776541],
];

const expectTraj = (got: number[][], want: number[][], rtol: number, atol: number) =>
  got.forEach((row, s) => expectClose(row, want[s], { rtol, atol }, `step ${s + 1}`));

describe('Adadelta matches PyTorch', () => {
  it('defaults (lr 1, rho 0.9, eps 1e-6), float64', () => {
    expectTraj(
      runTg((ps) => new tg.Adadelta(ps), 'float64'),
      TORCH_DEFAULT,
      1e-12,
      1e-14,
    );
  });
  it('lr, rho, epsilon and weight decay, float64 and float32', () => {
    const make = (ps: tg.Tensor[]) =>
      new tg.Adadelta(ps, { lr: 0.5, rho: 0.8, epsilon: 1e-3, weightDecay: 0.1 });
    expectTraj(runTg(make, 'float64'), TORCH_CUSTOM, 1e-12, 1e-14);
    expectTraj(runTg(make, 'float32'), TORCH_CUSTOM, 1e-5, 1e-6);
  });
  it('the rule updated parameter by parameter gives the same as all at once', () => {
    const rule = tg.adadeltaRule({ lr: 0.5, rho: 0.8, epsilon: 1e-3, weightDecay: 0.1 });
    // one parameter holding [w..., b]: the gradient is the fixture's, so the run is PyTorch's
    let state: tg.SlotState | undefined;
    const got = runRef((p, g, t) => {
      const pt = tg.tensor(p, [4], { dtype: 'float64' });
      state ??= rule.init(pt);
      const r = rule.update(tg.tensor(g, [4], { dtype: 'float64' }), pt, state, t);
      state = r.state;
      p.splice(0, 4, ...r.param.data);
    }, 0.5);
    expectTraj(got, TORCH_CUSTOM, 1e-12, 1e-14);
  });
});

describe('Adadelta Keras and TF.js conventions', () => {
  it("'keras' follows Keras's formula with Keras's defaults (lr 0.001, rho 0.95, eps 1e-7)", () => {
    const got = runTg((ps) => new tg.Adadelta(ps, { convention: 'keras' }), 'float64');
    const want = runRef(refAdadelta(4, { rho: 0.95, eps: 1e-7 }), 0.001);
    expectTraj(got, want, 1e-10, 1e-13);
    expect(Math.abs(want[STEPS - 1][0] - START[0])).toBeGreaterThan(5e-6);
  });
  it("'keras' with a large lr and epsilon, weight decay (L2) and a float32 run", () => {
    const make = (ps: tg.Tensor[]) =>
      new tg.Adadelta(ps, { lr: 2, rho: 0.7, epsilon: 1e-2, weightDecay: 0.05, convention: 'keras' });
    const want = runRef(refAdadelta(4, { rho: 0.7, eps: 1e-2, wd: 0.05 }), 2);
    expectTraj(runTg(make, 'float64'), want, 1e-10, 1e-13);
    expectTraj(runTg(make, 'float32'), want, 1e-5, 1e-6);
  });
  it('tg.train.adadelta has TF.js defaults and argument order (learningRate, rho, epsilon)', () => {
    const a = tg.train.adadelta();
    const hp = a.rule.hp as tg.AdadeltaHyper;
    expect([a.learningRate, hp.rho, hp.epsilon, hp.convention]).toEqual([0.001, 0.95, 1e-7, 'tfjs']);
    const want = runRef(refAdadelta(4, { rho: 0.8, eps: 1e-4 }), 0.5);
    expectTraj(
      runTg((ps) => tg.train.adadelta(0.5, 0.8, 1e-4).setParameters(ps), 'float64'),
      want,
      1e-10,
      1e-13,
    );
  });
  it("TF.js 4.22 divides by the previous step's v (the slip reference reproduces it); tapegrad does not", () => {
    const tf = runTfjs(() => tfc.train.adadelta(0.5, 0.8, 1e-4));
    const slip = runRef(refAdadelta(4, { rho: 0.8, eps: 1e-4, tfjsOldV: true }), 0.5);
    expectTraj(tf, slip, 2e-5, 1e-6);
    const ours = runTg((ps) => tg.train.adadelta(0.5, 0.8, 1e-4).setParameters(ps), 'float32');
    expect(Math.abs(ours[0][0] - tf[0][0])).toBeGreaterThan(1e-3);
  });
});

describe('Adadelta options', () => {
  it('refuses options it does not have, by name', () => {
    for (const key of ['maximize', 'foreach', 'differentiable', 'capturable', 'momentum', 'lrDecay'])
      expect(() => new tg.Adadelta([], { [key]: true } as never), key).toThrow(
        `Adadelta: unknown option '${key}'`,
      );
  });
  it('checks its hyper-parameters', () => {
    expect(() => new tg.Adadelta([], { rho: 1.5 })).toThrow(
      'adadelta: rho must be a number in [0, 1], got 1.5',
    );
    expect(() => new tg.Adadelta([], { epsilon: -1 })).toThrow('adadelta: epsilon must be a number in [0, ');
    expect(() => new tg.Adadelta([], { lr: -1 })).toThrow('adadelta: learning rate must be a number');
    expect(() => new tg.Adadelta([], { weightDecay: NaN })).toThrow('adadelta: weightDecay must be');
    expect(() => new tg.Adadelta([], { convention: 'jax' as never })).toThrow(
      "adadelta: convention must be 'pytorch', 'keras' or 'tfjs', got 'jax'",
    );
  });
  it('picks defaults by convention', () => {
    const hp = (c?: tg.Convention) => {
      const h = tg.adadeltaRule(c ? { convention: c } : {}).hp;
      return [h.lr, h.rho, h.epsilon];
    };
    expect(hp()).toEqual([1, 0.9, 1e-6]);
    expect(hp('keras')).toEqual([0.001, 0.95, 1e-7]);
    expect(hp('tfjs')).toEqual([0.001, 0.95, 1e-7]);
  });
  it('saves and restores its state: a resumed run continues as an uninterrupted one', () => {
    const make = (ps: tg.Tensor[]) => new tg.Adadelta(ps, { lr: 0.5 });
    const full = runTg(make, 'float64');
    const w = tg.tensor(START.slice(0, 3), [3], { dtype: 'float64', requiresGrad: true });
    w.name = 'w';
    const b = tg.tensor(START[3], [], { dtype: 'float64', requiresGrad: true });
    b.name = 'b';
    const first = make([w, b]);
    const X = tg.tensor([0.5, -1.0, 0.25, 1.5, 0.3, -0.7, -0.2, 0.8, 1.1, 0.9, -0.4, 0.6], [4, 3], {
      dtype: 'float64',
    });
    const y = tg.tensor([1.0, -0.5, 0.3, 2.0], [4], { dtype: 'float64' });
    const stepOnce = (o: tg.Optimizer) => {
      o.zeroGrad();
      tg.mean(tg.square(tg.sub(tg.add(tg.matmul(X, w), b), y))).backward();
      o.step();
    };
    for (let s = 0; s < 3; s++) stepOnce(first);
    const saved = first.getState();
    expect(Object.keys(saved)).toContain('adadelta/w/squareAvg');
    expect(Object.keys(saved)).toContain('adadelta/w/accDelta');
    const second = make([w, b]);
    second.setState(saved);
    for (let s = 0; s < 3; s++) stepOnce(second);
    expectClose([...w.data, ...b.data], full[STEPS - 1], { rtol: 1e-14, atol: 1e-15 });
  });
});

describe("compile({ optimizer: 'adadelta' })", () => {
  it('trains with Keras defaults', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({ optimizer: 'adadelta', loss: 'mse' });
    const opt = m.compiled!.optimizer;
    expect(opt).toBeInstanceOf(tg.Adadelta);
    expect([opt.learningRate, opt.rule.hp.convention]).toEqual([0.001, 'tfjs']);
    const before = Array.from(m.getWeights()[0].data);
    await m.fit(tg.randn([8, 3], { rng: new tg.Rng(1) }), tg.randn([8, 1], { rng: new tg.Rng(2) }), {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
    });
    expect(Array.from(m.getWeights()[0].data)).not.toEqual(before);
  });
});
