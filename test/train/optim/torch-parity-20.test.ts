// Adadelta, Adamax and Nadam ('pytorch' convention) over 20 steps of a small layer (F.linear [4,3] → [4,2], F.mseLoss)
// against torch.optim in float64: weight decay and other hyper-parameters, a learning-rate function of the step (torch
// LambdaLR stepped after each optimizer step), and the state saved after 10 steps and loaded into a new optimizer.
// Numbers made with /usr/bin/python3 (torch 1.13); Nadam by torch 2.x's formula (the NOTE of nadam.ts: 1.13's
// NAdam multiplies an extra μ_t into the next product, fixed in pytorch/pytorch#92699), written out as below:
//   import torch, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   X = torch.tensor([0.5,-1,0.25, 1.5,0.3,-0.7, -0.2,0.8,1.1, 0.9,-0.4,0.6]).reshape(4,3)
//   Y = torch.tensor([1,-0.5, 0.3,2, -1,0.4, 0.7,0.1]).reshape(4,2)
//   W = torch.tensor([0.5,-0.3,0.8, -0.2,0.1,0.4]).reshape(2,3).requires_grad_(); b = torch.tensor([0.1,-0.1]).requires_grad_()
//   opt = torch.optim.Adadelta([W, b], lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)            # adadelta_wd
//   opt = torch.optim.Adamax([W, b], lr=0.05, betas=(0.8,0.9), eps=1e-3, weight_decay=0.2)     # adamax_wd
//   opt = NAdamFixed([W, b], lr=0.05, betas=(0.85,0.99), eps=1e-3, weight_decay=0.2, momentum_decay=0.1)  # nadam_wd
//   *_sched: lr=0.5 (Adadelta) or 0.05 with sch = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.9**k)
//   for s in range(20): opt.zero_grad(); F.mse_loss(F.linear(X, W, b), Y).backward(); opt.step(); sch.step()
//   print(W.reshape(-1).tolist() + b.tolist())
//   NAdamFixed.step per parameter (state: step t, mp = 1, m = v = 0), g = grad + weight_decay·p:
//     mu = b1*(1-0.5*0.96**(t*md)); mun = b1*(1-0.5*0.96**((t+1)*md)); mp *= mu; mpn = mp*mun
//     m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; den = sqrt(v/(1-b2**t)) + eps
//     p -= lr*(1-mu)/(1-mp) * g/den + lr*mun/(1-mpn) * m/den
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const F = tg.nn.functional;
const TORCH: Record<string, number[]> = {
  adadelta_wd: [
    0.5631771089923634, -0.5290955047183883, 0.5611041839496522, 0.041071977231503576, 0.3450549018146409,
    0.14288248785899096, -0.1194714761718317, 0.12637503659637658,
  ],
  adamax_wd: [
    0.39131956397794676, -0.6042579106267657, -0.08674810510504666, 0.5730728170075836, 0.6954393853220716,
    -0.5866390718081225, -0.06803196430079408, 0.2401809913846823,
  ],
  nadam_wd: [
    0.5033826066212057, -0.6924832908148666, 0.15968690078312647, 0.4103721259260282, 0.6568173374323718,
    -0.31453082383101566, -0.21821907507398378, 0.3450087547238545,
  ],
  adadelta_sched: [
    0.5140825836383646, -0.31484137584336713, 0.7851660740548867, -0.18513453797121537, 0.11491056075174923,
    0.3850761583759555, 0.08511777331514264, -0.08517444882309332,
  ],
  adamax_sched: [
    0.6949123631734938, -0.648913314928364, 0.45985900915975214, 0.15921678105102055, 0.49013883395098545,
    0.00016796953950027477, -0.248047712757548, 0.2317572819770157,
  ],
  nadam_sched: [
    0.687881513432152, -0.6267287853023759, 0.4788365619253289, 0.13222251853135134, 0.4480138265177513,
    0.04775293025434596, -0.222957242091457, 0.21449378170718478,
  ],
  nadam: [
    0.5316991211219275, -0.33393796643572743, 0.7660862786123072, -0.16599478346251492, 0.13413982324127904,
    0.3658245631126583, 0.06594992846320558, -0.06611199055537205,
  ],
};
type Make = (ps: tg.Tensor[]) => tg.Optimizer;
const CASES: [string, Make][] = [
  ['adadelta_wd', (ps) => new tg.Adadelta(ps, { lr: 0.5, rho: 0.8, epsilon: 1e-4, weightDecay: 0.1 })],
  [
    'adamax_wd',
    (ps) => new tg.Adamax(ps, { lr: 0.05, beta1: 0.8, beta2: 0.9, epsilon: 1e-3, weightDecay: 0.2 }),
  ],
  [
    'nadam_wd',
    (ps) =>
      new tg.Nadam(ps, {
        lr: 0.05,
        beta1: 0.85,
        beta2: 0.99,
        epsilon: 1e-3,
        weightDecay: 0.2,
        momentumDecay: 0.1,
      }),
  ],
  ['adadelta_sched', (ps) => new tg.Adadelta(ps, { lr: (k: number) => 0.5 * 0.9 ** k })],
  ['adamax_sched', (ps) => new tg.Adamax(ps, { lr: (k: number) => 0.05 * 0.9 ** k })],
  ['nadam_sched', (ps) => new tg.Nadam(ps, { lr: (k: number) => 0.05 * 0.9 ** k })],
  ['nadam', (ps) => new tg.Nadam(ps)],
];

/** 20 steps; with `reload`, the state after 10 goes through getState/setState into a new optimizer. */
function run(make: Make, reload: boolean): number[] {
  const o64 = { dtype: 'float64' as const };
  const X = tg.tensor([0.5, -1, 0.25, 1.5, 0.3, -0.7, -0.2, 0.8, 1.1, 0.9, -0.4, 0.6], [4, 3], o64);
  const Y = tg.tensor([1, -0.5, 0.3, 2, -1, 0.4, 0.7, 0.1], [4, 2], o64);
  const W = tg.tensor([0.5, -0.3, 0.8, -0.2, 0.1, 0.4], [2, 3], { ...o64, requiresGrad: true });
  const b = tg.tensor([0.1, -0.1], [2], { ...o64, requiresGrad: true });
  let opt = make([W, b]);
  for (let s = 0; s < 20; s++) {
    if (reload && s === 10) {
      const saved = opt.getState();
      opt = make([W, b]);
      opt.setState(saved);
    }
    opt.zeroGrad();
    F.mseLoss(F.linear(X, W, b), Y).backward();
    opt.step();
  }
  return [...W.data, ...b.data];
}

describe('Adadelta, Adamax, Nadam: 20 steps against torch.optim (float64)', () => {
  for (const [name, make] of CASES)
    for (const reload of [false, true])
      it(`${name}${reload ? ', state saved and loaded after 10 steps' : ''}`, () => {
        const got = run(make, reload);
        TORCH[name].forEach((w, i) =>
          expect(Math.abs(got[i] - w), `[${i}]: got ${got[i]}, torch ${w}`).toBeLessThanOrEqual(
            1e-12 + 1e-10 * Math.abs(w),
          ),
        );
      });
});
