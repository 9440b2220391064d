// The functional cells (simpleRnnCell, lstmCell, gruCell) against plain-loop Keras equations, their
// gradients by gradcheck in float64 (inputs, states and every weight), and their shape errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';
import { type Kind, flat, kerasSeq, reluF } from '../support/naive-recurrent.js';

const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);
const rows = (a: ArrayLike<number>, B: number, u: number) =>
  Array.from({ length: B }, (_, n) => Array.from({ length: u }, (_, j) => a[n * u + j]));
const K: Record<Kind, number> = { simple: 1, lstm: 4, gru: 3 };

/** Random cell inputs for batch B, features F, units u (GRU resetAfter decides the bias size). */
function setup(kind: Kind, B: number, F: number, u: number, seed: number, resetAfter = true) {
  const k = K[kind] * u;
  const nb = kind === 'gru' && resetAfter ? 2 * k : k;
  return {
    x: uniform(B * F, seed),
    h: uniform(B * u, seed + 1, -0.8, 0.8),
    c: uniform(B * u, seed + 2, -1.5, 1.5),
    W: uniform(F * k, seed + 3),
    U: uniform(u * k, seed + 4),
    b: uniform(nb, seed + 5, -0.5, 0.5),
    k,
    bShape: kind === 'gru' && resetAfter ? [2, k] : [k],
  };
}

describe('cells match the Keras equations (plain loops)', () => {
  const dims = fc.record({
    B: fc.integer({ min: 1, max: 3 }),
    F: fc.integer({ min: 1, max: 4 }),
    u: fc.integer({ min: 1, max: 4 }),
    seed: fc.nat(1000),
    bias: fc.boolean(),
  });

  it('simpleRnnCell: h = act(x·W + h·U + b), tanh and relu', () =>
    fc.assert(
      fc.property(dims, fc.boolean(), ({ B, F, u, seed, bias }, relu) => {
        const s = setup('simple', B, F, u, seed);
        const out = tg.simpleRnnCell(
          t64(s.x, [B, F]),
          t64(s.h, [B, u]),
          { kernel: t64(s.W, [F, u]), recurrentKernel: t64(s.U, [u, u]), bias: bias ? t64(s.b, [u]) : null },
          relu ? { activation: tg.relu } : {},
        );
        const ref = kerasSeq(
          'simple',
          s.x,
          [B, 1, F],
          { data: s.W, rows: F, cols: u },
          { data: s.U, rows: u, cols: u },
          bias ? s.b : null,
          { units: u, h0: rows(s.h, B, u), act: relu ? reluF : undefined },
        );
        expect(out.shape).toEqual([B, u]);
        expectClose(out.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'simpleRnnCell');
      }),
      { numRuns: 25 },
    ));

  it('lstmCell: gates i, f, c, o; returns [h, c]', () =>
    fc.assert(
      fc.property(dims, ({ B, F, u, seed, bias }) => {
        const s = setup('lstm', B, F, u, seed);
        const [h, c] = tg.lstmCell(t64(s.x, [B, F]), t64(s.h, [B, u]), t64(s.c, [B, u]), {
          kernel: t64(s.W, [F, s.k]),
          recurrentKernel: t64(s.U, [u, s.k]),
          bias: bias ? t64(s.b, [s.k]) : null,
        });
        const ref = kerasSeq(
          'lstm',
          s.x,
          [B, 1, F],
          { data: s.W, rows: F, cols: s.k },
          { data: s.U, rows: u, cols: s.k },
          bias ? s.b : null,
          { units: u, h0: rows(s.h, B, u), c0: rows(s.c, B, u) },
        );
        expectClose(h.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'lstmCell h');
        expectClose(c.data, flat(ref.c), { rtol: 1e-12, atol: 1e-12 }, 'lstmCell c');
      }),
      { numRuns: 25 },
    ));

  it('gruCell: gates z, r, h with resetAfter true (bias [2, 3u]) and false (bias [3u])', () =>
    fc.assert(
      fc.property(dims, fc.boolean(), ({ B, F, u, seed, bias }, resetAfter) => {
        const s = setup('gru', B, F, u, seed, resetAfter);
        const out = tg.gruCell(
          t64(s.x, [B, F]),
          t64(s.h, [B, u]),
          {
            kernel: t64(s.W, [F, s.k]),
            recurrentKernel: t64(s.U, [u, s.k]),
            bias: bias ? t64(s.b, s.bShape) : null,
          },
          { resetAfter },
        );
        const ref = kerasSeq(
          'gru',
          s.x,
          [B, 1, F],
          { data: s.W, rows: F, cols: s.k },
          { data: s.U, rows: u, cols: s.k },
          bias ? s.b : null,
          { units: u, h0: rows(s.h, B, u), resetAfter },
        );
        expectClose(out.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, `gruCell resetAfter=${resetAfter}`);
      }),
      { numRuns: 25 },
    ));
});

describe('cell gradients (gradcheck, float64)', () => {
  const [B, F, u] = [2, 3, 2];
  const check = (f: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[], what: string) => {
    const r = tg.gradcheck(f, xs, { mode: 'full' });
    if (!r.ok) expect.fail(`${what}: worst ${JSON.stringify(r.worst)} ratio ${r.maxRatio}`);
  };
  it('simpleRnnCell wrt x, h, W, U, b', () => {
    const s = setup('simple', B, F, u, 7);
    check(
      (x, h, W, U, b) => tg.simpleRnnCell(x, h, { kernel: W, recurrentKernel: U, bias: b }),
      [t64(s.x, [B, F]), t64(s.h, [B, u]), t64(s.W, [F, u]), t64(s.U, [u, u]), t64(s.b, [u])],
      'simpleRnnCell',
    );
  });
  it('lstmCell wrt x, h, c, W, U, b (both outputs)', () => {
    const s = setup('lstm', B, F, u, 8);
    check(
      (x, h, c, W, U, b) => tg.concat(tg.lstmCell(x, h, c, { kernel: W, recurrentKernel: U, bias: b }), 1),
      [
        t64(s.x, [B, F]),
        t64(s.h, [B, u]),
        t64(s.c, [B, u]),
        t64(s.W, [F, s.k]),
        t64(s.U, [u, s.k]),
        t64(s.b, [s.k]),
      ],
      'lstmCell',
    );
  });
  for (const resetAfter of [true, false])
    it(`gruCell wrt x, h, W, U, b (resetAfter ${resetAfter})`, () => {
      const s = setup('gru', B, F, u, 9, resetAfter);
      check(
        (x, h, W, U, b) => tg.gruCell(x, h, { kernel: W, recurrentKernel: U, bias: b }, { resetAfter }),
        [t64(s.x, [B, F]), t64(s.h, [B, u]), t64(s.W, [F, s.k]), t64(s.U, [u, s.k]), t64(s.b, s.bShape)],
        'gruCell',
      );
    });
});

describe('cell shape errors', () => {
  const W = tg.zeros([3, 8]);
  const U = tg.zeros([2, 8]);
  it('names the cell, the weight and the expected shape', () => {
    expect(() =>
      tg.lstmCell(tg.zeros([1, 4]), tg.zeros([1, 2]), tg.zeros([1, 2]), { kernel: W, recurrentKernel: U }),
    ).toThrow(/lstmCell: kernel must be \[4, 8\]/);
    expect(() =>
      tg.lstmCell(tg.zeros([1, 3]), tg.zeros([2, 2]), tg.zeros([1, 2]), { kernel: W, recurrentKernel: U }),
    ).toThrow(/lstmCell: state h must be \[1, 2\]/);
    expect(() =>
      tg.lstmCell(tg.zeros([1, 3]), tg.zeros([1, 2]), tg.zeros([1, 3]), { kernel: W, recurrentKernel: U }),
    ).toThrow(/carry state c/);
    expect(() =>
      tg.gruCell(tg.zeros([1, 3]), tg.zeros([1, 2]), {
        kernel: tg.zeros([3, 6]),
        recurrentKernel: tg.zeros([2, 6]),
        bias: tg.zeros([6]),
      }),
    ).toThrow(/gruCell: bias must be \[2, 6\] with resetAfter/);
    expect(() =>
      tg.simpleRnnCell(tg.zeros([3]), tg.zeros([1, 2]), {
        kernel: tg.zeros([3, 2]),
        recurrentKernel: tg.zeros([2, 2]),
      }),
    ).toThrow(tg.ShapeError);
  });
});
