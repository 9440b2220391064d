// The compiled executor of an imported ONNX graph (src/io/onnx/executor*.ts) against the node-by-node layer path
// (useInferencePlan = false) and ONNX Runtime Web: on a graph built here to reach every compiled rule and a node it
// runs as itself, on the PyTorch and tf2onnx-style fixtures at several batch sizes; weights changed after compiling
// (in place, replaced, by fit) are what runs; outputs are the caller's copies; buffers are reused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { Executor } from '../../../src/io/onnx/executor.js';
import { GraphBuilder } from '../../../src/io/onnx/export-graph.js';
import { InferencePlan } from '../../../src/io/onnx/inference-plan.js';
import type { OnnxModel } from '../../../src/io/onnx/model.js';
import { DataType, encodeModel } from '../../../src/io/onnx/proto.js';
import { tensorToProto } from '../../../src/io/onnx/tensor-proto.js';
import {
  batchNorm,
  closeTo,
  convBnRelu,
  flt,
  initializers,
  int,
  ints,
  io,
} from '../../support/onnx-graph.js';
import { localFixtures } from '../fixtures-dir.js';

ort.env.wasm.numThreads = 1;
const rng = new tg.Rng(11);
const randn = (shape: number[], scale = 0.5) => tg.mul(tg.randn(shape, { rng }), scale);
/** x [batch, 4, 8, 8] through every compiled rule (and a ReduceMean run as itself); outputs y, z (channels-last), s. */
function buildGraph(): Uint8Array {
  const b = new GraphBuilder(13);
  const w = initializers(b);
  const pos = (shape: number[]) => tg.add(tg.abs(randn(shape)), 0.5);
  const r1 = convBnRelu(b, 'x', randn);
  const c2 = b.node(
    'Conv',
    [r1, w('w2', randn([8, 2, 3, 3]))],
    [int('group', 4), ints('pads', [1, 1, 1, 1])],
  );
  const lk = b.node('LeakyRelu', [c2], [flt('alpha', 0.2)]);
  const dw = b.node('Conv', [lk, w('w3', randn([8, 1, 3, 3]))], [int('group', 8), ints('strides', [2, 2])]); // depthwise
  const sc = b.node('Mul', [lk, w('chan', randn([1, 8, 1, 1]))]); // per channel on a channels-last value
  const sh = b.node('Sub', [
    b.node(
      'Constant',
      [],
      [{ name: 'value', type: 4, t: tensorToProto({ t: tg.tensor(1.5), type: DataType.FLOAT }, 'one') }],
    ),
    sc,
  ]); // scalar first
  const pd = b.node('Pad', [sh, b.int64([0, 0, 1, 0, 0, 0, 0, 2])], []);
  const mp = b.node(
    'MaxPool',
    [pd],
    [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('ceil_mode', 1)],
  );
  const ap = b.node(
    'AveragePool',
    [mp],
    [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), int('count_include_pad', 0)],
  );
  const ap2 = b.node(
    'AveragePool',
    [mp],
    [
      ints('kernel_shape', [2, 2]),
      ints('pads', [1, 0, 0, 1]),
      int('count_include_pad', 1),
      int('ceil_mode', 1),
    ],
  );
  const mix = b.node('Add', [ap, b.node('Tanh', [b.node('Div', [ap2, w('two', tg.tensor([2]))])])]);
  const red = b.node('ReduceMean', [dw], [ints('axes', [2, 3]), int('keepdims', 1)]); // no rule: run as itself
  const gap = b.node('GlobalAveragePool', [lk]); // channels-last input
  const gmp = b.node('GlobalMaxPool', [b.node('Transpose', [lk], [ints('perm', [0, 1, 3, 2])])]); // NCHW input
  const mixBn = batchNorm(b, mix, 8, ['g2', 'be2', 'mu2', 'var2'], randn);
  const both = b.node('Mul', [mixBn, b.node('Sigmoid', [red])]); // [n,8,5,5] · [n,8,1,1]: broadcast → node by node
  const tr = b.node('Transpose', [both], [ints('perm', [0, 2, 1, 3])]);
  const f = b.node('Flatten', [tr]);
  const g = b.node(
    'Gemm',
    [f, w('wg', randn([200, 12], 0.1)), w('bg', randn([1, 12]))],
    [flt('alpha', 0.5), flt('beta', 2)],
  );
  const e = b.node('Erf', [g]);
  const ln = b.node(
    'LayerNormalization',
    [e, w('lg', pos([12])), w('lb', randn([12]))],
    [int('axis', -1), flt('epsilon', 1e-3)],
  );
  const mm = b.node('MatMul', [ln, w('wm', randn([12, 5]))]);
  const ad = b.node('Add', [w('bm', randn([5])), mm]); // bias first
  b.node('LogSoftmax', [ad], [int('axis', 1)], 'y');
  b.node('Identity', [mp], [], 'z');
  b.node('Sub', [gap, gmp], [], 'p');
  b.node('GlobalMaxPool', [b.node('Concat', [sh, sc], [int('axis', 1)])], [], 'u'); // channels-last inputs
  b.node('Concat', [tr, b.node('Neg', [tr])], [int('axis', -1)], 'v'); // NCHW inputs, last axis
  // Conv → LeakyRelu → MaxPool (the LeakyRelu moves after the pool) → Flatten of channels-last values → Gemm
  // (permuted weights)
  const c5 = b.node(
    'LeakyRelu',
    [b.node('Conv', [lk, w('w5', randn([4, 8, 1, 1])), w('b5', randn([4]))])],
    [flt('alpha', 0.1)],
  );
  const p5 = b.node('MaxPool', [c5], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]);
  b.node(
    'Gemm',
    [b.node('Flatten', [p5]), w('wq', randn([3, 64])), w('bq', randn([3]))],
    [int('transB', 1)],
    'q',
  );
  b.node('Softmax', [b.node('Reshape', [tr, b.int64([0, -1, 8])])], [int('axis', 1)], 's');
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'executor_test',
      node: b.nodes,
      initializer: b.initializers,
      input: [io('x', ['batch', 4, 8, 8])],
      output: [
        io('y', ['batch', 5]),
        io('z', ['batch', 8, 5, 5]),
        io('s', ['batch', 5, 8, 5]),
        io('q', ['batch', 3]),
        io('p', ['batch', 8, 1, 1]),
        io('u', ['batch', 16, 1, 1]),
        io('v', ['batch', 5, 8, 10]),
      ],
    },
  });
}

const outs = (y: tg.Tensor | tg.Tensor[]) => (Array.isArray(y) ? y : [y]);
const nodeByNode = (m: OnnxModel, x: tg.Tensor) => {
  m.useInferencePlan = false;
  const y = outs(m.predict(x));
  m.useInferencePlan = true;
  return y;
};

describe('ONNX compiled executor', () => {
  it('gives the layer path’s outputs on every compiled rule, at batch 1, 3 and 7', async () => {
    const m = await tg.onnx.loadModel(buildGraph());
    const run = vi.spyOn(Executor.prototype, 'run');
    const plan = vi.spyOn(InferencePlan.prototype, 'run');
    for (const n of [1, 3, 7]) {
      const x = randn([n, 4, 8, 8], 1);
      const fast = outs(m.predict(x));
      const again = outs(m.predict(x)); // the compiled executor, not the recording run
      const slow = nodeByNode(m, x);
      slow.forEach((t, i) => {
        closeTo(fast[i], t.data, t.shape);
        closeTo(again[i], t.data, t.shape);
      });
    }
    expect(run).toHaveBeenCalledTimes(6);
    expect(plan).not.toHaveBeenCalled();
    run.mockRestore();
    plan.mockRestore();
    const lines = m.explainExecutor(randn([2, 4, 8, 8], 1));
    const line = (name: string) => lines.find((l) => l.startsWith(`${name} (`)) ?? '';
    const names = m.layers.map((l) => l.name);
    expect(lines.length).toBe(names.length + 1); // one per node, then the buffers
    expect(line(names[1])).toMatch(/folded into the weights of/); // BatchNormalization
    expect(line(names[2])).toMatch(/in the conv kernel \(its epilogue\) of/); // Relu
    expect(line(names[3])).toMatch(/4 groups block-diagonal/);
    expect(line(names[5])).toMatch(/grouped conv composite on the buffers \(8 groups\)/);
    expect(lines.find((l) => l.includes('(ReduceMean)'))).toMatch(
      /node by node — the executor has no rule for ReduceMean/,
    );
    expect(lines.find((l) => l.includes('(Sub)'))).toMatch(/scalar operand/);
    expect(lines.filter((l) => l.includes('(Mul)'))[0]).toMatch(/per-channel operand/);
    expect(lines.find((l) => l.includes('(Add)') && l.includes('bias'))).toMatch(/as the bias of/);
    expect(lines.find((l) => l.includes('(LeakyRelu)') && l.includes('pooled'))).toMatch(
      /applied to the pooled values/,
    );
    expect(lines.find((l) => l.includes('(Flatten)') && l.includes('channels-last'))).toBeDefined();
    expect(lines.filter((l) => l.includes('one reduction over the spatial axes')).length).toBe(3);
    expect(lines.find((l) => l.includes('per-channel affine'))).toMatch(/NHWC/);
    expect(lines.filter((l) => l.includes('concat kernel')).length).toBe(2);
    expect(lines.find((l) => l.includes('concat kernel, NHWC'))).toBeDefined();
    expect(lines[lines.length - 1]).toMatch(/^buffers: \d+ for \d+ values/);
  });

  it('gives ONNX Runtime Web’s and the layer path’s outputs on the fixtures, at several batch sizes', async () => {
    for (const [file, shape, sizes] of [
      ['cnn.onnx', [1, 28, 28], [1, 5, 32]],
      ['mlp.onnx', [6], [1, 5, 32, 70]], // 70: predict's batches of 32, 32 and 6
      ['tf2onnx_cnn.onnx', [8, 8, 3], [1, 4]],
      ['tf2onnx_lstm.onnx', [5, 4], [1, 3]],
      ['rnn.onnx', [7, 4], [2]],
    ] as const) {
      const bytes = readFileSync(join(localFixtures, 'onnx', file));
      const m = await tg.onnx.loadModel(bytes);
      const s = await ort.InferenceSession.create(bytes);
      for (const n of sizes) {
        const x = randn([n, ...shape], 1);
        const got = outs(m.predict(x));
        const r = await s.run({
          [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [n, ...shape]),
        });
        s.outputNames.forEach((name, i) => closeTo(got[i], r[name].data as Float32Array, r[name].dims));
        nodeByNode(m, x).forEach((t, i) => closeTo(got[i], t.data, t.shape));
      }
    }
  });

  it('runs the current weights: changed in place, replaced, by BatchNormalization statistics and by fit', async () => {
    const m = await tg.onnx.loadModel(join(localFixtures, 'onnx', 'cnn.onnx'));
    const x = randn([4, 1, 28, 28], 1);
    const check = () => {
      const fast = m.predict(x) as tg.Tensor;
      closeTo(fast, nodeByNode(m, x)[0].data);
      return Array.from(fast.data);
    };
    const before = check();
    m.initializers.get('fc2.weight')!.data.fill(0.05); // in place, as an optimizer writes
    const inPlace = check();
    expect(inPlace).not.toEqual(before);
    const v = m.initializers.get('bn1.running_var')!; // folded into conv1's prepared weights
    v.data = v.data.map((a) => a * 4);
    const replaced = check();
    expect(replaced).not.toEqual(inPlace);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await m.fit(x, tg.zeros([4, 10]), { epochs: 1, batchSize: 4, verbose: 0 });
    expect(check()).not.toEqual(replaced);
  });

  it('hands out copies: a later predict never changes an earlier result', async () => {
    const m = await tg.onnx.loadModel(join(localFixtures, 'onnx', 'mlp.onnx'));
    const y1 = m.predict(randn([3, 6], 1)) as tg.Tensor;
    const first = Array.from(y1.data);
    const y2 = m.predict(randn([3, 6], 1)) as tg.Tensor;
    expect(Array.from(y1.data)).toEqual(first);
    expect(Array.from(y2.data)).not.toEqual(first);
    expect(y1.data.buffer).not.toBe(y2.data.buffer);
  });

  it('plans buffers once per shape and reuses them for values that are dead', async () => {
    const m = await tg.onnx.loadModel(join(localFixtures, 'onnx', 'cnn.onnx'));
    const last = m.explainExecutor(randn([32, 1, 28, 28], 1)).at(-1)!;
    const [, buffers, values] = /^buffers: (\d+) for (\d+) values/.exec(last)!.map(Number);
    expect(buffers).toBeLessThan(values);
  });

  it('steps aside where it would differ (a hook on a node, useExecutor = false) and runs under a model hook', async () => {
    const m = await tg.onnx.loadModel(join(localFixtures, 'onnx', 'mlp.onnx'));
    const run = vi.spyOn(Executor.prototype, 'run');
    const x = randn([2, 6], 1);
    const off = m.layers[1].registerForwardHook(() => undefined);
    m.predict(x);
    expect(run).not.toHaveBeenCalled();
    off();
    m.useExecutor = false;
    m.predict(x);
    expect(run).not.toHaveBeenCalled();
    m.useExecutor = true;
    // a hook on the model sees its input and output: predict takes the layer call, which runs the executor inside
    const seen: number[][] = [];
    const off2 = m.registerForwardHook((_l, _x, y) => void seen.push([...(y as tg.Tensor).shape]));
    const y = m.predict(x) as tg.Tensor;
    expect(seen).toEqual([[2, 3]]);
    expect(run).toHaveBeenCalledTimes(1);
    off2();
    closeTo(y, nodeByNode(m, x)[0].data);
    m.predict(x);
    expect(run).toHaveBeenCalledTimes(2);
    expect(seen.length).toBe(1);
    run.mockRestore();
  });

  it('turns itself off for a shape that depends on the data, giving the plan’s and node by node’s outputs', async () => {
    // y = Range(0, floor(max(x)), 1) as float: its length is the data's
    const b = new GraphBuilder(13);
    const lim = b.node(
      'Cast',
      [b.node('Floor', [b.node('ReduceMax', ['x'], [int('keepdims', 0)])])],
      [int('to', 7)],
    );
    const r = b.node('Range', [b.int64([0], true), lim, b.int64([1], true)]);
    b.node('Cast', [r], [int('to', 1)], 'y');
    const m = await tg.onnx.loadModel(
      encodeModel({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'data_shape',
          node: b.nodes,
          initializer: b.initializers,
          input: [io('x', [3])],
          output: [io('y', ['n'])],
        },
      }),
    );
    const first = m.predict(tg.tensor([3.5, 0.2, 1.2])) as tg.Tensor;
    expect(Array.from(first.data)).toEqual([0, 1, 2]);
    expect(m.executorOff).toBeNull();
    const x = tg.tensor([5.5, 0.2, 1.2]);
    const second = m.predict(x) as tg.Tensor;
    expect(Array.from(second.data)).toEqual([0, 1, 2, 3, 4]);
    expect(m.executorOff).toMatch(/Range.*compiled for \[3\]/);
    expect(Array.from(nodeByNode(m, x)[0].data)).toEqual([0, 1, 2, 3, 4]);
  });
});
