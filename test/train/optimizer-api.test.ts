// The stateful Optimizer: binding, in-place writes, zeroGrad, applyGradients forms, minimize, state save/load, errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import { refAdam, refSGD } from '../support/naive-optimizers.js';

function param(
  values: number[],
  name: string,
  shape: number[] = [values.length],
  dtype: tg.DType = 'float64',
): tg.Tensor {
  const t = tg.tensor(values, shape, { dtype, requiresGrad: true });
  t.name = name;
  return t;
}

/** loss = Σ cᵢ·pᵢ² over all parameters (gradient 2cᵢpᵢ), c = 1, 2, 3, ... */
function quadLoss(ps: tg.Tensor[]): tg.Tensor {
  let total: tg.Tensor | null = null;
  let k = 1;
  for (const p of ps) {
    const c = tg.tensor(
      Array.from({ length: p.size }, () => k++),
      p.shape,
      { dtype: p.dtype },
    );
    const term = tg.sum(tg.mul(c, tg.square(p)));
    total = total ? tg.add(total, term) : term;
  }
  return total!;
}
const quadGrad = (vals: number[]): number[] => vals.map((v, i) => 2 * (i + 1) * v);

describe('Optimizer binding and stepping', () => {
  it('writes in place: the data array is kept and reshape views see the new values', () => {
    const w = param([1, 2, 3, 4], 'w', [2, 2]);
    const arr = w.data;
    const view = tg.reshape(w, [4]);
    const opt = new tg.SGD([w], { lr: 0.1 });
    quadLoss([w]).backward();
    opt.step();
    expect(w.data).toBe(arr);
    const want = [1, 2, 3, 4].map((v, i) => v - 0.1 * quadGrad([1, 2, 3, 4])[i]);
    expectClose(w.data, want);
    expectClose(view.data, want);
  });

  it('accepts a Tensor[] (names from .name), a record, a map and [name, tensor] pairs', () => {
    const a = param([1], 'a');
    const b = param([2], 'b');
    const forms: tg.ParamsInput[] = [
      [a, b],
      { a, b },
      new Map([
        ['a', a],
        ['b', b],
      ]),
      [
        ['a', a],
        ['b', b],
      ],
    ];
    for (const f of forms) expect(new tg.Adam(f).parameterNames).toEqual(['a', 'b']);
    const anon = tg.tensor([1], [1], { requiresGrad: true });
    expect(new tg.SGD([anon]).parameterNames).toEqual(['param0']);
  });

  it('zeroGrad clears every gradient and step skips parameters without one', () => {
    const a = param([1, 1], 'a');
    const b = param([5], 'b');
    const opt = new tg.SGD([a, b], { lr: 0.5 });
    tg.sum(tg.square(a)).backward();
    opt.step();
    expectClose(a.data, [0, 0]);
    expectClose(b.data, [5]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  it('TF.js-style constructors start unbound; stepping without parameters or gradients throws clear errors', () => {
    const opt = tg.train.adam(0.01);
    expect(opt.parameters).toEqual([]);
    expect(() => opt.step()).toThrow(/no parameters.*setParameters/);
    expect(() => opt.minimize(() => tg.scalar(1))).toThrow(/no parameters/);
    const w = param([1], 'w');
    opt.setParameters([w]);
    expect(() => opt.step()).toThrow(tg.GradError);
    expect(() => opt.step()).toThrow(/no parameter has a gradient.*backward/);
  });

  it('rejects duplicate names, the same tensor twice, int32 parameters and bad hyperparameters', () => {
    const a = param([1], 'a');
    expect(() => new tg.SGD([a, param([2], 'a')])).toThrow(/two parameters are named 'a'/);
    expect(
      () =>
        new tg.SGD([
          ['x', a],
          ['y', a],
        ]),
    ).toThrow(/same tensor as 'x'/);
    expect(() => new tg.SGD([tg.tensor([1], [1], { dtype: 'int32' })])).toThrow(tg.DTypeError);
    expect(() => new tg.Adam([a], { beta1: 1 })).toThrow(/beta1 must be a number in \[0, 1\)/);
    expect(() => new tg.SGD([a], { lr: -1 })).toThrow(/learning rate/);
    expect(() => new tg.SGD([a], { nesterov: true })).toThrow(/Nesterov/);
    expect(() => new tg.RMSprop([a], { convention: 'torch' as never })).toThrow(/convention/);
    expect(() => new tg.SGD([a], { clipNorm: 0 })).toThrow(/clipNorm/);
  });

  it('checks gradient shapes and casts gradient dtype to the parameter dtype', () => {
    const w = param([1, 2], 'w', [2], 'float32');
    const opt = new tg.SGD([w], { lr: 0.5 });
    expect(() => opt.applyGradients({ w: tg.tensor([1, 2, 3]) })).toThrow(
      /has shape \[3\] but the parameter has shape \[2\]/,
    );
    opt.applyGradients({ w: tg.tensor([1, 1], [2], { dtype: 'float64' }) });
    expect(w.dtype).toBe('float32');
    expectClose(w.data, [0.5, 1.5]);
  });

  it('refuses an update that would make a parameter non-finite and leaves every parameter untouched', () => {
    const a = param([1], 'a');
    const b = param([1], 'b');
    const opt = new tg.SGD([a, b], { lr: 1 });
    expect(() =>
      opt.applyGradients({
        a: tg.tensor([1], [1], { dtype: 'float64' }),
        b: tg.tensor([NaN], [1], { dtype: 'float64' }),
      }),
    ).toThrow(/parameter 'b' non-finite/);
    expect([a.data[0], b.data[0], opt.iterations]).toEqual([1, 1, 0]);
  });

  it('learningRate reads the schedule at the current step and can be replaced between steps', () => {
    const w = param([1], 'w');
    const opt = new tg.SGD([w], { lr: (k) => 1 / (k + 1) });
    expect(opt.learningRate).toBe(1);
    opt.applyGradients({ w: tg.tensor([1], [1], { dtype: 'float64' }) });
    expect(opt.learningRate).toBe(0.5);
    opt.learningRate = 0.25;
    opt.applyGradients({ w: tg.tensor([1], [1], { dtype: 'float64' }) });
    expectClose(w.data, [1 - 1 - 0.25]);
    expect(() => (opt.learningRate = NaN)).toThrow(/learning rate/);
  });
});

describe('applyGradients and minimize', () => {
  it('all gradient forms give the same update as step()', () => {
    const start = [0.3, -0.7];
    const g = quadGrad(start);
    const gt = () => tg.tensor(g, [2], { dtype: 'float64' });
    const results: number[][] = [];
    const forms = (w: tg.Tensor): tg.GradientsInput[] => [
      { w: gt() },
      new Map([['w', gt()]]),
      [{ name: 'w', tensor: gt() }],
      [[gt(), w]],
    ];
    for (let k = 0; k < 4; k++) {
      const w = param(start, 'w');
      new tg.Adam([w], { lr: 0.1 }).applyGradients(forms(w)[k]);
      results.push([...w.data]);
    }
    const w = param(start, 'w');
    const opt = new tg.Adam([w], { lr: 0.1 });
    quadLoss([w]).backward();
    opt.step();
    for (const r of results) expectClose(r, [...w.data]);
    expect(w.grad).not.toBeNull();
  });

  it('[gradient, variable] pairs bind unknown variables on first use (Keras apply_gradients)', () => {
    const v = param([1, 2], 'v');
    const opt = new tg.SGD(undefined, { lr: 0.1 });
    opt.applyGradients([[tg.tensor([1, 1], [2], { dtype: 'float64' }), v]]);
    expect(opt.parameterNames).toEqual(['v']);
    expectClose(v.data, [0.9, 1.9]);
    expect(() => opt.applyGradients({ nope: tg.tensor([1]) })).toThrow(
      /no parameter named 'nope' \(bound: v\)/,
    );
    expect(() => opt.applyGradients([])).toThrow(/no gradients/);
    const g = tg.tensor([1, 1], [2], { dtype: 'float64' });
    expect(() =>
      opt.applyGradients([
        { name: 'v', tensor: g },
        { name: 'v', tensor: g },
      ]),
    ).toThrow(/'v' got two gradients/);
  });

  it('minimize differentiates f and matches a reference Adam trajectory, without touching .grad', () => {
    const start = [0.4, -1.2, 2];
    const w = param(start, 'w');
    const opt = tg.train.adam(0.1);
    opt.setParameters([w]);
    const ref = start.slice();
    const step = refAdam(3, { eps: 1e-7 });
    for (let t = 1; t <= 4; t++) {
      const cost = opt.minimize(() => quadLoss([w]), true);
      const want = ref.reduce((s, v, i) => s + (i + 1) * v * v, 0);
      expect(cost!.item()).toBeCloseTo(want, 12);
      step(ref, quadGrad(ref), t, 0.1);
      expectClose(w.data, ref);
    }
    expect(w.grad).toBeNull();
    expect(opt.minimize(() => quadLoss([w]))).toBeNull();
  });

  it('minimize errors: non-scalar loss, loss independent of the variables, variables without requiresGrad', () => {
    const w = param([1, 2], 'w');
    const opt = new tg.SGD([w]);
    expect(() => opt.minimize(() => tg.square(w))).toThrow(/scalar/);
    expect(() => opt.minimize(() => tg.scalar(3))).toThrow(/does not depend/);
    const frozen = tg.tensor([1], [1]);
    expect(() => opt.minimize(() => tg.sum(w), false, [frozen])).toThrow(/requiresGrad/);
  });
});

describe('checkpoint state', () => {
  function train(opt: tg.Optimizer, ps: tg.Tensor[], steps: number): void {
    for (let s = 0; s < steps; s++) {
      opt.zeroGrad();
      quadLoss(ps).backward();
      opt.step();
    }
  }
  const makers: [string, (ps: tg.Tensor[]) => tg.Optimizer][] = [
    ['adam', (ps) => new tg.Adam(ps, { lr: 0.05, amsgrad: true })],
    ['sgd', (ps) => new tg.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.2 })],
    ['rmsprop', (ps) => new tg.RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true })],
    ['adagrad', (ps) => new tg.Adagrad(ps, { lr: 0.1, lrDecay: 0.1 })],
    ['adamw', (ps) => new tg.AdamW(ps, { lr: 0.05 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: save after 3 steps, load into a fresh optimizer, continue identically to an uninterrupted run`, () => {
      const full = [param([0.5, -1], 'dense.kernel'), param([0.2], 'dense.bias')];
      train(make(full), full, 6);

      const first = [param([0.5, -1], 'dense.kernel'), param([0.2], 'dense.bias')];
      const optA = make(first);
      train(optA, first, 3);
      const saved = optA.getState();
      // a checkpoint writer would turn tensors into plain numbers and back
      const onDisk = Object.fromEntries(
        Object.entries(saved).map(([k, t]) => [k, { shape: [...t.shape], values: Array.from(t.data) }]),
      );
      const loaded = Object.fromEntries(
        Object.entries(onDisk).map(([k, v]) => [k, tg.tensor(v.values, v.shape, { dtype: 'float64' })]),
      );
      const resumed = [param([...first[0].data], 'dense.kernel'), param([...first[1].data], 'dense.bias')];
      const optB = make(resumed);
      optB.setState(loaded);
      expect(optB.iterations).toBe(3);
      train(optB, resumed, 3);
      expect([...resumed[0].data, ...resumed[1].data]).toEqual([...full[0].data, ...full[1].data]);
    });
  }

  it('uses names like adam/dense.kernel/m plus adam/dense.kernel/step and adam/iterations, and copies values', () => {
    const w = param([1, 2], 'dense.kernel');
    const opt = new tg.Adam([w], { lr: 0.1 });
    quadLoss([w]).backward();
    opt.step();
    const s = opt.getState();
    expect(Object.keys(s).sort()).toEqual([
      'adam/dense.kernel/m',
      'adam/dense.kernel/step',
      'adam/dense.kernel/v',
      'adam/iterations',
    ]);
    expect(s['adam/iterations'].dtype).toBe('int32');
    expect(s['adam/iterations'].item()).toBe(1);
    expect(s['adam/dense.kernel/step'].dtype).toBe('int32');
    expect(s['adam/dense.kernel/step'].item()).toBe(1);
    // m after one step = (1 - β₁)·g
    expectClose(
      s['adam/dense.kernel/m'].data,
      quadGrad([1, 2]).map((g) => 0.1 * g),
    );
    s['adam/dense.kernel/m'].data[0] = 99;
    expect(opt.getState()['adam/dense.kernel/m'].data[0]).not.toBe(99);
  });

  it('setState is strict: missing keys, wrong shapes, unknown keys and another optimizer kind are errors', () => {
    const w = param([1, 2], 'w');
    const opt = new tg.Adam([w]);
    const good = opt.getState();
    const without = { ...good };
    delete without['adam/w/v'];
    expect(() => opt.setState(without)).toThrow(/missing 'adam\/w\/v'/);
    const noStep = { ...good };
    delete noStep['adam/w/step'];
    expect(() => opt.setState(noStep)).toThrow(/missing 'adam\/w\/step'/);
    expect(() => opt.setState({ ...good, 'adam/w/step': tg.scalar(2, 'int32') })).toThrow(
      /'adam\/w\/step' must be an integer in \[0, 0\]/,
    );
    expect(() => opt.setState({ ...good, 'adam/w/m': tg.zeros([3], { dtype: 'float64' }) })).toThrow(
      /has shape \[3\], expected \[2\]/,
    );
    expect(() => opt.setState({ ...good, 'adam/other/m': tg.zeros([2]) })).toThrow(
      /unexpected keys adam\/other\/m/,
    );
    expect(() => opt.setState(new tg.SGD([param([1, 2], 'w')], { momentum: 0.9 }).getState())).toThrow(
      /missing 'adam\/iterations'/,
    );
  });

  it('setParameters keeps the state of parameters with the same name and shape', () => {
    const w = param([1, 2], 'w');
    const opt = new tg.SGD([w], { lr: 0.1, momentum: 0.9 });
    quadLoss([w]).backward();
    opt.step();
    const before = opt.getState()['sgd/w/momentum'];
    opt.setParameters([w, param([3], 'extra')]);
    expect(Array.from(opt.getState()['sgd/w/momentum'].data)).toEqual(Array.from(before.data));
    expect(Array.from(opt.getState()['sgd/extra/momentum'].data)).toEqual([0]);
  });
});

describe('clipping inside the optimizer', () => {
  const g = [3, -4, 12]; // norm 13
  it('globalClipNorm rescales all gradients together before the update', () => {
    const a = param([0, 0], 'a');
    const b = param([0], 'b');
    const opt = new tg.SGD([a, b], { lr: 1, globalClipNorm: 6.5 });
    opt.applyGradients({
      a: tg.tensor(g.slice(0, 2), [2], { dtype: 'float64' }),
      b: tg.tensor([g[2]], [1], { dtype: 'float64' }),
    });
    expectClose(
      [...a.data, ...b.data],
      g.map((v) => -v * 0.5),
    );
  });
  it('clipNorm rescales each gradient separately; clipValue clamps elements', () => {
    const a = param([0, 0], 'a');
    const b = param([0], 'b');
    new tg.SGD([a, b], { lr: 1, clipNorm: 2.5 }).applyGradients({
      a: tg.tensor([3, -4], [2], { dtype: 'float64' }),
      b: tg.tensor([1], [1], { dtype: 'float64' }),
    });
    expectClose([...a.data, ...b.data], [-1.5, 2, -1]);
    const c = param([0, 0, 0], 'c');
    new tg.SGD([c], { lr: 1, clipValue: 3.5 }).applyGradients({ c: tg.tensor(g, [3], { dtype: 'float64' }) });
    expectClose(c.data, [-3, 3.5, -3.5]);
  });
  it('clipping happens before the L2 weight decay term (PyTorch order)', () => {
    const w = param([2], 'w');
    new tg.SGD([w], { lr: 1, clipValue: 1, weightDecay: 0.5 }).applyGradients({
      w: tg.tensor([10], [1], { dtype: 'float64' }),
    });
    const p = [2];
    refSGD(1, { wd: 0.5 })(p, [1], 1, 1);
    expectClose(w.data, p);
  });
});

describe('pure update rules (optax / MLX apply_single style)', () => {
  it('init/update take and return tensors, mutate nothing, never record, and match the reference', () => {
    const rule = tg.adamRule({ lr: 0.1, amsgrad: true });
    const p0 = param([0.5, -1, 2], 'p');
    let p = p0;
    let s = rule.init(p);
    expect(Object.keys(s).sort()).toEqual(['m', 'v', 'vMax']);
    const ref = [0.5, -1, 2];
    const step = refAdam(3, { amsgrad: true });
    for (let t = 1; t <= 3; t++) {
      const g = tg.mul(p, 2); // recorded on purpose: update must still not record
      const before = { p: Array.from(p.data), m: Array.from(s.m.data) };
      const r = rule.update(g, p, s, t);
      expect(Array.from(p.data)).toEqual(before.p);
      expect(Array.from(s.m.data)).toEqual(before.m);
      expect(r.param.requiresGrad).toBe(false);
      expect(r.param.node).toBeNull();
      step(
        ref,
        ref.map((v) => 2 * v),
        t,
        0.1,
      );
      expectClose(r.param.data, ref);
      p = r.param;
      s = r.state;
    }
    expect(Array.from(p0.data)).toEqual([0.5, -1, 2]);
  });

  it('every rule keeps the parameter dtype in float32', () => {
    const rules = [
      tg.sgdRule({ momentum: 0.9 }),
      tg.adamRule(),
      tg.adamRule({}, true),
      tg.rmspropRule({ centered: true, momentum: 0.5 }),
      tg.adagradRule(),
    ];
    for (const r of rules) {
      const p = tg.tensor([1, -2], [2]);
      const out = r.update(tg.tensor([0.5, 0.5], [2]), p, r.init(p), 1);
      expect(out.param.dtype, r.name).toBe('float32');
      for (const [k, v] of Object.entries(out.state)) expect(v.dtype, `${r.name}/${k}`).toBe('float32');
    }
  });
});

describe('clipping options', () => {
  it('only one of clipValue, clipNorm and globalClipNorm (Keras 3), each a positive finite number', () => {
    expect(() => new tg.SGD(undefined, { lr: 0.1, clipValue: 1, clipNorm: 1 })).toThrow(
      'sgd: only one of clipValue, clipNorm and globalClipNorm can be set, got clipValue, clipNorm',
    );
    expect(() => new tg.Adam(undefined, { clipNorm: 1, globalClipNorm: 2 })).toThrow(/only one of clipValue/);
    expect(() => new tg.SGD(undefined, { lr: 0.1, clipNorm: '1' as never })).toThrow(
      "sgd: clipNorm must be a positive finite number, got a string '1'",
    );
    expect(() => new tg.SGD(undefined, { lr: 0.1, globalClipNorm: Infinity })).toThrow(
      'sgd: globalClipNorm must be a positive finite number, got Infinity',
    );
    expect(new tg.SGD(undefined, { lr: 0.1, clipNorm: 1 }).clip.clipNorm).toBe(1);
  });
});
