// model.fit / evaluate / predict: validation data vs split, seeded shuffling, the History format, 'accuracy' with sparse
// and one-hot labels (against plain-loop values), batched predict, multi-input/multi-output functional models, and
// fit against a hand-written valueAndGrads loop.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';

const N = 40;
/** Deterministic data: 4 features, 3 classes given by the argmax of a fixed linear map (learnable). */
function data(n = N, seed = 1, dtype: tg.DType = 'float32') {
  const xs = uniform(n * 4, seed);
  const labels = Array.from({ length: n }, (_, i) => {
    const r = xs.subarray(i * 4, i * 4 + 4);
    const s = [r[0] + r[1], r[1] - r[2], r[3] - r[0]];
    return s.indexOf(Math.max(...s));
  });
  const oneHot = labels.flatMap((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0)));
  return {
    x: tg.tensor(xs, [n, 4], { dtype }),
    y: tg.tensor(labels, [n], { dtype: 'int32' }),
    yOneHot: tg.tensor(oneHot, [n, 3], { dtype }),
    labels,
  };
}

/** Dense(6, tanh) → Dense(3, softmax) with fixed initial weights (so two copies start identical). */
function net(opts: { dtype?: tg.DType; dropout?: number } = {}): tg.Sequential {
  const dtype = opts.dtype ?? 'float32';
  const layers: tg.Layer[] = [tg.layers.dense({ units: 6, activation: 'tanh', inputShape: [4], dtype })];
  if (opts.dropout) layers.push(tg.layers.dropout({ rate: opts.dropout, dtype }));
  layers.push(tg.layers.dense({ units: 3, activation: 'softmax', dtype }));
  const m = tg.sequential({ layers });
  m.setWeights(
    m.getWeights().map((w, i) => tg.tensor(uniform(w.size, 100 + i, -0.8, 0.8), w.shape, { dtype })),
  );
  return m;
}
const rowsOf = (t: tg.Tensor, a: number, b: number): tg.Tensor =>
  tg.slice(
    t,
    t.shape.map((_, i) => (i === 0 ? a : 0)),
    t.shape.map((d, i) => (i === 0 ? b - a : d)),
  );
const weightsOf = (m: tg.Layer): number[][] => m.getWeights().map((w) => Array.from(w.data));
const compile = (m: tg.Model, lr = 0.1, metrics = ['accuracy']) =>
  m.compile({ optimizer: tg.train.sgd(lr), loss: 'sparseCategoricalCrossentropy', metrics });

/** Plain-loop cross-entropy and accuracy of probabilities `p` [n, k] against integer labels. */
function naiveCeAcc(p: ArrayLike<number>, labels: number[], k = 3): { ce: number; acc: number } {
  let ce = 0;
  let hits = 0;
  labels.forEach((l, i) => {
    const row = Array.from({ length: k }, (_, j) => p[i * k + j]);
    ce -= Math.log(row[l]);
    if (row.indexOf(Math.max(...row)) === l) hits++;
  });
  return { ce: ce / labels.length, acc: hits / labels.length };
}

describe('validationSplit and validationData', () => {
  it('validationSplit takes the LAST fraction before shuffling: same run as validationData on those rows', async () => {
    const { x, y } = data();
    const a = net();
    compile(a);
    const ha = await a.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.25,
      shuffle: true,
      rng: new tg.Rng(3),
      verbose: 0,
    });
    const b = net();
    compile(b);
    const hb = await b.fit(rowsOf(x, 0, 30), rowsOf(y, 0, 30), {
      epochs: 3,
      batchSize: 8,
      validationData: [rowsOf(x, 30, 40), rowsOf(y, 30, 40)],
      shuffle: true,
      rng: new tg.Rng(3),
      verbose: 0,
    });
    expect(ha).toEqual(hb);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    // The first fraction as validation is a different run.
    const c = net();
    compile(c);
    const hc = await c.fit(rowsOf(x, 10, 40), rowsOf(y, 10, 40), {
      epochs: 3,
      batchSize: 8,
      validationData: [rowsOf(x, 0, 10), rowsOf(y, 0, 10)],
      rng: new tg.Rng(3),
      verbose: 0,
    });
    expect(hc.history.val_loss).not.toEqual(ha.history.val_loss);
    // val_* are the final weights' evaluate() on the held-out rows.
    const ev = a.evaluate(rowsOf(x, 30, 40), rowsOf(y, 30, 40));
    expect(ha.history.val_loss[2]).toBeCloseTo(ev.loss, 6);
    expect(ha.history.val_accuracy[2]).toBeCloseTo(ev.accuracy, 6);
  });

  it('the split point is floor(n·(1 − split)) as Keras and TF.js: 10 samples at 0.25 → 7 train, 3 validation', async () => {
    const { x, y } = data(10);
    const a = net();
    compile(a);
    const ha = await a.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      validationSplit: 0.25,
      rng: new tg.Rng(5),
      verbose: 0,
    });
    const b = net();
    compile(b);
    const hb = await b.fit(rowsOf(x, 0, 7), rowsOf(y, 0, 7), {
      epochs: 2,
      batchSize: 4,
      validationData: [rowsOf(x, 7, 10), rowsOf(y, 7, 10)],
      rng: new tg.Rng(5),
      verbose: 0,
    });
    expect(ha).toEqual(hb);
  });

  it('validationData wins over validationSplit (Keras ignores the split), and the training set keeps all rows', async () => {
    const { x, y } = data();
    const val: [tg.Tensor, tg.Tensor] = [rowsOf(x, 0, 5), rowsOf(y, 0, 5)];
    const a = net();
    compile(a);
    const ha = await a.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      validationData: val,
      validationSplit: 0.5,
      shuffle: false,
      verbose: 0,
    });
    const b = net();
    compile(b);
    const hb = await b.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      validationData: val,
      shuffle: false,
      verbose: 0,
    });
    expect(ha).toEqual(hb);
  });
});

describe('shuffling and the History', () => {
  it('a seeded Rng gives identical runs; another seed a different one; shuffle false ignores the rng', async () => {
    const { x, y } = data();
    const run = async (rng: tg.Rng, shuffle = true) => {
      const m = net();
      compile(m);
      const h = await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle, rng, verbose: 0 });
      return { h, w: weightsOf(m) };
    };
    const [r1, r2, r3] = [await run(new tg.Rng(7)), await run(new tg.Rng(7)), await run(new tg.Rng(8))];
    expect(r1).toEqual(r2);
    expect(r3.w).not.toEqual(r1.w);
    const [s1, s2] = [await run(new tg.Rng(1), false), await run(new tg.Rng(2), false)];
    expect(s1).toEqual(s2);
    expect(s1.w).not.toEqual(r1.w);
  });

  it('returns TF.js History {epoch, history}: 0-based epochs, one list per log key, train keys then val_ keys', async () => {
    const { x, y } = data();
    const m = net();
    compile(m);
    const h = await m.fit(x, y, { epochs: 3, batchSize: 16, validationSplit: 0.2, verbose: 0 });
    expect(Object.keys(h)).toEqual(['epoch', 'history']);
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    for (const v of Object.values(h.history)) {
      expect(v).toHaveLength(3);
      v.forEach((n) => expect(Number.isFinite(n)).toBe(true));
    }
    const h2 = await m.fit(x, y, { epochs: 3, initialEpoch: 1, verbose: 0 });
    expect(h2.epoch).toEqual([1, 2]);
    expect(h2.history.loss).toHaveLength(2);
  });

  it('trains: the loss falls and fit leaves the model in inference mode', async () => {
    const { x, y } = data(80);
    const m = net();
    m.compile({ optimizer: tg.train.adam(0.05), loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
    const h = await m.fit(x, y, { epochs: 12, batchSize: 16, rng: new tg.Rng(0), verbose: 0 });
    expect(h.history.loss[11]).toBeLessThan(0.6 * h.history.loss[0]);
    expect(h.history.acc[11]).toBeGreaterThan(0.8);
    expect(m.training).toBe(false);
  });
});

describe("metrics 'accuracy' with sparse and with one-hot labels", () => {
  // lr 0: the weights never move, so every epoch's logs are the initial model's, computable by plain loops.
  for (const batchSize of [N, 7])
    it(`epoch logs equal the plain-loop cross-entropy and accuracy (batch size ${batchSize}, sample-weighted over batches)`, async () => {
      const { x, y, yOneHot, labels } = data();
      const p = (net().predict(x) as tg.Tensor).data;
      const ref = naiveCeAcc(p, labels);
      expect(ref.acc).toBeGreaterThan(0.1);
      expect(ref.acc).toBeLessThan(0.9);

      const sparse = net();
      compile(sparse, 0);
      const hs = await sparse.fit(x, y, { epochs: 1, batchSize, verbose: 0 });
      expect(hs.history.loss[0]).toBeCloseTo(ref.ce, 5);
      expect(hs.history.accuracy[0]).toBeCloseTo(ref.acc, 6);

      const dense = net();
      dense.compile({ optimizer: tg.train.sgd(0), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const hd = await dense.fit(x, yOneHot, { epochs: 1, batchSize, verbose: 0 });
      expect(hd.history.loss[0]).toBeCloseTo(ref.ce, 5);
      expect(hd.history.accuracy[0]).toBeCloseTo(ref.acc, 6);

      for (const [m, t] of [
        [sparse, y],
        [dense, yOneHot],
      ] as const) {
        const ev = m.evaluate(x, t, { batchSize });
        expect(ev.loss).toBeCloseTo(ref.ce, 5);
        expect(ev.accuracy).toBeCloseTo(ref.acc, 6);
      }
    });

  it('sparse labels given as a [n, 1] column count the same as [n]', () => {
    const { x, y, labels } = data();
    const m = net();
    compile(m, 0);
    const ref = naiveCeAcc((m.predict(x) as tg.Tensor).data, labels);
    expect(m.evaluate(x, tg.reshape(y, [N, 1])).accuracy).toBeCloseTo(ref.acc, 6);
  });
});

describe('predict', () => {
  it('in batches equals one go (uneven last batch), records no tape, and runs Dropout in inference mode', () => {
    const { x } = data(23);
    const m = net({ dropout: 0.5 });
    const whole = m.predict(x, { batchSize: 1000 }) as tg.Tensor;
    for (const bs of [1, 5, 7, 22, 23]) {
      const parts = m.predict(x, { batchSize: bs }) as tg.Tensor;
      expect(parts.shape).toEqual([23, 3]);
      // NOTE: equal up to float32 rounding, not bitwise: a SIMD kernel may take a value through its vector or its
      // scalar tail path depending on where the batch boundary falls.
      expectClose(parts.data, whole.data, { rtol: 1e-6, atol: 1e-7 }, `batch size ${bs}`);
    }
    expect(whole.requiresGrad).toBe(false);
    // Independent reference: the two Dense layers by plain loops (dropout is the identity at inference).
    const [k1, b1, k2, b2] = m.getWeights().map((w) => w.data);
    const ref: number[] = [];
    for (let i = 0; i < 23; i++) {
      const h = Array.from({ length: 6 }, (_, j) =>
        Math.tanh(b1[j] + [0, 1, 2, 3].reduce((s, f) => s + x.data[i * 4 + f] * k1[f * 6 + j], 0)),
      );
      const z = Array.from({ length: 3 }, (_, j) => b2[j] + h.reduce((s, v, f) => s + v * k2[f * 3 + j], 0));
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      ref.push(...e.map((v) => v / e.reduce((a, c) => a + c, 0)));
    }
    expectClose(whole.data, ref, { rtol: 1e-5, atol: 1e-7 }, 'predict vs plain loops');
  });

  it('a multi-input, multi-output model predicts a list in batches equal to one go', () => {
    const { a, b, m } = twoByTwo();
    const whole = m.predict([a, b], { batchSize: 100 }) as tg.Tensor[];
    const parts = m.predict([a, b], { batchSize: 3 }) as tg.Tensor[];
    expect(parts.map((t) => t.shape)).toEqual([
      [20, 3],
      [20, 1],
    ]);
    parts.forEach((t, i) => expectClose(t.data, whole[i].data, { rtol: 1e-6, atol: 1e-7 }, `output ${i}`));
  });
});

/** Inputs a [20, 3] and b [20, 2]; outputs 'cls' (3-way softmax of a) and 'reg' (a regression of a and b). */
function twoByTwo() {
  const a = tg.tensor(uniform(60, 5), [20, 3]);
  const b = tg.tensor(uniform(40, 6), [20, 2]);
  const ia = tg.input({ shape: [3], name: 'a' });
  const ib = tg.input({ shape: [2], name: 'b' });
  const ha = tg.layers.dense({ units: 4, activation: 'tanh', name: 'ha' }).apply(ia) as tg.SymbolicTensor;
  const hb = tg.layers.dense({ units: 4, activation: 'tanh', name: 'hb' }).apply(ib) as tg.SymbolicTensor;
  const cls = tg.layers
    .dense({ units: 3, activation: 'softmax', name: 'cls' })
    .apply(ha) as tg.SymbolicTensor;
  const sum = tg.layers.add().apply([ha, hb]) as tg.SymbolicTensor;
  const reg = tg.layers.dense({ units: 1, name: 'reg' }).apply(sum) as tg.SymbolicTensor;
  const m = tg.model({ inputs: [ia, ib], outputs: [cls, reg] });
  m.setWeights(m.getWeights().map((w, i) => tg.tensor(uniform(w.size, 200 + i, -0.7, 0.7), w.shape)));
  const labels = Array.from({ length: 20 }, (_, i) =>
    a.data[i * 3] > a.data[i * 3 + 1] ? 0 : a.data[i * 3 + 2] > 0 ? 1 : 2,
  );
  const target = Array.from({ length: 20 }, (_, i) => a.data[i * 3] - b.data[i * 2 + 1]);
  return {
    a,
    b,
    m,
    labels,
    yCls: tg.tensor(labels, [20], { dtype: 'int32' }),
    yReg: tg.tensor(target, [20, 1]),
    target,
  };
}

describe('multi-input / multi-output functional models in fit', () => {
  it('the loss is the sum of one loss per output, logged per output layer (Keras 2 names), metrics per output', async () => {
    const { a, b, m, labels, yCls, yReg, target } = twoByTwo();
    const [pc, pr] = m.predict([a, b]) as tg.Tensor[];
    const ce = naiveCeAcc(pc.data, labels);
    const mse = target.reduce((s, t, i) => s + (pr.data[i] - t) ** 2, 0) / 20;
    m.compile({
      optimizer: tg.train.sgd(0),
      loss: ['sparseCategoricalCrossentropy', 'meanSquaredError'],
      metrics: ['accuracy'],
    });
    const h = await m.fit([a, b], [yCls, yReg], { epochs: 1, batchSize: 20, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_accuracy']);
    expect(h.history.cls_loss[0]).toBeCloseTo(ce.ce, 5);
    expect(h.history.reg_loss[0]).toBeCloseTo(mse, 5);
    expect(h.history.loss[0]).toBeCloseTo(ce.ce + mse, 5);
    expect(h.history.cls_accuracy[0]).toBeCloseTo(ce.acc, 6);
    const ev = m.evaluate([a, b], [yCls, yReg]);
    expect(ev.loss).toBeCloseTo(ce.ce + mse, 5);
  });

  it('one loss for all outputs; training lowers it; validationSplit slices every input and target', async () => {
    const { a, b, m, yReg } = twoByTwo();
    const yCls = tg.tensor(uniform(60, 9, 0, 1), [20, 3]);
    m.compile({ optimizer: tg.train.adam(0.05), loss: 'meanSquaredError' });
    const h = await m.fit([a, b], [yCls, yReg], {
      epochs: 15,
      batchSize: 5,
      validationSplit: 0.25,
      rng: new tg.Rng(2),
      verbose: 0,
    });
    expect(Object.keys(h.history)).toEqual([
      'loss',
      'cls_loss',
      'reg_loss',
      'val_loss',
      'val_cls_loss',
      'val_reg_loss',
    ]);
    expect(h.history.loss[14]).toBeLessThan(h.history.loss[0]);
    const ev = m.evaluate(
      [rowsOf(a, 15, 20), rowsOf(b, 15, 20)],
      [rowsOf(yCls, 15, 20), rowsOf(yReg, 15, 20)],
    );
    expect(h.history.val_reg_loss[14]).toBeCloseTo(ev.reg_loss, 6);
  });

  it('wrong numbers of targets or losses are clear errors', async () => {
    const { a, b, m, yCls, yReg } = twoByTwo();
    m.compile({ optimizer: 'sgd', loss: ['meanSquaredError', 'meanSquaredError', 'meanSquaredError'] });
    await expect(m.fit([a, b], [yCls, yReg], { verbose: 0 })).rejects.toThrow(/3 losses.*2 outputs/);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(m.fit([a, b], [yReg], { verbose: 0 })).rejects.toThrow(/2 outputs but 1 targets/);
    expect(() => m.compile({ optimizer: 'nope', loss: 'meanSquaredError' })).toThrow(
      /unknown optimizer 'nope'/,
    );
  });
});

describe('fit equals a hand-written valueAndGrads loop', () => {
  it('same network, same Adam, same batches (shuffle false): the same weights (float64)', async () => {
    const { x, y, labels } = data(30, 4, 'float64');
    const m = net({ dtype: 'float64' });
    const init = m
      .getWeights()
      .map((w) => tg.tensor(Float64Array.from(w.data), w.shape, { dtype: 'float64' }));
    m.compile({ optimizer: tg.train.adam(0.05), loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });

    // By hand: the same maths written with ops, gradients from valueAndGrads, updates from applyGradients.
    const w1Before = Array.from(init[0].data);
    const params: Record<string, tg.Tensor> = { W1: init[0], b1: init[1], W2: init[2], b2: init[3] };
    const opt = tg.train.adam(0.05);
    opt.setParameters(params);
    const names = Object.keys(params);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      let sum = 0;
      for (let s = 0; s < 30; s += 8) {
        const e = Math.min(30, s + 8);
        const xb = rowsOf(x, s, e);
        const onehot = tg.tensor(
          labels.slice(s, e).flatMap((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))),
          [e - s, 3],
          { dtype: 'float64' },
        );
        const f = (W1: tg.Tensor, b1: tg.Tensor, W2: tg.Tensor, b2: tg.Tensor) => {
          const p = tg.softmax(tg.add(tg.matmul(tg.tanh(tg.add(tg.matmul(xb, W1), b1)), W2), b2), -1);
          // −(1/n) Σ_i log p[i, y_i]
          return tg.neg(tg.mean(tg.sum(tg.mul(onehot, tg.log(p)), -1)));
        };
        const { value, grads } = tg.valueAndGrads(f)(...names.map((n) => params[n]));
        opt.applyGradients(Object.fromEntries(names.map((n, i) => [n, grads[i]])));
        sum += value.item() * (e - s);
      }
      losses.push(sum / 30);
    }
    names.forEach((n, i) =>
      expectClose(m.getWeights()[i].data, params[n].data, { rtol: 1e-9, atol: 1e-12 }, n),
    );
    expectClose(h.history.loss, losses, { rtol: 1e-9, atol: 1e-12 }, 'epoch losses');
    // Training moved the weights (the comparison is not between two untouched copies).
    expect(Math.max(...w1Before.map((v, i) => Math.abs(v - params.W1.data[i])))).toBeGreaterThan(1e-2);
    expect(losses[2]).toBeLessThan(losses[0]);
  });
});
