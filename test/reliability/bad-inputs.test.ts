// Bad inputs to ops, layers and training: NaN/Inf, empty tensors and zero-size dimensions, mixed dtypes, labels out
// of range, wrong batch sizes, misplaced arguments and prototype-member names. Each ends in a typed error with a
// clear message or in the documented result (docs/reliability.md), and the js and wasm backends agree (to a few ulp).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { FUZZ_SEED, runs } from './helpers/fuzz.js';

const T = (d: number[], s: number[], dtype: tg.DType = 'float32') => tg.tensor(d, s, { dtype });
const I = (d: number[], s = [d.length]) => tg.tensor(d, s, { dtype: 'int32' });
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 1e-45, 3.4e38, -3.4e38, 0.5, -2.5];
/**
 * Equal NaN/Inf positions, and finite values within 4e-7 relative (a few float32 ulp: the wasm backend's SIMD exp
 * and sigmoid are within 2 ulp of the JS reference; the other kernels are bit-identical).
 */
const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length &&
  Array.from(a).every((x, i) => {
    const y = b[i];
    if (!Number.isFinite(x) || !Number.isFinite(y))
      return Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y));
    return Math.abs(x - y) <= 4e-7 * Math.max(Math.abs(x), Math.abs(y));
  });
let cases = 0;
afterAll(() => console.log(`[reliability] bad inputs: ${cases} cases (table + generated)`));

/** Expect `f` to throw this typed error class with a message matching `re`. */
function refuses(f: () => unknown, cls: new (...a: never[]) => tg.TapegradError, re: RegExp): void {
  cases++;
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${cls.name} ${re}`).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(re);
}

describe('NaN and Inf in inputs give the documented IEEE results on js and wasm', () => {
  // Independent references: Math.* in float64, rounded to float32. relu keeps NaN (PyTorch, TF.js).
  const REF: Record<string, (x: number) => number> = {
    neg: (x) => -x,
    exp: Math.exp,
    log: Math.log,
    sqrt: Math.sqrt,
    abs: Math.abs,
    sign: (x) => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0),
    sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    tanh: Math.tanh,
    floor: Math.floor,
    relu: (x) => (x > 0 ? x : Number.isNaN(x) ? NaN : 0),
  };
  const close = (got: number, want: number) =>
    Number.isNaN(want)
      ? Number.isNaN(got)
      : !Number.isFinite(want)
        ? got === want
        : Math.abs(got - want) <= 4e-7 * Math.max(1, Math.abs(want));

  it.each(Object.keys(REF))(
    '%s on NaN, ±Inf, ±0, subnormal and extreme values (short and 4096-long inputs)',
    (op) => {
      const long = Array.from({ length: 4096 }, (_, i) => SPECIAL[i % SPECIAL.length]);
      for (const be of ['js', 'wasm']) {
        tg.setBackend(be);
        for (const vals of [SPECIAL, long]) {
          const y = (tg as unknown as Record<string, (t: tg.Tensor) => tg.Tensor>)[op](
            T(vals, [vals.length]),
          );
          const want = vals.map((v) => Math.fround(REF[op](Math.fround(v))));
          const bad = vals.map((v, i) => [v, y.data[i], want[i]]).filter(([, g, w]) => !close(g, w));
          cases++;
          expect(bad, `${op} on ${be}`).toEqual([]);
        }
      }
      tg.setBackend('wasm');
    },
  );

  it('reductions, maximum, pooling, softmax and matmul: NaN propagates except where documented', () => {
    const x = T(SPECIAL, [SPECIAL.length]);
    const out = (be: string) => {
      tg.setBackend(be);
      return {
        max: tg.max(x).item(),
        sum: tg.sum(x).item(),
        argmax: tg.argmax(x, 0).item(),
        maximum: Array.from(tg.maximum(x, 0).data),
        pool: tg.maxPool2d(T([NaN, 1, 2, 3], [1, 2, 2, 1]), { kernelSize: 2 }).item(),
        softmax: Array.from(tg.softmax(T([NaN, 1, 2], [1, 3])).data),
        softmaxInf: Array.from(tg.softmax(T([Infinity, 1], [1, 2])).data),
        matmul: Array.from(tg.matmul(T([NaN, 0, Infinity, 0], [2, 2]), T([0, 1, 1, 0], [2, 2])).data),
      };
    };
    const js = out('js');
    const wasm = out('wasm');
    cases += 2;
    expect(JSON.stringify(wasm)).toBe(JSON.stringify(js));
    expect(js.maximum[0]).toBeNaN(); // NaN propagates through maximum (NumPy semantics), and relu alike
    expect(js.max).toBeNaN();
    expect(js.sum).toBeNaN();
    expect(js.argmax).toBe(0); // the first NaN wins (NumPy, PyTorch)
    expect(js.pool).toBeNaN();
    expect(js.softmax.every(Number.isNaN)).toBe(true);
    expect(js.softmaxInf[0]).toBeNaN(); // Inf - Inf
    expect(js.matmul.slice(0, 3).every(Number.isNaN)).toBe(true); // 0·NaN and 0·Inf are NaN
  });

  it('checkNumerics names the op that first turns finite inputs non-finite; backward and fit refuse a NaN loss', async () => {
    tg.checkNumerics(true);
    try {
      refuses(
        () => tg.log(tg.zeros([3])),
        tg.NumericsError,
        /checkNumerics: 'log' produced a non-finite value at index 0 from finite inputs/,
      );
      refuses(() => tg.div(T([1], [1]), T([0], [1])), tg.NumericsError, /'div' produced a non-finite value/);
    } finally {
      tg.checkNumerics(false);
    }
    const p = T([NaN], [1]);
    p.requiresGrad = true;
    refuses(
      () => tg.sum(p).backward(),
      tg.NumericsError,
      /backward: the loss contains NaN or Inf; run with tg.checkNumerics\(true\)/,
    );
    const m = tg.sequential({
      layers: [tg.layers.dense({ units: 2, inputShape: [3], activation: 'sigmoid' })],
    });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    cases++;
    // NaN in the data is named as data (tensor, sample, feature), not as a learning-rate problem
    await expect(m.fit(T([1, 1, 2, 3, NaN, 5], [2, 3]), tg.zeros([2, 2]), { verbose: 0 })).rejects.toThrow(
      /fit: x has NaN at sample 1, feature \[1\] \(x has shape \[2,3\]\)/,
    );
    // finite data that a layer overflows still ends in the loss check
    const wide = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    wide.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    cases++;
    await expect(
      wide.fit(T([3e38, 3e38, 3e38, 1, 1, 1], [2, 3]), tg.zeros([2, 2]), { verbose: 0 }),
    ).rejects.toThrow(/fit: the loss became (NaN|Infinity) at epoch 1, batch 1/);
    const hot = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    hot.compile({ optimizer: tg.train.sgd(1e30), loss: 'meanSquaredError' });
    cases++;
    await expect(hot.fit(tg.ones([4, 3]), tg.ones([4, 2]), { verbose: 0, epochs: 3 })).rejects.toThrow(
      tg.TapegradError,
    );
  });
});

describe('empty tensors and zero-size dimensions', () => {
  it('give the documented results (sums are 0, means NaN, shapes keep their zeros)', () => {
    cases += 9;
    expect(tg.sum(tg.zeros([0, 3])).item()).toBe(0);
    expect(tg.sum(tg.zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0]);
    expect(tg.mean(tg.zeros([0])).item()).toBeNaN();
    expect(tg.matmul(tg.zeros([2, 0]), tg.zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(tg.conv2d(tg.zeros([0, 5, 5, 2]), tg.zeros([3, 3, 2, 4])).shape).toEqual([0, 3, 3, 4]);
    expect(tg.softmax(tg.zeros([0, 3])).shape).toEqual([0, 3]);
    expect(tg.reshape(tg.zeros([0, 3]), [3, 0]).shape).toEqual([3, 0]);
    expect(tg.concat([tg.zeros([0, 3]), tg.ones([2, 3])], 0).shape).toEqual([2, 3]);
    const d = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    expect((d.apply(tg.zeros([0, 3])) as tg.Tensor).shape).toEqual([0, 2]);
  });

  it('are refused where no result exists', () => {
    refuses(
      () => tg.max(tg.zeros([0])),
      tg.ValueError,
      /max: cannot reduce an empty axis of a tensor of shape \[0\]/,
    );
    refuses(() => tg.argmax(tg.zeros([2, 0]), 1), tg.ValueError, /argmax: axis 1 of \[2,0\] has size 0/);
    refuses(
      () => tg.maxPool2d(tg.zeros([1, 0, 4, 1]), { kernelSize: 2 }),
      tg.ValueError,
      /maxPool2d: window 2x2 .* larger than the padded input 0x4/,
    );
    refuses(() => tg.concat([], 0), tg.ValueError, /concat: needs at least one tensor/);
    refuses(() => tg.reshape(tg.zeros([0, 3]), [-1, 0]), tg.ShapeError, /cannot infer -1 in \[-1,0\]/);
    refuses(
      () => tg.layers.lstm({ units: 2 }).apply(tg.zeros([1, 0, 3])),
      tg.ShapeError,
      /lstm \(LSTM\): the input \[1,0,3\] has no time steps/,
    );
  });
});

describe('shapes, dtypes, labels and batch sizes', () => {
  it('impossible sizes are typed errors, not RangeErrors', () => {
    refuses(() => tg.zeros([-1]), tg.ValueError, /cannot allocate a float32 tensor of -1 elements/);
    refuses(
      () => tg.zeros([2 ** 20, 2 ** 20]),
      tg.ValueError,
      /cannot allocate a float32 tensor of 1099511627776 elements/,
    );
    refuses(() => tg.zeros([1.5]), tg.ShapeError, /invalid shape \[1.5\]/);
    refuses(() => tg.full([NaN], 1), tg.ValueError, /NaN elements/);
    refuses(() => tg.broadcastTo(tg.ones([1]), [2 ** 20, 2 ** 20]), tg.ValueError, /cannot allocate/);
    refuses(() => tg.oneHot(I([0]), 2 ** 40), tg.ValueError, /cannot allocate/);
    refuses(() => tg.tensor([1, 2, 3], [2, 2]), tg.ShapeError, /3 values do not fill shape \[2,2\]/);
    refuses(() => tg.tensor([[1, 2], [3]] as unknown as number[]), tg.ShapeError, /ragged nested array/);
  });

  it('mixed dtypes promote (documented) or are refused with the dtypes named', () => {
    cases += 3;
    expect(tg.add(tg.zeros([2]), tg.zeros([2], { dtype: 'int32' })).dtype).toBe('float32');
    expect(tg.matmul(tg.zeros([2, 3]), tg.zeros([3, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(tg.div(I([7, -7]), I([0, 2])).toArray()).toEqual([0, -3]); // int32 division truncates; x/0 gives 0
    refuses(() => tg.concat([tg.zeros([1]), tg.zeros([1], { dtype: 'int32' })], 0), tg.DTypeError, /concat/);
    const opt = tg.train.sgd(0.1);
    refuses(
      () => opt.setParameters([tg.zeros([2], { dtype: 'int32' })]),
      tg.DTypeError,
      /only float32\/float64 tensors can be trained/,
    );
  });

  it('labels out of range are refused with the position and the valid range', () => {
    refuses(
      () => tg.crossEntropy(tg.zeros([2, 3]), I([0, 3])),
      tg.ValueError,
      /label 3 at position 1 is out of range for 3 classes/,
    );
    refuses(() => tg.crossEntropy(tg.zeros([2, 3]), I([0, -1])), tg.ValueError, /label -1 at position 1/);
    refuses(
      () => tg.crossEntropy(tg.zeros([2, 3]), T([0, 1.5], [2])),
      tg.ValueError,
      /label 1.5 at position 1/,
    );
    refuses(() => tg.oneHot(I([5]), 3), tg.ValueError, /oneHot: label 5 at position 0/);
    refuses(
      () => tg.losses.sparseCategoricalCrossentropy(I([7]), tg.ones([1, 3])),
      tg.ValueError,
      /label 7 at position 0 is out of range for 3 classes/,
    );
    refuses(
      () => tg.take(tg.zeros([3]), I([3])),
      tg.ValueError,
      /take: index 3 \(position 0\) is out of range for 3 values/,
    );
    refuses(
      () => tg.layers.embedding({ inputDim: 3, outputDim: 2 }).apply(I([5], [1, 1])),
      tg.ValueError,
      /embedding \(Embedding\): index 5 .* out of range \(valid: 0 to 2\)/,
    );
  });

  it('wrong batch sizes and feature sizes name both shapes', async () => {
    refuses(
      () => tg.crossEntropy(tg.zeros([2, 3]), I([0, 1, 2])),
      tg.ShapeError,
      /labels \[3\] must be \[2\] class indices/,
    );
    refuses(
      () => tg.mseLoss(tg.zeros([4]), tg.zeros([5])),
      tg.ShapeError,
      /predictions \[4\] and targets \[5\] differ in shape/,
    );
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    refuses(
      () => m.apply(tg.zeros([4, 5])),
      tg.ShapeError,
      /dense(_\d+)? \(Dense\): expected input with last axis 3/,
    );
    refuses(() => m.predict(tg.zeros([3])), tg.ShapeError, /is the batch axis missing\?/);
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    cases += 3;
    await expect(m.fit(tg.zeros([4, 3]), tg.zeros([3, 2]), { verbose: 0 })).rejects.toThrow(
      /every input and target needs the same batch size on axis 0; got \[4,3\], \[3,2\]/,
    );
    await expect(m.fit(tg.zeros([4, 3]), tg.zeros([4, 5]), { verbose: 0 })).rejects.toThrow(
      /targets \[4,5\] and predictions \[4,2\] differ in shape/,
    );
    await expect(m.fit(tg.zeros([0, 3]), tg.zeros([0, 2]), { verbose: 0 })).rejects.toThrow(
      /fit: no samples/,
    );
  });

  it('misplaced arguments and Object.prototype member names are clear errors', () => {
    const x = tg.zeros([1, 5, 5, 1]);
    const w = tg.zeros([3, 3, 1, 1]);
    refuses(
      () => tg.conv2d(x, w, { stride: 2 } as never),
      tg.ValueError,
      /conv2d: bias \(3rd argument\) must be a Tensor or null, got object; options go in the 4th argument/,
    );
    refuses(
      () => tg.conv1d(tg.zeros([1, 5, 1]), tg.zeros([3, 1, 1]), { stride: 2 } as never),
      tg.ValueError,
      /conv1d: bias/,
    );
    refuses(
      () => tg.conv2d(x, w, null, { stride: 0 }),
      tg.ValueError,
      /stride must be a positive integer or pair, got 0/,
    );
    refuses(
      () => tg.conv2d(x, w, null, { padding: 'constructor' as never }),
      tg.ValueError,
      /unknown padding "constructor"/,
    );
    refuses(() => tg.add(x, undefined as never), tg.ValueError, /expected a tensor or number, got undefined/);
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    for (const n of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      refuses(() => m.compile({ optimizer: n, loss: 'mse' }), tg.ValueError, /unknown optimizer/);
      refuses(() => m.compile({ optimizer: 'sgd', loss: n }), tg.ValueError, /unknown loss/);
      refuses(
        () => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: [n] }),
        tg.ValueError,
        /unknown metric/,
      );
      refuses(() => tg.getActivation(n), tg.ValueError, /activation: unknown name/);
      refuses(() => tg.getInitializer(n), tg.ValueError, /initializer: unknown name/);
    }
    refuses(
      () => tg.getActivation(3 as never),
      tg.ValueError,
      /activation: expected a name, a function or null, got number/,
    );
  });
});

describe('generated bad inputs', () => {
  const UNARY = [
    'neg',
    'exp',
    'log',
    'sqrt',
    'abs',
    'relu',
    'sigmoid',
    'tanh',
    'softmax',
    'logSoftmax',
    'sum',
    'mean',
    'max',
    'argmax',
  ];
  const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'matmul', 'crossEntropy', 'mseLoss'];
  const shapeArb = fc.array(fc.constantFrom(0, 1, 2, 3), { minLength: 0, maxLength: 3 });
  const valArb = fc.constantFrom(...SPECIAL);
  const dtypeArb = fc.constantFrom<tg.DType>('float32', 'float64', 'int32');
  const make = (shape: number[], dtype: tg.DType, v: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tg.tensor(
      Array.from({ length: n }, (_, i) => (i % 2 ? v : i)),
      shape,
      { dtype },
    );
  };
  /**
   * Run an op on both backends: both throw the same typed error class, or both return results of the same shape
   * whose values agree (`same`), unless `overflow` (inputs near the float32 limit, where accumulation order
   * decides between Inf and NaN; see docs/reliability.md).
   */
  const onBoth = (f: () => tg.Tensor, overflow = false) => {
    const res = ['js', 'wasm'].map((be) => {
      tg.setBackend(be);
      try {
        const y = f();
        return { y };
      } catch (e) {
        if (!(e instanceof tg.TapegradError))
          throw new Error(`untyped ${(e as Error).constructor.name}: ${(e as Error).message}`);
        return { e };
      }
    });
    tg.setBackend('wasm');
    cases++;
    if (res[0].e || res[1].e) expect(res[1].e?.constructor).toBe(res[0].e?.constructor);
    else {
      expect(res[1].y!.shape).toEqual(res[0].y!.shape);
      if (!overflow) expect(same(res[1].y!.data, res[0].y!.data)).toBe(true);
    }
  };

  it('unary ops and reductions on random shapes (with zeros), dtypes and special values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...UNARY), shapeArb, dtypeArb, valArb, (op, shape, dtype, v) => {
        const x = make(shape, dtype, v);
        const f = (tg as unknown as Record<string, (t: tg.Tensor, a?: number) => tg.Tensor>)[op];
        onBoth(() => (op === 'argmax' ? f(x, 0) : f(x)));
      }),
      { seed: FUZZ_SEED + 70, numRuns: runs(600) },
    );
  });

  it('binary ops and losses on random (often mismatched) shapes, dtypes and special values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BINARY),
        shapeArb,
        shapeArb,
        dtypeArb,
        dtypeArb,
        valArb,
        (op, sa, sb, da, db, v) => {
          const a = make(sa, da, v);
          const b = make(sb, db, -v);
          const f = (tg as unknown as Record<string, (p: tg.Tensor, q: tg.Tensor) => tg.Tensor>)[op];
          onBoth(() => f(a, b), Math.abs(v) > 1e30);
        },
      ),
      { seed: FUZZ_SEED + 71, numRuns: runs(800) },
    );
  });

  it('conv2d and maxPool2d with random geometry, including zero sizes and windows larger than the input', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(2), fc.nat(5), fc.nat(5), fc.integer({ min: 1, max: 3 })),
        fc.tuple(fc.nat(4), fc.nat(4), fc.integer({ min: 1, max: 3 })),
        fc.record({
          stride: fc.integer({ min: 0, max: 3 }),
          padding: fc.constantFrom('same', 'valid', 1, 'causal'),
          dilation: fc.integer({ min: 1, max: 2 }),
        }),
        valArb,
        (xs, ks, o, v) => {
          const x = make([xs[0], xs[1], xs[2], xs[3]], 'float32', v);
          const w = make([ks[0], ks[1], xs[3], ks[2]], 'float32', v);
          onBoth(() => tg.conv2d(x, w, null, o as tg.Conv2dOptions), Math.abs(v) > 1e30);
          onBoth(() =>
            tg.maxPool2d(x, {
              kernelSize: Math.max(ks[0], 1),
              stride: o.stride,
              padding: o.padding,
            } as never),
          );
        },
      ),
      { seed: FUZZ_SEED + 72, numRuns: runs(400) },
    );
  });
});
