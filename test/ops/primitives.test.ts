// Generated from the primitive table: every row of PRIMS is gradchecked (random-direction identity,
// float64) and its forward compared with an independent naive computation. A new primitive without an
// arbitrary in test/support/prim-arbitraries.ts fails here.
// NOTE: the tie rule (inputs kept away from kinks and ties) is documented in prim-arbitraries.ts; the
// behaviour AT ties is pinned by the explicit tests at the end of this file.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { primNames } from '../../src/ops/table.js';
import { PRIM_ARBITRARIES, type PrimCase } from '../support/prim-arbitraries.js';
import { NAIVE_PRIMS } from '../support/naive-prims.js';
import { expectClose } from '../support/check.js';

const NUM_RUNS = 100;
const arbitraries = PRIM_ARBITRARIES as Partial<Record<string, fc.Arbitrary<PrimCase>>>;
const naive = NAIVE_PRIMS as Partial<Record<string, (typeof NAIVE_PRIMS)[tg.PrimName]>>;

const describeCase = (name: string, c: PrimCase) =>
  `${name}(${c.inputs.map((t) => `${tg.fmtShape(t.shape)}:${t.dtype}`).join(', ')}) params ${JSON.stringify(c.params)}`;

function arbitraryFor(name: string): fc.Arbitrary<PrimCase> {
  const a = arbitraries[name];
  if (!a)
    throw new Error(
      `primitive '${name}' has no arbitrary in test/support/prim-arbitraries.ts: add one so its vjp is checked`,
    );
  return a;
}

describe('the primitive table', () => {
  it('has an arbitrary and a naive reference for every primitive', () => {
    const names = primNames();
    expect(names.length).toBeGreaterThanOrEqual(38);
    expect(
      names.filter((n) => !arbitraries[n]),
      'primitives without an arbitrary',
    ).toEqual([]);
    expect(
      names.filter((n) => !naive[n]),
      'primitives without a naive reference',
    ).toEqual([]);
  });

  it('a primitive without an arbitrary fails its check rather than being skipped', () => {
    expect(() => arbitraryFor('notARealPrimitive')).toThrow(
      /has no arbitrary in test\/support\/prim-arbitraries.ts/,
    );
  });
});

describe.each(primNames())('primitive %s', (name) => {
  it('vjp: <c, (f(x+εt) − f(x−εt))/2ε> ≈ Σ <vjp(c), t> in float64', () => {
    fc.assert(
      fc.property(arbitraryFor(name), (c) => {
        const moving = c.inputs.filter((_, i) => c.diff[i]);
        const f = (...xs: tg.Tensor[]) => {
          let k = 0;
          return run(
            name,
            c.inputs.map((t, i) => (c.diff[i] ? xs[k++] : t)),
            c.params,
          );
        };
        const r = tg.gradcheck(f, moving, { mode: 'random', directions: 3, ...c.gc });
        if (!r.ok)
          expect.fail(`${describeCase(name, c)}: worst ${JSON.stringify(r.worst)} (ratio ${r.maxRatio})`);
      }),
      { seed: 20240601, numRuns: NUM_RUNS },
    );
  });

  it('forward equals the naive reference', () => {
    fc.assert(
      fc.property(arbitraryFor(name), (c) => {
        const ref = naive[name];
        if (!ref)
          throw new Error(`primitive '${name}' has no naive reference in test/support/naive-prims.ts`);
        const out = run(name, c.inputs, c.params);
        const want = ref(c.inputs, c.params);
        const what = describeCase(name, c);
        expect(out.shape, what).toEqual(want.shape);
        expect(out.dtype, what).toBe(want.dtype);
        expectClose(out.data, want.data, { rtol: 1e-12, atol: 1e-13 }, what);
      }),
      { seed: 7, numRuns: NUM_RUNS },
    );
  });
});

describe('behaviour at ties and kinks (the rules finite differences cannot see)', () => {
  const t64 = (v: number[], s?: number[]) => tg.tensor(Float64Array.from(v), s ?? [v.length]);
  const pull = (name: tg.PrimName, ins: tg.Tensor[], p: any, ct: number[]) => {
    const r = tg.vjp((...xs: tg.Tensor[]) => run(name, xs, p), ...ins);
    return r.vjp(t64(ct, [...r.value.shape])).map((g) => Array.from(g.data));
  };

  it('compare ops on equal operands', () => {
    const a = t64([1, 2, 3]);
    const b = t64([1, 5, 0]);
    const cmp = (op: string) => Array.from(run('compare', [a, b], { op: op as 'eq' }).data);
    expect(cmp('eq')).toEqual([1, 0, 0]);
    expect(cmp('ne')).toEqual([0, 1, 1]);
    expect(cmp('ge')).toEqual([1, 0, 1]);
    expect(cmp('le')).toEqual([1, 1, 0]);
    expect(cmp('gt')).toEqual([0, 0, 1]);
    expect(cmp('lt')).toEqual([0, 1, 0]);
  });

  it('relu, abs: zero gradient at 0', () => {
    expect(pull('relu', [t64([0, 1, -1])], {}, [1, 1, 1])[0]).toEqual([0, 1, 0]);
    expect(pull('abs', [t64([0, 2, -2])], {}, [1, 1, 1])[0]).toEqual([0, 1, -1]);
  });

  it('maximum/minimum give a tie to the first operand', () => {
    expect(pull('maximum', [t64([1, 2]), t64([1, 3])], {}, [1, 1])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(pull('minimum', [t64([1, 2]), t64([1, 3])], {}, [1, 1])).toEqual([
      [1, 1],
      [0, 0],
    ]);
  });

  it('max shares the gradient equally among tied maxima', () => {
    expect(pull('max', [t64([3, 3, 1, 2], [2, 2])], { axes: [1], keepdims: false }, [1, 1])[0]).toEqual([
      0.5, 0.5, 0, 1,
    ]);
    expect(pull('max', [t64([3, 1, 3, 3])], { axes: [0], keepdims: true }, [6])[0]).toEqual([2, 0, 2, 2]);
  });

  it('argmax and poolArgmax pick the first maximum', () => {
    expect(Array.from(run('argmax', [t64([1, 4, 4, 0])], { axis: 0 }).data)).toEqual([1]);
    const geom = {
      n: 1,
      h: 2,
      w: 2,
      c: 1,
      kh: 2,
      kw: 2,
      strideH: 2,
      strideW: 2,
      dilationH: 1,
      dilationW: 1,
      padTop: 0,
      padLeft: 0,
      outH: 1,
      outW: 1,
    };
    expect(Array.from(run('poolArgmax', [t64([1, 5, 5, 5], [1, 2, 2, 1])], { geom }).data)).toEqual([1]);
  });

  it('poolArgmax never picks padding, even when every real value is below the pad value 0', () => {
    const geom = {
      n: 1,
      h: 2,
      w: 2,
      c: 1,
      kh: 2,
      kw: 2,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
      outH: 2,
      outW: 2,
    };
    expect(Array.from(run('poolArgmax', [t64([-4, -3, -2, -1], [1, 2, 2, 1])], { geom }).data)).toEqual([
      0, 1, 2, 3,
    ]);
  });
});
