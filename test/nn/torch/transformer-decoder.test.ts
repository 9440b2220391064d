// tg.nn.TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch 1.13: the fixture
// test/fixtures/transformer/decoder.json is made by gen_decoder.py beside it (seeded torch modules in float64, eval
// mode: their state dicts, inputs, masks, outputs and the gradients of sum(out · R)). Each case loads torch's state
// dict into the tapegrad module and compares outputs and gradients (inputs and a few weights) to 1e-9.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const nn = tg.nn;
interface Enc {
  dtype: 'bool' | 'float64';
  shape: number[];
  data: (number | '-inf')[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/transformer/decoder.json', import.meta.url), 'utf8'),
) as Record<string, any>;

/** A fixture tensor: bool masks become int32 (tapegrad's bool mask), the rest float64. */
const dec = (e: Enc | null | undefined): tg.Tensor | null =>
  e == null
    ? null
    : tg.tensor(
        e.data.map((v) => (v === '-inf' ? -Infinity : v)),
        e.shape,
        { dtype: e.dtype === 'bool' ? 'int32' : 'float64' },
      );
const leaf = (e: Enc): tg.Tensor => dec(e)!.requireGrad(true);
const stateOf = (sd: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, dec(v)!]));
const close = (t: tg.Tensor | null | undefined, e: Enc, tol = 1e-9) => {
  expect(t).toBeTruthy();
  expect(t!.shape).toEqual(e.shape);
  const got = Array.from(t!.data);
  e.data.forEach((v, i) =>
    v === '-inf' ? expect(got[i]).toBe(-Infinity) : expect(Math.abs(got[i] - v)).toBeLessThan(tol),
  );
};
const camel = (o: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]),
  );
const fwdOpts = (fw: Record<string, Enc>) =>
  Object.fromEntries(Object.entries(camel(fw)).map(([k, v]) => [k, dec(v as Enc)]));
const lossOf = (y: tg.Tensor, R: Enc) => tg.sum(tg.mul(y, dec(R)!));

/** Loads the case's state dict, runs forward and backward and compares output and gradients with torch's. */
function check(m: tg.nn.Module, c: any, run: () => [tg.Tensor, Record<string, tg.Tensor>]) {
  m.eval();
  expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.stateDict));
  expect(m.loadStateDict(stateOf(c.stateDict))).toEqual({ missingKeys: [], unexpectedKeys: [] });
  const [y, inputs] = run();
  close(y, c.output);
  lossOf(y, c.R).backward();
  const named = Object.fromEntries(m.namedParameters());
  for (const [k, e] of Object.entries(c.grads as Record<string, Enc>))
    close(k in inputs ? inputs[k].grad : named[k].grad, e);
}

describe('TransformerDecoderLayer vs PyTorch 1.13', () => {
  for (const c of fixture.decoder_layer)
    it(c.name, () => {
      const m = new nn.TransformerDecoderLayer(8, 2, { ...camel(c.opts), dtype: 'float64' } as any);
      check(m, c, () => {
        const [tgt, memory] = [leaf(c.tgt), leaf(c.memory)];
        return [m.forward(tgt, memory, fwdOpts(c.forward)), { tgt, memory }];
      });
    });
});

describe('TransformerDecoder vs PyTorch 1.13', () => {
  for (const c of fixture.decoder)
    it(c.name, () => {
      const layer = new nn.TransformerDecoderLayer(8, 2, { ...camel(c.opts), dtype: 'float64' } as any);
      const norm = 'norm.weight' in c.stateDict ? new nn.LayerNorm(8, { dtype: 'float64' }) : null;
      const m = new nn.TransformerDecoder(layer, 2, { norm });
      check(m, c, () => {
        const [tgt, memory] = [leaf(c.tgt), leaf(c.memory)];
        return [m.forward(tgt, memory, fwdOpts(c.forward)), { tgt, memory }];
      });
    });
  it("its layers start as copies of the given layer's weights and train independently", () => {
    const layer = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8 });
    const m = new nn.TransformerDecoder(layer, 2);
    const [a, b] = [0, 1].map((i) => m.layers.at(i) as tg.nn.TransformerDecoderLayer);
    expect(Array.from(b.multihead_attn.inProjWeight!.data)).toEqual(
      Array.from(layer.multihead_attn.inProjWeight!.data),
    );
    expect(a.linear1.weight).not.toBe(b.linear1.weight);
    expect(a.norm3).not.toBe(layer.norm3);
  });
});

describe('Transformer vs PyTorch 1.13', () => {
  for (const c of fixture.transformer)
    it(c.name, () => {
      const m = new nn.Transformer({ ...camel(c.opts), dtype: 'float64' } as any);
      check(m, c, () => {
        const [src, tgt] = [leaf(c.src), leaf(c.tgt)];
        return [m.forward(src, tgt, fwdOpts(c.forward)), { src, tgt }];
      });
    });
  it('generateSquareSubsequentMask: float, -inf above the diagonal, 0 elsewhere', () => {
    const m4 = nn.Transformer.generateSquareSubsequentMask(4, { dtype: 'float64' });
    close(m4, fixture.square_mask['4']);
    close(nn.Transformer.generateSquareSubsequentMask(1), fixture.square_mask['1']);
    expect(nn.Transformer.generateSquareSubsequentMask(3).dtype).toBe('float32'); // torch's default dtype
  });
  it("torch's defaults: d_model 512, nhead 8, 6 + 6 layers, 2048 feed-forward, final norms", () => {
    tg.setSeed(1);
    const m = new nn.Transformer({ numEncoderLayers: 1, numDecoderLayers: 1 });
    expect([m.dModel, m.nhead, m.batchFirst]).toEqual([512, 8, false]);
    const p = Object.fromEntries(m.namedParameters());
    expect(p['encoder.layers.0.linear1.weight'].shape).toEqual([2048, 512]);
    expect(p['decoder.norm.weight'].shape).toEqual([512]);
    expect(p['encoder.norm.weight'].shape).toEqual([512]);
    // _reset_parameters: every rank > 1 weight is xavier_uniform, U(±√(6 / (in + out)))
    const w = p['decoder.layers.0.linear2.weight']; // [512, 2048]
    const b = Math.sqrt(6 / (512 + 2048));
    const absMax = Array.from(w.data).reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    expect(absMax).toBeLessThanOrEqual(b);
    expect(absMax).toBeGreaterThan(0.95 * b); // Linear's own init bound 1/√2048 is 2.2× smaller
    const six = new nn.Transformer({ dModel: 8, nhead: 2, dimFeedforward: 4 });
    expect(((six.encoder as tg.nn.TransformerEncoder).layers as tg.nn.ModuleList).length).toBe(6);
    expect(((six.decoder as tg.nn.TransformerDecoder).layers as tg.nn.ModuleList).length).toBe(6);
  });
  it('customEncoder / customDecoder replace the made ones', () => {
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 4 }), 1);
    const m = new nn.Transformer({ dModel: 4, nhead: 2, customEncoder: enc, numDecoderLayers: 1 });
    expect(m.encoder).toBe(enc);
    expect(m.forward(tg.randn([3, 2, 4]), tg.randn([2, 2, 4])).shape).toEqual([2, 2, 4]);
  });
});

describe('train mode', () => {
  it('TransformerDecoderLayer applies dropout in train mode only', () => {
    tg.setSeed(2);
    const m = new nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.3 });
    expect([m.multihead_attn.dropoutP, m.dropout.p, m.dropout3.p]).toEqual([0.3, 0.3, 0.3]);
    const [x, mem] = [tg.randn([3, 2, 8]), tg.randn([4, 2, 8])];
    expect(Array.from(m.forward(x, mem).data)).not.toEqual(Array.from(m.forward(x, mem).data));
    m.eval();
    expect(Array.from(m.forward(x, mem).data)).toEqual(Array.from(m.forward(x, mem).data));
  });
});

describe('gradcheck (float64)', () => {
  it('TransformerDecoderLayer (gelu, normFirst, batchFirst): tgt and memory', () => {
    tg.setSeed(5);
    const m = new nn.TransformerDecoderLayer(4, 2, {
      dimFeedforward: 6,
      activation: 'gelu',
      normFirst: true,
      batchFirst: true,
      dtype: 'float64',
    }).eval();
    const r = (s: number[]) => tg.cast(tg.randn(s), 'float64');
    const mask = nn.Transformer.generateSquareSubsequentMask(2, { dtype: 'float64' });
    const res = tg.gradcheck((t, mem) => m.forward(t, mem, { tgtMask: mask }), [r([1, 2, 4]), r([1, 3, 4])]);
    expect(res.ok).toBe(true);
  });
});

describe('refusals', () => {
  const layer = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 4 });
  const x = tg.randn([3, 2, 4]);
  it.each([
    [
      'tgtIsCausal (not in 1.13)',
      () => layer.forward(x, x, { tgtIsCausal: true } as any),
      /tgtIsCausal is not/,
    ],
    [
      'decoder memoryIsCausal',
      () => new nn.TransformerDecoder(layer, 1).forward(x, x, { memoryIsCausal: false } as any),
      /memoryIsCausal is not in PyTorch 1\.13/,
    ],
    ['unknown forward option', () => layer.forward(x, x, { srcMask: null } as any), /srcMask/],
    [
      'activation',
      () => new nn.TransformerDecoderLayer(4, 2, { activation: 'tanh' as any }),
      /TransformerDecoderLayer: activation should be relu\/gelu/,
    ],
    [
      'an encoder layer given to TransformerDecoder',
      () => new nn.TransformerDecoder(new nn.TransformerEncoderLayer(4, 2) as any, 1),
      /decoder_layer must be a tg\.nn\.TransformerDecoderLayer/,
    ],
    ['numLayers 0', () => new nn.TransformerDecoder(layer, 0), /num_layers must be a positive integer/],
    [
      'Transformer batch mismatch',
      () => new nn.Transformer({ dModel: 4, nhead: 2, dimFeedforward: 4 }).forward(x, tg.randn([3, 1, 4])),
      /batch number of src and tgt must be equal/,
    ],
    [
      'Transformer feature mismatch',
      () => new nn.Transformer({ dModel: 4, nhead: 2, dimFeedforward: 4 }).forward(x, tg.randn([3, 2, 5])),
      /feature number of src and tgt must be equal to d_model 4/,
    ],
    [
      'Transformer srcIsCausal',
      () =>
        new nn.Transformer({ dModel: 4, nhead: 2, dimFeedforward: 4 }).forward(x, x, {
          srcIsCausal: true,
        } as any),
      /srcIsCausal is not in PyTorch 1\.13/,
    ],
    [
      'generateSquareSubsequentMask size',
      () => nn.Transformer.generateSquareSubsequentMask(1.5),
      /sz must be a non-negative integer/,
    ],
  ])('%s', (_, f, msg) => expect(f).toThrow(msg));
});
