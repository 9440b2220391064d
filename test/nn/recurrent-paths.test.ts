// The recurrent layers pick how to compute each step's input projection (one matmul for the sequence when
// nothing records, one per step while recording, x₀·W once for RepeatVector's time-constant input) and skip
// h·U from fresh zero states. Every path must give the numbers of the explicit cells (lstmCell, gruCell,
// simpleRnnCell looped over time with functional ops): outputs and gradients, in float64. Also: Dense and
// Conv2D layers dispatch exactly the ops of the same math written with functional ops.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { onOp } from '../../src/core/tape.js';
import { conv2dWithActivation } from '../../src/ops/composite/conv.js';
import { expectClose, uniform } from '../support/check.js';

type Kind = 'simple' | 'lstm' | 'gru';
const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);
const [B, T, F, U] = [3, 4, 5, 6];

interface Opts {
  kind: Kind;
  activation?: string;
  resetAfter?: boolean;
  goBackwards?: boolean;
}

/** A float64 layer with random weights (built for [B, T, F]). */
function layerOf(o: Opts, seed: number, extra: Partial<tg.GRUArgs & tg.LSTMArgs> = {}): tg.RNNBase {
  const args = {
    units: U,
    dtype: 'float64' as const,
    activation: o.activation ?? 'tanh',
    goBackwards: o.goBackwards ?? false,
    returnSequences: true,
    returnState: true,
    ...extra,
  };
  const l =
    o.kind === 'simple'
      ? tg.layers.simpleRNN(args)
      : o.kind === 'lstm'
        ? tg.layers.lstm(args)
        : tg.layers.gru({ ...args, resetAfter: o.resetAfter ?? true });
  l.buildShape([B, T, F]);
  l.setWeights(l.getWeights().map((w, i) => t64(uniform(w.size, seed + i, -0.6, 0.6), [...w.shape])));
  return l;
}

/** The explicit cells looped over time: [sequence [B, T, U], ...final states]. */
function explicitCells(o: Opts, x: tg.Tensor, ws: tg.Tensor[], init: tg.Tensor[] | null): tg.Tensor[] {
  const [kernel, recurrentKernel, bias] = ws;
  const w = { kernel, recurrentKernel, bias };
  const act = tg.getActivation(o.activation ?? 'tanh');
  const n = o.kind === 'lstm' ? 2 : 1;
  let s = init ?? Array.from({ length: n }, () => tg.zeros([B, U], { dtype: 'float64' }));
  const outs: tg.Tensor[] = [];
  for (let i = 0; i < T; i++) {
    const t = o.goBackwards ? T - 1 - i : i;
    const xt = tg.reshape(tg.slice(x, [0, t, 0], [B, 1, F]), [B, F]);
    if (o.kind === 'lstm') s = tg.lstmCell(xt, s[0], s[1], w, { activation: act });
    else if (o.kind === 'gru')
      s = [tg.gruCell(xt, s[0], w, { activation: act, resetAfter: o.resetAfter ?? true })];
    else s = [tg.simpleRnnCell(xt, s[0], w, { activation: act })];
    outs.push(s[0]);
  }
  return [tg.stack(outs, 1), ...s];
}

/** Σ of every output times fixed random weights: a scalar whose gradient reaches every value. */
function weighted(ys: tg.Tensor[]): tg.Tensor {
  return ys
    .map((y, i) => tg.sum(tg.mul(y, t64(uniform(y.size, 90 + i), [...y.shape]))))
    .reduce((a, b) => tg.add(a, b));
}

const CASES: Opts[] = [
  { kind: 'lstm' },
  { kind: 'lstm', activation: 'relu', goBackwards: true },
  { kind: 'simple', activation: 'relu' },
  { kind: 'gru' },
  { kind: 'gru', resetAfter: false, goBackwards: true },
];

describe('recurrent layers equal the explicit cells on every path (float64)', () => {
  for (const o of CASES) {
    const name = `${o.kind} ${JSON.stringify({ ...o, kind: undefined })}`;
    it(`${name}: outputs and gradients wrt x and every weight, zero and given initial states`, () => {
      const layer = layerOf(o, 10);
      const ws = layer.getWeights().map((w) => t64(w.data, [...w.shape]));
      const x = t64(uniform(B * T * F, 1), [B, T, F]);
      // inference: one matmul over the sequence
      const yInfer = tg.noGrad(() => layer.apply(x)) as tg.Tensor[];
      const yRef = explicitCells(o, x, ws, null);
      yInfer.forEach((y, i) =>
        expectClose(y.data, yRef[i].data, { rtol: 1e-12, atol: 1e-13 }, `output ${i}`),
      );
      // recording: one matmul per step, h·U skipped at the first step; gradients wrt x and the weights
      const xg = t64(x.data, [B, T, F]);
      xg.requiresGrad = true;
      const params = layer.parameters();
      params.forEach((p) => (p.grad = null));
      weighted(layer.apply(xg) as tg.Tensor[]).backward();
      const gRef = tg.grads((xx: tg.Tensor, ...w: tg.Tensor[]) => weighted(explicitCells(o, xx, w, null)))(
        x,
        ...ws,
      );
      expectClose(xg.grad!.data, gRef[0].data, { rtol: 1e-11, atol: 1e-13 }, 'dx');
      params.forEach((p, i) =>
        expectClose(p.grad!.data, gRef[i + 1].data, { rtol: 1e-11, atol: 1e-13 }, `d ${p.name}`),
      );
      // given states: the full first step (h·U computed), also against the cells
      const n = o.kind === 'lstm' ? 2 : 1;
      const init = Array.from({ length: n }, (_, i) => t64(uniform(B * U, 50 + i), [B, U]));
      const yGiven = tg.noGrad(() => layer.apply([x, ...init])) as tg.Tensor[];
      const yGivenRef = explicitCells(o, x, ws, init);
      yGiven.forEach((y, i) =>
        expectClose(y.data, yGivenRef[i].data, { rtol: 1e-12, atol: 1e-13 }, `given-state output ${i}`),
      );
    });
  }

  it('skipping h·U from zero states gives bit-identical values to passing zero states explicitly', () => {
    for (const o of CASES) {
      const layer = layerOf(o, 20);
      const x = t64(uniform(B * T * F, 2), [B, T, F]);
      x.requiresGrad = true;
      const zerosGiven = Array.from({ length: o.kind === 'lstm' ? 2 : 1 }, () =>
        tg.zeros([B, U], { dtype: 'float64' }),
      );
      const a = layer.apply(x) as tg.Tensor[];
      const b = layer.apply([x, ...zerosGiven]) as tg.Tensor[];
      a.forEach((y, i) => expect(Array.from(y.data), `${o.kind} output ${i}`).toEqual(Array.from(b[i].data)));
    }
  });

  it('stateful: the second call starts from the carried states (no zero-state shortcut)', () => {
    const o: Opts = { kind: 'lstm' };
    const layer = layerOf(o, 30, { stateful: true });
    const ws = layer.getWeights().map((w) => t64(w.data, [...w.shape]));
    const x1 = t64(uniform(B * T * F, 3), [B, T, F]);
    const x2 = t64(uniform(B * T * F, 4), [B, T, F]);
    const [, h1, c1] = explicitCells(o, x1, ws, null);
    const ref = explicitCells(o, x2, ws, [h1, c1]);
    layer.apply(x1);
    const got = layer.apply(x2) as tg.Tensor[];
    got.forEach((y, i) => expectClose(y.data, ref[i].data, { rtol: 1e-12, atol: 1e-13 }, `output ${i}`));
  });
});

describe('RepeatVector → LSTM (x₀·W once for a time-constant input) equals the explicit cells', () => {
  it('encoder-decoder: loss and gradients wrt every weight and the input, float64', () => {
    const enc = layerOf({ kind: 'lstm', activation: 'relu' }, 40, {
      returnSequences: false,
      returnState: false,
    });
    const dec = tg.layers.lstm({ units: U, activation: 'relu', returnSequences: true, dtype: 'float64' });
    dec.buildShape([B, T, U]);
    dec.setWeights(dec.getWeights().map((w, i) => t64(uniform(w.size, 60 + i, -0.6, 0.6), [...w.shape])));
    const model = tg.sequential({ layers: [enc, tg.layers.repeatVector({ n: T }), dec] });
    const x = t64(uniform(B * T * F, 5), [B, T, F]);
    const target = t64(uniform(B * T * U, 6), [B, T, U]);
    const wsEnc = enc.getWeights().map((w) => t64(w.data, [...w.shape]));
    const wsDec = dec.getWeights().map((w) => t64(w.data, [...w.shape]));
    // the decoder's cells read the repeated encoder state step by step
    const refLoss = (xx: tg.Tensor, ...w: tg.Tensor[]) => {
      const [, h] = explicitCells({ kind: 'lstm', activation: 'relu' }, xx, w.slice(0, 3), null);
      const rep = tg.broadcastTo(tg.reshape(h, [B, 1, U]), [B, T, U]);
      const [kernel, recurrentKernel, bias] = w.slice(3);
      let s = [tg.zeros([B, U], { dtype: 'float64' }), tg.zeros([B, U], { dtype: 'float64' })];
      const outs: tg.Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const xt = tg.reshape(tg.slice(rep, [0, t, 0], [B, 1, U]), [B, U]);
        s = tg.lstmCell(xt, s[0], s[1], { kernel, recurrentKernel, bias }, { activation: tg.relu });
        outs.push(s[0]);
      }
      return tg.mseLoss(tg.stack(outs, 1), target);
    };
    const xg = t64(x.data, [B, T, F]);
    xg.requiresGrad = true;
    const loss = tg.mseLoss(model.apply(xg) as tg.Tensor, target);
    loss.backward();
    const ref = tg.valueAndGrads(refLoss)(x, ...wsEnc, ...wsDec);
    expectClose([loss.item()], [ref.value.item()], { rtol: 1e-12 }, 'loss');
    expectClose(xg.grad!.data, ref.grads[0].data, { rtol: 1e-10, atol: 1e-13 }, 'dx');
    [...enc.parameters(), ...dec.parameters()].forEach((p, i) =>
      expectClose(p.grad!.data, ref.grads[i + 1].data, { rtol: 1e-10, atol: 1e-13 }, `d ${p.name}`),
    );
    // a recorded forward: the encoder projects each step (T matmuls), the decoder its input once (x₀·W), and
    // each layer multiplies h·U at every step (the zero-state shortcut is off while ops are listened to)
    let matmuls = 0;
    const off = onOp((e) => void (e.op === 'matmul' && matmuls++));
    model.apply(t64(x.data, [B, T, F]));
    off();
    expect(matmuls).toBe(T + 1 + 2 * T);
  });
});

describe('Dense and Conv2D layers run exactly the ops of the same functional math', () => {
  const opsOf = (f: () => unknown): string[] => {
    const seen: string[] = [];
    const off = onOp((e) => seen.push(`${e.op} ${e.out.shape.join('x')}`));
    try {
      f();
    } finally {
      off();
    }
    return seen;
  };
  it('Dense(relu) vs matmul + bias + relu, forward and backward', () => {
    const x = tg.randn([7, 5]);
    const dense = tg.layers.dense({ units: 4, activation: 'relu' });
    dense.apply(x);
    const [w, b] = dense.parameters();
    const layer = opsOf(() => tg.grads(() => tg.sum(dense.apply(x) as tg.Tensor))(w, b));
    const fn = opsOf(() => tg.grads((ww, bb) => tg.sum(tg.relu(tg.add(tg.matmul(x, ww), bb))))(w, b));
    expect(layer).toEqual(fn);
    expect(layer.length).toBeGreaterThan(4);
  });
  it('Conv2D(relu, same) vs conv2d with relu in its epilogue, training and inference; values of conv2d + relu', () => {
    const x = tg.randn([2, 6, 6, 3]);
    const conv = tg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' });
    conv.apply(x);
    const [w, b] = conv.parameters();
    // NOTE: the layer fuses relu into the conv row where the backend has it (one pass fewer than conv2d then relu).
    const fnMath = (ww: tg.Tensor, bb: tg.Tensor) =>
      conv2dWithActivation(x, ww, bb, { padding: 'same' }, 'relu');
    const plain = (ww: tg.Tensor, bb: tg.Tensor) => tg.relu(tg.conv2d(x, ww, bb, { padding: 'same' }));
    const layer = opsOf(() => tg.grads(() => tg.sum(conv.apply(x) as tg.Tensor))(w, b));
    const fn = opsOf(() => tg.grads((ww, bb) => tg.sum(fnMath(ww, bb)))(w, b));
    expect(layer).toEqual(fn);
    const inferLayer = opsOf(() => tg.noGrad(() => conv.apply(x)));
    const inferFn = opsOf(() => tg.noGrad(() => fnMath(w, b)));
    expect(inferLayer).toEqual(inferFn);
    expect(Array.from((conv.apply(x) as tg.Tensor).data)).toEqual(Array.from(plain(w, b).data));
    const gl = tg.grads((ww, bb) => tg.sum(tg.square(fnMath(ww, bb))))(w, b);
    const gp = tg.grads((ww, bb) => tg.sum(tg.square(plain(ww, bb))))(w, b);
    gl.forEach((g, i) => expectClose(g.data, gp[i].data, { rtol: 1e-5, atol: 1e-6 }));
  });
});
