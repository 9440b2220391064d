// TF.js creators (tensor1d…tensor6d, range, linspace, eye, fill) against tfjs-core's cpu backend, and the random ones
// (randomUniform, randomNormal, multinomial) by their statistics and seeds (the numbers differ from TF.js's generator).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import { tfc, useTfjsCpu } from '../support/tfjs-compare.js';

beforeAll(useTfjsCpu);

/** Same shape, dtype and values (to `atol`). */
function same(y: tg.Tensor, t: tfc.Tensor, what: string, atol = 0): void {
  expect(y.shape, `${what}: shape`).toEqual(t.shape);
  expect(y.dtype, `${what}: dtype`).toBe(t.dtype);
  expectClose(y.data, t.dataSync(), { rtol: 0, atol }, what);
}

describe('tensor1d … tensor6d', () => {
  it('build the same tensors as TF.js from nested or flat values', () => {
    same(tg.tensor1d([1, 2, 3]), tfc.tensor1d([1, 2, 3]), 'tensor1d');
    same(tg.tensor1d(Int32Array.of(4, 5)), tfc.tensor1d(Int32Array.of(4, 5)), 'tensor1d typed');
    same(tg.tensor1d([1, 2], 'int32'), tfc.tensor1d([1, 2], 'int32'), 'tensor1d int32');
    same(
      tg.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      tfc.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      'tensor2d nested',
    );
    same(tg.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), tfc.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), 'tensor2d flat');
    same(tg.tensor3d([[[1], [2]]]), tfc.tensor3d([[[1], [2]]]), 'tensor3d nested');
    const flat = Array.from({ length: 64 }, (_, i) => i);
    same(tg.tensor3d(flat, [4, 4, 4]), tfc.tensor3d(flat, [4, 4, 4]), 'tensor3d');
    same(tg.tensor4d(flat, [2, 2, 4, 4], 'int32'), tfc.tensor4d(flat, [2, 2, 4, 4], 'int32'), 'tensor4d');
    same(tg.tensor5d(flat, [2, 2, 2, 2, 4]), tfc.tensor5d(flat, [2, 2, 2, 2, 4]), 'tensor5d');
    same(tg.tensor6d(flat, [2, 2, 2, 2, 2, 2]), tfc.tensor6d(flat, [2, 2, 2, 2, 2, 2]), 'tensor6d');
  });
  it('refuse what TF.js refuses, naming the op', () => {
    for (const [tgf, tff] of [
      [
        () => tg.tensor1d([[1, 2]] as unknown as number[]),
        () => tfc.tensor1d([[1, 2]] as unknown as number[]),
      ],
      [() => tg.tensor2d([1, 2, 3, 4]), () => tfc.tensor2d([1, 2, 3, 4])],
      [
        () => tg.tensor2d([1, 2, 3, 4], [4]),
        () => tfc.tensor2d([1, 2, 3, 4], [4] as unknown as [number, number]),
      ],
      [() => tg.tensor3d([[1, 2]]), () => tfc.tensor3d([[1, 2]] as unknown as number[][][])],
      [() => tg.tensor2d([1, 2, 3], [2, 2]), () => tfc.tensor2d([1, 2, 3], [2, 2])],
    ]) {
      expect(tff).toThrow();
      expect(tgf).toThrow(/tensor[1-6]d: /);
    }
    expect(() => tg.tensor2d([1, 2, 3, 4])).toThrow(
      /tensor2d: values are a flat array, so the shape \(2 numbers\) is required/,
    );
    expect(() => tg.tensor4d([1, 2], [1, 2])).toThrow(/tensor4d: shape \[1,2\] must have 4 numbers, got 2/);
    expect(() => tg.tensor3d([[1, 2]])).toThrow(/tensor3d: values are nested 2 deep, expected 3 deep/);
  });
});

describe('range / linspace / eye / fill', () => {
  it.each([
    [0, 5, 1],
    [0, 9, 2],
    [5, 0, 1],
    [5, 0, -2],
    [0, 5, -1],
    [5, 0, 2],
    [3, 3, 1],
    [0, 1, 0.25],
    [-2.5, 2, 0.7],
  ])('range(%d, %d, %d) matches tf.range', (a, b, s) =>
    same(tg.range(a, b, s), tfc.range(a, b, s), 'range', 1e-6),
  );
  it('range: int32 and a zero step', () => {
    same(tg.range(0, 7, 2, 'int32'), tfc.range(0, 7, 2, 'int32'), 'range int32');
    same(tg.range(1.5, 4, 1, 'int32'), tfc.range(1.5, 4, 1, 'int32'), 'range int32 fractional');
    expect(() => tfc.range(0, 1, 0)).toThrow();
    expect(() => tg.range(0, 1, 0)).toThrow(/range: step must be non-zero/);
  });
  it.each([
    [0, 9, 10],
    [1, 2, 1],
    [-1, 1, 7],
    [3, -3, 4],
  ])('linspace(%d, %d, %d) matches tf.linspace', (a, b, n) =>
    same(tg.linspace(a, b, n), tfc.linspace(a, b, n), 'linspace', 1e-6),
  );
  it('linspace refuses num ≤ 0', () => {
    expect(() => tg.linspace(0, 1, 0)).toThrow(/linspace: num must be a positive integer, got 0/);
  });
  it.each([
    [3, undefined, undefined, undefined],
    [2, 4, undefined, undefined],
    [4, 2, [3], undefined],
    [2, 3, [2, 1], 'int32'],
    [2, 2, [1, 2, 2], undefined],
  ] as const)('eye(%d, %j, %j, %j) matches tf.eye', (r, c, b, dt) =>
    same(tg.eye(r, c, b as number[] | undefined, dt), tfc.eye(r, c, b as [number] | undefined, dt), 'eye'),
  );
  it('eye takes any batch rank (TF.js stops at 3) and refuses bad sizes', () => {
    const y = tg.eye(2, 2, [1, 1, 1, 2]);
    expect(y.shape).toEqual([1, 1, 1, 2, 2, 2]);
    expect(Array.from(y.data)).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
    expect(() => tg.eye(-1)).toThrow(/eye: numRows must be a non-negative integer, got -1/);
    expect(() => tg.eye(2, 2.5)).toThrow(/eye: numColumns must be a non-negative integer, got 2.5/);
  });
  it('fill matches tf.fill', () => {
    same(tg.fill([2, 3], 1.5), tfc.fill([2, 3], 1.5), 'fill');
    same(tg.fill([4], 7, 'int32'), tfc.fill([4], 7, 'int32'), 'fill int32');
    same(tg.fill([], -2), tfc.fill([], -2), 'fill scalar');
    expect(() => tg.fill([2], 1, 'bool' as 'int32')).toThrow(/fill: dtype "bool" is not supported/);
  });
});

/** Mean and (population) standard deviation. */
function stats(a: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < a.length; i++) m += a[i];
  m /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - m) ** 2;
  return [m, Math.sqrt(v / a.length)];
}

describe('randomUniform / randomNormal', () => {
  it('randomUniform: shape, bounds, the uniform mean and spread; a seed reproduces the values', () => {
    const y = tg.randomUniform([200, 100], -2, 3);
    expect(y.shape).toEqual([200, 100]);
    expect(y.dtype).toBe('float32');
    expect(Math.min(...y.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...y.data)).toBeLessThan(3);
    const [m, s] = stats(y.data);
    expect(m).toBeCloseTo(0.5, 1); // (a + b)/2
    expect(s).toBeCloseTo(5 / Math.sqrt(12), 1); // (b − a)/√12
    expect(Array.from(tg.randomUniform([5], 0, 1, 'float32', 7).data)).toEqual(
      Array.from(tg.randomUniform([5], 0, 1, 'float32', 7).data),
    );
    expect(tg.randomUniform([5], 0, 1, 'float32', 7).data).not.toEqual(
      tg.randomUniform([5], 0, 1, 'float32', 8).data,
    );
  });
  it('randomUniform int32 truncates toward zero like TF.js (values in [minval, maxval))', () => {
    const y = tg.randomUniform([4000], 0, 4, 'int32', 3);
    expect(y.dtype).toBe('int32');
    expect(new Set(y.data)).toEqual(new Set([0, 1, 2, 3]));
    const t = tfc.randomUniform([4000], 0, 4, 'int32', 3).dataSync();
    expect(new Set(t)).toEqual(new Set([0, 1, 2, 3]));
  });
  it('randomNormal: mean and stdDev; int32 rounds; a seed reproduces the values', () => {
    const y = tg.randomNormal([20000], 1.5, 0.5);
    const [m, s] = stats(y.data);
    expect(m).toBeCloseTo(1.5, 1);
    expect(s).toBeCloseTo(0.5, 1);
    const i = tg.randomNormal([20000], 0, 2, 'int32', 11);
    expect(i.dtype).toBe('int32');
    // rounding (not truncation): about P(|N(0, 2)| < 0.5) ≈ 0.197 of the values are 0 (truncation gives ≈ 0.38)
    const zeros = Array.from(i.data).filter((v) => v === 0).length / 20000;
    expect(zeros).toBeGreaterThan(0.17);
    expect(zeros).toBeLessThan(0.23);
    expect(Array.from(tg.randomNormal([4], 0, 1, 'float64', 5).data)).toEqual(
      Array.from(tg.randomNormal([4], 0, 1, 'float64', 5).data),
    );
  });
  it('refuse bad arguments by name', () => {
    expect(() => tg.randomUniform([2], 1, 0)).toThrow(/randomUniform: minval 1 must not exceed maxval 0/);
    expect(() => tg.randomNormal([2], 0, -1)).toThrow(/randomNormal: stdDev must be ≥ 0, got -1/);
    expect(() => tg.randomNormal([2], 0, 1, 'float32', 'abc' as unknown as number)).toThrow(
      /randomNormal: seed must be a number/,
    );
  });
});

describe('multinomial', () => {
  it('draws int32 indices with frequencies softmax(logits), per row; normalized takes probabilities', () => {
    const p = [0.1, 0.6, 0.3, 0];
    const logits = tg.tensor([p.map((v) => Math.log(v)), [0, 0, 0, 0]], [2, 4]);
    const y = tg.multinomial(logits, 6000, 1);
    expect(y.shape).toEqual([2, 6000]);
    expect(y.dtype).toBe('int32');
    const freq = (row: number): number[] => {
      const c = [0, 0, 0, 0];
      for (let k = 0; k < 6000; k++) c[y.data[row * 6000 + k]]++;
      return c.map((v) => v / 6000);
    };
    freq(0).forEach((f, i) => expect(Math.abs(f - p[i])).toBeLessThan(0.025));
    expect(freq(0)[3]).toBe(0); // probability 0 is never drawn
    freq(1).forEach((f) => expect(Math.abs(f - 0.25)).toBeLessThan(0.025));
    const z = tg.multinomial(tg.tensor(p), 6000, 2, true);
    expect(z.shape).toEqual([6000]);
    const c = [0, 0, 0, 0];
    z.data.forEach((v) => c[v]++);
    c.forEach((n, i) => expect(Math.abs(n / 6000 - p[i])).toBeLessThan(0.025));
    expect(Array.from(tg.multinomial(logits, 5, 9).data)).toEqual(
      Array.from(tg.multinomial(logits, 5, 9).data),
    );
  });
  it('records no gradient and refuses bad shapes', () => {
    const l = tg.tensor([0.1, 0.2, 0.3], [3], { requiresGrad: true });
    expect(tg.multinomial(l, 3).requiresGrad).toBe(false);
    expect(() => tg.multinomial(tg.zeros([1, 2, 3]), 2)).toThrow(
      /multinomial: logits must be rank 1 or 2, got \[1, ?2, ?3\]/,
    );
    expect(() => tg.multinomial(tg.zeros([1]), 2)).toThrow(/multinomial: needs at least 2 outcomes/);
    expect(() => tg.multinomial(tg.zeros([3]), 0)).toThrow(
      /multinomial: numSamples must be a positive integer, got 0/,
    );
  });
});
