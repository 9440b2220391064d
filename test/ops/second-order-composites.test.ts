// Second order of the composites (conv 1d/2d with groups, dilation and padding modes, transposed conv, max/avg/adaptive
// pooling, softmax, the losses, batch/layer norm, LSTM and GRU steps, the activations) against PyTorch's double
// backward, on the fused paths and again while ops are traced (the unfused compositions). Expected values: test/fixtures/second-order/composites.json, written by
// gen.py beside it with torch 1.13 in float64 (rerun: `/usr/bin/python3 test/fixtures/second-order/gen.py >
// test/fixtures/second-order/composites.json`). Each case stores its inputs, the differentiated ones, directions v
// and weights w, u of L = Σ w⊙y + ½ Σ u⊙y² (y the output, flattened); the test recomputes ∇L and
// H·v = ∇<∇L, v> with tapegrad's nested grads and compares them with torch's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';

interface Arr {
  shape: number[];
  dtype: 'float64' | 'int32';
  data: number[];
}
interface Case {
  name: string;
  inputs: Record<string, Arr>;
  diff: string[];
  w: number[];
  u: number[];
  v: Record<string, number[]>;
  value: number;
  grad: Record<string, number[]>;
  hvp: Record<string, number[]>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/second-order/composites.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const F = tg.nn.functional;
type T = Record<string, tg.Tensor>;
const flat = (t: tg.Tensor) => tg.reshape(t, [-1]);

/** The tapegrad spelling of each case in gen.py (same name, same arguments). */
const SPELLINGS: Record<string, (t: T) => tg.Tensor> = {
  'conv2d stride 2x1, padding 1x2, dilation 2x1, groups 2, bias': (t) =>
    F.conv2d(t.x, t.w, t.b, { stride: [2, 1], padding: [1, 2], dilation: [2, 1], groups: 2 }),
  'conv2d stride 2, padding 1, dilation 2 (ungrouped)': (t) =>
    F.conv2d(t.x, t.w, null, { stride: 2, padding: 1, dilation: 2 }),
  'conv2d depthwise (groups = channels), stride 1, padding 1': (t) =>
    F.conv2d(t.x, t.w, t.b, { padding: 1, groups: 3 }),
  'conv2d padding same, kernel 2x4, dilation 1x2': (t) =>
    F.conv2d(t.x, t.w, null, { padding: 'same', dilation: [1, 2] }),
  'conv2d paddingMode reflect, padding 1x2': (t) =>
    tg.conv2d(t.x, t.w, null, { padding: [1, 2], dataFormat: 'NCHW', paddingMode: 'reflect' }),
  'conv2d paddingMode circular, padding 2x1, stride 2': (t) =>
    tg.conv2d(t.x, t.w, null, { padding: [2, 1], stride: 2, dataFormat: 'NCHW', paddingMode: 'circular' }),
  'pad replicate (1, 2, 0, 1)': (t) => F.pad(t.x, [1, 2, 0, 1], 'replicate'),
  'adaptiveAvgPool2d to 2x3': (t) => F.adaptiveAvgPool2d(t.x, [2, 3]),
  'adaptiveMaxPool2d to 3x2': (t) => F.adaptiveMaxPool2d(t.x, [3, 2]),
  'convTranspose2d stride 2, padding 1, outputPadding 1, groups 2, bias': (t) =>
    tg.convTranspose2d(t.x, t.w, t.b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
  'convTranspose2d stride 1x2, dilation 2': (t) =>
    tg.convTranspose2d(t.x, t.w, null, { stride: [1, 2], dilation: 2 }),
  'maxPool2d kernel 3, stride 2, padding 1': (t) => F.maxPool2d(t.x, 3, { stride: 2, padding: 1 }),
  'maxPool2d kernel 2x3, stride 1x2, dilation 2, ceilMode': (t) =>
    F.maxPool2d(t.x, [2, 3], { stride: [1, 2], dilation: 2, ceilMode: true }),
  'avgPool2d kernel 3, stride 2, padding 1, countIncludePad false, ceilMode': (t) =>
    F.avgPool2d(t.x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  'avgPool2d kernel 2 (stride 2)': (t) => F.avgPool2d(t.x, 2, {}),
  'softmax dim 1': (t) => F.softmax(t.x, 1),
  'logSoftmax dim -1': (t) => F.logSoftmax(t.x, -1),
  'crossEntropy class labels (mean)': (t) => F.crossEntropy(t.x, t.labels),
  'crossEntropy probability targets (sum)': (t) => F.crossEntropy(t.x, t.target, { reduction: 'sum' }),
  'crossEntropy weight, labelSmoothing 0.2, [N, C, d] logits': (t) =>
    F.crossEntropy(t.x, t.labels, { weight: t.weight, labelSmoothing: 0.2 }),
  'mseLoss (mean), both operands': (t) => F.mseLoss(t.pred, t.target),
  'binaryCrossEntropy on probabilities (mean)': (t) => F.binaryCrossEntropy(t.p, t.target),
  'binaryCrossEntropyWithLogits (sum)': (t) =>
    F.binaryCrossEntropyWithLogits(t.x, t.target, { reduction: 'sum' }),
  'batchNorm training [N, C, H, W], weight and bias': (t) =>
    F.batchNorm(t.x, null, null, t.weight, t.bias, { training: true, eps: 1e-5 }),
  'batchNorm training [N, C]': (t) => F.batchNorm(t.x, null, null, null, null, { training: true, eps: 1e-3 }),
  'layerNorm over [4, 5], weight and bias': (t) => F.layerNorm(t.x, [4, 5], t.weight, t.bias, { eps: 1e-5 }),
  'layerNorm over the last axis, no affine': (t) => F.layerNorm(t.x, [6], null, null, { eps: 1e-5 }),
  'lstmCell step (tanh, sigmoid): x, h, c and all weights': (t) => {
    const [h, c] = tg.lstmCell(t.x, t.h, t.c, { kernel: t.K, recurrentKernel: t.U, bias: t.b });
    return tg.concat([flat(h), flat(c)], 0);
  },
  'gruCell step (resetAfter): x, h and all weights': (t) =>
    tg.gruCell(t.x, t.h, { kernel: t.K, recurrentKernel: t.U, bias: t.b }),
  'conv1d stride 2, padding 2, dilation 2, groups 2': (t) =>
    F.conv1d(t.x, t.w, t.b, { stride: 2, padding: 2, dilation: 2, groups: 2 }),
  'fused conv2d NHWC + bias + relu': (t) =>
    tg.fused.conv2d({ x: t.x, filter: t.w, bias: t.b, strides: [1, 2], pad: 1, activation: 'relu' }),
  'huberLoss delta 0.8 (mean)': (t) => F.huberLoss(t.pred, t.target, { delta: 0.8 }),
  'smoothL1Loss beta 0.5 (sum)': (t) => F.smoothL1Loss(t.pred, t.target, { beta: 0.5, reduction: 'sum' }),
  'klDiv batchmean, log-probability input': (t) => F.klDiv(t.x, t.target, { reduction: 'batchmean' }),
  'nllLoss with class weights (mean)': (t) => F.nllLoss(t.x, t.labels, { weight: t.weight }),
  'activation gelu (erf)': (t) => tg.gelu(t.x),
  'activation gelu (tanh approximation)': (t) => tg.gelu(t.x, true),
  'activation elu alpha 0.7': (t) => tg.elu(t.x, 0.7),
  'activation selu': (t) => tg.selu(t.x),
  'activation celu alpha 1.3': (t) => tg.celu(t.x, 1.3),
  'activation silu': (t) => tg.silu(t.x),
  'activation mish': (t) => tg.mish(t.x),
  'activation softplus': (t) => tg.softplus(t.x),
  'activation logSigmoid': (t) => tg.logSigmoid(t.x),
  'activation leakyRelu 0.1': (t) => tg.leakyRelu(t.x, 0.1),
  'activation tanhShrink': (t) => tg.tanhShrink(t.x),
  'activation softsign': (t) => tg.softsign(t.x),
  'glu (last axis)': (t) => tg.glu(t.x, -1),
};

const tensorOf = (a: Arr) =>
  tg.tensor(a.dtype === 'int32' ? Int32Array.from(a.data) : Float64Array.from(a.data), a.shape);
const t64 = (d: number[], s: readonly number[]) => tg.tensor(Float64Array.from(d), [...s]);

/** L(diff inputs) = Σ w⊙y + ½ Σ u⊙y², the other inputs held fixed (gen.py's objective). */
function objective(c: Case): (...xs: tg.Tensor[]) => tg.Tensor {
  const spell = SPELLINGS[c.name];
  const fixed = Object.fromEntries(Object.entries(c.inputs).map(([k, a]) => [k, tensorOf(a)]));
  const [w, u] = [t64(c.w, [c.w.length]), t64(c.u, [c.u.length])];
  return (...xs) => {
    const y = flat(spell({ ...fixed, ...Object.fromEntries(c.diff.map((k, i) => [k, xs[i]])) }));
    return tg.add(tg.sum(tg.mul(w, y)), tg.mul(tg.sum(tg.mul(u, tg.mul(y, y))), 0.5));
  };
}

describe('the second-order fixture', () => {
  it('has a tapegrad spelling for every case and a case for every spelling', () => {
    expect(fixture.cases.map((c) => c.name).sort()).toEqual(Object.keys(SPELLINGS).sort());
  });
});

describe.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
  const f = objective(c);
  const xs = c.diff.map((k) => tensorOf(c.inputs[k]));
  const vs = c.diff.map((k, i) => t64(c.v[k], xs[i].shape));
  const scale = (m: Record<string, number[]>) =>
    Math.max(1, ...Object.values(m).flatMap((a) => a.map(Math.abs)));

  it('value and gradient equal PyTorch', () => {
    const r = tg.valueAndGrads(f, { createGraph: false })(...xs);
    expect(r.value.item()).toBeCloseTo(c.value, 9);
    const tol = { rtol: 1e-9, atol: 1e-11 * scale(c.grad) };
    c.diff.forEach((k, i) => expectClose(r.grads[i].data, c.grad[k], tol, `∂L/∂${k}`));
  });

  it('H·v = ∇<∇L, v> by nested grads equals PyTorch double backward', () => {
    const inner = (...ys: tg.Tensor[]) =>
      tg
        .grads(f)(...ys)
        .map((g, j) => tg.sum(tg.mul(g, vs[j])))
        .reduce((a, b) => tg.add(a, b));
    const hv = tg.grads(inner)(...xs);
    expect(
      Object.values(c.hvp).some((a) => a.some((v) => Math.abs(v) > 1e-3)),
      'a non-trivial Hessian',
    ).toBe(true);
    const tol = { rtol: 1e-9, atol: 1e-11 * scale(c.hvp) };
    c.diff.forEach((k, i) => expectClose(hv[i].data, c.hvp[k], tol, `(H·v) for ${k}`));
  });

  it('tg.hvp gives the same product', () => {
    const hv = tg.hvp(f, xs, vs);
    const tol = { rtol: 1e-9, atol: 1e-11 * scale(c.hvp) };
    c.diff.forEach((k, i) => expectClose(hv[i].data, c.hvp[k], tol, `tg.hvp for ${k}`));
  });

  // NOTE: while ops are listened to (explain, trace), the composites run as their compositions instead of the fused
  // rows (im2col·matmul for conv, scatterAdd(poolArgmax) for max-pool gradients, the LSTM gates op by op, ...)
  it('H·v is the same while ops are traced (the composed, unfused paths)', () => {
    const seen = new Set<string>();
    const off = tg.onOp((e) => seen.add(e.op));
    try {
      const hv = tg.hvp(f, xs, vs);
      const tol = { rtol: 1e-9, atol: 1e-11 * scale(c.hvp) };
      c.diff.forEach((k, i) => expectClose(hv[i].data, c.hvp[k], tol, `traced H·v for ${k}`));
    } finally {
      off();
    }
    expect(seen.size, 'ops were traced').toBeGreaterThan(0);
  });
});
