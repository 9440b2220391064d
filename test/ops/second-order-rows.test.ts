// Generated from the primitive table: every row's vjp is differentiated again. For each row's random case
// (test/support/prim-arbitraries.ts, whose tie rule keeps inputs away from kinks) the scalar
// f(xs) = <w, y> + ½<u, y⊙y>, y = row(xs), has its Hessian-vector product grad(xs ↦ Σⱼ <∂f/∂xⱼ, vⱼ>) compared with
// central differences of first-order gradients, (∇f(xs + εv) − ∇f(xs − εv)) / 2ε, in float64. The ½<u, y⊙y> term
// makes the cotangent g = w + u⊙y depend on the inputs, so a vjp's dependence on g (not only on its inputs) is
// differentiated too; rows that are linear in their inputs (reshape, im2col, ...) then have a non-zero Hessian.
// Piecewise-constant rows (sign, floor, compare, argmax, poolArgmax) have no gradient: their product must be exactly
// 0. Every other row must show a non-zero product on some case, so a pass cannot be vacuous. A new row is covered
// as soon as it has an arbitrary (test/ops/primitives.test.ts already requires one).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { primNames } from '../../src/ops/table.js';
import { PRIM_ARBITRARIES, type PrimCase, values } from '../support/prim-arbitraries.js';
import { worstMismatch } from '../support/check.js';

/** Rows whose vjp cannot be differentiated again, each with the reason. Empty: every row is twice differentiable. */
const NOT_TWICE_DIFFERENTIABLE: Readonly<Record<string, string>> = {};

const NUM_RUNS = 40;
/** Piecewise-constant rows: nothing is recorded, so their H·v must be exactly 0 (every other row's is not, somewhere). */
const ZERO_HESSIAN: ReadonlySet<string> = new Set([
  'sign',
  'floor',
  'compare',
  'argmax',
  'poolArgmax',
  'topkIndices',
]);
const EPS = 1e-5;
const arbitraries = PRIM_ARBITRARIES as Partial<Record<string, fc.Arbitrary<PrimCase>>>;

const t64 = (d: ArrayLike<number>, s: readonly number[]) => tg.tensor(Float64Array.from(d), [...s]);
const describeCase = (name: string, c: PrimCase) =>
  `${name}(${c.inputs.map((t) => `${tg.fmtShape(t.shape)}:${t.dtype}`).join(', ')}) params ${JSON.stringify(c.params)}`;

function arbitraryFor(name: string): fc.Arbitrary<PrimCase> {
  const a = arbitraries[name];
  if (!a) throw new Error(`primitive '${name}' has no arbitrary in test/support/prim-arbitraries.ts`);
  return a;
}

/** A case plus the directions v (one per moving input) and the output weights w, u (uniform in [-1, 1)). */
interface HvpCase {
  c: PrimCase;
  dirs: number[][];
  w: number[];
  u: number[];
}
const caseArb = (name: tg.PrimName): fc.Arbitrary<HvpCase> =>
  arbitraryFor(name).chain((c) => {
    const moving = c.inputs.filter((_, i) => c.diff[i]);
    const out = tg.noGrad(() => run(name, c.inputs, c.params));
    const unit = (n: number) => values(n, 'any').map((v) => v.map((x) => x / 2));
    return fc
      .tuple(fc.tuple(...moving.map((t) => unit(t.size))), unit(out.size), unit(out.size))
      .map(([dirs, w, u]) => ({ c, dirs: dirs as number[][], w, u }));
  });

/** f(moving inputs) = <w, y> + ½<u, y⊙y> (only <w, y> when y is not float64: float32 rounding would swamp ε). */
function objective(name: tg.PrimName, h: HvpCase): (...xs: tg.Tensor[]) => tg.Tensor {
  const { c } = h;
  return (...xs) => {
    let k = 0;
    const y = run(
      name,
      c.inputs.map((t, i) => (c.diff[i] ? xs[k++] : t)),
      c.params,
    );
    if (y.dtype === 'int32') return tg.sum(tg.mul(tg.cast(y, 'float64'), t64(h.w, y.shape)));
    const lin = tg.sum(tg.mul(y, tg.cast(t64(h.w, y.shape), y.dtype)));
    if (y.dtype !== 'float64') return tg.cast(lin, 'float64');
    return tg.add(lin, tg.mul(tg.sum(tg.mul(t64(h.u, y.shape), tg.mul(y, y))), 0.5));
  };
}

/** H·v as grad(xs ↦ Σⱼ <∂f/∂xⱼ, vⱼ>), written out with tg.grads (no tg.hvp: this checks the rows, not hvp). */
function hvpByNestedGrad(
  f: (...xs: tg.Tensor[]) => tg.Tensor,
  xs: tg.Tensor[],
  vs: tg.Tensor[],
): tg.Tensor[] {
  const inner = (...ys: tg.Tensor[]) =>
    tg
      .grads(f)(...ys)
      .map((g, j) => tg.sum(tg.mul(g, vs[j])))
      .reduce((a, b) => tg.add(a, b));
  return tg.grads(inner)(...xs);
}

/** (∇f(xs + εv) − ∇f(xs − εv)) / 2ε, per moving input. */
function hvpByDifferences(
  f: (...xs: tg.Tensor[]) => tg.Tensor,
  xs: tg.Tensor[],
  vs: tg.Tensor[],
): Float64Array[] {
  const at = (s: number) =>
    tg.grads(f, { createGraph: false })(
      ...xs.map((x, j) =>
        t64(
          Array.from(x.data, (a, i) => a + s * vs[j].data[i]),
          x.shape,
        ),
      ),
    );
  const [gp, gm] = [at(EPS), at(-EPS)];
  return gp.map((g, j) => Float64Array.from(g.data, (a, i) => (a - gm[j].data[i]) / (2 * EPS)));
}

/** The worst mismatch of H·v over the moving inputs (ratio > 1: not close), tolerance scaled by the largest entry. */
function checkHvp(name: tg.PrimName, h: HvpCase): { ratio: number; detail: string; largest: number } {
  const f = objective(name, h);
  const xs = h.c.inputs.filter((_, i) => h.c.diff[i]);
  const vs = xs.map((x, j) => t64(h.dirs[j], x.shape));
  const got = hvpByNestedGrad(f, xs, vs);
  const want = hvpByDifferences(f, xs, vs);
  const scale = Math.max(1, ...want.map((a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  let worst = { ratio: 0, detail: '', largest: 0 };
  got.forEach((g, j) => {
    for (const v of g.data) worst.largest = Math.max(worst.largest, Math.abs(v));
    expect(g.shape, `${describeCase(name, h.c)}: H·v shape of input ${j}`).toEqual(xs[j].shape);
    const m = worstMismatch(g.data, want[j], 1e-6, 1e-7 * scale);
    if (m.ratio > worst.ratio)
      worst = {
        ...worst,
        ratio: m.ratio,
        detail: `input ${j} index ${m.index}: H·v ${m.actual}, differences ${m.expected}`,
      };
  });
  return worst;
}

describe('the second-order exception list', () => {
  it('names only real rows of the primitive table, each with a reason', () => {
    const names = new Set<string>(primNames());
    for (const [row, why] of Object.entries(NOT_TWICE_DIFFERENTIABLE)) {
      expect(names.has(row), `'${row}' is not a row of the primitive table`).toBe(true);
      expect(why.length, `reason for '${row}'`).toBeGreaterThan(10);
    }
  });

  it('a listed row really fails the check (so the list cannot outlive a fix)', () => {
    for (const row of Object.keys(NOT_TWICE_DIFFERENTIABLE) as tg.PrimName[]) {
      const failed = fc.check(
        fc.property(caseArb(row), (h) => checkHvp(row, h).ratio <= 1),
        { seed: 20261208, numRuns: NUM_RUNS },
      ).failed;
      expect(failed, `'${row}' passes the second-order check: remove it from the list`).toBe(true);
    }
  });

  it('lists as piecewise constant only real rows', () => {
    const names = new Set<string>(primNames());
    expect([...ZERO_HESSIAN].filter((n) => !names.has(n))).toEqual([]);
  });

  it('covers every row: each is either checked below or listed with a reason', () => {
    const checked = primNames().filter((n) => !(n in NOT_TWICE_DIFFERENTIABLE));
    expect(checked.length).toBeGreaterThanOrEqual(40);
    expect(checked.filter((n) => !arbitraries[n])).toEqual([]);
  });
});

describe.each(primNames().filter((n) => !(n in NOT_TWICE_DIFFERENTIABLE)))('primitive %s', (name) => {
  it('H·v by nested grad equals central differences of first-order gradients (float64)', () => {
    let largest = 0;
    fc.assert(
      fc.property(caseArb(name), (h) => {
        const r = checkHvp(name, h);
        largest = Math.max(largest, r.largest);
        if (r.ratio > 1) expect.fail(`${describeCase(name, h.c)}: ${r.detail} (ratio ${r.ratio})`);
      }),
      { seed: 20261208, numRuns: NUM_RUNS },
    );
    // a vacuous pass (every product 0, on both sides) would hide a row whose vjp is cut from the tape
    if (ZERO_HESSIAN.has(name)) expect(largest, 'H·v of a piecewise-constant row').toBe(0);
    else expect(largest, 'the largest |H·v| over the cases').toBeGreaterThan(1e-3);
  });
});
