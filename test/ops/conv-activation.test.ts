// conv2dWithActivation: relu in the fused conv's epilogue gives conv2d → relu's values and gradients, whichever path
// runs (the fused row, the traced composition, a grouped conv), and refuses an unknown activation by name.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { conv2dWithActivation } from '../../src/ops/composite/conv.js';
import { ValueError } from '../../src/core/errors.js';
import { expectClose, expectSame, randF32, wasm } from '../support/backend.js';
import { traced } from '../support/traced.js';

const K = wasm();

describe('conv2dWithActivation', () => {
  const x = tg.tensor(randF32(2 * 4 * 9 * 7, 1), [2, 4, 9, 7], { requiresGrad: true });
  const w = tg.tensor(randF32(6 * 4 * 3 * 3, 2), [6, 4, 3, 3], { requiresGrad: true });
  const b = tg.tensor(randF32(6, 3), [6], { requiresGrad: true });
  const up = tg.tensor(randF32(2 * 6 * 5 * 4, 4), [2, 6, 5, 4]);
  const opts = { stride: [2, 2], padding: 1, dataFormat: 'NCHW' } as const;
  const loss = (xx: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor, f: typeof conv2dWithActivation) =>
    tg.sum(tg.mul(f(xx, ww, bb, opts, 'relu'), up));
  const plain: typeof conv2dWithActivation = (xx, ww, bb, o) => tg.relu(tg.conv2d(xx, ww, bb, o));

  it('runs relu inside the fused conv kernel, with the values and gradients of conv2d → relu', () => {
    const conv = vi.spyOn(K, 'conv2d');
    const unary = vi.spyOn(K, 'unary');
    const y = conv2dWithActivation(x, w, b, opts, 'relu');
    expect(conv.mock.calls[0][6]).toBe('relu');
    expect(unary).not.toHaveBeenCalled();
    conv.mockRestore();
    unary.mockRestore();
    expectSame(y.data, plain(x, w, b, opts, 'relu').data, 'fused relu vs conv2d → relu');
    const [yc, ops] = traced(() => conv2dWithActivation(x, w, b, opts, 'relu'));
    expect(ops).toEqual(expect.arrayContaining(['im2col', 'matmul', 'relu']));
    expectSame(y.data, yc.data, 'fused vs traced composition');
    const g = tg.grads((xx, ww, bb) => loss(xx, ww, bb, conv2dWithActivation))(x, w, b);
    const want = tg.grads((xx, ww, bb) => loss(xx, ww, bb, plain))(x, w, b);
    g.forEach((gi, i) => expectClose(gi.data, want[i].data, 1e-5, 1e-6, `gradient ${i}`));
  });

  it('a grouped conv (no fused row) applies relu after the composition', () => {
    const wg = tg.tensor(randF32(6 * 2 * 3 * 3, 5), [6, 2, 3, 3]);
    const o = { ...opts, groups: 2 };
    expectSame(
      conv2dWithActivation(x, wg, b, o, 'relu').data,
      tg.relu(tg.conv2d(x, wg, b, o)).data,
      'grouped',
    );
  });

  it("'linear' is conv2d, and an unknown activation is refused by name", () => {
    expectSame(conv2dWithActivation(x, w, b, opts, 'linear').data, tg.conv2d(x, w, b, opts).data, 'linear');
    expect(() => conv2dWithActivation(x, w, b, opts, 'gelu' as 'relu')).toThrow(ValueError);
    expect(() => conv2dWithActivation(x, w, b, opts, 'gelu' as 'relu')).toThrow(/activation 'gelu'/);
  });
});
