// Gradients through tensors a function reads from outside its arguments (closures, module weights): nested
// grads, the WGAN-GP gradient penalty and third order, on the examples and over every row of the table.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { primNames } from '../../src/ops/table.js';
import { PRIM_ARBITRARIES, type PrimCase } from '../support/prim-arbitraries.js';
import { expectClose } from '../support/check.js';

const t64 = (d: number[], s: number[] = [d.length]) => tg.tensor(Float64Array.from(d), s);

describe('gradients through captured tensors', () => {
  it('grad of a grad that closes over the outer argument (PyTorch: cos(y0))', () => {
    const y0 = t64([0.3, -1.2]);
    const z0 = t64([0.7, 2.0]);
    const g = tg.grad((z) => tg.sum(tg.grad((y) => tg.sum(tg.mul(tg.sin(y), z)))(y0)))(z0);
    expectClose(g.data, Float64Array.from(y0.data, Math.cos), { atol: 1e-12, rtol: 1e-10 });
  });

  it('the WGAN-GP gradient penalty reaches the weights (same as the createGraph route)', () => {
    const x0 = t64([0.5, -0.4, 0.9, 0.1, -0.7, 0.3], [2, 3]);
    const make = () => t64([0.2, -0.5, 0.8, 0.3, -0.1, 0.6], [3, 2]).requireGrad();
    // route 1: tg.grad over a closure that reads the weight
    const W = make();
    const D = (x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W)));
    const g = tg.grad(D)(x0);
    tg.add(D(x0), tg.sum(tg.mul(g, g))).backward();
    // route 2: the explicit createGraph route
    const W2 = make();
    const x = x0.detach().requireGrad();
    const d2 = tg.sum(tg.tanh(tg.matmul(x, W2)));
    d2.backward(undefined, { createGraph: true });
    const gx = x.grad!;
    W2.grad = null;
    tg.add(tg.sum(tg.tanh(tg.matmul(x0, W2))), tg.sum(tg.mul(gx, gx))).backward();
    expectClose(W.grad!.data, W2.grad!.data, { atol: 1e-12, rtol: 1e-10 });
    // and the penalty term is really there: it differs from the gradient of D alone
    const W3 = make();
    tg.sum(tg.tanh(tg.matmul(x0, W3))).backward();
    expect(Math.max(...Array.from(W.grad!.data, (v, i) => Math.abs(v - W3.grad!.data[i])))).toBeGreaterThan(
      1e-3,
    );
  });

  it('third order through closures: d³/ds³ Σ cos(y0)·s³ = 6 Σ cos(y0)', () => {
    const y0 = t64([0.3, -1.2, 0.8]);
    const h = (s: tg.Tensor) => tg.sum(tg.grad((y) => tg.mul(tg.sum(tg.sin(y)), tg.pow(s, 3)))(y0));
    const d3 = tg.grad(tg.grad(tg.grad(h)))(t64([1.3], []));
    const want = 6 * Array.from(y0.data, Math.cos).reduce((a, b) => a + b, 0);
    expect(d3.item()).toBeCloseTo(want, 10);
  });

  it('a gradient that reaches nothing outside stays cheap (no graph kept)', () => {
    const g = tg.grad((y) => tg.sum(tg.mul(y, y)))(t64([1, 2]));
    expect(g.requiresGrad).toBe(false);
  });
});

// For each row: L(y) = Σ w ⊙ prim(y, rest); with s captured from outside,
// d/ds Σ v ⊙ ∇_y (s·L)(y0) = <∇L(y0), v>, by closure (tg.grad) and by a module weight (backward).
const arbitraries = PRIM_ARBITRARIES as Partial<Record<string, fc.Arbitrary<PrimCase>>>;
const floatRows = primNames().filter((n) => arbitraries[n] !== undefined);

describe.each(floatRows)('captured-tensor second order over the table: %s', (name) => {
  it('closure and module-weight forms equal the first-order <∇L, v>', () => {
    fc.assert(
      fc.property(arbitraries[name]!, (c) => {
        const k = c.diff.findIndex((d, i) => d && c.inputs[i].dtype === 'float64');
        if (k < 0) return;
        const out0 = tg.noGrad(() => run(name, c.inputs, c.params));
        if (out0.dtype !== 'float64') return;
        const w = t64(
          Array.from({ length: out0.size }, (_, i) => Math.sin(i + 1)),
          [...out0.shape],
        );
        const y0 = c.inputs[k];
        const v = t64(
          Array.from({ length: y0.size }, (_, i) => Math.cos(2 * i + 1)),
          [...y0.shape],
        );
        const L = (y: tg.Tensor) =>
          tg.sum(
            tg.mul(
              run(
                name,
                c.inputs.map((t, i) => (i === k ? y : t)),
                c.params,
              ),
              w,
            ),
          );
        const want = tg.sum(tg.mul(tg.grad(L)(y0), v)).item();
        const s = t64([1.7], []).requireGrad();
        const inner = tg.grad((y) => tg.mul(L(y), s))(y0);
        // NOTE: rows whose derivative is zero by construction (sign, floor, compare) give a constant gradient, as
        // PyTorch's do: nothing to differentiate further
        if (!inner.requiresGrad) {
          expect(want).toBe(0);
          return;
        }
        // closure: s read from outside the inner function
        const viaClosure = tg
          .grad((s) => tg.sum(tg.mul(tg.grad((y) => tg.mul(L(y), s))(y0), v)))(t64([1.7], []))
          .item();
        // module weight: s is a trainable leaf, the gradient is taken at top level, then backward
        tg.sum(tg.mul(inner, v)).backward();
        const tol = 1e-8 * Math.max(1, Math.abs(want));
        expect(Math.abs(viaClosure - want), `${name} closure`).toBeLessThan(tol);
        expect(Math.abs(s.grad!.item() - want), `${name} module weight`).toBeLessThan(tol);
      }),
      { seed: 20261205, numRuns: 8 },
    );
  });
});
