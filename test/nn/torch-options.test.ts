// tg.nn modules: `{ dtype: 'float64' }` makes real float64 weights (gradchecked through the public weight
// attributes that forward reads), LSTM/GRU/RNN read their PyTorch attributes (weight_ih_l0, ...), and every
// module refuses an unknown option or a non-object in the options slot by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';

const { nn } = tg;
const rnd = (shape: number[], seed: number) =>
  tg.tensor(
    uniform(
      shape.reduce((a, b) => a * b, 1),
      seed,
      -1,
      1,
    ),
    shape,
    { dtype: 'float64' },
  );
const first = (y: unknown): tg.Tensor => (Array.isArray(y) ? first(y[0]) : (y as tg.Tensor));

/** [name, module in float64, input, its public weight attributes] */
const modules: [string, () => tg.Layer, () => tg.Tensor, string[]][] = [
  ['Linear', () => new nn.Linear(4, 3, { dtype: 'float64' }), () => rnd([2, 4], 1), ['weight', 'bias']],
  [
    'Conv2d reflect',
    () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: 'reflect', dtype: 'float64' }),
    () => rnd([1, 2, 4, 4], 2),
    ['weight', 'bias'],
  ],
  [
    'Conv1d circular',
    () => new nn.Conv1d(2, 2, 3, { padding: 1, paddingMode: 'circular', dtype: 'float64' }),
    () => rnd([2, 2, 5], 3),
    ['weight', 'bias'],
  ],
  [
    'ConvTranspose2d groups 2',
    () => new nn.ConvTranspose2d(4, 2, 2, { stride: 2, groups: 2, dtype: 'float64' }),
    () => rnd([1, 4, 2, 3], 4),
    ['weight', 'bias'],
  ],
  [
    'BatchNorm2d',
    () => new nn.BatchNorm2d(2, { dtype: 'float64' }),
    () => rnd([3, 2, 2, 2], 5),
    ['weight', 'bias'],
  ],
  [
    'BatchNorm1d',
    () => new nn.BatchNorm1d(3, { dtype: 'float64' }),
    () => rnd([4, 3], 6),
    ['weight', 'bias'],
  ],
  ['LayerNorm', () => new nn.LayerNorm([3], { dtype: 'float64' }), () => rnd([2, 3], 7), ['weight', 'bias']],
  [
    'LSTM',
    () => new nn.LSTM(3, 2, { dtype: 'float64' }),
    () => rnd([3, 2, 3], 8),
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'],
  ],
  [
    'GRU bidirectional',
    () => new nn.GRU(2, 2, { bidirectional: true, dtype: 'float64' }),
    () => rnd([2, 1, 2], 9),
    ['weight_ih_l0', 'weight_hh_l0', 'weight_ih_l0_reverse', 'bias_hh_l0_reverse'],
  ],
  [
    'RNN',
    () => new nn.RNN(2, 3, { dtype: 'float64' }),
    () => rnd([2, 2, 2], 10),
    ['weight_ih_l0', 'bias_hh_l0'],
  ],
];

describe('tg.nn modules in float64: weights are float64 and gradcheck through the attributes forward reads', () => {
  for (const [what, make, input, names] of modules)
    it(what, () => {
      const m = make();
      const self = m as unknown as Record<string, tg.Tensor>;
      // NOTE: BatchNorm's num_batches_tracked counter stays an integer (PyTorch keeps it int64 under .double()).
      for (const w of m.weights)
        expect(w.value.dtype, `${what} ${w.name}`).toBe(
          w.name === 'num_batches_tracked' ? 'int32' : 'float64',
        );
      expect(first(m.apply(input())).dtype).toBe('float64');
      const orig = names.map((n) => self[n]);
      const res = tg.gradcheck(
        (x, ...ws) => {
          names.forEach((n, i) => (self[n] = ws[i]));
          return first(m.apply(x));
        },
        [input(), ...orig],
        { mode: 'random', directions: 2 },
      );
      names.forEach((n, i) => (self[n] = orig[i]));
      expect(res.ok, `${what}: ${JSON.stringify(res.worst)}`).toBe(true);
    });
  it('Embedding weight is float64 and its gradient is the scatter of the seed', () => {
    const e = new nn.Embedding(4, 2, { dtype: 'float64' });
    expect(e.weight.dtype).toBe('float64');
    const g = tg.grad((w: tg.Tensor) => {
      e.weight = w;
      return tg.sum(e.forward(tg.tensor(Int32Array.from([1, 1, 3]), [3])));
    })(tg.zeros([4, 2], { dtype: 'float64' }));
    expect(Array.from(g.data)).toEqual([0, 0, 2, 2, 0, 0, 1, 1]);
  });
});

describe('LSTM / GRU read their public weight attributes (as PyTorch)', () => {
  for (const kind of ['LSTM', 'GRU'] as const)
    it(`${kind}: assigning weight_hh_l0 and bias_ih_l0 changes the output, the weight list and setWeights`, () => {
      const a = new nn[kind](3, 2, { dtype: 'float64' });
      const b = new nn[kind](3, 2, { dtype: 'float64' });
      b.setWeights(a.getWeights());
      const x = rnd([4, 1, 3], 11);
      expect(Array.from(first(b.forward(x)).data)).toEqual(Array.from(first(a.forward(x)).data));
      const whh = rnd([...a.weight_hh_l0.shape], 12).requireGrad(true);
      const bih = rnd([...a.bias_ih_l0.shape], 13).requireGrad(true);
      a.weight_hh_l0 = whh;
      a.bias_ih_l0 = bih;
      const ya = first(a.forward(x));
      expect(Array.from(ya.data)).not.toEqual(Array.from(first(b.forward(x)).data));
      // The reference: the same values written into b's own tensors.
      b.weight_hh_l0.data.set(whh.data);
      b.bias_ih_l0.data.set(bih.data);
      expect(Array.from(ya.data)).toEqual(Array.from(first(b.forward(x)).data));
      expect(a.weights.map((w) => w.value)).toContain(whh);
      tg.sum(ya).backward();
      expect(whh.grad).not.toBeNull();
      a.weight_hh_l0 = tg.zeros([2, 2], { dtype: 'float64' });
      expect(() => a.forward(x)).toThrow(/weight_hh_l0 must be a Tensor \[\d+,2\], got \[2,2\]/);
    });
});

describe('tg.nn modules refuse unknown options by name', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'Linear',
      () => new nn.Linear(2, 2, { bias: false, biass: 1 } as never),
      /Linear: unknown option 'biass' \(known: bias, name, dtype\)/,
    ],
    [
      'Linear positional bias',
      () => new nn.Linear(2, 2, false as never),
      /Linear: options must be an object/,
    ],
    [
      'Conv2d',
      () => new nn.Conv2d(1, 1, 3, { padding_mode: 'reflect' } as never),
      /Conv2d: unknown option 'padding_mode' \(known: stride, padding, dilation, groups, bias, paddingMode, name, dtype\)/,
    ],
    [
      'Conv2d paddingMode',
      () => new nn.Conv2d(1, 1, 3, { paddingMode: 'mirror' } as never).forward(tg.zeros([1, 1, 4, 4])),
      /unknown paddingMode "mirror"/,
    ],
    [
      'Conv1d',
      () => new nn.Conv1d(1, 1, 3, { ceilMode: true } as never),
      /Conv1d: unknown option 'ceilMode'/,
    ],
    [
      'Conv2d dtype',
      () => new nn.Conv2d(1, 1, 3, { dtype: 'int32' } as never),
      /Conv2d: dtype must be 'float32' or 'float64', got "int32"/,
    ],
    [
      'ConvTranspose2d',
      () => new nn.ConvTranspose2d(1, 1, 3, { output_padding: 1 } as never),
      /ConvTranspose2d: unknown option 'output_padding'/,
    ],
    [
      'BatchNorm2d',
      () => new nn.BatchNorm2d(2, { track_running_stats: false } as never),
      /BatchNorm2d: unknown option 'track_running_stats'/,
    ],
    [
      'BatchNorm1d',
      () => new nn.BatchNorm1d(2, { epsilon: 1 } as never),
      /BatchNorm1d: unknown option 'epsilon'/,
    ],
    [
      'LayerNorm',
      () => new nn.LayerNorm(2, { elementwise_affine: false } as never),
      /LayerNorm: unknown option 'elementwise_affine'/,
    ],
    [
      'Embedding',
      () => new nn.Embedding(2, 2, { padding_idx: 0 } as never),
      /Embedding: unknown option 'padding_idx'/,
    ],
    [
      'LSTM',
      () => new nn.LSTM(2, 2, { batch_first: true } as never),
      /LSTM: unknown option 'batch_first' \(known: numLayers, bias, batchFirst, dropout, bidirectional, name, dtype\)/,
    ],
    ['GRU', () => new nn.GRU(2, 2, { proj_size: 1 } as never), /GRU: unknown option 'proj_size'/],
    [
      'RNN',
      () => new nn.RNN(2, 2, { nonlinearity: 'relu', numlayers: 2 } as never),
      /RNN: unknown option 'numlayers'/,
    ],
  ];
  for (const [what, make, msg] of cases) it(what, () => expect(make).toThrow(msg));
});
