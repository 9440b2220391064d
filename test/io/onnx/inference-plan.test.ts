// The inference plan of an imported ONNX graph (src/io/onnx/inference-plan.ts) against the node-by-node layer path
// (useInferencePlan = false), on graphs built here to reach every planned case: Conv + BatchNormalization folding,
// block-diagonal and per-group grouped convs, channels-last values read by NCHW-only nodes, Pad and pools on
// channels-last values, Gemm's alpha/beta/transB/bias forms, Flatten back to NCHW, and when the plan must not run.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { GraphBuilder } from '../../../src/io/onnx/export-graph.js';
import { InferencePlan } from '../../../src/io/onnx/inference-plan.js';
import { DataType, encodeModel } from '../../../src/io/onnx/proto.js';
import { tensorToProto } from '../../../src/io/onnx/tensor-proto.js';
import {
  batchNorm,
  closeTo as near,
  convBnRelu,
  flt,
  initializers,
  int,
  ints,
  io,
  str,
} from '../../support/onnx-graph.js';

const rng = new tg.Rng(7);
const randn = (shape: number[], scale = 0.5) => tg.mul(tg.randn(shape, { rng }), scale);

/** A graph over x [batch, 4, 9, 9] with two outputs; weights are initializers, as PyTorch writes them. */
function buildGraph(): Uint8Array {
  const b = new GraphBuilder(13);
  const w = initializers(b);
  const r1 = convBnRelu(b, 'x', randn);
  // group 4: block-diagonal; group 8 (depthwise): per group; strided SAME_UPPER, dilated
  const c2 = b.node(
    'Conv',
    [r1, w('w2', randn([8, 2, 3, 3]))],
    [int('group', 4), ints('pads', [1, 1, 1, 1])],
  );
  const c3 = b.node(
    'Conv',
    [c2, w('w3', randn([8, 1, 3, 3])), w('b3', randn([8]))],
    [int('group', 8), ints('strides', [2, 2]), str('auto_pad', 'SAME_UPPER')],
  );
  // a conv read twice: its BatchNormalization is not folded
  const c4 = b.node(
    'Conv',
    [r1, w('w4', randn([8, 8, 1, 1])), w('b4', randn([8]))],
    [ints('dilations', [1, 1])],
  );
  const bn4 = batchNorm(b, c4, 8, ['g4', 'be4', 'm4', 'v4'], randn);
  const sum4 = b.node('Add', [bn4, c4]);
  const lk = b.node('LeakyRelu', [sum4], [flt('alpha', 0.3)]);
  const pool4 = b.node(
    'MaxPool',
    [lk],
    [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])],
  );
  const pads = b.int64([0, 0, 1, 0, 0, 0, 0, 1]);
  const p = b.node('Pad', [c3, pads], [str('mode', 'constant')]);
  const avg = b.node(
    'AveragePool',
    [p],
    [
      ints('kernel_shape', [3, 3]),
      ints('strides', [1, 1]),
      int('ceil_mode', 1),
      int('count_include_pad', 1),
      ints('pads', [1, 1, 0, 0]),
    ],
  );
  const s = b.node('Sigmoid', [avg]);
  const mix = b.node('Mul', [s, pool4]); // two channels-last values into an NCHW node
  const f = b.node('Flatten', [mix]);
  const k = 8 * 5 * 5;
  const g1 = b.node(
    'Gemm',
    [f, w('wg1', randn([6, k], 0.1)), w('bg1', randn([6]))],
    [int('transB', 1), flt('alpha', 0.5), flt('beta', 2)],
  );
  const g2 = b.node('Gemm', [g1, w('wg2', randn([6, 3])), w('bg2', randn([1]))], []);
  b.node('Identity', [g2], [], 'y');
  b.node('Identity', [pool4], [], 'z'); // a channels-last value as a graph output
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'plan_test',
      node: b.nodes,
      initializer: b.initializers,
      input: [io('x', ['batch', 4, 9, 9])],
      output: [io('y', ['batch', 3]), io('z', ['batch', 8, 5, 5])],
    },
  });
}

const closeTo = (got: tg.Tensor, want: tg.Tensor) => near(got, want.data, want.shape);

describe('ONNX inference plan', () => {
  it('gives the layer path’s outputs on every planned case, at batch 1, 3 and 7', async () => {
    const m = await tg.onnx.loadModel(buildGraph());
    m.useExecutor = false; // the plan itself (the compiled executor is tested in executor.test.ts)
    const spy = vi.spyOn(InferencePlan.prototype, 'run');
    for (const n of [1, 3, 7]) {
      const x = randn([n, 4, 9, 9], 1);
      m.useInferencePlan = true;
      const fast = m.predict(x) as tg.Tensor[];
      m.useInferencePlan = false;
      const slow = m.predict(x) as tg.Tensor[];
      closeTo(fast[0], slow[0]);
      closeTo(fast[1], slow[1]);
    }
    expect(spy).toHaveBeenCalledTimes(3);
    spy.mockRestore();
  });

  it('gives PyTorch’s outputs on the CNN and MLP fixtures as the layer path does', async () => {
    for (const [file, shape] of [
      ['cnn.onnx', [5, 1, 28, 28]],
      ['mlp.onnx', [5, 6]],
      ['rnn.onnx', [2, 7, 4]],
    ] as const) {
      const { localFixtures } = await import('../fixtures-dir.js');
      const m = await tg.onnx.loadModel(`${localFixtures}/onnx/${file}`);
      const x = randn([...shape], 1);
      const fast = m.predict(x) as tg.Tensor;
      m.useInferencePlan = false;
      closeTo(fast, m.predict(x) as tg.Tensor);
    }
  });

  it('is not used where it would differ: hooks, tracing, training, a recording tape', async () => {
    const m = await tg.onnx.loadModel(buildGraph());
    m.useExecutor = false;
    const spy = vi.spyOn(InferencePlan.prototype, 'run');
    const x = randn([2, 4, 9, 9], 1);
    const seen: string[] = [];
    const off = m.layers[0].registerForwardHook((l) => void seen.push(l.name));
    m.predict(x);
    expect(seen).toEqual([m.layers[0].name]);
    expect(spy).not.toHaveBeenCalled();
    off();
    m.predict(x);
    expect(spy).toHaveBeenCalledTimes(1);
    // a trace sees every node's composition, not the plan's
    const t = tg.trace(() => m.predict(x));
    expect(t.rows.some((r) => r.op === 'im2col')).toBe(true); // conv as its composition, not a fused row
    expect(spy).toHaveBeenCalledTimes(1);
    // gradients flow through the layer path
    const xg = tg.tensor(x.data, x.shape, { requiresGrad: true });
    const [y] = m.apply(xg) as tg.Tensor[];
    tg.sum(y).backward();
    expect(xg.grad).not.toBeNull();
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('tf2onnx’s NHWC → Transpose → Conv → Relu → Transpose runs as the layer path does', async () => {
    const b = new GraphBuilder(13);
    const w = randn([5, 3, 3, 3]);
    b.initializers.push(tensorToProto({ t: w, type: DataType.FLOAT }, 'w'));
    const t1 = b.node('Transpose', ['x'], [ints('perm', [0, 3, 1, 2])]);
    const c = b.node('Relu', [b.node('Conv', [t1, 'w'], [ints('pads', [1, 1, 1, 1])])]);
    b.node('Transpose', [c], [ints('perm', [0, 2, 3, 1])], 'y');
    const m = await tg.onnx.loadModel(
      encodeModel({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'nhwc',
          node: b.nodes,
          initializer: b.initializers,
          input: [io('x', ['n', 6, 6, 3])],
          output: [io('y', ['n', 6, 6, 5])],
        },
      }),
    );
    const x = randn([2, 6, 6, 3], 1);
    const fast = m.predict(x) as tg.Tensor;
    m.useInferencePlan = false;
    closeTo(fast, m.predict(x) as tg.Tensor);
  });

  it('uses the current weights: fine-tuning changes what the plan computes', async () => {
    const m = await tg.onnx.loadModel(buildGraph());
    const x = randn([2, 4, 9, 9], 1);
    const before = (m.predict(x) as tg.Tensor[])[0].data.slice();
    const w = m.initializers.get('mu')!;
    w.data = w.data.map((v) => v + 1); // a BatchNormalization statistic folded into conv 1
    m.initializers.get('wg2')!.data.fill(0.25); // in place, as an optimizer step may write
    const fast = m.predict(x) as tg.Tensor[];
    m.useInferencePlan = false;
    closeTo(fast[0], (m.predict(x) as tg.Tensor[])[0]);
    expect(Array.from(fast[0].data)).not.toEqual(Array.from(before));
  });
});
