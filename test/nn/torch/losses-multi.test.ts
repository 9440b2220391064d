// tg.nn.MultiMarginLoss and MultiLabelMarginLoss (and F.multiMarginLoss / F.multilabelMarginLoss) against PyTorch
// 1.13: values and input gradients of every reduction in float64, from test/fixtures/torch-losses-2/cases.json (made
// by gen.py beside it), including the z = 0 boundary (not counted), weights, p = 2, targets ended by −1, duplicate
// targets and one unbatched sample; then the refusals.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { fixtureTests } from './losses-2-fixture.js';

const nn = tg.nn;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });
const i32 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'int32' });

describe('class-index margin losses against PyTorch 1.13 (float64 values and gradients)', () => {
  fixtureTests(['MultiMarginLoss', 'MultiLabelMarginLoss'], {
    MultiMarginLoss: 'multiMarginLoss',
    MultiLabelMarginLoss: 'multilabelMarginLoss',
  });
});

describe('class-index margin losses: gradcheck', () => {
  it('MultiMarginLoss (p 2, weight) and MultiLabelMarginLoss pass gradcheck away from the boundaries', () => {
    const x = () => f64([0.31, -1.2, 0.83, 0.55, 1.1, -0.42, 0.07, 0.9], [2, 4]);
    const mm = new nn.MultiMarginLoss({ p: 2, weight: f64([1, 2, 0.5, 1.5]) });
    expect(tg.gradcheck((a) => mm.forward(a, i32([2, 0])), [x()]).ok).toBe(true);
    const ml = new nn.MultiLabelMarginLoss({ reduction: 'sum' });
    expect(tg.gradcheck((a) => ml.forward(a, i32([3, 1, -1, 0, 2, -1, 0, 0], [2, 4])), [x()]).ok).toBe(true);
  });
});

describe('class-index margin losses: refusals', () => {
  it('the weights are buffers, as PyTorch`s _WeightedLoss registers them: in stateDict when set', () => {
    // torch: nn.MultiMarginLoss(weight=torch.ones(3)).state_dict() → {'weight'}; nn.MultiLabelMarginLoss() → {}
    expect(Object.keys(new nn.MultiMarginLoss({ weight: tg.ones([3]) }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new nn.MultiLabelSoftMarginLoss({ weight: tg.ones([3]) }).stateDict())).toEqual([
      'weight',
    ]);
    expect(Object.keys(new nn.MultiLabelMarginLoss().stateDict())).toEqual([]);
    expect(new nn.MultiMarginLoss().weight).toBe(null);
  });
  it('options: p only 1 or 2, weight 1-D of C, unknown keys named', () => {
    // torch: ValueError: only p == 1 and p == 2 supported
    throwsA(tg.ValueError, () => new nn.MultiMarginLoss({ p: 3 as never }), [
      'MultiMarginLoss: only p == 1 and p == 2 supported, got 3',
    ]);
    // torch: ValueError: weight must be one-dimensional
    throwsA(tg.ValueError, () => new nn.MultiMarginLoss({ weight: tg.ones([2, 2]) }), [
      'weight must be one-dimensional',
    ]);
    throwsA(tg.ValueError, () => new nn.MultiLabelMarginLoss({ sizeAverage: false } as never), [
      "MultiLabelMarginLoss: unknown option 'sizeAverage'",
    ]);
    throwsA(
      tg.ShapeError,
      () => new nn.MultiMarginLoss({ weight: f64([1, 2]) }).forward(f64([1, 2, 3]), i32([0])),
      ['MultiMarginLoss', 'inconsistent weight size, expected 3 but got [2]'],
    );
  });
  it('targets: sizes, dtype and range are named with both shapes', () => {
    const mm = new nn.MultiMarginLoss();
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    // torch: inconsistent target size, got: [3]
    throwsA(tg.ShapeError, () => mm.forward(x, i32([0, 1, 2])), [
      'MultiMarginLoss',
      'expected 2 class indices',
      'input [2,3], got target [3]',
    ]);
    // torch: expected scalar type Long but found Float
    throwsA(tg.DTypeError, () => mm.forward(x, f64([0, 1])), ['MultiMarginLoss', 'class indices', 'float64']);
    // torch: target out of range
    throwsA(tg.ValueError, () => mm.forward(x, i32([0, 3])), [
      'MultiMarginLoss',
      'target out of range',
      'in [0, 2]',
    ]);
    throwsA(tg.ShapeError, () => mm.forward(f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), i32([0, 1])), [
      'Expected non-empty vector or matrix',
    ]);
    const ml = new nn.MultiLabelMarginLoss();
    // torch: inconsistent size [3] for argument #2 'target'
    throwsA(tg.ShapeError, () => ml.forward(x, i32([0, 1, 2])), [
      'MultiLabelMarginLoss',
      "inconsistent size [3] for argument #2 'target': expected the input's shape [2,3]",
    ]);
    // torch: argument #2 'target' is out of range
    throwsA(tg.ValueError, () => ml.forward(x, i32([0, -2, 1, 0, 1, 2], [2, 3])), ['target out of range']);
    throwsA(tg.ValueError, () => ml.forward(x, i32([0, -1, 3, 0, 1, 2], [2, 3])), ['target out of range']);
  });
});
