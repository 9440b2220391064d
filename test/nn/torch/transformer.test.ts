// tg.nn.MultiheadAttention, TransformerEncoderLayer and TransformerEncoder against PyTorch 1.13: the fixture
// test/fixtures/transformer/torch.json is made by gen.py beside it (seeded torch modules in float64, eval mode: their
// state dicts, inputs, masks, outputs and the gradients of sum(out · R)). Each case loads torch's state dict into the
// tapegrad module and compares outputs, attention weights and gradients.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const nn = tg.nn;
interface Enc {
  dtype: 'bool' | 'float64';
  shape: number[];
  data: (number | '-inf')[];
}
type Case = Record<string, any>;
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/transformer/torch.json', import.meta.url), 'utf8'),
) as Record<string, any>;

/** A fixture tensor: bool masks become int32 (tapegrad's bool mask), the rest float64. */
const dec = (e: Enc | null): tg.Tensor | null =>
  e === null
    ? null
    : tg.tensor(
        e.data.map((v) => (v === '-inf' ? -Infinity : v)),
        e.shape,
        { dtype: e.dtype === 'bool' ? 'int32' : 'float64' },
      );
const leaf = (e: Enc): tg.Tensor => dec(e)!.requireGrad(true);
const stateOf = (sd: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, dec(v)!]));
const close = (t: tg.Tensor | null, e: Enc, tol = 1e-9) => {
  expect(t).not.toBeNull();
  expect(t!.shape).toEqual(e.shape);
  const got = Array.from(t!.data);
  e.data.forEach((v, i) => expect(Math.abs(got[i] - (v as number))).toBeLessThan(tol));
};
const camel = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );
const lossOf = (y: tg.Tensor, R: Enc) => tg.sum(tg.mul(y, dec(R)!));

describe('MultiheadAttention vs PyTorch 1.13', () => {
  for (const c of fixture.mha)
    it(c.name, () => {
      const m = new nn.MultiheadAttention(c.embedDim, c.numHeads, { ...camel(c.opts), dtype: 'float64' });
      m.eval();
      expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
      expect(m.loadStateDict(stateOf(c.stateDict))).toEqual({ missingKeys: [], unexpectedKeys: [] });
      const [q, k, v] = [c.query, c.key, c.value].map(leaf);
      const [y, w] = m.forward(q, k, v, {
        keyPaddingMask: dec(c.keyPaddingMask),
        attnMask: dec(c.attnMask),
        ...camel(c.forward),
      });
      close(y, c.output);
      if (c.weights === null) expect(w).toBeNull();
      else close(w, c.weights);
      lossOf(y, c.R).backward();
      close(q.grad, c.grads.query);
      close(k.grad, c.grads.key);
      close(v.grad, c.grads.value);
      const named = Object.fromEntries(m.namedParameters());
      for (const p of ['in_proj_weight', 'q_proj_weight', 'out_proj.weight'])
        if (c.grads[p]) close(named[p].grad, c.grads[p]);
    });
});

describe('TransformerEncoderLayer / TransformerEncoder vs PyTorch 1.13', () => {
  for (const c of fixture.encoder_layer)
    it(c.name, () => {
      const m = new nn.TransformerEncoderLayer(8, 2, { ...camel(c.opts), dtype: 'float64' } as any);
      m.eval();
      expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
      m.loadStateDict(stateOf(c.stateDict));
      const x = leaf(c.src);
      const y = m.forward(x, { srcMask: dec(c.mask), srcKeyPaddingMask: dec(c.srcKeyPaddingMask) });
      close(y, c.output);
      lossOf(y, c.R).backward();
      close(x.grad, c.grads.src);
      close(m.linear1.weight.grad, c.grads['linear1.weight']);
    });
  for (const c of fixture.encoder)
    it(c.name, () => {
      const layer = new nn.TransformerEncoderLayer(8, 2, { ...camel(c.opts), dtype: 'float64' } as any);
      const m = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8, { dtype: 'float64' }) });
      m.eval();
      expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
      m.loadStateDict(stateOf(c.stateDict));
      const x = leaf(c.src);
      const y = m.forward(x, { mask: dec(c.mask), srcKeyPaddingMask: dec(c.srcKeyPaddingMask) });
      close(y, c.output);
      lossOf(y, c.R).backward();
      close(x.grad, c.grads.src);
      close(
        (m.layers.at(0) as tg.nn.TransformerEncoderLayer).linear1.weight.grad,
        c.grads['layers.0.linear1.weight'],
      );
    });
});

describe('TransformerEncoder: torch 1.13 nested-tensor fast path (eval, no grad)', () => {
  const c = fixture.encoder_nested as unknown as Case;
  const make = () => {
    const layer = new nn.TransformerEncoderLayer(8, 2, { ...camel(c.opts), dtype: 'float64' } as any);
    const m = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8, { dtype: 'float64' }) });
    m.loadStateDict(stateOf(c.stateDict));
    return m.eval();
  };
  it('zeros padded positions and cuts the sequence to the longest row under noGrad', () => {
    const m = make();
    const kpm = dec(c.srcKeyPaddingMask)!;
    const y = tg.noGrad(() => m.forward(dec(c.src)!, { srcKeyPaddingMask: kpm }));
    close(y, c.output); // [2, 3, 8]: torch's to_padded_tensor pads to the longest unpadded row (3)
  });
  it('runs the dense path when the padding is not left-aligned, and when recording gradients', () => {
    const m = make();
    const rolled = tg.tensor([1, 0, 0, 0, 1, 0, 0, 1], [2, 4], { dtype: 'int32' }); // kpm.roll(1, 1)
    close(
      tg.noGrad(() => m.forward(dec(c.src)!, { srcKeyPaddingMask: rolled })),
      c.rolledOutput,
    );
    const dense = m.forward(dec(c.src)!, { srcKeyPaddingMask: dec(c.srcKeyPaddingMask) });
    expect(dense.shape).toEqual([2, 4, 8]);
    const off = new nn.TransformerEncoder(m.layers.at(0) as tg.nn.TransformerEncoderLayer, 1, {
      enableNestedTensor: false,
    }).eval();
    expect(
      tg.noGrad(() => off.forward(dec(c.src)!, { srcKeyPaddingMask: dec(c.srcKeyPaddingMask) })).shape,
    ).toEqual([2, 4, 8]);
  });
});

describe('float32 modules', () => {
  it('match the float64 torch reference to ~1e-5', () => {
    const c = fixture.mha[1];
    const m = new nn.MultiheadAttention(c.embedDim, c.numHeads, camel(c.opts)).eval();
    m.loadStateDict(stateOf(c.stateDict)); // cast to float32 on load
    const f32 = (e: Enc) => tg.cast(dec(e)!, 'float32');
    const [y, w] = m.forward(f32(c.query), f32(c.key), f32(c.value), {
      keyPaddingMask: dec(c.keyPaddingMask),
      attnMask: dec(c.attnMask),
      ...camel(c.forward),
    });
    expect(y.dtype).toBe('float32');
    close(y, c.output, 1e-5);
    close(w, c.weights, 1e-5);
  });
});

describe('init as torch', () => {
  it('xavier_uniform in_proj, zero biases, Linear-init out_proj, xavier_normal bias_k/bias_v', () => {
    tg.setSeed(3);
    const E = 64;
    const m = new nn.MultiheadAttention(E, 4, { addBiasKv: true });
    const p = Object.fromEntries(m.namedParameters());
    const absMax = (t: tg.Tensor) => Math.max(...Array.from(t.data, Math.abs));
    const rms = (t: tg.Tensor) => Math.sqrt(Array.from(t.data).reduce((a, v) => a + v * v, 0) / t.size);
    const b = Math.sqrt(6 / (4 * E)); // fan_in E, fan_out 3E
    expect(absMax(p.in_proj_weight)).toBeLessThanOrEqual(b);
    expect(absMax(p.in_proj_weight)).toBeGreaterThan(0.95 * b);
    expect(absMax(p.in_proj_bias)).toBe(0);
    expect(absMax(p['out_proj.bias'])).toBe(0);
    expect(absMax(p['out_proj.weight'])).toBeLessThanOrEqual(1 / Math.sqrt(E));
    expect(absMax(p['out_proj.weight'])).toBeGreaterThan(0.95 / Math.sqrt(E));
    for (const k of ['bias_k', 'bias_v']) {
      expect(p[k].shape).toEqual([1, 1, E]);
      expect(rms(p[k]) * Math.sqrt(E)).toBeGreaterThan(0.7); // std 1/√E
      expect(rms(p[k]) * Math.sqrt(E)).toBeLessThan(1.3);
    }
    const s = new nn.MultiheadAttention(8, 2, { kdim: 4, vdim: 24 });
    const q = Object.fromEntries(s.namedParameters());
    expect(Object.keys(q)).toEqual([
      'q_proj_weight',
      'k_proj_weight',
      'v_proj_weight',
      'in_proj_bias',
      'out_proj.weight',
      'out_proj.bias',
    ]);
    expect(absMax(q.v_proj_weight)).toBeLessThanOrEqual(Math.sqrt(6 / 32));
    expect(absMax(q.v_proj_weight)).toBeGreaterThan(0.8 * Math.sqrt(6 / 32));
  });
  it("TransformerEncoder's layers start as copies of the given layer and train independently", () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    const enc = new nn.TransformerEncoder(layer, 2);
    const [a, b] = [0, 1].map((i) => enc.layers.at(i) as tg.nn.TransformerEncoderLayer);
    expect(Array.from(a.linear1.weight.data)).toEqual(Array.from(layer.linear1.weight.data));
    expect(Array.from(b.self_attn.inProjWeight!.data)).toEqual(
      Array.from(layer.self_attn.inProjWeight!.data),
    );
    expect(a.linear1.weight).not.toBe(b.linear1.weight);
    expect(a.linear1.weight).not.toBe(layer.linear1.weight);
  });
});

describe('train mode', () => {
  it('MultiheadAttention drops attention weights with probability p and scales the rest by 1/(1-p)', () => {
    tg.setSeed(1);
    const m = new nn.MultiheadAttention(8, 2, { dropout: 0.5, batchFirst: true });
    const x = tg.randn([4, 16, 8]);
    const opts = { averageAttnWeights: false };
    const wTrain = m.forward(x, x, x, opts)[1]!;
    const wEval = m.eval().forward(x, x, x, opts)[1]!;
    let zerosSeen = 0;
    wTrain.data.forEach((v, i) => {
      if (v === 0) zerosSeen++;
      else expect(Math.abs(v - 2 * wEval.data[i])).toBeLessThan(1e-6);
    });
    const frac = zerosSeen / wTrain.size; // 2048 draws: 0.5 ± 0.011 (1σ)
    expect(frac).toBeGreaterThan(0.45);
    expect(frac).toBeLessThan(0.55);
  });
  it('TransformerEncoderLayer applies dropout in train mode only', () => {
    tg.setSeed(2);
    const m = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.3 });
    expect([m.self_attn.dropoutP, m.dropout.p, m.dropout1.p, m.dropout2.p]).toEqual([0.3, 0.3, 0.3, 0.3]);
    const x = tg.randn([5, 2, 8]);
    const y1 = m.forward(x);
    const y2 = m.forward(x);
    expect(Array.from(y1.data)).not.toEqual(Array.from(y2.data));
    m.eval();
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(m.forward(x).data));
    const z = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0 });
    z.loadStateDict(m.stateDict());
    expect(Array.from(z.forward(x).data)).toEqual(Array.from(m.forward(x).data));
  });
});

describe('gradcheck (float64)', () => {
  it('MultiheadAttention: query, key, value and a float mask', () => {
    tg.setSeed(4);
    const m = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, dtype: 'float64' });
    const r = (s: number[]) => tg.cast(tg.randn(s), 'float64');
    const kpm = tg.tensor([0, 0, 1], [1, 3], { dtype: 'int32' });
    const res = tg.gradcheck(
      (q, k, v, am) => m.forward(q, k, v, { attnMask: am, keyPaddingMask: kpm })[0],
      [r([2, 1, 4]), r([3, 1, 3]), r([3, 1, 5]), r([2, 3])],
    );
    expect(res.ok).toBe(true);
  });
  it('TransformerEncoderLayer (gelu, normFirst, batchFirst)', () => {
    tg.setSeed(5);
    const m = new nn.TransformerEncoderLayer(4, 2, {
      dimFeedforward: 6,
      activation: 'gelu',
      normFirst: true,
      batchFirst: true,
      dtype: 'float64',
    }).eval();
    const res = tg.gradcheck((x) => m.forward(x), [tg.cast(tg.randn([1, 3, 4]), 'float64')]);
    expect(res.ok).toBe(true);
  });
});

describe('refusals', () => {
  const m = new nn.MultiheadAttention(4, 2);
  const x = tg.randn([3, 2, 4]);
  it.each([
    [
      'isCausal (not in 1.13)',
      () => m.forward(x, x, x, { isCausal: true } as any),
      /isCausal is not in PyTorch 1\.13/,
    ],
    [
      'embed_dim % num_heads',
      () => new nn.MultiheadAttention(6, 4),
      /embed_dim must be divisible by num_heads/,
    ],
    ['unknown option', () => new nn.MultiheadAttention(4, 2, { kDim: 3 } as any), /kDim/],
    [
      'bad attnMask shape',
      () => m.forward(x, x, x, { attnMask: tg.zeros([3, 2]) }),
      /attnMask must be \[L, S\]/,
    ],
    [
      'bad keyPaddingMask shape',
      () => m.forward(x, x, x, { keyPaddingMask: tg.zeros([3, 2]) }),
      /keyPaddingMask must be \[N, S\]/,
    ],
    [
      'float kpm with float attnMask',
      () => m.forward(x, x, x, { keyPaddingMask: tg.zeros([2, 3]), attnMask: tg.zeros([3, 3]) }),
      /float keyPaddingMask cannot be merged with a float attnMask/,
    ],
    [
      'wrong key features',
      () => m.forward(x, tg.randn([3, 2, 5]), x),
      /key .* should be \[3,2,4\], got \[3,2,5\]/,
    ],
    ['4-D query', () => m.forward(tg.randn([1, 3, 2, 4]), x, x), /unbatched 2D or batched 3D/],
    [
      'activation',
      () => new nn.TransformerEncoderLayer(4, 2, { activation: 'tanh' as any }),
      /activation should be relu\/gelu/,
    ],
    [
      'layer isCausal',
      () => new nn.TransformerEncoderLayer(4, 2).forward(x, { isCausal: true } as any),
      /isCausal is not in PyTorch 1\.13/,
    ],
  ])('%s', (_, f, msg) => expect(f).toThrow(msg));
});
