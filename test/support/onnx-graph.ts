// Helpers for tests that build ONNX graphs by hand: attribute protos, a float value_info with symbolic dims, float
// initializers, the Conv → BatchNormalization → Relu block PyTorch exports, and the 1e-5 relative closeness the ONNX
// tests check outputs with.
import { expect } from 'vitest';
import * as tg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { GraphBuilder } from '../../src/io/onnx/export-graph.js';
import { DataType, encodeModel } from '../../src/io/onnx/proto.js';
import { tensorToProto } from '../../src/io/onnx/tensor-proto.js';

export const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
export const int = (name: string, i: number) => ({ name, type: 2, i });
export const flt = (name: string, f: number) => ({ name, type: 1, f });
export const str = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });

/** A float graph input/output: a number is a fixed dim, a string a symbolic one (dim_param). */
export const io = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType: DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** A model file of b's nodes and initializers with these graph inputs and outputs (io(...) records). */
export function encodeGraph(
  b: GraphBuilder,
  name: string,
  input: ReturnType<typeof io>[],
  output: ReturnType<typeof io>[],
  opset = 13,
): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: { name, node: b.nodes, initializer: b.initializers, input, output },
  });
}

/** |got − want| ≤ 1e-5 + 1e-5·|want| everywhere (and the shape, when given). */
export function closeTo(got: Tensor, want: ArrayLike<number>, shape?: readonly number[]): void {
  if (shape) expect(got.shape).toEqual([...shape]);
  const a = got.data;
  expect(a.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - want[i]) - 1e-5 * Math.abs(want[i]));
  expect(worst).toBeLessThanOrEqual(1e-5);
}

/** w(name, t): t as a float initializer of b (as PyTorch writes weights); returns the name. */
export const initializers =
  (b: GraphBuilder) =>
  (name: string, t: Tensor): string => {
    b.initializers.push(tensorToProto({ t, type: DataType.FLOAT }, name));
    return name;
  };

/**
 * Conv 3×3 (pads 1, weights w1 [8, 4, 3, 3], bias b1) → BatchNormalization (g, beta, mu, var; scale and variance
 * positive) → Relu over `x` [batch, 4, h, w]; returns the Relu's output name.
 */
export function convBnRelu(b: GraphBuilder, x: string, randn: (shape: number[]) => Tensor): string {
  const w = initializers(b);
  const c1 = b.node(
    'Conv',
    [x, w('w1', randn([8, 4, 3, 3])), w('b1', randn([8]))],
    [ints('pads', [1, 1, 1, 1])],
  );
  return b.node('Relu', [batchNorm(b, c1, 8, ['g', 'beta', 'mu', 'var'], randn)]);
}

/**
 * BatchNormalization over `x` with `channels` channels: random initializers named [scale, bias, mean, variance],
 * scale and variance positive (|randn| + 0.5); returns the node's output name.
 */
export function batchNorm(
  b: GraphBuilder,
  x: string,
  channels: number,
  [g, beta, mu, v]: [string, string, string, string],
  randn: (shape: number[]) => Tensor,
): string {
  const w = initializers(b);
  const pos = (shape: number[]) => tg.add(tg.abs(randn(shape)), 0.5);
  return b.node('BatchNormalization', [
    x,
    w(g, pos([channels])),
    w(beta, randn([channels])),
    w(mu, randn([channels])),
    w(v, pos([channels])),
  ]);
}
