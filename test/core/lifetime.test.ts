// Deterministic release (core/lifetime.ts): what a grads call, a layer call, backward, fit or predict makes and
// nobody can need any more is released at once, in plain synchronous loops; a released tensor read in any way
// throws a ReleasedError that names it and the fix, never stale values; what users keep stays readable.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const big = (seed = 1, n = 64 * 64) =>
  tg.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)),
    [64, 64],
  );

/** Every way to read a tensor's values. */
const READS: [string, (t: tg.Tensor) => unknown][] = [
  ['.data', (t) => t.data],
  ['.toArray()', (t) => t.toArray()],
  ['.toFlatArray()', (t) => t.toFlatArray()],
  ['.item()', (t) => tg.sum(t).item()],
  ['an op', (t) => tg.add(t, 1)],
  ['tg.tensor(t)', (t) => tg.tensor(t)],
  ['.raw', (t) => t.raw],
];

describe('tg.grads frames', () => {
  it('a value f made but did not return is released; every read throws a ReleasedError naming it', () => {
    // NOTE: plain arguments: arguments that require grad make the result differentiable, so the graph stays
    const w = big(2);
    let leaked: tg.Tensor | null = null;
    const { value, grads } = tg.valueAndGrads((a: tg.Tensor) => {
      leaked = tg.matmul(a, a);
      return tg.sum(tg.tanh(leaked));
    })(w);
    expect(Number.isFinite(value.item())).toBe(true);
    expect(grads[0].shape).toEqual([64, 64]);
    expect(grads[0].data.every(Number.isFinite)).toBe(true);
    expect(leaked!.released).toBe(true);
    for (const [how, read] of READS)
      expect(() => read(leaked!), how).toThrow(
        /\[64,64\] float32 tensor made by 'matmul' was released when tg\.valueAndGrads ended; return it/,
      );
    expect(() => read0(leaked!)).toThrow(tg.ReleasedError);
    expect(String(leaked)).toContain('released'); // describing it is fine
  });

  it('returned values, gradients and tg.keep-ed values stay readable', () => {
    const w = big(3);
    let kept: tg.Tensor | null = null;
    const gs = tg.grads((a: tg.Tensor) => {
      kept = tg.keep(tg.relu(a));
      return tg.sum(tg.mul(kept, a));
    })(w);
    expect(kept!.data.length).toBe(64 * 64);
    expect(gs[0].data.length).toBe(64 * 64);
  });

  it('a synchronous training loop keeps backend memory flat (nothing waits for the garbage collector)', () => {
    const params = [big(4), big(5)];
    const x = big(6);
    const step = () => {
      const { grads } = tg.valueAndGrads((a: tg.Tensor, b: tg.Tensor) =>
        tg.mean(tg.square(tg.matmul(tg.relu(tg.matmul(x, a)), b))),
      )(...params);
      params.forEach((p, i) => {
        const d = p.data;
        const g = grads[i].data;
        for (let j = 0; j < d.length; j++) d[j] -= 0.01 * g[j];
      });
    };
    step();
    const before = tg.memory();
    for (let i = 0; i < 50; i++) step();
    const after = tg.memory();
    expect(after.residentBytes).toBeLessThanOrEqual(before.residentBytes);
    expect(after.evicted).toBe(before.evicted); // nothing had to be copied out to stay in budget
  });
});

describe('tg.noGrad frames (the grads rule)', () => {
  it('what fn returns survives (a tensor, arrays and objects of them); the rest is released and throws', () => {
    const x = big(20);
    let leaked: tg.Tensor | null = null;
    const y = tg.noGrad(() => {
      leaked = tg.exp(x);
      return tg.mul(leaked, 2);
    });
    const want = Float32Array.from(x.data, (v) => 2 * Math.exp(v));
    y.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    expect(leaked!.released).toBe(true);
    for (const [how, read] of READS)
      expect(() => read(leaked!), how).toThrow(
        /\[64,64\] float32 tensor made by 'exp' was released when tg\.noGrad ended; return it from the function given to tg\.noGrad/,
      );
    const { a, bs } = tg.noGrad(() => ({ a: tg.neg(x), bs: [tg.abs(x), tg.square(x)] }));
    expect(a.data[1]).toBeCloseTo(-x.data[1], 6);
    expect(bs[1].data[2]).toBeCloseTo(x.data[2] ** 2, 6);
  });

  it('nested: an inner result lives until the outer frame ends, unless the outer returns it too', () => {
    const x = big(21);
    let inner: tg.Tensor | null = null;
    let innerTemp: tg.Tensor | null = null;
    const outer = tg.noGrad(() => {
      inner = tg.noGrad(() => {
        innerTemp = tg.tanh(x);
        return tg.relu(innerTemp);
      });
      expect(innerTemp!.released).toBe(true); // released when the inner call ended
      expect(inner.released).toBe(false); // returned by the inner call: the outer decides
      return tg.add(inner, 1);
    });
    expect(inner!.released).toBe(true);
    expect(outer.data[0]).toBeCloseTo(Math.max(0, Math.tanh(x.data[0])) + 1, 6);
    const both = tg.noGrad(() => tg.noGrad(() => tg.sigmoid(x)));
    expect(both.data[3]).toBeCloseTo(1 / (1 + Math.exp(-x.data[3])), 6);
  });

  it('inside a grads call: its result joins the grads frame (used by f, released when the grads call ends)', () => {
    const w = big(22);
    let mask: tg.Tensor | null = null;
    const g = tg.grads((a: tg.Tensor) => {
      mask = tg.noGrad(() => tg.greater(a, 0));
      return tg.sum(tg.mul(tg.square(a), tg.cast(mask, 'float32')));
    })(w)[0];
    // d/da Σ a²·[a>0] = 2a·[a>0] (the mask is a constant: no gradient flows through it)
    g.data.forEach((v, i) => expect(v).toBeCloseTo(w.data[i] > 0 ? 2 * w.data[i] : 0, 4));
    expect(mask!.released).toBe(true);
    expect(() => mask!.data).toThrow(/released when tg\.grads ended/);
  });

  it('enableGrad inside noGrad: a returned differentiable value keeps what its tape needs', () => {
    const w = big(23).requireGrad();
    const y = tg.noGrad(() => tg.enableGrad(() => tg.sum(tg.tanh(tg.mul(w, 3)))));
    y.backward();
    const want = Float32Array.from(w.data, (v) => 3 * (1 - Math.tanh(3 * v) ** 2));
    w.grad!.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 3));
  });

  it('an async fn is refused by name, and what it made before its first await is not released', async () => {
    const x = big(24);
    let made: tg.Tensor | null = null;
    let pending: Promise<tg.Tensor> | null = null;
    expect(() =>
      tg.noGrad(() => {
        made = tg.exp(x);
        pending = (async () => {
          await Promise.resolve();
          return tg.neg(made!);
        })();
        return pending;
      }),
    ).toThrow(/tg\.noGrad: fn returned a Promise; noGrad covers synchronous code only/);
    expect(made!.released).toBe(false);
    expect((await pending!).data[0]).toBeCloseTo(-Math.exp(x.data[0]), 4);
    expect(tg.isRecording()).toBe(true);
  });

  it('a top-level inference loop keeps backend memory flat with no yield (nothing waits for the collector)', () => {
    const x = big(25);
    const w = big(26);
    const infer = () => tg.noGrad(() => tg.softmax(tg.matmul(tg.relu(tg.matmul(x, w)), w), -1)).data;
    infer();
    const before = tg.memory();
    for (let i = 0; i < 50; i++) infer();
    const after = tg.memory();
    expect(after.residentBytes).toBeLessThanOrEqual(before.residentBytes);
    expect(after.evicted).toBe(before.evicted);
  });
});

describe('layers, models and backward', () => {
  const model = () => {
    const m = tg.sequential();
    m.add(tg.layers.dense({ units: 64, activation: 'relu', inputShape: [64] }));
    m.add(tg.layers.dense({ units: 64 }));
    return m;
  };

  it('predict in a loop leaves only its results behind', () => {
    const m = model();
    const x = big(7);
    m.predict(x);
    const before = tg.memory();
    const outs = Array.from({ length: 20 }, () => m.predict(x) as tg.Tensor);
    const after = tg.memory();
    // 20 kept outputs of 64×64 float32, nothing else
    expect(after.residentBytes - before.residentBytes).toBeLessThanOrEqual(20 * 64 * 64 * 4 + 20 * 64);
    expect(outs[19].data.length).toBe(64 * 64);
  });

  it("backward releases the layers' intermediates but not what the user holds (PyTorch loop)", () => {
    const m = model();
    m.train(true);
    const x = big(8);
    const y = m.apply(x) as tg.Tensor;
    const loss = tg.mean(tg.square(y));
    loss.backward();
    expect(y.data.length).toBe(64 * 64); // the user's logits, read after backward
    expect(m.getWeights()[0].data.length).toBe(64 * 64);
    expect(m.trainableWeights.every((w) => w.value.grad !== null)).toBe(true);
    // a second backward through the same graph: the saved intermediates are gone, and the error says so
    expect(() => loss.backward()).toThrow(/released after backward\(\) used it.*retainGraph: true/s);
  });

  it('retainGraph keeps the graph for a second backward (gradients accumulate, as in PyTorch)', () => {
    const m = model();
    const y = m.apply(big(9)) as tg.Tensor;
    const loss = tg.mean(tg.square(y));
    loss.backward(undefined, { retainGraph: true });
    const once = Float32Array.from(m.trainableWeights[0].value.grad!.data);
    loss.backward();
    const twice = m.trainableWeights[0].value.grad!.data;
    twice.forEach((v, i) => expect(v).toBeCloseTo(2 * once[i], 4));
  });

  it('gradients shown to hooks stay readable (Grad-CAM), and so do outputs shown to forward hooks', () => {
    const m = model();
    const first = m.layers[0];
    let seenOut: tg.Tensor | null = null;
    let seenGrad: tg.Tensor | null = null;
    first.registerForwardHook((_l, _x, out) => void (seenOut = out as tg.Tensor));
    first.registerBackwardHook((_l, g) => void (seenGrad = g));
    const x = big(10);
    tg.grads((...ws: tg.Tensor[]) => {
      void ws;
      return tg.mean(tg.square(m.apply(x) as tg.Tensor));
    })(...m.trainableWeights.map((w) => w.value));
    expect(seenOut!.data.length).toBe(64 * 64);
    expect(seenGrad!.data.length).toBe(64 * 64);
  });

  it('fit with Adam in a loop that never yields in between keeps memory flat and state alive', async () => {
    const m = model();
    m.compile({ optimizer: tg.train.adam(0.01), loss: 'meanSquaredError' });
    const x = big(11);
    const y = big(12);
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const before = tg.memory();
    const h = await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    const after = tg.memory();
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect(after.residentBytes).toBeLessThanOrEqual(before.residentBytes);
  });
});

describe('no public API aliases kernel memory', () => {
  it('new Tensor(t.raw, shape) copies: it keeps its values when t is released', () => {
    let inner: tg.Tensor | null = null;
    let alias: tg.Tensor | null = null;
    tg.grads((a: tg.Tensor) => {
      inner = tg.exp(a);
      alias = new tg.Tensor(inner.raw, [64, 64]);
      return tg.sum(inner);
    })(big(13));
    expect(inner!.released).toBe(true);
    const want = Float32Array.from(big(13).data, Math.exp);
    alias!.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
  });
});

function read0(t: tg.Tensor): number {
  return t.data[0];
}
