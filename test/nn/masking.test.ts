// Masks in user-built models: Embedding(maskZero) and Masking mark padding; recurrent layers (also inside
// Bidirectional, after mask-transparent layers, across nested models) skip the masked steps as Keras does, and a
// layer that would receive a mask it cannot use is refused by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const data = (t: tg.Tensor | tg.Tensor[]) => Array.from((t as tg.Tensor).data);
/** Step t of a [1, time, units] output. */
const stepOf = (y: tg.Tensor, t: number) => {
  const u = y.shape[2];
  return Array.from(y.data.slice(t * u, (t + 1) * u));
};
const rnns = {
  lstm: (a: { units: number; returnSequences?: boolean }) => tg.layers.lstm(a),
  gru: (a: { units: number; returnSequences?: boolean }) => tg.layers.gru(a),
  simpleRNN: (a: { units: number; returnSequences?: boolean }) => tg.layers.simpleRNN(a),
};

describe('masks in Sequential models', () => {
  for (const [name, make] of Object.entries(rnns))
    it(`Embedding(maskZero) → ${name}: trailing and leading padding change nothing`, () => {
      tg.setSeed(1);
      const m = tg.sequential({
        layers: [tg.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), make({ units: 3 })],
      });
      const plain = data(m.predict(tg.tensor([[5, 3, 7]])));
      expectClose(data(m.predict(tg.tensor([[5, 3, 7, 0, 0]]))), plain, TOL, 'trailing padding');
      expectClose(data(m.predict(tg.tensor([[0, 5, 3, 7]]))), plain, TOL, 'leading padding');
      // a batch of differently padded rows gives each row's own result
      const both = data(
        m.predict(
          tg.tensor([
            [5, 3, 7, 0],
            [4, 0, 0, 0],
          ]),
        ),
      );
      expectClose(both.slice(0, 3), plain, TOL, 'row 0');
      expectClose(both.slice(3), data(m.predict(tg.tensor([[4]]))), TOL, 'row 1');
    });

  it('Masking → Dropout → LSTM(returnSequences): masked steps repeat the previous output', () => {
    tg.setSeed(2);
    const m = tg.sequential({
      layers: [
        tg.layers.masking({ maskValue: -1, inputShape: [null, 2] }),
        tg.layers.dropout({ rate: 0.3 }),
        tg.layers.lstm({ units: 3, returnSequences: true }),
      ],
    });
    const padded = m.predict(tg.tensor([-1, -1, 0.5, -0.2, -1, -1, 1, 0.3, -1, -1], [1, 5, 2])) as tg.Tensor;
    const short = m.predict(tg.tensor([0.5, -0.2, 1, 0.3], [1, 2, 2])) as tg.Tensor;
    expect(padded.shape).toEqual([1, 5, 3]);
    expect(stepOf(padded, 0)).toEqual([0, 0, 0]); // before the first real step: zeros (Keras)
    expectClose(stepOf(padded, 1), stepOf(short, 0), TOL, 'step 1');
    expectClose(stepOf(padded, 2), stepOf(short, 0), TOL, 'step 2 repeats step 1');
    expectClose(stepOf(padded, 3), stepOf(short, 1), TOL, 'step 3');
    expectClose(stepOf(padded, 4), stepOf(short, 1), TOL, 'step 4 repeats step 3');
  });

  it('the mask passes Dense and TimeDistributed(Dense), stacked RNNs and a nested model', () => {
    tg.setSeed(3);
    const front = tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 8, outputDim: 3, maskZero: true }),
        tg.layers.dense({ units: 4 }),
      ],
    });
    const m = tg.sequential({
      layers: [
        front,
        tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 3, activation: 'tanh' }) }),
        tg.layers.gru({ units: 4, returnSequences: true }),
        tg.layers.activation({ activation: 'relu' }),
        tg.layers.lstm({ units: 2 }),
        tg.layers.dense({ units: 1 }),
      ],
    });
    expectClose(data(m.predict(tg.tensor([[6, 2, 1, 0, 0]]))), data(m.predict(tg.tensor([[6, 2, 1]]))), TOL);
  });

  it('training with a mask: gradients flow, padded and unpadded batches give the same loss', async () => {
    tg.setSeed(4);
    const m = tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [null] }),
        tg.layers.lstm({ units: 4 }),
        tg.layers.dense({ units: 1 }),
      ],
    });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const y = tg.tensor([[0.5], [-0.5]]);
    const lossPadded = m.evaluate(
      tg.tensor([
        [1, 2, 0, 0],
        [3, 0, 0, 0],
      ]),
      y,
    );
    const lossShort = m.evaluate(
      tg.tensor([
        [1, 2],
        [3, 0],
      ]),
      y,
    );
    expect(lossPadded.loss).toBeCloseTo(lossShort.loss, 5);
    const before = data(m.getWeights()[0]);
    await m.fit(
      tg.tensor([
        [1, 2, 0, 0],
        [3, 0, 0, 0],
      ]),
      y,
      { epochs: 2, verbose: 0 },
    );
    expect(data(m.getWeights()[0])).not.toEqual(before);
    // the embedding row of the padding index gets no gradient: masked steps do not reach the loss
    expect(data(m.getWeights()[0]).slice(0, 3)).toEqual(before.slice(0, 3));
  });

  it('a direct call chain carries the mask too (embedding.apply → lstm.apply)', () => {
    tg.setSeed(5);
    const e = tg.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    const l = tg.layers.lstm({ units: 2 });
    const a = l.apply(e.apply(tg.tensor([[3, 1, 0, 0]]))) as tg.Tensor;
    const b = l.apply(e.apply(tg.tensor([[3, 1]]))) as tg.Tensor;
    expectClose(data(a), data(b), TOL);
  });

  it('a layer that cannot use the mask is refused, naming it and the layer that made the mask', () => {
    const m = tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputLength: 5, name: 'tokens' }),
        tg.layers.flatten({ name: 'flat' }),
        tg.layers.dense({ units: 1 }),
      ],
    });
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse' })).toThrow(tg.ValueError);
    expect(() => m.predict(tg.tensor([[1, 2, 0, 0, 0]]))).toThrow(
      /flat \(Flatten\) receives the padding mask made by tokens \(Embedding with maskZero\)/,
    );
    // without maskZero the same model runs; an RNN that returns only its last output ends the mask
    tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }),
        tg.layers.lstm({ units: 3 }),
        tg.layers.dense({ units: 1 }),
      ],
    }).predict(tg.tensor([[1, 2, 0]]));
  });
});

describe('masks in functional models', () => {
  it('Embedding(maskZero) → Dropout → LSTM(returnSequences) → GRU: padding changes nothing', () => {
    tg.setSeed(6);
    const i = tg.input({ shape: [null] });
    let h = tg.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true }).apply(i) as tg.SymbolicTensor;
    h = tg.layers.dropout({ rate: 0.5 }).apply(h) as tg.SymbolicTensor;
    h = tg.layers.lstm({ units: 4, returnSequences: true }).apply(h) as tg.SymbolicTensor;
    const o = tg.layers.gru({ units: 2 }).apply(h) as tg.SymbolicTensor;
    const m = tg.model({ inputs: i, outputs: o });
    expectClose(data(m.predict(tg.tensor([[4, 8, 0, 0]]))), data(m.predict(tg.tensor([[4, 8]]))), TOL);
  });

  it('Bidirectional: both directions skip padding; returned sequences are zero at masked steps (Keras)', () => {
    tg.setSeed(7);
    const i = tg.input({ shape: [null] });
    const e = tg.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(i);
    const bi = tg.layers.bidirectional({ layer: tg.layers.gru({ units: 3, returnSequences: true }) });
    const seq = bi.apply(e) as tg.SymbolicTensor;
    const last = tg.layers.lstm({ units: 2 }).apply(seq) as tg.SymbolicTensor;
    const m = tg.model({ inputs: i, outputs: [seq, last] });
    const [ys, yl] = m.predict(tg.tensor([[4, 2, 0, 0, 0]])) as tg.Tensor[];
    const [ss, sl] = m.predict(tg.tensor([[4, 2]])) as tg.Tensor[];
    expectClose(data(ys).slice(0, 12), data(ss), TOL, 'real steps');
    expect(data(ys).slice(12).map(Math.abs)).toEqual(new Array(18).fill(0));
    expectClose(data(yl), data(sl), TOL, 'the LSTM after it');
  });

  it('initial states with a masked decoder input', () => {
    tg.setSeed(8);
    const encIn = tg.input({ shape: [3, 2] });
    const [, h, c] = tg.layers.lstm({ units: 4, returnState: true }).apply(encIn) as tg.SymbolicTensor[];
    const decIn = tg.input({ shape: [null] });
    const d = tg.layers.embedding({ inputDim: 6, outputDim: 2, maskZero: true }).apply(decIn);
    const out = tg.layers.lstm({ units: 4 }).apply(d, { initialState: [h, c] }) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [encIn, decIn], outputs: out });
    const enc = tg.tensor([0.1, 0.2, -0.3, 0.4, 0.5, -0.6], [1, 3, 2]);
    expectClose(
      data(m.predict([enc, tg.tensor([[2, 5, 0]])])),
      data(m.predict([enc, tg.tensor([[2, 5]])])),
      TOL,
    );
  });

  it('refuses a mask consumer when the graph is built, naming both layers', () => {
    const i = tg.input({ shape: [6, 2] });
    const m = tg.layers.masking({ name: 'pad' }).apply(i) as tg.SymbolicTensor;
    expect(() => tg.layers.globalMaxPooling1d({ name: 'gmp' }).apply(m)).toThrow(
      /gmp \(GlobalMaxPooling1D\) receives the padding mask made by pad \(Masking\)/,
    );
    // NOTE: a merge passes the mask on (merge-masks.test.ts); the layer after it that cannot use it refuses it
    expect(() =>
      tg.layers
        .globalMaxPooling1d({ name: 'gmp2' })
        .apply(tg.layers.concatenate({ name: 'cat' }).apply([m, i]) as tg.SymbolicTensor),
    ).toThrow(
      /gmp2 \(GlobalMaxPooling1D\) receives the padding mask made by pad \(Masking\), merged by cat \(Concatenate\)/,
    );
  });
});

describe('GlobalAveragePooling1D with a mask (Keras ≥ 2.2.3, Keras 3): the mean of the real steps', () => {
  /** Embedding(5, 1, maskZero) whose row i is [i]: the embedding of token t is t. */
  const tokens = (name = 'tokens') => {
    const e = tg.layers.embedding({ inputDim: 5, outputDim: 1, maskZero: true, name });
    e.build([1, 1]);
    e.setWeights([tg.tensor([[0], [1], [2], [3], [4]])]);
    return e;
  };

  it('Embedding(maskZero) → GAP1D on [[3, 1, 0, 0]] gives 2 (Sequential, functional, direct calls)', () => {
    const seq = tg.sequential({ layers: [tokens(), tg.layers.globalAveragePooling1d({})] });
    const x = tg.tensor([
      [3, 1, 0, 0],
      [4, 0, 2, 0],
    ]);
    expect(data(seq.predict(x))).toEqual([2, 3]);
    const i = tg.input({ shape: [null] });
    const g = tg.layers.globalAveragePooling1d({}).apply(tokens().apply(i)) as tg.SymbolicTensor;
    expect(g.mask).toBeNull(); // Keras compute_mask: the pooled output carries no mask
    expect(data(tg.model({ inputs: i, outputs: g }).predict(x))).toEqual([2, 3]);
    const direct = tg.layers.globalAveragePooling1d({ keepdims: true }).apply(tokens().apply(x)) as tg.Tensor;
    expect(direct.shape).toEqual([2, 1, 1]);
    expect(data(direct)).toEqual([2, 3]);
    // without a mask: the plain mean over all steps
    expect(
      data(tg.layers.globalAveragePooling1d({}).apply(tg.tensor([3, 1, 0, 0], [1, 4, 1])) as tg.Tensor),
    ).toEqual([1]);
  });

  it('the pooled output carries no mask: a Dense after it runs; gradients reach only the real steps', () => {
    tg.setSeed(9);
    const m = tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true, inputShape: [null] }),
        tg.layers.globalAveragePooling1d({}),
        tg.layers.flatten({}),
        tg.layers.dense({ units: 1 }),
      ],
    });
    expectClose(data(m.predict(tg.tensor([[5, 2, 0, 0, 0]]))), data(m.predict(tg.tensor([[5, 2]]))), TOL);
    const before = data(m.getWeights()[0]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    m.trainOnBatch(tg.tensor([[5, 2, 0, 0]]), tg.tensor([[1]]));
    const after = data(m.getWeights()[0]);
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3)); // the padding row takes no gradient
    expect(after.slice(15)).not.toEqual(before.slice(15)); // token 5 does
  });

  it('channelsFirst: the mask runs along axis 2; a row with every step masked is NaN (0/0, as Keras)', () => {
    const gap = tg.layers.globalAveragePooling1d({ dataFormat: 'channelsFirst' });
    // [batch 2, channels 2, steps 3]
    const x = tg.tensor([1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60], [2, 2, 3]);
    const mask = tg.tensor([
      [1, 1, 0],
      [0, 0, 0],
    ]);
    const y = data(gap.apply(x, { mask }) as tg.Tensor);
    expect(y.slice(0, 2)).toEqual([1.5, 15]);
    expect(y.slice(2).every(Number.isNaN)).toBe(true);
    expect(() => gap.apply(x, { mask: tg.ones([2, 2]) })).toThrow(
      /the mask must be \[batch, steps\] = \[2, 3\]/,
    );
  });
});
