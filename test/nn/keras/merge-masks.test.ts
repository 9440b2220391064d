// Merge layers with masked inputs: the output's mask follows Keras's compute_mask (Keras 2 `_Merge`: the AND of the
// masks present; Concatenate: unmasked inputs count as ones, concatenated along the axis, `all` over the last axis),
// so Embedding(maskZero) → branches → Add → LSTM skips the padded steps. Models imported from Keras ≥ 3.4 follow its
// rules (OR when every input is masked; Maximum/Minimum/Multiply keep masked values out), Keras 3.0–3.3 merges drop
// the mask. References: the LSTM on the unpadded steps only, and naive loops transcribing Keras's source.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { followKeras3Masking, maskOf } from '../../../src/nn/keras/mask.js';
import { expectClose } from '../../support/check.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const data = (t: unknown) => Array.from((t as tg.Tensor).data);
const sym = (t: unknown) => t as tg.SymbolicTensor;
/** ids ≠ 0, row by row: Embedding(maskZero)'s mask. */
const notZero = (ids: number[][]) => ids.flat().map((v) => (v !== 0 ? 1 : 0));

const MERGES = {
  add: () => tg.layers.add(),
  subtract: () => tg.layers.subtract(),
  multiply: () => tg.layers.multiply(),
  average: () => tg.layers.average(),
  maximum: () => tg.layers.maximum(),
  minimum: () => tg.layers.minimum(),
  concatenate: () => tg.layers.concatenate(),
};

describe('Keras 2 rules: Embedding(maskZero) → two branches → merge → LSTM skips the padding', () => {
  for (const [name, make] of Object.entries(MERGES))
    it(`${name}: padded rows give what the unpadded rows give`, () => {
      tg.setSeed(11);
      const i = tg.input({ shape: [null] });
      const e = tg.layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true }).apply(i);
      const a = tg.layers.dense({ units: 4 }).apply(e);
      const b = tg.layers.dense({ units: 4, activation: 'tanh' }).apply(e);
      const merged = sym(make().apply([sym(a), sym(b)]));
      expect(merged.mask).not.toBeNull();
      const m = tg.model({
        inputs: i,
        outputs: tg.layers.lstm({ units: 3 }).apply(merged) as tg.SymbolicTensor,
      });
      const plain = data(m.predict(tg.tensor([[5, 3, 7]])));
      expectClose(data(m.predict(tg.tensor([[5, 3, 7, 0, 0]]))), plain, TOL, 'trailing padding');
      expectClose(data(m.predict(tg.tensor([[0, 5, 0, 3, 7]]))), plain, TOL, 'padding between');
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

  it('two differently padded inputs: the LSTM runs on the steps real in both (the AND of the masks)', () => {
    tg.setSeed(12);
    const i1 = tg.input({ shape: [null] });
    const i2 = tg.input({ shape: [null] });
    const e1 = tg.layers.embedding({ inputDim: 6, outputDim: 2, maskZero: true, name: 'left' }).apply(i1);
    const e2 = tg.layers.embedding({ inputDim: 6, outputDim: 2, maskZero: true, name: 'right' }).apply(i2);
    const sum = sym(tg.layers.add({ name: 'sum' }).apply([sym(e1), sym(e2)]));
    const lstm = tg.layers.lstm({ units: 3 });
    const m = tg.model({ inputs: [i1, i2], outputs: [sum, lstm.apply(sum) as tg.SymbolicTensor] });
    const ids1 = [
      [1, 2, 0, 3, 4],
      [0, 5, 5, 1, 0],
    ];
    const ids2 = [
      [2, 0, 1, 3, 5],
      [3, 3, 0, 4, 0],
    ];
    const [s, y] = m.predict([tg.tensor(ids1), tg.tensor(ids2)]) as tg.Tensor[];
    // reference: the summed embeddings of the steps real in both rows, through the same LSTM without any mask
    for (let r = 0; r < 2; r++) {
      const steps = [0, 1, 2, 3, 4].filter((t) => ids1[r][t] !== 0 && ids2[r][t] !== 0);
      const kept = steps.flatMap((t) => data(s).slice((r * 5 + t) * 2, (r * 5 + t) * 2 + 2));
      const ref = lstm.apply(tg.tensor(kept, [1, steps.length, 2])) as tg.Tensor;
      expectClose(data(y).slice(r * 3, r * 3 + 3), data(ref), TOL, `row ${r}`);
    }
  });

  it('the merged mask: AND of the masks present; an unmasked input constrains nothing; no mask, no mask', () => {
    tg.setSeed(13);
    const emb = () => tg.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    const ids1 = [
      [1, 0, 2, 3],
      [0, 4, 4, 0],
    ];
    const ids2 = [
      [1, 1, 0, 3],
      [2, 2, 2, 0],
    ];
    const a = emb().apply(tg.tensor(ids1)) as tg.Tensor;
    const b = emb().apply(tg.tensor(ids2)) as tg.Tensor;
    const and = notZero(ids1).map((v, k) => v * notZero(ids2)[k]);
    for (const [name, make] of Object.entries(MERGES)) {
      const pair = name === 'subtract' ? [a, b] : [a, b, a];
      expect(data(maskOf(make().apply(pair))), name).toEqual(and);
      const plain = tg.ones([2, 4, 2]);
      expect(data(maskOf(make().apply([plain, b]))), `${name}, first input unmasked`).toEqual(notZero(ids2));
      expect(maskOf(make().apply([plain, plain])), `${name}, no masks`).toBeUndefined();
    }
  });

  it('Concatenate along the time axis concatenates the masks (an unmasked input: ones)', () => {
    const ids = [
      [3, 0, 1],
      [0, 0, 2],
    ];
    const a = tg.layers
      .embedding({ inputDim: 4, outputDim: 2, maskZero: true })
      .apply(tg.tensor(ids)) as tg.Tensor;
    const plain = tg.zeros([2, 2, 2]);
    const y = tg.layers.concatenate({ axis: 1 }).apply([a, plain, a]) as tg.Tensor;
    expect(y.shape).toEqual([2, 8, 2]);
    expect(data(maskOf(y))).toEqual([1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1]);
    // and an LSTM after it skips those steps: the same LSTM on the real steps only
    const lstm = tg.layers.lstm({ units: 2 });
    const out = data(lstm.apply(y));
    const row0 = [0, 2, 3, 4, 5, 7].map((t) => data(y).slice(t * 2, t * 2 + 2)).flat();
    expectClose(out.slice(0, 2), data(lstm.apply(tg.tensor(row0, [1, 6, 2]))), TOL, 'row 0');
  });

  it('Dot takes masked inputs and its output carries no mask (Keras compute_mask returns None)', () => {
    const i = tg.input({ shape: [3] });
    const e = sym(tg.layers.embedding({ inputDim: 4, outputDim: 3, maskZero: true }).apply(i));
    const d = sym(tg.layers.dot({ axes: 2 }).apply([e, e]));
    expect(d.mask).toBeNull();
    // so a layer that refuses masks runs after it
    const m = tg.model({ inputs: i, outputs: [e, sym(tg.layers.flatten().apply(d))] });
    const [x, y] = m.predict(tg.tensor([[1, 2, 0]])) as tg.Tensor[];
    expect(y.shape).toEqual([1, 9]);
    const xs = data(x);
    expect(data(y)[1]).toBeCloseTo(xs[0] * xs[3] + xs[1] * xs[4] + xs[2] * xs[5], 6);
  });

  it('a merged mask refused further on names its sources and the merge', () => {
    const i = tg.input({ shape: [4] });
    const e = tg.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true, name: 'tokens' }).apply(i);
    const s = tg.layers.add({ name: 'plus' }).apply([sym(e), sym(e)]);
    expect(() => tg.layers.flatten({ name: 'flat' }).apply(s)).toThrow(
      /flat \(Flatten\) receives the padding mask made by tokens \(Embedding with maskZero\), merged by plus \(Add\)/,
    );
  });

  it('training through a masked merge: the padding row of the embedding takes no gradient', async () => {
    tg.setSeed(14);
    const i = tg.input({ shape: [null] });
    const e = tg.layers.embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(i);
    const d = tg.layers.dense({ units: 3 }).apply(e);
    const c = tg.layers.concatenate().apply([sym(e), sym(d)]);
    const out = tg.layers
      .dense({ units: 1 })
      .apply(tg.layers.gru({ units: 2 }).apply(c) as tg.SymbolicTensor);
    const m = tg.model({ inputs: i, outputs: sym(out) });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const before = data(m.getWeights()[0]);
    m.trainOnBatch(
      tg.tensor([
        [1, 2, 0, 0],
        [3, 0, 0, 0],
      ]),
      tg.tensor([[0.5], [-0.5]]),
    );
    const after = data(m.getWeights()[0]);
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(after.slice(3, 6)).not.toEqual(before.slice(3, 6));
  });
});

/** Keras ≥ 3.4 `_apply_merge_op_and_or_mask` on flat [B, T, F] arrays, masks [B, T] (1 real), as in its source. */
function keras3MaxMin(
  xs: number[][],
  masks: (number[] | null)[],
  F: number,
  op: (p: number, q: number) => number,
) {
  let out = [...xs[0]];
  let om: number[] | null = masks[0] ? [...masks[0]] : null;
  for (let i = 1; i < xs.length; i++) {
    const x = [...xs[i]];
    const m = masks[i];
    const at = (mm: number[], k: number) => mm[Math.floor(k / F)] !== 0;
    if (m) for (let k = 0; k < x.length; k++) x[k] = at(m, k) ? x[k] : out[k];
    if (om) for (let k = 0; k < x.length; k++) out[k] = at(om, k) ? out[k] : x[k];
    om = m && om ? om.map((v, j) => (v || m[j] ? 1 : 0)) : null;
    out = out.map((v, k) => op(v, x[k]));
  }
  return { out, mask: om };
}

describe('Keras ≥ 3.4 rules in models imported from Keras 3', () => {
  const F = 2;
  const ids1 = [
    [1, 0, 2, 0],
    [0, 3, 3, 1],
  ];
  const ids2 = [
    [2, 2, 0, 0],
    [1, 0, 4, 4],
  ];
  /** Two masked [2, 4, 2] inputs with values of both signs. */
  const inputs = () => {
    tg.setSeed(15);
    const emb = () =>
      tg.layers.embedding({
        inputDim: 5,
        outputDim: F,
        maskZero: true,
        embeddingsInitializer: 'randomNormal',
      });
    return [emb().apply(tg.tensor(ids1)) as tg.Tensor, emb().apply(tg.tensor(ids2)) as tg.Tensor];
  };
  const keras3 = <L extends tg.Layer>(layer: L, version: string | undefined = '3.8.0'): L => {
    followKeras3Masking(layer, undefined, version);
    return layer;
  };
  const or = notZero(ids1).map((v, k) => (v || notZero(ids2)[k] ? 1 : 0));

  it('Add, Subtract, Average: the values as without masks; the OR of the masks only when every input has one', () => {
    const [a, b] = inputs();
    const plain = tg.ones([2, 4, F]);
    for (const make of [() => tg.layers.add(), () => tg.layers.subtract(), () => tg.layers.average()]) {
      const y = keras3(make()).apply([a, b]) as tg.Tensor;
      expect(data(y)).toEqual(data(make().apply([a, b])));
      expect(data(maskOf(y))).toEqual(or);
      expect(maskOf(keras3(make()).apply([a, plain]))).toBeUndefined();
    }
    // without a recorded version the newest Keras 3 rules apply
    expect(data(maskOf(keras3(tg.layers.add(), undefined).apply([a, b])))).toEqual(or);
  });

  for (const [name, op] of [
    ['maximum', Math.max],
    ['minimum', Math.min],
  ] as const)
    it(`${name}: a masked value is replaced by the other input's (Keras's loop, transcribed)`, () => {
      const [a, b] = inputs();
      const layer = () => keras3(name === 'maximum' ? tg.layers.maximum() : tg.layers.minimum());
      const ref = keras3MaxMin(
        [data(a), data(b), data(a)],
        [notZero(ids1), notZero(ids2), notZero(ids1)],
        F,
        op,
      );
      const y = layer().apply([a, b, a]) as tg.Tensor;
      expectClose(data(y), ref.out, TOL, name);
      expect(data(maskOf(y))).toEqual(ref.mask);
      const plain = tg.full([2, 4, F], 0.01);
      const half = keras3MaxMin([data(plain), data(b)], [null, notZero(ids2)], F, op);
      const z = layer().apply([plain, b]) as tg.Tensor;
      expectClose(data(z), half.out, TOL, `${name}, first input unmasked`);
      expect(maskOf(z)).toBeUndefined();
    });

  it('multiply: masked values count as 1; with every input masked, steps masked in all give 0', () => {
    const [a, b] = inputs();
    const [xa, xb, ma, mb] = [data(a), data(b), notZero(ids1), notZero(ids2)];
    const k = (m: number[], j: number) => m[Math.floor(j / F)] !== 0;
    const y = keras3(tg.layers.multiply()).apply([a, b]) as tg.Tensor;
    const ref = xa.map((v, j) => (k(or, j) ? (k(ma, j) ? v : 1) * (k(mb, j) ? xb[j] : 1) : 0));
    expectClose(data(y), ref, TOL, 'both masked');
    expect(data(maskOf(y))).toEqual(or);
    const c = tg.full([2, 4, F], 3);
    const z = keras3(tg.layers.multiply()).apply([c, b]) as tg.Tensor;
    expectClose(
      data(z),
      xb.map((v, j) => 3 * (k(mb, j) ? v : 1)),
      TOL,
      'one masked',
    );
    expect(maskOf(z)).toBeUndefined();
  });

  it('concatenate: `any` across the last axis (an unmasked input makes it all ones); along time, the masks', () => {
    const [a, b] = inputs();
    const plain = tg.zeros([2, 4, 3]);
    expect(data(maskOf(keras3(tg.layers.concatenate()).apply([a, b])))).toEqual(or);
    expect(data(maskOf(keras3(tg.layers.concatenate()).apply([a, plain])))).toEqual(new Array(8).fill(1));
    const t = keras3(tg.layers.concatenate({ axis: 1 })).apply([a, b]) as tg.Tensor;
    expect(data(maskOf(t))).toEqual([
      ...notZero(ids1).slice(0, 4),
      ...notZero(ids2).slice(0, 4),
      ...notZero(ids1).slice(4),
      ...notZero(ids2).slice(4),
    ]);
  });

  it('Keras 3.0–3.3: a merge sees no mask; the values are the plain merge and no mask comes out', () => {
    const [a, b] = inputs();
    const y = keras3(tg.layers.maximum(), '3.3.3').apply([a, b]) as tg.Tensor;
    expect(data(y)).toEqual(data(tg.layers.maximum().apply([a, b])));
    expect(maskOf(y)).toBeUndefined();
    // in a graph: no refusal, and a layer that refuses masks runs after it without a warning
    const i = tg.input({ shape: [4] });
    const e = sym(tg.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true }).apply(i));
    const merged = sym(keras3(tg.layers.add(), '3.3.3').apply([e, e]));
    expect(merged.mask).toBeNull();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      tg.layers.flatten().apply(merged);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('imported from a Keras 3 file: Embedding(mask_zero) → Concatenate → LSTM skips the padding', () => {
    const layer = (cls: string, name: string, config: object, inbound: string[]) => ({
      class_name: cls,
      name,
      config: { name, ...config },
      inbound_nodes: inbound.length ? [inbound.map((n) => [n, 0, 0, {}])] : [],
    });
    const cfg = (len: number) => ({
      class_name: 'Functional',
      keras_version: '3.8.0',
      config: {
        name: 'f',
        layers: [
          layer('InputLayer', 'in', { batch_input_shape: [null, len] }, []),
          layer('Embedding', 'tokens', { input_dim: 5, output_dim: 2, mask_zero: true }, ['in']),
          layer('Dense', 'proj', { units: 2 }, ['tokens']),
          layer('Concatenate', 'cat', { axis: -1 }, ['tokens', 'proj']),
          layer('LSTM', 'lstm', { units: 3 }, ['cat']),
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['lstm', 0, 0]],
      },
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const padded = tg.keras.modelFromJson(cfg(5));
      const short = tg.keras.modelFromJson(cfg(2));
      short.setWeights(padded.getWeights());
      expectClose(
        data(padded.predict(tg.tensor([[4, 2, 0, 0, 0]]))),
        data(short.predict(tg.tensor([[4, 2]]))),
        TOL,
      );
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
