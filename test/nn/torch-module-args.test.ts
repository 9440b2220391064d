// Constructor arguments of the PyTorch-style modules: Flatten(start_dim, end_dim), sizes and kernel/stride/padding/
// dilation/groups of Linear and the convolutions, pooling padding at most half the kernel, padding 'same' only
// unstrided. Refusals are tapegrad errors naming the module and the argument, where PyTorch refuses too.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsA } from '../support/throws.js';

const nn = tg.nn;

describe('tg.nn.Flatten(startDim = 1, endDim = -1)', () => {
  it('merges the dims from startDim to endDim, negative dims counting from the end (PyTorch shapes)', () => {
    const x = tg.randn([2, 3, 4, 5]);
    // PyTorch: nn.Flatten(1, 2) → [2, 12, 5]; (-3, -2) → [2, 12, 5]; () → [2, 60]; (0, -1) → [120]; (-1) → unchanged.
    expect(new nn.Flatten(1, 2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new nn.Flatten(-3, -2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0, -1).forward(x).shape).toEqual([120]);
    expect(new nn.Flatten(-1).forward(tg.randn([2, 3, 4])).shape).toEqual([2, 3, 4]);
    expect(new nn.Flatten().forward(tg.zeros([2, 0, 3])).shape).toEqual([2, 0]);
    expect(new nn.Flatten(0, -1).forward(tg.scalar(3)).shape).toEqual([1]);
    const y = new nn.Flatten(1, 2).forward(x);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });

  it('refuses dims out of range (PyTorch IndexError) and start after end', () => {
    throwsA(tg.ShapeError, () => new nn.Flatten(3).forward(tg.randn([2, 3])), [
      'Flatten',
      'start_dim 3',
      '[2,3]',
      '[-2, 1]',
    ]);
    throwsA(tg.ShapeError, () => new nn.Flatten(1, -3).forward(tg.randn([2, 3])), ['end_dim -3', '[-2, 1]']);
    throwsA(tg.ShapeError, () => new nn.Flatten().forward(tg.randn([5])), ['start_dim 1', '[-1, 0]']);
    throwsA(tg.ValueError, () => new nn.Flatten(2, 1).forward(tg.randn([2, 3, 4])), [
      'Flatten',
      'start_dim 2 comes after end_dim 1',
    ]);
    throwsA(tg.ValueError, () => new nn.Flatten(1.5), ['Flatten', 'start_dim', '1.5']);
  });
});

describe('sizes and conv arguments are checked at construction', () => {
  const cases: [string, () => unknown, string[]][] = [
    ['Linear(3.5, 2)', () => new nn.Linear(3.5, 2), ['Linear', 'in_features', '3.5']],
    ['Linear(-1, 2)', () => new nn.Linear(-1, 2), ['Linear', 'in_features', '-1']],
    ['Linear(3, -1)', () => new nn.Linear(3, -1), ['Linear', 'out_features', '-1']],
    ['Conv2d kernel 0', () => new nn.Conv2d(1, 1, 0), ['Conv2d', 'kernel_size', 'got 0']],
    ['Conv2d kernel [3, 0]', () => new nn.Conv2d(1, 1, [3, 0]), ['Conv2d', 'kernel_size', '[3,0]']],
    ['Conv2d in 0', () => new nn.Conv2d(0, 1, 3), ['Conv2d', 'in_channels', 'got 0']],
    ['Conv2d out 2.5', () => new nn.Conv2d(1, 2.5, 3), ['Conv2d', 'out_channels', '2.5']],
    [
      'Conv2d groups 3 with in 4',
      () => new nn.Conv2d(4, 6, 3, { groups: 3 }),
      ['Conv2d', 'in_channels must be divisible by groups', '4', '3'],
    ],
    [
      'Conv2d groups 2 with out 3',
      () => new nn.Conv2d(4, 3, 3, { groups: 2 }),
      ['Conv2d', 'out_channels must be divisible by groups'],
    ],
    ['Conv2d groups 0', () => new nn.Conv2d(4, 4, 3, { groups: 0 }), ['Conv2d', 'groups', 'got 0']],
    ['Conv2d stride 0', () => new nn.Conv2d(1, 1, 3, { stride: 0 }), ['Conv2d', 'stride', 'got 0']],
    ['Conv2d dilation [1, 0]', () => new nn.Conv2d(1, 1, 3, { dilation: [1, 0] }), ['Conv2d', 'dilation']],
    [
      'Conv2d padding -1',
      () => new nn.Conv2d(1, 1, 3, { padding: -1 }),
      ['Conv2d', 'padding', 'non-negative'],
    ],
    [
      "Conv2d padding 'full'",
      () => new nn.Conv2d(1, 1, 3, { padding: 'full' as never }),
      ['Conv2d', '"full"', "'same' or 'valid'"],
    ],
    ['Conv1d kernel 0', () => new nn.Conv1d(1, 1, 0), ['Conv1d', 'kernel_size']],
    ['Conv1d in -2', () => new nn.Conv1d(-2, 1, 3), ['Conv1d', 'in_channels', '-2']],
    ['Conv1d groups 2 with in 3', () => new nn.Conv1d(3, 4, 3, { groups: 2 }), ['Conv1d', 'in_channels']],
    ['Conv1d stride [1, 1]', () => new nn.Conv1d(1, 1, 3, { stride: [1, 1] as never }), ['Conv1d', 'stride']],
    ['MaxPool2d kernel 0', () => new nn.MaxPool2d(0), ['MaxPool2d', 'kernel_size']],
    [
      'MaxPool2d stride as options',
      () => new nn.MaxPool2d(2, { stride: 1 } as never),
      ['MaxPool2d', 'stride'],
    ],
    ['AvgPool2d padding -1', () => new nn.AvgPool2d(2, 2, -1), ['AvgPool2d', 'padding']],
  ];
  for (const [what, make, fragments] of cases) it(what, () => throwsA(tg.ValueError, make, fragments));

  it('valid arguments still build, PyTorch 1-tuples included', () => {
    expect(new nn.Conv2d(4, 6, [3, 1], { groups: 2, stride: [2, 1], padding: [1, 0] }).weight.shape).toEqual([
      6, 2, 3, 1,
    ]);
    const c1 = new nn.Conv1d(2, 3, [3] as never, { stride: [2] as never, padding: [1] as never });
    expect(c1.weight.shape).toEqual([3, 2, 3]);
    // PyTorch: nn.Conv1d(2, 3, (3,), stride=(2,), padding=(1,)) on [1, 2, 5] → [1, 3, 3].
    expect(c1.forward(tg.randn([1, 2, 5])).shape).toEqual([1, 3, 3]);
    expect(new nn.Linear(1, 1).weight.shape).toEqual([1, 1]);
  });
});

describe("pooling padding at most half the kernel; padding 'same' only unstrided (PyTorch refusals)", () => {
  it('AvgPool2d and MaxPool2d refuse padding above kernel_size / 2, per axis', () => {
    // PyTorch: "pad should be at most half of kernel size, but got pad=2 and kernel_size=2".
    throwsA(tg.ValueError, () => new nn.AvgPool2d(2, 2, 2), [
      'AvgPool2d',
      'at most half of kernel_size',
      '2',
    ]);
    throwsA(tg.ValueError, () => new nn.MaxPool2d(2, 2, 2), ['MaxPool2d', 'at most half of kernel_size']);
    throwsA(tg.ValueError, () => new nn.AvgPool2d(3, 2, [1, 2]), ['AvgPool2d', '[1,2]', 'axis 1']);
    throwsA(tg.ValueError, () => new nn.MaxPool2d(3, 2, 2), ['MaxPool2d']);
    // NOTE: PyTorch applies the rule to kernel_size, not the dilated window: MaxPool2d(2, 2, 2, 3) is refused too.
    throwsA(tg.ValueError, () => new nn.MaxPool2d(2, 2, 2, 3), ['MaxPool2d']);
  });
  it('padding up to half the kernel still pools (PyTorch output shapes)', () => {
    const x = tg.randn([1, 1, 5, 5]);
    // PyTorch: AvgPool2d(2, 2, 1) and AvgPool2d(3, 2, 1) on [1, 1, 5, 5] → [1, 1, 3, 3].
    expect(new nn.AvgPool2d(2, 2, 1).forward(x).shape).toEqual([1, 1, 3, 3]);
    expect(new nn.AvgPool2d(3, 2, 1).forward(x).shape).toEqual([1, 1, 3, 3]);
    expect(new nn.MaxPool2d(3, 2, 1).forward(x).shape).toEqual([1, 1, 3, 3]);
  });
  it("Conv2d and Conv1d refuse padding 'same' with a stride other than 1", () => {
    throwsA(tg.ValueError, () => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: 2 }), [
      'Conv2d',
      "padding='same' is not supported for strided convolutions",
    ]);
    throwsA(tg.ValueError, () => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: [1, 2] }), [
      'Conv2d',
      "'same'",
    ]);
    throwsA(tg.ValueError, () => new nn.Conv1d(1, 1, 3, { padding: 'same', stride: 2 }), [
      'Conv1d',
      "'same'",
    ]);
    expect(new nn.Conv2d(1, 1, 4, { padding: 'same' }).forward(tg.randn([1, 1, 6, 6])).shape).toEqual([
      1, 1, 6, 6,
    ]);
  });
});
