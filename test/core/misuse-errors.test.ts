// Misuse that used to pass silently or end in a bare TypeError: int32 arguments of the gradient functions and
// int32 tensors that require a gradient, hooks that change the gradient's shape or dtype, the Tensor constructor
// given a plain array, unknown options of customGrad / gradcheck / backward, noGrad results other than arrays and
// plain objects, and common argument mistakes. Each is refused by the library's own error, naming the op.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsTyped } from '../support/throws.js';
import { SCAN_LIMIT, keepAll } from '../../src/core/lifetime.js';

const arr = (t: tg.Tensor) => Array.from(t.data);

describe('int32 tensors are not differentiated', () => {
  const i32 = () => tg.tensor([3, 4], undefined, { dtype: 'int32' });
  const f = (y: tg.Tensor) => tg.sum(tg.mul(y, 1.5));

  it('every gradient function refuses an int32 argument, naming the call, the argument and its dtype', () => {
    const msg = (api: string, i: number) =>
      new RegExp(
        `^${api.replace('.', '\\.')}: argument ${i} is an int32 tensor \\[2\\]; gradients are taken`,
      );
    throwsTyped(() => tg.grad(f)(i32()), tg.GradError, msg('tg.grad', 0)); // it returned [0, 0]
    throwsTyped(() => tg.grad((y) => tg.sum(tg.mul(y, y)))(i32()), tg.GradError, msg('tg.grad', 0)); // int [6, 8]
    throwsTyped(() => tg.valueAndGrad(f)(i32()), tg.GradError, msg('tg.valueAndGrad', 0));
    const w = tg.tensor([1, 2]);
    throwsTyped(() => tg.grads((a, b) => tg.sum(tg.mul(a, b)))(w, i32()), tg.GradError, msg('tg.grads', 1));
    throwsTyped(
      () => tg.valueAndGrads((a, b) => tg.sum(tg.mul(a, b)))([w, i32()]),
      tg.GradError,
      msg('tg.valueAndGrads', 1),
    );
    throwsTyped(() => tg.vjp(f, i32()), tg.GradError, msg('tg.vjp', 0));
    throwsTyped(() => tg.jacobian((y) => tg.mul(y, 2), i32()), tg.GradError, /argument 0 is an int32 tensor/);
    throwsTyped(() => tg.hvp(f, i32(), tg.tensor([1, 1])), tg.GradError, /argument 0 is an int32 tensor/);
  });

  it('int32 data that is closed over or not differentiated still works (labels)', () => {
    const labels = tg.tensor([1, 0, 2], undefined, { dtype: 'int32' });
    const x = tg.tensor([
      [1, 2],
      [0, 1],
      [2, 0],
    ]);
    const loss = (w: tg.Tensor) => tg.crossEntropy(tg.matmul(x, w), labels);
    const w = tg.tensor([
      [0.1, 0.2, 0.3],
      [0.4, 0.5, 0.6],
    ]);
    const { value, grads } = tg.valueAndGrads(loss)(w);
    expect(Number.isFinite(value.item())).toBe(true);
    expect(grads[0].shape).toEqual([2, 3]);
    // a customGrad op may take an int32 input (its gradFunc gives null for it)
    const scale = tg.customGrad((a: tg.Tensor, k: tg.Tensor) => ({
      value: tg.mul(a, tg.cast(k, 'float32')),
      gradFunc: (dy: tg.Tensor) => [tg.mul(dy, tg.cast(k, 'float32')), null],
    }));
    const g = tg.grad((a) => tg.sum(scale(a, tg.tensor([2, 3], undefined, { dtype: 'int32' }))))(
      tg.tensor([1, 1]),
    );
    expect(arr(g)).toEqual([2, 3]);
    // gradcheck works in float64 whatever the input's dtype
    expect(tg.gradcheck((y) => tg.sum(tg.mul(y, y)), [i32()]).ok).toBe(true);
  });

  it('requiresGrad on an int32 tensor throws (its .grad stayed null), as PyTorch', () => {
    const msg = /only float32 and float64 tensors can require a gradient, got int32/;
    throwsTyped(
      () => tg.tensor([3, 4], undefined, { dtype: 'int32', requiresGrad: true }),
      tg.GradError,
      msg,
    );
    throwsTyped(() => tg.zeros([2], { dtype: 'int32', requiresGrad: true }), tg.GradError, msg);
    throwsTyped(() => tg.randint([2], 0, 3, { requiresGrad: true }), tg.GradError, /^randint: only float32/);
    throwsTyped(
      () => tg.ones([2], { dtype: 'int32', requiresGrad: true }),
      tg.GradError,
      /^ones: only float32/,
    );
    throwsTyped(
      () => tg.arange(3, undefined, 1, { dtype: 'int32', requiresGrad: true }),
      tg.GradError,
      /^arange: only/,
    );
    throwsTyped(() => tg.tensor(Int32Array.of(1, 2), undefined, { requiresGrad: true }), tg.GradError, msg);
    throwsTyped(() => i32().requireGrad(), tg.GradError, /^requireGrad: only float32/);
    throwsTyped(() => new tg.Tensor(Int32Array.of(1), [1], true), tg.GradError, /^Tensor: only float32/);
    expect(i32().requireGrad(false).requiresGrad).toBe(false);
    expect(tg.tensor([3, 4], undefined, { dtype: 'float64', requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe('gradient hooks', () => {
  it('a hook that returns another dtype or shape throws, naming the tensor and both (it changed .grad)', () => {
    const x = tg.tensor([1, 2], undefined, { requiresGrad: true });
    x.name = 'w';
    x.registerHook((g) => tg.cast(g, 'int32'));
    throwsTyped(
      () => tg.sum(tg.mul(x, 1.3)).backward(),
      tg.GradError,
      /^backward: hook 0 of tensor 'w' \[2\] returned a gradient of int32 \[2\] for one of float32 \[2\]; a hook may change the gradient's values, not its shape or dtype$/,
    );
    expect(x.grad).toBe(null);
    const z = tg.tensor([1, 2], undefined, { requiresGrad: true });
    z.registerHook((g) => tg.sum(g));
    throwsTyped(
      () => tg.sum(tg.mul(z, z)).backward(),
      tg.GradError,
      /returned a gradient of float32 \[\] for one of float32 \[2\]/,
    );
    // the functional walker runs the same hooks (on a tensor f reads from outside)
    const v = tg.tensor([1, 2], undefined, { requiresGrad: true });
    v.registerHook((g) => tg.cast(g, 'float64'));
    throwsTyped(
      () => tg.grad((a) => tg.sum(tg.mul(a, v)))(tg.tensor([3, 4])),
      tg.GradError,
      /hook 0 of a tensor \[2\]/,
    );
  });

  it('a hook that returns a same-shaped, same-dtype tensor still replaces the gradient', () => {
    const x = tg.tensor([1, 2], undefined, { requiresGrad: true });
    x.registerHook((g) => tg.mul(g, 10));
    tg.sum(tg.mul(x, 1.5)).backward();
    expect(arr(x.grad!)).toEqual([15, 15]);
  });
});

describe('the Tensor constructor', () => {
  it('refuses anything but Float32Array, Float64Array and Int32Array (a plain array was labelled int32)', () => {
    const msg =
      /^Tensor: data must be a Float32Array, Float64Array or Int32Array, got (an array|a Uint8Array|a Int16Array); use tg\.tensor\(values, shape, \{ dtype \}\)/;
    throwsTyped(() => new tg.Tensor([1.5, 2.5] as any, [2]), tg.ValueError, msg);
    throwsTyped(() => new tg.Tensor(Uint8Array.of(1, 2) as any, [2]), tg.ValueError, msg);
    throwsTyped(() => new tg.Tensor(Int16Array.of(1, 2) as any, [2]), tg.ValueError, msg);
    throwsTyped(
      () => new tg.Tensor(new Float32Array(2), undefined as any),
      tg.ValueError,
      /^Tensor: shape must be an array like \[3\]/,
    );
    for (const a of [Float32Array.of(1.5), Float64Array.of(1.5), Int32Array.of(1)])
      expect(new tg.Tensor(a, [1]).data[0]).toBe(a[0]);
    // tg.tensor still converts other arrays
    expect(tg.tensor([1.5, 2.5]).dtype).toBe('float32');
    const u8 = tg.tensor(Uint8Array.of(1, 255) as any);
    expect([u8.dtype, ...arr(u8)]).toEqual(['int32', 1, 255]);
  });
});

describe('unknown options are refused by name', () => {
  it('customGrad', () => {
    const f = (x: tg.Tensor) => ({ value: tg.square(x), gradFunc: (dy: tg.Tensor) => dy.mul(x).mul(3) });
    throwsTyped(
      () => tg.customGrad(f, { checks: true } as any),
      tg.ValueError,
      /^customGrad: unknown option 'checks' \(known: check, name, atol, rtol\)$/,
    );
    // the real option catches the wrong gradient
    const wrong = tg.customGrad(f, { check: true });
    throwsTyped(
      () => tg.grad((x) => tg.sum(wrong(x)))(tg.tensor([1, 2])),
      tg.GradError,
      /gradFunc disagrees with finite differences/,
    );
  });

  it('gradcheck: unknown keys, invalid modes and values', () => {
    const f = (x: tg.Tensor) => tg.sum(tg.mul(x, x));
    const xs = [tg.tensor([1, 2])];
    throwsTyped(
      () => tg.gradcheck(f, xs, { throwOnFial: true } as any),
      tg.ValueError,
      /^gradcheck: unknown option 'throwOnFial'/,
    );
    throwsTyped(
      () => tg.gradcheck(f, xs, { mode: 'Full' } as any),
      tg.ValueError,
      /^gradcheck: mode must be one of auto, full, random, got "Full"$/,
    );
    throwsTyped(
      () => tg.gradcheck(f, xs, { eps: -1 }),
      tg.ValueError,
      /^gradcheck: eps must be a number >= 0/,
    );
    throwsTyped(
      () => tg.gradcheck(f, xs, { directions: 0 }),
      tg.ValueError,
      /^gradcheck: directions must be an integer >= 1/,
    );
    expect(tg.gradcheck(f, xs, { mode: 'full', throwOnFail: true }).ok).toBe(true);
  });

  it('backward, through the method and the function', () => {
    const x = tg.tensor([1, 2], undefined, { requiresGrad: true });
    const loss = () => tg.sum(x.mul(x).mul(x));
    const msg = /^backward: unknown option 'create_graph' \(known: createGraph, retainGraph\)$/;
    throwsTyped(() => loss().backward(undefined, { create_graph: true } as any), tg.ValueError, msg);
    throwsTyped(() => tg.backward(loss(), undefined, { create_graph: true } as any), tg.ValueError, msg);
    throwsTyped(
      () => loss().backward(undefined, { retainGraph: 1 } as any),
      tg.GradError,
      /^backward: retainGraph must be true or false/,
    );
    expect(x.grad).toBe(null);
    loss().backward(undefined, { createGraph: true });
    expect(x.grad!.requiresGrad).toBe(true);
  });
});

describe('noGrad keeps whatever fn returns', () => {
  const x = tg.tensor([1, 2]);
  const e = [Math.fround(Math.E), Math.fround(Math.E ** 2)];

  it('Maps, Sets, class instances and deep objects (they were released)', () => {
    const m = tg.noGrad(() => new Map([['y', tg.exp(x)]]));
    expect(arr(m.get('y')!)).toEqual(e);
    const keyed = tg.noGrad(() => new Map([[tg.exp(x), 'key']]));
    expect(arr([...keyed.keys()][0])).toEqual(e);
    const s = tg.noGrad(() => new Set([tg.exp(x)]));
    expect(arr([...s][0])).toEqual(e);
    class Result {
      constructor(public logits: tg.Tensor) {}
    }
    expect(arr(tg.noGrad(() => new Result(tg.exp(x))).logits)).toEqual(e);
    const d = tg.noGrad(() => ({ a: { b: { c: { d: [[{ e: tg.exp(x) }]] } } } }));
    expect(arr(d.a.b.c.d[0][0].e)).toEqual(e);
    let deep: any = { t: null };
    const root = deep;
    const made = tg.noGrad(() => {
      for (let i = 0; i < 10_000; i++) deep = deep.next = {};
      deep.t = tg.exp(x);
      return root;
    });
    expect(made).toBe(root);
    expect(arr(deep.t)).toEqual(e);
  });

  it('cycles end, getters are not called, what is not returned is still released', () => {
    let temp: tg.Tensor | null = null;
    const r = tg.noGrad(() => {
      temp = tg.exp(x);
      const o: any = { y: tg.neg(x) };
      o.self = o;
      o.list = [o, new Map([[o, o]])];
      Object.defineProperty(o, 'boom', {
        enumerable: true,
        get() {
          throw new Error('a getter was called');
        },
      });
      return o;
    });
    expect(arr(r.y)).toEqual([-1, -2]);
    expect(temp!.released).toBe(true);
    expect(() => temp!.data).toThrow(tg.ReleasedError);
  });

  it('past the scan limit the ReleasedError says what was scanned', () => {
    let t: tg.Tensor | null = null;
    tg.noGrad(() => {
      t = tg.exp(x);
      return [{ t }, new Array(SCAN_LIMIT + 10).fill(0)];
    });
    expect(t!.released).toBe(true);
    throwsTyped(
      () => t!.data,
      tg.ReleasedError,
      /released when tg\.noGrad ended; .*scanned for tensors through arrays, Maps \(keys and values\), Sets, plain objects and class instances' own enumerable properties, and the scan stopped after 1,000,000 values/,
    );
  });

  it('keepAll (what layer hooks are shown) walks the same structures', () => {
    let made: tg.Tensor | null = null;
    tg.noGrad(() => {
      made = tg.exp(x);
      keepAll(new Map([['a', new Set([{ deep: [made] }])]]));
      return null;
    });
    expect(made!.released).toBe(false);
    expect(arr(made!)).toEqual(e);
  });
});

describe('argument mistakes give the library error, not a TypeError', () => {
  const x = tg.tensor([1, 2], undefined, { requiresGrad: true });

  it('backward: options as the seed, a seed that is not a tensor', () => {
    throwsTyped(
      () => tg.sum(x.mul(x)).backward({ retainGraph: true } as any),
      tg.GradError,
      /^backward: the first argument is the seed \(a Tensor\); options are the 2nd argument: backward\(undefined, \{"retainGraph":true\}\)$/,
    );
    throwsTyped(
      () => x.mul(x).backward([1, 10] as any),
      tg.GradError,
      /^backward: the seed is an array, expected a Tensor of the output's shape \[2\]/,
    );
    x.mul(x).backward(tg.tensor([1, 10]));
    expect(arr(x.grad!)).toEqual([2, 40]);
    x.zeroGrad();
  });

  it('grad: a seed that is not a tensor; vjp: a cotangent that is not a tensor', () => {
    throwsTyped(
      () => tg.grad((y) => y.mul(2))(tg.tensor([3, 4]), [1, 10] as any),
      tg.GradError,
      /^tg\.grad: dy \(the seed, the 2nd argument\) is an array, expected a Tensor of f's output shape \[2\]$/,
    );
    const { vjp } = tg.vjp((y) => y.mul(2), tg.tensor([3, 4]));
    throwsTyped(
      () => vjp([1, 1] as any),
      tg.GradError,
      /^tg\.vjp: the cotangent is an array, expected a Tensor/,
    );
  });

  it('creators want a shape array; gradcheck wants a list of inputs', () => {
    throwsTyped(
      () => tg.zeros(3 as any),
      tg.ValueError,
      /^zeros: shape must be an array like \[3\] or \[2, 3\], got a number \(3; write \[3\]\)$/,
    );
    throwsTyped(() => tg.ones(3 as any), tg.ValueError, /^ones: shape must be an array/);
    throwsTyped(() => tg.full(3 as any, 1), tg.ValueError, /^full: shape must be an array/);
    throwsTyped(() => tg.randn(3 as any), tg.ValueError, /^randn: shape must be an array/);
    throwsTyped(() => tg.tensor([1, 2, 3], 3 as any), tg.ValueError, /^tensor: shape must be an array/);
    throwsTyped(
      () => tg.gradcheck((y) => tg.sum(y), x as any),
      tg.ValueError,
      /^gradcheck: inputs must be a list of Tensors, got a Tensor: pass \[x\]$/,
    );
    throwsTyped(
      () => tg.gradcheck((y) => tg.sum(y), [[1, 2]] as any),
      tg.ValueError,
      /^gradcheck: inputs\[0\] is an array, expected a Tensor$/,
    );
  });
});
