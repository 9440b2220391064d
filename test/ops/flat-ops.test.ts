// Piecewise-constant primitives (vjp `flat`: sign, floor, compare, argmax, poolArgmax) are not recorded: their output
// does not require a gradient, so it keeps no graph behind it alive (a PGD loop does not chain its steps).
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { windowGeom } from '../../src/ops/composite/window.js';
import { resetChainWarning } from '../../src/core/grad-chain.js';
import { expectClose } from '../support/check.js';

const t64 = (d: number[], s: number[] = [d.length]) => tg.tensor(Float64Array.from(d), s);

/** Recorded nodes reachable from t through the tape. */
function tapeSize(t: tg.Tensor): number {
  const seen = new Set<tg.Tensor>();
  const stack = [t];
  while (stack.length) {
    const u = stack.pop()!;
    if (seen.has(u) || u.node === null) continue;
    seen.add(u);
    for (const x of u.node.inputs) stack.push(x);
  }
  return seen.size;
}

describe('piecewise-constant ops', () => {
  const x = () => t64([1.5, -2.5, 0.25, 3.75], [2, 2]).requireGrad();
  const cases: [string, (x: tg.Tensor) => tg.Tensor][] = [
    ['sign', (x) => tg.sign(x)],
    ['floor', (x) => tg.floor(x)],
    ['compare', (x) => tg.greater(x, tg.zerosLike(x))],
    ['argmax', (x) => tg.argmax(x, 1)],
    [
      'poolArgmax',
      (x) =>
        run('poolArgmax', [tg.reshape(x, [1, 2, 2, 1])], {
          geom: windowGeom(
            [1, 2, 2, 1],
            [2, 2],
            [2, 2],
            [1, 1],
            [
              [0, 0],
              [0, 0],
            ],
            'pool',
          ),
        }),
    ],
  ];
  it.each(cases)('%s: not recorded, its output requires no gradient', (_op, f) => {
    const y = f(tg.mul(x(), 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });

  it('gradients are unchanged: d(x·floor x) = floor x, d(sign x) = 0; backward through sign alone says why', () => {
    expectClose(tg.grad((v: tg.Tensor) => tg.sum(tg.mul(v, tg.floor(v))))(x()).data, [1, -3, 0, 3], {
      atol: 0,
      rtol: 0,
    });
    expect(Array.from(tg.grad((v: tg.Tensor) => tg.sum(tg.sign(v)))(x()).data)).toEqual([0, 0, 0, 0]);
    // second order through abs (its vjp multiplies by sign): d/dx Σ d(x·|x|)/dx = d/dx Σ 2|x| = 2 sign(x)
    const d1 = tg.grad((v: tg.Tensor) => tg.sum(tg.mul(v, tg.abs(v))));
    const d2 = tg.grad((v: tg.Tensor) => tg.sum(d1(v)))(x());
    expectClose(d2.data, [2, -2, 2, 2], { atol: 0, rtol: 0 });
    expect(() => tg.sum(tg.sign(x())).backward()).toThrow(/ops whose gradient is zero: sign, floor/);
  });

  it('a PGD loop x ← x + ε·sign(∇f(x)) keeps one step of graph, not a chain (no warning)', () => {
    resetChainWarning();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const W = t64([0.2, -0.5, 0.8, 0.3, -0.1, 0.6], [3, 2]).requireGrad();
      const f = (v: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(v, W)));
      let v = t64([0.5, -0.4, 0.9, 0.1, -0.7, 0.3], [2, 3]);
      const sizes: number[] = [];
      for (let i = 0; i < 20; i++) {
        v = tg.add(v, tg.mul(tg.sign(tg.grad(f)(v)), 0.01));
        sizes.push(tapeSize(v));
      }
      expect(sizes).toEqual(new Array(20).fill(0)); // each step's graph died with its gradient
      expect(v.requiresGrad).toBe(false);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
