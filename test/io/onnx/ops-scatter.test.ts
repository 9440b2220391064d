// GatherND / ScatterND / ScatterElements / Scatter (ops-scatter.ts) and Shrink, MeanVarianceNormalization, EyeLike,
// CastLike (ops-extra.ts) on one-node models: against ONNX Runtime Web on the same file, gradients (to data and
// updates) by gradcheck, and the refusals by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { OnnxUnsupportedError } from '../../../src/io/onnx/op-types.js';
import {
  DataType,
  type In,
  expectGradcheck,
  expectOrt,
  flt,
  int,
  oneNode,
  runTg,
  str,
  D,
  F,
  I64,
  konst,
} from './one-node-lib.js';

const rng = new tg.Rng(23);
const input = (name: string, shape: number[], type: number = F): In => ({ name, type, shape });
const randn = (shape: number[], dtype: 'float32' | 'float64' = 'float32') => tg.randn(shape, { rng, dtype });

describe('against ONNX Runtime Web', () => {
  it('GatherND (batch_dims 0 and 1, negative indices, int64 data)', async () => {
    await expectOrt(
      { op: 'GatherND', inputs: [input('x', [3, 4, 2]), konst('i', [2, -1, 0, 3, 1, 0], I64, [3, 2])] },
      [randn([3, 4, 2])],
    );
    await expectOrt({ op: 'GatherND', inputs: [input('x', [3, 4, 2]), konst('i', [2, 0, 1], I64, [3, 1])] }, [
      randn([3, 4, 2]),
    ]);
    await expectOrt(
      {
        op: 'GatherND',
        inputs: [input('x', [2, 3, 4], I64), konst('i', [1, 3, 0, 0, 2, -1, 1, 2], I64, [2, 2, 2])],
        attrs: [int('batch_dims', 1)],
      },
      [
        tg.tensor(
          Array.from({ length: 24 }, (_, i) => i * 7 - 50),
          [2, 3, 4],
          { dtype: 'int32' },
        ),
      ],
    );
  });
  it('ScatterND with reduction none / add / mul (opset 16), repeated indices for add and mul', async () => {
    const x = randn([4, 3]);
    const ins = (idx: number[]) => [
      input('x', [4, 3]),
      konst('i', idx, I64, [idx.length, 1]),
      input('u', [idx.length, 3]),
    ];
    await expectOrt({ op: 'ScatterND', inputs: ins([2, 0, -1]) }, [x, randn([3, 3])]);
    for (const red of ['add', 'mul'])
      await expectOrt(
        { op: 'ScatterND', inputs: ins([1, 3, 1, 1]), attrs: [str('reduction', red)], opset: 16 },
        [x, randn([4, 3])],
      );
  });
  it('ScatterElements (axis 0 and 1, negative indices, add / mul / max / min with repeats) and Scatter (opset 9)', async () => {
    const x = randn([3, 4]);
    const idx = konst('i', [1, -1, 0, 1, 2, 0], I64, [2, 3]);
    await expectOrt(
      {
        op: 'ScatterElements',
        inputs: [input('x', [3, 4]), konst('j', [3, 0, 2, -4, 1, 0], I64, [2, 3]), input('u', [2, 3])],
        attrs: [int('axis', 1)],
      },
      [x, randn([2, 3])],
    );
    await expectOrt(
      {
        op: 'ScatterElements',
        inputs: [input('x', [3, 4]), idx, input('u', [2, 3])],
        attrs: [int('axis', 0)],
      },
      [x, randn([2, 3])],
    );
    const rep = konst('r', [1, 1, 3, 1, 0, 0], I64, [2, 3]);
    for (const red of ['add', 'mul', 'max', 'min'])
      await expectOrt(
        {
          op: 'ScatterElements',
          inputs: [input('x', [3, 4]), rep, input('u', [2, 3])],
          attrs: [int('axis', 1), str('reduction', red)],
          opset: 18,
        },
        [x, randn([2, 3])],
      );
    await expectOrt(
      {
        op: 'Scatter',
        inputs: [input('x', [3, 4]), idx, input('u', [2, 3])],
        attrs: [int('axis', 0)],
        opset: 9,
      },
      [x, randn([2, 3])],
    );
  });
  it('Shrink, MeanVarianceNormalization, EyeLike, CastLike', async () => {
    const v = randn([2, 3, 4, 5]);
    await expectOrt(
      {
        op: 'Shrink',
        inputs: [input('x', [2, 3, 4, 5])],
        attrs: [flt('bias', 0.25), flt('lambd', 0.6)],
        opset: 9,
      },
      [v],
    );
    await expectOrt({ op: 'MeanVarianceNormalization', inputs: [input('x', [2, 3, 4, 5])] }, [v]);
    await expectOrt(
      {
        op: 'MeanVarianceNormalization',
        inputs: [input('x', [2, 3, 4, 5])],
        attrs: [{ name: 'axes', type: 7, ints: [1, -1] }],
      },
      [v],
    );
    for (const k of [-1, 0, 2])
      await expectOrt(
        {
          op: 'EyeLike',
          inputs: [input('x', [3, 5])],
          attrs: [int('k', k), int('dtype', DataType.DOUBLE)],
          outType: D,
        },
        [randn([3, 5])],
      );
    await expectOrt({ op: 'EyeLike', inputs: [input('x', [4, 2], I64)], attrs: [int('k', -1)] }, [
      tg.zeros([4, 2], { dtype: 'int32' }),
    ]);
    await expectOrt(
      { op: 'CastLike', inputs: [input('x', [5]), input('like', [1], I64)], outType: I64, opset: 15 },
      [tg.tensor([-2.7, -0.5, 0, 1.9, 3]), tg.zeros([1], { dtype: 'int32' })],
    );
  });
});

describe('gradients (gradcheck, float64) to data and updates', () => {
  it('GatherND, ScatterND (none with a repeat, mul), ScatterElements (none, add, max), Shrink, MVN', () => {
    expectGradcheck(
      { op: 'GatherND', inputs: [input('x', [3, 2, 2], D), konst('i', [2, 1, 0, 0, 2, 1], I64, [3, 2])] },
      [randn([3, 2, 2], 'float64')],
    );
    const nd = (red: string, idx: number[]) => ({
      op: 'ScatterND',
      inputs: [input('x', [4, 2], D), konst('i', idx, I64, [idx.length, 1]), input('u', [idx.length, 2], D)],
      attrs: [str('reduction', red)],
      opset: 16,
    });
    expectGradcheck(nd('none', [3, 0, 3]), [randn([4, 2], 'float64'), randn([3, 2], 'float64')]);
    expectGradcheck(nd('mul', [1, 2, 1]), [randn([4, 2], 'float64'), randn([3, 2], 'float64')]);
    for (const red of ['none', 'add', 'max'])
      expectGradcheck(
        {
          op: 'ScatterElements',
          inputs: [input('x', [3, 3], D), konst('i', [2, 0, 1, 2], I64, [2, 2]), input('u', [2, 2], D)],
          attrs: [int('axis', 1), str('reduction', red)],
          opset: 18,
        },
        [randn([3, 3], 'float64'), randn([2, 2], 'float64')],
      );
    expectGradcheck({ op: 'Shrink', inputs: [input('x', [5], D)], attrs: [flt('bias', 0.3)] }, [
      tg.tensor([-2, -0.8, 0.1, 0.9, 3], [5], { dtype: 'float64' }),
    ]);
    expectGradcheck({ op: 'MeanVarianceNormalization', inputs: [input('x', [2, 2, 2, 3], D)] }, [
      randn([2, 2, 2, 3], 'float64'),
    ]);
  });
});

describe('refusals by name', () => {
  const refuses = (bytes: Uint8Array, xs: tg.Tensor[], msg: RegExp, cls: unknown = OnnxUnsupportedError) => {
    let err: unknown = null;
    try {
      runTg(bytes, xs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(cls as typeof Error);
    expect((err as Error).message).toMatch(msg);
  };
  it('an unknown reduction, out-of-range indices, indices traced from a graph input', () => {
    const x = randn([3, 4]);
    refuses(
      oneNode({
        op: 'ScatterND',
        inputs: [input('x', [3, 4]), konst('i', [1], I64, [1, 1]), input('u', [1, 4])],
        attrs: [str('reduction', 'xor')],
        opset: 16,
      }),
      [x, randn([1, 4])],
      /'n0' \(ScatterND\): reduction='xor' is not supported/,
    );
    refuses(
      oneNode({ op: 'GatherND', inputs: [input('x', [3, 4]), konst('i', [3, 0], I64, [1, 2])] }),
      [x],
      /'n0' \(GatherND\): index 3 is out of range for axis 0 of size 3/,
      tg.ShapeError,
    );
    // exporting a model whose GatherND reads indices computed from a graph input
    const m = tg.onnx.loadModelSync(
      oneNode({
        op: 'GatherND',
        inputs: [input('x', [3, 4]), { name: 'i', type: I64, shape: [2, 2] }],
        outType: F,
      }),
    );
    const idx = tg.tensor([0, 1, 2, 3], [2, 2], { dtype: 'int32' });
    expect(Array.from((m.apply([x, idx], { training: false }) as tg.Tensor).data)).toEqual([
      x.data[1],
      x.data[11],
    ]);
    expect(() => tg.trace((a: tg.Tensor) => m.apply([a, idx], { training: false }) as tg.Tensor, x)).toThrow(
      /'n0' \(GatherND\): indices computed from a graph input while ops are traced/,
    );
  });
});
