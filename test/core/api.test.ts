// The core API as a user meets it: tensor creation, views and copies, seeded randomness, the functional
// gradient family in both call forms, PyTorch-style backward, noGrad/detach, hooks and fan-out.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const arr = (t: tg.Tensor) => Array.from(t.data);

describe('tensor creation', () => {
  it('from nested arrays infers the shape (float32 by default)', () => {
    const t = tg.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tg.tensor(3.5).shape).toEqual([]);
    expect(tg.tensor(3.5).item()).toBe(3.5);
    expect(tg.tensor([[[1], [2]]]).shape).toEqual([1, 2, 1]);
  });

  it('from typed arrays keeps their dtype; a shape argument reshapes the flat data', () => {
    const a = tg.tensor(new Float64Array([1, 2, 3, 4]), [2, 2]);
    expect(a.dtype).toBe('float64');
    expect(a.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tg.tensor(new Int32Array([7, 8])).dtype).toBe('int32');
    expect(tg.tensor(new Float32Array(6), [3, 2]).shape).toEqual([3, 2]);
  });

  it('the dtype option converts (int32 truncates toward zero)', () => {
    const i = tg.tensor([1.7, -2.5, 3], undefined, { dtype: 'int32' });
    expect(i.dtype).toBe('int32');
    expect(arr(i)).toEqual([1, -2, 3]);
    const d = tg.tensor(new Float32Array([0.1]), undefined, { dtype: 'float64' });
    expect(d.dtype).toBe('float64');
    expect(d.data[0]).toBe(Math.fround(0.1));
    expect(tg.zeros([2], { dtype: 'float64' }).dtype).toBe('float64');
    expect(arr(tg.arange(1, 7, 2))).toEqual([1, 3, 5]);
    expect(arr(tg.full([2], 4, { dtype: 'int32' }))).toEqual([4, 4]);
  });

  it('copies its input data and, from a tensor, keeps the shape', () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const t = tg.tensor(src, [2, 2]);
    src[0] = 99;
    expect(t.data[0]).toBe(1);
    const u = tg.tensor(t);
    expect(u.shape).toEqual([2, 2]);
    expect(u.dtype).toBe('float64');
    expect(u.data).not.toBe(t.data);
  });

  it('rejects ragged nested arrays and data that does not fill the shape', () => {
    expect(() => tg.tensor([[1, 2], [3]])).toThrow(tg.ShapeError);
    expect(() => tg.tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tg.tensor([[1, 2], 3] as any)).toThrow(tg.ShapeError);
    expect(() => tg.tensor([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2,2\]/);
  });

  it('toFlatArray is a copy; toArray nests', () => {
    const t = tg.tensor([
      [1, 2],
      [3, 4],
    ]);
    const flat = t.toFlatArray();
    flat[0] = 42;
    expect(t.data[0]).toBe(1);
    expect(flat).toBeInstanceOf(Float32Array);
  });

  it('reshape is a view: it shares the data array with its source', () => {
    const t = tg.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const r = tg.reshape(t, [3, 2]);
    expect(r.shape).toEqual([3, 2]);
    expect(r.data).toBe(t.data);
    t.data[5] = 60;
    expect(r.toArray()[2][1]).toBe(60);
    expect(tg.reshape(t, [-1]).shape).toEqual([6]);
    expect(t.reshape([2, -1, 1]).shape).toEqual([2, 3, 1]);
  });
});

describe('seeded randomness', () => {
  it('setSeed makes randn/rand/randint reproducible; different seeds differ', () => {
    tg.setSeed(123);
    const a = [tg.randn([50]), tg.rand([20]), tg.randint([20], 3, 9)];
    tg.setSeed(123);
    const b = [tg.randn([50]), tg.rand([20]), tg.randint([20], 3, 9)];
    a.forEach((t, i) => expect(arr(t)).toEqual(arr(b[i])));
    tg.setSeed(124);
    expect(arr(tg.randn([50]))).not.toEqual(arr(a[0]));
    expect(arr(a[2]).every((v) => v >= 3 && v < 9 && Number.isInteger(v))).toBe(true);
    expect(arr(a[1]).every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('an explicit Rng is independent of the global one and reproducible', () => {
    const x = tg.randn([30], { rng: new tg.Rng(5), dtype: 'float64' });
    tg.randn([10]); // advance the global generator
    const y = tg.randn([30], { rng: new tg.Rng(5), dtype: 'float64' });
    expect(arr(x)).toEqual(arr(y));
    expect(x.dtype).toBe('float64');
  });

  it('randn has roughly the requested moments; truncatedNormal stays within 2 std', () => {
    const r = arr(tg.randn([20000], { rng: new tg.Rng(1), dtype: 'float64', mean: 1, std: 2 }));
    const m = r.reduce((s, v) => s + v, 0) / r.length;
    const v = r.reduce((s, x) => s + (x - m) ** 2, 0) / r.length;
    expect(Math.abs(m - 1)).toBeLessThan(0.06);
    expect(Math.abs(Math.sqrt(v) - 2)).toBeLessThan(0.06);
    expect(
      arr(tg.truncatedNormal([2000], { rng: new tg.Rng(2), std: 0.5 })).every((x) => Math.abs(x) <= 1 + 1e-6),
    ).toBe(true);
  });
});

describe('the functional gradient family', () => {
  // f(a, b) = Σ a·b + a²  ⇒  ∂f/∂a = b + 2a, ∂f/∂b = a
  const f = (a: tg.Tensor, b: tg.Tensor) => tg.sum(tg.add(tg.mul(a, b), tg.square(a)));
  const a = tg.tensor(new Float64Array([1, -2, 3]));
  const b = tg.tensor(new Float64Array([4, 5, -6]));
  const da = [4 + 2, 5 - 4, -6 + 6];
  const db = [1, -2, 3];

  it('grads(f)(a, b) and grads(f)([a, b])', () => {
    const [ga, gb] = tg.grads(f)(a, b);
    expect(arr(ga)).toEqual(da);
    expect(arr(gb)).toEqual(db);
    const [ga2, gb2] = tg.grads(f)([a, b]);
    expect(arr(ga2)).toEqual(da);
    expect(arr(gb2)).toEqual(db);
  });

  it('TF.js form with dy: grads(f)([a, b], dy) for a non-scalar f', () => {
    const g = (x: tg.Tensor, y: tg.Tensor) => tg.mul(x, y);
    const dy = tg.tensor(new Float64Array([1, 10, 100]));
    const [ga, gb] = tg.grads(g)([a, b], dy);
    expect(arr(ga)).toEqual([4, 50, -600]);
    expect(arr(gb)).toEqual([1, -20, 300]);
  });

  it('valueAndGrads, valueAndGrad and grad', () => {
    const r = tg.valueAndGrads(f)(a, b);
    expect(r.value.item()).toBe(4 - 10 - 18 + 1 + 4 + 9);
    expect(arr(r.grads[0])).toEqual(da);
    const r2 = tg.valueAndGrads(f)([a, b]);
    expect(r2.value.item()).toBe(r.value.item());
    expect(arr(r2.grads[1])).toEqual(db);
    const h = (x: tg.Tensor) => tg.sum(tg.mul(x, x)); // ∇ = 2x
    const r3 = tg.valueAndGrad(h)(a);
    expect(r3.value.item()).toBe(14);
    expect(arr(r3.grad)).toEqual([2, -4, 6]);
    expect(arr(tg.grad(h)(a))).toEqual([2, -4, 6]);
    expect(arr(tg.grad((x: tg.Tensor) => tg.mul(x, 3))(a, tg.tensor(new Float64Array([1, 2, 3]))))).toEqual([
      3, 6, 9,
    ]);
  });

  it('vjp returns the value and a pullback for any cotangent', () => {
    const { value, vjp } = tg.vjp((x: tg.Tensor, y: tg.Tensor) => tg.mul(tg.exp(x), y), a, b);
    expect(arr(value)).toEqual(arr(a).map((v, i) => Math.exp(v) * b.data[i]));
    expect(value.requiresGrad).toBe(false);
    const [gx, gy] = vjp(tg.tensor(new Float64Array([1, 0, 2])));
    expect(arr(gx)).toEqual([Math.exp(1) * 4, 0, 2 * Math.exp(3) * -6]);
    expect(arr(gy)).toEqual([Math.exp(1), 0, 2 * Math.exp(3)]);
  });

  it('an input f does not use gets a zero gradient', () => {
    const [ga, gb] = tg.grads((x: tg.Tensor, _y: tg.Tensor) => tg.sum(x))(a, b);
    expect(arr(ga)).toEqual([1, 1, 1]);
    expect(arr(gb)).toEqual([0, 0, 0]);
  });

  it('does not leave the inputs marked or with a .grad', () => {
    tg.grads(f)(a, b);
    expect(a.requiresGrad).toBe(false);
    expect(a.grad).toBeNull();
  });
});

describe('loss.backward() and leaf gradients', () => {
  it('accumulates into .grad across two calls; zeroGrad clears', () => {
    const w = tg.tensor(new Float64Array([1, 2]), undefined, { requiresGrad: true });
    const loss = () => tg.sum(tg.mul(w, w)); // ∇ = 2w
    loss().backward();
    expect(arr(w.grad!)).toEqual([2, 4]);
    loss().backward();
    expect(arr(w.grad!)).toEqual([4, 8]);
    const l = loss();
    l.backward();
    l.backward(); // the same graph walked twice also accumulates
    expect(arr(w.grad!)).toEqual([8, 16]);
    w.zeroGrad();
    expect(w.grad).toBeNull();
    loss().backward();
    expect(arr(w.grad!)).toEqual([2, 4]);
  });

  it('only leaves get .grad; a seed allows a non-scalar root', () => {
    const x = tg.tensor(new Float64Array([1, 2, 3]), undefined, { requiresGrad: true });
    const y = tg.mul(x, 2);
    y.backward(tg.tensor(new Float64Array([1, 1, 0.5])));
    expect(arr(x.grad!)).toEqual([2, 2, 1]);
    expect(y.grad).toBeNull();
  });

  it('createGraph: the accumulated .grad can itself be differentiated', () => {
    const w = tg.tensor(new Float64Array([1.5]), [1], { requiresGrad: true });
    tg.sum(tg.pow(w, 3)).backward(undefined, { createGraph: true });
    const g = w.grad!; // 3w²
    expect(g.data[0]).toBe(6.75);
    expect(g.requiresGrad).toBe(true);
    w.zeroGrad();
    g.backward();
    expect(arr(w.grad!)).toEqual([9]); // 6w
  });

  it('a leaf gets its gradient in its own dtype when ops promoted it', () => {
    const x = tg.tensor([1, 2], undefined, { requiresGrad: true });
    tg.sum(tg.mul(x, tg.tensor(new Float64Array([3, 4])))).backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(arr(x.grad!)).toEqual([3, 4]);
  });

  it('fan-out: a tensor used twice (and through two paths) gets the sum of both gradients', () => {
    const x = tg.tensor(new Float64Array([0.5, -1.5]), undefined, { requiresGrad: true });
    const y = tg.exp(x);
    tg.sum(tg.add(tg.mul(x, x), tg.mul(y, x))).backward(); // d/dx (x² + x·eˣ) = 2x + eˣ + x·eˣ
    expect(arr(x.grad!)).toEqual(arr(x).map((v) => 2 * v + Math.exp(v) + v * Math.exp(v)));
    expect(arr(tg.grad((v: tg.Tensor) => tg.sum(tg.mul(v, v)))(x))).toEqual([1, -3]);
  });
});

describe('recording: requiresGrad, noGrad, detach', () => {
  it('requiresGrad propagates through ops, and only from inputs that want it', () => {
    const w = tg.tensor([1, 2], undefined, { requiresGrad: true });
    const c = tg.tensor([3, 4]);
    const y = tg.add(tg.mul(w, c), 1);
    expect(y.requiresGrad).toBe(true);
    expect(y.node?.op).toBe('binaryScalar'); // x + 1: a tensor and a number
    expect(y.isLeaf).toBe(false);
    const z = tg.mul(c, c);
    expect(z.requiresGrad).toBe(false);
    expect(z.node).toBeNull();
    expect(new tg.Tensor(new Float32Array(1), []).requireGrad().requiresGrad).toBe(true);
  });

  it('noGrad records nothing; enableGrad turns it back on inside', () => {
    const w = tg.tensor([1, 2], undefined, { requiresGrad: true });
    const y = tg.noGrad(() => {
      expect(tg.isRecording()).toBe(false);
      return tg.mul(w, 2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(tg.isRecording()).toBe(true);
    const z = tg.noGrad(() => tg.enableGrad(() => tg.mul(w, 2)));
    expect(z.requiresGrad).toBe(true);
    expect(() => y.backward()).toThrow(tg.GradError);
  });

  it('detach shares the values but cuts the tape', () => {
    const x = tg.tensor(new Float64Array([2, 3]), undefined, { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(x.data);
    tg.sum(tg.mul(x, d)).backward(); // d/dx (x · stop(x)) = stop(x)
    expect(arr(x.grad!)).toEqual([2, 3]);
  });

  it('onOp listeners see every op that runs, with inputs and output', () => {
    const seen: string[] = [];
    const off = tg.onOp((e) => seen.push(`${e.op}:${e.out.shape}`));
    tg.relu(tg.matmul(tg.ones([2, 3]), tg.ones([3, 4])));
    off();
    tg.relu(tg.ones([1]));
    expect(seen).toEqual(['matmul:2,4', 'relu:2,4']);
  });
});

describe('gradient hooks', () => {
  it('a hook on a leaf sees its gradient and can replace it', () => {
    const x = tg.tensor(new Float64Array([1, 2]), undefined, { requiresGrad: true });
    const seen: number[][] = [];
    x.registerHook((g) => void seen.push(arr(g)));
    const off = x.registerHook((g) => tg.mul(g, 10));
    tg.sum(tg.mul(x, 3)).backward();
    expect(seen).toEqual([[3, 3]]);
    expect(arr(x.grad!)).toEqual([30, 30]);
    off();
    x.zeroGrad();
    tg.sum(tg.mul(x, 3)).backward();
    expect(arr(x.grad!)).toEqual([3, 3]);
  });

  it('a hook on an intermediate tensor changes what flows to its inputs, once its gradient is complete', () => {
    const x = tg.tensor(new Float64Array([1, 2]), undefined, { requiresGrad: true });
    const h = tg.mul(x, 2);
    const seen: number[][] = [];
    h.registerHook((g) => {
      seen.push(arr(g));
      return tg.neg(g);
    });
    tg.sum(tg.add(tg.mul(h, 1), tg.mul(h, 4))).backward(); // h used twice: its full gradient is 5
    expect(seen).toEqual([[5, 5]]);
    expect(arr(x.grad!)).toEqual([-10, -10]);
  });
});
