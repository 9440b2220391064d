// Hook timing (tensor hooks, layer forward / forward-pre / backward hooks, however the layer is run) and
// tg.checkNumerics through a model: the forward names op, layer scope, call site and input statistics; the
// backward names the op whose gradient went bad.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const arr = (t: tg.Tensor) => Array.from(t.data);

/** y = log(x): the layer whose input may go negative. */
class LogLayer extends tg.Layer {
  static override className = 'LogLayer';
  call(x: tg.Tensor): tg.Tensor {
    return tg.log(x);
  }
}

describe('tensor hooks', () => {
  it('a hook sees the complete gradient of a tensor used twice, and its return value replaces it', () => {
    const x = tg.tensor([1, 2, 3], undefined, { requiresGrad: true });
    const h = tg.mul(x, 2);
    const seen: number[][] = [];
    h.registerHook((g) => {
      seen.push(arr(g));
      return tg.mul(g, 10);
    });
    tg.add(tg.sum(h), tg.sum(tg.mul(h, h))).backward(); // dL/dh = 1 + 2h
    expect(seen).toEqual([[5, 9, 13]]);
    expect(arr(x.grad!)).toEqual([100, 180, 260]); // 10·(1+2h)·2
  });

  it('removing a hook stops it', () => {
    const x = tg.tensor([1], undefined, { requiresGrad: true });
    let calls = 0;
    const off = x.registerHook(() => void calls++);
    tg.mul(x, 3).sum().backward();
    off();
    tg.mul(x, 3).sum().backward();
    expect(calls).toBe(1);
  });
});

describe('layer hooks: timing', () => {
  it('forward-pre runs before the call (can replace the input), forward after it (can replace the output)', () => {
    const d = new tg.Dense({ units: 2, kernelInitializer: 'ones' });
    const log: string[] = [];
    d.registerForwardPreHook((_l, x) => {
      log.push(`pre ${(x as tg.Tensor).shape}`);
      return tg.mul(x as tg.Tensor, 2);
    });
    d.registerForwardHook((_l, x, y) => {
      log.push(`post in=${arr(x as tg.Tensor)} out=${arr(y as tg.Tensor)}`);
      return tg.add(y as tg.Tensor, 100);
    });
    const y = d.apply(tg.tensor([[1, 2]])) as tg.Tensor;
    expect(log).toEqual(['pre 1,2', 'post in=2,4 out=6,6']);
    expect(arr(y)).toEqual([106, 106]);
  });

  it('backward hook: called once with the complete output gradient, before it flows to the inputs; param .grad appears after the walk', () => {
    const d = new tg.Dense({ units: 3 });
    const x = tg.randn([2, 4]).requireGrad();
    const events: string[] = [];
    x.registerHook(() => void events.push('input gradient'));
    d.registerBackwardHook((_l, g) => {
      events.push(`layer output gradient ${g.shape}; kernel.grad ${d.kernel.grad === null ? 'null' : 'set'}`);
      expect(arr(g)).toEqual(arr(tg.add(tg.mul(tg.ones([2, 3]), 3), 0))); // d/dy [sum(y) + sum(2y)] = 3
    });
    const y = d.apply(x) as tg.Tensor;
    tg.add(tg.sum(y), tg.sum(tg.mul(y, 2))).backward(); // y used twice: the hook still fires once, with 1 + 2
    expect(events).toEqual(['layer output gradient 2,3; kernel.grad null', 'input gradient']);
    expect(d.kernel.grad).not.toBeNull();
  });

  it('a backward hook can rescale the gradient that reaches the inputs', () => {
    const d = new tg.Dense({ units: 2, useBias: false, kernelInitializer: 'ones' });
    const x = tg.tensor([[1, 1]], undefined, { requiresGrad: true });
    tg.sum(d.apply(x) as tg.Tensor).backward();
    const plain = arr(x.grad!);
    x.zeroGrad();
    d.registerBackwardHook((_l, g) => tg.mul(g, 0.5));
    tg.sum(d.apply(x) as tg.Tensor).backward();
    expect(arr(x.grad!)).toEqual(plain.map((v) => v / 2));
  });
});

describe('layer hooks fire however the layer is run', () => {
  const counter = (l: tg.Layer) => {
    const c = { fwd: 0, bwd: 0 };
    l.registerForwardHook(() => void c.fwd++);
    l.registerBackwardHook(() => void c.bwd++);
    return c;
  };

  it('apply and call', () => {
    const d = new tg.Dense({ units: 2 });
    const c = counter(d);
    tg.sum(d.apply(tg.randn([1, 3])) as tg.Tensor).backward();
    tg.sum(d.call(tg.randn([1, 3])) as tg.Tensor).backward();
    expect(c).toEqual({ fwd: 2, bwd: 2 });
  });

  it('inside a Sequential, through fit', async () => {
    const d = new tg.Dense({ units: 2 });
    const m = new tg.Sequential({ layers: [new tg.Dense({ units: 3, inputShape: [4] }), d] });
    m.buildModel([null, 4]);
    const c = counter(d);
    tg.sum(m.apply(tg.randn([2, 4])) as tg.Tensor).backward();
    expect(c).toEqual({ fwd: 1, bwd: 1 });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await m.fit(tg.randn([8, 4]), tg.randn([8, 2]), { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    expect(c).toEqual({ fwd: 3, bwd: 3 }); // two batches: two forwards, two backwards
  });

  it('inside a functional model (hooks registered after the graph was built)', () => {
    const inp = tg.input({ shape: [3] });
    const d = new tg.Dense({ units: 2 });
    const m = tg.model({ inputs: inp, outputs: d.apply(inp) as tg.SymbolicTensor });
    const c = counter(d);
    tg.sum(m.apply(tg.randn([2, 3])) as tg.Tensor).backward();
    expect(c).toEqual({ fwd: 1, bwd: 1 });
  });

  it('a Module run through forward(), apply() and inside tg.nn.Sequential', () => {
    class Net extends tg.Module {
      fc = new tg.nn.Linear(3, 2);
      forward(x: tg.Tensor): tg.Tensor {
        return tg.relu(this.fc.forward(x));
      }
    }
    const net = new Net();
    const outer = counter(net);
    const inner = counter(net.fc);
    tg.sum(net.forward(tg.randn([1, 3]))).backward();
    tg.sum(net.apply(tg.randn([1, 3])) as tg.Tensor).backward();
    const seq = new tg.nn.Sequential(net, new tg.nn.Linear(2, 1));
    tg.sum(seq.forward(tg.randn([1, 3]))).backward();
    expect(outer).toEqual({ fwd: 3, bwd: 3 });
    expect(inner).toEqual({ fwd: 3, bwd: 3 });
  });
});

describe('checkNumerics through a model', () => {
  afterEach(() => tg.checkNumerics(false));

  function model() {
    const m = new tg.Sequential({
      layers: [
        new tg.Dense({ units: 2, inputShape: [2], kernelInitializer: 'ones', biasInitializer: 'zeros' }),
        new LogLayer({ name: 'log_layer' }),
      ],
    });
    m.buildModel([null, 2]);
    return m;
  }

  it('off: a negative input to log silently gives NaN', () => {
    const y = model().predict(tg.tensor([[-1, -2]])) as tg.Tensor;
    expect(Number.isNaN(y.data[0])).toBe(true);
  });

  it('on: the forward stops at log, naming the layer scope, the call site and the input statistics', () => {
    const m = model();
    tg.checkNumerics(true);
    let err: unknown;
    try {
      m.predict(tg.tensor([[-1, -2]]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(tg.NumericsError);
    const msg = (err as Error).message;
    expect(msg).toContain("checkNumerics: 'log' in ");
    expect(msg).toContain('/log_layer');
    expect(msg).toContain('from finite inputs');
    expect(msg).toMatch(/inputs: \[1,2\] float32 min=-3 max=-3 mean=-3/);
    expect(msg).toMatch(/called .*hooks-numerics\.test\.ts/);
  });

  it('on: a gradient that goes bad names the op in backward (sqrt at 0: finite forward, infinite slope)', () => {
    const x = tg.tensor([0, 4], undefined, { requiresGrad: true });
    tg.checkNumerics(true);
    expect(() => tg.withScope('my_layer', () => tg.sum(tg.sqrt(x))).backward()).toThrow(
      /backward: computing the gradient of 'sqrt' \(in my_layer\): checkNumerics: 'div' produced a non-finite value at index 0 from finite inputs/,
    );
  });

  it('off: backward still refuses a non-finite gradient and points to checkNumerics', () => {
    const x = tg.tensor([0, 4], undefined, { requiresGrad: true });
    expect(() => tg.sum(tg.sqrt(x)).backward()).toThrow(
      /contains NaN or Inf; run with tg\.checkNumerics\(true\)/,
    );
  });
});
