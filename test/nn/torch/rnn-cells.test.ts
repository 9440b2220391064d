// tg.nn.LSTMCell, GRUCell and RNNCell against PyTorch 1.13: the fixture test/fixtures/rnn-cells/torch.json is made by
// gen.py beside it (seeded torch cells in float64: state dicts, inputs, states, outputs and the gradients of
// sum(out_k · R_k) wrt the input, the states and every parameter), for single steps (batched, unbatched, no hx,
// bias=False, relu) and for a 4-step decoder loop (gradient through time). Each case loads torch's state dict and
// compares to 1e-9. Then gradcheck, init, parameters / stateDict, and the error messages.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const nn = tg.nn;
interface Enc {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  kind: 'lstm' | 'gru' | 'rnn';
  opts: { bias?: boolean; nonlinearity?: 'tanh' | 'relu' };
  stateDict: Record<string, Enc>;
  input: Enc;
  hx: Enc | Enc[] | null;
  R: Enc[];
  outputs: Enc[];
  grads: Record<string, Enc>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/rnn-cells/torch.json', import.meta.url), 'utf8'),
) as { sizes: { I: number; H: number; N: number; T: number }; cells: Case[]; decoders: Case[] };
const { I, H, T } = fixture.sizes;

const dec = (e: Enc) => tg.tensor(Float64Array.from(e.data), e.shape);
const leaf = (e: Enc) => dec(e).requireGrad(true);
const stateOf = (sd: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, dec(v)]));
const close = (t: tg.Tensor | null | undefined, e: Enc, what: string, tol = 1e-9) => {
  expect(t, what).toBeTruthy();
  expect(t!.shape, what).toEqual(e.shape);
  const got = Array.from(t!.data);
  const worst = Math.max(0, ...e.data.map((v, i) => Math.abs(got[i] - v)));
  expect(worst, what).toBeLessThan(tol);
};

type Cell = tg.nn.LSTMCell | tg.nn.GRUCell | tg.nn.RNNCell;
const makeCell = (c: Pick<Case, 'kind' | 'opts'>): Cell =>
  c.kind === 'lstm'
    ? new nn.LSTMCell(I, H, { ...c.opts, dtype: 'float64' })
    : c.kind === 'gru'
      ? new nn.GRUCell(I, H, { ...c.opts, dtype: 'float64' })
      : new nn.RNNCell(I, H, { ...c.opts, dtype: 'float64' });
/** One step: [h] or [h, c]. */
const step = (m: Cell, x: tg.Tensor, hx: tg.Tensor[] | null): tg.Tensor[] =>
  m instanceof nn.LSTMCell
    ? m.forward(x, hx ? [hx[0], hx[1]] : undefined)
    : [(m as tg.nn.GRUCell).forward(x, hx ? hx[0] : undefined)];

/** A seq2seq decoder loop as gen.py's: T steps, each next input tanh(fc(h)); returns the stacked h [T, N, H]. */
class Decoder extends nn.Module {
  cell: Cell;
  fc: tg.nn.Linear;
  constructor(c: Pick<Case, 'kind' | 'opts'>) {
    super();
    this.cell = makeCell(c);
    this.fc = new nn.Linear(H, I, { dtype: 'float64' });
  }
  forward(x: tg.Tensor, hx: tg.Tensor[]): tg.Tensor {
    const hs: tg.Tensor[] = [];
    let s = hx;
    for (let t = 0; t < T; t++) {
      s = step(this.cell, x, s);
      hs.push(s[0]);
      x = tg.tanh(this.fc.forward(s[0]));
    }
    return tg.stack(hs, 0);
  }
}

/** Loads torch's state dict, runs, back-propagates sum(out_k · R_k) and compares outputs and every gradient. */
function check(m: tg.nn.Module, c: Case, run: (x: tg.Tensor, hx: tg.Tensor[] | null) => tg.Tensor[]) {
  expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
  expect(m.loadStateDict(stateOf(c.stateDict))).toEqual({ missingKeys: [], unexpectedKeys: [] });
  const x = leaf(c.input);
  const hx = c.hx === null ? null : (Array.isArray(c.hx) ? c.hx : [c.hx]).map(leaf);
  const outs = run(x, hx);
  expect(outs.length).toBe(c.outputs.length);
  outs.forEach((o, k) => close(o, c.outputs[k], `output ${k}`));
  outs
    .map((o, k) => tg.sum(tg.mul(o, dec(c.R[k]))))
    .reduce((a, b) => tg.add(a, b))
    .backward();
  const params = Object.fromEntries(m.namedParameters());
  expect(Object.keys(c.grads).filter((k) => !['input', 'hx0', 'hx1'].includes(k))).toEqual(
    Object.keys(params),
  );
  for (const [k, e] of Object.entries(c.grads)) {
    const t = k === 'input' ? x : k === 'hx0' ? hx![0] : k === 'hx1' ? hx![1] : params[k];
    close(t.grad, e, `grad ${k}`);
  }
}

describe('cells vs PyTorch 1.13 (one step, float64, outputs and gradients to 1e-9)', () => {
  for (const c of fixture.cells)
    it(c.name, () => {
      const m = makeCell(c);
      check(m, c, (x, hx) => step(m, x, hx));
    });
});

describe('a decoder loop vs PyTorch 1.13 (4 steps, gradient through time)', () => {
  for (const c of fixture.decoders)
    it(c.name, () => {
      const m = new Decoder(c);
      check(m, c, (x, hx) => [m.forward(x, hx!)]);
    });
});

describe('gradcheck (float64, input, states and every parameter)', () => {
  const rng = new tg.Rng(5);
  const r = (...s: number[]) => tg.randn(s, { rng, dtype: 'float64' });
  const ok = (res: tg.GradcheckResult, what: string) => {
    if (!res.ok) expect.fail(`${what}: worst ${JSON.stringify(res.worst)} ratio ${res.maxRatio}`);
  };
  /** Runs the cell with the given parameter tensors assigned to its attributes (forward reads them). */
  const withParams = (m: Cell, ps: tg.Tensor[]) => {
    const names = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'];
    ps.forEach((p, i) => ((m as unknown as Record<string, tg.Tensor>)[names[i]] = p));
  };
  for (const kind of ['lstm', 'gru', 'rnn'] as const)
    for (const batched of [true, false])
      it(`${kind} ${batched ? 'batched' : 'unbatched'}`, () => {
        const m = makeCell({ kind, opts: kind === 'rnn' ? { nonlinearity: 'tanh' } : {} });
        const lead = batched ? [2] : [];
        const params = m.parameters().map((p) => tg.add(tg.mul(p, 1), 0)); // fresh leaves' values
        const states = kind === 'lstm' ? [r(...lead, H), r(...lead, H)] : [r(...lead, H)];
        const f = (x: tg.Tensor, ...rest: tg.Tensor[]) => {
          withParams(m, rest.slice(states.length));
          return tg.concat(
            step(m, x, rest.slice(0, states.length)).map((o) => tg.reshape(o, [-1])),
            0,
          );
        };
        ok(tg.gradcheck(f, [r(...lead, I), ...states, ...params], { mode: 'full' }), kind);
      });
});

describe('init, parameters and state dict as PyTorch', () => {
  it('weights drawn as tg.nn.LSTM/GRU/RNN draw them: same seed, same values as layer 0; within ±1/√H', () => {
    const pairs: [() => tg.nn.Module, () => tg.nn.Module][] = [
      [() => new nn.LSTMCell(3, 7), () => new nn.LSTM(3, 7)],
      [() => new nn.GRUCell(3, 7), () => new nn.GRU(3, 7)],
      [() => new nn.RNNCell(3, 7, { bias: false }), () => new nn.RNN(3, 7, { bias: false })],
    ];
    for (const [cell, layer] of pairs) {
      tg.setSeed(42);
      const a = cell().parameters();
      tg.setSeed(42);
      const b = layer().parameters();
      expect(a.length).toBe(b.length);
      a.forEach((p, i) => expect(Array.from(p.data)).toEqual(Array.from(b[i].data)));
      for (const p of a)
        expect(Math.max(...Array.from(p.data, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(7));
    }
  });
  it('parameter names, shapes and counts; bias=false has none of the biases', () => {
    const shapes = (m: tg.nn.Module) => m.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`);
    expect(shapes(new nn.LSTMCell(10, 20))).toEqual([
      'weight_ih 80x10',
      'weight_hh 80x20',
      'bias_ih 80',
      'bias_hh 80',
    ]);
    expect(shapes(new nn.GRUCell(10, 20))).toEqual([
      'weight_ih 60x10',
      'weight_hh 60x20',
      'bias_ih 60',
      'bias_hh 60',
    ]);
    expect(shapes(new nn.RNNCell(10, 20, { bias: false }))).toEqual(['weight_ih 20x10', 'weight_hh 20x20']);
    expect(new nn.LSTMCell(10, 20).parameters().length).toBe(4);
    expect(new nn.GRUCell(3, 4).countParams()).toBe(3 * 4 * (3 + 4 + 2));
    expect(new nn.RNNCell(3, 4, { bias: false }).paramFormula()).toBe('1·4·(3+4) = 28');
    const c = new nn.GRUCell(3, 4, { bias: false });
    expect([c.bias_ih, c.bias_hh]).toEqual([null, null]);
    expect(Object.keys(c.stateDict())).toEqual(['weight_ih', 'weight_hh']);
  });
  it('stateDict / loadStateDict carry a cell to another; a wrong shape is refused by loadStateDict', () => {
    const a = new nn.LSTMCell(3, 4, { dtype: 'float64' });
    const b = new nn.LSTMCell(3, 4, { dtype: 'float64' });
    const x = tg.randn([2, 3], { dtype: 'float64', rng: new tg.Rng(1) });
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const [ha, ca] = a.forward(x);
    const [hb, cb] = b.forward(x);
    expect(Array.from(hb.data)).toEqual(Array.from(ha.data));
    expect(Array.from(cb.data)).toEqual(Array.from(ca.data));
    expect(() => b.loadStateDict({ ...a.stateDict(), weight_hh: tg.zeros([16, 5]) })).toThrow(/weight_hh/);
  });
  it('default float32; hx zeros take the input dtype; training the cell moves its weights', () => {
    const m = new nn.GRUCell(3, 4);
    expect(m.weight_ih.dtype).toBe('float32');
    const y = m.forward(tg.ones([2, 3]));
    expect([y.dtype, y.shape]).toEqual(['float32', [2, 4]]);
    const opt = new tg.SGD(m.parameters(), { lr: 0.5 });
    const before = Array.from(m.weight_hh.data);
    tg.sum(m.forward(tg.ones([2, 3]), m.forward(tg.ones([2, 3])))).backward();
    opt.step();
    expect(Array.from(m.weight_hh.data)).not.toEqual(before);
  });
});

describe('as a Module', () => {
  it('summary shows [h, c] and the PyTorch count (4·8·(3+8+2)); forward hooks see the outputs', () => {
    const m = new nn.LSTMCell(3, 8);
    const text = m.summary({ inputShape: [3], print: false });
    expect(text).toMatch(/\(LSTMCell\)\s+\[\(None, 8\), \(None, 8\)\]\s+416/);
    const seen: number[][] = [];
    const off = m.registerForwardHook(
      (_l, _x, y) => void seen.push(...(y as tg.Tensor[]).map((t) => [...t.shape])),
    );
    m.forward(tg.ones([2, 3]));
    off();
    expect(seen).toEqual([
      [2, 8],
      [2, 8],
    ]);
  });
});

describe('errors name the module and both shapes', () => {
  it('input size, rank, hx batch and hidden size', () => {
    const l = new nn.LSTMCell(3, 4, { name: 'dec' });
    expect(() => l.forward(tg.zeros([2, 5]))).toThrow(
      /^dec \(LSTMCell\): input has inconsistent input_size: got 5 expected 3 \(input \[2,\s?5\], weight_ih \[16,\s?3\]\)/,
    );
    expect(() => l.forward(tg.zeros([2, 3]), [tg.zeros([3, 4]), tg.zeros([2, 4])])).toThrow(
      /dec \(LSTMCell\): input batch size 2 doesn't match hx\[0\] \(h\) batch size 3 \(input \[2,\s?3\], hx\[0\] \(h\) \[3,\s?4\]\)/,
    );
    expect(() => l.forward(tg.zeros([2, 3]), [tg.zeros([2, 4]), tg.zeros([2, 5])])).toThrow(
      /hx\[1\] \(c\) must be \[2,\s?4\] \(batch, hidden_size\) for input \[2,\s?3\], got \[2,\s?5\]/,
    );
    expect(() => l.forward(tg.zeros([2, 3]), [tg.zeros([2, 4])] as never)).toThrow(
      /dec \(LSTMCell\): hx must be a pair \[h, c\], got 1 element\(s\)/,
    );
    const g = new nn.GRUCell(3, 4);
    expect(() => g.forward(tg.zeros([2, 3, 3]))).toThrow(
      /\(GRUCell\): expected input to be 1-D \[input_size\] or 2-D \[batch, input_size\], got \[2,\s?3,\s?3\]/,
    );
    expect(() => g.forward(tg.zeros([3]), tg.zeros([1, 4]))).toThrow(
      /\(GRUCell\): hx must be \[4\] \(hidden_size, for unbatched input\) for input \[3\], got \[1,\s?4\]/,
    );
    expect(() => new nn.RNNCell(3, 4).forward(tg.zeros([2, 3]), 'h' as never)).toThrow(
      /\(RNNCell\): hx must be a Tensor \[2,\s?4\], got a string/,
    );
  });
  it('constructor arguments', () => {
    expect(() => new nn.RNNCell(3, 4, { nonlinearity: 'gelu' as never })).toThrow(
      `RNNCell: nonlinearity must be 'tanh' or 'relu', got "gelu"`,
    );
    expect(() => new nn.GRUCell(3, 0)).toThrow('GRUCell: hidden_size must be a positive integer, got 0');
    expect(() => new nn.LSTMCell(2.5, 4)).toThrow('LSTMCell: input_size must be a positive integer, got 2.5');
    expect(() => new nn.LSTMCell(3, 4, { bias: 0 as never })).toThrow(
      'LSTMCell: bias must be true or false, got 0',
    );
    expect(() => new nn.LSTMCell(3, 4, false as never)).toThrow(/LSTMCell/);
    expect(() => new nn.GRUCell(3, 4, { nonlinearity: 'relu' } as never)).toThrow(
      /^GRUCell: unknown option 'nonlinearity' \(known: bias, name, dtype\)/,
    );
  });
});
