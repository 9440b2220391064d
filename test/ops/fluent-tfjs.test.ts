// TF.js chained ops as Tensor methods (src/ops/fluent-tfjs.ts): every method equals the tg function with the tensor
// first (same values, shape and dtype), the argument order is TF.js's (tfjs-core 4.22 chained ops on its cpu backend
// give the same values), and a walk of tfjs-core's public/chained_ops directory checks that every chained op tapegrad
// has as a function is also a Tensor method.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { useCpu } from '../support/tfjs-layers.js';
import { type TfT, tf, uniform } from './tfjs-math-lib.js';

beforeAll(useCpu);

const T = (v: ArrayLike<number>, shape: number[], dtype: tg.DType = 'float64'): tg.Tensor =>
  tg.tensor(Array.from(v), shape, { dtype });
const x = T(uniform([2, 3], 1, 0.1, 0.9), [2, 3]); // inside every unary op's domain but acosh's
const y = T(uniform([2, 3], 2, 0.2, 1.5), [2, 3]);
const mask = T([1, 0, 1, 1, 0, 0], [2, 3]);
const mask2 = T([1, 1, 0, 1, 0, 1], [2, 3]);
const img = T(uniform([1, 4, 4, 2], 3), [1, 4, 4, 2]);
const ints = (v: number[], shape = [v.length]): tg.Tensor => T(v, shape, 'int32');

type Arg = tg.Tensor | number | string | boolean | null | readonly unknown[];
interface Case {
  name: string;
  x: tg.Tensor;
  args: Arg[];
  // compare with TF.js's own chained op too (its inputs then must be valid TF.js inputs: no bool masks)
  tf?: boolean;
}
const un = (name: string, t = x): Case => ({ name, x: t, args: [], tf: true });
const cases: Case[] = [
  ...['acos', 'asin', 'asinh', 'atan', 'atanh', 'cosh', 'sinh', 'tan', 'cos', 'sin', 'erf', 'expm1'].map(
    (n) => un(n),
  ),
  ...['floor', 'log1p', 'reciprocal', 'rsqrt', 'sign', 'softplus', 'round', 'elu', 'logSigmoid', 'relu6'].map(
    (n) => un(n, tg.mul(x, 9)),
  ),
  ...['selu', 'isFinite', 'isInf', 'isNaN', 'zerosLike', 'onesLike'].map((n) => un(n, tg.sub(x, 0.5))),
  un('acosh', tg.add(x, 1)),
  { name: 'logicalNot', x: mask, args: [] },
  { name: 'leakyRelu', x: tg.sub(x, 0.5), args: [0.1], tf: true },
  { name: 'step', x: tg.sub(x, 0.5), args: [0.3], tf: true },
  ...['atan2', 'floorDiv', 'mod', 'squaredDifference', 'greaterEqual', 'lessEqual', 'notEqual'].map((n) => ({
    name: n,
    x: tg.mul(x, 3),
    args: [y],
    tf: true,
  })),
  { name: 'prelu', x: tg.sub(x, 0.5), args: [T([0.1, 0.2, 0.3], [3])], tf: true },
  ...['logicalAnd', 'logicalOr', 'logicalXor'].map((n) => ({ name: n, x: mask, args: [mask2] })),
  { name: 'all', x: mask, args: [1, true] },
  { name: 'any', x: mask, args: [0] },
  { name: 'argMax', x, args: [1], tf: true },
  { name: 'argMin', x, args: [0], tf: true },
  { name: 'prod', x, args: [1, true], tf: true },
  { name: 'logSumExp', x, args: [0, true], tf: true },
  { name: 'cumsum', x, args: [1, true, true], tf: true },
  { name: 'cumprod', x, args: [1, false, true], tf: true },
  { name: 'dot', x, args: [T(uniform([3, 2], 4), [3, 2])], tf: true },
  { name: 'euclideanNorm', x, args: [1, true], tf: true },
  { name: 'norm', x, args: [1, 0, true], tf: true },
  { name: 'broadcastTo', x, args: [[4, 2, 3]], tf: true },
  {
    name: 'pad',
    x,
    args: [
      [
        [1, 0],
        [0, 2],
      ],
      3,
    ],
    tf: true,
  },
  {
    name: 'slice',
    x,
    args: [
      [0, 1],
      [2, 2],
    ],
    tf: true,
  },
  { name: 'split', x, args: [[1, 2], 1], tf: true },
  { name: 'tile', x, args: [[2, 1]], tf: true },
  { name: 'gather', x, args: [[2, 0, 2], 1], tf: true },
  { name: 'oneHot', x: ints([2, 0, 3]), args: [4], tf: true },
  {
    name: 'mirrorPad',
    x,
    args: [
      [
        [1, 1],
        [0, 2],
      ],
      'reflect',
    ],
    tf: true,
  },
  { name: 'reverse', x, args: [1], tf: true },
  { name: 'unstack', x, args: [1], tf: true },
  {
    name: 'stridedSlice',
    x,
    args: [
      [0, 2],
      [2, 0],
      [1, -1],
    ],
    tf: true,
  },
  { name: 'topk', x, args: [2], tf: true },
  { name: 'unique', x: T([3, 1, 3, 2, 1], [5]), args: [], tf: true },
  { name: 'unsortedSegmentSum', x, args: [ints([1, 0]), 3], tf: true },
  {
    name: 'spaceToBatchND',
    x: img,
    args: [
      [2, 2],
      [
        [0, 0],
        [0, 0],
      ],
    ],
    tf: true,
  },
  {
    name: 'batchToSpaceND',
    x: T(uniform([4, 2, 2, 1], 5), [4, 2, 2, 1]),
    args: [
      [2, 2],
      [
        [0, 0],
        [0, 1],
      ],
    ],
    tf: true,
  },
  { name: 'depthToSpace', x: T(uniform([1, 2, 2, 4], 6), [1, 2, 2, 4]), args: [2], tf: true },
  { name: 'resizeBilinear', x: img, args: [[3, 5], true], tf: true },
  { name: 'resizeNearestNeighbor', x: img, args: [[3, 5], false, true], tf: true },
  { name: 'localResponseNormalization', x: img, args: [1, 1.5, 0.5, 0.75], tf: true },
  {
    name: 'batchNorm',
    x,
    args: [T([0.1, 0.2, 0.3], [3]), T([1, 2, 3], [3]), T([0.5, 0, -0.5], [3]), T([2, 1, 3], [3]), 0.01],
    tf: true,
  },
  {
    name: 'separableConv2d',
    x: img,
    args: [T(uniform([2, 2, 2, 1], 7), [2, 2, 2, 1]), T(uniform([1, 1, 2, 3], 8), [1, 1, 2, 3]), 1, 'valid'],
    tf: true,
  },
  { name: 'concat', x, args: [[y, x], 1], tf: true },
  { name: 'stack', x, args: [y, 1], tf: true },
  { name: 'where', x, args: [mask, y] },
];

// The functional form of each method: tg's function with the tensor first (concat/stack/where place it as TF.js does).
function functional(c: Case): unknown {
  if (c.name === 'concat') return tg.concat([c.x, ...(c.args[0] as tg.Tensor[])], c.args[1] as number);
  if (c.name === 'stack') return tg.stack([c.x, c.args[0] as tg.Tensor], c.args[1] as number);
  if (c.name === 'where') return tg.where(c.args[0] as tg.Tensor, c.x, c.args[1] as tg.Tensor);
  const ns = c.name.startsWith('resize') ? tg.image : tg;
  return (ns as unknown as Record<string, (...a: unknown[]) => unknown>)[c.name](c.x, ...c.args);
}

// A result (tensor, tensor list, or {values, indices}) as plain shapes, dtypes and numbers.
function plain(r: unknown): unknown {
  if (r instanceof tg.Tensor) return { shape: r.shape, dtype: r.dtype, data: Array.from(r.data) };
  if (Array.isArray(r)) return r.map(plain);
  return Object.fromEntries(Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, plain(v)]));
}
function tfPlain(r: unknown): unknown {
  if (r instanceof tf.Tensor) return { shape: r.shape, data: Array.from(r.dataSync() as ArrayLike<number>) };
  if (Array.isArray(r)) return r.map(tfPlain);
  return Object.fromEntries(Object.entries(r as Record<string, unknown>).map(([k, v]) => [k, tfPlain(v)]));
}
const toTf = (a: unknown): unknown =>
  a instanceof tg.Tensor
    ? tf.tensor(Array.from(a.data), [...a.shape], a.dtype === 'int32' ? 'int32' : 'float32')
    : Array.isArray(a) && a[0] instanceof tg.Tensor
      ? a.map(toTf)
      : a;
function expectNear(got: unknown, want: unknown, where: string): void {
  if (typeof want === 'number') {
    expect(Math.abs((got as number) - want), where).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want));
  } else if (Array.isArray(want)) {
    expect((got as unknown[]).length, where).toBe(want.length);
    want.forEach((w, i) => expectNear((got as unknown[])[i], w, where));
  } else {
    for (const [k, w] of Object.entries(want as Record<string, unknown>))
      expectNear((got as Record<string, unknown>)[k], w, `${where}.${k}`);
  }
}

describe('TF.js chained ops on Tensor', () => {
  it.each(cases.map((c) => [c.name, c] as const))('x.%s(args) equals the tg function', (_name, c) => {
    const method = (c.x as unknown as Record<string, (...a: unknown[]) => unknown>)[c.name];
    expect(typeof method, `Tensor.prototype.${c.name}`).toBe('function');
    expect(plain(method.apply(c.x, c.args))).toEqual(plain(functional(c)));
  });

  it.each(cases.filter((c) => c.tf).map((c) => [c.name, c] as const))(
    'x.%s(args) takes TF.js’s argument order (same values as its chained op)',
    (_name, c) => {
      const tx = toTf(c.x) as TfT;
      const want = tfPlain(
        (tx as unknown as Record<string, (...a: unknown[]) => unknown>)[c.name](...c.args.map(toTf)),
      );
      const got = plain((c.x as unknown as Record<string, (...a: unknown[]) => unknown>)[c.name](...c.args));
      expectNear(got, want, c.name);
    },
  );

  it('x.where(condition, b) keeps x where the condition holds, as TF.js', () => {
    const cond = tf.tensor([true, false, true, true, false, false], [2, 3], 'bool');
    // TF.js's method (installed by chained_ops/where, untyped in tfjs-core's Tensor)
    const tx = toTf(x) as unknown as { where(c: TfT, b: TfT): TfT };
    const want = tx.where(cond, toTf(y) as TfT);
    expectNear(plain(x.where(mask, y)), tfPlain(want), 'where');
  });

  it('typechecks as TF.js methods', () => {
    // compile-time: these lines only compile with the methods typed on Tensor
    const t: tg.Tensor = x
      .tan()
      .cumsum(1, false, true)
      .mirrorPad(
        [
          [0, 0],
          [1, 1],
        ],
        'symmetric',
      );
    const parts: tg.Tensor[] = x.unstack(0);
    const { values } = x.topk(1);
    expect([t.shape, parts.length, values.shape]).toEqual([[2, 5], 2, [2, 1]]);
  });
});

// NOTE: tg's conv functions take PyTorch-style (x, w, b, options), not TF.js's positional arguments (see fluent-tfjs.ts).
const NOT_METHODS = new Set(['conv1d', 'conv2d', 'conv2dTranspose', 'depthwiseConv2d']);

// The core fluent methods of src/ops/fluent.ts that TF.js also chains (tested with the core ops).
const CORE_FLUENT = new Set(
  'abs add cast clipByValue div equal exp expandDims flatten greater less log logSoftmax max maximum mean min minimum mul neg pow relu reshape sigmoid softmax sqrt square squeeze sub sum tanh transpose'.split(
    ' ',
  ),
);

/** Every method name tfjs-core 4.22 installs on its Tensor in public/chained_ops/*.js. */
function tfjsChainedOps(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist/public/chained_ops');
  const names = new Set<string>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.js')))
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/prototype\.(\w+)\s*=/g)) names.add(m[1]);
  return [...names].sort();
}

describe('walk of tfjs-core public/chained_ops', () => {
  const names = tfjsChainedOps();
  const fn = (ns: unknown, n: string): boolean => typeof (ns as Record<string, unknown>)[n] === 'function';
  const ours = names.filter((n) => fn(tg, n) || fn(tg.image, n));

  it('finds the chained ops (the walk reads something)', () => {
    expect(names.length).toBeGreaterThan(100);
    expect(names).toEqual(expect.arrayContaining(['tan', 'cumsum', 'resizeBilinear', 'stridedSlice']));
  });

  it('every TF.js chained op tapegrad has as a function is a Tensor method (conv ones excepted by name)', () => {
    const proto = tg.Tensor.prototype as unknown as Record<string, unknown>;
    const missing = ours.filter((n) => !NOT_METHODS.has(n) && typeof proto[n] !== 'function');
    expect(missing).toEqual([]);
    // the exceptions are real: tapegrad has them as functions but not as methods
    expect([...NOT_METHODS].filter((n) => !fn(tg, n) || typeof proto[n] === 'function')).toEqual([]);
  });

  it('every such method has a case above comparing it with the tg function', () => {
    const covered = new Set(cases.map((c) => c.name));
    const uncovered = ours.filter((n) => !NOT_METHODS.has(n) && !covered.has(n) && !CORE_FLUENT.has(n));
    expect(uncovered).toEqual([]);
  });
});
