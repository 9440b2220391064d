// Metrics vs hand-counted cases, Keras documentation examples and plain loops; the Keras 'accuracy' dispatch rule.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { prng } from '../support/check.js';

const t = (v: number[], shape: number[], dtype: tg.DType = 'float32') => tg.tensor(v, shape, { dtype });

describe('accuracy metrics', () => {
  it('Keras documentation examples', () => {
    const y = t([0, 0, 1, 0, 1, 0], [2, 3]);
    const p = t([0.1, 0.9, 0.8, 0.05, 0.95, 0], [2, 3]);
    expect(tg.categoricalAccuracy(y, p).item()).toBe(0.5);
    expect(tg.sparseCategoricalAccuracy(t([2, 1], [2, 1]), p).item()).toBe(0.5);
    expect(tg.topKCategoricalAccuracy(y, p, 1).item()).toBe(0.5);
    expect(tg.topKCategoricalAccuracy(y, p, 2).item()).toBe(1);
    expect(tg.sparseTopKCategoricalAccuracy(t([2, 1], [2]), p, 1).item()).toBe(0.5);
    expect(tg.binaryAccuracy(t([1, 1, 0, 0], [4, 1]), t([0.98, 1, 0, 0.6], [4, 1])).item()).toBe(0.75);
  });

  it('random batches vs plain loops', () => {
    const r = prng(4);
    const N = 40,
      C = 6;
    const scores = Array.from({ length: N * C }, () => r());
    const labels = Array.from({ length: N }, () => Math.floor(r() * C));
    const hot = labels.flatMap((l) => Array.from({ length: C }, (_, j) => +(j === l)));
    const argmax = (i: number) =>
      scores.slice(i * C, i * C + C).reduce((b, v, j, a) => (v > a[b] ? j : b), 0);
    const rank = (i: number) =>
      scores.slice(i * C, i * C + C).filter((v) => v > scores[i * C + labels[i]]).length;
    let acc = 0,
      top3 = 0;
    for (let i = 0; i < N; i++) {
      if (argmax(i) === labels[i]) acc++;
      if (rank(i) < 3) top3++;
    }
    const P = t(scores, [N, C], 'float64');
    expect(tg.sparseCategoricalAccuracy(t(labels, [N], 'int32'), P).item()).toBeCloseTo(acc / N, 15);
    expect(tg.categoricalAccuracy(t(hot, [N, C]), P).item()).toBeCloseTo(acc / N, 15);
    expect(tg.sparseTopKCategoricalAccuracy(t(labels, [N], 'int32'), P, 3).item()).toBeCloseTo(top3 / N, 15);
    expect(tg.topKCategoricalAccuracy(t(hot, [N, C]), P, 3).item()).toBeCloseTo(top3 / N, 15);
    expect(tg.topKCategoricalAccuracy(t(hot, [N, C]), P).item()).toBeGreaterThanOrEqual(top3 / N);
  });

  it('top-k counts ties at the boundary as in (TF in_top_k) and non-finite scores as misses', () => {
    const p = t([0.5, 0.5, 0.5, 0.1], [1, 4]);
    expect(tg.sparseTopKCategoricalAccuracy(t([2], [1]), p, 1).item()).toBe(1);
    expect(tg.sparseTopKCategoricalAccuracy(t([3], [1]), p, 3).item()).toBe(0);
    expect(tg.sparseTopKCategoricalAccuracy(t([0], [1]), t([NaN, 0, 0, 0], [1, 4]), 4).item()).toBe(0);
    expect(() => tg.sparseTopKCategoricalAccuracy(t([0], [1]), p, 0)).toThrow(/k must be a positive integer/);
  });

  it("'accuracy' follows Keras: binary for one column, sparse for lower-rank or single-column labels, else categorical", () => {
    const probs = t([0.2, 0.7, 0.1, 0.6, 0.3, 0.1], [2, 3]);
    expect(tg.metrics.accuracyKind(t([1, 0], [2]), probs)).toBe('sparse');
    expect(tg.metrics.accuracyKind(t([1, 0], [2, 1]), probs)).toBe('sparse');
    expect(tg.metrics.accuracyKind(t([0, 1, 0, 1, 0, 0], [2, 3]), probs)).toBe('categorical');
    expect(tg.metrics.accuracyKind(t([1, 0], [2, 1]), t([0.7, 0.2], [2, 1]))).toBe('binary');
    expect(tg.metrics.accuracyKind(t([1, 0], [2]), t([0.7, 0.2], [2]))).toBe('binary');
    expect(tg.accuracy(t([1, 1], [2]), probs).item()).toBe(0.5);
    expect(tg.accuracy(t([0, 1, 0, 0, 0, 1], [2, 3]), probs).item()).toBe(0.5);
    expect(tg.accuracy(t([1, 0], [2, 1]), t([0.7, 0.6], [2, 1])).item()).toBe(0.5);
  });

  it('precision and recall at 0.5, 0 when the denominator is empty', () => {
    const y = t([1, 1, 0, 0, 1], [5]);
    const p = t([0.9, 0.2, 0.8, 0.1, 0.7], [5]);
    expect(tg.metrics.precision(y, p).item()).toBeCloseTo(2 / 3, 6);
    expect(tg.metrics.recall(y, p).item()).toBeCloseTo(2 / 3, 6);
    expect(tg.metrics.precision(y, t([0, 0, 0, 0, 0], [5])).item()).toBe(0);
  });

  it('shape mismatches are ShapeErrors naming both shapes', () => {
    expect(() => tg.categoricalAccuracy(t([1, 0], [2]), t([1, 0, 0, 1], [2, 2]))).toThrow(
      /\[2\] must match predictions \[2,2\]/,
    );
    expect(() => tg.sparseCategoricalAccuracy(t([1, 0, 1], [3]), t([1, 0, 0, 1], [2, 2]))).toThrow(
      /labels \[3\] must have shape \[2\]/,
    );
    expect(() => tg.binaryAccuracy(t([1, 0, 1], [3]), t([1, 0], [2]))).toThrow(tg.ShapeError);
  });
});

describe('metrics are not recorded', () => {
  it('results are scalar tensors with no tape node, even for predictions that require grad, in float64 too', () => {
    const p = tg.tensor([0.2, 0.8, 0.4], [3, 1], { dtype: 'float64', requiresGrad: true });
    const y = tg.tensor([0, 1, 1], [3, 1], { dtype: 'float64' });
    for (const name of ['acc', 'mse', 'mae', 'binary_crossentropy', 'crossentropy']) {
      const v = tg.getMetric(name)(y, p);
      expect(v.shape, name).toEqual([]);
      expect(v.requiresGrad, name).toBe(false);
      expect(v.node, name).toBeNull();
      expect(v.dtype, name).toBe('float64');
    }
    expect(tg.getMetric('mse')(y, p).item()).toBeCloseTo((0.04 + 0.04 + 0.36) / 3, 14);
    expect(tg.getMetric('crossentropy')(y, p).item()).toBeCloseTo(
      -(Math.log(0.8) + Math.log(0.8) + Math.log(0.4)) / 3,
      12,
    );
  });
});

describe('getMetric', () => {
  it('maps names and aliases, returns functions unchanged, lists valid names on error', () => {
    const pairs: [string, tg.MetricFn][] = [
      ['accuracy', tg.accuracy],
      ['acc', tg.accuracy],
      ['binary_accuracy', tg.binaryAccuracy],
      ['binaryAccuracy', tg.binaryAccuracy],
      ['categorical_accuracy', tg.categoricalAccuracy],
      ['sparse_categorical_accuracy', tg.sparseCategoricalAccuracy],
      ['sparseCategoricalAccuracy', tg.sparseCategoricalAccuracy],
      ['top_k_categorical_accuracy', tg.topKCategoricalAccuracy],
      ['sparse_top_k_categorical_accuracy', tg.sparseTopKCategoricalAccuracy],
    ];
    for (const [n, f] of pairs) expect(tg.getMetric(n), n).toBe(f);
    const y = t([1, 2], [2]);
    const p = t([1.5, 1], [2]);
    expect(tg.getMetric('mean_squared_error')(y, p).item()).toBeCloseTo(0.625, 6);
    expect(tg.getMetric('MAE')(y, p).item()).toBeCloseTo(0.75, 6);
    expect(tg.getMetric('mse').name).toBe('meanSquaredError');
    const mine: tg.MetricFn = (a) => tg.sum(a);
    expect(tg.getMetric(mine)).toBe(mine);
    expect(() => tg.getMetric('acuracy')).toThrow(
      /unknown metric 'acuracy'; valid names: accuracy, binaryAccuracy/,
    );
  });
});

describe('cosine similarity, precision/recall state, and arguments', () => {
  it("'cosine_similarity' is +cos as Keras's metric (docstring: 0.5); the loss and 'cosineProximity' keep −cos", () => {
    const y = t([0, 1, 1, 1], [2, 2]);
    const p = t([1, 0, 1, 1], [2, 2]);
    for (const name of ['cosine_similarity', 'CosineSimilarity', 'cosineSimilarity'])
      expect(tg.getMetric(name)(y, p).item(), name).toBeCloseTo(0.5, 6);
    expect(tg.metrics.cosineSimilarity(y, p).item()).toBeCloseTo(0.5, 6);
    expect(tg.cosineSimilarity(y, p).item()).toBeCloseTo(-0.5, 6);
    expect(tg.getMetric('cosineProximity')(y, p).item()).toBeCloseTo(-0.5, 6);
  });

  it('precision and recall have a state of counts whose result is the whole-set value', () => {
    const y = t([1, 0, 1, 1, 0], [5]);
    const p = t([0.9, 0.6, 0.4, 0.7, 0.2], [5]);
    const ps = tg.metrics.metricState(tg.metrics.precision)!;
    const rs = tg.metrics.metricState(tg.getMetric('recall'))!;
    expect(ps.counts(y, p)).toEqual([2, 1]);
    expect(rs.counts(y, p)).toEqual([2, 1]);
    expect(ps.result([2, 1])).toBeCloseTo(tg.metrics.precision(y, p).item(), 6);
    expect(rs.result([0, 0])).toBe(0);
    expect(tg.metrics.metricState(tg.metrics.binaryAccuracy)).toBeUndefined();
  });

  it('a plain array as the targets is refused naming the metric', () => {
    const p = t([0.2, 0.8], [1, 2]);
    for (const [name, f] of [
      ['binaryAccuracy', tg.metrics.binaryAccuracy],
      ['accuracy', tg.metrics.accuracy],
      ['categoricalAccuracy', tg.metrics.categoricalAccuracy],
      ['precision', tg.metrics.precision],
    ] as const)
      expect(() => f([[0, 1]] as never, p)).toThrow(
        new RegExp(`^${name}: yTrue \\(the targets, 1st argument\\) is an array, expected a Tensor`),
      );
    expect(() => tg.metrics.accuracy(t([0, 1], [1, 2]), [[0, 1]] as never)).toThrow(
      /^accuracy: yPred \(the predictions, 2nd argument\) is an array/,
    );
  });
});
