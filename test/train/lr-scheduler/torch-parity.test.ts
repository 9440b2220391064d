// Every tg.optim.lrScheduler class against PyTorch 1.13: the get_last_lr() sequence (and the cycled momentum /
// beta1) after construction and after each step, for the cases in test/fixtures/lr-scheduler/expected.json,
// written by test/fixtures/lr-scheduler/gen.py with /usr/bin/python3 (torch 1.13). The torch kwargs are mapped
// to tapegrad's camelCase names here, so the naming (T_max → tMax, T_0 → t0, ...) is checked too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import type { LRScheduler } from '../../../src/train/lr-scheduler/index.js';

const LR = tg.optim.lrScheduler;

interface Spec {
  cls: string;
  kwargs?: Record<string, unknown>;
  children?: Spec[];
  milestones?: number[];
}
interface Case {
  name: string;
  optimizer: { type: string; lr: number; momentum?: number; beta1?: number };
  scheduler: Spec;
  steps: number;
  before?: { scheduler: Spec; steps: number }[];
  epochs?: number[];
  metrics?: number[];
  momentum?: boolean;
  lrs: number[];
  momentums?: number[];
}

const expected = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/lr-scheduler/expected.json'), 'utf8'),
) as { torch: string; cases: Case[] };

// the named functions of gen.py
const FNS: Record<string, (x: number) => number> = {
  pow95: (e) => 0.95 ** e,
  inv: (e) => 1 / (e + 1),
  const09: () => 0.9,
  hyper: (x) => 1 / (1 + 0.1 * x),
};

/** torch kwarg → tapegrad option: snake_case → camelCase, first letter lower (T_max → tMax, T_0 → t0). */
const camel = (k: string) => {
  const c = k.replace(/_([a-zA-Z0-9])/g, (_, ch: string) => ch.toUpperCase());
  return c[0].toLowerCase() + c.slice(1);
};

function makeOpt(o: Case['optimizer']): tg.Optimizer {
  const p = tg.tensor([0], [1], { dtype: 'float64' });
  const { type, ...rest } = o;
  const cls = (tg.optim as unknown as Record<string, new (p: tg.Tensor[], o: object) => tg.Optimizer>)[type];
  return new cls([p], rest);
}

type Sched = { step(x?: number): void; getLastLr(): number[] };
function makeSched(opt: tg.Optimizer, s: Spec): Sched {
  if (s.cls === 'SequentialLR')
    return new LR.SequentialLR(opt, {
      schedulers: s.children!.map((c) => makeSched(opt, c) as LRScheduler),
      milestones: s.milestones!,
    });
  if (s.cls === 'ChainedScheduler')
    return new LR.ChainedScheduler(s.children!.map((c) => makeSched(opt, c) as LRScheduler));
  const opts = Object.fromEntries(
    Object.entries(s.kwargs ?? {}).map(([k, v]) => [
      camel(k),
      typeof v === 'string' && v.startsWith('fn:') ? FNS[v.slice(3)] : v,
    ]),
  );
  const cls = (LR as unknown as Record<string, new (o: tg.Optimizer, x: object) => Sched>)[s.cls];
  return new cls(opt, opts);
}

const hp = (opt: tg.Optimizer) => opt.rule.hp as unknown as Record<string, number>;

/** |a - b| ≤ 1e-12 · max(|a|, |b|), or both below 1e-15 (a rate torch makes exactly 0 at a cosine minimum). */
function expectSeq(got: number[], want: number[], what: string) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i];
    const ok =
      Math.abs(g - w) <= 1e-12 * Math.max(Math.abs(g), Math.abs(w)) ||
      Math.max(Math.abs(g), Math.abs(w)) < 1e-15;
    if (!ok) expect.fail(`${what}[${i}]: got ${g}, PyTorch ${w}`);
  });
}

describe(`lr schedulers match PyTorch ${expected.torch}`, () => {
  it('the fixture covers every scheduler class', () => {
    const used = new Set<string>();
    const walk = (s: Spec) => {
      used.add(s.cls);
      s.children?.forEach(walk);
    };
    expected.cases.forEach((c) => walk(c.scheduler));
    const classes = Object.keys(LR).filter((k) => k !== 'LRScheduler' && k !== 'SchedulerBase');
    expect(classes.filter((k) => !used.has(k))).toEqual([]);
  });

  for (const c of expected.cases)
    it(c.name, () => {
      const opt = makeOpt(c.optimizer);
      for (const b of c.before ?? []) {
        const s0 = makeSched(opt, b.scheduler);
        for (let i = 0; i < b.steps; i++) s0.step();
      }
      const s = makeSched(opt, c.scheduler);
      const mKey = c.optimizer.type === 'Adam' ? 'beta1' : 'momentum';
      const lrs = [s.getLastLr()[0]];
      const moms = [hp(opt)[mKey]];
      const after = () => {
        expect(s.getLastLr()).toHaveLength(1);
        lrs.push(s.getLastLr()[0]);
        moms.push(hp(opt)[mKey]);
        // the optimizer's rate is the scheduler's last rate
        expect(opt.learningRate).toBe(s.getLastLr()[0]);
      };
      if (c.epochs)
        for (const e of c.epochs) {
          s.step(e);
          after();
        }
      else if (c.metrics)
        for (const m of c.metrics) {
          s.step(m);
          after();
        }
      else
        for (let i = 0; i < c.steps; i++) {
          s.step();
          after();
        }
      expectSeq(lrs, c.lrs, 'lr');
      if (c.momentum) expectSeq(moms, c.momentums!, mKey);
    });
});
