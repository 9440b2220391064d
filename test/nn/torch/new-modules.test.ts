// The everyday modules of activation-modules.ts, norm-modules.ts and shape-modules.ts against PyTorch 1.13:
// values, input gradients, parameter gradients and state-dict keys of each case in new-modules-data.ts (generated
// by torch_new_modules.py in float64: x = V or 2·sin(0.7·i + 0.3), loss Σ y_j·cos(0.37·j), "set" cases' parameters
// filled with 1 + 0.1·k for weight, 0.2·k - 0.1 for the others).
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { REFS, V } from './new-modules-data.js';

const nn = tg.nn;
const f64 = { dtype: 'float64' } as const;
type M = tg.nn.Module & { forward(x: tg.Tensor): tg.Tensor };
/** The tapegrad spelling of each case's PyTorch constructor (the `torch` field of its ref). */
const MAKE: Record<string, [() => M, boolean?]> = {
  GELU: [() => new nn.GELU()],
  'GELU-tanh': [() => new nn.GELU('tanh')],
  SiLU: [() => new nn.SiLU()],
  Mish: [() => new nn.Mish()],
  LeakyReLU: [() => new nn.LeakyReLU()],
  'LeakyReLU-0.2': [() => new nn.LeakyReLU(0.2)],
  ELU: [() => new nn.ELU()],
  'ELU-0.5': [() => new nn.ELU(0.5)],
  SELU: [() => new nn.SELU()],
  CELU: [() => new nn.CELU()],
  'CELU-2': [() => new nn.CELU(2)],
  Softplus: [() => new nn.Softplus()],
  'Softplus-2-5': [() => new nn.Softplus(2, 5)],
  Softsign: [() => new nn.Softsign()],
  Hardtanh: [() => new nn.Hardtanh()],
  'Hardtanh-2-3': [() => new nn.Hardtanh(-2.5, 3)],
  ReLU6: [() => new nn.ReLU6()],
  Hardsigmoid: [() => new nn.Hardsigmoid()],
  Hardswish: [() => new nn.Hardswish()],
  LogSigmoid: [() => new nn.LogSigmoid()],
  Tanhshrink: [() => new nn.Tanhshrink()],
  Threshold: [() => new nn.Threshold(0.3, -7)],
  'Softmin-0': [() => new nn.Softmin(0)],
  'Softmin-implicit': [() => new nn.Softmin()],
  GLU: [() => new nn.GLU()],
  'GLU-0': [() => new nn.GLU(0)],
  PReLU: [() => new nn.PReLU(1, 0.25, f64)],
  'PReLU-3': [() => new nn.PReLU(3, 0.1, f64)],
  GroupNorm: [() => new nn.GroupNorm(2, 4, f64), true],
  'GroupNorm-noaffine': [() => new nn.GroupNorm(3, 6, { eps: 1e-3, affine: false, ...f64 })],
  InstanceNorm1d: [() => new nn.InstanceNorm1d(3)],
  'InstanceNorm1d-unbatched': [() => new nn.InstanceNorm1d(3, { affine: true, ...f64 }), true],
  InstanceNorm2d: [() => new nn.InstanceNorm2d(2, { affine: true, ...f64 }), true],
  LocalResponseNorm: [() => new nn.LocalResponseNorm(3)],
  'LocalResponseNorm-4d': [() => new nn.LocalResponseNorm(2, 0.1, 0.6, 2)],
  Unflatten: [() => new nn.Unflatten(1, [2, -1])],
  ZeroPad2d: [() => new nn.ZeroPad2d([1, 0, 2, 1])],
  ConstantPad1d: [() => new nn.ConstantPad1d(2, 3.5)],
  ConstantPad2d: [() => new nn.ConstantPad2d([1, -1, 0, 2], -1)],
  ReflectionPad1d: [() => new nn.ReflectionPad1d([2, 1])],
  ReflectionPad2d: [() => new nn.ReflectionPad2d(1)],
  ReplicationPad1d: [() => new nn.ReplicationPad1d(3)],
  ReplicationPad2d: [() => new nn.ReplicationPad2d([0, 2, 1, 3])],
  PixelShuffle: [() => new nn.PixelShuffle(2)],
  'PixelShuffle-5d': [() => new nn.PixelShuffle(3)],
  PixelUnshuffle: [() => new nn.PixelUnshuffle(2)],
  'Upsample-nearest-2': [() => new nn.Upsample({ scaleFactor: 2 })],
  'Upsample-nearest-size': [() => new nn.Upsample({ size: [5, 7] })],
  'Upsample-nearest-1d': [() => new nn.Upsample({ scaleFactor: 1.5 })],
  'Upsample-nearest-recompute': [() => new nn.Upsample({ scaleFactor: 1.7, recomputeScaleFactor: true })],
  'Upsample-bilinear-2': [() => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' })],
  'Upsample-bilinear-ac': [() => new nn.Upsample({ size: [5, 3], mode: 'bilinear', alignCorners: true })],
  'Upsample-bilinear-frac': [() => new nn.Upsample({ scaleFactor: [1.7, 2.3], mode: 'bilinear' })],
  'Upsample-bilinear-ac-1': [() => new nn.Upsample({ size: [1, 5], mode: 'bilinear', alignCorners: true })],
  AvgPool1d: [() => new nn.AvgPool1d(3)],
  'AvgPool1d-pad': [() => new nn.AvgPool1d(3, 2, 1)],
  'AvgPool1d-ceil': [() => new nn.AvgPool1d(4, 3, 2, true, false)],
  'AvgPool1d-unbatched': [() => new nn.AvgPool1d(2)],
};

const flat = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const size = (s: number[]) => s.reduce((a, d) => a * d, 1);
function close(got: ArrayLike<number>, want: number[], what: string, tol = 1e-9): void {
  expect(got.length, `${what} length`).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `${what}[${i}]: ${got[i]} vs ${w}`).toBeLessThan(tol));
}
// NOTE: PyTorch's hardsigmoid_backward multiplies by a float32 1/6 (0.16666667163…) even in float64, 3e-8 off the
// exact 1/6 tapegrad's composition uses: its gradient is compared to 1e-7 relative, the other cases to 1e-9.
const gradTol = (id: string, w: number[]) =>
  id === 'Hardsigmoid' ? 1e-7 * Math.max(...w.map(Math.abs)) : 1e-9;

describe('the new tg.nn modules equal PyTorch 1.13 (values, gradients, state-dict keys)', () => {
  it('every generated case has a tapegrad constructor and the other way round', () => {
    expect(Object.keys(MAKE).sort()).toEqual(REFS.map((r) => r.id).sort());
  });
  for (const r of REFS)
    it(`${r.id}: ${r.torch} on ${JSON.stringify(r.shape)}`, () => {
      const [make, setParams] = MAKE[r.id];
      const m = make();
      const named = m.namedWeights().filter(([, w]) => w.trainable);
      if (setParams)
        m.loadStateDict(
          Object.fromEntries(
            named.map(([k, w]) => [
              k,
              tg.tensor(
                flat(w.value.size, (i) => (k === 'weight' ? 1 + 0.1 * i : 0.2 * i - 0.1)),
                w.value.shape,
                { dtype: 'float64' },
              ),
            ]),
          ),
        );
      const x = tg
        .tensor(r.useV ? V : flat(size(r.shape), (i) => 2 * Math.sin(0.7 * i + 0.3)), r.shape, {
          dtype: 'float64',
        })
        .requireGrad(true);
      const y = m.forward(x);
      expect(y.shape).toEqual(r.outShape);
      close(y.data as ArrayLike<number>, r.y, 'value');
      const w = tg.tensor(
        flat(size(r.outShape), (j) => Math.cos(0.37 * j)),
        r.outShape,
        { dtype: 'float64' },
      );
      tg.sum(tg.mul(y, w)).backward();
      close(x.grad!.data as ArrayLike<number>, r.grad, 'input grad', gradTol(r.id, r.grad));
      for (const [k, g] of Object.entries(r.params)) {
        const p = named.find(([n]) => n === k);
        expect(p, `parameter ${k}`).toBeDefined();
        close(p![1].value.grad!.data as ArrayLike<number>, g, `${k} grad`);
      }
      expect(Object.keys(m.stateDict()).sort()).toEqual(r.state);
    });
});
