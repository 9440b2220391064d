// PyTorch-style modules (tg.nn.Linear, Conv2d, Conv1d, MaxPool2d, AvgPool2d, Flatten, Sequential) against plain loops in
// PyTorch layouts; float64 gradchecks; parameter discovery and naming; train()/eval(); zeroGrad; init; errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';
import { expectThrowsWith, withWeights } from '../support/layers.js';

const nn = tg.nn;
const rnd = (shape: number[], seed: number, dtype: tg.DType = 'float32') =>
  tg.tensor(
    uniform(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
    { dtype },
  );
const at = (t: tg.Tensor, ...idx: number[]) => t.data[idx.reduce((acc, v, i) => acc * t.shape[i] + v, 0)];

/**
 * PyTorch Conv2d by definition, NCHW input [n,c,h,w], weight [o, c/g, kh, kw], symmetric zero padding (ph, pw):
 * y[b,f,i,j] = bias[f] + Σ_{ci,ky,kx} x[b, g·cg + ci, i·sh − ph + ky·dh, j·sw − pw + kx·dw] · W[f, ci, ky, kx].
 */
function conv2dNCHW(
  x: tg.Tensor,
  w: tg.Tensor,
  b: tg.Tensor | null,
  s: [number, number],
  p: [number, number],
  d: [number, number],
  groups: number,
): { data: number[]; shape: number[] } {
  const [n, , h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out: number[] = [];
  for (let bi = 0; bi < n; bi++)
    for (let f = 0; f < o; f++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const g = Math.floor(f / (o / groups));
          let acc = b ? b.data[f] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const yy = i * s[0] - p[0] + ky * d[0];
                const xx = j * s[1] - p[1] + kx * d[1];
                if (yy >= 0 && yy < h && xx >= 0 && xx < wd)
                  acc += at(x, bi, g * cg + ci, yy, xx) * at(w, f, ci, ky, kx);
              }
          out.push(acc);
        }
  return { data: out, shape: [n, o, oh, ow] };
}

/** PyTorch MaxPool2d / AvgPool2d by definition (NCHW, floor mode); padding is −∞ for max, zeros for the average. */
function pool2dNCHW(
  x: tg.Tensor,
  kind: 'max' | 'avg',
  k: number,
  s: number,
  p: number,
  countIncludePad: boolean,
): { data: number[]; shape: number[] } {
  const [n, c, h, w] = x.shape;
  const oh = Math.floor((h + 2 * p - k) / s) + 1;
  const ow = Math.floor((w + 2 * p - k) / s) + 1;
  const out: number[] = [];
  for (let bi = 0; bi < n; bi++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const yy = i * s - p + ky;
              const xx = j * s - p + kx;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              const v = at(x, bi, ch, yy, xx);
              best = Math.max(best, v);
              sum += v;
              count++;
            }
          out.push(kind === 'max' ? best : sum / (countIncludePad ? k * k : count));
        }
  return { data: out, shape: [n, c, oh, ow] };
}

const expectRef = (y: tg.Tensor, ref: { data: number[]; shape: number[] }, what: string) => {
  expect(y.shape, `${what}: shape`).toEqual(ref.shape);
  expectClose(y.data, ref.data, { rtol: 1e-5, atol: 1e-6 }, what);
};

describe('tg.nn modules against plain loops (PyTorch layouts)', () => {
  it('Linear: y = x·Wᵀ + b with W [out, in]; no bias; rank-3 input applies to the last axis', () => {
    const lin = new nn.Linear(4, 3);
    expect(lin.weight.shape).toEqual([3, 4]);
    expect(lin.bias!.shape).toEqual([3]);
    const x = rnd([2, 5, 4], 1);
    const y = lin.forward(x);
    const ref: number[] = [];
    for (let r = 0; r < 10; r++)
      for (let o = 0; o < 3; o++)
        ref.push(
          lin.bias!.data[o] +
            [0, 1, 2, 3].reduce((s, i) => s + x.data[r * 4 + i] * lin.weight.data[o * 4 + i], 0),
        );
    expect(y.shape).toEqual([2, 5, 3]);
    expectClose(y.data, ref, { rtol: 1e-5, atol: 1e-6 }, 'Linear');
    const nb = new nn.Linear(4, 2, { bias: false });
    expect(nb.bias).toBeNull();
    expect(nb.namedParameters().map(([n]) => n)).toEqual(['weight']);
  });

  const convCases: [
    string,
    ConstructorParameters<typeof nn.Conv2d>,
    number[],
    [number, number],
    [number, number],
    [number, number],
  ][] = [
    ['3x3, no padding', [2, 3, 3], [2, 2, 6, 5], [1, 1], [0, 0], [1, 1]],
    ['stride 2, padding 1', [2, 4, 3, { stride: 2, padding: 1 }], [1, 2, 7, 6], [2, 2], [1, 1], [1, 1]],
    [
      '(2,3) kernel, stride (1,2), padding (1,0), dilation 2',
      [3, 2, [2, 3], { stride: [1, 2], padding: [1, 0], dilation: 2 }],
      [1, 3, 7, 9],
      [1, 2],
      [1, 0],
      [2, 2],
    ],
    ['groups 2, no bias', [4, 6, 3, { groups: 2, bias: false }], [1, 4, 5, 5], [1, 1], [0, 0], [1, 1]],
  ];
  for (const [what, args, xShape, s, p, d] of convCases)
    it(`Conv2d ${what}`, () => {
      const conv = new nn.Conv2d(...args);
      const [cin, cout, k] = args;
      const [kh, kw] = typeof k === 'number' ? [k, k] : k;
      expect(conv.weight.shape).toEqual([cout, cin / (args[3]?.groups ?? 1), kh, kw]);
      const x = rnd(xShape, 2);
      expectRef(
        conv.forward(x),
        conv2dNCHW(x, conv.weight, conv.bias, s, p, d, args[3]?.groups ?? 1),
        `Conv2d ${what}`,
      );
    });

  it("Conv2d padding 'same' (odd and even kernels) and 'valid'", () => {
    const x = rnd([1, 2, 6, 7], 3);
    for (const k of [3, 4]) {
      const conv = new nn.Conv2d(2, 3, k, { padding: 'same' });
      const y = conv.forward(x);
      expect(y.shape).toEqual([1, 3, 6, 7]);
      // PyTorch 'same': total padding d·(k−1), the left/top side gets the floor of half.
      const big = tg.pad(x, [
        [0, 0],
        [0, 0],
        [Math.floor((k - 1) / 2), Math.ceil((k - 1) / 2)],
        [Math.floor((k - 1) / 2), Math.ceil((k - 1) / 2)],
      ]);
      expectRef(y, conv2dNCHW(big, conv.weight, conv.bias, [1, 1], [0, 0], [1, 1], 1), `same k=${k}`);
    }
    const v = new nn.Conv2d(2, 3, 3, { padding: 'valid' });
    expectRef(v.forward(x), conv2dNCHW(x, v.weight, v.bias, [1, 1], [0, 0], [1, 1], 1), 'valid');
  });

  it('Conv1d: NCW with weight [out, in/groups, k]; stride, padding, dilation, groups', () => {
    for (const [opts, cin] of [
      [{}, 2],
      [{ stride: 2, padding: 2, dilation: 2 }, 2],
      [{ groups: 2, bias: false }, 4],
    ] as const) {
      const conv = new nn.Conv1d(cin, 4, 3, opts);
      expect(conv.weight.shape).toEqual([4, cin / ((opts as { groups?: number }).groups ?? 1), 3]);
      const x = rnd([2, cin, 9], 4);
      const o = opts as { stride?: number; padding?: number; dilation?: number; groups?: number };
      // A 1-D conv is the 2-D conv with a height-1 image and kernel.
      const x4 = tg.reshape(x, [2, cin, 1, 9]);
      const w4 = tg.reshape(conv.weight, [4, conv.weight.shape[1], 1, 3]);
      const ref = conv2dNCHW(
        x4,
        w4,
        conv.bias,
        [1, o.stride ?? 1],
        [0, o.padding ?? 0],
        [1, o.dilation ?? 1],
        o.groups ?? 1,
      );
      expectRef(
        conv.forward(x),
        { data: ref.data, shape: [ref.shape[0], ref.shape[1], ref.shape[3]] },
        `Conv1d ${JSON.stringify(opts)}`,
      );
    }
  });

  it('MaxPool2d: stride defaults to the kernel; padding never wins', () => {
    const x = rnd([2, 3, 7, 6], 5);
    expectRef(new nn.MaxPool2d(2).forward(x), pool2dNCHW(x, 'max', 2, 2, 0, false), 'MaxPool2d(2)');
    expectRef(
      new nn.MaxPool2d(3, 2, 1).forward(x),
      pool2dNCHW(x, 'max', 3, 2, 1, false),
      'MaxPool2d(3, 2, 1)',
    );
    const neg = tg.sub(x, 5);
    expectRef(
      new nn.MaxPool2d(3, 1, 1).forward(neg),
      pool2dNCHW(neg, 'max', 3, 1, 1, false),
      'MaxPool2d on negatives with padding',
    );
  });

  it('AvgPool2d counts padded zeros by default (countIncludePad true), or not when asked', () => {
    const x = rnd([1, 2, 5, 5], 6);
    expectRef(new nn.AvgPool2d(2).forward(x), pool2dNCHW(x, 'avg', 2, 2, 0, true), 'AvgPool2d(2)');
    expectRef(
      new nn.AvgPool2d(3, 2, 1).forward(x),
      pool2dNCHW(x, 'avg', 3, 2, 1, true),
      'AvgPool2d(3, 2, 1)',
    );
    expectRef(
      new nn.AvgPool2d(3, 2, 1, false, false).forward(x),
      pool2dNCHW(x, 'avg', 3, 2, 1, false),
      'countIncludePad false',
    );
    // The corner of a ones image with padding 1: 4 real of 9 → 4/9 (PyTorch default), 1 without the padding.
    const ones = tg.ones([1, 1, 3, 3]);
    expect((new nn.AvgPool2d(3, 2, 1).forward(ones) as tg.Tensor).data[0]).toBeCloseTo(4 / 9, 6);
    expect((new nn.AvgPool2d(3, 2, 1, false, false).forward(ones) as tg.Tensor).data[0]).toBeCloseTo(1, 6);
  });

  it('Flatten keeps the batch axis (C, H, W order); startDim moves the cut', () => {
    const x = rnd([2, 3, 2, 2], 7);
    const y = new nn.Flatten().forward(x);
    expect(y.shape).toEqual([2, 12]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    expect(new nn.Flatten(2).forward(x).shape).toEqual([2, 3, 4]);
  });

  it('Sequential chains modules: conv → ReLU → pool → flatten → linear equals the loops composed', () => {
    const seq = new nn.Sequential(
      new nn.Conv2d(1, 2, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(2 * 3 * 3, 4),
    );
    const x = rnd([2, 1, 6, 6], 8);
    const [conv, , , , lin] = [...seq] as [tg.nn.Conv2d, unknown, unknown, unknown, tg.nn.Linear];
    const c = conv2dNCHW(x, conv.weight, conv.bias, [1, 1], [1, 1], [1, 1], 1);
    const r = tg.tensor(
      c.data.map((v) => Math.max(v, 0)),
      c.shape,
    );
    const p = pool2dNCHW(r, 'max', 2, 2, 0, false);
    const ref: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let o = 0; o < 4; o++)
        ref.push(
          lin.bias!.data[o] +
            Array.from({ length: 18 }, (_, i) => p.data[b * 18 + i] * lin.weight.data[o * 18 + i]).reduce(
              (a, v) => a + v,
              0,
            ),
        );
    expectRef(seq.forward(x), { data: ref, shape: [2, 4] }, 'Sequential');
  });
});

describe('gradcheck of tg.nn modules (float64, w.r.t. input and parameters)', () => {
  const cases: [string, () => tg.Module, number[]][] = [
    ['Linear', () => new nn.Linear(4, 3), [2, 4]],
    [
      'Conv2d stride 2 padding 1 groups 2',
      () => new nn.Conv2d(4, 2, 3, { stride: 2, padding: 1, groups: 2 }),
      [1, 4, 5, 5],
    ],
    ['Conv1d dilation 2', () => new nn.Conv1d(2, 3, 3, { dilation: 2, padding: 1 }), [2, 2, 8]],
    ['MaxPool2d', () => new nn.MaxPool2d(2, 1), [1, 2, 4, 4]],
    ['AvgPool2d padded', () => new nn.AvgPool2d(3, 2, 1), [1, 2, 5, 5]],
    [
      'Sequential',
      () => new nn.Sequential(new nn.Conv2d(1, 2, 2), new nn.Tanh(), new nn.Flatten(), new nn.Linear(18, 2)),
      [2, 1, 4, 4],
    ],
  ];
  cases.forEach(([what, make, shape], i) =>
    it(what, () => {
      const m = make();
      const x = rnd(shape, 20 + i, 'float64');
      const ws = m
        .getWeights()
        .map((w) => tg.tensor(Float64Array.from(w.data), w.shape, { dtype: 'float64' }));
      const res = tg.gradcheck(
        (xi, ...wi) => withWeights(m, wi, () => m.forward(xi) as tg.Tensor),
        [x, ...ws],
        { atol: 1e-6, rtol: 1e-5, mode: 'full' },
      );
      expect(res.ok, `${what}: ${JSON.stringify(res.worst)}`).toBe(true);
    }),
  );
});

describe('Module parameters, modes and gradients', () => {
  class Block extends nn.Module {
    conv = new nn.Conv2d(2, 2, 3, { padding: 1 });
    drop = new nn.Dropout(0.5);
    forward(x: tg.Tensor): tg.Tensor {
      return this.drop.forward(tg.relu(this.conv.forward(x)));
    }
  }
  class Net extends nn.Module {
    stem = new nn.Conv2d(1, 2, 3);
    block = new Block();
    head = new nn.Sequential(new nn.Flatten(), new nn.Linear(8, 2));
    forward(x: tg.Tensor): tg.Tensor {
      return this.head.forward(this.block.forward(this.stem.forward(x)));
    }
  }

  it("names parameters by property path: nn.Sequential children by index ('0.weight'), nested modules 'block.conv.weight'", () => {
    const seq = new nn.Sequential(
      new nn.Conv2d(1, 2, 3),
      new nn.ReLU(),
      new nn.Flatten(),
      new nn.Linear(8, 3),
    );
    expect(seq.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
      ['0.weight', [2, 1, 3, 3]],
      ['0.bias', [2]],
      ['3.weight', [3, 8]],
      ['3.bias', [3]],
    ]);
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'stem.weight',
      'stem.bias',
      'block.conv.weight',
      'block.conv.bias',
      'head.1.weight',
      'head.1.bias',
    ]);
    const nested = new nn.Sequential(new nn.Linear(3, 4), new nn.Sequential(new nn.Linear(4, 2)));
    expect(nested.namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '1.0.weight',
      '1.0.bias',
    ]);
    expect(net.parameters()).toEqual(net.namedParameters().map(([, t]) => t));
    expect(net.countParams()).toBe(2 * 9 + 2 + 2 * 2 * 9 + 2 + 8 * 2 + 2);
    for (const [, t] of net.namedParameters()) expect(t.requiresGrad).toBe(true);
  });

  it('a Parameter property is discovered; a plain tensor property is not', () => {
    class Scale extends nn.Module {
      gain = tg.Parameter(tg.ones([3]));
      buffer = tg.zeros([3]);
      inner = new nn.Linear(3, 3);
      forward(x: tg.Tensor) {
        return tg.add(tg.mul(this.inner.forward(x), this.gain), this.buffer);
      }
    }
    expect(new Scale().namedParameters().map(([n]) => n)).toEqual(['gain', 'inner.weight', 'inner.bias']);
  });

  it('modules start in train mode; train()/eval() reach every nested module, and Dropout follows', () => {
    const net = new Net();
    const all = () =>
      [net, net.stem, net.block, net.block.conv, net.block.drop, net.head, ...net.head].map(
        (m) => m.training,
      );
    expect(all().every((t) => t)).toBe(true);
    expect(net.eval()).toBe(net);
    expect(all().some((t) => t)).toBe(false);
    const x = rnd([2, 1, 4, 4], 30);
    expect(Array.from(net.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    net.train();
    expect(all().every((t) => t)).toBe(true);
    // The nested Dropout sees the mode: in train mode it zeroes some inputs and doubles the rest (p = 0.5).
    const seen: [number[], number[]][] = [];
    const off = net.block.drop.registerForwardHook(
      (_l, xin, y) =>
        void seen.push([Array.from((xin as tg.Tensor).data), Array.from((y as tg.Tensor).data)]),
    );
    net.forward(tg.add(rnd([2, 1, 4, 4], 32), 2));
    net.eval();
    net.forward(tg.add(rnd([2, 1, 4, 4], 32), 2));
    off();
    const [[tin, tout], [ein, eout]] = seen;
    expect(tout.some((v, i) => v === 0 && tin[i] !== 0)).toBe(true);
    tout.forEach((v, i) => expect(v === 0 || Math.abs(v - 2 * tin[i]) < 1e-6).toBe(true));
    expect(eout).toEqual(ein);
    net.train(false);
    expect(all().some((t) => t)).toBe(false);
  });

  it('backward fills .grad of every parameter (matching valueAndGrads); zeroGrad clears them; grads accumulate', () => {
    const net = new Net().eval();
    const x = rnd([2, 1, 4, 4], 31);
    tg.sum(net.forward(x)).backward();
    const names = net.namedParameters().map(([n]) => n);
    const first = net.parameters().map((p) => Array.from(p.grad!.data));
    first.forEach((g, i) =>
      expect(
        g.some((v) => v !== 0),
        names[i],
      ).toBe(true),
    );
    // The same gradients from the functional API with the parameters passed in.
    const ws = net.weights.map((w) => w.value);
    const gs = tg.grads((...wi: tg.Tensor[]) => withWeights(net, wi, () => tg.sum(net.forward(x))))(
      ...ws.map((w) => w.detach()),
    );
    gs.forEach((g, i) => expectClose(g.data, first[i], { rtol: 1e-5, atol: 1e-7 }, names[i]));
    tg.sum(net.forward(x)).backward();
    net.parameters().forEach((p, i) =>
      expectClose(
        p.grad!.data,
        first[i].map((v) => 2 * v),
        { rtol: 1e-5, atol: 1e-7 },
        `accumulated ${names[i]}`,
      ),
    );
    net.zeroGrad();
    for (const p of net.parameters()) expect(p.grad).toBeNull();
  });

  it("PyTorch's default init: weight and bias uniform in ±1/√fanIn (fanIn = in/groups·kh·kw)", () => {
    tg.setSeed(0);
    const check = (t: tg.Tensor, fanIn: number) => {
      const bound = 1 / Math.sqrt(fanIn);
      const a = Array.from(t.data).map(Math.abs);
      expect(Math.max(...a)).toBeLessThanOrEqual(bound);
      expect(Math.max(...a)).toBeGreaterThan(0.9 * bound);
    };
    const lin = new nn.Linear(50, 40);
    check(lin.weight, 50);
    check(lin.bias!, 50);
    const conv = new nn.Conv2d(8, 16, 3, { groups: 2 });
    check(conv.weight, 4 * 9);
    check(conv.bias!, 4 * 9);
    check(new nn.Conv1d(6, 20, 5).weight, 30);
  });

  it('bad input: channels-last data, a rank PyTorch refuses, wrong in_features name the module and both shapes', () => {
    expectThrowsWith(
      () => new nn.Conv2d(3, 4, 3).forward(tg.zeros([1, 8, 8, 3])),
      ['Conv2d', '[N, C, H, W]', 'C = 3', '[1,8,8,3]', 'channels-last', '[1,3,8,8]'],
    );
    expectThrowsWith(
      () => new nn.Conv2d(3, 4, 3).forward(tg.zeros([8, 8])),
      ['Conv2d', '[8,8]', 'Expected 3D (unbatched) or 4D (batched) input to conv2d'],
    );
    expectThrowsWith(
      () => new nn.Conv1d(3, 4, 3).forward(tg.zeros([1, 10, 3])),
      ['Conv1d', '[N, C, L]', '[1,10,3]', 'channels-last', '[1,3,10]'],
    );
    expectThrowsWith(
      () => new nn.Conv2d(3, 4, 3).forward(tg.zeros([1, 5, 8, 8])),
      ['Conv2d', 'C = 3', '[1,5,8,8]'],
    );
    expectThrowsWith(
      () =>
        new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.Flatten(), new nn.Linear(10, 2)).forward(
          tg.zeros([1, 1, 6, 6]),
        ),
      ['Sequential', 'Linear', 'in_features is 10', '[1,32]', 'flatten'],
    );
    // NOTE: a shape mismatch is a ShapeError, as in every other layer (tg.layers.dense, tg.nn.Conv2d)
    expect(() => new nn.Linear(10, 2).forward(tg.zeros([4, 9]))).toThrow(tg.ShapeError);
    expectThrowsWith(() => new nn.Linear(10, 2).forward(tg.scalar(1)), ['Linear', '[..., 10]', 'scalar']);
  });
});

describe('tg.nn: one base class', () => {
  it('every layer class in tg.nn is a Module (the recurrent ones included)', () => {
    const layerClasses = Object.entries(tg.nn).filter(
      ([, v]) => typeof v === 'function' && v.prototype instanceof tg.Layer,
    ) as [string, abstract new (...a: never[]) => tg.Layer][];
    expect(layerClasses.map(([k]) => k)).toEqual(expect.arrayContaining(['LSTM', 'GRU', 'RNN', 'Linear']));
    const notModules = layerClasses
      .filter(([, c]) => c !== tg.Module && !(c.prototype instanceof tg.Module))
      .map(([k]) => k);
    expect(notModules).toEqual([]);
    const lstm = new tg.nn.LSTM(2, 3);
    expect(lstm).toBeInstanceOf(tg.Module);
    // Module's own features reach the recurrent modules: a traced summary and zeroGrad
    const text = lstm.summary({ inputShape: [2], print: false });
    expect(text).toContain('(LSTM)');
    lstm.weights[0].value.grad = tg.ones([12, 2]);
    lstm.zeroGrad();
    expect(lstm.weights[0].value.grad).toBeNull();
  });
});
