// nn.InstanceNorm1d/2d/3d with trackRunningStats against PyTorch 1.13 in float64: three train steps (outputs and the
// running statistics), then eval output and input gradient of sum(y · g), the state dict's keys and values, and a
// fresh module loaded from PyTorch's state dict; the numbers in test/fixtures/torch-interp/interp.json written by
// `/usr/bin/python3 test/fixtures/torch-interp/gen.py`. Then F.instanceNorm with running statistics.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const F = tg.nn.functional;

interface NormCase {
  id: string;
  cls: 'InstanceNorm1d' | 'InstanceNorm2d' | 'InstanceNorm3d';
  c: number;
  kwargs: { affine?: boolean; momentum?: number; eps?: number; track_running_stats: boolean };
  shape: number[];
  steps: { x: number[]; y: number[] }[];
  weight: number[] | null;
  bias: number[] | null;
  evalX: number[];
  evalY: number[];
  g: number[];
  gx: number[];
  stateDict: Record<string, { shape: number[]; data: number[] }>;
  one: number[];
  oneY: number[];
}
const FIX = JSON.parse(
  readFileSync(new URL('../../fixtures/torch-interp/interp.json', import.meta.url), 'utf8'),
) as { norms: NormCase[] };

function close(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, `${what}: size`).toBe(want.length);
  want.forEach((w, i) =>
    expect(Math.abs(got[i] - w), `${what}[${i}]: got ${got[i]}, PyTorch ${w}`).toBeLessThanOrEqual(
      1e-12 + 1e-10 * Math.abs(w),
    ),
  );
}
const f64 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'float64' });
function build(c: NormCase) {
  const m = new nn[c.cls](c.c, {
    affine: c.kwargs.affine ?? false,
    momentum: c.kwargs.momentum,
    eps: c.kwargs.eps,
    trackRunningStats: true,
    dtype: 'float64',
  });
  if (c.weight) m.weight!.data.set(c.weight);
  if (c.bias) m.bias!.data.set(c.bias);
  return m;
}
/** Eval output and input gradient against PyTorch's. */
function checkEval(m: ReturnType<typeof build>, c: NormCase): void {
  const x = f64(c.evalX, c.shape);
  close(m.forward(x).data, c.evalY, 'eval y');
  const g = f64(c.g, c.shape);
  const [gx] = tg.grads((t: tg.Tensor) => tg.sum(tg.mul(m.forward(t), g)))(x);
  close(gx.data, c.gx, 'eval dx');
  // one spatial element is fine in eval with running statistics (unbatched [C, 1, ...])
  close(m.forward(f64(c.one, [c.c, ...c.shape.slice(2).map(() => 1)])).data, c.oneY, 'eval one');
}

describe('InstanceNorm trackRunningStats against PyTorch 1.13', () => {
  for (const c of FIX.norms)
    it(`${c.id}: ${c.cls}(${c.c}, ${JSON.stringify(c.kwargs)}) on ${JSON.stringify(c.shape)}`, () => {
      const m = build(c);
      for (const [i, s] of c.steps.entries()) close(m.forward(f64(s.x, c.shape)).data, s.y, `step ${i} y`);
      m.eval();
      checkEval(m, c);
      // the state dict: PyTorch's keys in its order, and its values (num_batches_tracked stays 0, as PyTorch 1.13)
      const sd = m.stateDict();
      expect(Object.keys(sd)).toEqual(Object.keys(c.stateDict));
      for (const [k, v] of Object.entries(c.stateDict)) {
        expect(sd[k].shape, k).toEqual(v.shape);
        close(sd[k].data, v.data, k);
      }
      // a fresh module loaded from PyTorch's state dict computes PyTorch's eval output
      const fresh = build(c);
      fresh.loadStateDict(
        Object.fromEntries(
          Object.entries(c.stateDict).map(([k, v]) => [
            k,
            tg.tensor(v.data, v.shape, { dtype: k === 'num_batches_tracked' ? 'int32' : 'float64' }),
          ]),
        ),
      );
      fresh.eval();
      checkEval(fresh, c);
    });

  it('training mode normalizes with the input statistics even with running statistics', () => {
    const c = FIX.norms[0];
    const m = build(c);
    const x = f64(c.steps[0].x, c.shape);
    const plain = new nn[c.cls](c.c, { dtype: 'float64' });
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(plain.forward(x).data));
    // without trackRunningStats there are no buffers, and eval mode still uses the input statistics
    plain.eval();
    expect(Object.keys(plain.stateDict())).toEqual([]);
    expect(Array.from(plain.forward(x).data)).toEqual(Array.from(m.forward(x).data));
  });

  it('a state dict without num_batches_tracked loads it as 0, as PyTorch', () => {
    const m = new nn.InstanceNorm1d(2, { trackRunningStats: true, dtype: 'float64' });
    m.loadStateDict({ running_mean: f64([1, 2], [2]), running_var: f64([3, 4], [2]) });
    expect(Array.from(m.runningVar!.data)).toEqual([3, 4]);
  });

  it('refusals: momentum null (PyTorch 1.13 raises in forward), a channel mismatch with running statistics', () => {
    throwsA(tg.ValueError, () => new nn.InstanceNorm2d(3, { momentum: null as unknown as number }), [
      'InstanceNorm2d',
      'momentum=null is not supported',
    ]);
    throwsA(tg.ValueError, () => new nn.InstanceNorm1d(3, { trackRunningStats: 1 as unknown as boolean }), [
      'trackRunningStats must be true or false',
    ]);
    const m = new nn.InstanceNorm1d(3, { trackRunningStats: true });
    throwsA(tg.ShapeError, () => m.forward(tg.zeros([2, 4, 5])), [
      "input's size at dim=1 (4) does not match num_features (3)",
    ]);
    throwsA(tg.ShapeError, () => new nn.InstanceNorm3d(3).forward(tg.zeros([2, 3, 5])), [
      'InstanceNorm3d',
      'expected 4D or 5D input',
    ]);
  });
});

describe('F.instanceNorm with running statistics is the module', () => {
  it('useInputStats true updates runningMean/runningVar in place; false normalizes with them', () => {
    const c = FIX.norms[1];
    const m = build(c);
    const rm = f64([0, 0], [2]);
    const rv = f64([1, 1], [2]);
    const opts = { momentum: c.kwargs.momentum };
    for (const s of c.steps) {
      const x = f64(s.x, c.shape);
      const y = F.instanceNorm(x, rm, rv, m.weight, m.bias, opts);
      expect(Array.from(y.data)).toEqual(Array.from(m.forward(x).data));
    }
    expect(Array.from(rm.data)).toEqual(Array.from(m.runningMean!.data));
    expect(Array.from(rv.data)).toEqual(Array.from(m.runningVar!.data));
    m.eval();
    const x = f64(c.evalX, c.shape);
    close(F.instanceNorm(x, rm, rv, m.weight, m.bias, { useInputStats: false }).data, c.evalY, 'eval y');
  });
  it('useInputStats false needs both running statistics, each [C]', () => {
    const x = tg.zeros([2, 3, 4]);
    // torch: Expected running_mean and running_var to be defined when use_input_stats is false
    throwsA(
      tg.ValueError,
      () => F.instanceNorm(x, tg.zeros([3]), null, null, null, { useInputStats: false }),
      ['Expected running_mean and running_var to be defined when use_input_stats is false'],
    );
    throwsA(tg.ShapeError, () => F.instanceNorm(x, tg.zeros([4]), tg.ones([3])), [
      'instanceNorm',
      'running_mean',
    ]);
  });
});
