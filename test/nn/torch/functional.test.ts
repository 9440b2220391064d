// tg.nn.functional (PyTorch's torch.nn.functional) against PyTorch 1.13: the numbers of functional-data.ts, made
// once in float64 by torch_functional.py (the calls are there, on the same wave inputs), and against the modules
// (F.conv2d(x, m.weight, m.bias) is m.forward(x)).
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { wave } from './loss-data.js';
import { TORCH } from './functional-data.js';

const nn = tg.nn;
const F = tg.nn.functional;
const w64 = (shape: number[], seed: number, scale = 1) =>
  tg.tensor(wave(shape, seed, scale).data, shape, { dtype: 'float64' });
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });
const i32 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'int32' });
/** |got − want| ≤ 1e-12 + 1e-10·|want| (float64 on both sides). */
function close(got: tg.Tensor, key: string): void {
  const want = TORCH[key];
  expect(got.size, `${key}: size`).toBe(want.length);
  const g = Array.from(got.data as ArrayLike<number>);
  want.forEach((w, i) =>
    expect(Math.abs(g[i] - w), `${key}[${i}]: got ${g[i]}, PyTorch ${w}`).toBeLessThanOrEqual(
      1e-12 + 1e-10 * Math.abs(w),
    ),
  );
}
const same = (a: tg.Tensor, b: tg.Tensor) => {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
};

describe('tg.nn.functional: layers', () => {
  it('conv2d equals PyTorch (stride 2, padding 1; groups 2 with dilation 2) and nn.Conv2d with the same weights', () => {
    const x = w64([2, 3, 5, 5], 1);
    const y = F.conv2d(x, w64([4, 3, 3, 3], 2, 0.3), w64([4], 3), { stride: 2, padding: 1 });
    expect(y.shape).toEqual([2, 4, 3, 3]);
    close(y, 'conv2d');
    close(
      F.conv2d(w64([1, 4, 5, 5], 4), w64([2, 2, 3, 3], 5, 0.5), null, { padding: 2, dilation: 2, groups: 2 }),
      'conv2d_groups',
    );
    const m = new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1, dtype: 'float64' });
    same(F.conv2d(x, m.weight, m.bias, { stride: 2, padding: 1 }), m.forward(x));
    // one unbatched sample [C, H, W], as the module
    const one = tg.reshape(tg.slice(x, [0, 0, 0, 0], [1, 3, 5, 5]), [3, 5, 5]);
    same(F.conv2d(one, m.weight, m.bias, { stride: 2, padding: 1 }), m.forward(one));
  });

  it('conv1d and linear equal PyTorch', () => {
    const x = w64([2, 2, 6], 6);
    const w = w64([3, 2, 3], 7, 0.5);
    const b = w64([3], 8);
    close(F.conv1d(x, w, b, { padding: 'same', dilation: 2 }), 'conv1d');
    close(
      F.conv1d(tg.reshape(tg.slice(x, [0, 0, 0], [1, 2, 6]), [2, 6]), w, b, { stride: 2 }),
      'conv1d_unbatched',
    );
    close(F.linear(w64([2, 3], 9), w64([4, 3], 10), w64([4], 11)), 'linear');
    const m = new nn.Linear(3, 4, { dtype: 'float64' });
    const xl = w64([2, 3], 9);
    same(F.linear(xl, m.weight, m.bias), m.forward(xl));
  });

  it("activations, softmax and logSoftmax (with dim; without: nn.Softmax's implicit dim and a warning) equal PyTorch", () => {
    const a = w64([2, 4], 12, 2);
    close(F.leakyRelu(a, 0.1), 'leaky_relu');
    close(F.leakyRelu(a), 'leaky_relu_default');
    close(F.gelu(a), 'gelu');
    close(F.gelu(a, { approximate: 'tanh' }), 'gelu_tanh');
    close(F.elu(a, 0.5), 'elu');
    close(F.selu(a), 'selu');
    close(F.softmax(a, 0), 'softmax0');
    close(F.logSoftmax(a, -1), 'log_softmax_last');
    same(F.relu(a), new nn.ReLU().forward(a));
    same(F.sigmoid(a), tg.sigmoid(a));
    same(F.tanh(a), tg.tanh(a));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      close(F.softmax(w64([2, 3, 2], 13)), 'softmax_implicit3d');
      expect(warn.mock.calls.flat().join(' ')).toContain('Implicit dimension choice for softmax');
    } finally {
      warn.mockRestore();
    }
    throwsA(tg.ShapeError, () => F.softmax(a, 2), ['nn.functional.softmax', 'Dimension out of range']);
  });

  it('maxPool2d (ceil mode, indices) and avgPool2d (countIncludePad false) equal PyTorch', () => {
    const x = w64([1, 2, 5, 5], 14);
    const [v, i] = F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, returnIndices: true });
    close(v, 'max_pool2d');
    expect(Array.from(i.data)).toEqual(TORCH.max_pool2d_idx);
    close(F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), 'avg_pool2d');
    same(F.maxPool2d(x, 2), new nn.MaxPool2d(2).forward(x));
  });

  it('dropout: training defaults to true (as PyTorch), false is the identity; alphaDropout defaults to false', () => {
    const x = tg.ones([4000], { dtype: 'float64' });
    const y = Array.from(F.dropout(x, 0.25).data);
    expect(new Set(y)).toEqual(new Set([0, 1 / 0.75]));
    const dropped = y.filter((v) => v === 0).length / y.length;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.04);
    expect(F.dropout(x, 0.25, false)).toBe(x);
    expect(F.alphaDropout(x, 0.25)).toBe(x);
    expect(F.featureAlphaDropout(x, 0.25)).toBe(x);
    throwsA(tg.ValueError, () => F.dropout(x, 1.5), ['nn.functional.dropout', 'between 0 and 1', '1.5']);
    throwsA(tg.ValueError, () => F.dropout(x, 0.5, true, true), ['nn.functional.dropout', 'inplace=true']);
  });
});

describe('tg.nn.functional: norms, embedding, oneHot, pad', () => {
  it('batchNorm in training updates the running statistics in place as PyTorch; in eval uses them', () => {
    const x = w64([3, 2, 2], 15);
    const rm = f64([0.5, -0.5]);
    const rv = f64([2, 0.5]);
    const w = f64([1.5, -0.5]);
    const b = f64([0.1, 0.2]);
    close(F.batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.3, eps: 1e-3 }), 'batch_norm_train');
    close(rm, 'batch_norm_rm');
    close(rv, 'batch_norm_rv');
    close(F.batchNorm(x, rm, rv, w, b, { eps: 1e-3 }), 'batch_norm_eval');
    throwsA(tg.ValueError, () => F.batchNorm(x, null, null), [
      'running_mean must be defined in evaluation mode',
    ]);
    // the module's numbers: BatchNorm1d in train mode is batchNorm with its own buffers
    const m = new nn.BatchNorm1d(2, { dtype: 'float64' });
    const [m0, v0] = [f64([0, 0]), f64([1, 1])];
    same(F.batchNorm(x, m0, v0, m.weight, m.bias, { training: true }), m.forward(x));
    same(m0, m.runningMean!);
    same(v0, m.runningVar!);
  });

  it('layerNorm and embedding (paddingIdx row without gradient) equal PyTorch', () => {
    close(
      F.layerNorm(w64([2, 3, 4], 16), [3, 4], w64([3, 4], 17), w64([3, 4], 18), { eps: 1e-4 }),
      'layer_norm',
    );
    const we = w64([5, 3], 19).requireGrad(true);
    const ye = F.embedding(i32([0, 2, 4, 2], [2, 2]), we, { paddingIdx: -3 });
    close(ye, 'embedding');
    tg.sum(tg.mul(ye, w64([2, 2, 3], 20))).backward();
    close(we.grad!, 'embedding_grad');
    throwsA(tg.ValueError, () => F.embedding(i32([0]), we, { sparse: true }), [
      'sparse=true is not supported',
    ]);
  });

  it('oneHot and pad (constant, reflect, replicate, circular) equal PyTorch', () => {
    const h = F.oneHot(i32([0, 2, 1, 2], [2, 2]));
    expect(h.shape).toEqual([2, 2, 3]);
    expect(h.dtype).toBe('int32');
    expect(Array.from(h.data)).toEqual(TORCH.one_hot);
    expect(Array.from(F.oneHot(i32([3, 0]), 4).data)).toEqual(TORCH.one_hot4);
    throwsA(tg.ValueError, () => F.oneHot(i32([3]), 2), ['Class values must be smaller than num_classes']);
    const x = w64([1, 3, 3], 21);
    close(F.pad(x, [1, 2], 'constant', 0.5), 'pad_constant');
    close(F.pad(x, [1, 1, 2, 0], 'reflect'), 'pad_reflect');
    close(F.pad(x, [2, 0, 0, 1], 'replicate'), 'pad_replicate');
    close(F.pad(x, [1, 2], 'circular'), 'pad_circular');
    throwsA(tg.ValueError, () => F.pad(x, [1, 1], 'reflect', 2), [
      'Padding mode "reflect" doesn\'t take in value',
    ]);
    throwsA(tg.ValueError, () => F.pad(x, [1, -1], 'circular'), ['negative padding']);
  });
});

describe("tg.nn.functional: losses are the loss modules' forward", () => {
  it('crossEntropy (weight, ignoreIndex, labelSmoothing) equals PyTorch and nn.CrossEntropyLoss, gradient too', () => {
    const logits = w64([3, 4], 22, 2).requireGrad(true);
    const target = i32([0, 3, 2]);
    const opts = { weight: f64([1, 2, 0.5, 1.5]), ignoreIndex: 2, labelSmoothing: 0.1 };
    const y = F.crossEntropy(logits, target, opts);
    close(y, 'cross_entropy');
    y.backward();
    close(logits.grad!, 'cross_entropy_grad');
    same(y, new nn.CrossEntropyLoss(opts).forward(logits, target));
  });

  it('nllLoss, mseLoss, l1Loss, smoothL1Loss, binaryCrossEntropy(WithLogits) and klDiv equal PyTorch', () => {
    const lp = F.logSoftmax(w64([3, 4, 2], 23), 1);
    close(F.nllLoss(lp, i32([0, 3, 1, 1, 2, 0], [3, 2]), { reduction: 'none' }), 'nll_loss_none');
    const p = w64([2, 3], 24);
    const t = w64([2, 3], 25);
    close(F.mseLoss(p, t), 'mse_loss');
    close(F.l1Loss(p, t, { reduction: 'sum' }), 'l1_loss_sum');
    close(F.smoothL1Loss(p, t, { beta: 0.5 }), 'smooth_l1_loss');
    const [pr, tr] = [tg.sigmoid(p), tg.sigmoid(t)];
    close(F.binaryCrossEntropy(pr, tr, { weight: f64([1, 2, 3]) }), 'binary_cross_entropy');
    close(
      F.binaryCrossEntropyWithLogits(p, tr, { posWeight: f64([0.5, 1, 2]), reduction: 'none' }),
      'bce_with_logits',
    );
    close(F.klDiv(F.logSoftmax(p, 1), F.softmax(t, 1), { reduction: 'batchmean' }), 'kl_div');
  });
});

describe('tg.nn.functional: refusals by name', () => {
  const x = w64([1, 3, 5, 5], 1);
  const w = w64([2, 3, 3, 3], 2);
  it("more arguments than PyTorch's signature, a non-Tensor input, unknown or unsupported options", () => {
    const f = F.relu as (...a: unknown[]) => tg.Tensor;
    throwsA(tg.ValueError, () => f(x, false, 3), [
      'nn.functional.relu() takes 2 positional arguments',
      '3 were given',
    ]);
    throwsA(tg.ValueError, () => F.relu([1, 2] as never), [
      'nn.functional.relu: input (the 1st argument) must be a Tensor',
    ]);
    throwsA(tg.ValueError, () => F.conv2d(x, w, null, { paddingMode: 'reflect' } as never), [
      'nn.functional.conv2d',
      "unknown option 'paddingMode'",
    ]);
    throwsA(tg.ValueError, () => F.crossEntropy(x, x, { sizeAverage: true } as never), [
      'nn.functional.crossEntropy',
      "unknown option 'sizeAverage'",
    ]);
    throwsA(tg.ValueError, () => F.relu(x, true), ['nn.functional.relu: inplace=true is not supported']);
    throwsA(tg.ShapeError, () => F.conv2d(w64([1, 5, 5, 3], 1), w), [
      'nn.functional.conv2d',
      'channels-last',
    ]);
    throwsA(tg.ValueError, () => F.mseLoss(x, x, { reduction: 'avg' as never }), [
      'nn.functional.mseLoss',
      'not a valid value for reduction',
    ]);
  });
});
