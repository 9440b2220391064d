// PyTorch-style tg.nn.LSTM / GRU / RNN against plain loops of the PyTorch equations (stacked layers,
// bidirectional, batchFirst, initial states, unbatched input), parameter names/layouts/init, gradients.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';
import { type TorchKind, flat, torchDir } from '../support/naive-recurrent.js';

const t64 = (data: ArrayLike<number>, shape: number[]) => tg.tensor(Float64Array.from(data), shape);
type Opts = tg.nn.TorchRNNOptions;

function makeModule(
  kind: TorchKind,
  In: number,
  H: number,
  opts: Opts,
): tg.Layer & { forward: (...a: any[]) => any } {
  const o = { ...opts, dtype: 'float64' as const };
  if (kind === 'lstm') return new tg.nn.LSTM(In, H, o);
  if (kind === 'gru') return new tg.nn.GRU(In, H, o);
  return new tg.nn.RNN(In, H, { ...o, nonlinearity: kind === 'rnn_relu' ? 'relu' : 'tanh' });
}

/** The whole stacked (bi)directional network as plain loops; x time-major xs[t][n][f]. */
function torchNaive(
  kind: TorchKind,
  m: tg.Layer,
  xs: number[][][],
  H: number,
  L: number,
  D: number,
  h0: number[][][],
  c0: number[][][],
) {
  const p = new Map(m.namedParameters().map(([n, t]) => [n, t]));
  let seq = xs;
  const hn: number[][][] = [];
  const cn: number[][][] = [];
  for (let l = 0; l < L; l++) {
    const dirs: ReturnType<typeof torchDir>[] = [];
    for (let d = 0; d < D; d++) {
      const s = `_l${l}${d ? '_reverse' : ''}`;
      const wih = p.get(`weight_ih${s}`)!;
      const whh = p.get(`weight_hh${s}`)!;
      const r = torchDir(
        kind,
        seq,
        { data: wih.data, rows: wih.shape[0], cols: wih.shape[1] },
        { data: whh.data, rows: whh.shape[0], cols: H },
        p.get(`bias_ih${s}`)?.data ?? null,
        p.get(`bias_hh${s}`)?.data ?? null,
        H,
        d === 1,
        h0[l * D + d],
        c0[l * D + d],
      );
      dirs.push(r);
      hn.push(r.h);
      cn.push(r.c);
    }
    seq = seq.map((_, t) => seq[t].map((__, n) => dirs.flatMap((r) => r.outs[t][n])));
  }
  return { out: seq, hn, cn };
}

const zerosNested = (LD: number, B: number, H: number) =>
  Array.from({ length: LD }, () => Array.from({ length: B }, () => new Array(H).fill(0)));
const nest = (a: ArrayLike<number>, [A, B, C]: number[]) =>
  Array.from({ length: A }, (_, i) =>
    Array.from({ length: B }, (_, j) => Array.from({ length: C }, (_, k) => a[(i * B + j) * C + k])),
  );

describe('PyTorch modules match plain loops of the PyTorch equations', () => {
  const [T, B, In, H] = [4, 2, 3, 5];
  const kinds: TorchKind[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];
  const configs: Opts[] = [
    {},
    { numLayers: 2, bidirectional: true },
    { batchFirst: true, bias: false },
    { numLayers: 2, batchFirst: true },
  ];
  for (const kind of kinds)
    for (const opts of configs)
      it(`${kind} ${JSON.stringify(opts)}`, () => {
        const m = makeModule(kind, In, H, opts);
        const L = opts.numLayers ?? 1;
        const D = opts.bidirectional ? 2 : 1;
        const xd = uniform(T * B * In, 3);
        const xs = nest(xd, [T, B, In]);
        // batchFirst: feed [B, T, In] built from the same time-major values
        const xIn = opts.batchFirst ? tg.transpose(t64(xd, [T, B, In]), [1, 0, 2]) : t64(xd, [T, B, In]);
        const withInit = L > 1;
        const h0d = uniform(L * D * B * H, 4);
        const c0d = uniform(L * D * B * H, 5);
        const h0 = withInit ? nest(h0d, [L * D, B, H]) : zerosNested(L * D, B, H);
        const c0 = withInit ? nest(c0d, [L * D, B, H]) : zerosNested(L * D, B, H);
        const hx = withInit
          ? kind === 'lstm'
            ? [t64(h0d, [L * D, B, H]), t64(c0d, [L * D, B, H])]
            : t64(h0d, [L * D, B, H])
          : undefined;
        const [out, st] = hx === undefined ? m.forward(xIn) : m.forward(xIn, hx);
        const ref = torchNaive(kind, m, xs, H, L, D, h0, c0);
        const outTM = opts.batchFirst ? tg.transpose(out, [1, 0, 2]) : out;
        expect(out.shape).toEqual(opts.batchFirst ? [B, T, D * H] : [T, B, D * H]);
        expectClose(outTM.data, flat(ref.out), { rtol: 1e-12, atol: 1e-12 }, 'output');
        const [hn, cn] = kind === 'lstm' ? st : [st, null];
        expect(hn.shape).toEqual([L * D, B, H]);
        expectClose(hn.data, flat(ref.hn), { rtol: 1e-12, atol: 1e-12 }, 'h_n');
        if (cn) expectClose(cn.data, flat(ref.cn), { rtol: 1e-12, atol: 1e-12 }, 'c_n');
      });

  it('unbatched input [T, In] gives output [T, H] and h_n [L·D, H]', () => {
    const m = makeModule('gru', In, H, {});
    const xd = uniform(T * In, 6);
    const [out, hn] = m.forward(t64(xd, [T, In]));
    expect([out.shape, hn.shape]).toEqual([
      [T, H],
      [1, H],
    ]);
    const [outB, hnB] = m.forward(t64(xd, [T, 1, In]));
    expectClose(out.data, outB.data, { rtol: 0, atol: 0 }, 'same as batch of one');
    expectClose(hn.data, hnB.data, { rtol: 0, atol: 0 }, 'h_n same as batch of one');
  });
});

describe('parameters: PyTorch names, layouts, init, counts', () => {
  it('LSTM(10, 20, {numLayers: 2, bidirectional}) names and shapes in PyTorch order', () => {
    const m = new tg.nn.LSTM(10, 20, { numLayers: 2, bidirectional: true });
    const names = m.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`);
    expect(names.slice(0, 5)).toEqual([
      'weight_ih_l0 80x10',
      'weight_hh_l0 80x20',
      'bias_ih_l0 80',
      'bias_hh_l0 80',
      'weight_ih_l0_reverse 80x10',
    ]);
    expect(names[8]).toBe('weight_ih_l1 80x40');
    expect(m.weight_ih_l0.shape).toEqual([80, 10]);
    // PyTorch: 4·20·(10+20+2) per direction in layer 0, 4·20·(40+20+2) in layer 1
    expect(m.countParams()).toBe(2 * (4 * 20 * 32 + 4 * 20 * 62));
    const k = 1 / Math.sqrt(20);
    for (const [, t] of m.namedParameters())
      expect(Math.max(...Array.from(t.data, Math.abs))).toBeLessThanOrEqual(k);
  });
  it('GRU and RNN gate counts; modules start in train mode; inter-layer dropout only in train mode', () => {
    expect(new tg.nn.GRU(3, 4).countParams()).toBe(3 * 4 * (3 + 4 + 2));
    expect(new tg.nn.RNN(3, 4, { bias: false }).countParams()).toBe(4 * (3 + 4));
    const m = new tg.nn.LSTM(3, 8, { numLayers: 2, dropout: 0.5 });
    expect(m.training).toBe(true);
    const x = t64(uniform(3 * 2 * 3, 1), [3, 2, 3]);
    const a = m.forward(x)[0] as tg.Tensor;
    m.eval();
    const b1 = m.forward(x)[0] as tg.Tensor;
    const b2 = m.forward(x)[0] as tg.Tensor;
    expect(Array.from(b1.data)).toEqual(Array.from(b2.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(b1.data));
  });
  it('errors name the module and the expected layout', () => {
    const m = new tg.nn.LSTM(3, 4);
    expect(() => m.forward(tg.zeros([2, 5, 4]))).toThrow(/input_size is 3 but the input has 4 features/);
    expect(() => m.forward(tg.zeros([2, 5, 3]), [tg.zeros([1, 5, 4])] as never)).toThrow(
      /hx must be \[h_0, c_0\]/,
    );
    expect(() => m.forward(tg.zeros([2, 5, 3]), [tg.zeros([2, 5, 4]), tg.zeros([1, 5, 4])])).toThrow(
      /h_0 must be \[1,\s?5,\s?4\]/,
    );
    expect(() => m.forward(tg.zeros([3]))).toThrow(/expected input \[time, batch, features\]/);
    expect(() => new tg.nn.RNN(3, 4, { nonlinearity: 'gelu' as never })).toThrow(
      /nonlinearity must be 'tanh' or 'relu'/,
    );
  });
});

describe('gradients (float64, every parameter and the input)', () => {
  for (const kind of ['lstm', 'gru', 'rnn_tanh'] as TorchKind[])
    it(`${kind} (2 layers, bidirectional): tape gradients vs central differences for x and every parameter`, () => {
      const m = makeModule(kind, 2, 3, { numLayers: 2, bidirectional: true });
      const params = m.namedParameters().map(([, t]) => t);
      const x = t64(uniform(3 * 2 * 2, 7), [3, 2, 2]);
      // analytic gradients from the tape (params are leaves), numeric ones by central differences
      const C = t64(uniform(3 * 2 * 6, 8), [3, 2, 6]);
      params.forEach((p) => (p.grad = null));
      x.requiresGrad = true;
      tg.sum(tg.mul(m.forward(x)[0] as tg.Tensor, C)).backward();
      for (const [i, t] of [x, ...params].entries()) {
        const d = uniform(t.size, 100 + i);
        const orig = Float64Array.from(t.data);
        const val = (s: number) => {
          t.data.set(orig.map((v, j) => v + s * d[j]));
          return tg.noGrad(() => tg.sum(tg.mul(m.forward(x)[0] as tg.Tensor, C))).item();
        };
        const numeric = (val(1e-6) - val(-1e-6)) / 2e-6;
        t.data.set(orig);
        const analytic = Array.from(t.grad!.data).reduce((a, v, j) => a + v * d[j], 0);
        expect(
          Math.abs(analytic - numeric),
          `${kind} tensor ${i}: ${analytic} vs ${numeric}`,
        ).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      }
    });
});

describe('the recorded path (one projection per step) and inference (one over the sequence)', () => {
  const [T, B, In, H] = [9, 3, 4, 6];
  for (const kind of ['lstm', 'gru', 'rnn_tanh'] as TorchKind[])
    it(`${kind} float32 (2 layers, bidirectional): the same bits; backward pads no [T, B, gates] gradient`, () => {
      tg.setSeed(11);
      const o = { numLayers: 2, bidirectional: true };
      const m =
        kind === 'lstm'
          ? new tg.nn.LSTM(In, H, o)
          : kind === 'gru'
            ? new tg.nn.GRU(In, H, o)
            : new tg.nn.RNN(In, H, o);
      const x = tg.tensor(Float32Array.from(uniform(T * B * In, 21)), [T, B, In]);
      const recorded = m.forward(x)[0] as tg.Tensor;
      expect(recorded.requiresGrad).toBe(true);
      const inferred = tg.noGrad(() => m.forward(x)[0] as tg.Tensor);
      expect(Array.from(recorded.data)).toEqual(Array.from(inferred.data));
      const G = (kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1) * H;
      const pads: string[] = [];
      const off = tg.onOp((r) => {
        if (r.op === 'pad') pads.push(r.out.shape.join('×'));
      });
      try {
        tg.sum(m.forward(x)[0] as tg.Tensor).backward();
      } finally {
        off();
      }
      // NOTE: only [1, B, in] slices of each layer's input are padded (and none of the data x, which needs no
      // gradient): T·(T-1) adds of a [T, B, G] projection made a sequence's backward quadratic in its length
      expect(pads.filter((p) => p === `${T}×${B}×${G}`)).toEqual([]);
      expect(pads.filter((p) => p === `${T}×${B}×${In}`)).toEqual([]);
      expect(pads.filter((p) => p === `${T}×${B}×${2 * H}`).length).toBe(2 * T); // layer 2's input, per direction
    });
});

describe('inside a Module', () => {
  class Net extends tg.nn.Module {
    lstm = new tg.nn.LSTM(3, 8, { batchFirst: true });
    fc = new tg.nn.Linear(8, 2);
    forward(x: tg.Tensor): tg.Tensor {
      const [, [h]] = this.lstm.forward(x);
      return this.fc.forward(tg.reshape(h, [x.shape[0], 8]));
    }
  }
  it('summary lists the LSTM outputs flat with PyTorch counts; hooks see [output, h_n, c_n]', () => {
    const net = new Net();
    const text = net.summary({ inputShape: [5, 3], print: false });
    expect(text).toMatch(/lstm\S* \(LSTM\)\s+\[\(None, 5, 8\), \(None, 1, 8\), \(None, 1, 8\)\]\s+416/);
    expect(text).toContain(`Total params: ${4 * 8 * (3 + 8 + 2) + 8 * 2 + 2}`);
    const grads: number[][] = [];
    const off = net.lstm.registerBackwardHook((_l, g) => void grads.push([...g.shape]));
    tg.sum(net.forward(tg.ones([2, 5, 3]))).backward();
    off();
    // only h_n feeds the loss: the hook runs for it (the output and c_n get no gradient)
    expect(grads).toEqual([[1, 2, 8]]);
    expect(net.lstm.weight_hh_l0.grad?.shape).toEqual([32, 8]);
  });
});
