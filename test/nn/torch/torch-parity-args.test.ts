// Two torch-parity details of tg.nn: PyTorch 1.13 reads a 1-tuple kernel_size/stride/padding/dilation ([2]) as that
// number for both axes of conv2d and the 2d pools, and a pool's empty stride ([]) as the kernel size; nn.KLDivLoss
// with reduction 'mean' gives F.kl_div's UserWarning. Output shapes from PyTorch 1.13:
//   x = torch.randn(1, 2, 6, 6); w = torch.randn(3, 2, 3, 3)
//   F.conv2d(x, w, stride=[2]).shape -> [1, 3, 2, 2]; padding=[1] -> [1, 3, 6, 6]; dilation=[2] -> [1, 3, 2, 2];
//   F.conv2d(x, w, stride=[]) -> RuntimeError; F.max_pool2d(x, 2, stride=[]) and (x, [2]) -> [1, 2, 3, 3];
//   F.max_pool2d(x, 2, padding=[1]) -> [1, 2, 4, 4]; F.max_pool2d(x, 2, dilation=[2]) -> [1, 2, 2, 2];
//   nn.Conv2d(2, 3, 3, stride=[2])(x) -> [1, 3, 2, 2]; nn.MaxPool2d(2, stride=[])(x) -> [1, 2, 3, 3]
// and the values equal the integer arguments' (PyTorch expands the 1-tuple), which is what is compared here.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';

const nn = tg.nn;
const F = tg.nn.functional;
const wave = (shape: number[], k: number) =>
  tg.tensor(
    Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i * k + 0.1)),
    shape,
  );
const x = wave([1, 2, 6, 6], 0.7);
const w = wave([3, 2, 3, 3], 0.31);
function same(a: tg.Tensor, b: tg.Tensor, shape: number[]): void {
  expect(a.shape).toEqual(shape);
  expect(Array.from(a.data as ArrayLike<number>)).toEqual(Array.from(b.data as ArrayLike<number>));
}

describe('1-tuples and empty pool strides, as PyTorch 1.13', () => {
  it('F.conv2d reads [k] as k for both axes and refuses an empty stride', () => {
    same(F.conv2d(x, w, null, { stride: [2] }), F.conv2d(x, w, null, { stride: 2 }), [1, 3, 2, 2]);
    same(F.conv2d(x, w, null, { padding: [1] }), F.conv2d(x, w, null, { padding: 1 }), [1, 3, 6, 6]);
    same(F.conv2d(x, w, null, { dilation: [2] }), F.conv2d(x, w, null, { dilation: 2 }), [1, 3, 2, 2]);
    expect(() => F.conv2d(x, w, null, { stride: [] })).toThrow(/conv2d: stride must be a positive integer/);
    expect(() => F.conv2d(x, w, null, { stride: [2, 2, 2] })).toThrow(/stride must be/);
  });
  it('F.maxPool2d and F.avgPool2d: [] is the kernel size, [k] is k', () => {
    same(F.maxPool2d(x, 2, { stride: [] }), F.maxPool2d(x, 2), [1, 2, 3, 3]);
    same(F.maxPool2d(x, [2]), F.maxPool2d(x, 2), [1, 2, 3, 3]);
    same(F.maxPool2d(x, 3, { stride: [2] }), F.maxPool2d(x, 3, { stride: 2 }), [1, 2, 2, 2]);
    same(F.maxPool2d(x, 2, { padding: [1] }), F.maxPool2d(x, 2, { padding: 1 }), [1, 2, 4, 4]);
    same(F.maxPool2d(x, 2, { dilation: [2] }), F.maxPool2d(x, 2, { dilation: 2 }), [1, 2, 2, 2]);
    same(F.avgPool2d(x, 2, { stride: [] }), F.avgPool2d(x, 2), [1, 2, 3, 3]);
    same(F.avgPool2d(x, 3, { stride: [2] }), F.avgPool2d(x, 3, { stride: 2 }), [1, 2, 2, 2]);
  });
  it('the modules accept them too', () => {
    const a = new nn.Conv2d(2, 3, 3, { stride: [2] });
    expect(a.forward(x).shape).toEqual([1, 3, 2, 2]);
    same(a.forward(x), F.conv2d(x, a.weight, a.bias, { stride: 2 }), [1, 3, 2, 2]);
    same(new nn.MaxPool2d(2, []).forward(x), F.maxPool2d(x, 2), [1, 2, 3, 3]);
    same(new nn.AvgPool2d(3, [2]).forward(x), F.avgPool2d(x, 3, { stride: 2 }), [1, 2, 2, 2]);
  });
});

describe("nn.KLDivLoss with reduction 'mean' warns once, as PyTorch", () => {
  afterEach(() => vi.restoreAllMocks());
  it('warns on the first mean call only, never for batchmean', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const p = F.logSoftmax(wave([2, 3], 0.5), 1);
    const q = F.softmax(wave([2, 3], 0.9), 1);
    new nn.KLDivLoss({ reduction: 'batchmean' }).forward(p, q);
    expect(warn).not.toHaveBeenCalled();
    const loss = new nn.KLDivLoss();
    loss.forward(p, q);
    loss.forward(p, q);
    new nn.KLDivLoss({ reduction: 'mean' }).forward(p, q);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(
      "KLDivLoss: reduction: 'mean' divides the total loss by both the batch size and the support size.",
    );
    // F.klDiv keeps its own message (under its name), also once
    F.klDiv(p, q);
    F.klDiv(p, q);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1][0])).toContain("nn.functional.klDiv: reduction: 'mean' divides");
  });
});
