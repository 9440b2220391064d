// tg.nn.PoissonNLLLoss and GaussianNLLLoss (and F.poissonNllLoss / F.gaussianNllLoss) against PyTorch 1.13: values
// and gradients (input, and var for the Gaussian) of every reduction in float64, from
// test/fixtures/torch-losses-2/cases.json (made by gen.py beside it): logInput both ways, eps, full with Stirling's
// term only where target > 1, var of each allowed shape and var clamped at eps; then the refusals.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { fixtureTests } from './losses-2-fixture.js';

const nn = tg.nn;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });

describe('likelihood losses against PyTorch 1.13 (float64 values and gradients)', () => {
  fixtureTests(['PoissonNLLLoss', 'GaussianNLLLoss'], {
    PoissonNLLLoss: 'poissonNllLoss',
    GaussianNLLLoss: 'gaussianNllLoss',
  });
});

describe('likelihood losses: gradcheck', () => {
  it('PoissonNLLLoss (rates, full) and GaussianNLLLoss (input and var) pass gradcheck', () => {
    const y = f64([0, 1, 2.5, 4]);
    const p = new nn.PoissonNLLLoss({ logInput: false, full: true });
    expect(tg.gradcheck((x) => p.forward(x, y), [f64([0.5, 1.2, 2, 0.9])]).ok).toBe(true);
    const g = new nn.GaussianNLLLoss({ full: true, reduction: 'sum' });
    expect(
      tg.gradcheck((x, v) => g.forward(x, y, v), [f64([0.3, 1.5, 2, 3.1]), f64([0.5, 1.2, 2, 0.9])]).ok,
    ).toBe(true);
  });
});

describe('likelihood losses: refusals', () => {
  it('options are checked by name', () => {
    throwsA(tg.ValueError, () => new nn.PoissonNLLLoss({ log_input: false } as never), [
      "PoissonNLLLoss: unknown option 'log_input'",
    ]);
    throwsA(tg.ValueError, () => new nn.PoissonNLLLoss({ logInput: 'no' as never }), [
      'logInput must be true or false',
    ]);
    throwsA(tg.ValueError, () => new nn.GaussianNLLLoss({ eps: 'x' as never }), [
      'GaussianNLLLoss: eps must be',
    ]);
    throwsA(tg.ValueError, () => new nn.GaussianNLLLoss({ reduce: true } as never), [
      "unknown option 'reduce'",
    ]);
  });
  it('var: wrong size, negative entries; input and target that do not broadcast', () => {
    const g = new nn.GaussianNLLLoss();
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    // torch: ValueError: var is of incorrect size
    throwsA(tg.ShapeError, () => g.forward(x, x, f64([1, 1, 1])), [
      'GaussianNLLLoss',
      'var is of incorrect size: var [3] for input [2,3]',
    ]);
    // torch: ValueError: var has negative entry/entries
    throwsA(tg.ValueError, () => g.forward(x, x, f64([1, -1])), [
      'GaussianNLLLoss',
      'var has negative entry/entries',
    ]);
    throwsA(tg.ShapeError, () => g.forward(x, f64([1, 2]), f64([1, 1])), [
      'GaussianNLLLoss',
      'input [2,3] and target [2]',
    ]);
    throwsA(tg.ShapeError, () => new nn.PoissonNLLLoss().forward(x, f64([1, 2])), [
      'PoissonNLLLoss',
      'input [2,3] and target [2]',
    ]);
    throwsA(tg.ValueError, () => g.forward(x, x), ['var (the 3rd argument) must be a Tensor']);
  });
});
