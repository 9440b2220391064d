// TF.js's unsortedSegmentSum, bincount, denseBincount, tf.math.confusionMatrix, searchSorted / lowerBound /
// upperBound, unique, whereAsync, booleanMaskAsync and setdiff1dAsync against real TF.js (tfjs-core on its cpu
// backend): values, gradients with tf.grad where TF.js defines them (unsortedSegmentSum, booleanMask), tg.gradcheck in
// float64, and errors by name.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { rand, tf, useCpu } from '../support/tfjs-layers.js';
import { expectClose } from '../support/check.js';

beforeAll(useCpu);

const data = (t: tg.Tensor | { dataSync(): ArrayLike<number> }) =>
  Array.from(t instanceof tg.Tensor ? t.data : t.dataSync());
const i32 = (v: number[], shape?: number[]) => tg.tensor(v, shape ?? [v.length], { dtype: 'int32' });
const f64 = (v: ArrayLike<number>, shape: number[]) => tg.tensor(Array.from(v), shape, { dtype: 'float64' });

describe('unsortedSegmentSum against tf.unsortedSegmentSum', () => {
  const x = Array.from(rand(12, 1));
  const ids = [2, 0, -1, 2];
  it('sums rows per segment (a negative id drops its row); values and tf.grad', () => {
    const ours = tg.unsortedSegmentSum(tg.tensor(x, [4, 3]), i32(ids), 4);
    const ref = tf.unsortedSegmentSum(tf.tensor(x, [4, 3]), tf.tensor1d(ids, 'int32'), 4);
    expect(ours.shape).toEqual(ref.shape);
    expectClose(ours.data, data(ref), { atol: 1e-7 });
    const w = Array.from(rand(12, 2));
    const g = tg.grad((a: tg.Tensor) =>
      tg.sum(tg.mul(tg.unsortedSegmentSum(a, i32(ids), 4), tg.tensor(w, [4, 3]))),
    )(tg.tensor(x, [4, 3]));
    const gr = tf.grad((a: ReturnType<typeof tf.tensor>) =>
      tf.sum(tf.mul(tf.unsortedSegmentSum(a, tf.tensor1d(ids, 'int32'), 4), tf.tensor(w, [4, 3]))),
    )(tf.tensor(x, [4, 3]));
    expectClose(g.data, data(gr), { atol: 1e-7 });
    expect(tg.gradcheck((a) => tg.unsortedSegmentSum(a, i32(ids), 4), [f64(x, [4, 3])]).ok).toBe(true);
  });
  it('1-D and int32 x', () => {
    const xi = [1, 2, 3, 4, 5];
    const ours = tg.unsortedSegmentSum(i32(xi), i32([1, 1, 0, 2, 1]), 3);
    expect(ours.dtype).toBe('int32');
    expect(data(ours)).toEqual(
      data(tf.unsortedSegmentSum(tf.tensor1d(xi, 'int32'), tf.tensor1d([1, 1, 0, 2, 1], 'int32'), 3)),
    );
  });
  it('names the op and the id when out of range, and refuses float ids', () => {
    expect(() => tg.unsortedSegmentSum(tg.tensor(x, [4, 3]), i32([0, 1, 4, 0]), 4)).toThrow(
      /unsortedSegmentSum: segment id 4 \(position 2\) is out of range for numSegments 4/,
    );
    expect(() => tg.unsortedSegmentSum(tg.tensor(x, [4, 3]), tg.tensor([0, 1, 2, 0]), 4)).toThrow(
      /unsortedSegmentSum: segmentIds must be int32/,
    );
    expect(() => tg.unsortedSegmentSum(tg.tensor(x, [4, 3]), i32([0, 1]), 4)).toThrow(
      /unsortedSegmentSum: segmentIds must be 1-D with one id per row/,
    );
  });
});

describe('bincount, denseBincount and tf.math.confusionMatrix against TF.js', () => {
  const xs = [0, 1, 1, 5, 2, 2, 2];
  const w = Array.from(rand(7, 3));
  it('bincount counts (empty weights) or sums weights; values >= size are ignored', () => {
    for (const weights of [[], w]) {
      const ours = tg.bincount(i32(xs), tg.tensor(weights), 4);
      const ref = tf.bincount(tf.tensor1d(xs, 'int32'), tf.tensor1d(weights), 4);
      expect(ours.dtype).toBe(ref.dtype);
      expectClose(ours.data, data(ref), { atol: 1e-7 });
    }
    expect(tg.gradcheck((v) => tg.bincount(i32(xs), v, 4), [f64(w, [7])]).ok).toBe(true);
  });
  it('denseBincount on 1-D and 2-D x, with weights and binaryOutput', () => {
    const x2 = [0, 1, 1, 3, 2, 2, 0, 4];
    const w2 = Array.from(rand(8, 4));
    const cases: [number[], boolean][] = [
      [[], false],
      [[], true],
      [w2, false],
      [w2, true],
    ];
    for (const [weights, bin] of cases) {
      const ours = tg.denseBincount(
        i32(x2, [2, 4]),
        tg.tensor(weights, weights.length ? [2, 4] : [0]),
        4,
        bin,
      );
      const ref = tf.denseBincount(
        tf.tensor2d(x2, [2, 4], 'int32'),
        weights.length ? tf.tensor2d(weights, [2, 4]) : tf.tensor1d([]),
        4,
        bin,
      );
      expect(ours.shape).toEqual(ref.shape);
      expectClose(ours.data, data(ref), { atol: 1e-7 });
    }
    expectClose(
      tg.denseBincount(i32(xs), tg.tensor([]), 3).data,
      data(tf.denseBincount(tf.tensor1d(xs, 'int32'), tf.tensor1d([]), 3)),
      { atol: 0 },
    );
  });
  it('refuses a negative value by name (as TF.js) and weights of another shape', () => {
    expect(() => tg.bincount(i32([0, -2]), tg.tensor([]), 3)).toThrow(
      /bincount: x must be non-negative, got -2 \(position 1\)/,
    );
    expect(() => tg.denseBincount(i32([0, 1]), tg.tensor([1, 2, 3]), 3)).toThrow(
      /denseBincount: weights must be empty or shaped like x/,
    );
  });
  it('tg.math.confusionMatrix: int32, rows the labels; out-of-range classes are errors', () => {
    const labels = [0, 1, 2, 1, 2, 2];
    const preds = [0, 2, 2, 1, 0, 2];
    const ours = tg.math.confusionMatrix(i32(labels), i32(preds), 3);
    const ref = tf.math.confusionMatrix(tf.tensor1d(labels, 'int32'), tf.tensor1d(preds, 'int32'), 3);
    expect(ours.dtype).toBe('int32');
    expect(ours.shape).toEqual([3, 3]);
    expect(data(ours)).toEqual(data(ref));
    expect(() => tg.math.confusionMatrix(i32([0, 3]), i32([0, 1]), 3)).toThrow(
      /confusionMatrix: label 3 \(position 1\) is out of range for numClasses 3/,
    );
  });
});

describe('searchSorted, lowerBound, upperBound against TF.js', () => {
  it('1-D and batched 2-D sequences with ties, both sides', () => {
    const seq = [1, 2, 2, 3, 5];
    const vals = [2, 0, 5, 2.5, 6, 1];
    for (const side of ['left', 'right'] as const) {
      const ours = tg.searchSorted(tg.tensor(seq), tg.tensor(vals), side);
      expect(ours.shape).toEqual([6]); // NOTE: TF.js's kernel returns [1, 6]
      expect(data(ours)).toEqual(data(tf.searchSorted(tf.tensor1d(seq), tf.tensor1d(vals), side)));
    }
    const seq2 = [0, 3, 8, 9, 10, 1, 2, 3, 4, 5];
    const vals2 = [9.8, 2.1, 4.3, 0.1, 6.6, 4.5, 3, 3, 3];
    const [s2, v2] = [tg.tensor(seq2, [2, 5]), tg.tensor(vals2.slice(0, 6), [2, 3])];
    const [r2, q2] = [tf.tensor2d(seq2, [2, 5]), tf.tensor2d(vals2.slice(0, 6), [2, 3])];
    expect(data(tg.lowerBound(s2, v2))).toEqual(data(tf.lowerBound(r2, q2)));
    expect(data(tg.upperBound(s2, v2))).toEqual(data(tf.upperBound(r2, q2)));
    expect(tg.lowerBound(s2, v2).dtype).toBe('int32');
  });
  it('refuses a side by name and rows that do not match', () => {
    expect(() => tg.searchSorted(tg.tensor([1]), tg.tensor([1]), 'up' as 'left')).toThrow(
      /searchSorted: side must be 'left' or 'right'/,
    );
    expect(() => tg.searchSorted(tg.zeros([2, 3]), tg.zeros([3, 1]))).toThrow(
      /searchSorted: .* same leading/,
    );
  });
});

describe('unique, whereAsync, booleanMaskAsync, setdiff1dAsync against TF.js', () => {
  it('unique: first-appearance order, along axis 0 and 1, int32 and NaN', () => {
    const cases: [number[], number[], number, 'float32' | 'int32'][] = [
      [[3, 1, 3, 2, 1, NaN, NaN], [7], 0, 'float32'],
      [[2, 2, 1, 7], [4], 0, 'int32'],
      [[1, 2, 1, 2, 3, 4], [3, 2], 0, 'float32'],
      [[1, 0, 1, 2, 5, 2], [2, 3], 1, 'float32'],
    ];
    for (const [v, shape, axis, dtype] of cases) {
      const ours = tg.unique(tg.tensor(v, shape, { dtype }), axis);
      const ref = tf.unique(tf.tensor(v, shape, dtype), axis);
      expect(ours.values.shape).toEqual(ref.values.shape);
      expect(data(ours.values)).toEqual(data(ref.values));
      expect(data(ours.indices)).toEqual(data(ref.indices));
    }
    // NOTE: no gradcheck (a perturbed repeat is a new value): the gradient reaches each first appearance
    const g = tg.grad((a: tg.Tensor) => tg.sum(tg.mul(tg.unique(a, 0).values, tg.tensor([10, 20, 30]))))(
      tg.tensor([1, 2, 1, 3]),
    );
    expect(data(g)).toEqual([10, 20, 0, 30]);
  });
  it('whereAsync: the coordinates of the true elements', async () => {
    const c = [1, 0, 0, 1, 1, 0];
    const ours = await tg.whereAsync(tg.tensor(c, [2, 3]));
    const ref = await tf.whereAsync(tf.tensor(c, [2, 3], 'bool'));
    expect(ours.shape).toEqual(ref.shape);
    expect(ours.dtype).toBe('int32');
    expect(data(ours)).toEqual(data(ref));
  });
  it('booleanMaskAsync: values on axis 0 and 1 and a 2-D mask, and tf.grad of the masked values', async () => {
    const x = Array.from(rand(24, 7));
    const cases: [number[], number[], number][] = [
      [[1, 0, 1], [3], 0],
      [[0, 1, 1, 0], [4], 1],
      [[1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1], [3, 4], 0],
    ];
    for (const [m, ms, axis] of cases) {
      const ours = await tg.booleanMaskAsync(tg.tensor(x, [3, 4, 2]), tg.tensor(m, ms), axis);
      const ref = await tf.booleanMaskAsync(tf.tensor(x, [3, 4, 2]), tf.tensor(m, ms, 'bool'), axis);
      expect(ours.shape).toEqual(ref.shape);
      expectClose(ours.data, data(ref), { atol: 0 });
      // the gradient: tf.grad through TF.js's own composition (a gather of the kept positions)
      const keep = tf.tensor1d(
        m.flatMap((b, i) => (b ? [i] : [])),
        'int32',
      );
      const flatShape = [...[3, 4, 2].slice(0, axis), m.length, ...[3, 4, 2].slice(axis + ms.length)];
      const wv = Array.from(rand(ours.size, 8));
      const gr = tf.grad((a: ReturnType<typeof tf.tensor>) =>
        tf.sum(tf.mul(tf.gather(tf.reshape(a, flatShape), keep, axis), tf.tensor(wv, [...ours.shape]))),
      )(tf.tensor(x, [3, 4, 2]));
      const g = tg.grad((a: tg.Tensor) =>
        tg.sum(tg.mul(tg.booleanMask(a, tg.tensor(m, ms), axis), tg.tensor(wv, ours.shape))),
      )(tg.tensor(x, [3, 4, 2]));
      expectClose(g.data, data(gr), { atol: 1e-7 });
    }
    expect(tg.gradcheck((a) => tg.booleanMask(a, tg.tensor([0, 1, 1]), 0), [f64(x, [3, 4, 2])]).ok).toBe(
      true,
    );
  });
  it('booleanMask refuses a mask that does not match by name', () => {
    expect(() => tg.booleanMask(tg.zeros([3, 4]), tg.tensor([1, 0]), 0)).toThrow(
      /booleanMask: mask \[2\] must match tensor \[3,4\] on axes 0\.\.0/,
    );
  });
  it('setdiff1dAsync: the values of x not in y and their positions; the gradient reaches the kept values', async () => {
    const x = [1, 2, 3, 4, 2, 7];
    const y = [2, 5, 7];
    const [out, idx] = await tg.setdiff1dAsync(tg.tensor(x), tg.tensor(y));
    const [rOut, rIdx] = await tf.setdiff1dAsync(tf.tensor1d(x), tf.tensor1d(y));
    expect(data(out)).toEqual(data(rOut));
    expect(data(idx)).toEqual(data(rIdx));
    expect(idx.dtype).toBe('int32');
    // NOTE: no gradcheck (a perturbed member of y leaves y): the gradient is 1 at each kept position
    const g = tg.grad((a: tg.Tensor) => tg.sum(tg.setdiff1d(a, tg.tensor(y))[0]))(tg.tensor(x));
    expect(data(g)).toEqual([1, 0, 1, 1, 0, 0]);
  });
});
