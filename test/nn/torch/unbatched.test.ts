// Unbatched inputs ([C, L] / [C, H, W]) to tg.nn's Conv1d, Conv2d, MaxPool2d, AvgPool2d and ConvTranspose2d, as PyTorch
// 1.13 accepts them, against values from Debian's python3-torch in float64 (the calls quoted beside them); the ranks
// PyTorch refuses are refused in its words.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
/** torch: (arange(n) / a - b).reshape(shape), in float64. */
const ar = (shape: number[], a = 7, b = 0.5): tg.Tensor => {
  const n = shape.reduce((p, d) => p * d, 1);
  return tg.tensor(
    Array.from({ length: n }, (_, i) => i / a - b),
    shape,
    { dtype: 'float64' },
  );
};
const close = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => expect(got[i], `[${i}]`).toBeCloseTo(v, 12));
};

describe('unbatched inputs, as PyTorch 1.13', () => {
  it('Conv2d [C, H, W] → [C_out, H′, W′], and the input gradient', () => {
    // torch: c2 = nn.Conv2d(2, 3, 2, padding=1); weight ar([3, 2, 2, 2], 11), bias [0.1, -0.2, 0.3]; x = ar([2, 3, 3], 5);
    //   y = c2(x); (y * ar(y.shape, 13, 0)).sum().backward()
    const c2 = new nn.Conv2d(2, 3, 2, { padding: 1, dtype: 'float64' });
    c2.weight.data.set(ar([3, 2, 2, 2], 11).data);
    c2.bias!.data.set([0.1, -0.2, 0.3]);
    const x = ar([2, 3, 3], 5).requireGrad(true);
    const y = c2.forward(x);
    expect(y.shape).toEqual([3, 4, 4]);
    close(
      y.data,
      [
        0.3909090909090909, 0.5909090909090908, 0.5181818181818181, 0.20909090909090902, 0.4818181818181817,
        0.4999999999999999, 0.20909090909090888, -0.1363636363636365, 0.1545454545454545, -0.3727272727272728,
        -0.6636363636363638, -0.6818181818181819, -0.30000000000000004, -1.0818181818181818,
        -1.2999999999999998, -0.8454545454545455, 0.6727272727272726, 1.7454545454545454, 2.2545454545454544,
        1.072727272727273, 2.218181818181818, 4.8545454545454545, 5.727272727272727, 2.7636363636363632,
        3.636363636363636, 7.472727272727273, 8.345454545454546, 3.963636363636363, 1.7272727272727275,
        3.5636363636363635, 3.927272727272727, 1.7636363636363634, 1.7545454545454546, 3.6999999999999997,
        4.790909090909091, 2.7363636363636363, 4.754545454545454, 10.00909090909091, 12.045454545454547,
        6.463636363636363, 7.918181818181817, 16.118181818181817, 18.154545454545453, 9.40909090909091,
        4.554545454545455, 9.00909090909091, 9.954545454545455, 5.172727272727272,
      ],
    );
    tg.sum(tg.mul(y, ar([3, 4, 4], 13, 0))).backward();
    close(
      x.grad!.data,
      [
        13.181818181818182, 13.517482517482518, 13.853146853146853, 14.524475524475525, 14.86013986013986,
        15.195804195804195, 15.86713286713287, 16.202797202797203, 16.53846153846154, 19.39160839160839,
        20.062937062937063, 20.734265734265733, 22.076923076923077, 22.748251748251747, 23.41958041958042,
        24.76223776223776, 25.433566433566433, 26.104895104895107,
      ],
    );
  });
  it('Conv1d [C, L] with reflect padding', () => {
    // torch: c1 = nn.Conv1d(2, 2, 3, padding=1, padding_mode='reflect'); weight ar([2, 2, 3], 9), bias [0.25, -0.5];
    //   c1(ar([2, 5], 3))
    const c1 = new nn.Conv1d(2, 2, 3, { padding: 1, paddingMode: 'reflect', dtype: 'float64' });
    c1.weight.data.set(ar([2, 2, 3], 9).data);
    c1.bias!.data.set([0.25, -0.5]);
    const y = c1.forward(ar([2, 5], 3));
    expect(y.shape).toEqual([2, 5]);
    close(
      y.data,
      [
        0.34259259259259256, 0.3425925925925926, -0.10185185185185186, -0.5462962962962964,
        -0.8425925925925928, 1.8148148148148149, 2.2592592592592595, 3.1481481481481484, 4.037037037037037,
        4.185185185185185,
      ],
    );
  });
  it('MaxPool2d (values and indices) and AvgPool2d on [C, H, W]', () => {
    // torch: x below as [2, 4, 4]; nn.MaxPool2d(2, return_indices=True)(x);
    //   nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)(x)
    const v = [1, 5, 2, 0, 3, 4, 8, 1, 0, 9, 2, 2, 6, 1, 1, 7];
    const x = tg.tensor([...v, ...v.map((a) => (a === 0 ? 0 : -a))], [2, 4, 4], { dtype: 'float64' });
    const [vals, idx] = new nn.MaxPool2d(2, null, 0, 1, true).forward(x);
    expect(vals.shape).toEqual([2, 2, 2]);
    expect(Array.from(vals.data)).toEqual([5, 8, 9, 7, -1, 0, 0, -1]);
    expect(Array.from(idx.data)).toEqual([1, 6, 9, 15, 0, 3, 8, 14]);
    expect(new nn.MaxPool2d(2).forward(x).shape).toEqual([2, 2, 2]);
    const a = new nn.AvgPool2d(3, 2, 1, false, false).forward(x);
    expect(a.shape).toEqual([2, 2, 2]);
    close(
      a.data,
      [
        3.25, 3.3333333333333335, 3.8333333333333335, 3.888888888888889, -3.25, -3.3333333333333335,
        -3.8333333333333335, -3.888888888888889,
      ],
    );
  });
  it('ConvTranspose2d [C, H, W], with an output_size of 2 or 3 sizes', () => {
    // torch: ct = nn.ConvTranspose2d(2, 1, 3, stride=2, padding=1); weight ar([2, 1, 3, 3], 10), bias [0.5];
    //   x = ar([2, 2, 2], 4); ct(x, output_size=[1, 4, 4]); ct(x).shape → (1, 3, 3)
    const ct = new nn.ConvTranspose2d(2, 1, 3, { stride: 2, padding: 1, dtype: 'float64' });
    ct.weight.data.set(ar([2, 1, 3, 3], 10).data);
    ct.bias!.data.set([0.5]);
    const x = ar([2, 2, 2], 4);
    const want = [
      0.95, 1.525, 1.125, 1.1749999999999998, 1.4500000000000002, 2.6500000000000004, 1.8000000000000003, 2.0,
      1.3, 2.2249999999999996, 1.475, 1.625, 1.6, 2.9749999999999996, 1.925, 2.075,
    ];
    const y = ct.forward(x, [1, 4, 4]);
    expect(y.shape).toEqual([1, 4, 4]);
    close(y.data, want);
    close(ct.forward(x, [4, 4]).data, want);
    expect(ct.forward(x).shape).toEqual([1, 3, 3]);
    // torch: ct(x, output_size=[1, 1, 4, 4]) → ValueError: ConvTranspose2D: for 3D input, output_size must have 2 or
    //   3 elements (got 4)
    throwsA(tg.ValueError, () => ct.forward(x, [1, 1, 4, 4]), [
      'for 3D input, output_size must have 2 or 3 elements',
    ]);
  });
  it('the batched and unbatched forms run the same hooks once per call', () => {
    const conv = new nn.Conv2d(1, 1, 1);
    let calls = 0;
    conv.registerForwardHook(() => void calls++);
    conv.forward(tg.ones([1, 2, 2]));
    conv.forward(tg.ones([3, 1, 2, 2]));
    expect(calls).toBe(2);
  });
});

describe('ranks PyTorch refuses', () => {
  it('conv, pool and transposed conv name the ranks they take', () => {
    // torch: nn.Conv2d(2, 3, 3)(randn(5, 5)) → RuntimeError: Expected 3D (unbatched) or 4D (batched) input to conv2d,
    //   but got input of size: [5, 5]; Conv1d: Expected 2D (unbatched) or 3D (batched) input to conv1d, ...
    throwsA(tg.ShapeError, () => new nn.Conv2d(2, 3, 3).forward(tg.zeros([5, 5])), [
      'Conv2d',
      'Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [5,5]',
    ]);
    throwsA(tg.ShapeError, () => new nn.Conv2d(2, 3, 3).forward(tg.zeros([2, 5, 5, 5, 5])), ['4D (batched)']);
    throwsA(tg.ShapeError, () => new nn.Conv1d(2, 3, 3).forward(tg.zeros([5])), [
      'Expected 2D (unbatched) or 3D (batched) input to conv1d',
    ]);
    // torch: nn.MaxPool2d(2)(randn(5, 4)) → non-empty 3D or 4D (batch mode) tensor expected for input
    throwsA(tg.ShapeError, () => new nn.MaxPool2d(2).forward(tg.zeros([5, 4])), [
      'MaxPool2d',
      'non-empty 3D or 4D (batch mode) tensor expected for input',
    ]);
    throwsA(tg.ShapeError, () => new nn.AvgPool2d(2).forward(tg.zeros([1, 5, 4, 4, 4])), ['3D or 4D']);
    // torch: nn.ConvTranspose2d(2, 3, 3)(randn(5, 4)) → Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d
    throwsA(tg.ShapeError, () => new nn.ConvTranspose2d(2, 3, 3).forward(tg.zeros([5, 4])), [
      'Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: [5,4]',
    ]);
  });
  it('channels in the wrong place: the channel count named, and the transpose for channels-last data', () => {
    // torch: nn.Conv2d(2, 3, 3)(randn(3, 5, 5)) → expected input[1, 3, 5, 5] to have 2 channels, but got 3 channels
    throwsA(tg.ShapeError, () => new nn.Conv2d(2, 3, 3).forward(tg.zeros([3, 5, 5])), [
      'C = 2',
      '[3,5,5]',
      '(C = 3)',
    ]);
    throwsA(tg.ShapeError, () => new nn.Conv2d(3, 4, 3).forward(tg.zeros([8, 8, 3])), [
      'channels-last',
      'tg.transpose(x, [2,0,1]) gives [3,8,8]',
    ]);
    throwsA(tg.ShapeError, () => new nn.ConvTranspose2d(2, 1, 3).forward(tg.zeros([3, 4, 4])), [
      '[2, H, W]',
      '[3,4,4]',
    ]);
  });
});
