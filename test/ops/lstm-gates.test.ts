// The fused LSTM state update (lstmStep → the lstmGates row, whose vjp is the lstmGatesGrad row) against the same
// math as a composition of elementwise rows (split + lstmUpdate): values, gradients and second-order gradients in
// float64, for every activation pair the rows know; which path the layers take; errors that name what is wrong.
// (The rows themselves are gradchecked and compared with naive loops by test/ops/primitives.test.ts.)
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { splitGates } from '../../src/ops/composite/rnn.js';
import { expectClose, uniform } from '../support/check.js';

const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);
const [B, H] = [3, 4];
const ACTS = ['sigmoid', 'tanh', 'relu', 'linear'] as const;

/** z away from 0 (relu's kink) and c positive, so no relu(c') sits at its kink either for these seeds. */
function inputs(seed: number): [tg.Tensor, tg.Tensor] {
  const z = uniform(B * 4 * H, seed, -1.5, 1.5).map((v) => (v < 0 ? v - 0.2 : v + 0.2));
  return [t64(z, [B, 4 * H]), t64(uniform(B * H, seed + 1, 0.3, 1.2), [B, H])];
}

/** The composition the fused row replaces. */
function composed(z: tg.Tensor, c: tg.Tensor, act: tg.ActivationFn, rec: tg.ActivationFn): tg.Tensor[] {
  const [zi, zf, zg, zo] = splitGates(z, 4);
  return tg.lstmUpdate(zi, zf, zg, zo, c, act, rec);
}

describe.each(ACTS.flatMap((a) => ACTS.map((r) => [a, r] as const)))('lstmStep act %s, recAct %s', (a, r) => {
  const act = tg.getActivation(a);
  const rec = tg.getActivation(r);
  const [z, c] = inputs(a.length * 7 + r.length);
  const wh = t64(uniform(B * H, 5), [B, H]);
  const wc = t64(uniform(B * H, 6), [B, H]);
  /** A scalar of both outputs, so the gradient reaches every part of the step. */
  const loss = (step: (z: tg.Tensor, c: tg.Tensor) => tg.Tensor[]) => (zz: tg.Tensor, cc: tg.Tensor) => {
    const [h2, c2] = step(zz, cc);
    return tg.add(tg.sum(tg.mul(h2, wh)), tg.sum(tg.mul(tg.square(c2), wc)));
  };
  const fused = (zz: tg.Tensor, cc: tg.Tensor) => tg.lstmStep(zz, cc, act, rec);
  const plain = (zz: tg.Tensor, cc: tg.Tensor) => composed(zz, cc, act, rec) as [tg.Tensor, tg.Tensor];

  it('runs the fused row', () => {
    const zr = tg.tensor(Float64Array.from(z.data), [B, 4 * H], { requiresGrad: true });
    const [h2] = fused(zr, c);
    expect(h2.node?.op).toBe('slice');
    expect(h2.node?.inputs[0].node?.op).toBe('lstmGates');
  });

  it('values and gradients equal the composition', () => {
    fused(z, c).forEach((y, i) => expectClose(y.data, plain(z, c)[i].data, { rtol: 1e-13, atol: 1e-14 }));
    const gf = tg.grads(loss(fused))(z, c);
    const gp = tg.grads(loss(plain))(z, c);
    gf.forEach((g, i) => expectClose(g.data, gp[i].data, { rtol: 1e-12, atol: 1e-13 }, `d/d${'zc'[i]}`));
  });

  it('second-order gradients equal the composition (lstmGatesGrad differentiated by the tape)', () => {
    const v = t64(uniform(B * 4 * H, 9), [B, 4 * H]);
    // d/d(z, c) of <∇_z loss, v>
    const second = (step: typeof fused) =>
      tg.grads((zz, cc) => tg.sum(tg.mul(tg.grads(loss(step))(zz, cc)[0], v)))(z, c);
    const sf = second(fused);
    const sp = second(plain);
    sf.forEach((g, i) =>
      expectClose(g.data, sp[i].data, { rtol: 1e-10, atol: 1e-12 }, `second d/d${'zc'[i]}`),
    );
  });
});

describe('which path the LSTM layer takes', () => {
  const x = t64(uniform(2 * 3 * 5, 1), [2, 3, 5]);
  const lastOp = (l: tg.Layer) => (l.apply(x) as tg.Tensor).node?.inputs[0].node?.op;

  it('tanh/sigmoid, relu: the fused row; hardSigmoid gates or a custom activation: the composition', () => {
    const mk = (o: Partial<tg.LSTMArgs>) => tg.layers.lstm({ units: 4, dtype: 'float64', ...o });
    expect(lastOp(mk({}))).toBe('lstmGates');
    expect(lastOp(mk({ activation: 'relu' }))).toBe('lstmGates');
    expect(lastOp(mk({ recurrentActivation: 'hard_sigmoid' }))).not.toBe('lstmGates');
    expect(lastOp(mk({ activation: (t: tg.Tensor) => tg.tanh(t) }))).not.toBe('lstmGates');
  });

  it("the fused layer gives the composition's numbers and gradients (custom activation = same math, unfused)", () => {
    const mk = (activation: tg.ActivationSpec) => {
      const l = tg.layers.lstm({ units: 4, dtype: 'float64', activation, returnSequences: true });
      l.buildShape([2, 3, 5]);
      l.setWeights(l.getWeights().map((w, i) => t64(uniform(w.size, 20 + i, -0.6, 0.6), [...w.shape])));
      return l;
    };
    const fusedL = mk('tanh');
    const plainL = mk((t: tg.Tensor) => tg.tanh(t));
    const run = (l: tg.Layer) => {
      const xx = tg.tensor(Float64Array.from(x.data), [...x.shape], { requiresGrad: true });
      const value = tg.sum(tg.square(l.apply(xx) as tg.Tensor));
      value.backward();
      return { value, grads: [xx.grad!, ...l.parameters().map((w) => w.grad!)] };
    };
    const f = run(fusedL);
    const p = run(plainL);
    expectClose(f.value.data, p.value.data, { rtol: 1e-12, atol: 1e-13 });
    f.grads.forEach((g, i) => {
      expect(g.data.some((v) => v !== 0)).toBe(true); // x and every weight get a gradient
      expectClose(g.data, p.grads[i].data, { rtol: 1e-10, atol: 1e-12 }, `grad ${i}`);
    });
  });
});

describe('bad input to the fused rows', () => {
  const [z, c] = inputs(3);
  const p = { act: 'tanh', recAct: 'sigmoid' } as const;

  it('names the op, the operand and the expected shape', () => {
    expect(() => run('lstmGates', [tg.slice(z, [0, 0], [B, 3 * H]), c], p)).toThrow(
      /lstmGates: gate pre-activations z must be \[3, 16\] \(batch, 4·units\).*got \[3,\s?12\]/,
    );
    expect(() => run('lstmGates', [z, tg.reshape(c, [B * H])], p)).toThrow(
      /lstmGates: carry c must be \[batch, units\], got \[12\]/,
    );
    expect(() => run('lstmGatesGrad', [c, z, c], p)).toThrow(
      /lstmGatesGrad: gradient g must be \[3, 8\].*got \[3,\s?4\]/,
    );
  });

  it('refuses an activation it does not know and mixed dtypes, by name', () => {
    expect(() => run('lstmGates', [z, c], { act: 'elu' as 'tanh', recAct: 'sigmoid' })).toThrow(
      /lstmGates: act must be one of sigmoid, tanh, relu, linear, got 'elu'/,
    );
    expect(() => run('lstmGates', [z, tg.cast(c, 'float32')], p)).toThrow(
      /lstmGates: inputs must share one float dtype, got float64, float32/,
    );
  });
});
