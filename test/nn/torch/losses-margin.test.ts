// tg.nn.CosineEmbeddingLoss, MarginRankingLoss, HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss and
// TripletMarginLoss (and their tg.nn.functional twins) against PyTorch 1.13: values and input gradients of every
// reduction in float64, from test/fixtures/torch-losses-2/cases.json (made by gen.py beside it), including the margin
// boundaries, a zero vector, targets other than ±1 and swap ties; then the refusals.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { fixtureTests } from './losses-2-fixture.js';

const nn = tg.nn;
const F = tg.nn.functional;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });

describe('margin and embedding losses against PyTorch 1.13 (float64 values and gradients)', () => {
  fixtureTests(
    [
      'CosineEmbeddingLoss',
      'MarginRankingLoss',
      'HingeEmbeddingLoss',
      'SoftMarginLoss',
      'MultiLabelSoftMarginLoss',
      'TripletMarginLoss',
    ],
    {
      CosineEmbeddingLoss: 'cosineEmbeddingLoss',
      MarginRankingLoss: 'marginRankingLoss',
      HingeEmbeddingLoss: 'hingeEmbeddingLoss',
      SoftMarginLoss: 'softMarginLoss',
      MultiLabelSoftMarginLoss: 'multilabelSoftMarginLoss',
      TripletMarginLoss: 'tripletMarginLoss',
    },
  );
});

describe('margin and embedding losses: gradcheck', () => {
  it('TripletMarginLoss (p 3, swap) and CosineEmbeddingLoss pass gradcheck away from the boundaries', () => {
    const x = () => f64([0.3, -1.2, 0.8, 0.5, 1.1, -0.4], [2, 3]);
    const t = new nn.TripletMarginLoss({ p: 3, swap: true, margin: 2 });
    const r = tg.gradcheck((a, p, n) => t.forward(a, p, n), [x(), tg.mul(x(), -0.7), tg.add(x(), 0.9)]);
    expect(r.ok).toBe(true);
    const ce = new nn.CosineEmbeddingLoss({ margin: -0.5 });
    const y = tg.tensor([1, -1], [2], { dtype: 'float64' });
    expect(tg.gradcheck((a, b) => ce.forward(a, b, y), [x(), tg.add(x(), 0.5)]).ok).toBe(true);
  });
});

describe('margin and embedding losses: refusals', () => {
  it('options: unknown keys (PyTorch`s deprecated sizeAverage/reduce too), bad values, named', () => {
    throwsA(tg.ValueError, () => new nn.TripletMarginLoss({ sizeAverage: true } as never), [
      "TripletMarginLoss: unknown option 'sizeAverage'",
    ]);
    throwsA(tg.ValueError, () => new nn.CosineEmbeddingLoss({ reduce: false } as never), [
      "unknown option 'reduce'",
    ]);
    throwsA(tg.ValueError, () => new nn.MarginRankingLoss({ reduction: 'avg' as never }), [
      'MarginRankingLoss',
      '"avg" is not a valid value for reduction',
    ]);
    throwsA(tg.ValueError, () => new nn.HingeEmbeddingLoss({ margin: '1' as never }), [
      'HingeEmbeddingLoss: margin must be a finite number, got "1"',
    ]);
    throwsA(tg.ValueError, () => new nn.TripletMarginLoss({ swap: 1 as never }), [
      'swap must be true or false',
    ]);
    throwsA(tg.ValueError, () => new nn.TripletMarginLoss({ p: -1 }), ['TripletMarginLoss: p must be >= 0']);
    throwsA(tg.ValueError, () => new nn.MultiLabelSoftMarginLoss({ weight: [1, 2] as never }), [
      'MultiLabelSoftMarginLoss: weight must be a Tensor or null',
    ]);
    throwsA(tg.ValueError, () => F.marginRankingLoss(f64([1]), f64([1]), f64([1]), { bogus: 1 } as never), [
      "nn.functional.marginRankingLoss: unknown option 'bogus'",
    ]);
  });
  it('shapes: the loss and both shapes are named', () => {
    const ce = new nn.CosineEmbeddingLoss();
    // torch: 1D target tensor expects 2D input tensors, but found inputs with sizes [3] and [3].
    throwsA(tg.ShapeError, () => ce.forward(f64([1, 2, 3]), f64([1, 2, 3]), f64([1])), [
      'CosineEmbeddingLoss',
      '1D target tensor [1] expects 2D input tensors, but found input1 [3] and input2 [3]',
    ]);
    throwsA(
      tg.ShapeError,
      () => ce.forward(f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([1, 2, 3, 4], [2, 2]), f64([1, 1])),
      ['CosineEmbeddingLoss', 'input1 [2,3] and input2 [2,2]'],
    );
    throwsA(
      tg.ShapeError,
      () => ce.forward(f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([1, 1, 1])),
      ['CosineEmbeddingLoss', 'target [3]'],
    );
    // torch: margin_ranking_loss : All input tensors should have same dimension but got sizes: ...
    throwsA(
      tg.ShapeError,
      () => new nn.MarginRankingLoss().forward(f64([1, 2]), f64([1, 2]), f64([1, 2], [2, 1])),
      [
        'MarginRankingLoss',
        'All input tensors should have same dimension but got sizes: input1: [2], input2: [2], target: [2,1]',
      ],
    );
    throwsA(tg.ShapeError, () => new nn.HingeEmbeddingLoss().forward(f64([1, 2, 3]), f64([1, -1])), [
      'HingeEmbeddingLoss',
      'input [3] and target [2]',
    ]);
    // torch: All inputs should have same dimension but got 1D, 1D and 2D inputs.
    throwsA(
      tg.ShapeError,
      () => new nn.TripletMarginLoss().forward(f64([1, 2]), f64([1, 2]), f64([1, 2], [1, 2])),
      ['TripletMarginLoss', 'All inputs should have same dimension but got 1D, 1D and 2D inputs'],
    );
    throwsA(
      tg.ShapeError,
      () => new nn.TripletMarginLoss().forward(f64([1, 2]), f64([1, 2, 3]), f64([1, 2])),
      ['TripletMarginLoss', 'anchor [2] and positive [3]'],
    );
    throwsA(tg.ValueError, () => F.softMarginLoss(f64([1]), [1] as never), [
      'nn.functional.softMarginLoss',
      'Tensor',
    ]);
    throwsA(tg.ValueError, () => new nn.CosineEmbeddingLoss().forward(f64([1]), f64([1])), [
      'target (the 3rd argument) must be a Tensor',
    ]);
  });
});
