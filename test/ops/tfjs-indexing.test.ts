// TF.js's topk, gatherND, scatterND, tensorScatterUpdate and einsum against real TF.js (tfjs-core on its cpu
// backend): values on several shapes (ties included), gradients against references built from TF.js's own outputs
// (TF.js registers no gradient for these kernels) and tg.gradcheck in float64, errors by name.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { rand, tf, useCpu } from '../support/tfjs-layers.js';
import { expectClose } from '../support/check.js';

beforeAll(useCpu);

const sizeOf = (s: number[]) => s.reduce((p, d) => p * d, 1);
/** Values in {-1, 0, 1, 2}: many ties. */
const tied = (n: number, seed: number) => Array.from(rand(n, seed), (v) => Math.round(v * 1.5 + 0.5));
const data = (t: tg.Tensor | { dataSync(): ArrayLike<number> }) =>
  Array.from(t instanceof tg.Tensor ? t.data : t.dataSync());
const i32 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'int32' });
const f64 = (v: ArrayLike<number>, shape: number[]) => tg.tensor(Array.from(v), shape, { dtype: 'float64' });

describe('topk against tf.topk', () => {
  const cases: [number[], number][] = [
    [[7], 3],
    [[3, 5], 1],
    [[3, 5], 5],
    [[2, 3, 4], 2],
    [[2, 300], 7], // long rows: the heap replaces its root many times
  ];
  it.each(cases)('shape %j, k %i, with ties: the same values and indices (lower index first)', (shape, k) => {
    const v = tied(sizeOf(shape), shape.length * 31 + k);
    const ours = tg.topk(tg.tensor(v, shape), k);
    const ref = tf.topk(tf.tensor(v, shape), k);
    expect(ours.values.shape).toEqual(ref.values.shape);
    expect(data(ours.indices)).toEqual(data(ref.indices));
    expect(data(ours.values)).toEqual(data(ref.values));
    expect(ours.indices.dtype).toBe('int32');
  });
  it('int32 input and k = 0', () => {
    const xi = [1, 3, 3, 2, -4, 3];
    expect(data(tg.topk(i32(xi, [6]), 4).indices)).toEqual(
      data(tf.topk(tf.tensor1d(xi, 'int32'), 4).indices),
    );
    expect(tg.topk(tg.tensor([1, 2]), 0).values.shape).toEqual([0]);
  });
  it('NaN ranks above every number, NaNs by lower index (PyTorch; TF.js where its partition is consistent)', () => {
    for (const [xn, k] of [
      [[2, NaN, 9, 1], 2],
      [[1, 2, NaN], 1],
    ] as const)
      expect(data(tg.topk(tg.tensor([...xn]), k).indices)).toEqual(
        data(tf.topk(tf.tensor1d([...xn]), k).indices),
      );
    // torch.topk(torch.tensor([nan, 5, 1, nan, 7], dtype=torch.float64), 3).indices (PyTorch 1.13) is [0, 3, 4];
    // TF.js's cpu kernel gives [4, 0, 2] here (its comparator returns NaN for a NaN)
    const r = tg.topk(tg.tensor([NaN, 5, 1, NaN, 7]), 3);
    expect(data(r.indices)).toEqual([0, 3, 4]);
    expect(data(r.values)).toEqual([NaN, NaN, 7]);
  });
  it('sorted=false returns the same k entries as TF.js (in sorted order)', () => {
    const v = tied(20, 5);
    const ours = data(tg.topk(tg.tensor(v, [2, 10]), 4, false).indices);
    const ref = data(tf.topk(tf.tensor(v, [2, 10]), 4, false).indices);
    const rows = (a: number[]) => [a.slice(0, 4).sort(), a.slice(4).sort()];
    expect(rows(ours)).toEqual(rows(ref));
  });
  it("the gradient of Σ w·values is w at TF.js's top positions (ties included), 0 elsewhere", () => {
    const shape = [3, 6];
    const v = tied(18, 9);
    const w = Array.from(rand(6, 3));
    const idx = data(tf.topk(tf.tensor(v, shape), 2).indices);
    const want = new Array<number>(18).fill(0);
    idx.forEach((j, f) => (want[Math.floor(f / 2) * 6 + j] += w[f]));
    const g = tg.grad((x: tg.Tensor) => tg.sum(tg.mul(tg.topk(x, 2).values, f64(w, [3, 2]))))(f64(v, shape));
    expectClose(g.data, want, { atol: 1e-12 });
  });
  it('gradchecks in float64 (distinct values), along with ONNX-style use on a middle axis', () => {
    const x = f64(rand(24, 4), [2, 3, 4]);
    expect(tg.gradcheck((a) => tg.topk(a, 3).values, [x]).ok).toBe(true);
    expect(tg.gradcheck((a) => tg.topk(tg.transpose(a, [0, 2, 1]), 2).values, [x]).ok).toBe(true);
  });
  it('refuses a bad k or a scalar by name', () => {
    expect(() => tg.topk(tg.tensor([1, 2, 3]), 4)).toThrow(/topk: k must be an integer in 0\.\.3/);
    expect(() => tg.topk(tg.tensor([1, 2, 3]), -1)).toThrow(/topk: k must be/);
    expect(() => tg.topk(tg.tensor(1), 1)).toThrow(/topk: x must be of rank 1 or higher/);
  });
});

describe('gatherND against tf.gatherND', () => {
  const x = Array.from(rand(24, 11));
  const cases: [number[], number[]][] = [
    [
      [0, 1, 2, 3, 1, 0],
      [3, 2],
    ], // full tuples: elements
    [
      [2, 0],
      [2, 1],
    ], // one index: rows [4, 2]
    [
      [1, 3, 0, 0, 1, 3],
      [3, 2],
    ], // two of three: slices [2], a repeat
    [
      [2, 1, 0, 1],
      [2, 1, 2],
    ], // batched tuples
  ];
  it.each(cases)('indices %j shaped %j: the same values and shape', (idx, ishape) => {
    const ours = tg.gatherND(tg.tensor(x, [3, 4, 2]), i32(idx, ishape));
    const ref = tf.gatherND(tf.tensor(x, [3, 4, 2]), tf.tensor(idx, ishape, 'int32'));
    expect(ours.shape).toEqual(ref.shape);
    expectClose(ours.data, data(ref), { atol: 0 });
  });
  it('the gradient adds w at every gathered slice (a repeated tuple twice); gradcheck in float64', () => {
    const idx = i32([1, 3, 0, 0, 1, 3], [3, 2]);
    const w = Array.from(rand(6, 2));
    const g = tg.grad((a: tg.Tensor) => tg.sum(tg.mul(tg.gatherND(a, idx), f64(w, [3, 2]))))(
      f64(x, [3, 4, 2]),
    );
    const want = new Array<number>(24).fill(0);
    [
      [1, 3],
      [0, 0],
      [1, 3],
    ].forEach(([i, j], t) => [0, 1].forEach((e) => (want[(i * 4 + j) * 2 + e] += w[t * 2 + e])));
    expectClose(g.data, want, { atol: 1e-12 });
    expect(tg.gradcheck((a) => tg.gatherND(a, idx), [f64(x, [3, 4, 2])]).ok).toBe(true);
  });
  it('names the op and the index when out of range; refuses float indices', () => {
    expect(() => tg.gatherND(tg.tensor(x, [3, 4, 2]), i32([0, 4], [1, 2]))).toThrow(
      /gatherND: index 4 is out of range for axis 1 of size 4/,
    );
    expect(() => tg.gatherND(tg.tensor(x, [3, 4, 2]), i32([-1], [1, 1]))).toThrow(
      /gatherND: index -1 is out of range for axis 0 of size 3/,
    );
    expect(() => tg.gatherND(tg.tensor(x, [3, 4, 2]), tg.tensor([[0]]))).toThrow(
      /gatherND: indices must be int32/,
    );
  });
});

describe('scatterND and tensorScatterUpdate against TF.js', () => {
  const idx = [0, 2, 1, 0, 0, 2]; // [3, 2] tuples into [3, 4, …]; (0, 2) twice
  const upd = Array.from(rand(6, 21)); // [3, 2]
  it('scatterND sums repeated tuples into zeros, as tf.scatterND; int32 updates stay int32', () => {
    const ours = tg.scatterND(i32(idx, [3, 2]), tg.tensor(upd, [3, 2]), [3, 4, 2]);
    const ref = tf.scatterND(tf.tensor(idx, [3, 2], 'int32'), tf.tensor(upd, [3, 2]), [3, 4, 2]);
    expectClose(ours.data, data(ref), { atol: 1e-7 });
    const oi = tg.scatterND(i32([1, 1], [2, 1]), i32([5, 7], [2]), [3]);
    expect(oi.dtype).toBe('int32');
    expect(data(oi)).toEqual(
      data(tf.scatterND(tf.tensor([1, 1], [2, 1], 'int32'), tf.tensor1d([5, 7], 'int32'), [3])),
    );
  });
  it("scatterND's gradient wrt updates is TF.js's gatherND of the output gradient; gradcheck in float64", () => {
    const w = Array.from(rand(24, 8));
    const g = tg.grad((u: tg.Tensor) =>
      tg.sum(tg.mul(tg.scatterND(i32(idx, [3, 2]), u, [3, 4, 2]), f64(w, [3, 4, 2]))),
    )(f64(upd, [3, 2]));
    const ref = tf.gatherND(tf.tensor(w, [3, 4, 2]), tf.tensor(idx, [3, 2], 'int32'));
    expectClose(g.data, data(ref), { atol: 1e-7 });
    expect(tg.gradcheck((u) => tg.scatterND(i32(idx, [3, 2]), u, [3, 4, 2]), [f64(upd, [3, 2])]).ok).toBe(
      true,
    );
  });
  it('tensorScatterUpdate replaces the slices, a repeated tuple taking its last update (tf.tensorScatterUpdate)', () => {
    const base = Array.from(rand(24, 30));
    const ours = tg.tensorScatterUpdate(tg.tensor(base, [3, 4, 2]), i32(idx, [3, 2]), tg.tensor(upd, [3, 2]));
    const ref = tf.tensorScatterUpdate(
      tf.tensor(base, [3, 4, 2]),
      tf.tensor(idx, [3, 2], 'int32'),
      tf.tensor(upd, [3, 2]),
    );
    expectClose(ours.data, data(ref), { atol: 0 });
    // the gradient: 0 at replaced slices for the tensor; each update's slot only where it survived
    const f = (t: tg.Tensor, u: tg.Tensor) => tg.tensorScatterUpdate(t, i32(idx, [3, 2]), u);
    expect(tg.gradcheck(f, [f64(base, [3, 4, 2]), f64(upd, [3, 2])]).ok).toBe(true);
    const gu = tg.grads((t: tg.Tensor, u: tg.Tensor) => tg.sum(f(t, u)))(
      f64(base, [3, 4, 2]),
      f64(upd, [3, 2]),
    );
    expect(data(gu[1])).toEqual([0, 0, 1, 1, 1, 1]); // the first (0, 2) update was overwritten
  });
  it('refuses mismatched updates and out-of-range tuples by name', () => {
    expect(() => tg.scatterND(i32(idx, [3, 2]), tg.tensor(upd, [6]), [3, 4, 2])).toThrow(
      /scatterND: updates must have shape \[3,2\]/,
    );
    expect(() => tg.scatterND(i32([3, 0], [1, 2]), tg.tensor([1, 2], [1, 2]), [3, 4, 2])).toThrow(
      /scatterND: index 3 is out of range for axis 0 of size 3/,
    );
    expect(() => tg.tensorScatterUpdate(tg.zeros([3]), i32([5], [1, 1]), tg.tensor([1]))).toThrow(
      /tensorScatterUpdate: index 5 is out of range for axis 0 of size 3/,
    );
  });
});

describe('einsum against tf.einsum', () => {
  const cases: [string, number[][]][] = [
    [
      'ij,jk->ik',
      [
        [2, 3],
        [3, 4],
      ],
    ],
    ['ij->ji', [[2, 3]]],
    ['ij->', [[2, 3]]],
    ['i,i->', [[5], [5]]],
    ['i,j->ij', [[2], [3]]],
    [
      'bij,bjk->bik',
      [
        [2, 2, 3],
        [2, 3, 2],
      ],
    ],
    [
      'ij,ij->i',
      [
        [3, 4],
        [3, 4],
      ],
    ],
  ];
  it.each(cases)('%s: the same values', (eq, shapes) => {
    const xs = shapes.map((s, i) => Array.from(rand(sizeOf(s), 40 + i)));
    const ours = tg.einsum(eq, ...xs.map((v, i) => tg.tensor(v, shapes[i])));
    const ref = tf.einsum(eq, ...xs.map((v, i) => tf.tensor(v, shapes[i])));
    expect(ours.shape).toEqual(ref.shape);
    expectClose(ours.data, data(ref), { atol: 1e-6 });
  });
  it("the gradient of Σ w·einsum('ij,jk->ik', a, b) is TF.js's einsum('ik,jk->ij', w, b) and ('ij,ik->jk', a, w)", () => {
    const [a, b, w] = [Array.from(rand(6, 1)), Array.from(rand(12, 2)), Array.from(rand(8, 3))];
    const gs = tg.grads((p: tg.Tensor, q: tg.Tensor) =>
      tg.sum(tg.mul(tg.einsum('ij,jk->ik', p, q), f64(w, [2, 4]))),
    )(f64(a, [2, 3]), f64(b, [3, 4]));
    expectClose(gs[0].data, data(tf.einsum('ik,jk->ij', tf.tensor(w, [2, 4]), tf.tensor(b, [3, 4]))), {
      atol: 1e-6,
    });
    expectClose(gs[1].data, data(tf.einsum('ij,ik->jk', tf.tensor(a, [2, 3]), tf.tensor(w, [2, 4]))), {
      atol: 1e-6,
    });
  });
  it('gradchecks in float64, a diagonal and an ellipsis too (beyond what TF.js takes)', () => {
    const a = f64(rand(12, 5), [2, 2, 3]);
    const b = f64(rand(18, 6), [2, 3, 3]);
    expect(tg.gradcheck((p, q) => tg.einsum('bij,bjk->bik', p, q), [a, b]).ok).toBe(true);
    expect(tg.gradcheck((q) => tg.einsum('bii->bi', q), [b]).ok).toBe(true);
    expect(tg.gradcheck((p) => tg.einsum('...j->...', p), [a]).ok).toBe(true);
  });
  it('names the op in its errors', () => {
    expect(() => tg.einsum('ij,jk->ik', tg.zeros([2, 3]), tg.zeros([4, 5]))).toThrow(
      /einsum: label 'j' has size 3 and 4/,
    );
    expect(() => tg.einsum('ij,jk->ik', tg.zeros([2, 3]))).toThrow(
      /einsum: equation 'ij,jk->ik' has 2 terms for 1/,
    );
    expect(() => tg.einsum('...i...->i', tg.zeros([2, 3]))).toThrow(/einsum: .* with two ellipses/);
  });
});
