// The multi-tensor update (src/train/optim/multi-tensor.ts): an elementwise rule run once over every parameter laid
// end to end must give the per-parameter update's numbers bit for bit — parameters and state, step after step,
// across getState / setState and steps over a subset — and name the right parameter when an update is not finite.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import type { UpdateRule } from '../../src/train/optim/rule.js';
import { adagradRule } from '../../src/train/optim/adagrad.js';
import { adamRule } from '../../src/train/optim/adam.js';
import { rmspropRule } from '../../src/train/optim/rmsprop.js';
import { sgdRule } from '../../src/train/optim/sgd.js';
import { prng } from '../support/check.js';

const SHAPES = [[3, 3, 2, 4], [4], [], [5, 7], [1]];
const NAMES = ['kernel', 'bias', 'scale', 'dense', 'gain'];

const RULES: [string, () => UpdateRule][] = [
  ['sgd', () => sgdRule({ lr: 0.1 })],
  [
    'sgd momentum, dampening, weight decay',
    () => sgdRule({ lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
  ],
  ['sgd nesterov, keras', () => sgdRule({ lr: 0.05, momentum: 0.8, nesterov: true, convention: 'keras' })],
  ['adam', () => adamRule({ lr: 0.01 }, false)],
  ['adam amsgrad, keras', () => adamRule({ lr: 0.01, amsgrad: true, convention: 'keras' }, false)],
  ['adamw', () => adamRule({ lr: 0.01, weightDecay: 0.05 }, true)],
  ['rmsprop centered, momentum', () => rmspropRule({ lr: 0.01, centered: true, momentum: 0.5 })],
  ['rmsprop keras', () => rmspropRule({ lr: 0.01, convention: 'keras' })],
  ['adagrad', () => adagradRule({ lr: 0.1, lrDecay: 0.01 })],
  ['adadelta', () => tg.adadeltaRule({ lr: 0.5, weightDecay: 0.01 })],
  ['adadelta keras', () => tg.adadeltaRule({ lr: 0.5, convention: 'keras' })],
  ['adamax', () => tg.adamaxRule({ lr: 0.01, epsilon: 1e-3 })],
  ['adamax tfjs with decay', () => tg.adamaxRule({ lr: 0.01, lrDecay: 0.1, convention: 'tfjs' })],
  ['nadam', () => tg.nadamRule({ lr: 0.01, momentumDecay: 0.2 })],
  ['nadam keras', () => tg.nadamRule({ lr: 0.01, convention: 'keras' })],
];

function params(dtype: tg.DType, seed: number): tg.Tensor[] {
  const r = prng(seed);
  return SHAPES.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    const t = tg.tensor(
      Array.from({ length: n }, () => r() * 2 - 1),
      s,
      { dtype },
    );
    t.name = NAMES[i];
    return t;
  });
}

function grads(dtype: tg.DType, seed: number): tg.Tensor[] {
  return params(dtype, seed);
}

/** The same optimizer twice: the rule as it is (multi-tensor) and the rule without its elementwise flag. */
function pair(make: () => UpdateRule, dtype: tg.DType) {
  const flatPs = params(dtype, 1);
  const perPs = params(dtype, 1);
  const flat = new tg.Optimizer(make(), flatPs);
  const per = new tg.Optimizer({ ...make(), elementwise: false }, perPs);
  return { flat, per, flatPs, perPs };
}

const values = (ps: tg.Tensor[]) => ps.map((p) => Array.from(p.data));

describe('multi-tensor optimizer update', () => {
  for (const dtype of ['float32', 'float64'] as const)
    for (const [name, make] of RULES)
      it(`${name} (${dtype}): the same parameters and state bit for bit as one parameter at a time`, () => {
        expect(make().elementwise, 'the rule takes the multi-tensor path').toBe(true);
        const { flat, per, flatPs, perPs } = pair(make, dtype);
        for (let step = 0; step < 6; step++) {
          const gs = grads(dtype, 100 + step);
          flat.applyGradients(gs.map((g, i) => [g, flatPs[i]] as const));
          per.applyGradients(gs.map((g, i) => [g, perPs[i]] as const));
          expect(values(flatPs)).toEqual(values(perPs));
          if (step === 2) {
            // a checkpoint in the middle: the flat state written back, then laid end to end again
            const a = flat.getState();
            const b = per.getState();
            expect(Object.keys(a)).toEqual(Object.keys(b));
            for (const k of Object.keys(a)) expect(Array.from(a[k].data)).toEqual(Array.from(b[k].data));
            for (const k of Object.keys(a)) expect(a[k].shape).toEqual(b[k].shape);
          }
          if (step === 4) flat.setState(per.getState()); // the same state, loaded: nothing may change
          if (step === 3) {
            // rebinding the same parameters keeps their state (written back from the flat state first)
            flat.setParameters(flatPs.map((t, i) => [NAMES[i], t] as const));
            per.setParameters(perPs.map((t, i) => [NAMES[i], t] as const));
          }
        }
        const a = flat.getState();
        const b = per.getState();
        for (const k of Object.keys(b)) expect(Array.from(a[k].data)).toEqual(Array.from(b[k].data));
        expect(values(flatPs)[0], 'the parameters moved').not.toEqual(values(params(dtype, 1))[0]);
      });

  it('runs one update over all parameters (one difference for plain SGD), not one per parameter', () => {
    const { flat, per, flatPs, perPs } = pair(() => sgdRule({ lr: 0.1 }), 'float32');
    const gs = grads('float32', 7);
    const subs = (opt: tg.Optimizer, ps: tg.Tensor[]) =>
      tg
        .trace(() => opt.applyGradients(gs.map((g, i) => [g, ps[i]] as const)))
        .rows.filter((r) => r.op === 'sub').length;
    expect(subs(flat, flatPs)).toBe(1);
    expect(subs(per, perPs)).toBe(SHAPES.length);
  });

  it('a step over a subset of the parameters (one has no gradient) updates the others as one at a time does', () => {
    const { flat, per, flatPs, perPs } = pair(() => adamRule({ lr: 0.01 }, false), 'float32');
    for (let step = 0; step < 5; step++) {
      const gs = grads('float32', 200 + step);
      const skip = step === 2 ? 1 : -1; // the bias gets no gradient at step 2
      for (const [opt, ps] of [
        [flat, flatPs],
        [per, perPs],
      ] as const) {
        ps.forEach((p, i) => {
          p.requireGrad();
          p.grad = i === skip ? null : gs[i];
        });
        opt.step();
      }
      expect(values(flatPs)).toEqual(values(perPs));
    }
  });

  it('a non-finite update names its parameter and index, and changes no parameter and no state', () => {
    const { flat, per, flatPs, perPs } = pair(() => sgdRule({ lr: 0.1, momentum: 0.9 }), 'float32');
    const ok = grads('float32', 300);
    flat.applyGradients(ok.map((g, i) => [g, flatPs[i]] as const));
    per.applyGradients(ok.map((g, i) => [g, perPs[i]] as const));
    const before = values(flatPs);
    const bad = grads('float32', 301);
    const d = bad[3].data;
    d[9] = Number.NaN;
    bad[3] = tg.tensor(d, bad[3].shape);
    expect(() => flat.applyGradients(bad.map((g, i) => [g, flatPs[i]] as const))).toThrow(
      /sgd: update 2 would make parameter 'dense' non-finite at index 9/,
    );
    expect(values(flatPs)).toEqual(before);
    const next = grads('float32', 302);
    flat.applyGradients(next.map((g, i) => [g, flatPs[i]] as const));
    per.applyGradients(next.map((g, i) => [g, perPs[i]] as const));
    expect(values(flatPs)).toEqual(values(perPs));
  });

  it('parameters of two dtypes are updated one at a time (no flat tensor mixes them)', () => {
    const ps = [...params('float32', 1).slice(0, 2), ...params('float64', 2).slice(2)];
    const ref = [...params('float32', 1).slice(0, 2), ...params('float64', 2).slice(2)];
    const opt = new tg.Optimizer(adamRule({ lr: 0.01 }, false), ps);
    const refOpt = new tg.Optimizer({ ...adamRule({ lr: 0.01 }, false), elementwise: false }, ref);
    const gs = ps.map((p, i) => tg.tensor(grads(p.dtype, 400)[i].data, p.shape, { dtype: p.dtype }));
    opt.applyGradients(gs.map((g, i) => [g, ps[i]] as const));
    refOpt.applyGradients(gs.map((g, i) => [g, ref[i]] as const));
    expect(values(ps)).toEqual(values(ref));
  });
});
