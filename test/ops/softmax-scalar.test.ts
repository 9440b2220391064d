// softmax and logSoftmax of a scalar: a row of one, as PyTorch 1.13 (torch.softmax(tensor(3.), 0) = 1 with gradient
// 0, log_softmax 0; dim 1 raises "Dimension out of range (expected to be in range of [-1, 0], but got 1)").
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

describe('softmax of a scalar', () => {
  it('is 1 (log softmax 0) with gradient 0, shape [] kept, axis 0 or -1', () => {
    for (const axis of [0, -1]) {
      const y = tg.softmax(tg.scalar(3), axis);
      expect(y.shape).toEqual([]);
      expect(y.item()).toBe(1);
      expect(tg.logSoftmax(tg.scalar(3), axis).item()).toBe(0);
    }
    const g = tg.grad((x: tg.Tensor) => tg.softmax(x))(tg.scalar(3));
    expect(g.shape).toEqual([]);
    expect(g.item()).toBe(0);
    expect(
      tg
        .grad((x: tg.Tensor) => tg.logSoftmax(x))(tg.scalar(-2))
        .item(),
    ).toBe(0);
  });
  it('refuses any other axis by name', () => {
    expect(() => tg.softmax(tg.scalar(3), 1)).toThrow(
      /softmax: axis 1 is out of range for a scalar \(expected -1 or 0\)/,
    );
    expect(() => tg.logSoftmax(tg.scalar(3), -2)).toThrow(tg.ShapeError);
  });
});
