// tg.optim.lrScheduler beyond the rate sequences: the optimizer really updates with the scheduled rate (and the
// cycled momentum / beta1) — parameter trajectories against PyTorch 1.13 from test/fixtures/lr-scheduler/gen.py —
// state-dict round trips through JSON, the tg.optim namespace, and the errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const LR = tg.optim.lrScheduler;
type Sched = tg.optim.lrScheduler.SchedulerBase & { step(x?: number): void };

interface Traj {
  name: string;
  optimizer: { type: string; lr: number; momentum?: number };
  scheduler: { cls: string; kwargs: Record<string, number> };
  steps: number;
  params: number[];
}
const { trajectories } = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/lr-scheduler/expected.json'), 'utf8'),
) as { trajectories: Traj[] };

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const p64 = (v = 1) => tg.tensor([v], [1], { dtype: 'float64' });
const sgd = (lr = 0.1, o: object = {}) => new tg.optim.SGD([p64()], { lr, ...o });

describe('the optimizer steps with the scheduled rate (parameter trajectories vs PyTorch 1.13)', () => {
  for (const t of trajectories)
    it(t.name, () => {
      const p = p64(1);
      const { type, ...o } = t.optimizer;
      const Opt = (tg.optim as unknown as Record<string, new (p: tg.Tensor[], o: object) => tg.Optimizer>)[
        type
      ];
      const opt = new Opt([p], o);
      const kw = Object.fromEntries(Object.entries(t.scheduler.kwargs).map(([k, v]) => [camel(k), v]));
      const Cls = (LR as unknown as Record<string, new (o: tg.Optimizer, x: object) => Sched>)[
        t.scheduler.cls
      ];
      const s = new Cls(opt, kw);
      const got: number[] = [];
      for (let i = 0; i < t.steps; i++) {
        p.grad = p64(p.item()); // d(½p²)/dp = p
        opt.step();
        s.step();
        got.push(p.item());
      }
      got.forEach((g, i) =>
        expect(Math.abs(g - t.params[i])).toBeLessThanOrEqual(1e-12 * Math.abs(t.params[i])),
      );
    });

  it('a one-parameter SGD update moves by exactly the rate getLastLr() reported', () => {
    const p = p64(0);
    const opt = new tg.optim.SGD([p], { lr: 0.1 });
    const s = new LR.ExponentialLR(opt, { gamma: 0.5 });
    for (let i = 0; i < 4; i++) {
      const before = p.item();
      const lr = s.getLastLr()[0];
      p.grad = p64(1);
      opt.step();
      expect(before - p.item()).toBeCloseTo(lr, 15);
      s.step();
    }
    expect(s.getLastLr()).toEqual([0.1 * 0.5 ** 4]);
  });
});

/** Run `make` twice: one scheduler steps `k` times, its JSON state goes into the other, both step `n` more. */
function roundTrip(
  make: (opt: tg.Optimizer) => Sched,
  k: number,
  n: number,
  stepArg?: (i: number) => number,
) {
  const optA = sgd(0.1, { momentum: 0.9 });
  const a = make(optA);
  for (let i = 0; i < k; i++) a.step(stepArg?.(i));
  const json = JSON.stringify(a.stateDict());
  const optB = sgd(0.1, { momentum: 0.9 });
  const b = make(optB);
  b.loadStateDict(JSON.parse(json) as tg.optim.lrScheduler.StateDict);
  optB.learningRate = optA.learningRate;
  expect(b.getLastLr()).toEqual(a.getLastLr());
  expect(b.stateDict()).toEqual(a.stateDict());
  for (let i = 0; i < n; i++) {
    a.step(stepArg?.(k + i));
    b.step(stepArg?.(k + i));
    expect(b.getLastLr()).toEqual(a.getLastLr());
  }
}

describe('stateDict / loadStateDict round trip through JSON', () => {
  it('StepLR', () => roundTrip((o) => new LR.StepLR(o, { stepSize: 3, gamma: 0.5 }), 4, 8));
  it('MultiStepLR', () => roundTrip((o) => new LR.MultiStepLR(o, { milestones: [2, 6] }), 3, 6));
  it('CosineAnnealingLR', () => roundTrip((o) => new LR.CosineAnnealingLR(o, { tMax: 5 }), 7, 10));
  it('CosineAnnealingWarmRestarts with fractional epochs', () =>
    roundTrip(
      (o) => new LR.CosineAnnealingWarmRestarts(o, { t0: 2, tMult: 2 }),
      5,
      6,
      (i) => i * 0.7,
    ));
  it('OneCycleLR', () => roundTrip((o) => new LR.OneCycleLR(o, { maxLr: 1, totalSteps: 20 }), 7, 10));
  it('CyclicLR', () =>
    roundTrip((o) => new LR.CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 }), 5, 9));
  it('SequentialLR', () =>
    roundTrip(
      (o) =>
        new LR.SequentialLR(o, {
          schedulers: [new LR.LinearLR(o, { totalIters: 3 }), new LR.ExponentialLR(o, { gamma: 0.8 })],
          milestones: [3],
        }),
      2,
      6,
    ));
  it('ChainedScheduler', () =>
    roundTrip(
      (o) =>
        new LR.ChainedScheduler([
          new LR.ConstantLR(o, { totalIters: 3 }),
          new LR.ExponentialLR(o, { gamma: 0.8 }),
        ]),
      2,
      5,
    ));
  it('ReduceLROnPlateau, before its first step (best = Infinity) and after', () => {
    const m = [1, 1, 1, 0.5, 0.6, 0.6, 0.6, 0.6];
    roundTrip(
      (o) => new LR.ReduceLROnPlateau(o, { patience: 1 }) as unknown as Sched,
      0,
      4,
      (i) => m[i],
    );
    roundTrip(
      (o) => new LR.ReduceLROnPlateau(o, { patience: 1 }) as unknown as Sched,
      3,
      5,
      (i) => m[i],
    );
    const s = new LR.ReduceLROnPlateau(sgd(), {});
    expect(JSON.parse(JSON.stringify(s.stateDict())).best).toBe('Infinity');
  });
  it('refuses unknown, missing and mistyped keys by name', () => {
    const s = new LR.StepLR(sgd(), { stepSize: 2 });
    const st = s.stateDict();
    expect(() => s.loadStateDict({ ...st, bogus: 1 })).toThrow(/StepLR\.loadStateDict: unknown keys bogus/);
    const { gamma: _g, ...noGamma } = st;
    expect(() => s.loadStateDict(noGamma)).toThrow("StepLR.loadStateDict: missing key 'gamma'");
    expect(() => s.loadStateDict({ ...st, lastEpoch: 'x' })).toThrow(/'lastEpoch' must be a number/);
  });
});

describe('tg.optim namespace', () => {
  it('holds the optimizer classes and lrScheduler / lr_scheduler (the same object)', () => {
    expect(tg.optim.Adam).toBe(tg.Adam);
    expect(tg.optim.NAdam).toBe(tg.Nadam);
    expect(tg.optim.SGD).toBe(tg.SGD);
    expect(tg.optim.lr_scheduler).toBe(tg.optim.lrScheduler);
    expect(new tg.optim.AdamW([p64()], { lr: 0.01 })).toBeInstanceOf(tg.Optimizer);
  });
  it('the PyTorch-style ReduceLROnPlateau is not the Keras-style tg.ReduceLROnPlateau', () => {
    expect(LR.ReduceLROnPlateau).not.toBe(tg.ReduceLROnPlateau);
  });
  it('constructing a scheduler sets the optimizer rate to the first scheduled value', () => {
    const opt = sgd(0.3);
    new LR.LinearLR(opt, { startFactor: 0.5 });
    expect(opt.learningRate).toBe(0.15);
    const opt2 = sgd(0.3);
    new LR.OneCycleLR(opt2, { maxLr: 1, totalSteps: 10, cycleMomentum: false });
    expect(opt2.learningRate).toBeCloseTo(1 / 25, 15);
  });
});

describe('every scheduler refuses an unknown option by name', () => {
  const X = { bogusOption: 1 };
  const m = () => sgd(0.1, { momentum: 0.9 });
  const calls: Record<string, () => unknown> = {
    StepLR: () => new LR.StepLR(m(), { stepSize: 2, ...X } as never),
    MultiStepLR: () => new LR.MultiStepLR(m(), { milestones: [1], ...X } as never),
    ConstantLR: () => new LR.ConstantLR(m(), X as never),
    LinearLR: () => new LR.LinearLR(m(), X as never),
    ExponentialLR: () => new LR.ExponentialLR(m(), { gamma: 0.9, ...X } as never),
    PolynomialLR: () => new LR.PolynomialLR(m(), X as never),
    CosineAnnealingLR: () => new LR.CosineAnnealingLR(m(), { tMax: 3, ...X } as never),
    CosineAnnealingWarmRestarts: () => new LR.CosineAnnealingWarmRestarts(m(), { t0: 3, ...X } as never),
    LambdaLR: () => new LR.LambdaLR(m(), { lrLambda: () => 1, ...X } as never),
    MultiplicativeLR: () => new LR.MultiplicativeLR(m(), { lrLambda: () => 1, ...X } as never),
    OneCycleLR: () => new LR.OneCycleLR(m(), { maxLr: 1, totalSteps: 5, ...X } as never),
    CyclicLR: () => new LR.CyclicLR(m(), { baseLr: 0.1, maxLr: 1, ...X } as never),
    SequentialLR: () => {
      const o = m();
      return new LR.SequentialLR(o, {
        schedulers: [new LR.StepLR(o, { stepSize: 1 })],
        milestones: [],
        ...X,
      } as never);
    },
    'lrScheduler.ReduceLROnPlateau': () => new LR.ReduceLROnPlateau(m(), X as never),
  };
  it('the list covers every class that takes options', () => {
    const all = Object.keys(LR).filter(
      (k) => !['LRScheduler', 'SchedulerBase', 'ChainedScheduler'].includes(k),
    );
    expect(all.filter((k) => !(k in calls) && !(`lrScheduler.${k}` in calls))).toEqual([]);
  });
  for (const [name, call] of Object.entries(calls))
    it(name, () =>
      expect(call).toThrow(
        new RegExp(`^${name.replace('.', '\\.')}: unknown option 'bogusOption' \\(known: `),
      ),
    );
});

describe('errors', () => {
  it('unknown options are refused by name', () => {
    expect(() => new LR.StepLR(sgd(), { stepSize: 2, step_size: 3 } as never)).toThrow(
      /^StepLR: unknown option 'step_size' \(known: stepSize, gamma, lastEpoch\)/,
    );
    expect(() => new LR.ReduceLROnPlateau(sgd(), { minDelta: 1 } as never)).toThrow(
      /lrScheduler\.ReduceLROnPlateau: unknown option 'minDelta'/,
    );
  });
  it('an optimizer whose lr is a schedule or a function is refused', () => {
    const sched = new tg.optim.SGD([p64()], {
      lr: tg.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.9 }),
    });
    expect(() => new LR.StepLR(sched, { stepSize: 2 })).toThrow(
      /StepLR: the optimizer's learning rate is a schedule object, not a number/,
    );
    const fn = new tg.optim.SGD([p64()], { lr: () => 0.1 });
    expect(() => new LR.CyclicLR(fn, { baseLr: 0.1, maxLr: 1, cycleMomentum: false })).toThrow(
      /CyclicLR: the optimizer's learning rate is a function/,
    );
  });
  it('cycleMomentum needs a momentum (or, for OneCycleLR, beta1) hyperparameter', () => {
    const ada = new tg.optim.Adagrad([p64()], { lr: 0.1 });
    expect(() => new LR.OneCycleLR(ada, { maxLr: 1, totalSteps: 10 })).toThrow(
      /OneCycleLR: cycleMomentum is true but the optimizer \(adagrad\) has no momentum .* or beta1 .*; pass cycleMomentum: false/,
    );
    const adam = new tg.optim.Adam([p64()], { lr: 0.1 });
    expect(() => new LR.CyclicLR(adam, { baseLr: 0.1, maxLr: 1 })).toThrow(
      /CyclicLR: cycleMomentum is true but the optimizer \(adam\)/,
    );
    expect(() => new LR.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10 })).toThrow(
      /momentum > 0 .*pass cycleMomentum: false/,
    );
    expect(
      () => new LR.OneCycleLR(ada, { maxLr: 1, totalSteps: 10, cycleMomentum: false, baseMomentum: 0.8 }),
    ).toThrow(/baseMomentum and maxMomentum are used only with cycleMomentum: true/);
  });
  it('OneCycleLR refuses to step past totalSteps, and a rate below 0', () => {
    const s = new LR.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 3, cycleMomentum: false });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(
      'OneCycleLR: tried to step 5 times; the specified number of total steps is 3',
    );
    const lin = new LR.OneCycleLR(sgd(), {
      maxLr: 0.5,
      totalSteps: 30,
      pctStart: 0.25,
      annealStrategy: 'linear',
      cycleMomentum: false,
    });
    for (let i = 0; i < 29; i++) lin.step();
    expect(() => lin.step()).toThrow(/OneCycleLR: step to epoch 30 gives the learning rate -0\.02.*≥ 0/);
  });
  it('resuming (lastEpoch ≥ 0) on an optimizer no scheduler has run on is refused', () => {
    expect(() => new LR.StepLR(sgd(), { stepSize: 2, lastEpoch: 3 })).toThrow(
      /StepLR: lastEpoch 3 resumes a schedule, but no scheduler has set this optimizer's initial_lr/,
    );
  });
  it('bad values, composites and the first argument', () => {
    expect(() => new LR.StepLR(sgd(), { stepSize: 0 })).toThrow(
      'StepLR: stepSize must be an integer ≥ 1, got 0',
    );
    expect(() => new LR.StepLR({} as never, { stepSize: 1 })).toThrow(
      /StepLR: the first argument must be an optimizer/,
    );
    expect(() => new LR.CyclicLR(sgd(0.1, { momentum: 0.9 }), { baseLr: 0.1, maxLr: 1, gamma: 0.9 })).toThrow(
      "CyclicLR: gamma is used only with mode 'exp_range' (mode is 'triangular')",
    );
    const o = sgd();
    const a = new LR.StepLR(o, { stepSize: 2 });
    expect(() => new LR.SequentialLR(o, { schedulers: [a], milestones: [3] })).toThrow(
      /SequentialLR: expected 0 milestones/,
    );
    const other = new LR.StepLR(sgd(), { stepSize: 2 });
    expect(() => new LR.ChainedScheduler([a, other])).toThrow(
      /ChainedScheduler: schedulers\[1\] belongs to another optimizer/,
    );
    const plateau = new LR.ReduceLROnPlateau(o);
    expect(() => new LR.ChainedScheduler([a, plateau as never])).toThrow(
      /schedulers\[1\] must be a chainable scheduler .*got lrScheduler\.ReduceLROnPlateau/,
    );
    expect(() => new LR.CosineAnnealingWarmRestarts(o, { t0: 2 }).step(-1)).toThrow(
      'CosineAnnealingWarmRestarts: step(epoch): epoch must be a number ≥ 0, got -1',
    );
    const later = new LR.ExponentialLR(o, { gamma: 0.5 });
    o.learningRate = () => 0.1;
    expect(() => later.step()).toThrow(/ExponentialLR: the optimizer's learning rate is a function/);
    o.learningRate = 0.1;
    expect(() => new LR.LambdaLR(o, { lrLambda: () => NaN }).step()).toThrow(
      /LambdaLR: lrLambda\(0\) returned NaN/,
    );
  });
});
