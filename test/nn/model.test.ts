// Models: Sequential/functional/Module forward against hand computations, modes, hooks, errors, fit.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
};

describe('models', () => {
  beforeEach(() => tg.resetLayerNames());

  it('Dense equals x·W + b computed by hand', () => {
    const d = tg.layers.dense({ units: 2, inputShape: [3] });
    const x = tg.tensor([
      [1, 2, 3],
      [-1, 0, 0.5],
    ]);
    const y = d.apply(x) as tg.Tensor;
    const [w, b] = d.getWeights().map((t) => t.toFlatArray());
    const want = [0, 1].flatMap((r) =>
      [0, 1].map((c) => [0, 1, 2].reduce((s, k) => s + x.data[r * 3 + k] * w[k * 2 + c], b[c])),
    );
    close(y.data, want);
  });

  it('names the layer and both shapes on a wrong input, with a hint', () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 4, inputShape: [320] })] });
    expect(() => m.predict(tg.zeros([2, 4, 4, 20]))).toThrow(
      /dense \(Dense\): expected input with last axis 320.*\[2,4,4,20\].*Flatten/,
    );
    const c = tg.sequential({
      layers: [tg.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [8, 8, 3] })],
    });
    expect(() => c.predict(tg.zeros([8, 8, 3]))).toThrow(/rank 4.*\[8,8,3\].*batch axis/);
    expect(() => c.predict(tg.zeros([1, 3, 8, 8]))).toThrow(
      /input has 8 channels but the kernel \[3,3,3,2\] expects 3/,
    );
  });

  it('functional graphs share layers and take several inputs', () => {
    const a = tg.input({ shape: [3] });
    const b = tg.input({ shape: [3] });
    const shared = tg.layers.dense({ units: 2, useBias: false });
    const ya = shared.apply(a) as tg.SymbolicTensor;
    const yb = shared.apply(b) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [a, b], outputs: [ya, yb] });
    expect(ya.shape).toEqual([null, 2]);
    const xa = tg.randn([2, 3]);
    const xb = tg.randn([2, 3]);
    const [oa, ob] = m.predict([xa, xb]) as tg.Tensor[];
    close(oa.data, (shared.apply(xa) as tg.Tensor).data);
    close(ob.data, (shared.apply(xb) as tg.Tensor).data);
    expect(m.countParams()).toBe(6);
  });

  it('Module subclasses find their parameters and run hooks however they are called', () => {
    class Net extends tg.nn.Module {
      fc1 = new tg.nn.Linear(3, 4);
      fc2 = new tg.nn.Linear(4, 2);
      scale = tg.Parameter(tg.ones([2]));
      forward(x: tg.Tensor) {
        return tg.mul(this.fc2.forward(tg.relu(this.fc1.forward(x))), this.scale);
      }
    }
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'scale',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    let calls = 0;
    net.fc1.registerForwardHook(() => void calls++);
    net.forward(tg.randn([2, 3]));
    net.apply(tg.randn([2, 3]));
    expect(calls).toBe(2);
    const loss = tg.sum(net.forward(tg.randn([5, 3])));
    loss.backward();
    expect(net.fc1.weight.grad?.shape).toEqual([4, 3]);
  });

  it('backward hooks see the gradient of the layer output', () => {
    const d = tg.layers.dense({ units: 2, inputShape: [3] });
    let seen: number[] | null = null;
    d.registerBackwardHook((_l, g) => void (seen = [...g.shape]));
    const x = tg.randn([4, 3], { requiresGrad: true });
    tg.sum(d.apply(x) as tg.Tensor).backward();
    expect(seen).toEqual([4, 2]);
  });

  it('Dropout is active only in training mode', () => {
    const m = tg.sequential({ layers: [tg.layers.dropout({ rate: 0.5, inputShape: [1000] })] });
    const x = tg.ones([1, 1000]);
    expect((m.predict(x) as tg.Tensor).toFlatArray()).toEqual(x.toFlatArray());
    m.train(true);
    const y = m.apply(x) as tg.Tensor;
    const zeros = Array.from(y.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
    expect(Array.from(y.data).every((v) => v === 0 || Math.abs(v - 2) < 1e-6)).toBe(true);
  });

  it('getWeights returns copies: the Keras save/zero/restore idiom works', () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    const x = tg.randn([2, 3]);
    const before = (m.predict(x) as tg.Tensor).toFlatArray();
    const saved = m.getWeights();
    m.setWeights(saved.map((w) => tg.zeros(w.shape)));
    expect(Array.from((m.predict(x) as tg.Tensor).data).every((v) => v === 0)).toBe(true);
    m.setWeights(saved);
    expect(Array.from((m.predict(x) as tg.Tensor).data)).toEqual(Array.from(before));
  });

  it('the build pass on zeros is invisible: no hooks, no numerics errors, stateful states untouched', () => {
    const seen: number[][] = [];
    const d = tg.layers.dense({ units: 2 });
    d.registerForwardHook((_l, x) => void seen.push([...(x as tg.Tensor).shape]));
    const m = tg.sequential({
      layers: [d, tg.layers.activation({ activation: (t: tg.Tensor) => tg.log(tg.abs(t)) })],
    });
    tg.checkNumerics(true);
    try {
      m.predict(tg.tensor([[1, -2, 3]]));
    } finally {
      tg.checkNumerics(false);
    }
    expect(seen).toEqual([[1, 3]]);
    const mk = (stateful: boolean) => {
      tg.setSeed(3);
      return tg.sequential({ layers: [tg.layers.lstm({ units: 2, stateful, inputShape: [2, 1] })] });
    };
    const x = tg.tensor([[[0.5], [-1]]]);
    const a = mk(true).predict(x) as tg.Tensor;
    const b = mk(false).predict(x) as tg.Tensor;
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('fit lowers the loss of a small classifier and reports history', async () => {
    tg.setSeed(1);
    const n = 200;
    const x = tg.randn([n, 2]);
    const labels = new Int32Array(n).map((_, i) => (x.data[2 * i] + x.data[2 * i + 1] > 0 ? 1 : 0));
    const y = tg.oneHot(new tg.Tensor(labels, [n]), 2);
    const m = tg.sequential({
      layers: [
        tg.layers.dense({ units: 8, activation: 'relu', inputShape: [2] }),
        tg.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    m.compile({ optimizer: tg.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const lines: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 15,
      batchSize: 32,
      validationSplit: 0.2,
      log: (l) => lines.push(l),
    });
    const loss = h.history.loss;
    expect(loss.length).toBe(15);
    expect(loss[loss.length - 1]).toBeLessThan(loss[0] * 0.6);
    expect(h.history.val_accuracy[14]).toBeGreaterThan(0.85);
    expect(lines.some((l) => /Epoch 15\/15/.test(l))).toBe(true);
    const ev = m.evaluate(x, y);
    expect(ev.accuracy).toBeGreaterThan(0.85);
  });
});
