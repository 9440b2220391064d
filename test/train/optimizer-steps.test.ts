// Each parameter's own update count (PyTorch's per-parameter state['step']) under the 'pytorch' convention, the
// optimizer's count under 'keras' and 'tfjs'. Expected values: PyTorch 1.13's torch.optim on the same sequences
// (computed once with Debian's python3-torch), and the update rules' closed forms.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

function p1(name: string): tg.Tensor {
  const t = tg.tensor([1], undefined, { requiresGrad: true, dtype: 'float64' });
  t.name = name;
  return t;
}

/** Three steps; `a` has a gradient of 1 on every step, `b` only on `bSteps`. Returns [a, b]. */
function run(opt: tg.Optimizer, a: tg.Tensor, b: tg.Tensor, bSteps: number[], steps = 3): [number, number] {
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    a.grad = tg.tensor([1], undefined, { dtype: 'float64' });
    if (bSteps.includes(s)) b.grad = tg.tensor([1], undefined, { dtype: 'float64' });
    opt.step();
  }
  return [a.data[0], b.data[0]];
}

describe('the step a rule sees', () => {
  it("Adam ('pytorch'): a parameter's first gradient moves it by exactly lr, whenever it comes", () => {
    const a = p1('a');
    const b = p1('b');
    const [va, vb] = run(new tg.Adam([a, b], { lr: 0.1 }), a, b, [2]);
    // torch.optim.Adam: a 0.7000000030000006 (three steps of lr), b 0.900000001 (its bias correction at t = 1)
    expect(va).toBeCloseTo(0.7000000030000006, 9);
    expect(vb).toBeCloseTo(0.900000001, 9);
  });

  it("Adam ('keras'): the optimizer's iterations, as Keras's apply_gradients", () => {
    const a = p1('a');
    const b = p1('b');
    const [, vb] = run(new tg.Adam([a, b], { lr: 0.1, convention: 'keras' }), a, b, [2]);
    // b's only update at iterations = 3: α = lr·√(1-β₂³)/(1-β₁³), m = 0.1, v = 0.001
    const alpha = (0.1 * Math.sqrt(1 - 0.999 ** 3)) / (1 - 0.9 ** 3);
    expect(vb).toBeCloseTo(1 - (alpha * 0.1) / (Math.sqrt(0.001) + 1e-7), 7);
  });

  it('AdamW with skipped gradients matches PyTorch', () => {
    const a = p1('a');
    const b = p1('b');
    const [va, vb] = run(new tg.AdamW([a, b], { lr: 0.1, weightDecay: 0.1 }), a, b, [1, 3], 4);
    // torch.optim.AdamW(lr=0.1, weight_decay=0.1), same gradient sequence
    expect(va).toBeCloseTo(0.5665561139404002, 9);
    expect(vb).toBeCloseTo(0.7811000019900006, 9);
  });

  it("Adagrad's lrDecay counts the parameter's own updates", () => {
    const a = p1('a');
    const b = p1('b');
    const [va, vb] = run(new tg.Adagrad([a, b], { lr: 0.1, lrDecay: 0.5 }), a, b, [0, 2]);
    // torch.optim.Adagrad(lr=0.1, lr_decay=0.5): b's second update uses lr/(1 + 1·0.5), not lr/(1 + 2·0.5)
    expect(va).toBeCloseTo(0.8239920344764157, 9);
    expect(vb).toBeCloseTo(0.8528595479342302, 9);
  });

  it('SGD with dampening starts a late parameter from b = g, as PyTorch', () => {
    const a = p1('a');
    const b = p1('b');
    const [va, vb] = run(new tg.SGD([a, b], { lr: 0.1, momentum: 0.9, dampening: 0.5 }), a, b, [2]);
    // torch.optim.SGD: a 0.584, b 0.9 ((1 - d)·g would give 0.95)
    expect(va).toBeCloseTo(0.584, 9);
    expect(vb).toBeCloseTo(0.9, 9);
  });

  it('a parameter bound later starts its own count; the schedule runs on iterations', () => {
    const a = p1('a');
    const b = p1('b');
    const seen: number[] = [];
    const opt = new tg.Adam([a], { lr: (it: number) => (seen.push(it), 0.1) });
    for (let s = 0; s < 2; s++) {
      opt.zeroGrad();
      a.grad = tg.tensor([1], undefined, { dtype: 'float64' });
      opt.step();
    }
    opt.setParameters([a, b]);
    opt.zeroGrad();
    a.grad = tg.tensor([1], undefined, { dtype: 'float64' });
    b.grad = tg.tensor([1], undefined, { dtype: 'float64' });
    opt.step();
    expect(b.data[0]).toBeCloseTo(0.9, 7);
    expect(a.data[0]).toBeCloseTo(0.7, 7);
    expect(seen.every((it, i) => it === [0, 1, 2, 2][i])).toBe(true);
    const st = opt.getState();
    expect([st['adam/a/step'].item(), st['adam/b/step'].item(), st['adam/iterations'].item()]).toEqual([
      3, 1, 3,
    ]);
  });

  it('per-parameter steps survive getState / setState', () => {
    const mk = () => [p1('a'), p1('b')];
    const [a, b] = mk();
    const opt = new tg.Adam([a, b], { lr: 0.1 });
    run(opt, a, b, [2]);
    const [a2, b2] = mk();
    a2.data.set(a.data);
    b2.data.set(b.data);
    const opt2 = new tg.Adam([a2, b2], { lr: 0.1 });
    opt2.setState(opt.getState());
    run(opt, a, b, [0, 1]);
    run(opt2, a2, b2, [0, 1]);
    expect([a2.data[0], b2.data[0]]).toEqual([a.data[0], b.data[0]]);
  });
});
