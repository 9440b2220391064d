// A float tensor and a number (`x·2`, `1 - x`, `x / 255`) take the binaryScalar row: one op, no tensor of the
// number broadcast to the other's size, and the values of that broadcast path bit for bit.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const ops = (f: () => unknown) => tg.trace(f).rows.map((r) => r.op);

describe('tensor-and-number arithmetic', () => {
  const x = tg.tensor([0.5, -2, 3.25, 0, 7, -0.1, 1e-3], [7]);
  const cases: [string, () => tg.Tensor, () => tg.Tensor][] = [
    ['x + 0.1', () => tg.add(x, 0.1), () => tg.add(x, tg.full([7], 0.1))],
    ['0.1 + x', () => tg.add(0.1, x), () => tg.add(tg.full([7], 0.1), x)],
    ['x - 0.1', () => tg.sub(x, 0.1), () => tg.sub(x, tg.full([7], 0.1))],
    ['1 - x', () => tg.sub(1, x), () => tg.sub(tg.full([7], 1), x)],
    ['x · 0.3', () => tg.mul(x, 0.3), () => tg.mul(x, tg.full([7], 0.3))],
    ['x / 255', () => tg.div(x, 255), () => tg.div(x, tg.full([7], 255))],
    ['0.7 / x', () => tg.div(0.7, x), () => tg.div(tg.full([7], 0.7), x)],
  ];
  for (const backend of ['js', 'wasm'])
    for (const [name, scalar, broadcast] of cases)
      it(`${name} (${backend}): one binaryScalar op, the broadcast path's values`, () => {
        tg.setBackend(backend);
        try {
          expect(ops(scalar)).toEqual(['binaryScalar']);
          expect(Array.from(scalar().data)).toEqual(Array.from(broadcast().data));
        } finally {
          tg.setBackend('wasm');
        }
      });

  it('float64 keeps the number exact; int32 tensors keep the promoting path', () => {
    const d = tg.tensor([1, 2], [2], { dtype: 'float64' });
    expect(Array.from(tg.mul(d, 0.1).data)).toEqual([0.1, 0.2]);
    const i = tg.tensor([1, 2], [2], { dtype: 'int32' });
    expect(ops(() => tg.add(i, 1))).not.toContain('binaryScalar');
    expect(tg.add(i, 1).dtype).toBe('int32');
    expect(tg.add(i, 1.5).dtype).toBe('float32');
    expect(Array.from(tg.add(i, 1.5).data)).toEqual([2.5, 3.5]);
  });

  it('gradients: d(s - x) = -1, d(x·s) = s, d(s / x) = -s/x² (the row is also gradchecked with the table)', () => {
    const w = tg.tensor([2, -4], [2], { requiresGrad: true });
    const { grads } = tg.valueAndGrads((a: tg.Tensor) =>
      tg.sum(tg.add(tg.add(tg.sub(3, a), tg.mul(a, 5)), tg.div(8, a))),
    )(w);
    expect(Array.from(grads[0].data)).toEqual([-1 + 5 - 8 / 4, -1 + 5 - 8 / 16]);
  });
});

describe('binaryScalar called directly', () => {
  it('refuses an unknown op, a non-number s and an int32 tensor by name', async () => {
    const { run } = await import('../../src/ops/dispatch.js');
    const x = tg.tensor([1, 2]);
    expect(() => run('binaryScalar', [x], { op: 'pow', s: 2, scalarFirst: false })).toThrow(
      /binaryScalar: unknown op 'pow'/,
    );
    expect(() => run('binaryScalar', [x], { op: 'mul', s: '2' as never, scalarFirst: false })).toThrow(
      /s must be a number/,
    );
    expect(() =>
      run('binaryScalar', [tg.tensor([1], [1], { dtype: 'int32' })], { op: 'mul', s: 2, scalarFirst: false }),
    ).toThrow(/needs a float tensor, got int32/);
  });
});
