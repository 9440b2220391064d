// Nadam against PyTorch's numbers (NAdam), a plain loop of Keras 3's update_step, and its option checks.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { expectClose } from '../../support/check.js';
import { type RefStep, regressionGrad } from '../../support/naive-optimizers.js';
import { REG, START, STEPS, runRef, runTg } from '../../support/optim-fixture.js';

/**
 * Keras 3 `Nadam` (keras/src/optimizers/nadam.py), literally: `u_product` is multiplied by β₁(1 - ½·0.96^(it+1))
 * before each step; u_t = β₁(1 - ½·0.96ᵗ), u_{t+1} likewise; m̂ = u_{t+1}·m/(1 - u_product·u_{t+1}) +
 * (1-u_t)·g/(1 - u_product); p ← p - lr·m̂/(√(v/(1-β₂ᵗ)) + ε). `psi` replaces the exponent t by t·psi (PyTorch's
 * momentum_decay form); `torch113` reproduces torch < 2.0's extra μ_t in the next product.
 */
function refNadam(
  n: number,
  o: { b1?: number; b2?: number; eps: number; psi?: number; wd?: number; torch113?: boolean },
): RefStep {
  const { b1 = 0.9, b2 = 0.999, eps, psi = 1, wd = 0, torch113 = false } = o;
  const m = new Array<number>(n).fill(0);
  const v = new Array<number>(n).fill(0);
  let uProduct = 1;
  return (p, g, t, lr) => {
    uProduct *= b1 * (1 - 0.5 * 0.96 ** (t * psi));
    const ut = b1 * (1 - 0.5 * 0.96 ** (t * psi));
    const ut1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    for (let i = 0; i < n; i++) {
      const gi = g[i] + wd * p[i];
      m[i] += (gi - m[i]) * (1 - b1);
      v[i] += (gi * gi - v[i]) * (1 - b2);
      const next = torch113 ? uProduct * ut * ut1 : uProduct * ut1;
      const mHat = (ut1 * m[i]) / (1 - next) + ((1 - ut) * gi) / (1 - uProduct);
      const vHat = v[i] / (1 - b2 ** t);
      p[i] -= (mHat * lr) / (Math.sqrt(vHat) + eps);
    }
  };
}

// Made with /usr/bin/python3 (torch 1.13) running torch/optim/nadam.py with the one-line fix of
// pytorch/pytorch#92699 (PyTorch >= 2.0: `mu_product_next = mu_product * mu_next`, was `mu_product * mu * mu_next`),
// float64, foreach=False, the fixture's X, y, w, b (test/support/optim-fixture.ts):
//   src = inspect.getsource(N); exec(compile(src.replace(old_line, new_line), N.__file__, 'exec'), N.__dict__)
//   w = torch.tensor([0.5, -0.3, 0.8], requires_grad=True); b = torch.tensor(0.1, requires_grad=True)
//   opt = N.NAdam([w, b])                                                                  # TORCH_DEFAULT
//   opt = N.NAdam([w, b], lr=0.05, betas=(0.8, 0.95), eps=0.01, weight_decay=0.1,
//                 momentum_decay=0.3)                                                      # TORCH_CUSTOM
//   6 × (opt.zero_grad(); ((X @ w + b - y) ** 2).mean().backward(); opt.step(); print(w.tolist() + [b.item()]))
const TORCH_DEFAULT = [
  [0.497887096740881, -0.302112903513235, 0.802112903493021, 0.09788709749974],
  [0.496387242338667, -0.30367900294433, 0.803677394860524, 0.096554712214208],
  [0.495020666411938, -0.305141486954077, 0.805137301658896, 0.095455371562343],
  [0.493686919008072, -0.306600924949297, 0.806593092871411, 0.094504688960031],
  [0.492356731376497, -0.30808943277628, 0.808076655106563, 0.093697110936302],
  [0.491022499436324, -0.309617103872416, 0.809597797850083, 0.093045930943063],
];
const TORCH_CUSTOM = [
  [0.44928029149423, -0.353733063301186, 0.852813562456729, 0.058816435035604],
  [0.45526272787228, -0.394938890095644, 0.890797928294543, 0.102758295511296],
  [0.433342665932998, -0.432705643839461, 0.920912996419782, 0.08145891156486],
  [0.438316507902519, -0.470171632169129, 0.949516314465275, 0.083519648815221],
  [0.438930363004016, -0.506791704908129, 0.975175925084549, 0.065309448909597],
  [0.451537386706967, -0.542673160974291, 0.999528180897118, 0.053853459991255],
];
// The same TORCH_CUSTOM run with torch 1.13 unpatched (its `mu_product * mu * mu_next`):
const TORCH113_CUSTOM = [
  [0.449760335561768, -0.353224498898348, 0.852313700803541, 0.059206222883832],
  [0.45532271382434, -0.394116998879427, 0.890022603296553, 0.102848173541111],
  [0.433312707755055, -0.431746300098534, 0.920067776606299, 0.081478656614929],
  [0.438276209525536, -0.469168592853614, 0.94870614604404, 0.083911638668838],
  [0.43863831499206, -0.505790059986702, 0.974415623024579, 0.065522906637887],
  [0.451337031125654, -0.541705157426872, 0.998847114156772, 0.054352772911834],
];

const expectTraj = (got: number[][], want: number[][], rtol: number, atol: number) =>
  got.forEach((row, s) => expectClose(row, want[s], { rtol, atol }, `step ${s + 1}`));

describe('Nadam matches PyTorch NAdam', () => {
  it('defaults (lr 0.002, eps 1e-8, momentumDecay 0.004), float64', () => {
    expectTraj(
      runTg((ps) => new tg.Nadam(ps), 'float64'),
      TORCH_DEFAULT,
      1e-12,
      1e-14,
    );
  });
  it('betas, epsilon, weight decay and momentumDecay, float64 and float32; tg.NAdam is the same class', () => {
    const make = (ps: tg.Tensor[]) =>
      new tg.NAdam(ps, {
        lr: 0.05,
        beta1: 0.8,
        beta2: 0.95,
        epsilon: 0.01,
        weightDecay: 0.1,
        momentumDecay: 0.3,
      });
    expectTraj(runTg(make, 'float64'), TORCH_CUSTOM, 1e-12, 1e-14);
    expectTraj(runTg(make, 'float32'), TORCH_CUSTOM, 1e-5, 1e-6);
    expect(tg.NAdam).toBe(tg.Nadam);
    // the plain loop with psi = momentum_decay reproduces them, and torch 1.13's numbers with its slip
    const o = { b1: 0.8, b2: 0.95, eps: 0.01, wd: 0.1, psi: 0.3 };
    expectTraj(runRef(refNadam(4, o), 0.05), TORCH_CUSTOM, 1e-12, 1e-14);
    expectTraj(runRef(refNadam(4, { ...o, torch113: true }), 0.05), TORCH113_CUSTOM, 1e-12, 1e-14);
  });
});

describe('Nadam Keras convention', () => {
  it("'keras' is Keras 3's update_step with its defaults (lr 0.001, eps 1e-7, 0.96^t)", () => {
    const got = runTg((ps) => new tg.Nadam(ps, { convention: 'keras' }), 'float64');
    const want = runRef(refNadam(4, { eps: 1e-7 }), 0.001);
    expectTraj(got, want, 1e-10, 1e-13);
    expect(Math.abs(want[STEPS - 1][0] - START[0])).toBeGreaterThan(1e-3);
  });
  it("'keras' with custom betas and epsilon over 30 steps (the μ product carried across steps)", () => {
    const make = (ps: tg.Tensor[]) =>
      new tg.Nadam(ps, { lr: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 0.01, convention: 'keras' });
    const want = runRef(refNadam(4, { b1: 0.8, b2: 0.95, eps: 0.01 }), 0.02, 30);
    expectTraj(runTg(make, 'float64', 30), want, 1e-10, 1e-13);
    expectTraj(runTg(make, 'float32', 30), want, 1e-4, 1e-5);
  });
  it('tg.train.nadam(learningRate, beta1, beta2, epsilon) is the Keras form', () => {
    const want = runRef(refNadam(4, { b1: 0.85, b2: 0.99, eps: 1e-4 }), 0.05);
    expectTraj(
      runTg((ps) => tg.train.nadam(0.05, 0.85, 0.99, 1e-4).setParameters(ps), 'float64'),
      want,
      1e-10,
      1e-13,
    );
  });
});

describe('Nadam options and state', () => {
  it('refuses options it does not have, by name', () => {
    for (const key of [
      'maximize',
      'foreach',
      'decoupledWeightDecay',
      'capturable',
      'amsgrad',
      'scheduleDecay',
    ])
      expect(() => new tg.Nadam([], { [key]: true } as never), key).toThrow(`Nadam: unknown option '${key}'`);
  });
  it('checks its hyper-parameters and picks defaults by convention', () => {
    expect(() => new tg.Nadam([], { beta1: 1 })).toThrow('nadam: beta1 must be a number in [0, 1), got 1');
    expect(() => new tg.Nadam([], { momentumDecay: -1 })).toThrow(
      'nadam: momentumDecay must be a number in [0, ',
    );
    const hp = (c?: tg.Convention) => {
      const h = tg.nadamRule(c ? { convention: c } : {}).hp;
      return [h.lr, h.epsilon, h.momentumDecay];
    };
    expect(hp()).toEqual([0.002, 1e-8, 0.004]);
    expect(hp('keras')).toEqual([0.001, 1e-7, 1]);
    expect(hp('tfjs')).toEqual([0.001, 1e-7, 1]);
  });
  it('a run resumed from saved state in a fresh optimizer continues as an uninterrupted one', () => {
    const make = (ps: tg.Tensor[]) => new tg.Nadam(ps, { lr: 0.05, momentumDecay: 0.3 });
    const full = runTg(make, 'float64');
    const p = tg.tensor(START, [4], { dtype: 'float64', requiresGrad: true });
    p.name = 'p';
    const first = make([p]);
    // the fixture's gradient at the current parameters
    const apply = (o: tg.Optimizer) =>
      o.applyGradients({ p: tg.tensor(regressionGrad(REG, Array.from(p.data)), [4], { dtype: 'float64' }) });
    for (let s = 0; s < 3; s++) apply(first);
    const second = make([p]);
    second.setState(first.getState());
    for (let s = 3; s < STEPS; s++) apply(second);
    expectClose(p.data, full[STEPS - 1], { rtol: 1e-12, atol: 1e-14 });
  });
  it("under 'pytorch' a parameter that skips steps keeps its own step count (and μ product)", () => {
    const a = tg.tensor([0.5], [1], { dtype: 'float64', requiresGrad: true });
    a.name = 'a';
    const b = tg.tensor([0.5], [1], { dtype: 'float64', requiresGrad: true });
    b.name = 'b';
    const opt = new tg.Nadam([a, b], { lr: 0.1, momentumDecay: 0.5 });
    const refA = refNadam(1, { eps: 1e-8, psi: 0.5 });
    const refB = refNadam(1, { eps: 1e-8, psi: 0.5 });
    const pa = [0.5];
    const pb = [0.5];
    let tb = 0;
    for (let s = 0; s < 5; s++) {
      const g = tg.tensor([0.3 + s * 0.1], [1], { dtype: 'float64' });
      const withB = s % 2 === 0;
      opt.applyGradients(withB ? { a: g, b: g } : { a: g, b: null });
      refA(pa, [0.3 + s * 0.1], s + 1, 0.1);
      if (withB) refB(pb, [0.3 + s * 0.1], ++tb, 0.1);
    }
    expectClose([a.data[0], b.data[0]], [pa[0], pb[0]], { rtol: 1e-12, atol: 1e-14 });
  });
});

describe("compile({ optimizer: 'nadam' })", () => {
  it('trains with Keras defaults', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({ optimizer: 'nadam', loss: 'mse' });
    const opt = m.compiled!.optimizer;
    expect(opt).toBeInstanceOf(tg.Nadam);
    expect([opt.learningRate, opt.rule.hp.convention]).toEqual([0.001, 'tfjs']);
    const h = await m.fit(
      tg.randn([8, 3], { rng: new tg.Rng(1) }),
      tg.randn([8, 1], { rng: new tg.Rng(2) }),
      {
        epochs: 5,
        batchSize: 8,
        verbose: 0,
      },
    );
    expect(h.history.loss[4]).toBeLessThan(h.history.loss[0]);
  });
});
