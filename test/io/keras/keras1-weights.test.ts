// Keras 1 weight lists in setWeights/getWeights of a model built from a Keras 1 config: per-gate LSTM (12) and
// GRU (9) arrays, Bidirectional (24 / 18), 4-D Convolution1D kernels, Deconvolution2D "tf"/"th" kernels. Checked
// against Keras 1's step equations and convolution sums written as naive float64 loops, against the Keras 2
// fused layout built by hand from the same arrays, and against arrays Keras 1.2.2 itself saved.
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { readKerasFile } from '../../../src/io/keras/files.js';
import { buildH5 } from '../h5-build.js';
import { fixture } from './fixtures.js';

afterAll(() => tg.closeHdf5Worker());

/** Deterministic values in [-0.5, 0.5) (a small LCG, so the test needs no seeding API). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
const randT = (r: () => number, shape: number[]): tg.Tensor =>
  tg.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, r), shape);
/** numpy.concatenate(ts, axis=-1) */
function concatLast(ts: tg.Tensor[]): tg.Tensor {
  const lead = ts[0].shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const ws = ts.map((t) => t.shape[t.shape.length - 1]);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) ts.forEach((t, i) => out.push(...t.data.slice(r * ws[i], (r + 1) * ws[i])));
  return tg.tensor(Float32Array.from(out), [...lead, ws.reduce((a, b) => a + b, 0)]);
}
const expectSameLists = (got: tg.Tensor[], want: tg.Tensor[]) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(g.shape).toEqual(want[i].shape);
    // bit-exact, element by element (a plain loop: the MNIST CNN's arrays are large for toEqual)
    const bad = g.data.findIndex((v, j) => !Object.is(v, want[i].data[j]));
    expect(bad, `array ${i}: first difference at element ${bad}`).toBe(-1);
  });
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

const hardSigmoid = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));
/** x·W + h·U + b for one gate (W: [in, u], U: [u, u]), float64. */
function affine(x: number[], h: number[], W: tg.Tensor, U: tg.Tensor, b: tg.Tensor): number[] {
  const u = b.shape[0];
  return Array.from({ length: u }, (_, j) => {
    let s = b.data[j];
    x.forEach((xi, i) => (s += xi * W.data[i * u + j]));
    h.forEach((hi, i) => (s += hi * U.data[i * u + j]));
    return s;
  });
}
const rows = (x: tg.Tensor, n: number): number[][] => {
  const d = x.shape[x.shape.length - 1];
  return Array.from({ length: n }, (_, t) => Array.from(x.data.slice(t * d, (t + 1) * d)));
};

/** Keras 1.2 LSTM step (hard_sigmoid gates, tanh), from the 12 arrays in Keras 1's order i, c, f, o. */
function keras1Lstm(xs: number[][], w: tg.Tensor[]): number[][] {
  const [Wi, Ui, bi, Wc, Uc, bc, Wf, Uf, bf, Wo, Uo, bo] = w;
  let h = Array<number>(bi.shape[0]).fill(0);
  let c = [...h];
  return xs.map((x) => {
    const i = affine(x, h, Wi, Ui, bi).map(hardSigmoid);
    const f = affine(x, h, Wf, Uf, bf).map(hardSigmoid);
    const g = affine(x, h, Wc, Uc, bc).map(Math.tanh);
    const o = affine(x, h, Wo, Uo, bo).map(hardSigmoid);
    c = c.map((cj, j) => f[j] * cj + i[j] * g[j]);
    h = o.map((oj, j) => oj * Math.tanh(c[j]));
    return h;
  });
}

/** Keras 1.2 GRU step from the 9 arrays W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h. */
function keras1Gru(xs: number[][], w: tg.Tensor[]): number[][] {
  const [Wz, Uz, bz, Wr, Ur, br, Wh, Uh, bh] = w;
  let h = Array<number>(bz.shape[0]).fill(0);
  return xs.map((x) => {
    const z = affine(x, h, Wz, Uz, bz).map(hardSigmoid);
    const r = affine(x, h, Wr, Ur, br).map(hardSigmoid);
    const hh = affine(
      x,
      h.map((v, j) => v * r[j]),
      Wh,
      Uh,
      bh,
    ).map(Math.tanh);
    h = h.map((v, j) => z[j] * v + (1 - z[j]) * hh[j]);
    return h;
  });
}

const rnnCfg = (cls: string, extra: object = {}) => ({
  class_name: cls,
  config: {
    name: cls.toLowerCase() + '_1',
    output_dim: 3,
    activation: 'tanh',
    inner_activation: 'hard_sigmoid',
    init: 'glorot_uniform',
    inner_init: 'orthogonal',
    consume_less: 'cpu',
    return_sequences: true,
    ...extra,
  },
});
const keras1Model = (layer: object, batchInputShape: (number | null)[]) =>
  tg.keras.modelFromJson({
    class_name: 'Sequential',
    keras_version: '1.2.2',
    config: [
      { ...layer, config: { ...(layer as { config: object }).config, batch_input_shape: batchInputShape } },
    ],
  });
const keras2Model = (layer: object, batchInputShape: (number | null)[]) =>
  tg.keras.modelFromJson({
    class_name: 'Sequential',
    keras_version: '2.1.2',
    config: [
      { ...layer, config: { ...(layer as { config: object }).config, batch_input_shape: batchInputShape } },
    ],
  });
const k2Rnn = (cls: string) => ({
  class_name: cls,
  config: {
    name: cls.toLowerCase() + '_1',
    units: 3,
    activation: 'tanh',
    recurrent_activation: 'hard_sigmoid',
    return_sequences: true,
  },
});

/** Keras 1 per-gate lists [W_g, U_g, b_g for g in order] → Keras 2 fused [kernel, recurrent_kernel, bias]. */
const fuse = (w: tg.Tensor[], keras1Order: string[], fusedOrder: string[]): tg.Tensor[] =>
  [0, 1, 2].map((k) => concatLast(fusedOrder.map((g) => w[keras1Order.indexOf(g) * 3 + k])));

describe('Keras 1 recurrent weight lists', () => {
  const T = 4;
  const r = rng(7);
  const x = randT(r, [2, T, 2]);
  const gateArrays = (n: number) =>
    Array.from({ length: n }, () => [randT(r, [2, 3]), randT(r, [3, 3]), randT(r, [3])]).flat();

  for (const [cls, n, k1Order, fusedOrder, step] of [
    ['LSTM', 4, ['i', 'c', 'f', 'o'], ['i', 'f', 'c', 'o'], keras1Lstm],
    ['GRU', 3, ['z', 'r', 'h'], ['z', 'r', 'h'], keras1Gru],
  ] as const) {
    it(`${cls}: ${n * 3} per-gate arrays in, the same out; outputs follow Keras 1's step and equal the fused Keras 2 layout`, () => {
      const m = keras1Model(rnnCfg(cls), [null, T, 2]);
      const w = gateArrays(n);
      m.setWeights(w);
      expectSameLists(m.getWeights(), w);
      const y = m.predict(x) as tg.Tensor;
      // independent reference: Keras 1's equations on the per-gate arrays, float64
      const want = [0, 1].flatMap((b) => step(rows(x, 2 * T).slice(b * T, (b + 1) * T), w).flat());
      expect(maxDiff(y.data, want)).toBeLessThan(1e-5);
      // the Keras 2 fused layout built by hand from the same arrays gives the same numbers exactly
      const m2 = keras2Model(k2Rnn(cls), [null, T, 2]);
      m2.setWeights(fuse(w, [...k1Order], [...fusedOrder]));
      expect(Array.from((m2.predict(x) as tg.Tensor).data)).toEqual(Array.from(y.data));
    });

    it(`Bidirectional(${cls}): ${n * 6} arrays (forward list then backward list), round trip exact`, () => {
      const bi = (inner: object) => ({
        class_name: 'Bidirectional',
        config: { name: 'bidirectional_1', merge_mode: 'concat', layer: inner },
      });
      const m = keras1Model(bi(rnnCfg(cls)), [null, T, 2]);
      const w = [...gateArrays(n), ...gateArrays(n)];
      m.setWeights(w);
      expectSameLists(m.getWeights(), w);
      const m2 = keras2Model(bi(k2Rnn(cls)), [null, T, 2]);
      const half = n * 3;
      m2.setWeights([
        ...fuse(w.slice(0, half), [...k1Order], [...fusedOrder]),
        ...fuse(w.slice(half), [...k1Order], [...fusedOrder]),
      ]);
      const y = m.predict(x) as tg.Tensor;
      expect(Array.from((m2.predict(x) as tg.Tensor).data)).toEqual(Array.from(y.data));
      // forward half of the output = Keras 1's step on the first list
      const want0 = step(rows(x, T), w.slice(0, half));
      const got0 = Array.from({ length: T }, (_, t) => Array.from(y.data.slice(t * 6, t * 6 + 3)));
      expect(maxDiff(got0.flat(), want0.flat())).toBeLessThan(1e-5);
    });
  }

  it("consume_less='gpu' kept Keras 1's fused (i, f, c, o) arrays: 3 arrays", () => {
    const m = keras1Model(rnnCfg('LSTM', { consume_less: 'gpu' }), [null, T, 2]);
    expect(m.getWeights().map((t) => t.shape)).toEqual([[2, 12], [3, 12], [12]]);
  });

  it('a wrong list names the Keras 1 layout, the array and both shapes; nothing is written', () => {
    const m = keras1Model(rnnCfg('LSTM'), [null, T, 2]);
    const before = m.getWeights();
    expect(() => m.setWeights(gateArrays(3))).toThrow(
      /Keras 1's list of 12 arrays \(lstm_1_W_i, lstm_1_U_i.*got 9/,
    );
    const bad = gateArrays(4);
    bad[4] = randT(r, [2, 3]);
    bad[0] = randT(r, [2, 3]);
    expect(() => m.setWeights(bad)).toThrow(
      /array 4 \('lstm_1_U_c' of layer 'lstm_1', Keras 1 layout\) must have shape \(3, 3\), got \(2, 3\)/,
    );
    expectSameLists(m.getWeights(), before);
  });
});

describe('Keras 1 convolution kernels', () => {
  const r = rng(11);
  it('Convolution1D: 4-D kernel (filter_length, 1, input_dim, nb_filter), round trip and a naive correlation', () => {
    const m = keras1Model(
      {
        class_name: 'Convolution1D',
        config: {
          name: 'conv',
          nb_filter: 3,
          filter_length: 2,
          border_mode: 'valid',
          subsample_length: 1,
          activation: 'linear',
        },
      },
      [null, 5, 4],
    );
    const w = [randT(r, [2, 1, 4, 3]), randT(r, [3])];
    m.setWeights(w);
    expectSameLists(m.getWeights(), w);
    const x = randT(r, [1, 5, 4]);
    const y = m.predict(x) as tg.Tensor;
    expect(y.shape).toEqual([1, 4, 3]);
    const want: number[] = [];
    for (let t = 0; t < 4; t++)
      for (let f = 0; f < 3; f++) {
        let s = w[1].data[f];
        for (let k = 0; k < 2; k++)
          for (let c = 0; c < 4; c++) s += x.data[(t + k) * 4 + c] * w[0].data[(k * 4 + c) * 3 + f];
        want.push(s);
      }
    expect(maxDiff(y.data, want)).toBeLessThan(1e-5);
  });

  for (const dim of ['tf', 'th'] as const) {
    it(`Deconvolution2D (${dim}): kernel ${dim === 'tf' ? '(rows, cols, input_dim, nb_filter)' : '(nb_filter, input_dim, rows, cols)'}, round trip and a naive transposed convolution`, () => {
      const inShape = dim === 'tf' ? [null, 3, 3, 2] : [null, 2, 3, 3];
      const m = keras1Model(
        {
          class_name: 'Deconvolution2D',
          config: {
            name: 'deconv',
            nb_filter: 4,
            nb_row: 2,
            nb_col: 2,
            output_shape: dim === 'tf' ? [null, 4, 4, 4] : [null, 4, 4, 4],
            border_mode: 'valid',
            subsample: [1, 1],
            dim_ordering: dim,
            activation: 'linear',
          },
        },
        inShape,
      );
      const kShape = dim === 'tf' ? [2, 2, 2, 4] : [4, 2, 2, 2];
      const w = [randT(r, kShape), randT(r, [4])];
      m.setWeights(w);
      expectSameLists(m.getWeights(), w);
      const x = randT(r, [1, ...(inShape.slice(1) as number[])]);
      const y = m.predict(x) as tg.Tensor;
      // y[i+a, j+b, f] = bias[f] + Σ x[i, j, ch] · K[a, b, ch, f]  (K in the tf layout; th: K[f, ch, a, b])
      const K = (a: number, b: number, ch: number, f: number) =>
        dim === 'tf' ? w[0].data[((a * 2 + b) * 2 + ch) * 4 + f] : w[0].data[((f * 2 + ch) * 2 + a) * 2 + b];
      const X = (i: number, j: number, ch: number) =>
        dim === 'tf' ? x.data[(i * 3 + j) * 2 + ch] : x.data[(ch * 3 + i) * 3 + j];
      const out = new Float64Array(4 * 4 * 4);
      const at = (i: number, j: number, f: number) =>
        dim === 'tf' ? (i * 4 + j) * 4 + f : (f * 4 + i) * 4 + j;
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) for (let f = 0; f < 4; f++) out[at(i, j, f)] = w[1].data[f];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let ch = 0; ch < 2; ch++)
            for (let a = 0; a < 2; a++)
              for (let b = 0; b < 2; b++)
                for (let f = 0; f < 4; f++) out[at(i + a, j + b, f)] += X(i, j, ch) * K(a, b, ch, f);
      expect(maxDiff(y.data, out)).toBeLessThan(1e-5);
    });
  }
});

describe('Keras 1 SeparableConvolution2D (th)', () => {
  const r = rng(31);
  const layer = {
    class_name: 'SeparableConvolution2D',
    config: {
      name: 'sep',
      nb_filter: 3,
      nb_row: 2,
      nb_col: 2,
      depth_multiplier: 2,
      border_mode: 'valid',
      subsample: [1, 1],
      dim_ordering: 'th',
      activation: 'linear',
      bias: true,
    },
  };
  // depthwise (depth_multiplier, in, rows, cols), pointwise (filters, in·depth_multiplier, 1, 1)
  const w = [randT(r, [2, 2, 2, 2]), randT(r, [3, 4, 1, 1]), randT(r, [3])];
  it('setWeights/getWeights round trip; output = a naive depthwise-then-pointwise sum', () => {
    const m = keras1Model(layer, [null, 2, 3, 3]);
    m.setWeights(w);
    expectSameLists(m.getWeights(), w);
    const x = randT(r, [1, 2, 3, 3]);
    const y = m.predict(x) as tg.Tensor;
    expect(y.shape).toEqual([1, 3, 2, 2]);
    // y[f, i, j] = b[f] + Σ_{ch, m} P[f, ch·dm + m] · Σ_{a, b} x[ch, i + a, j + b] · D[m, ch, a, b]
    const want: number[] = [];
    for (let f = 0; f < 3; f++)
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 2; j++) {
          let s = w[2].data[f];
          for (let ch = 0; ch < 2; ch++)
            for (let mm = 0; mm < 2; mm++) {
              let d = 0;
              for (let a = 0; a < 2; a++)
                for (let b = 0; b < 2; b++)
                  d += x.data[(ch * 3 + i + a) * 3 + j + b] * w[0].data[((mm * 2 + ch) * 2 + a) * 2 + b];
              s += w[1].data[f * 4 + ch * 2 + mm] * d;
            }
          want.push(s);
        }
    expect(maxDiff(y.data, want)).toBeLessThan(1e-5);
  });
  it('a Keras 1 weights file with these arrays loads to the same model', async () => {
    const bytes = await buildH5((f) => {
      f.create_attribute('layer_names', ['sep']);
      const g = f.create_group('sep');
      const names = ['sep_depthwise_kernel:0', 'sep_pointwise_kernel:0', 'sep_b:0'];
      g.create_attribute('weight_names', names);
      names.forEach((n, i) =>
        g.create_dataset({ name: n, data: Float32Array.from(w[i].data), shape: [...w[i].shape] }),
      );
    });
    const cfg = {
      class_name: 'Sequential',
      keras_version: '1.2.2',
      config: [{ ...layer, config: { ...layer.config, batch_input_shape: [null, 2, 3, 3] } }],
    };
    const m = await tg.keras.loadModel({ config: cfg, weights: bytes });
    expectSameLists(m.getWeights(), w);
  });
});

describe('files saved by Keras 1.2.2: getWeights returns the stored arrays', () => {
  for (const [d, name] of [
    ['dl4j-small-rnn', 'simple_lstm_tf_keras_1'],
    ['dl4j-mnist-cnn-keras1-th', 'mnist_cnn_th_keras_1'],
  ]) {
    it(`${name}: model.getWeights() equals the file's arrays in order; setWeights of them changes nothing`, async () => {
      const src = {
        config: fixture(`${d}/${name}_config.json`),
        weights: fixture(`${d}/${name}_weights.h5`),
      };
      const m = await tg.keras.loadModel(src);
      const file = await readKerasFile(src.weights);
      const stored = file.layers.flatMap((l) => l.weights.map((w) => tg.tensor(w.data, [...w.shape])));
      expect(stored.length).toBe(name.includes('lstm') ? 14 : m.getWeights().length);
      expectSameLists(m.getWeights(), stored);
      m.setWeights(stored);
      expectSameLists(m.getWeights(), stored);
    });
  }
});

describe('Keras 1-shaped weights files (written here with Keras 1 dataset names) load like setWeights', () => {
  /** A Keras 1 `save_weights` file: root layer_names, per layer weight_names and `<layer>/<name>:0` datasets. */
  const keras1File = (layers: [string, [string, tg.Tensor][]][]) =>
    buildH5((f) => {
      f.create_attribute(
        'layer_names',
        layers.map(([n]) => n),
      );
      for (const [n, ws] of layers) {
        const g = f.create_group(n);
        g.create_attribute(
          'weight_names',
          ws.map(([w]) => `${w}:0`),
        );
        for (const [w, t] of ws)
          g.create_dataset({ name: `${w}:0`, data: Float32Array.from(t.data), shape: [...t.shape] });
      }
    });
  const r = rng(23);
  const gates = (prefix: string, order: string[]) =>
    order.flatMap((g) =>
      (['W', 'U', 'b'] as const).map((k): [string, tg.Tensor] => [
        `${prefix}_${k}_${g}`,
        randT(r, k === 'W' ? [2, 3] : k === 'U' ? [3, 3] : [3]),
      ]),
    );
  const cases: [string, object, (number | null)[], [string, tg.Tensor][]][] = [
    [
      'Bidirectional(LSTM), 24 arrays',
      {
        class_name: 'Bidirectional',
        config: { name: 'bidirectional_1', merge_mode: 'concat', layer: rnnCfg('LSTM') },
      },
      [null, 4, 2],
      [...gates('forward_lstm_1', ['i', 'c', 'f', 'o']), ...gates('backward_lstm_1', ['i', 'c', 'f', 'o'])],
    ],
    [
      'Bidirectional(GRU), 18 arrays',
      {
        class_name: 'Bidirectional',
        config: { name: 'bidirectional_1', merge_mode: 'sum', layer: rnnCfg('GRU') },
      },
      [null, 4, 2],
      [...gates('forward_gru_1', ['z', 'r', 'h']), ...gates('backward_gru_1', ['z', 'r', 'h'])],
    ],
    [
      'Convolution1D, 4-D kernel',
      {
        class_name: 'Convolution1D',
        config: { name: 'conv', nb_filter: 3, filter_length: 2, border_mode: 'same', activation: 'relu' },
      },
      [null, 5, 4],
      [
        ['conv_W', randT(r, [2, 1, 4, 3])],
        ['conv_b', randT(r, [3])],
      ],
    ],
    [
      'Deconvolution2D th',
      {
        class_name: 'Deconvolution2D',
        config: {
          name: 'deconv',
          nb_filter: 4,
          nb_row: 3,
          nb_col: 2,
          output_shape: [null, 4, 6, 5],
          border_mode: 'valid',
          subsample: [1, 1],
          dim_ordering: 'th',
        },
      },
      [null, 2, 4, 4],
      [
        ['deconv_W', randT(r, [4, 2, 3, 2])],
        ['deconv_b', randT(r, [4])],
      ],
    ],
  ];
  for (const [what, layer, shape, stored] of cases)
    it(what, async () => {
      const name = (layer as { config: { name: string } }).config.name;
      const cfg = {
        class_name: 'Sequential',
        keras_version: '1.2.2',
        config: [{ ...layer, config: { ...(layer as { config: object }).config, batch_input_shape: shape } }],
      };
      const m = await tg.keras.loadModel({ config: cfg, weights: await keras1File([[name, stored]]) });
      const arrays = stored.map(([, t]) => t);
      expectSameLists(m.getWeights(), arrays);
      const viaSet = keras1Model(layer, shape);
      viaSet.setWeights(arrays);
      const x = randT(r, [2, ...(shape.slice(1) as number[])]);
      expect(Array.from((m.predict(x) as tg.Tensor).data)).toEqual(
        Array.from((viaSet.predict(x) as tg.Tensor).data),
      );
    });
});

describe('Keras 1 nested models', () => {
  // inner Sequential: BatchNormalization then LSTM (per-gate arrays); a functional container lists the nested
  // model's `weights`: its trainable arrays first (gamma, beta, 12 LSTM arrays), then running mean / std
  const inner = {
    class_name: 'Sequential',
    name: 'inner',
    config: [
      {
        class_name: 'BatchNormalization',
        config: { name: 'bn', mode: 0, axis: -1, epsilon: 1e-3, batch_input_shape: [null, 4, 2] },
      },
      rnnCfg('LSTM'),
    ],
  };
  const outer = (kind: 'Model' | 'Sequential') =>
    tg.keras.modelFromJson(
      kind === 'Sequential'
        ? { class_name: 'Sequential', keras_version: '1.2.2', config: [inner] }
        : {
            class_name: 'Model',
            keras_version: '1.2.2',
            config: {
              name: 'outer',
              input_layers: [['x', 0, 0]],
              output_layers: [['inner', 0, 0]],
              layers: [
                {
                  name: 'x',
                  class_name: 'InputLayer',
                  config: { batch_input_shape: [null, 4, 2], input_dtype: 'float32', name: 'x' },
                  inbound_nodes: [],
                },
                { ...inner, inbound_nodes: [[['x', 0, 0]]] },
              ],
            },
          },
      kind === 'Sequential' ? { inputShape: [null, 4, 2] } : {},
    );
  const names = (m: tg.Model) => {
    try {
      m.setWeights([]);
    } catch (e) {
      return /\((.*)\), got 0/.exec((e as Error).message)?.[1].split(', ');
    }
    return [];
  };
  it('in a functional container: trainable arrays first (Keras 1 Container.get_weights uses layer.weights)', () => {
    const got = names(outer('Model'));
    expect(got).toEqual([
      'gamma',
      'beta',
      ...['i', 'c', 'f', 'o'].flatMap((g) => ['W', 'U', 'b'].map((k) => `lstm_1_${k}_${g}`)),
      'moving_mean',
      'moving_variance',
    ]);
  });
  it('in a Sequential: layer by layer (Keras 1 Sequential.get_weights); round trip exact', () => {
    const m = outer('Sequential');
    expect(names(m)?.slice(0, 5)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance', 'lstm_1_W_i']);
    const r = rng(5);
    const w = m.getWeights().map((t) => randT(r, [...t.shape]));
    m.setWeights(w);
    expectSameLists(m.getWeights(), w);
  });
});
