// tg.gradcheck itself: it passes correct functions in 'full' and 'random' modes, and fails (ok=false,
// the worst entry reported; throwOnFail → GradError) when a primitive's vjp is deliberately broken.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { PRIMS } from '../../src/ops/table.js';
import { uniform } from '../support/check.js';

const t64 = (d: ArrayLike<number>, s: number[]) => tg.tensor(Float64Array.from(d), s);
const x = t64(uniform(6, 1), [2, 3]);
const y = t64(uniform(3, 2), [3]);
// a function of two inputs with a non-scalar output, through broadcasting, exp, tanh and matmul
const f = (a: tg.Tensor, b: tg.Tensor) => tg.matmul(tg.tanh(tg.mul(a, tg.exp(b))), tg.reshape(b, [3, 1]));

/** Run `body` with PRIMS[name].vjp replaced by `broken`, restoring it afterwards. */
function withBrokenVjp<T>(name: 'exp' | 'tanh', broken: (typeof PRIMS)['exp']['vjp'], body: () => T): T {
  const saved = PRIMS[name].vjp;
  PRIMS[name].vjp = broken;
  try {
    return body();
  } finally {
    PRIMS[name].vjp = saved;
  }
}

describe('gradcheck on correct functions', () => {
  it("'full' checks every (input entry, output entry) pair and passes", () => {
    const r = tg.gradcheck(f, [x, y], { mode: 'full' });
    expect(r.ok).toBe(true);
    expect(r.mode).toBe('full');
    expect(r.checks).toBe((6 + 3) * 2);
    expect(r.maxRatio).toBeLessThanOrEqual(1);
    expect(r.maxAbsError).toBeLessThan(1e-8);
  });

  it("'random' checks one identity per direction and passes", () => {
    const r = tg.gradcheck(f, [x, y], { mode: 'random', directions: 5, seed: 3 });
    expect(r.ok).toBe(true);
    expect(r.mode).toBe('random');
    expect(r.checks).toBe(5);
    expect(r.worst?.input).toBe(-1);
  });

  it("'auto' picks full for small problems and random for large ones", () => {
    expect(tg.gradcheck(f, [x, y]).mode).toBe('full');
    const big = t64(uniform(5000, 3), [5000]);
    expect(tg.gradcheck((v) => tg.sum(tg.square(v)), [big]).mode).toBe('random');
  });

  it('accepts float32 inputs (checked in float64) and scalar outputs', () => {
    const r = tg.gradcheck(
      (a) => tg.logSumExp(a),
      [
        tg.tensor([
          [0.1, -0.3],
          [1.2, 0.4],
        ]),
      ],
      { mode: 'full' },
    );
    expect(r.ok).toBe(true);
    expect(r.checks).toBe(4);
  });
});

describe('gradcheck catches broken vjps', () => {
  // exp's true rule is g·eˣ; the broken ones are off by a factor or forget the chain rule
  const doubled: (typeof PRIMS)['exp']['vjp'] = (g, { out }) => [tg.mul(tg.mul(g, out), 2)];
  const noChain: (typeof PRIMS)['exp']['vjp'] = (_g, { out }) => [out];

  it("'full' mode: ok=false with the worst entry (input, index, output, analytic vs numeric)", () => {
    const r = withBrokenVjp('exp', doubled, () => tg.gradcheck(f, [x, y], { mode: 'full' }));
    expect(r.ok).toBe(false);
    expect(r.maxRatio).toBeGreaterThan(1);
    const w = r.worst!;
    expect(w.input).toBe(1); // only b goes through exp
    expect(w.index).toBeGreaterThanOrEqual(0);
    expect(w.output).toBeGreaterThanOrEqual(0);
    // the worst entry is the one furthest outside the tolerance atol + rtol·|numeric|
    expect(Math.abs(w.analytic - w.numeric) / (1e-5 + 1e-3 * Math.abs(w.numeric))).toBeCloseTo(r.maxRatio, 9);
    expect(r.maxAbsError).toBeGreaterThanOrEqual(Math.abs(w.analytic - w.numeric));
    expect(Math.abs(w.analytic - w.numeric)).toBeGreaterThan(1e-3);
  });

  it("'random' mode fails too", () => {
    const r = withBrokenVjp('exp', doubled, () => tg.gradcheck(f, [x, y], { mode: 'random', directions: 3 }));
    expect(r.ok).toBe(false);
    expect(r.worst!.input).toBe(-1);
  });

  it('throwOnFail throws a GradError describing the worst entry', () => {
    withBrokenVjp('exp', noChain, () => {
      expect(() => tg.gradcheck(f, [x, y], { mode: 'full', throwOnFail: true })).toThrow(tg.GradError);
      expect(() => tg.gradcheck(f, [x, y], { mode: 'full', throwOnFail: true })).toThrow(
        /^gradcheck failed \(full\): input 1 \[3\] index \d, output \d: analytic .* vs numeric .* \(\|err\| .*, atol 0.00001, rtol 0.001\)$/,
      );
      expect(() => tg.gradcheck(f, [x, y], { mode: 'random', throwOnFail: true })).toThrow(
        /^gradcheck failed \(random\): direction \d/,
      );
    });
  });

  it('a 1% error in a rule is caught at the default tolerances', () => {
    const off: (typeof PRIMS)['tanh']['vjp'] = (g, { out }) => [
      tg.mul(g, tg.mul(tg.sub(1, tg.square(out)), 1.01)),
    ];
    expect(withBrokenVjp('tanh', off, () => tg.gradcheck(f, [x, y], { mode: 'full' })).ok).toBe(false);
    expect(tg.gradcheck(f, [x, y], { mode: 'full' }).ok).toBe(true); // restored
  });

  it('a kink at the point fails (relu at 0: one-sided slopes 0 and 1), a symmetric one does not (|x| at 0)', () => {
    const r = tg.gradcheck((a) => tg.sum(tg.relu(a)), [t64([0, 1], [2])], { mode: 'full' });
    expect(r.ok).toBe(false);
    expect(r.worst).toMatchObject({ input: 0, index: 0, analytic: 0 });
    expect(r.worst!.numeric).toBeCloseTo(0.5, 6);
    expect(tg.gradcheck((a) => tg.sum(tg.abs(a)), [t64([0, 1], [2])], { mode: 'full' }).ok).toBe(true);
  });
});
