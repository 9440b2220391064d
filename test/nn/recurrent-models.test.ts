// Recurrent layers inside models: Keras parameter counts (computed here from the formulas), the seed
// encoder-decoder's shapes, functional use with returnState, wrapper options, and the rank error.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';

/** Keras parameter counts: g gate blocks of units·(in + units) weights plus biases. */
const lstmParams = (inDim: number, u: number) => 4 * (u * (inDim + u) + u);
const gruParams = (inDim: number, u: number, resetAfter = true) =>
  3 * (u * (inDim + u) + (resetAfter ? 2 : 1) * u);
const rnnParams = (inDim: number, u: number) => u * (inDim + u) + u;
const denseParams = (inDim: number, u: number) => inDim * u + u;

/** The `Param #` column of a summary table by layer name. */
function paramColumn(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const r = line.match(/^(\S+) \((\w+)\)\s+(\(.*?\)|\[.*?\])\s+([\d,]+)/);
    if (r) m.set(r[1], Number(r[4].replace(/,/g, '')));
  }
  return m;
}

describe('parameter counts (Keras formulas)', () => {
  it('LSTM(200) on 2 features has 4·(200·(2+200)+200) = 162,400', () => {
    const l = tg.layers.lstm({ units: 200 });
    l.buildShape([1, 6, 2]);
    expect(l.countParams()).toBe(162400);
    expect(lstmParams(2, 200)).toBe(162400);
    expect(l.paramFormula()).toBe('4·(200·(2+200)+200) = 162,400');
  });
  it('GRU (both bias layouts), SimpleRNN and Bidirectional', () => {
    const cases: [tg.Layer, number][] = [
      [tg.layers.gru({ units: 7 }), gruParams(5, 7)],
      [tg.layers.gru({ units: 7, resetAfter: false }), gruParams(5, 7, false)],
      [tg.layers.simpleRNN({ units: 7 }), rnnParams(5, 7)],
      [tg.layers.simpleRNN({ units: 7, useBias: false }), 7 * 12],
      [tg.layers.bidirectional({ layer: tg.layers.lstm({ units: 7 }) }), 2 * lstmParams(5, 7)],
    ];
    for (const [l, n] of cases) {
      l.apply(tg.zeros([1, 3, 5]));
      expect(l.countParams(), l.name).toBe(n);
    }
  });

  it('the seed encoder-decoder: output (1, 1, 2) for one sample and Keras counts in the summary', () => {
    const model = tg.sequential({
      layers: [
        tg.layers.lstm({ units: 200, activation: 'relu', inputShape: [6, 2] }),
        tg.layers.repeatVector({ n: 1 }),
        tg.layers.lstm({ units: 200, activation: 'relu', returnSequences: true }),
        tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 100, activation: 'relu' }) }),
        tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 2 }) }),
      ],
    });
    const expected = [
      lstmParams(2, 200),
      0,
      lstmParams(200, 200),
      denseParams(200, 100),
      denseParams(100, 2),
    ];
    expect(expected).toEqual([162400, 0, 320800, 20100, 202]);
    const text = model.summary({ print: false });
    const cols = [...paramColumn(text).values()];
    expect(cols).toEqual(expected);
    const total = expected.reduce((a, b) => a + b, 0);
    expect(text).toContain(`Total params: ${total.toLocaleString('en-US')}`);
    expect(text).toMatch(/\(None, 1, 2\)/);
    const x = tg.tensor(Float32Array.from(uniform(81 * 6 * 2, 3)), [81, 6, 2]);
    expect((model.predict(tg.slice(x, [0, 0, 0], [1, 6, 2])) as tg.Tensor).shape).toEqual([1, 1, 2]);
    expect((model.predict(x) as tg.Tensor).shape).toEqual([81, 1, 2]);
  });
});

describe('functional API and wrappers', () => {
  it('returnState gives [output, h, c] symbolic outputs usable as a decoder initial state', () => {
    const enc = tg.layers.lstm({ units: 4, returnState: true });
    const inp = tg.input({ shape: [5, 3] });
    const [y, h, c] = enc.apply(inp) as tg.SymbolicTensor[];
    expect([y.shape, h.shape, c.shape]).toEqual([
      [null, 4],
      [null, 4],
      [null, 4],
    ]);
    const dec = tg.layers.lstm({ units: 4, returnSequences: true });
    const dIn = tg.input({ shape: [2, 3] });
    const out = dec.apply([dIn, h, c]) as tg.SymbolicTensor;
    expect(out.shape).toEqual([null, 2, 4]);
    const model = tg.model({ inputs: [inp, dIn], outputs: out });
    const xe = tg.tensor(Float32Array.from(uniform(2 * 5 * 3, 1)), [2, 5, 3]);
    const xd = tg.tensor(Float32Array.from(uniform(2 * 2 * 3, 2)), [2, 2, 3]);
    const got = model.predict([xe, xd]) as tg.Tensor;
    // the same computation by hand: the decoder starts from the encoder's final states
    const [, h1, c1] = enc.apply(xe) as tg.Tensor[];
    const want = dec.apply([xd, h1, c1]) as tg.Tensor;
    expectClose(got.data, want.data, { rtol: 1e-6, atol: 1e-7 }, 'decoder from encoder states');
  });

  it('Bidirectional: mergeMode null returns both directions, returnState appends both states, weights forward then backward', () => {
    const bi = tg.layers.bidirectional({
      layer: tg.layers.gru({ units: 3, returnSequences: true, returnState: true }),
      mergeMode: null,
    });
    const x = tg.tensor(Float32Array.from(uniform(2 * 4 * 5, 4)), [2, 4, 5]);
    const outs = bi.apply(x) as tg.Tensor[];
    expect(outs.map((t) => t.shape)).toEqual([
      [2, 4, 3],
      [2, 4, 3],
      [2, 3],
      [2, 3],
    ]);
    expect(bi.weights.map((w) => w.value)).toEqual([
      ...bi.forwardLayer.weights.map((w) => w.value),
      ...bi.backwardLayer.weights.map((w) => w.value),
    ]);
    expect([bi.forwardLayer.name, bi.backwardLayer.name, bi.backwardLayer.goBackwards]).toEqual([
      `forward_${bi.forwardLayer.name.slice(8)}`,
      `backward_${bi.forwardLayer.name.slice(8)}`,
      true,
    ]);
    // the backward output is re-reversed: its first time step is the backward pass's final state
    expectClose(
      tg.reshape(tg.slice(outs[1], [0, 0, 0], [2, 1, 3]), [2, 3]).data,
      outs[3].data,
      { rtol: 0, atol: 0 },
      'backward aligned in time',
    );
    expectClose(
      tg.reshape(tg.slice(outs[0], [0, 3, 0], [2, 1, 3]), [2, 3]).data,
      outs[2].data,
      { rtol: 0, atol: 0 },
      'forward last step',
    );
    expect(() => tg.layers.bidirectional({ layer: tg.layers.dense({ units: 2 }) as never })).toThrow(
      /must be a recurrent layer/,
    );
    expect(() =>
      tg.layers.bidirectional({ layer: tg.layers.lstm({ units: 2 }), mergeMode: 'max' as never }),
    ).toThrow(/mergeMode must be/);
  });

  it('TimeDistributed passes the training flag to the wrapped layer and rejects rank-2 input', () => {
    const td = tg.layers.timeDistributed({ layer: tg.layers.dropout({ rate: 0.5 }) });
    const x = tg.ones([2, 3, 50]);
    expect(Array.from((td.apply(x) as tg.Tensor).data).every((v) => v === 1)).toBe(true);
    const y = td.apply(x, { training: true }) as tg.Tensor;
    expect(y.shape).toEqual([2, 3, 50]);
    expect(Array.from(y.data).some((v) => v === 0)).toBe(true);
    expect(() => td.apply(tg.ones([2, 3]))).toThrow(/expected input \[batch, time, \.\.\.\]/);
  });
});

describe('errors', () => {
  it('a 2-D input says to give [batch, time, features]', () => {
    for (const l of [
      tg.layers.lstm({ units: 3 }),
      tg.layers.gru({ units: 3 }),
      tg.layers.simpleRNN({ units: 3 }),
    ]) {
      let err: unknown;
      try {
        l.apply(tg.zeros([8, 5]));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(tg.ShapeError);
      expect(String((err as Error).message)).toMatch(
        /expected input of rank 3 \[batch, time, features\], got shape \[8, ?5\]/,
      );
      expect(String((err as Error).message)).toMatch(/reshape to \[8, 5, 1\]/);
      expect(String((err as Error).message)).toContain(l.name);
    }
  });
  it('a feature count that differs from the built one, bad units and rates', () => {
    const l = tg.layers.lstm({ units: 3 });
    l.apply(tg.zeros([1, 2, 4]));
    expect(() => l.apply(tg.zeros([1, 2, 5]))).toThrow(/expected 4 features on the last axis/);
    expect(() => tg.layers.lstm({ units: 0 })).toThrow(/units must be a positive integer/);
    expect(() => tg.layers.gru({ units: 2, dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
  });
});
