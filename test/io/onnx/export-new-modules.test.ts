// The tg.nn modules added for PyTorch parity (activations, GroupNorm / InstanceNorm / LocalResponseNorm, shape
// modules, MaxPool1d / AvgPool1d, MultiheadAttention, TransformerEncoder), one small eval-mode model each, exported
// and run in ONNX Runtime Web at batch 1 and 3 (traced at 2), imported back, and checked by ONNX's checker
// (export-roundtrip-lib.ts: the reference is tapegrad's own forward on the same rows). ConvTranspose1d (col2im) has no
// ONNX rendering and is refused by name (MaxPool1d's returnIndices exports: export-max-pool-indices.test.ts).
// A train-mode encoder exports its eval computation, and the export leaves each module in its own mode.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { type Case, rng, roundTrips } from './export-roundtrip-lib.js';

const nn = tg.nn;
/** Random values in every float weight (so unit gammas, zero biases and 0.25 slopes do not hide a wiring error). */
function randomized(m: tg.nn.Module): tg.nn.Module {
  for (const [, w] of m.namedWeights()) {
    if (w.value.dtype !== 'float32') continue;
    w.value.data.set(tg.add(tg.mul(tg.randn(w.value.shape, { rng }), 0.5), 0.1).data);
  }
  return m.eval();
}
const mods =
  (...ms: (() => tg.nn.Module)[]) =>
  () =>
    randomized(new nn.Sequential(...ms.map((f) => f())));

/**
 * Self-attention on [N, S, E] (query = key = value; transposed to [S, N, E] and back when not batchFirst) returning
 * y + w·y, with y the attention output and w the head-averaged weights [N, S, S], so both reach the output.
 */
class SelfAttention extends nn.Module {
  mha: tg.nn.MultiheadAttention;
  constructor(readonly batchFirst: boolean) {
    super();
    this.mha = new nn.MultiheadAttention(6, 2, { batchFirst });
  }
  forward(x: tg.Tensor) {
    const q = this.batchFirst ? x : tg.transpose(x, [1, 0, 2]);
    const [out, w] = this.mha.forward(q, q, q) as [tg.Tensor, tg.Tensor];
    const y = this.batchFirst ? out : tg.transpose(out, [1, 0, 2]);
    return tg.add(y, tg.matmul(w, y));
  }
}
/**
 * Cross-attention of q [N, L=3, 6] over kv [N, S=4, 5] (kdim 5, vdim 4, biasK / biasV, a zero key) with a constant
 * float attnMask [L, S] and a key padding mask [N, S] fed as an int32 input; per-head weights [N, 2, L, S+2] reach
 * the output.
 */
class CrossAttention extends nn.Module {
  mha = new nn.MultiheadAttention(6, 2, {
    batchFirst: true,
    kdim: 5,
    vdim: 4,
    addBiasKv: true,
    addZeroAttn: true,
  });
  mask = tg.randn([3, 4], { rng });
  col = tg.tensor([0.3, -1, 2, 0.5, -0.7, 1.5], [6, 1]);
  forward(q: tg.Tensor, kv: tg.Tensor, pad: tg.Tensor) {
    const [out, w] = this.mha.forward(q, kv, tg.slice(kv, [0, 0, 0], [-1, -1, 4]), {
      attnMask: this.mask,
      keyPaddingMask: pad,
      averageAttnWeights: false,
    }) as [tg.Tensor, tg.Tensor];
    // each head's weights against a key-position column [S+2, 1], summed over the heads: [N, L, 1]
    return tg.add(out, tg.sum(tg.matmul(w, this.col), 1));
  }
}
/** A TransformerEncoder with a causal int32 mask [S, S] (a constant) and a key padding mask fed as an input. */
class MaskedEncoder extends nn.Module {
  enc = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(6, 2, { dimFeedforward: 5, batchFirst: true }),
    1,
  );
  causal = tg.tensor([0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0], [4, 4], { dtype: 'int32' });
  forward(x: tg.Tensor, pad: tg.Tensor) {
    // key 0 never padded (so no row is all masked: PyTorch's NaN)
    const keep = tg.mul(pad, tg.tensor([0, 1, 1, 1], [4], { dtype: 'int32' }));
    return this.enc.forward(x, { mask: this.causal, srcKeyPaddingMask: keep });
  }
}
/** A sequence-first model: the batch axis is axis 1 of [S, N, E] inside, axis 0 outside. */
class SeqFirst extends nn.Module {
  inner: tg.nn.Module;
  constructor(inner: tg.nn.Module) {
    super();
    this.inner = inner;
  }
  forward(x: tg.Tensor) {
    const y = this.inner.forward(tg.transpose(x, [1, 0, 2])) as tg.Tensor;
    return tg.transpose(y, [1, 0, 2]);
  }
}

const activations: Case[] = [
  [
    'nn.GELU, GELU(tanh), SiLU, Mish, LeakyReLU, ELU, SELU, CELU',
    mods(
      () => new nn.GELU(),
      () => new nn.GELU('tanh'),
      () => new nn.SiLU(),
      () => new nn.Mish(),
      () => new nn.LeakyReLU(0.2),
      () => new nn.ELU(0.7),
      () => new nn.SELU(),
      () => new nn.CELU(1.3),
    ),
    [{ shape: [7] }],
  ],
  [
    'nn.Softplus, Softsign, Hardtanh, ReLU6, Hardsigmoid, Hardswish, LogSigmoid, Tanhshrink',
    mods(
      () => new nn.Softplus(2, 1),
      () => new nn.Softsign(),
      () => new nn.Hardtanh(-0.5, 0.8),
      () => new nn.ReLU6(),
      () => new nn.Hardsigmoid(),
      () => new nn.Hardswish(),
      () => new nn.LogSigmoid(),
      () => new nn.Tanhshrink(),
    ),
    [{ shape: [7] }],
  ],
  [
    'nn.Softmin, Threshold, GLU',
    mods(
      () => new nn.Softmin(1),
      () => new nn.Threshold(0.15, -2),
      () => new nn.GLU(-1),
    ),
    [{ shape: [3, 8] }],
  ],
  ['nn.PReLU (one slope)', mods(() => new nn.PReLU()), [{ shape: [4] }]],
  ['nn.PReLU (per channel)', mods(() => new nn.PReLU(3)), [{ shape: [3, 5] }]],
];

const norms: Case[] = [
  ['nn.GroupNorm', mods(() => new nn.GroupNorm(2, 4)), [{ shape: [4, 3, 3] }]],
  ['nn.InstanceNorm1d (affine)', mods(() => new nn.InstanceNorm1d(3, { affine: true })), [{ shape: [3, 6] }]],
  ['nn.InstanceNorm2d', mods(() => new nn.InstanceNorm2d(2)), [{ shape: [2, 4, 3] }]],
  ['nn.LocalResponseNorm', mods(() => new nn.LocalResponseNorm(3, 0.5, 0.75, 2)), [{ shape: [5, 2, 2] }]],
];

const shapes: Case[] = [
  ['nn.Unflatten', mods(() => new nn.Unflatten(1, [2, 3])), [{ shape: [6, 2] }]],
  [
    'nn.ConstantPad1d, ReflectionPad1d, ReplicationPad1d',
    mods(
      () => new nn.ConstantPad1d([1, 2], 0.5),
      () => new nn.ReflectionPad1d(2),
      () => new nn.ReplicationPad1d([0, 1]),
    ),
    [{ shape: [2, 5] }],
  ],
  [
    'nn.ConstantPad2d, ZeroPad2d, ReflectionPad2d, ReplicationPad2d',
    mods(
      () => new nn.ConstantPad2d([1, 0, 0, 2], -1),
      () => new nn.ZeroPad2d(1),
      () => new nn.ReflectionPad2d([1, 2, 1, 0]),
      () => new nn.ReplicationPad2d(1),
    ),
    [{ shape: [2, 4, 3] }],
  ],
  [
    'nn.PixelShuffle, PixelUnshuffle',
    mods(
      () => new nn.PixelUnshuffle(2),
      () => new nn.Conv2d(8, 8, 1),
      () => new nn.PixelShuffle(2),
    ),
    [{ shape: [2, 4, 6] }],
  ],
  ['nn.Upsample (nearest, 2-D)', mods(() => new nn.Upsample({ scaleFactor: 2 })), [{ shape: [2, 3, 2] }]],
  ['nn.Upsample (nearest, 1-D, size)', mods(() => new nn.Upsample({ size: 7 })), [{ shape: [2, 3] }]],
  [
    'nn.Upsample (bilinear)',
    mods(() => new nn.Upsample({ scaleFactor: [2, 1.5], mode: 'bilinear' })),
    [{ shape: [2, 3, 4] }],
  ],
  [
    'nn.Upsample (bilinear, alignCorners)',
    mods(() => new nn.Upsample({ size: [5, 4], mode: 'bilinear', alignCorners: true })),
    [{ shape: [2, 3, 3] }],
  ],
  [
    'nn.AvgPool1d (padding, ceil mode), MaxPool1d (dilation, ceil mode)',
    mods(
      () => new nn.AvgPool1d(3, 2, 1, true, false),
      () => new nn.MaxPool1d(2, 2, 0, 1, false, true),
      () => new nn.MaxPool1d(2, 1, 1, 2),
    ),
    [{ shape: [3, 11] }],
  ],
];

const attention: Case[] = [
  ['nn.MultiheadAttention (batchFirst)', () => randomized(new SelfAttention(true)), [{ shape: [4, 6] }]],
  ['nn.MultiheadAttention (sequence first)', () => randomized(new SelfAttention(false)), [{ shape: [4, 6] }]],
  [
    'nn.MultiheadAttention (cross, kdim/vdim, biasKv, zero key, attnMask, keyPaddingMask input, per-head weights)',
    () => randomized(new CrossAttention()),
    [{ shape: [3, 6] }, { shape: [4, 5] }, { shape: [4], ints: 2 }],
  ],
  [
    'nn.TransformerEncoder (causal mask, srcKeyPaddingMask input)',
    () => randomized(new MaskedEncoder()),
    [{ shape: [4, 6] }, { shape: [4], ints: 2 }],
  ],
  [
    'nn.TransformerEncoder (2 post-norm layers, batchFirst, final norm)',
    () =>
      randomized(
        new nn.TransformerEncoder(
          new nn.TransformerEncoderLayer(6, 2, { dimFeedforward: 8, batchFirst: true }),
          2,
          {
            norm: new nn.LayerNorm(6),
          },
        ),
      ),
    [{ shape: [5, 6] }],
  ],
  [
    'nn.TransformerEncoderLayer (pre-norm, gelu, sequence first)',
    () =>
      randomized(
        new SeqFirst(
          new nn.TransformerEncoderLayer(6, 3, { dimFeedforward: 7, activation: 'gelu', normFirst: true }),
        ),
      ),
    [{ shape: [4, 6] }],
  ],
];

roundTrips('the new tg.nn modules: ORT at batch 1 and 3 (traced at 2) and the import match tapegrad', [
  ...activations,
  ...norms,
  ...shapes,
  ...attention,
]);

describe('what has no ONNX rendering is refused by name', () => {
  it('nn.ConvTranspose1d (col2im)', () => {
    const m = new nn.ConvTranspose1d(2, 3, 3, { stride: 2 }).eval();
    expect(() => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 2, 5], { rng }) })).toThrow(
      /onnx export: primitive 'col2im' has no ONNX rendering \(exportable: /,
    );
  });
});

describe('a train-mode TransformerEncoderLayer (dropout 0.5, attention dropout 0.5) exports its eval computation', () => {
  it('ORT at batch 3 equals the layer in eval mode; the layer and its children stay in train mode', async () => {
    const ort = await import('onnxruntime-web');
    const m = new nn.TransformerEncoderLayer(6, 2, { dimFeedforward: 5, dropout: 0.5, batchFirst: true });
    randomized(m).train();
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 4, 6], { rng }) });
    expect([m.training, m.self_attn.training, m.dropout.training]).toEqual([true, true, true]);
    const s = await ort.InferenceSession.create(bytes);
    const x = tg.randn([3, 4, 6], { rng });
    const got = (
      await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) })
    )[s.outputNames[0]];
    m.eval();
    const want = tg.noGrad(() => m.forward(x)) as tg.Tensor;
    expect(got.dims).toEqual(want.shape);
    const a = got.data as Float32Array;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - want.data[i])).toBeLessThanOrEqual(1e-5);
  });
});

describe('the export leaves every module in the mode it found it', () => {
  it('an eval-mode encoder with one Dropout put back in train mode (MC dropout) keeps both modes', () => {
    const m = new nn.TransformerEncoderLayer(6, 2, { dimFeedforward: 5, batchFirst: true }).eval();
    m.dropout1.train();
    tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 4, 6], { rng }) });
    expect([m.training, m.self_attn.training, m.dropout.training, m.dropout1.training]).toEqual([
      false,
      false,
      false,
      true,
    ]);
  });
});
