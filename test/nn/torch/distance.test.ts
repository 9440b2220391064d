// tg.nn.CosineSimilarity and PairwiseDistance (and F.cosineSimilarity / F.pairwiseDistance) against PyTorch 1.13:
// values and gradients of both inputs in float64, from test/fixtures/torch-losses-2/cases.json (made by gen.py beside
// it): dims, broadcasting, a zero vector and norms below eps for the cosine; p 1, 2, 3, 0.5, 1.5, 0 and Infinity,
// zero differences (gradient 0), a max tie and keepdim for the distance; then the refusals.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { expectClose } from '../../support/check.js';
import { CASES, fixtureTests, moduleOf } from './losses-2-fixture.js';

const nn = tg.nn;
const F = tg.nn.functional;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });

describe('distance modules against PyTorch 1.13 (float64 values and gradients)', () => {
  fixtureTests(['CosineSimilarity', 'PairwiseDistance'], {
    CosineSimilarity: 'cosineSimilarity',
    PairwiseDistance: 'pairwiseDistance',
  });
});

describe('distance modules: gradcheck and options', () => {
  it('cosineSimilarity and pairwiseDistance (p 3) pass gradcheck', () => {
    const x = () => f64([0.31, -1.2, 0.83, 0.55, 1.1, -0.42], [2, 3]);
    expect(tg.gradcheck((a, b) => F.cosineSimilarity(a, b), [x(), tg.add(x(), 0.7)]).ok).toBe(true);
    const pd = new nn.PairwiseDistance({ p: 3 });
    expect(tg.gradcheck((a, b) => pd.forward(a, b), [x(), tg.mul(x(), -0.6)]).ok).toBe(true);
  });
  it('the options are kept and checked by name', () => {
    const pd = new nn.PairwiseDistance({ p: 1, keepdim: true });
    expect([pd.p, pd.eps, pd.keepdim]).toEqual([1, 1e-6, true]);
    const cs = new nn.CosineSimilarity({ dim: 0 });
    expect([cs.dim, cs.eps]).toEqual([0, 1e-8]);
    throwsA(tg.ValueError, () => new nn.CosineSimilarity({ dim: 1.5 }), [
      'CosineSimilarity: dim must be an integer',
    ]);
    throwsA(tg.ValueError, () => new nn.PairwiseDistance({ p: -2 }), ['PairwiseDistance: p must be >= 0']);
    throwsA(tg.ValueError, () => new nn.PairwiseDistance({ keepdim: 1 as never }), [
      'keepdim must be true or false',
    ]);
    throwsA(tg.ValueError, () => new nn.PairwiseDistance({ norm: 2 } as never), [
      "PairwiseDistance: unknown option 'norm' (known: p, eps, keepdim, name)",
    ]);
    throwsA(tg.ValueError, () => F.cosineSimilarity(f64([1]), f64([1]), { name: 'x' } as never), [
      "nn.functional.cosineSimilarity: unknown option 'name' (known: dim, eps)",
    ]);
  });
  it('bad inputs: shapes named, dims out of range, 0-d distances', () => {
    throwsA(
      tg.ShapeError,
      () => new nn.CosineSimilarity().forward(f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([1, 2, 3, 4], [2, 2])),
      ['CosineSimilarity', 'x1 [2,3] and x2 [2,2] cannot be broadcast'],
    );
    throwsA(tg.ShapeError, () => F.pairwiseDistance(f64([1, 2, 3]), f64([1, 2])), [
      'nn.functional.pairwiseDistance: x1 [3] and x2 [2] cannot be broadcast',
    ]);
    throwsA(tg.ValueError, () => new nn.CosineSimilarity({ dim: 2 }).forward(f64([1, 2]), f64([1, 2])), [
      'axis 2',
    ]);
    throwsA(tg.ShapeError, () => new nn.PairwiseDistance().forward(f64([1], []), f64([1], [])), ['0-d']);
    throwsA(
      tg.ValueError,
      () => new nn.PairwiseDistance().forward(tg.tensor([1], [1], { dtype: 'int32' }), f64([1])),
      ['x1 must be float32 or float64, got int32'],
    );
  });
});

describe('float32 inputs', () => {
  it('every fixture case in float32 gives a float32 result near PyTorch`s float64 one', () => {
    for (const c of CASES)
      for (const r of Object.keys(c.out)) {
        const xs = c.args.map((a) =>
          tg.tensor(a.data, a.shape, { dtype: a.dtype === 'int32' ? 'int32' : 'float32' }),
        );
        const y = moduleOf(c, r, 'float32').forward(...xs);
        expect(y.dtype, `${c.name} ${r}`).toBe('float32');
        expectClose(
          y.data as ArrayLike<number>,
          c.out[r].value.data,
          { rtol: 1e-4, atol: 1e-5 },
          `${c.name} ${r}`,
        );
      }
  });
});
