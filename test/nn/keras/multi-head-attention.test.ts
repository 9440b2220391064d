// tg.layers.multiHeadAttention (Keras MultiHeadAttention). References:
// - test/fixtures/keras-mha/mha.json, made by gen.py beside it: torch 1.13 nn.MultiheadAttention in float64 with its
//   weights mapped to Keras's layout (keyDim = embedDim / numHeads makes them equivalent), outputs, per-head attention
//   weights and gradients of sum(out · G), without a mask, with a padding attention mask and with a causal mask;
// - a plain loop of Keras's formula for keyDim ≠ dModel / numHeads, separate value size and outputShape;
// - Keras's parameter count (numHeads 2, keyDim 3 on 4 features: 3·30 + 28 = 118) and weight names.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { MultiHeadAttention } from '../../../src/nn/keras/layers/attention.js';
import { maskOf, setMask } from '../../../src/nn/keras/mask.js';

type Case = Record<string, any>;
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/keras-mha/mha.json', import.meta.url), 'utf8'),
) as { cases: Case[] };
const f64 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'float64' });
const close = (t: tg.Tensor | null | undefined, want: number[], tol = 1e-9) => {
  expect(t).toBeTruthy();
  const got = Array.from(t!.data);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(tol));
};
const dir = mkdtempSync(join(tmpdir(), 'tg-mha-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MultiHeadAttention vs torch 1.13 nn.MultiheadAttention (float64, mapped weights)', () => {
  for (const c of fixture.cases)
    it(c.name, () => {
      const { B, T, S, E, H, K } = c;
      const layer = tg.layers.multiHeadAttention({ numHeads: H, keyDim: K, dtype: 'float64' });
      layer.build([
        [B, T, E],
        [B, S, E],
        [B, S, E],
      ]);
      const shapes = [[E, H, K], [H, K], [E, H, K], [H, K], [E, H, K], [H, K], [H, K, E], [E]];
      layer.setWeights(c.weights.map((w: number[], i: number) => f64(w, shapes[i])));
      const q = f64(c.query, [B, T, E]).requireGrad(true);
      const v = f64(c.value, [B, S, E]).requireGrad(true);
      const k = f64(c.key, [B, S, E]).requireGrad(true);
      const kw: tg.CallKwargs = { returnAttentionScores: true };
      if (c.mask) kw.attentionMask = f64(c.mask, [B, T, S]);
      if (c.causal) kw.useCausalMask = true;
      const [y, scores] = layer.apply([q, v, k], kw) as tg.Tensor[];
      expect(y.shape).toEqual([B, T, E]);
      expect(scores.shape).toEqual([B, H, T, S]);
      close(y, c.out);
      close(scores, c.scores);
      tg.sum(tg.mul(y, f64(c.G, [B, T, E]))).backward();
      close(q.grad, c.gradQuery);
      close(v.grad, c.gradValue);
      close(k.grad, c.gradKey);
      const ws = layer.namedWeights().map(([, w]) => w.value);
      close(ws[0].grad, c.gradQueryKernel);
      close(ws[4].grad, c.gradValueKernel);
      close(ws[6].grad, c.gradOutputKernel);
    });
});

/** Keras's formula as loops: x·W+b per head, softmax((q/√K)·kᵀ + (1−m)·(−1e9)) over keys, ·v, output projection. */
function naiveMha(
  xq: number[][][],
  xv: number[][][],
  xk: number[][][],
  w: { data: ArrayLike<number>; shape: readonly number[] }[],
  mask: ((b: number, t: number, s: number) => number) | null,
): number[][][] {
  const [qK, qB, kK, kB, vK, vB, oK, oB] = w;
  const [, H, K] = qK.shape;
  const V = vK.shape[2];
  const O = oK.shape[2];
  const proj = (x: number[], W: typeof qK, b: typeof qB, d: number) =>
    Array.from({ length: H }, (_, h) =>
      Array.from({ length: d }, (_, j) => {
        let s = b.data[h * d + j];
        x.forEach((xi, i) => (s += xi * W.data[(i * H + h) * d + j]));
        return s;
      }),
    );
  return xq.map((rowsQ, b) => {
    const qs = rowsQ.map((x) => proj(x, qK, qB, K));
    const ks = xk[b].map((x) => proj(x, kK, kB, K));
    const vs = xv[b].map((x) => proj(x, vK, vB, V));
    return qs.map((qh, t) => {
      const ctx = Array.from({ length: H }, (_, h) => {
        const sc = ks.map((kh, s) => {
          let d = 0;
          for (let j = 0; j < K; j++) d += (qh[h][j] / Math.sqrt(K)) * kh[h][j];
          return d + (mask ? (1 - mask(b, t, s)) * -1e9 : 0);
        });
        const mx = Math.max(...sc);
        const ex = sc.map((z) => Math.exp(z - mx));
        const tot = ex.reduce((a, e) => a + e, 0);
        return Array.from({ length: V }, (_, j) => ex.reduce((a, e, s) => a + (e / tot) * vs[s][h][j], 0));
      });
      return Array.from({ length: O }, (_, o) => {
        let s = oB.data[o];
        for (let h = 0; h < H; h++) for (let j = 0; j < V; j++) s += ctx[h][j] * oK.data[(h * V + j) * O + o];
        return s;
      });
    });
  });
}

const rand3 = (b: number, t: number, d: number, seed: number) =>
  Array.from({ length: b }, (_, i) =>
    Array.from({ length: t }, (_, j) =>
      Array.from({ length: d }, (_, k) => Math.sin(seed * 7.1 + i * 3.3 + j * 1.7 + k * 0.9)),
    ),
  );
const asT = (a: number[][][]) => f64(a.flat(2), [a.length, a[0].length, a[0][0].length]);

describe('keyDim ≠ dModel / numHeads: against a plain loop of the formula', () => {
  const B = 2;
  const T = 3;
  const S = 4;
  const xq = rand3(B, T, 5, 1);
  const xv = rand3(B, S, 3, 2);
  const xk = rand3(B, S, 2, 3);
  const make = () => {
    tg.setSeed(5);
    const l = tg.layers.multiHeadAttention({
      numHeads: 3,
      keyDim: 2,
      valueDim: 4,
      outputShape: 6,
      biasInitializer: 'randomNormal',
      dtype: 'float64',
    });
    return l;
  };
  it('query, value and key of different sizes, with valueDim and outputShape', () => {
    const l = make();
    const y = l.apply([asT(xq), asT(xv), asT(xk)]) as tg.Tensor;
    expect(y.shape).toEqual([B, T, 6]);
    expect(l.getWeights().map((w) => w.shape)).toEqual([
      [5, 3, 2],
      [3, 2],
      [2, 3, 2],
      [3, 2],
      [3, 3, 4],
      [3, 4],
      [3, 4, 6],
      [6],
    ]);
    close(y, naiveMha(xq, xv, xk, l.getWeights(), null).flat(2));
  });
  it('key defaults to value; padding and causal masks AND together', () => {
    const l = make();
    const xv2 = rand3(B, T, 3, 4);
    const pad = [
      [1, 1, 1],
      [1, 0, 0],
    ];
    const am = f64(
      [0, 1].flatMap((b) => [0, 1, 2].flatMap(() => pad[b])),
      [B, T, T],
    );
    const y = l.apply([asT(xq), asT(xv2)], { attentionMask: am, useCausalMask: true }) as tg.Tensor;
    const ref = naiveMha(xq, xv2, xv2, l.getWeights(), (b, t, s) => pad[b][s] * (s <= t ? 1 : 0));
    close(y, ref.flat(2));
    // the masks matter: without them the output differs
    const plain = l.apply([asT(xq), asT(xv2)]) as tg.Tensor;
    expect(Math.max(...Array.from(plain.data).map((v, i) => Math.abs(v - y.data[i])))).toBeGreaterThan(1e-3);
  });
  it("a Keras padding mask on the value (Embedding maskZero) masks those keys; the output keeps the query's mask", () => {
    const l = make();
    const v = asT(xv);
    const vm = tg.tensor([1, 1, 1, 0, 1, 1, 0, 0], [B, S]);
    setMask(v, vm, 'test');
    const q = asT(xq);
    const qm = tg.tensor([1, 1, 0, 1, 0, 0], [B, T]);
    setMask(q, qm, 'test');
    const y = l.apply([q, v, asT(xk)]) as tg.Tensor;
    const ref = naiveMha(xq, xv, xk, l.getWeights(), (b, t, s) => vm.data[b * S + s] * qm.data[b * T + t]);
    // NOTE: a fully masked query row adds −1e9 to every score: Keras's own rounding there is ~1e-9
    close(y, ref.flat(2), 1e-7);
    expect(Array.from(maskOf(y)!.data)).toEqual(Array.from(qm.data));
  });
});

describe('Keras parameters, names, config and options', () => {
  it('numHeads 2, keyDim 3 on 4 features: 118 parameters with Keras 3 weight names', () => {
    const q = tg.input({ shape: [3, 4] });
    const v = tg.input({ shape: [5, 4] });
    const l = tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 });
    const m = tg.model({ inputs: [q, v], outputs: l.apply([q, v]) as tg.SymbolicTensor });
    expect(m.countParams()).toBe(118);
    expect(l.namedWeights().map(([n]) => n)).toEqual([
      'query/kernel',
      'query/bias',
      'key/kernel',
      'key/bias',
      'value/kernel',
      'value/bias',
      'attention_output/kernel',
      'attention_output/bias',
    ]);
    expect(l.paramFormula()).toBe('(4+1)·2·3 + (4+1)·2·3 + (4+1)·2·3 + 2·3·4+4 = 118');
    expect(m.summary()).toMatch(/multi_head_attention\S* \(MultiHeadAttention\)[^\n]*118/);
    const nb = tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, useBias: false });
    nb.build([
      [1, 3, 4],
      [1, 5, 4],
    ]);
    expect(nb.countParams()).toBe(3 * 24 + 24);
  });
  it('config round trip through the Keras importer (.h5 config)', async () => {
    const q = tg.input({ shape: [3, 4] });
    const v = tg.input({ shape: [5, 2] });
    const l = tg.layers.multiHeadAttention({
      numHeads: 2,
      keyDim: 3,
      valueDim: 5,
      outputShape: 7,
      dropout: 0.25,
      useBias: false,
    });
    const m = tg.model({ inputs: [q, v], outputs: l.apply([q, v]) as tg.SymbolicTensor });
    const p = join(dir, 'cfg.h5');
    await tg.keras.saveModel(m, p);
    const back = await tg.keras.loadModel(p);
    const l2 = back.layers.find((x) => x.className === 'MultiHeadAttention')!;
    expect(l2).toBeInstanceOf(MultiHeadAttention);
    expect(l2.getConfig()).toEqual(l.getConfig());
    expect(l.getConfig()).toMatchObject({
      num_heads: 2,
      key_dim: 3,
      value_dim: 5,
      output_shape: 7,
      dropout: 0.25,
      use_bias: false,
    });
  });
  it('imports a tf.keras 2.x config, where value and key are call kwargs of the query node', () => {
    const inp = (name: string, shape: number[]) => ({
      class_name: 'InputLayer',
      name,
      config: { name, batch_input_shape: [null, ...shape], dtype: 'float32' },
      inbound_nodes: [],
    });
    // the shape of tf.keras 2.x's get_config for MultiHeadAttention called as mha(q, v, key=k)
    const cfg = {
      class_name: 'Functional',
      keras_version: '2.12.0',
      backend: 'tensorflow',
      config: {
        name: 'm',
        layers: [
          inp('q', [3, 4]),
          inp('v', [5, 2]),
          inp('k', [5, 6]),
          {
            class_name: 'MultiHeadAttention',
            name: 'mha',
            config: {
              name: 'mha',
              trainable: true,
              dtype: 'float32',
              num_heads: 2,
              key_dim: 3,
              value_dim: 3,
              dropout: 0.0,
              use_bias: true,
              output_shape: null,
              attention_axes: [1],
              kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
              bias_initializer: { class_name: 'Zeros', config: {} },
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
              query_shape: [null, 3, 4],
              key_shape: [null, 5, 6],
              value_shape: [null, 5, 2],
            },
            inbound_nodes: [[['q', 0, 0, { value: ['v', 0, 0], key: ['k', 0, 0] }]]],
          },
        ],
        input_layers: [
          ['q', 0, 0],
          ['v', 0, 0],
          ['k', 0, 0],
        ],
        output_layers: [['mha', 0, 0]],
      },
    };
    // NOTE: tf.keras 2.x stores the default attention axes resolved ([1] on rank-3 inputs): the same as null
    const m = tg.keras.modelFromJson(cfg);
    const l = m.layers.find((x) => x.className === 'MultiHeadAttention')!;
    expect(l.getWeights().map((w) => w.shape)).toEqual([
      [4, 2, 3],
      [2, 3],
      [6, 2, 3],
      [2, 3],
      [2, 2, 3],
      [2, 3],
      [2, 3, 4],
      [4],
    ]);
    expect(() =>
      tg.keras.modelFromJson({
        ...cfg,
        config: {
          ...cfg.config,
          layers: cfg.config.layers.map((x) =>
            x.class_name === 'MultiHeadAttention'
              ? { ...x, config: { ...x.config, attention_axes: [2] } }
              : x,
          ),
        },
      }),
    ).toThrow(/attention_axes/);
  });
  it('refuses attentionAxes, bad sizes, a single input and unknown call options by name', () => {
    expect(() => tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, attentionAxes: [1] })).toThrow(
      /attentionAxes/,
    );
    expect(() => tg.layers.multiHeadAttention({ numHeads: 0, keyDim: 3 })).toThrow(/numHeads/);
    expect(() => tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3, outputShape: [2, 3] })).toThrow(
      /outputShape/,
    );
    const l = tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 3 });
    expect(() => l.apply(tg.zeros([1, 3, 4]))).toThrow(/\[query, value\]/);
    expect(() => l.apply([tg.zeros([1, 3, 4]), tg.zeros([1, 5, 4])], { queryMask: 1 })).toThrow(/queryMask/);
    expect(() =>
      l.apply([tg.zeros([1, 3, 4]), tg.zeros([1, 5, 4])], { attentionMask: tg.ones([1, 3, 4]) }),
    ).toThrow(/attentionMask must be \[batch, query steps, value steps\]/);
  });
});

describe('training and saving', () => {
  const data = () => {
    tg.setSeed(3);
    return { x: tg.randn([8, 4, 4]), y: tg.randn([8, 4, 4]) };
  };
  const selfAttn = () => {
    tg.setSeed(9);
    const i = tg.input({ shape: [4, 4] });
    const a = tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([i, i]) as tg.SymbolicTensor;
    return tg.model({ inputs: i, outputs: tg.layers.dense({ units: 4 }).apply(a) as tg.SymbolicTensor });
  };
  it('a model with it trains with fit (loss goes down, attention weights change)', async () => {
    const { x, y } = data();
    const m = selfAttn();
    const before = Array.from(m.layers[1].getWeights()[0].data);
    m.compile({ optimizer: tg.train.adam(0.05), loss: 'meanSquaredError' });
    const h = await m.fit(x, y, { epochs: 8, batchSize: 8, verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.9);
    expect(Array.from(m.layers[1].getWeights()[0].data)).not.toEqual(before);
  });
  it('TF.js export refuses it by name (tfjs-layers has no MultiHeadAttention, tfjs#8574)', () => {
    const i = tg.input({ shape: [4, 4] });
    const l = tg.layers.multiHeadAttention({ numHeads: 2, keyDim: 2 });
    const m = tg.model({ inputs: i, outputs: l.apply([i, i]) as tg.SymbolicTensor });
    expect(() => tg.keras.toTfjsArtifacts(m)).toThrow(/MultiHeadAttention.*TF\.js/);
  });
  for (const ext of ['keras', 'h5'])
    it(`save to .${ext} and load back: same predictions`, async () => {
      const { x } = data();
      const i = tg.input({ shape: [4, 4] });
      const kv = tg.input({ shape: [6, 3] });
      tg.setSeed(12);
      const l = tg.layers.multiHeadAttention({
        numHeads: 2,
        keyDim: 3,
        valueDim: 2,
        biasInitializer: 'randomNormal',
      });
      const m = tg.model({ inputs: [i, kv], outputs: l.apply([i, kv]) as tg.SymbolicTensor });
      const xv = tg.randn([8, 6, 3]);
      const p = join(dir, `m.${ext}`);
      await tg.keras.saveModel(m, p);
      const back = await tg.keras.loadModel(p);
      // the file's layout is Keras's: Keras 3 EinsumDense sub-layers (alphabetical), tf.keras 2.x `<layer>/query/kernel:0`
      // (the model has no other weights)
      const names = (await tg.keras.inspect(p)).weights.map((w) => w.name);
      expect(names).toEqual(
        ext === 'keras'
          ? ['key', 'output', 'query', 'value'].flatMap((k) => [0, 1].map((j) => `${k}_dense/vars/${j}`))
          : ['query', 'key', 'value', 'attention_output'].flatMap((k) =>
              ['kernel', 'bias'].map((j) => `${l.name}/${k}/${j}:0`),
            ),
      );
      const a = m.predict([x, xv]) as tg.Tensor;
      const b = back.predict([x, xv]) as tg.Tensor;
      expect(Array.from(b.data)).toEqual(Array.from(a.data));
    });
});
