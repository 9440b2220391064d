// Adadelta, Adamax and Nadam declare `elementwise`: the multi-tensor update (all parameters laid end to end) must
// give the per-parameter update's parameters and state bit for bit (as test/train/multi-tensor.test.ts checks for
// the older rules).
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { prng } from '../../support/check.js';

const SHAPES = [[3, 2], [4], [], [2, 5]];

function tensors(dtype: tg.DType, seed: number): tg.Tensor[] {
  const r = prng(seed);
  return SHAPES.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    const t = tg.tensor(
      Array.from({ length: n }, () => r() * 2 - 1),
      s,
      { dtype },
    );
    t.name = `p${i}`;
    return t;
  });
}

const RULES: [string, () => tg.UpdateRule][] = [
  ['adadelta', () => tg.adadeltaRule({ lr: 0.5, weightDecay: 0.01 })],
  ['adadelta keras', () => tg.adadeltaRule({ lr: 0.5, convention: 'keras' })],
  ['adamax', () => tg.adamaxRule({ lr: 0.01, epsilon: 1e-3 })],
  ['adamax tfjs with decay', () => tg.adamaxRule({ lr: 0.01, lrDecay: 0.1, convention: 'tfjs' })],
  ['nadam', () => tg.nadamRule({ lr: 0.01, momentumDecay: 0.2 })],
  ['nadam keras', () => tg.nadamRule({ lr: 0.01, convention: 'keras' })],
];

describe('new rules: multi-tensor update equals one parameter at a time', () => {
  for (const dtype of ['float32', 'float64'] as const)
    for (const [name, make] of RULES)
      it(`${name} (${dtype})`, () => {
        const rule = make();
        expect(rule.elementwise).toBe(true);
        const flatPs = tensors(dtype, 1);
        const perPs = tensors(dtype, 1);
        const flat = new tg.Optimizer(rule, flatPs);
        const per = new tg.Optimizer({ ...make(), elementwise: false }, perPs);
        for (let step = 0; step < 5; step++) {
          const gs = tensors(dtype, 100 + step);
          flat.applyGradients(gs.map((g, i) => [g, flatPs[i]] as const));
          per.applyGradients(gs.map((g, i) => [g, perPs[i]] as const));
          expect(flatPs.map((p) => Array.from(p.data))).toEqual(perPs.map((p) => Array.from(p.data)));
        }
        const a = flat.getState();
        const b = per.getState();
        expect(Object.keys(a)).toEqual(Object.keys(b));
        for (const k of Object.keys(a)) expect(Array.from(a[k].data), k).toEqual(Array.from(b[k].data));
        // and the parameters moved
        expect(Array.from(flatPs[0].data)).not.toEqual(Array.from(tensors(dtype, 1)[0].data));
      });
});
