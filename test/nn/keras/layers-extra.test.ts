// The small Keras 3 layers of src/nn/keras/layers/extra.ts against independent references: GroupNormalization against
// torch 1.13's nn.GroupNorm in float64, the others against plain loops of Keras 3's formulas; values, gradients,
// configs, Keras param counts, and a .keras / .h5 round trip.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const f64 = (v: number[], shape: number[], requiresGrad = false) =>
  tg.tensor(v, shape, { dtype: 'float64', requiresGrad });
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const arr = (t: tg.Tensor | null | undefined) => Array.from(t!.data as Float64Array);
function close(got: number[], want: number[], tol = 1e-9, what = '') {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) =>
    expect(Math.abs(g - want[i]), `${what}[${i}]: ${g} vs ${want[i]}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(want[i])),
    ),
  );
}

// Made with /usr/bin/python3 (torch 1.13, float64): x[i] = sin(0.7i + 0.3)·(1 + (i % 5)·0.3) shaped [2, 3, 2, 6]
// (channels last), nn.GroupNorm(3, 6, eps=1e-3) with weight 1 + 0.1j, bias 0.05j − 0.1 applied to x.permute(0, 3, 1, 2)
// and permuted back; loss = Σ y·cos(0.37i); y, dloss/dx, dloss/dweight, dloss/dbias.
const GN_TORCH = {
  y: [
    0.1630784915719284, 1.0037623621136573, 1.7602921494834876, 1.601644205282141, 0.178079525845268,
    -0.6543671164527801, -1.200172103733834, -1.3968461454415382, -0.7239747875742525, 0.9010169206606695,
    1.0724497299777307, 1.7420573653343145, 0.8291033812651537, 0.001524696143668568, -1.4429535087829573,
    -1.0513170482451286, -1.2708608225397149, -0.6055162205035403, 0.4474082604012287, 1.7660815547715527,
    1.1115014884872585, 1.0884594682813067, 0.0852952750964392, -1.4126086186102174, -1.978406474878506,
    -0.8737974456561611, -0.43722152199134345, 0.741571950972141, 2.01292903402387, 2.851152513778517,
    0.46065612726869076, -0.05455947201530715, -1.082143776307828, -2.0990005438750243, -2.1559314510209653,
    -0.29424787859910984, 0.3453396442678943, 1.4297087505922421, 1.8279182359774135, 1.5099819002931933,
    0.059374318292045515, -1.0319254605292656, -1.6283235295792555, -1.7647936527048815, -0.6692628175682445,
    0.4489689197757204, 1.5504475250909633, 2.268063001645599, 1.013914766990965, -0.15341874472725153,
    -0.6619916402609337, -1.318462383646888, -1.6160397269448714, -0.6200538629525839, 0.7225041927921276,
    0.8897991356758858, 1.2418946628932974, 1.0668389603740691, -0.0509711033660158, -1.9183417168665335,
    -1.060869377377915, -1.19964217892574, -0.4360795089649061, 0.8696412153649044, 2.602698168579272,
    1.4601244598055276, 0.6271268494234642, -0.1833151110792636, -1.3040357441777488, -2.2752820657181165,
    -0.9518489272321392, -0.3225024079805162,
  ],
  gx: [
    0.6815592170236292, 0.3445214048947652, 0.9453798030396868, 0.6265123875461219, 0.08622640929291014,
    -0.6651468243316301, -0.010121884100223556, -0.23511516543536753, -1.2289574450805814,
    -1.1265846468275524, -0.7000166789738359, -0.2733025763393754, -0.7673157139137144, 0.01630820007872929,
    0.23198931790334176, 0.6686103304808073, 0.5624700709017173, 0.9616849600811594, 0.47348635347094226,
    -0.20381102499581832, 0.5395438787525001, 0.14432753715992275, -0.3862945018743681, -1.340551283868472,
    0.17406584481037315, -0.6083713546929475, -1.1901896903282316, -0.9835739331845326, -0.06363661874639347,
    0.5221402581143954, -0.2519359514612759, 0.38673007432090806, 0.5983260431724636, 0.7746164173660538,
    0.32253515205854516, 0.9738916336853474, 0.3735896228961902, -0.3999283528478113, 0.6931407829936032,
    0.13824128729345314, -0.7684567074392897, -1.104564258416803, -0.11657422455997973, -0.18686947579486884,
    -1.10486494908522, -0.5320686346332796, -0.38333302118881735, 0.06731581272467577, -0.276164576915249,
    0.7853503941922814, 0.6432629612663676, 0.5678257710172967, 1.2663867519500571, 1.0303467566200464,
    -0.13998040302725165, -0.4946718239610002, 0.11739391694111391, -0.3615481077659059, -1.076553694126907,
    -1.2395527231568648, -0.443045309490676, -0.33814346628961645, -0.7678703146952459, -0.03250542405538961,
    0.040747982851317116, 0.5900437851701068, 0.23415279556015778, 1.0022848202378238, 0.47129242940555555,
    0.16770028131765108, 0.9745720009550092, 0.6030473140574691,
  ],
  gg: [
    7.040049081364668, 6.746647580557425, 0.11211478648662451, -6.522440833453462, -5.536778144290862,
    0.9961033727899421,
  ],
  gb: [
    0.7159722067806041, 0.7639023042896425, 0.7084418085407879, 0.5570970374566933, 0.3303517958131855,
    0.058894988356697375,
  ],
};

describe('GroupNormalization', () => {
  const n = 2 * 3 * 2 * 6;
  const xs = seq(n, (i) => Math.sin(0.7 * i + 0.3) * (1 + (i % 5) * 0.3));
  const rs = seq(n, (i) => Math.cos(0.37 * i));
  const gn = (axis = -1) => {
    const l = tg.layers.groupNormalization({ groups: 3, axis, dtype: 'float64' });
    l.build(axis === -1 ? [2, 3, 2, 6] : [2, 6, 3, 2]);
    l.setWeights([
      f64(
        seq(6, (j) => 1 + 0.1 * j),
        [6],
      ),
      f64(
        seq(6, (j) => 0.05 * j - 0.1),
        [6],
      ),
    ]);
    return l as unknown as { apply(x: tg.Tensor): tg.Tensor; gamma: tg.Tensor; beta: tg.Tensor } & tg.Layer;
  };
  it('matches torch nn.GroupNorm (channels last): values and gradients', () => {
    const l = gn();
    const x = f64(xs, [2, 3, 2, 6], true);
    const y = l.apply(x) as tg.Tensor;
    close(arr(y), GN_TORCH.y, 1e-9, 'y');
    tg.sum(tg.mul(y, f64(rs, [2, 3, 2, 6]))).backward();
    close(arr(x.grad), GN_TORCH.gx, 1e-9, 'dx');
    close(arr(l.gamma.grad), GN_TORCH.gg, 1e-9, 'dgamma');
    close(arr(l.beta.grad), GN_TORCH.gb, 1e-9, 'dbeta');
  });
  it('axis 1 (channels first) gives the same numbers on the transposed input', () => {
    const x = tg.transpose(f64(xs, [2, 3, 2, 6]), [0, 3, 1, 2]);
    const y = tg.transpose(gn(1).apply(x) as tg.Tensor, [0, 2, 3, 1]);
    close(arr(y), GN_TORCH.y, 1e-9, 'y');
  });
  it('weights gamma, beta [C] (Keras order), config, param count, group checks', () => {
    const l = tg.layers.groupNormalization({ groups: 2, epsilon: 1e-4 });
    l.build([null as unknown as number, 5, 8]);
    expect(l.weights.map((w) => [w.name, w.value.shape])).toEqual([
      ['gamma', [8]],
      ['beta', [8]],
    ]);
    expect(l.countParams()).toBe(16);
    expect(l.getConfig()).toMatchObject({ groups: 2, axis: -1, epsilon: 1e-4, center: true, scale: true });
    const noScale = tg.layers.groupNormalization({ groups: 4, scale: false });
    noScale.build([1, 8]);
    expect(noScale.weights.map((w) => w.name)).toEqual(['beta']);
    expect(() => tg.layers.groupNormalization({ groups: 3 }).build([1, 8])).toThrow(
      /groups \(3\) must divide .*8/,
    );
    expect(() => tg.layers.groupNormalization({}).build([1, 8])).toThrow(/groups \(32\) cannot be more/);
  });
});

describe('UnitNormalization, Rescaling, Identity', () => {
  it('UnitNormalization: x / max(‖x‖₂, 1e-7) over axis, with its gradient', () => {
    const v = seq(12, (i) => Math.sin(i + 1) * 2);
    v.splice(8, 4, 1e-9, -2e-9, 0, 1e-9); // a row whose norm is under ε
    const x = f64(v, [3, 4], true);
    const y = tg.layers.unitNormalization({}).apply(x) as tg.Tensor;
    const want: number[] = [];
    for (let r = 0; r < 3; r++) {
      const row = v.slice(r * 4, r * 4 + 4);
      const nrm = Math.max(Math.sqrt(row.reduce((a, b) => a + b * b, 0)), 1e-7);
      want.push(...row.map((u) => u / nrm));
    }
    close(arr(y), want, 1e-12, 'y');
    // d/dx Σ w·x/‖x‖ = (w − (w·u) u) / ‖x‖ for a row above ε; w / ε below it
    const w = seq(12, (i) => Math.cos(i));
    tg.sum(tg.mul(y, f64(w, [3, 4]))).backward();
    const g: number[] = [];
    for (let r = 0; r < 3; r++) {
      const row = v.slice(r * 4, r * 4 + 4);
      const wr = w.slice(r * 4, r * 4 + 4);
      const nrm = Math.sqrt(row.reduce((a, b) => a + b * b, 0));
      if (nrm < 1e-7) g.push(...wr.map((u) => u / 1e-7));
      else {
        const u = row.map((q) => q / nrm);
        const wu = wr.reduce((a, b, i) => a + b * u[i], 0);
        g.push(...wr.map((q, i) => (q - wu * u[i]) / nrm));
      }
    }
    close(arr(x.grad), g, 1e-9, 'dx');
    const y2 = tg.layers.unitNormalization({ axis: [1, 2] }).apply(
      f64(
        seq(8, (i) => i - 3),
        [1, 2, 4],
      ),
    ) as tg.Tensor;
    const nrm = Math.sqrt(seq(8, (i) => (i - 3) ** 2).reduce((a, b) => a + b));
    close(
      arr(y2),
      seq(8, (i) => (i - 3) / nrm),
      1e-12,
      'axis [1, 2]',
    );
    expect(tg.layers.unitNormalization({ axis: [1, 2] }).getConfig()).toMatchObject({ axis: [1, 2] });
  });
  it('Rescaling: x·scale + offset (numbers and per-channel lists); Identity: x', () => {
    const x = f64(
      seq(6, (i) => i - 2),
      [2, 3],
    );
    close(
      arr(tg.layers.rescaling({ scale: 1 / 255, offset: -0.5 }).apply(x) as tg.Tensor),
      seq(6, (i) => (i - 2) / 255 - 0.5),
      1e-15,
    );
    const per = tg.layers.rescaling({ scale: [1, 2, 3], offset: [0, 1, 0] }).apply(x) as tg.Tensor;
    close(
      arr(per),
      seq(6, (i) => (i - 2) * [1, 2, 3][i % 3] + [0, 1, 0][i % 3]),
      1e-15,
    );
    expect(tg.layers.rescaling({ scale: 2 }).getConfig()).toMatchObject({ scale: 2, offset: 0 });
    expect(() => tg.layers.rescaling({ scale: 'x' as unknown as number })).toThrow(/Rescaling: scale/);
    expect(arr(tg.layers.identity().apply(x) as tg.Tensor)).toEqual(arr(x));
  });
});

/** Keras 3 attention as plain loops: scores [b][i][j], softmax over j, Σ_j w·v. */
function attentionLoop(
  q: number[],
  v: number[],
  k: number[],
  B: number,
  Tq: number,
  Tv: number,
  D: number,
  score: (qi: number[], kj: number[]) => number,
): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Tq; i++) {
      const qi = q.slice((b * Tq + i) * D, (b * Tq + i + 1) * D);
      const s = seq(Tv, (j) => score(qi, k.slice((b * Tv + j) * D, (b * Tv + j + 1) * D)));
      const m = Math.max(...s);
      const e = s.map((u) => Math.exp(u - m));
      const z = e.reduce((a, c) => a + c);
      for (let d = 0; d < D; d++) out.push(e.reduce((a, c, j) => a + (c / z) * v[(b * Tv + j) * D + d], 0));
    }
  return out;
}

describe('Attention and AdditiveAttention', () => {
  const B = 2,
    Tq = 3,
    Tv = 4,
    D = 5;
  const qv = seq(B * Tq * D, (i) => Math.sin(0.3 * i + 0.1));
  const vv = seq(B * Tv * D, (i) => Math.cos(0.17 * i - 0.4));
  const kv = seq(B * Tv * D, (i) => Math.sin(0.23 * i + 1.1) * 0.8);
  const dot = (a: number[], b: number[]) => a.reduce((s, u, i) => s + u * b[i], 0);
  type Case = [string, () => tg.Layer, (qi: number[], kj: number[]) => number, number[]];
  const cases: Case[] = [
    ['dot', () => tg.layers.attention({ dtype: 'float64' }), dot, []],
    [
      'dot, useScale 1.7',
      () => tg.layers.attention({ useScale: true, dtype: 'float64' }),
      (a, b) => 1.7 * dot(a, b),
      [1.7],
    ],
    [
      'concat',
      () => tg.layers.attention({ scoreMode: 'concat', dtype: 'float64' }),
      (a, b) => 0.6 * a.reduce((s, u, i) => s + Math.tanh(u + b[i]), 0),
      [0.6],
    ],
    [
      'concat, useScale 1.3',
      () => tg.layers.attention({ scoreMode: 'concat', useScale: true, dtype: 'float64' }),
      (a, b) => 0.6 * a.reduce((s, u, i) => s + Math.tanh(1.3 * (u + b[i])), 0),
      [1.3, 0.6],
    ],
    [
      'additive',
      () => tg.layers.additiveAttention({ dtype: 'float64' }),
      (a, b) => a.reduce((s, u, i) => s + (0.5 + 0.1 * i) * Math.tanh(u + b[i]), 0),
      seq(D, (i) => 0.5 + 0.1 * i),
    ],
    [
      'additive, no scale',
      () => tg.layers.additiveAttention({ useScale: false, dtype: 'float64' }),
      (a, b) => a.reduce((s, u, i) => s + Math.tanh(u + b[i]), 0),
      [],
    ],
  ];
  for (const [what, make, score, weights] of cases)
    it(`${what}: matches the loop, values and gradients (central differences of the loop)`, () => {
      const l = make();
      l.build([
        [B, Tq, D],
        [B, Tv, D],
        [B, Tv, D],
      ]);
      l.setWeights(
        l.weights.map((w, i) => f64(w.value.size === 1 ? [weights[i]] : weights, [...w.value.shape])),
      );
      const q = f64(qv, [B, Tq, D], true);
      const v = f64(vv, [B, Tv, D], true);
      const k = f64(kv, [B, Tv, D], true);
      const y = l.apply([q, v, k]) as tg.Tensor;
      close(arr(y), attentionLoop(qv, vv, kv, B, Tq, Tv, D, score), 1e-12, 'y');
      // key defaults to value
      close(
        arr(l.apply([q, v]) as tg.Tensor),
        attentionLoop(qv, vv, vv, B, Tq, Tv, D, score),
        1e-12,
        'y (k = v)',
      );
      const r = seq(B * Tq * D, (i) => Math.cos(0.41 * i));
      tg.sum(tg.mul(y, f64(r, [B, Tq, D]))).backward();
      const loss = (qq: number[], vvv: number[], kk: number[]) =>
        dot(attentionLoop(qq, vvv, kk, B, Tq, Tv, D, score), r);
      const h = 1e-6;
      const fd = (which: 0 | 1 | 2, idx: number) => {
        const args = [qv, vv, kv].map((a) => [...a]);
        args[which][idx] += h;
        const p = loss(args[0], args[1], args[2]);
        args[which][idx] -= 2 * h;
        return (p - loss(args[0], args[1], args[2])) / (2 * h);
      };
      for (const [which, t] of [
        [0, q],
        [1, v],
        [2, k],
      ] as const)
        for (const idx of [0, 7, 13, 19])
          expect(
            Math.abs(arr(t.grad)[idx] - fd(which, idx)),
            `${what} d${'qvk'[which]}[${idx}]`,
          ).toBeLessThan(1e-7);
    });
  it('weights and param counts as Keras 3; configs', () => {
    const shapes = [
      [2, 3, 5],
      [2, 4, 5],
    ];
    const counts = (l: tg.Layer) => {
      l.build(shapes);
      return [l.weights.map((w) => [w.name, w.value.shape]), l.countParams()];
    };
    expect(counts(tg.layers.attention())).toEqual([[], 0]);
    expect(counts(tg.layers.attention({ useScale: true, scoreMode: 'concat' }))).toEqual([
      [
        ['scale', []],
        ['concat_score_weight', []],
      ],
      2,
    ]);
    expect(counts(tg.layers.additiveAttention())).toEqual([[['scale', [5]]], 5]);
    expect(tg.layers.attention({ scoreMode: 'concat', dropout: 0.2 }).getConfig()).toMatchObject({
      use_scale: false,
      score_mode: 'concat',
      dropout: 0.2,
    });
    expect(tg.layers.additiveAttention({}).getConfig()).toMatchObject({ use_scale: true, dropout: 0 });
    expect(() => tg.layers.attention({ scoreMode: 'general' as 'dot' })).toThrow(
      /scoreMode must be 'dot' or 'concat'/,
    );
    expect(() => tg.layers.attention().apply(tg.ones([2, 3, 5]))).toThrow(/expects a list \[query, value\]/);
  });
  it('dropout applies to the attention weights in training only', () => {
    const l = tg.layers.attention({ dropout: 0.5, dtype: 'float64' });
    const q = f64(qv, [B, Tq, D]);
    const v = f64(vv, [B, Tv, D]);
    const ref = attentionLoop(qv, vv, vv, B, Tq, Tv, D, dot);
    close(arr(l.apply([q, v]) as tg.Tensor), ref, 1e-12, 'inference');
    expect(arr(l.apply([q, v], { training: true }) as tg.Tensor)).not.toEqual(
      arr(l.apply([q, v]) as tg.Tensor),
    );
  });
});

describe('save and load', () => {
  it('a model with every layer round-trips through .keras and .h5 with the same predictions', async () => {
    tg.resetLayerNames();
    const q = tg.input({ shape: [3, 8] });
    const v = tg.input({ shape: [4, 8] });
    const qn = tg.layers
      .groupNormalization({ groups: 4 })
      .apply(tg.layers.rescaling({ scale: 0.5, offset: 0.1 }).apply(q) as tg.SymbolicTensor);
    const vn = tg.layers.unitNormalization({}).apply(tg.layers.identity().apply(v) as tg.SymbolicTensor);
    const a1 = tg.layers
      .attention({ useScale: true, scoreMode: 'concat' })
      .apply([qn, vn] as tg.SymbolicTensor[]);
    const a2 = tg.layers.additiveAttention({}).apply([a1, vn, vn] as tg.SymbolicTensor[]);
    const m = tg.model({ inputs: [q, v], outputs: a2 as tg.SymbolicTensor });
    for (const l of m.layers)
      if (l.weights.length)
        l.setWeights(l.weights.map((w) => tg.randn(w.value.shape, { rng: new tg.Rng(7) })));
    expect(m.countParams()).toBe(8 + 8 + 2 + 8);
    // Keras 3's summary of this model: GroupNormalization 16, Attention 2, AdditiveAttention 8, total 26
    expect(m.summary({ print: false })).toMatch(/Total params: 26\b/);
    const xs = [tg.randn([2, 3, 8], { rng: new tg.Rng(1) }), tg.randn([2, 4, 8], { rng: new tg.Rng(2) })];
    const y0 = Array.from((m.predict(xs) as tg.Tensor).data);
    for (const format of ['keras', 'h5'] as const) {
      const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format }));
      expect(Array.from((back.predict(xs) as tg.Tensor).data), format).toEqual(y0);
      expect(back.layers.map((l) => l.className)).toEqual(m.layers.map((l) => l.className));
    }
  });
});

describe('import and masks', () => {
  const inp = (name: string, shape: number[]) => ({
    class_name: 'InputLayer',
    name,
    config: { name, batch_input_shape: [null, ...shape], dtype: 'float32' },
    inbound_nodes: [],
  });
  const topo = (att: Record<string, unknown>) => ({
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        inp('q', [3, 4]),
        inp('v', [2, 4]),
        {
          class_name: 'Attention',
          name: 'att',
          config: { name: 'att', ...att },
          inbound_nodes: [
            [
              ['q', 0, 0, {}],
              ['v', 0, 0, {}],
            ],
          ],
        },
      ],
      input_layers: [
        ['q', 0, 0],
        ['v', 0, 0],
      ],
      output_layers: [['att', 0, 0]],
    },
  });
  it("reads tf.keras 2's Attention config keys; refuses causal: true by name", async () => {
    const keras2 = {
      use_scale: true,
      score_mode: 'concat',
      dropout: 0.1,
      causal: false,
      rng_type: null,
      seed: null,
    };
    const m = await tg.models.modelFromJSON(topo(keras2) as never);
    const att = m.layers[2];
    expect(att.className).toBe('Attention');
    expect(att.getConfig()).toMatchObject({ use_scale: true, score_mode: 'concat', dropout: 0.1 });
    await expect(tg.models.modelFromJSON(topo({ ...keras2, causal: true }) as never)).rejects.toThrow(
      /'att' \(Attention\): field 'causal'/,
    );
  });
  it('a padding mask reaching Attention is refused by name', () => {
    const ids = tg.input({ shape: [4] });
    const e = tg.layers
      .embedding({ inputDim: 5, outputDim: 3, maskZero: true })
      .apply(ids) as tg.SymbolicTensor;
    const att = tg.layers.attention({ name: 'att_masked' });
    expect(() => att.apply([e, e])).toThrow(/att_masked \(Attention\) receives the padding mask/);
  });
});
