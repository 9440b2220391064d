// ONNX LayerNormalization and InstanceNormalization on the op path (fine-tuning, useExecutor = false): the
// per-channel rows where Scale and B are shaped as the normalized axes and only Y is read, the composition where
// Mean or InvStdDev is an output; each against the formula written here, gradients flowing.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { GraphBuilder } from '../../../src/io/onnx/export-graph.js';
import { closeTo, encodeGraph, flt, initializers, int, io } from '../../support/onnx-graph.js';

const rng = new tg.Rng(5);
const randn = (shape: number[]) => tg.randn(shape, { rng });

/** x [batch, 5, 8] → LayerNormalization(axis, Scale, B) → y (and its Mean as output `mean` when asked). */
function graph(axis: number, withMean: boolean, scale: tg.Tensor, bias: tg.Tensor): Uint8Array {
  const b = new GraphBuilder(17);
  const w = initializers(b);
  b.nodes.push({
    name: 'ln',
    opType: 'LayerNormalization',
    input: ['x', w('scale', scale), w('bias', bias)],
    output: withMean ? ['y', 'mean'] : ['y'],
    attribute: [int('axis', axis), flt('epsilon', 1e-3)],
  });
  const mean = io('mean', ['batch', ...(axis === -1 ? [5, 1] : [1, 1])]);
  return encodeGraph(
    b,
    'ln_test',
    [io('x', ['batch', 5, 8])],
    [io('y', ['batch', 5, 8]), ...(withMean ? [mean] : [])],
    17,
  );
}

/** (x − μ)/√(σ² + ε)·scale + bias over the axes from `axis` on, in float64 loops. */
function formula(x: tg.Tensor, axis: number, scale: tg.Tensor, bias: tg.Tensor): number[] {
  const d = axis === -1 ? 8 : 40;
  const xs = Array.from(x.data);
  const out: number[] = [];
  for (let r = 0; r < xs.length / d; r++) {
    const row = xs.slice(r * d, (r + 1) * d);
    const mu = row.reduce((a, v) => a + v, 0) / d;
    const v = row.reduce((a, q) => a + (q - mu) ** 2, 0) / d;
    row.forEach((q, j) => out.push(((q - mu) / Math.sqrt(v + 1e-3)) * scale.data[j] + bias.data[j]));
  }
  return out;
}

/** Every op recorded on the way to t. */
function opsBehind(t: tg.Tensor): Set<string> {
  const ops = new Set<string>();
  const visited = new Set<unknown>();
  const stack = [t];
  while (stack.length) {
    const n = stack.pop()!.node;
    if (!n || visited.has(n)) continue;
    visited.add(n);
    ops.add(n.op);
    stack.push(...n.inputs);
  }
  return ops;
}

describe('ONNX LayerNormalization on the op path', () => {
  it('runs the per-channel rows where only Y is read, and matches the formula (axis -1 and 1)', async () => {
    for (const axis of [-1, 1]) {
      const shape = axis === -1 ? [8] : [5, 8];
      const [scale, bias] = [randn(shape), randn(shape)];
      const m = await tg.onnx.loadModel(graph(axis, false, scale, bias));
      m.useExecutor = false;
      const x = tg.tensor(randn([3, 5, 8]).data, [3, 5, 8], { requiresGrad: true });
      const y = m.apply(x) as tg.Tensor; // one graph output: a tensor
      expect(opsBehind(y).has('channelMoments')).toBe(true);
      closeTo(y, formula(x, axis, scale, bias), [3, 5, 8]);
      tg.sum(tg.mul(y, y)).backward();
      expect(x.grad).not.toBeNull();
      expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
    }
  });

  it('runs the composition where Mean is an output, with the same Y', async () => {
    const [scale, bias] = [randn([8]), randn([8])];
    const m = await tg.onnx.loadModel(graph(-1, true, scale, bias));
    m.useExecutor = false;
    const x = tg.tensor(randn([2, 5, 8]).data, [2, 5, 8], { requiresGrad: true });
    const [y, mean] = m.apply(x) as tg.Tensor[];
    expect(opsBehind(y).has('channelMoments')).toBe(false);
    closeTo(y, formula(x, -1, scale, bias), [2, 5, 8]);
    const rows = Array.from(
      { length: 10 },
      (_, r) => Array.from(x.data.subarray(r * 8, r * 8 + 8)).reduce((a, v) => a + v, 0) / 8,
    );
    closeTo(mean, rows, [2, 5, 1]);
  });
});

describe('ONNX InstanceNormalization on the op path', () => {
  it('normalizes each sample and channel over its pixels (the rows), then scales per channel', async () => {
    const [scale, bias] = [randn([3]), randn([3])];
    const b = new GraphBuilder(17);
    const w = initializers(b);
    b.node('InstanceNormalization', ['x', w('scale', scale), w('bias', bias)], [flt('epsilon', 1e-3)], 'y');
    const m = await tg.onnx.loadModel(
      encodeGraph(b, 'in_test', [io('x', ['batch', 3, 4, 5])], [io('y', ['batch', 3, 4, 5])], 17),
    );
    m.useExecutor = false;
    const x = tg.tensor(randn([2, 3, 4, 5]).data, [2, 3, 4, 5], { requiresGrad: true });
    const y = m.apply(x) as tg.Tensor;
    expect(opsBehind(y).has('channelMoments')).toBe(true);
    const want: number[] = [];
    for (let r = 0; r < 6; r++) {
      const px = Array.from(x.data.subarray(r * 20, r * 20 + 20));
      const mu = px.reduce((a, v) => a + v, 0) / 20;
      const v = px.reduce((a, q) => a + (q - mu) ** 2, 0) / 20;
      for (const q of px) want.push(((q - mu) / Math.sqrt(v + 1e-3)) * scale.data[r % 3] + bias.data[r % 3]);
    }
    closeTo(y, want, [2, 3, 4, 5]);
    tg.sum(tg.mul(y, y)).backward();
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
  });
});
