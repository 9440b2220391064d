// Gradient clipping helpers vs hand math, and learning-rate schedules vs their defining formulas.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, normal } from '../support/check.js';

const t64 = (v: ArrayLike<number>, shape?: number[]) =>
  tg.tensor(Array.from(v), shape ?? [v.length], { dtype: 'float64' });

describe('clipping', () => {
  const parts = [normal(5, 1), normal(3, 2), normal(4, 3)];
  const manualNorm = Math.sqrt(parts.reduce((s, p) => s + p.reduce((a, v) => a + v * v, 0), 0));

  it('globalNorm and clipByGlobalNorm match √Σ‖t‖² and t·c/max(G, c)', () => {
    const ts = parts.map((p) => t64(p));
    expect(tg.globalNorm(ts)).toBeCloseTo(manualNorm, 12);
    const c = manualNorm / 3;
    const [clipped, g] = tg.clipByGlobalNorm(ts, c);
    expect(g).toBeCloseTo(manualNorm, 12);
    clipped.forEach((t, i) =>
      expectClose(
        t.data,
        Array.from(parts[i], (v) => (v * c) / manualNorm),
      ),
    );
    expect(tg.globalNorm(clipped)).toBeCloseTo(c, 10);
    // under the threshold nothing changes
    const [same] = tg.clipByGlobalNorm(ts, manualNorm * 2);
    same.forEach((t, i) => expectClose(t.data, parts[i]));
  });

  it('clipByNorm clips one tensor to the threshold', () => {
    const t = t64([3, 4]);
    expectClose(tg.clipByNorm(t, 1).data, [0.6, 0.8]);
    expectClose(tg.clipByNorm(t, 10).data, [3, 4]);
  });

  it('clipGradNorm (PyTorch) scales every .grad by maxNorm / (N + 1e-6) and returns N; Infinity norm too', () => {
    const ps = parts.map((p) => {
      const x = t64(p.map(() => 0));
      x.grad = t64(p);
      return x;
    });
    const total = tg.clipGradNorm(ps, 1);
    expect(total).toBeCloseTo(manualNorm, 12);
    ps.forEach((p, i) =>
      expectClose(
        p.grad!.data,
        Array.from(parts[i], (v) => (v * 1) / (manualNorm + 1e-6)),
      ),
    );
    const q = t64([0, 0]);
    q.grad = t64([-5, 2]);
    expect(tg.clipGradNorm([q], 2.5, Infinity)).toBe(5);
    expectClose(q.grad.data, [-5 * (2.5 / (5 + 1e-6)), 2 * (2.5 / (5 + 1e-6))]);
  });

  it('clipGradValue clamps every .grad', () => {
    const p = t64([0, 0, 0]);
    p.grad = t64([-3, 0.5, 9]);
    tg.clipGradValue([p], 1);
    expectClose(p.grad.data, [-1, 0.5, 1]);
  });

  it('non-finite norms and bad thresholds are errors, not silent NaNs', () => {
    expect(() => tg.clipByGlobalNorm([t64([1, NaN])], 1)).toThrow(tg.NumericsError);
    expect(() => tg.clipByNorm(t64([Infinity]), 1)).toThrow(tg.NumericsError);
    const p = t64([0]);
    p.grad = t64([NaN]);
    expect(() => tg.clipGradNorm([p], 1)).toThrow(/NaN or Inf/);
    expect(() => tg.clipByNorm(t64([1]), 0)).toThrow(tg.ValueError);
  });

  it('clipping works in float32 and keeps the dtype', () => {
    const [c] = tg.clipByGlobalNorm([tg.tensor([3, 4])], 1);
    expect(c[0].dtype).toBe('float32');
    expectClose(c[0].data, [0.6, 0.8], { rtol: 1e-6, atol: 1e-7 });
  });
});

describe('schedules', () => {
  it('exponentialDecay: lr·r^(t/T), floored exponent when staircase', () => {
    const s = tg.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
    expect(s.valueAt(0)).toBe(0.1);
    expect(s.valueAt(5)).toBeCloseTo(0.1 * Math.SQRT1_2, 15);
    expect(s.valueAt(20)).toBeCloseTo(0.025, 15);
    const st = tg.exponentialDecay({
      initialLearningRate: 0.1,
      decaySteps: 10,
      decayRate: 0.5,
      staircase: true,
    });
    expect([st.valueAt(9), st.valueAt(10), st.valueAt(19)]).toEqual([0.1, 0.05, 0.05]);
  });

  it('stepDecay: lr·γ^⌊t/s⌋', () => {
    const s = tg.stepDecay({ initialLearningRate: 1, stepSize: 3, gamma: 0.5 });
    expect([0, 2, 3, 5, 6].map((t) => s.valueAt(t))).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });

  it('cosineDecay: lr at 0, (1+α)/2·lr halfway, α·lr at and after T; linear warmup first', () => {
    const s = tg.cosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 });
    expect(s.valueAt(0)).toBeCloseTo(0.2, 15);
    expect(s.valueAt(50)).toBeCloseTo(0.2 * 0.55, 15);
    expect(s.valueAt(100)).toBeCloseTo(0.02, 15);
    expect(s.valueAt(500)).toBeCloseTo(0.02, 15);
    const w = tg.cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupSteps: 4, warmupTarget: 1 });
    expect([w.valueAt(0), w.valueAt(2), w.valueAt(4)]).toEqual([0, 0.5, 1]);
    expect(w.valueAt(9)).toBeCloseTo(0.5, 15);
  });

  it('linearWarmup ramps to the wrapped schedule, which then starts from its own step 0', () => {
    const after = tg.stepDecay({ initialLearningRate: 1, stepSize: 2, gamma: 0.1 });
    const s = tg.linearWarmup(after, 4, 0.2);
    expect([0, 1, 2, 3].map((t) => s.valueAt(t))).toEqual([0.2, 0.4, 0.6000000000000001, 0.8]);
    expect([4, 5, 6].map((t) => s.valueAt(t))).toEqual([1, 1, 0.1]);
  });

  it('piecewiseConstant follows Keras boundaries (step ≤ boundary stays in the earlier piece)', () => {
    const s = tg.piecewiseConstant([10, 20], [1, 0.5, 0.1]);
    expect([0, 10, 11, 20, 21, 1000].map((t) => s.valueAt(t))).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
    expect(() => tg.piecewiseConstant([10], [1])).toThrow(/one more value/);
    expect(() => tg.piecewiseConstant([10, 5], [1, 2, 3])).toThrow(/increase/);
  });

  it('a schedule returning a non-finite rate is a clear error at the step that uses it', () => {
    const w = tg.tensor([1], [1], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.SGD([w], { lr: (k) => (k < 1 ? 0.1 : NaN) });
    opt.applyGradients([[tg.tensor([1], [1], { dtype: 'float64' }), w]]);
    expect(() => opt.applyGradients([[tg.tensor([1], [1], { dtype: 'float64' }), w]])).toThrow(
      /learning rate at step 1 is NaN/,
    );
  });
});

describe('ReduceLROnPlateau', () => {
  it('reduces after `patience` epochs without an improvement larger than minDelta, honours cooldown and minLr', () => {
    const p = new tg.ReduceLROnPlateau({
      initialLearningRate: 1,
      patience: 2,
      factor: 0.5,
      minDelta: 0.01,
      cooldown: 1,
      minLr: 0.2,
    });
    // epoch: value → wait / lr   (hand-worked with Keras's rule: improvement iff v < best - minDelta)
    const values = [1.0, 0.995, 0.99, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98, 0.98];
    const lrs = values.map((v, e) => {
      p.onEpochEnd(e, { val_loss: v });
      return p.valueAt();
    });
    // e0 best=1; e1 wait1; e2 wait2 → 0.5 (cooldown 1); e3 in cooldown: 0.98 < 0.99 improves, best .98;
    // e4 wait1; e5 wait2 → 0.25 (cooldown 1); e6 the cooldown counter reaches 0 first, so Keras already counts:
    // wait1; e7 wait2 → max(0.125, 0.2) = 0.2; then lr is at minLr and stays.
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]);
  });

  it('max mode for accuracy monitors, and works as an optimizer lr', () => {
    const p = new tg.ReduceLROnPlateau({
      initialLearningRate: 0.1,
      monitor: 'val_acc',
      patience: 1,
      factor: 0.1,
      minDelta: 0,
    });
    expect(p.mode).toBe('max');
    const w = tg.tensor([1], [1], { dtype: 'float64', requiresGrad: true });
    const opt = new tg.SGD([w], { lr: p });
    p.onEpochEnd(0, { val_acc: 0.5 });
    p.onEpochEnd(1, { val_acc: 0.4 });
    expect(opt.learningRate).toBeCloseTo(0.01, 15);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    p.onEpochEnd(2, { loss: 1 });
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/'val_acc' is not in the logs \(available: loss\)/),
    );
    warn.mockRestore();
    expect(() => new tg.ReduceLROnPlateau({ initialLearningRate: 1, factor: 1 })).toThrow(/factor/);
  });
});

describe('schedule and clipping arguments', () => {
  it('cosineDecay without warmupTarget ignores warmupSteps, as Keras (decays from step 0)', () => {
    const s = tg.cosineDecay({ initialLearningRate: 1, decaySteps: 10, warmupSteps: 4 });
    expectClose(
      [0, 2, 4, 9, 14].map((k) => s.valueAt(k)),
      [1, 0.9045084971874737, 0.6545084971874737, 0.024471741852423234, 0],
      { rtol: 1e-12, atol: 1e-15 },
    );
  });

  it('ReduceLROnPlateau refuses an unknown mode by name', () => {
    expect(() => new tg.ReduceLROnPlateau({ initialLearningRate: 1, mode: 'minimize' as never })).toThrow(
      "ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got 'minimize'",
    );
  });

  it('null options are refused by name', () => {
    expect(() => tg.exponentialDecay(null as never)).toThrow(
      /^exponentialDecay: options must be an object \{ initialLearningRate, decaySteps, decayRate, staircase \}, got null$/,
    );
    expect(() => tg.cosineDecay(undefined as never)).toThrow(/^cosineDecay: options must be an object/);
    expect(() => new tg.ReduceLROnPlateau(null as never)).toThrow(
      /^ReduceLROnPlateau: options must be an object/,
    );
  });

  it('clipByNorm and clipByGlobalNorm refuse plain arrays by name', () => {
    expect(() => tg.clipByNorm([1, 2] as never, 1)).toThrow(
      /^clipByNorm: t \(the 1st argument\) is an array, expected a Tensor/,
    );
    expect(() => tg.clipByGlobalNorm([[1, 2]] as never, 1)).toThrow(
      /^clipByGlobalNorm: tensor 0 of the list is an array, expected a Tensor/,
    );
    expect(() => tg.clipByGlobalNorm(t64([1, 2]) as never, 1)).toThrow(
      /^clipByGlobalNorm: expected a list of Tensors, got a Tensor; pass \[t\]/,
    );
  });
});
