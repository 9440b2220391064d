// toReferenceFn: compile the emitted TypeScript (types stripped by the TypeScript compiler), run it, and
// compare with the layer's own output; plus one Keras fixture run through the emitted loops directly.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

type RefFn = (x: ArrayLike<number>, batch: number) => Float64Array;
function compile(src: string, name = 'reference'): RefFn {
  const js = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
  }).outputText;
  const exports: Record<string, unknown> = {};
  new Function('exports', js)(exports);
  return exports[name] as RefFn;
}
const rnd = (shape: number[], seed: number) => tg.randn(shape, { rng: new tg.Rng(seed) });
function check(layer: tg.Layer, inShape: number[], batch = 2, seed = 1, tol = 1e-4) {
  const x = rnd([batch, ...inShape], seed);
  const y = tg.noGrad(() => layer.apply(x, { training: false }) as tg.Tensor);
  const src = tg.toReferenceFn(layer, { inputShape: inShape });
  expect(src).not.toMatch(/\btg\.|import /);
  const got = compile(src)(x.data, batch);
  expect(got.length).toBe(y.size);
  for (let i = 0; i < got.length; i++)
    if (Math.abs(got[i] - y.data[i]) > tol * (1 + Math.abs(y.data[i])))
      expect.fail(`${layer.name} index ${i}: reference ${got[i]} vs layer ${y.data[i]}`);
  return src;
}
/** Give every weight random values (biases are zeros by default, which would hide bias bugs). */
function randomize(l: tg.Layer, seed: number) {
  l.setWeights(l.getWeights().map((w, i) => rnd([...w.shape], seed + i)));
}

describe('toReferenceFn: single layers', () => {
  it('Dense with relu, and softmax; the weights are inlined as literals', () => {
    const d = new tg.Dense({ units: 4, activation: 'relu' });
    d.buildShape([1, 6]);
    randomize(d, 10);
    const src = check(d, [6]);
    expect(src).toContain(String(d.kernel.data[0]));
    expect(src).toContain('for (let i = 0; i < I; i++)');
    const s = new tg.Dense({ units: 5, activation: 'softmax' });
    s.buildShape([1, 3]);
    randomize(s, 20);
    check(s, [3], 3);
  });

  const conv2d: [string, tg.ConvArgs, number[]][] = [
    ['valid', { filters: 4, kernelSize: 3 }, [7, 6, 3]],
    [
      'same stride 2',
      { filters: 3, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'tanh' },
      [7, 8, 2],
    ],
    [
      'same stride (3,1), even kernel',
      { filters: 2, kernelSize: 4, strides: [3, 1], padding: 'same' },
      [9, 5, 2],
    ],
    ['dilation 2', { filters: 3, kernelSize: 3, dilationRate: 2, activation: 'sigmoid' }, [9, 9, 2]],
    ['groups 2', { filters: 4, kernelSize: 3, groups: 2, padding: 'same' }, [5, 5, 4]],
    [
      'channels-first',
      { filters: 3, kernelSize: 2, strides: 2, dataFormat: 'channelsFirst', padding: 'same' },
      [2, 5, 6],
    ],
  ];
  for (const [what, args, shape] of conv2d)
    it(`Conv2D ${what}`, () => {
      const l = new tg.Conv2D(args);
      l.buildShape([1, ...shape]);
      randomize(l, 30);
      check(l, shape);
    });

  it('Conv1D: stride, causal padding with dilation, channels-first', () => {
    for (const [args, shape] of [
      [{ filters: 3, kernelSize: 3, strides: 2 }, [11, 4]],
      [{ filters: 2, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu' }, [8, 3]],
      [{ filters: 2, kernelSize: 2, padding: 'same', dataFormat: 'channelsFirst' }, [3, 7]],
    ] as [tg.ConvArgs, number[]][]) {
      const l = new tg.Conv1D(args);
      l.buildShape([1, ...shape]);
      randomize(l, 40);
      check(l, shape);
    }
  });

  it('pooling: max/avg, same/valid, 1-D and 2-D, global', () => {
    check(new tg.MaxPooling2D({ poolSize: 2, padding: 'same' }), [5, 7, 3]);
    check(new tg.AveragePooling2D({ poolSize: [3, 2], strides: [2, 1], padding: 'same' }), [6, 5, 2]);
    check(new tg.MaxPooling1D({ poolSize: 3, strides: 2 }), [9, 2]);
    check(new tg.AveragePooling1D({ poolSize: 2, padding: 'same' }), [7, 3]);
    check(new tg.GlobalAveragePooling2D(), [4, 3, 5]);
    check(new tg.GlobalMaxPooling1D(), [6, 2]);
  });

  it('tg.nn modules: Conv2d with padding, Linear (PyTorch layouts), AvgPool2d counting padded zeros', () => {
    check(new tg.nn.Conv2d(3, 4, 3, { padding: 1, stride: 2 }), [3, 7, 6]);
    check(new tg.nn.Conv1d(2, 3, 3, { padding: 1 }), [2, 8]);
    check(new tg.nn.Linear(5, 3), [5], 4);
    check(new tg.nn.AvgPool2d(3, 2, 1), [2, 6, 6]);
  });

  it('tg.nn Conv2d/Conv1d paddingMode reflect, replicate and circular read the padding the module reads', () => {
    for (const mode of ['reflect', 'replicate', 'circular'] as const) {
      const src = check(
        new tg.nn.Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: mode, stride: [1, 2] }),
        [2, 5, 6],
      );
      expect(src).toContain(`${mode} padding`);
      check(new tg.nn.Conv2d(2, 2, [2, 3], { padding: 'same', paddingMode: mode }), [2, 4, 5]);
      check(new tg.nn.Conv1d(2, 3, 3, { padding: 2, paddingMode: mode, dilation: 2 }), [2, 7]);
    }
  });

  it('tg.nn MaxPool2d: per-axis padding, dilation, ceilMode; the header names the real output shape', () => {
    const src = check(new tg.nn.MaxPool2d(3, 1, [1, 0]), [2, 6, 6]);
    expect(src).toContain('output: flat row-major [batch, 2, 6, 4]');
    check(new tg.nn.MaxPool2d(2, 1, 0, 2), [2, 6, 6]);
    check(new tg.nn.MaxPool2d([3, 2], [2, 1], [1, 1], [2, 1]), [2, 7, 6]);
    check(new tg.nn.MaxPool2d(2, 2, 0, 1, false, true), [2, 5, 5]);
    check(new tg.nn.MaxPool2d(3, 2, 1, 1, false, true), [2, 6, 7]);
  });

  it('tg.nn AvgPool2d: countIncludePad both ways, divisorOverride, ceilMode (its extra padding never counted)', () => {
    check(new tg.nn.AvgPool2d(3, 2, 1, false, false), [2, 6, 6]);
    check(new tg.nn.AvgPool2d([3, 2], [2, 1], [1, 0]), [2, 6, 5]);
    check(new tg.nn.AvgPool2d(2, 2, 0, false, true, 3), [2, 6, 6]);
    check(new tg.nn.AvgPool2d(3, 2, 1, false, true, 5), [2, 6, 6]);
    check(new tg.nn.AvgPool2d(2, 2, 0, true), [2, 5, 5]);
    check(new tg.nn.AvgPool2d(3, 2, 1, true, true), [2, 6, 6]);
    check(new tg.nn.AvgPool2d(3, 2, 1, true, false), [2, 6, 6]);
  });

  it('global pooling with keepdims keeps the singleton axes in the threaded shape', () => {
    const src = check(new tg.GlobalAveragePooling2D({ keepdims: true }), [4, 3, 5]);
    expect(src).toContain('output: flat row-major [batch, 1, 1, 5]');
  });
});

describe('toReferenceFn: whole models', () => {
  it('a Keras Sequential CNN: conv → pool → flatten → dense softmax', () => {
    const m = new tg.Sequential({
      layers: [
        new tg.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 2] }),
        new tg.MaxPooling2D({ poolSize: 2 }),
        new tg.Flatten(),
        new tg.Dropout({ rate: 0.5 }),
        new tg.Dense({ units: 3, activation: 'softmax' }),
      ],
    });
    m.buildModel([null, 8, 8, 2]);
    m.layers.forEach((l, i) => l.getWeights().length && randomize(l, 50 + 10 * i));
    const src = check(m, [8, 8, 2], 3);
    expect(src).toContain('export function reference(x: ArrayLike<number>, batch: number): Float64Array');
    expect(tg.toReferenceFn(m)).toBe(src); // the declared input shape is used by default
  });

  it('a PyTorch-style nn.Sequential', () => {
    const m = new tg.nn.Sequential(
      new tg.nn.Conv2d(1, 2, 3, { padding: 1 }),
      new tg.nn.ReLU(),
      new tg.nn.MaxPool2d(2),
      new tg.nn.Flatten(),
      new tg.nn.Linear(2 * 3 * 3, 4),
      new tg.nn.Sigmoid(),
    );
    m.eval();
    check(m, [1, 6, 6]);
  });

  it('unsupported layers and missing shapes are clear errors', () => {
    expect(() => tg.toReferenceFn(new tg.Conv2D({ filters: 2, kernelSize: 3 }))).toThrow(
      /needs the input shape/,
    );
    expect(() =>
      tg.toReferenceFn(new tg.Dense({ units: 2, activation: (x: tg.Tensor) => x }), { inputShape: [3] }),
    ).toThrow(/custom activation/);
    expect(() => tg.toReferenceFn(new tg.Reshape({ targetShape: [2, 2] }), { inputShape: [4] })).toThrow(
      /no reference loops for Reshape/,
    );
    expect(() => tg.toReferenceFn(new tg.nn.Flatten(1, 2), { inputShape: [2, 3, 4] })).toThrow(
      /flattens axes 1\.\.2/,
    );
  });
});

describe('toReferenceFn vs Keras itself', () => {
  const file = fileURLToPath(
    new URL(
      '../../../shared/keras-fixtures/kerasjs-layers-k2/layers/convolutional/Conv2D.json',
      import.meta.url,
    ),
  );
  it('fixture Conv2D.6 (stride (3,2), same padding, relu) and Conv2D.10 (dilation 2, same)', () => {
    if (!existsSync(file)) throw new Error(`Keras fixture missing: ${file}`);
    const cases = JSON.parse(readFileSync(file, 'utf8'));
    for (const [id, args] of [
      [
        'convolutional.Conv2D.6',
        { filters: 4, kernelSize: 3, strides: [3, 2], padding: 'same', activation: 'relu' },
      ],
      [
        'convolutional.Conv2D.10',
        { filters: 3, kernelSize: 4, dilationRate: 2, padding: 'same', activation: 'relu' },
      ],
    ] as [string, tg.ConvArgs][]) {
      const c = cases[id];
      const l = new tg.Conv2D(args);
      l.buildShape([1, ...c.input.shape]);
      l.setWeights(c.weights.map((w: { data: number[]; shape: number[] }) => tg.tensor(w.data, w.shape)));
      const got = compile(tg.toReferenceFn(l, { inputShape: c.input.shape }))(c.input.data, 1);
      expect(got.length).toBe(c.expected.data.length);
      got.forEach((v, i) =>
        expect(Math.abs(v - c.expected.data[i])).toBeLessThan(1e-4 * (1 + Math.abs(c.expected.data[i]))),
      );
    }
  });
});
