// tg.nn.Module semantics as PyTorch's nn.Module: a child's own train()/eval() survives the first forward; BatchNorm's
// num_batches_tracked is a saved buffer; frozen, reassigned, tied and shared parameters are listed once each;
// forward(list) gets the list; module.apply(fn); Sequential refuses what is not a Module.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsA } from '../support/throws.js';

const nn = tg.nn;
const tmp = mkdtempSync(join(tmpdir(), 'tg-torch-module-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('train()/eval() of a child set before the first forward is kept (PyTorch)', () => {
  class Net extends nn.Module {
    bn = new nn.BatchNorm1d(2);
    drop = new nn.Dropout(0.5);
    forward(x: tg.Tensor): tg.Tensor {
      return this.drop.forward(this.bn.forward(x));
    }
  }
  const x = tg.tensor([
    [1, 10],
    [3, 30],
    [5, 50],
  ]);

  it('net.train(); net.bn.eval(): bn stays in eval and its running statistics do not move', () => {
    const net = new Net();
    net.train();
    net.bn.eval();
    net.forward(x);
    expect(net.bn.training).toBe(false);
    expect(net.drop.training).toBe(true);
    expect(Array.from(net.bn.runningMean!.data)).toEqual([0, 0]);
    expect(net.bn.numBatchesTracked).toBe(0);
  });

  it('a fresh module whose child alone was put in eval keeps that child in eval', () => {
    const net = new Net();
    net.bn.eval();
    net.forward(x);
    expect([net.training, net.bn.training, net.drop.training]).toEqual([true, false, true]);
  });

  it('net.eval(); net.drop.train(): Monte-Carlo dropout stays active', () => {
    tg.setSeed(3);
    const net = new Net();
    net.eval();
    net.drop.train();
    const y = net.forward(tg.ones([50, 2]));
    expect(net.drop.training).toBe(true);
    expect(net.bn.training).toBe(false);
    expect(Array.from(y.data).some((v) => v === 0)).toBe(true);
  });

  it('Keras-wing children (inference mode at start) still take the module mode on the first call', () => {
    class K extends nn.Module {
      drop = tg.layers.dropout({ rate: 0.5 });
      forward(x: tg.Tensor): tg.Tensor {
        return this.drop.apply(x) as tg.Tensor;
      }
    }
    expect(new K().drop.training).toBe(false);
    const k = new K();
    k.forward(tg.ones([4, 3]));
    expect(k.drop.training).toBe(true);
    const e = new K().eval();
    e.forward(tg.ones([4, 3]));
    expect(e.drop.training).toBe(false);
    // A mode set by train()/eval() is not undone by the first call either.
    const t = new K();
    t.train();
    t.forward(tg.ones([4, 3]));
    expect(t.drop.training).toBe(true);
  });
});

describe('BatchNorm num_batches_tracked is a buffer (PyTorch state_dict)', () => {
  class Net extends nn.Module {
    bn = new nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    forward(x: tg.Tensor): tg.Tensor {
      return this.bn.forward(x);
    }
  }
  const xs = [0, 1, 2, 3].map((i) =>
    tg.tensor(
      [
        [i, 10 * i],
        [i + 2, -i],
        [3 * i, 1],
      ],
      undefined,
      { dtype: 'float64' },
    ),
  );

  it('is listed as an int32 scalar weight and counts train-mode batches', () => {
    const net = new Net();
    const named = new Map(net.namedWeights());
    const w = named.get('bn.num_batches_tracked')!;
    expect(w.value.dtype).toBe('int32');
    expect(w.value.shape).toEqual([]);
    expect(w.trainable).toBe(false);
    expect(net.namedParameters().map(([n]) => n)).toEqual(['bn.weight', 'bn.bias']);
    net.forward(xs[0]);
    net.forward(xs[1]);
    expect(net.bn.numBatchesTracked).toBe(2);
    expect(w.value.data[0]).toBe(2);
    const off = new nn.BatchNorm1d(2, { trackRunningStats: false });
    expect(off.weights.map((x) => x.name)).toEqual(['weight', 'bias']);
    expect(off.numBatchesTracked).toBe(0);
  });

  it('momentum null: a model resumed from a checkpoint continues the cumulative average', async () => {
    const a = new Net();
    for (const x of xs.slice(0, 3)) a.forward(x);
    const path = join(tmp, 'bn.safetensors');
    await tg.saveCheckpoint(path, a);
    const b = new Net();
    const r = await tg.loadCheckpoint(path, b);
    expect(r.ok).toBe(true);
    expect(b.bn.numBatchesTracked).toBe(3);
    a.forward(xs[3]);
    b.forward(xs[3]);
    // PyTorch (BatchNorm1d(2, momentum=None).double(), the same four batches): running_mean, running_var after 4.
    const mean = [3.1666666666666665, 4.833333333333334];
    const variance = [4.0, 125.33333333333333];
    for (const m of [a, b]) {
      Array.from(m.bn.runningMean!.data).forEach((v, i) => expect(v).toBeCloseTo(mean[i], 12));
      Array.from(m.bn.runningVar!.data).forEach((v, i) => expect(v).toBeCloseTo(variance[i], 12));
      expect(m.bn.numBatchesTracked).toBe(4);
    }
  });

  it('a file saved without it (older checkpoints) loads with strict: false and is refused by a strict load', async () => {
    const a = new Net();
    a.forward(xs[1]);
    const old = new Map(a.namedWeights().filter(([n]) => n !== 'bn.num_batches_tracked'));
    const path = join(tmp, 'bn-old.safetensors');
    tg.saveSafetensors(path, new Map([...old].map(([n, w]) => [n, w.value])));
    await expect(tg.loadCheckpoint(path, new Net())).rejects.toThrow(/missing bn\.num_batches_tracked/);
    const b = new Net();
    const r = await tg.loadCheckpoint(path, b, { strict: false });
    expect(r.weights.missing).toEqual(['bn.num_batches_tracked']);
    expect(Array.from(b.bn.runningMean!.data)).toEqual(Array.from(a.bn.runningMean!.data));
  });
});

describe('parameters: frozen, reassigned, tied and shared (PyTorch named_parameters)', () => {
  class M extends nn.Module {
    scale = nn.Parameter(tg.ones([3]));
    fc = new nn.Linear(3, 2);
    forward(x: tg.Tensor): tg.Tensor {
      return this.fc.forward(tg.mul(x, this.scale));
    }
  }

  it('a frozen Parameter property is still a parameter: listed, counted, saved and loaded', async () => {
    const m = new M();
    m.scale.data.set([2, 3, 4]);
    m.scale.requiresGrad = false;
    // PyTorch: named_parameters() and state_dict() are ['scale', 'fc.weight', 'fc.bias'] with scale frozen.
    expect(m.namedWeights().map(([n]) => n)).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(m.countParams()).toBe(11);
    const path = join(tmp, 'frozen.safetensors');
    await tg.saveCheckpoint(path, m);
    const m2 = new M();
    expect((await tg.loadCheckpoint(path, m2)).ok).toBe(true);
    expect(Array.from(m2.scale.data)).toEqual([2, 3, 4]);
    // The optimizer holds it but skips it: no gradient reaches a frozen tensor.
    const opt = new tg.SGD(m.namedParameters(), { lr: 0.5 });
    tg.sum(m.forward(tg.ones([1, 3]))).backward();
    opt.step();
    expect(m.scale.grad).toBeNull();
    expect(Array.from(m.scale.data)).toEqual([2, 3, 4]);
  });

  it('a reassigned weight replaces the old one; an attribute set to null removes it', () => {
    const lin = new nn.Linear(3, 2);
    lin.weight = nn.Parameter(tg.zeros([2, 3]));
    expect(lin.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(lin.namedParameters()[0][1]).toBe(lin.weight);
    expect(lin.countParams()).toBe(8);
    expect(new tg.SGD(lin.namedParameters(), { lr: 0.1 }).parameterNames).toEqual(['weight', 'bias']);
    lin.bias = null;
    expect(lin.namedWeights().map(([n]) => n)).toEqual(['weight']);
    expect(Array.from(lin.forward(tg.ones([1, 3])).data)).toEqual([0, 0]);
  });

  it('tied weights are listed once under the first name; one Adam step moves the one tensor', () => {
    class LM extends nn.Module {
      emb = new nn.Embedding(10, 4);
      head = new nn.Linear(4, 10, { bias: false });
      constructor() {
        super();
        this.head.weight = this.emb.weight;
      }
      forward(x: tg.Tensor): tg.Tensor {
        return this.head.forward(this.emb.forward(x));
      }
    }
    const lm = new LM();
    // PyTorch: [n for n, _ in lm.named_parameters()] == ['emb.weight'], 40 parameters.
    expect(lm.namedParameters().map(([n]) => n)).toEqual(['emb.weight']);
    expect(lm.countParams()).toBe(40);
    const before = Array.from(lm.emb.weight.data);
    const opt = new tg.Adam(lm.namedParameters(), { lr: 0.01 });
    tg.sum(lm.forward(new tg.Tensor(Int32Array.from([1, 2]), [2]))).backward();
    opt.step();
    expect(lm.head.weight).toBe(lm.emb.weight);
    expect(Array.from(lm.emb.weight.data)).not.toEqual(before);
  });

  it('a module held in two properties is listed (and visited) once', () => {
    class Sh extends nn.Module {
      a = new nn.Linear(3, 3);
      b = this.a;
      forward(x: tg.Tensor): tg.Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const sh = new Sh();
    expect(sh.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
    expect(sh.countParams()).toBe(12);
    expect(sh.children().map(([k]) => k)).toEqual(['a']);
    expect(new tg.Adam(sh.namedParameters()).parameterNames).toEqual(['a.weight', 'a.bias']);
  });
});

describe('forward arguments', () => {
  it('forward(list) receives the list as one argument', () => {
    class Cat extends nn.Module {
      forward(xs: tg.Tensor[]): tg.Tensor {
        return tg.concat(xs, 1);
      }
    }
    expect(new Cat().forward([tg.ones([2, 3]), tg.zeros([2, 4])]).shape).toEqual([2, 7]);
    class Sum extends nn.Module {
      forward(xs: tg.Tensor[]): tg.Tensor {
        return xs.reduce((a, b) => tg.add(a, b));
      }
    }
    const three = [tg.ones([2]), tg.ones([2]), tg.ones([2])];
    expect(Array.from(new Sum().forward(three).data)).toEqual([3, 3]);
  });

  it('several arguments are still passed one by one (and apply([a, b]) is the call with inputs a, b)', () => {
    class Pair extends nn.Module {
      forward(a: tg.Tensor, b: tg.Tensor): tg.Tensor {
        return tg.sub(a, b);
      }
    }
    const p = new Pair();
    expect(Array.from(p.forward(tg.ones([2]), tg.zeros([2])).data)).toEqual([1, 1]);
    expect(Array.from((p.apply([tg.ones([2]), tg.zeros([2])]) as tg.Tensor).data)).toEqual([1, 1]);
    const lstm = new nn.LSTM(3, 4);
    const h0 = tg.zeros([1, 2, 4]);
    const [out, [hn, cn]] = lstm.forward(tg.ones([5, 2, 3]), [h0, h0]);
    expect([out.shape, hn.shape, cn.shape]).toEqual([
      [5, 2, 4],
      [1, 2, 4],
      [1, 2, 4],
    ]);
  });
});

describe('module.apply(fn) (PyTorch) and Sequential arguments', () => {
  it('runs fn on every sub-module, children first, then the module, and returns the module', () => {
    class N extends nn.Module {
      a = new nn.Linear(2, 2);
      b = new nn.Sequential(new nn.ReLU(), new nn.Linear(2, 2));
      forward(x: tg.Tensor): tg.Tensor {
        return this.b.forward(this.a.forward(x));
      }
    }
    const n = new N();
    const order: string[] = [];
    expect(n.apply((m) => order.push(m.className))).toBe(n);
    // PyTorch: n.apply(lambda m: order.append(type(m).__name__)) gives this order.
    expect(order).toEqual(['Linear', 'ReLU', 'Linear', 'Sequential', 'N']);
    n.apply((m) => {
      if (m instanceof nn.Linear) m.weight.data.fill(0);
    });
    expect(
      n
        .parameters()
        .filter((p) => p.rank === 2)
        .every((p) => p.data.every((v) => v === 0)),
    ).toBe(true);
  });

  it('Sequential refuses an argument that is not a Module, naming its position and what it is', () => {
    throwsA(tg.ValueError, () => new nn.Sequential(((x: tg.Tensor) => x) as never), [
      'Sequential',
      'argument 0',
      'a function',
    ]);
    throwsA(tg.ValueError, () => new nn.Sequential(new nn.ReLU(), [new nn.ReLU()] as never), [
      'argument 1',
      'an array',
      '...modules',
    ]);
    throwsA(tg.ValueError, () => new nn.Sequential(new nn.ReLU(), 3 as never), ['argument 1', 'got 3']);
  });
});
