// Keras recurrent layers (current Keras defaults) against plain-loop equations over whole sequences:
// returnSequences/returnState/goBackwards, initial and stateful states, dropout in training mode, default
// weights, gradients through time (input and weights), Bidirectional/TimeDistributed, and errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';
import { type Kind, flat, hardSig2, kerasSeq } from '../support/naive-recurrent.js';

const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);
const K: Record<Kind, number> = { simple: 1, lstm: 4, gru: 3 };
const make = (kind: Kind, args: tg.GRUArgs & tg.LSTMArgs): tg.RNNBase =>
  kind === 'simple'
    ? tg.layers.simpleRNN(args)
    : kind === 'lstm'
      ? tg.layers.lstm(args)
      : tg.layers.gru(args);
const rows = (a: ArrayLike<number>, B: number, u: number) =>
  Array.from({ length: B }, (_, n) => Array.from({ length: u }, (_, j) => a[n * u + j]));

/** A float64 layer of `kind` built for [B, T, F] with random weights; returns it and its raw weights. */
function randomLayer(
  kind: Kind,
  B: number,
  T: number,
  F: number,
  u: number,
  args: Partial<tg.GRUArgs & tg.LSTMArgs>,
  seed: number,
) {
  const layer = make(kind, { units: u, dtype: 'float64', ...args });
  layer.buildShape([B, T, F]);
  const ws = layer.getWeights().map((w, i) => uniform(w.size, seed + i, -0.7, 0.7));
  layer.setWeights(ws.map((d, i) => t64(d, [...layer.getWeights()[i].shape])));
  const k = K[kind] * u;
  return {
    layer,
    W: { data: ws[0], rows: F, cols: k },
    U: { data: ws[1], rows: u, cols: k },
    b: ws[2] ?? null,
  };
}

describe('layers over time match plain loops of the Keras equations', () => {
  const [B, T, F, u] = [2, 5, 3, 4];
  const x = uniform(B * T * F, 1);
  const cases: [Kind, Partial<tg.GRUArgs>][] = [
    ['simple', {}],
    ['simple', { activation: 'relu', useBias: false }],
    ['lstm', {}],
    ['lstm', { activation: 'relu' }],
    ['gru', {}],
    ['gru', { resetAfter: false }],
    ['gru', { recurrentActivation: (v: tg.Tensor) => tg.hardSigmoid(v, true), useBias: false }],
  ];
  for (const [kind, args] of cases)
    for (const goBackwards of [false, true])
      it(`${kind} ${JSON.stringify(args)} goBackwards=${goBackwards}: sequences, last output and states`, () => {
        const { layer, W, U, b } = randomLayer(
          kind,
          B,
          T,
          F,
          u,
          { ...args, goBackwards, returnSequences: true, returnState: true },
          10,
        );
        const ref = kerasSeq(kind, x, [B, T, F], W, U, b, {
          units: u,
          goBackwards,
          resetAfter: (args as tg.GRUArgs).resetAfter,
          act: args.activation === 'relu' ? (v) => Math.max(0, v) : undefined,
          recAct: args.recurrentActivation ? hardSig2 : undefined,
        });
        const out = layer.apply(t64(x, [B, T, F])) as tg.Tensor[];
        expect(out.length).toBe(kind === 'lstm' ? 3 : 2);
        expect(out[0].shape).toEqual([B, T, u]);
        expectClose(
          out[0].data,
          flat(ref.seq),
          { rtol: 1e-12, atol: 1e-12 },
          'sequence (in processing order)',
        );
        expectClose(out[1].data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'final h');
        if (kind === 'lstm') expectClose(out[2].data, flat(ref.c), { rtol: 1e-12, atol: 1e-12 }, 'final c');
        // returnSequences false gives the last processed step
        const last = make(kind, { units: u, dtype: 'float64', ...args, goBackwards });
        last.buildShape([B, T, F]);
        last.setWeights(layer.getWeights());
        const y = last.apply(t64(x, [B, T, F])) as tg.Tensor;
        expect(y.shape).toEqual([B, u]);
        expectClose(y.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'last output');
      });

  it('initial states as extra inputs ([x, h0, c0]) and as kwargs.initialState', () => {
    const { layer, W, U, b } = randomLayer('lstm', B, T, F, u, {}, 20);
    const h0 = uniform(B * u, 3);
    const c0 = uniform(B * u, 4);
    const ref = kerasSeq('lstm', x, [B, T, F], W, U, b, { units: u, h0: rows(h0, B, u), c0: rows(c0, B, u) });
    const y = layer.apply([t64(x, [B, T, F]), t64(h0, [B, u]), t64(c0, [B, u])]) as tg.Tensor;
    expectClose(y.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'with initial states');
    const y2 = layer.apply(t64(x, [B, T, F]), {
      initialState: [t64(h0, [B, u]), t64(c0, [B, u])],
    }) as tg.Tensor;
    expectClose(y2.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'initialState kwarg');
    expect(() => layer.apply([t64(x, [B, T, F]), t64(h0, [B, u])])).toThrow(
      /expected 2 initial state tensors \(h and c/,
    );
    expect(() =>
      layer.apply([t64(x, [B, T, F]), tg.zeros([B, u + 1], { dtype: 'float64' }), t64(c0, [B, u])]),
    ).toThrow(/initial state 0 must be \[2, 4\]/);
  });

  it('stateful: two calls continue one sequence; resetStates starts again from zeros', () => {
    const { layer, W, U, b } = randomLayer('gru', B, T, F, u, { stateful: true }, 30);
    const x2 = uniform(B * T * F, 2);
    const both = new Float64Array(B * 2 * T * F);
    for (let n = 0; n < B; n++) {
      both.set(x.slice(n * T * F, (n + 1) * T * F), n * 2 * T * F);
      both.set(x2.slice(n * T * F, (n + 1) * T * F), n * 2 * T * F + T * F);
    }
    const ref = kerasSeq('gru', both, [B, 2 * T, F], W, U, b, { units: u });
    layer.apply(t64(x, [B, T, F]));
    const y = layer.apply(t64(x2, [B, T, F])) as tg.Tensor;
    expectClose(y.data, flat(ref.h), { rtol: 1e-12, atol: 1e-12 }, 'second call continues');
    layer.resetStates();
    const fresh = kerasSeq('gru', x, [B, T, F], W, U, b, { units: u });
    expectClose(
      (layer.apply(t64(x, [B, T, F])) as tg.Tensor).data,
      flat(fresh.h),
      { rtol: 1e-12, atol: 1e-12 },
      'after resetStates',
    );
    // a symbolic application (shape inference on zeros) leaves the carried states alone
    const before = layer.states![0].toFlatArray();
    layer.apply(tg.input({ shape: [T, F], dtype: 'float64' }));
    expect(Array.from(layer.states![0].data)).toEqual(Array.from(before));
    expect(() => make('gru', { units: 2 }).resetStates()).toThrow(/resetStates needs a stateful layer/);
  });
});

describe('defaults (current Keras)', () => {
  it('weights: kernel [in, k·u] glorot, recurrent_kernel [u, k·u] orthogonal, bias zeros (LSTM forget gate 1, GRU [2, 3u])', () => {
    const l = tg.layers.lstm({ units: 3 });
    l.buildShape([1, 4, 5]);
    expect(l.weights.map((w) => [w.name, w.value.shape])).toEqual([
      ['kernel', [5, 12]],
      ['recurrent_kernel', [3, 12]],
      ['bias', [12]],
    ]);
    expect(Array.from(l.bias!.data)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const lim = Math.sqrt(6 / (5 + 12));
    expect(Math.max(...Array.from(l.kernel.data, Math.abs))).toBeLessThanOrEqual(lim);
    // orthogonal: U·Uᵀ = I for the [3, 12] recurrent kernel (orthonormal rows)
    const Ut = l.recurrentKernel.data;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 12; k++) s += Ut[i * 12 + k] * Ut[j * 12 + k];
        expect(s).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    const noForget = tg.layers.lstm({ units: 2, unitForgetBias: false });
    noForget.buildShape([1, 1, 1]);
    expect(Array.from(noForget.bias!.data)).toEqual(new Array(8).fill(0));
    const g = tg.layers.gru({ units: 3 });
    g.buildShape([1, 2, 4]);
    expect(g.weights.map((w) => w.value.shape)).toEqual([
      [4, 9],
      [3, 9],
      [2, 9],
    ]);
    const g2 = tg.layers.gru({ units: 3, resetAfter: false });
    g2.buildShape([1, 2, 4]);
    expect(g2.bias!.shape).toEqual([9]);
    expect(g.getConfig()).toMatchObject({
      reset_after: true,
      recurrent_activation: 'sigmoid',
      activation: 'tanh',
    });
    expect(l.getConfig()).toMatchObject({
      unit_forget_bias: true,
      recurrent_activation: 'sigmoid',
      return_sequences: false,
    });
    expect([
      l.name.startsWith('lstm'),
      g.name.startsWith('gru'),
      tg.layers.simpleRNN({ units: 1 }).name.startsWith('simple_rnn'),
    ]).toEqual([true, true, true]);
  });

  it('default gates are sigmoid, not hard sigmoid (LSTM against the loop with σ)', () => {
    const { layer, W, U, b } = randomLayer('lstm', 1, 3, 2, 2, {}, 40);
    const xx = uniform(6, 41, -3, 3);
    const ref = kerasSeq('lstm', xx, [1, 3, 2], W, U, b, { units: 2 });
    expectClose(
      (layer.apply(t64(xx, [1, 3, 2])) as tg.Tensor).data,
      flat(ref.h),
      { rtol: 1e-12, atol: 1e-12 },
      'sigmoid gates',
    );
  });
});

describe('dropout in training mode', () => {
  /** Linear SimpleRNN with units = features, kernel I, recurrent kernel R, no bias. */
  function linearRnn(F: number, R: 'zero' | 'identity', args: Partial<tg.RNNArgs>) {
    const l = tg.layers.simpleRNN({
      units: F,
      activation: 'linear',
      useBias: false,
      returnSequences: true,
      dtype: 'float64',
      ...args,
    });
    l.buildShape([1, 1, F]);
    const I = Float64Array.from({ length: F * F }, (_, i) => (i % (F + 1) === 0 ? 1 : 0));
    l.setWeights([t64(I, [F, F]), R === 'zero' ? tg.zeros([F, F], { dtype: 'float64' }) : t64(I, [F, F])]);
    return l;
  }
  it('dropout: one input mask per sequence, shared by every step, values 0 or 1/(1-rate)', () => {
    const [B, T, F] = [3, 4, 16];
    const l = linearRnn(F, 'zero', { dropout: 0.5 });
    const y = l.apply(tg.ones([B, T, F], { dtype: 'float64' }), { training: true }) as tg.Tensor;
    const v = Array.from(y.data);
    expect(v.every((e) => e === 0 || e === 2)).toBe(true);
    expect(v.some((e) => e === 0) && v.some((e) => e === 2)).toBe(true);
    for (let n = 0; n < B; n++)
      for (let t = 1; t < T; t++)
        expect(v.slice((n * T + t) * F, (n * T + t + 1) * F)).toEqual(v.slice(n * T * F, (n * T + 1) * F));
    // inference mode: no dropout at all
    expect(
      Array.from((l.apply(tg.ones([B, T, F], { dtype: 'float64' })) as tg.Tensor).data).every((e) => e === 1),
    ).toBe(true);
  });
  it('recurrentDropout: one state mask per sequence applied before the recurrent kernel', () => {
    const [B, T, F] = [2, 3, 16];
    const l = linearRnn(F, 'identity', { recurrentDropout: 0.5 });
    const y = l.apply(tg.ones([B, T, F], { dtype: 'float64' }), { training: true }) as tg.Tensor;
    // h1 = 1, h2 = 1 + m·h1, h3 = 1 + m·h2 with m ∈ {0, 2} per unit: (1, 1, 1) or (1, 3, 7)
    let kept = 0;
    for (let n = 0; n < B; n++)
      for (let j = 0; j < F; j++) {
        const s = [0, 1, 2].map((t) => y.data[(n * T + t) * F + j]);
        expect([
          [1, 1, 1],
          [1, 3, 7],
        ]).toContainEqual(s);
        kept += s[2] === 7 ? 1 : 0;
      }
    expect(kept > 0 && kept < B * F).toBe(true);
  });
});

describe('gradients through time (gradcheck of input and every weight, float64)', () => {
  /** Directional derivative check of sum(y·C) for the input and each weight, one tensor at a time. */
  function checkLayer(layer: tg.Layer, x: tg.Tensor, what: string) {
    const out = (): tg.Tensor => {
      const y = layer.apply(x) as tg.Tensor | tg.Tensor[];
      return Array.isArray(y)
        ? tg.concat(
            y.map((t) => tg.reshape(t, [t.shape[0], -1])),
            1,
          )
        : y;
    };
    const y0 = tg.noGrad(out);
    const C = t64(uniform(y0.size, 99), [...y0.shape]);
    const loss = () => tg.sum(tg.mul(out(), C));
    layer.weights.forEach((w) => (w.value.grad = null));
    x.requiresGrad = true;
    x.grad = null;
    loss().backward();
    const targets: [string, tg.Tensor][] = [
      ['input', x],
      ...layer.weights.map((w): [string, tg.Tensor] => [w.name, w.value]),
    ];
    for (const [name, t] of targets) {
      const g = t.grad!;
      expect(g, `${what}: ${name} has a gradient`).toBeTruthy();
      for (let r = 0; r < 2; r++) {
        const d = uniform(t.size, 1000 + r);
        const orig = Float64Array.from(t.data);
        const at = (s: number) => {
          t.data.set(orig.map((v, i) => v + s * d[i]));
          return tg.noGrad(loss).item();
        };
        const eps = 1e-6;
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        t.data.set(orig);
        const analytic = Array.from(g.data).reduce((a, v, i) => a + v * d[i], 0);
        expect(
          Math.abs(analytic - numeric),
          `${what}: d/d${name} analytic ${analytic} vs numeric ${numeric}`,
        ).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      }
    }
  }
  const [B, T, F, u] = [2, 4, 3, 3];
  const x = () => t64(uniform(B * T * F, 5), [B, T, F]);
  it('SimpleRNN (returnSequences)', () =>
    checkLayer(randomLayer('simple', B, T, F, u, { returnSequences: true }, 50).layer, x(), 'SimpleRNN'));
  it('LSTM (returnState, goBackwards)', () =>
    checkLayer(
      randomLayer('lstm', B, T, F, u, { returnState: true, goBackwards: true }, 51).layer,
      x(),
      'LSTM',
    ));
  it('GRU resetAfter true and false', () => {
    checkLayer(randomLayer('gru', B, T, F, u, { returnSequences: true }, 52).layer, x(), 'GRU');
    checkLayer(randomLayer('gru', B, T, F, u, { resetAfter: false }, 53).layer, x(), 'GRU reset before');
  });
  it('Bidirectional(LSTM) and TimeDistributed(Dense)', () => {
    const bi = tg.layers.bidirectional({
      layer: tg.layers.lstm({ units: 2, returnSequences: true, dtype: 'float64' }),
    });
    bi.apply(x());
    bi.setWeights(bi.getWeights().map((w, i) => t64(uniform(w.size, 60 + i, -0.7, 0.7), [...w.shape])));
    checkLayer(bi, x(), 'Bidirectional');
    const td = tg.layers.timeDistributed({
      layer: tg.layers.dense({ units: 2, activation: 'tanh', dtype: 'float64' }),
    });
    td.apply(x());
    checkLayer(td, x(), 'TimeDistributed');
  });
});
