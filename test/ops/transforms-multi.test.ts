// hvp, jvp, jacobian and hessian in their multi-argument / multi-output forms, against central finite
// differences in float64 and Hessians worked out by hand; gradients of a jvp result (closure and module weight).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';

const t64 = (d: ArrayLike<number>, s: number[]) => tg.tensor(Float64Array.from(d), s);
const rnd = (s: number[], seed: number) =>
  t64(
    uniform(
      s.reduce((a, b) => a * b, 1),
      seed,
      -1,
      1,
    ),
    s,
  );
const H = 1e-6;
const tol = { rtol: 1e-6, atol: 1e-8 };

/** Flattened outputs of f (one tensor or a list) at xs, in float64, outside any recording. */
const evalFlat = (f: (...xs: tg.Tensor[]) => tg.Tensor | tg.Tensor[], xs: tg.Tensor[]): number[] =>
  tg.noGrad(() => {
    const out = f(...xs);
    return (Array.isArray(out) ? out : [out]).flatMap((o) => Array.from(o.data));
  });
/** Central difference of f along the directions ds (one per input). */
function fdDir(
  f: (...xs: tg.Tensor[]) => tg.Tensor | tg.Tensor[],
  xs: tg.Tensor[],
  ds: tg.Tensor[],
): number[] {
  const at = (s: number) =>
    xs.map((x, i) =>
      t64(
        Array.from(x.data, (v, k) => v + s * ds[i].data[k]),
        [...x.shape],
      ),
    );
  const p = evalFlat(f, at(H));
  const m = evalFlat(f, at(-H));
  return p.map((v, k) => (v - m[k]) / (2 * H));
}
/** Finite-difference Jacobian of all outputs (flattened) w.r.t. input i: [outs, in_i]. */
function fdJac(f: (...xs: tg.Tensor[]) => tg.Tensor | tg.Tensor[], xs: tg.Tensor[], i: number): number[][] {
  const cols: number[][] = [];
  for (let k = 0; k < xs[i].size; k++) {
    const ds = xs.map((x, j) =>
      t64(
        Array.from({ length: x.size }, (_, q) => (j === i && q === k ? 1 : 0)),
        [...x.shape],
      ),
    );
    cols.push(fdDir(f, xs, ds));
  }
  return cols[0].map((_, o) => cols.map((c) => c[o]));
}

const f2 = (a: tg.Tensor, b: tg.Tensor) => tg.mul(tg.sin(tg.matmul(a, b)), tg.sum(tg.exp(b))); // [2,2]
const fOuts = (x: tg.Tensor) => [tg.tanh(x), tg.reshape(tg.sum(tg.mul(x, x)), [1])];
const fBoth = (a: tg.Tensor, b: tg.Tensor) => [tg.mul(a, tg.sum(b)), tg.sin(tg.matmul(a, b))];

describe('jacobian: several inputs, several outputs', () => {
  const a = rnd([2, 3], 1);
  const b = rnd([3, 2], 2);
  it('inputs [a, b]: one Jacobian per input, [...out, ...in_i]', () => {
    const [ja, jb] = tg.jacobian(f2, [a, b]);
    expect(ja.shape).toEqual([2, 2, 2, 3]);
    expect(jb.shape).toEqual([2, 2, 3, 2]);
    expectClose(ja.data, fdJac(f2, [a, b], 0).flat(), tol, 'dJ/da');
    expectClose(jb.data, fdJac(f2, [a, b], 1).flat(), tol, 'dJ/db');
  });
  it('f returning [tanh(x), Σx²]: one Jacobian per output', () => {
    const x = rnd([3], 3);
    const [j0, j1] = tg.jacobian(fOuts, x);
    expect(j0.shape).toEqual([3, 3]);
    expect(j1.shape).toEqual([1, 3]);
    // by hand: diag(1 − tanh²x) and 2xᵀ
    const want0 = Array.from({ length: 9 }, (_, k) => (k % 4 === 0 ? 1 - Math.tanh(x.data[k / 4]) ** 2 : 0));
    expectClose(j0.data, want0, { rtol: 1e-12, atol: 1e-14 }, 'd tanh');
    expectClose(
      j1.data,
      Array.from(x.data, (v) => 2 * v),
      { rtol: 1e-12, atol: 1e-14 },
      'd Σx²',
    );
  });
  it('both: J[out][in]', () => {
    const aa = rnd([2, 2], 4);
    const bb = rnd([2, 2], 5);
    const J = tg.jacobian(fBoth, [aa, bb]);
    expect(J.map((r) => r.map((j) => j.shape))).toEqual([
      [
        [2, 2, 2, 2],
        [2, 2, 2, 2],
      ],
      [
        [2, 2, 2, 2],
        [2, 2, 2, 2],
      ],
    ]);
    for (let i = 0; i < 2; i++) {
      const fd = fdJac(fBoth, [aa, bb], i); // rows: out0 (4) then out1 (4)
      expectClose(J[0][i].data, fd.slice(0, 4).flat(), tol, `J[0][${i}]`);
      expectClose(J[1][i].data, fd.slice(4).flat(), tol, `J[1][${i}]`);
    }
  });
});

describe('jvp: several inputs, several outputs', () => {
  it('Σᵢ Jᵢ·tᵢ for f(a, b) equals the directional difference', () => {
    const xs = [rnd([2, 3], 6), rnd([3, 2], 7)];
    const ts = [rnd([2, 3], 8), rnd([3, 2], 9)];
    const r = tg.jvp(f2, xs, ts);
    expect(r.jvp.shape).toEqual([2, 2]);
    expectClose(r.value.data, evalFlat(f2, xs), { rtol: 1e-14, atol: 0 }, 'value');
    expectClose(r.jvp.data, fdDir(f2, xs, ts), tol, 'J·t');
  });
  it('one product per output', () => {
    const xs = [rnd([2, 2], 10), rnd([2, 2], 11)];
    const ts = [rnd([2, 2], 12), rnd([2, 2], 13)];
    const r = tg.jvp(fBoth, xs, ts);
    expect(r.jvp.map((j) => j.shape)).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expectClose([...r.jvp[0].data, ...r.jvp[1].data], fdDir(fBoth, xs, ts), tol, 'J·t per output');
  });
  it('a gradient of a jvp result is not zero: d/dx Σ J(x)·t for f = sin(x)·x is (2cos x − x sin x)·t', () => {
    const x0 = t64([0.3, -0.7], [2]);
    const t = t64([1, 2], [2]);
    const g = tg.grad((x) => tg.sum(tg.jvp((y: tg.Tensor) => tg.mul(tg.sin(y), y), x, t).jvp))(x0);
    const want = [0.3, -0.7].map((x, i) => (2 * Math.cos(x) - x * Math.sin(x)) * [1, 2][i]);
    expectClose(g.data, want, { rtol: 1e-12, atol: 1e-14 }, 'grad of jvp');
  });
  it('… and reaches a module weight the function reads: d/dW Σ J·t for f = sin(x)·W is cos(x)·t', () => {
    const lin = new tg.nn.Linear(2, 2, { bias: false, dtype: 'float64' });
    lin.weight.data.set([0.5, -1, 2, 0.25]);
    const x0 = t64([0.3, -0.7], [1, 2]);
    const t = t64([1, 2], [1, 2]);
    tg.sum(tg.jvp((x: tg.Tensor) => tg.tanh(lin.forward(x)), x0, t).jvp).backward();
    // J·t = (1 − tanh²(Wx))⊙(W t); check against finite differences of W ↦ Σ J(W)·t
    const Jt = (W: tg.Tensor) =>
      tg.noGrad(() => {
        const z = tg.matmul(x0, W, { transB: true });
        return tg.sum(tg.mul(tg.sub(1, tg.square(tg.tanh(z))), tg.matmul(t, W, { transB: true })));
      });
    const W0 = Array.from(lin.weight.data);
    const fd = W0.map((_, k) => {
      const p = W0.slice();
      const m = W0.slice();
      p[k] += H;
      m[k] -= H;
      return (Jt(t64(p, [2, 2])).item() - Jt(t64(m, [2, 2])).item()) / (2 * H);
    });
    expectClose(lin.weight.grad!.data, fd, tol, 'dW of Σ J·t');
  });
});

describe('hessian and hvp', () => {
  it('hessian of Σx³ + x₀x₁ by hand: diag(6x) plus the cross term', () => {
    const x = t64([0.5, -1.5, 2], [3]);
    const h = tg.hessian(
      (y) => tg.add(tg.sum(tg.pow(y, 3)), tg.mul(tg.slice(y, [0], [1]), tg.slice(y, [1], [1]))),
      x,
    );
    expect(h.shape).toEqual([3, 3]);
    expectClose(h.data, [3, 1, 0, 1, -9, 0, 0, 0, 12], { rtol: 1e-12, atol: 1e-12 });
  });
  it('hessian over [a, b] of Σ a²b by hand: H_aa = diag(2b), H_ab = diag(2a), H_bb = 0', () => {
    const a = t64([0.5, -1], [2]);
    const b = t64([2, 3], [2]);
    const Hm = tg.hessian((p, q) => tg.sum(tg.mul(tg.mul(p, p), q)), [a, b]);
    expectClose(Hm[0][0].data, [4, 0, 0, 6], { rtol: 1e-12, atol: 1e-12 }, 'H_aa');
    expectClose(Hm[0][1].data, [1, 0, 0, -2], { rtol: 1e-12, atol: 1e-12 }, 'H_ab');
    expectClose(Hm[1][0].data, [1, 0, 0, -2], { rtol: 1e-12, atol: 1e-12 }, 'H_ba');
    expectClose(Hm[1][1].data, [0, 0, 0, 0], { rtol: 1e-12, atol: 1e-12 }, 'H_bb');
  });
  it('hvp over [a, b] equals finite differences of the gradients along v', () => {
    const f = (p: tg.Tensor, q: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(p, q)));
    const xs = [rnd([2, 3], 14), rnd([3, 2], 15)];
    const vs = [rnd([2, 3], 16), rnd([3, 2], 17)];
    const hv = tg.hvp(f, xs, vs);
    const gradsFlat = (...ys: tg.Tensor[]) => tg.grads(f)(...ys);
    expectClose([...hv[0].data, ...hv[1].data], fdDir(gradsFlat, xs, vs), tol, 'H·v');
  });
  it('bad arguments are named', () => {
    const x = t64([1, 2], [2]);
    expect(() => tg.hvp((a, b) => tg.sum(tg.mul(a, b)), [x, x], [x])).toThrow('hvp: 2 argument(s) but 1 v');
    expect(() => tg.jvp((a) => a, [x], [t64([1], [1])])).toThrow("jvp: tangent [1] must have x's shape [2]");
    expect(() => tg.jacobian((() => 3) as never, x)).toThrow(/jacobian: f must return a Tensor/);
  });
});
