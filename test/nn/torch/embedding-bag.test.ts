// tg.nn.EmbeddingBag and F.embeddingBag against PyTorch 1.13: float64 values and the gradients of sum(y · g) for the
// weight (and perSampleWeights) in modes sum, mean and max, with 2-D inputs, offsets (an empty bag, repeated indices),
// includeLastOffset and paddingIdx (the fixture is named in modules3-data.ts); its init and the refusals.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { FIX, backwardWith, close, f64, leaf } from './modules3-data.js';

const F = tg.nn.functional;
const idx = (v: number[] | number[][]) =>
  tg.tensor(v.flat(), Array.isArray(v[0]) ? [v.length, (v[0] as number[]).length] : [v.length], {
    dtype: 'int32',
  });

describe('tg.nn.EmbeddingBag against PyTorch 1.13', () => {
  for (const c of FIX.embedding_bag) {
    const { w, y, g, gw, psw, gpsw, y_shape: _s, ...label } = c;
    it(JSON.stringify(label), () => {
      const m = new tg.nn.EmbeddingBag(7, 3, {
        mode: c.mode,
        paddingIdx: c.padding_idx ?? null,
        includeLastOffset: c.include_last_offset ?? false,
        dtype: 'float64',
      });
      m.weight = leaf(w, [7, 3]);
      const input = idx(c.input);
      const weights = psw ? leaf(psw, input.shape) : null;
      const out = m.forward(input, c.offsets ? idx(c.offsets) : null, weights);
      close(out, y, 'y', c.y_shape);
      backwardWith(out, g);
      close(m.weight.grad, gw, 'dweight');
      if (psw) close(weights!.grad, gpsw, 'dperSampleWeights');
      // the functional, with offsets as a plain list
      const yf = F.embeddingBag(input, f64(w, [7, 3]), {
        offsets: c.offsets ?? null,
        mode: c.mode,
        paddingIdx: c.padding_idx,
        includeLastOffset: c.include_last_offset,
        perSampleWeights: psw ? f64(psw, input.shape) : null,
      });
      close(yf, y, 'F.embeddingBag');
    });
  }
});

describe('tg.nn.EmbeddingBag module', () => {
  it("weight [num, dim] ~ N(0, 1) named 'weight', the paddingIdx row zero; mode 'mean' by default", () => {
    const m = new tg.nn.EmbeddingBag(50, 4, { paddingIdx: -2 });
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
    expect(m.mode).toBe('mean');
    expect(m.paddingIdx).toBe(48);
    const v = Array.from(m.weight.data as ArrayLike<number>);
    expect(v.slice(48 * 4, 49 * 4)).toEqual([0, 0, 0, 0]);
    expect(v.filter((x) => x !== 0).length).toBe(49 * 4);
    const sd = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    expect(sd).toBeGreaterThan(0.7);
    expect(sd).toBeLessThan(1.3);
  });
  it('an empty input gives empty bags, zeros in every mode (PyTorch 1.13: zeros(2, 3))', () => {
    for (const mode of ['sum', 'mean', 'max'] as const) {
      const m = new tg.nn.EmbeddingBag(5, 3, { mode });
      const y = m.forward(idx([]), idx([0, 0]));
      expect(y.shape).toEqual([2, 3]);
      expect(Array.from(y.data as ArrayLike<number>)).toEqual([0, 0, 0, 0, 0, 0]);
    }
  });
  it('refuses the options it does not implement by name, and bad ones', () => {
    throwsA(tg.ValueError, () => new tg.nn.EmbeddingBag(5, 2, { maxNorm: 1 }), [
      'EmbeddingBag: maxNorm is not supported',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.EmbeddingBag(5, 2, { scaleGradByFreq: true }), [
      'EmbeddingBag: scaleGradByFreq=true is not supported',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.EmbeddingBag(5, 2, { sparse: true }), [
      'EmbeddingBag: sparse=true is not supported',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.EmbeddingBag(5, 2, { mode: 'min' as never }), [
      'EmbeddingBag: mode has to be one of sum, mean or max, got "min"',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.EmbeddingBag(5, 2, { paddingIdx: 5 }), [
      'padding_idx 5 must be within num_embeddings 5',
    ]);
    expect(() => new tg.nn.EmbeddingBag(5, 2, { maxNorm: null, normType: 1, sparse: false })).not.toThrow();
    throwsA(tg.ValueError, () => F.embeddingBag(idx([1]), tg.zeros([3, 2]), { offsets: [0], sparse: true }), [
      'nn.functional.embeddingBag: sparse=true is not supported',
    ]);
  });
  it('refuses inputs, offsets and per-sample weights as PyTorch does', () => {
    const m = new tg.nn.EmbeddingBag(6, 2, { mode: 'sum' });
    const x = idx([1, 2, 4, 5, 4, 3]);
    throwsA(tg.ValueError, () => m.forward(x), ['offsets has to be a 1D Tensor']);
    throwsA(tg.ValueError, () => m.forward(x, idx([1, 2])), ['offsets[0] has to be 0']);
    throwsA(tg.ValueError, () => m.forward(x, idx([0, 7])), [
      "offsets[-1] can not be greater than input's length 6",
    ]);
    throwsA(tg.ValueError, () => m.forward(x, idx([0, 3, 2])), ['offsets must not decrease']);
    throwsA(tg.ValueError, () => m.forward(idx([[1, 2]]), idx([0])), [
      'if input is 2D, then offsets has to be null',
    ]);
    throwsA(tg.ShapeError, () => m.forward(tg.zeros([1, 1, 1], { dtype: 'int32' })), [
      'input has to be 1D or 2D',
    ]);
    throwsA(tg.ValueError, () => m.forward(idx([1, 9]), idx([0])), ['index 9 at flat position 1']);
    throwsA(tg.ShapeError, () => m.forward(x, idx([0]), tg.ones([5])), [
      'If per_sample_weights ([5]) is not null, then it must have the same shape as the input ([6])',
    ]);
    const mean = new tg.nn.EmbeddingBag(6, 2);
    throwsA(tg.ValueError, () => mean.forward(x, idx([0]), tg.ones([6])), [
      "per_sample_weights is only supported for mode='sum' (got mode='mean')",
    ]);
    const last = new tg.nn.EmbeddingBag(6, 2, { includeLastOffset: true });
    throwsA(tg.ValueError, () => last.forward(x, idx([0, 2, 4])), ["must equal the input's length 6, got 4"]);
  });
});
