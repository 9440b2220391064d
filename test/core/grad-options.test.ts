// The functional gradient calls' createGraph option (PyTorch's create_graph) and the warning for chains of
// differentiable top-level gradients (a loop that feeds each gradient into the next call's argument).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { CHAIN_WARN_AT, resetChainWarning } from '../../src/core/grad-chain.js';
import { expectClose } from '../support/check.js';

const t64 = (d: number[], s: number[] = [d.length]) => tg.tensor(Float64Array.from(d), s);
const x0 = () => t64([0.5, -0.4, 0.9, 0.1, -0.7, 0.3], [2, 3]);
const weight = () => t64([0.2, -0.5, 0.8, 0.3, -0.1, 0.6], [3, 2]).requireGrad();

describe('createGraph', () => {
  it('false gives a plain gradient: the WGAN-GP penalty then adds nothing to the weight (PyTorch default)', () => {
    const W = weight();
    const D = (x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W)));
    const g = tg.grad(D, { createGraph: false })(x0());
    expect(g.requiresGrad).toBe(false);
    tg.add(D(x0()), tg.sum(tg.mul(g, g))).backward();
    const W2 = weight();
    tg.sum(tg.tanh(tg.matmul(x0(), W2))).backward();
    expectClose(W.grad!.data, W2.grad!.data, { atol: 1e-14, rtol: 0 });
    // the same numbers as the automatic route's gradient
    const W3 = weight();
    const auto = tg.grad((x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W3))))(x0());
    expect(auto.requiresGrad).toBe(true);
    expectClose(g.data, auto.data, { atol: 0, rtol: 0 });
  });

  it('true and the default both carry the penalty to the weight', () => {
    const run = (opts?: tg.GradOptions) => {
      const W = weight();
      const D = (x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W)));
      const g = tg.grad(D, opts)(x0());
      tg.add(D(x0()), tg.sum(tg.mul(g, g))).backward();
      return W.grad!.data;
    };
    expectClose(run({ createGraph: true }), run(), { atol: 0, rtol: 0 });
  });

  it('every functional gradient call takes it (grads in both call forms, valueAndGrad, valueAndGrads)', () => {
    const W = weight();
    const f = (x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W)));
    const plain = { createGraph: false };
    expect(tg.grads(f, plain)(x0())[0].requiresGrad).toBe(false);
    expect(tg.grads(f, plain)([x0()])[0].requiresGrad).toBe(false);
    const vg = tg.valueAndGrad(f, plain)(x0());
    expect([vg.value.requiresGrad, vg.grad.requiresGrad]).toEqual([false, false]);
    const vgs = tg.valueAndGrads(f)(x0());
    expect([vgs.value.requiresGrad, vgs.grads[0].requiresGrad]).toEqual([true, true]);
    expect(tg.valueAndGrads(f, plain)(x0()).grads[0].requiresGrad).toBe(false);
  });

  it('refuses unknown options and non-boolean values by name', () => {
    const f = (x: tg.Tensor) => tg.sum(x);
    expect(() => tg.grad(f, { creatGraph: true } as never)).toThrow(/tg\.grad: unknown option 'creatGraph'/);
    expect(() => tg.grads(f, { createGraph: 1 } as never)).toThrow(
      /tg\.grads: createGraph must be true or false/,
    );
    expect(() => tg.valueAndGrads(f, 'yes' as never)).toThrow(/options must be an object/);
  });
});

describe('a chain of differentiable top-level gradients', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    resetChainWarning();
    warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => warn.mockRestore());

  // activation maximization: x ← x + 0.1·∇x f(x), with f reading a weight that requires a gradient
  const ascend = (steps: number, opts?: tg.GradOptions) => {
    const W = weight();
    const f = (x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W)));
    let x = x0();
    for (let i = 0; i < steps; i++) x = tg.add(x, tg.mul(tg.grad(f, opts)(x), 0.1));
    return x;
  };

  it(`is said once, at gradient number ${CHAIN_WARN_AT}, naming the call and the fix`, () => {
    ascend(CHAIN_WARN_AT - 1);
    expect(warn).not.toHaveBeenCalled();
    const x = ascend(CHAIN_WARN_AT + 5);
    expect(x.requiresGrad).toBe(true); // the default keeps the chain differentiable
    expect(warn).toHaveBeenCalledTimes(1);
    const msg = String(warn.mock.calls[0][0]);
    expect(msg).toMatch(/^tg\.grad: this gradient \(\[2,3\]\) is number 8 in a chain/);
    expect(msg).toContain('tg.grad(f, { createGraph: false })');
  });

  it('createGraph false breaks the chain (nothing to warn about); true keeps it without a warning', () => {
    const plain = ascend(2 * CHAIN_WARN_AT, { createGraph: false });
    expect(plain.requiresGrad).toBe(false);
    const kept = ascend(2 * CHAIN_WARN_AT, { createGraph: true });
    expect(kept.requiresGrad).toBe(true);
    expectClose(plain.data, kept.data, { atol: 1e-15, rtol: 0 });
    expect(warn).not.toHaveBeenCalled();
  });

  it('is not said for gradients that do not feed each other, nor inside an outer gradient', () => {
    const W = weight();
    const f = (x: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, W)));
    const x = x0();
    for (let i = 0; i < 3 * CHAIN_WARN_AT; i++) tg.grad(f)(x); // a saliency loop over one input
    // nested calls run inside the outer call's frame: never a top-level chain
    const h = (s: tg.Tensor) => tg.sum(tg.grad((y) => tg.mul(tg.sum(tg.sin(y)), tg.pow(s, 3)))(x0()));
    let d: (s: tg.Tensor) => tg.Tensor = h;
    for (let i = 0; i < 3; i++) d = tg.grad(d);
    expect(d(t64([1.3], [])).size).toBe(1);
    expect(warn).not.toHaveBeenCalled();
  });
});
