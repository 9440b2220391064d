// The ONNX operators of ops-extra.ts (trigonometry, Round, Mod, logic, IsNaN/IsInf, CumSum, GatherElements,
// Trilu, OneHot, Hardmax, Mish/Celu/ThresholdedRelu, ReduceProd/LogSumExp/L1/LogSum) on one-node models: against
// ONNX Runtime Web on the same file, against PyTorch numbers and Math.* where the test data has none, gradients by
// gradcheck, and every refusal by name. (ONNX's own node tests for them run in conformance.test.ts.)
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { OnnxUnsupportedError } from '../../../src/io/onnx/op-types.js';
import {
  DataType,
  type In,
  expectGradcheck,
  expectOrt,
  int,
  oneNode,
  runTg,
  D,
  F,
  I64,
  konst,
} from './one-node-lib.js';

const rng = new tg.Rng(11);
const randn = (shape: number[]) => tg.randn(shape, { rng, dtype: 'float64' });
const x = (shape: number[], type: number = D): In => ({ name: 'x', type, shape });
const vals = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });

describe('gradients of the imported operators (gradcheck, float64)', () => {
  const unary = ['Tan', 'Atan', 'Asin', 'Acos', 'Sinh', 'Cosh', 'Asinh', 'Atanh', 'Mish'];
  it.each(unary)('%s', (op) => {
    // inside every domain (|x| < 1 for Asin/Acos/Atanh), and x ≠ 0 ± eps
    const v = vals([-0.9, -0.55, -0.2, 0.15, 0.5, 0.85]);
    expectGradcheck({ op, inputs: [x([6])], opset: op === 'Mish' ? 18 : 13 }, [v]);
  });
  it('Atan, Asinh and Acosh on their large-argument branches', () => {
    expectGradcheck({ op: 'Atan', inputs: [x([5])] }, [vals([-40, -3, -1.2, 1.7, 9])]);
    expectGradcheck({ op: 'Acosh', inputs: [x([4])] }, [vals([1.1, 1.6, 3, 20])]);
    expectGradcheck({ op: 'Asinh', inputs: [x([5])] }, [vals([-30, -1.4, 1.2, 3, 700])]);
  });
  it('Celu and ThresholdedRelu with alpha', () => {
    const v = vals([-3, -0.7, -0.1, 0.3, 1.4, 2.6]);
    expectGradcheck(
      { op: 'Celu', inputs: [x([6])], attrs: [{ name: 'alpha', type: 1, f: 0.7 }], opset: 12 },
      [v],
    );
    expectGradcheck(
      { op: 'ThresholdedRelu', inputs: [x([6])], attrs: [{ name: 'alpha', type: 1, f: 0.5 }] },
      [v],
    );
  });
  it.each([
    ['ReduceProd', [1]],
    ['ReduceLogSumExp', [0, 2]],
    ['ReduceL1', [-1]],
    ['ReduceLogSum', [1]],
  ])('%s over axes %j', (op, axes) => {
    const v = op === 'ReduceLogSum' ? tg.add(tg.abs(randn([2, 3, 4])), 0.5) : randn([2, 3, 4]);
    expectGradcheck({ op, inputs: [x([2, 3, 4])], attrs: [{ name: 'axes', type: 7, ints: axes }] }, [v]);
  });
  it('ReduceProd at opset 18 (axes as an input, keepdims=0): the gradient where a factor is 0', () => {
    const s = {
      op: 'ReduceProd',
      inputs: [x([2, 4]), konst('axes', [1])],
      attrs: [int('keepdims', 0)],
      opset: 18,
    };
    const v = vals([1, 0, -2, 3, 0.5, -1, 2, -4], [2, 4]);
    expectGradcheck(s, [v]);
    const m = tg.onnx.loadModelSync(oneNode(s));
    const [g] = tg.grads((t: tg.Tensor) => tg.sum(m.apply(t, { training: false }) as tg.Tensor))(v);
    // d/dx_j Π x = Π_{i≠j} x_i, a loop over the rows
    const want: number[] = [];
    for (let r = 0; r < 2; r++)
      for (let j = 0; j < 4; j++) {
        let p = 1;
        for (let i = 0; i < 4; i++) if (i !== j) p *= v.data[r * 4 + i];
        want.push(p);
      }
    expect(Array.from(g.data)).toEqual(want);
  });
  it.each([
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ])('CumSum exclusive=%i reverse=%i', (exclusive, reverse) => {
    const s = {
      op: 'CumSum',
      inputs: [x([3, 5]), konst('axis', [1], I64, [])],
      attrs: [int('exclusive', exclusive), int('reverse', reverse)],
    };
    expectGradcheck(s, [randn([3, 5])]);
  });
  it('LRN', () => {
    expectGradcheck(
      { op: 'LRN', inputs: [x([1, 4, 2, 2])], attrs: [int('size', 3), { name: 'alpha', type: 1, f: 0.5 }] },
      [randn([1, 4, 2, 2])],
    );
  });
  it('GatherElements (negative indices), Trilu, OneHot (with respect to its values), Mod (fmod=1)', () => {
    const idx = konst('idx', [0, -1, 1, 2, 0, 0], I64, [2, 3]);
    expectGradcheck({ op: 'GatherElements', inputs: [x([3, 3]), idx], attrs: [int('axis', 0)] }, [
      randn([3, 3]),
    ]);
    expectGradcheck(
      { op: 'Trilu', inputs: [x([2, 3, 4]), konst('k', [-1], I64, [])], attrs: [int('upper', 0)] },
      [randn([2, 3, 4])],
    );
    expectGradcheck(
      {
        op: 'OneHot',
        inputs: [konst('i', [1, -1, 0], I64), konst('depth', [3], I64, []), x([2])],
        outType: D,
      },
      [vals([0.25, 2])],
    );
    expectGradcheck(
      { op: 'Mod', inputs: [x([4]), konst('b', [1.5, -2, 3, -0.75], F)], attrs: [int('fmod', 1)] },
      [vals([4.1, 5.3, -7.2, -2.6])],
    );
  });
});

describe('against ONNX Runtime Web (the same one-node file)', () => {
  const wide = tg.tensor([
    -1e6,
    -50,
    -3,
    -1,
    -0.6,
    -0.1,
    0,
    0.2,
    0.9,
    1,
    2.5,
    80,
    3e5,
    1e20,
    Infinity,
    -Infinity,
    NaN,
  ]);
  it.each(['Tan', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Round', 'IsNaN', 'IsInf'])('%s', async (op) => {
    const outType = op.startsWith('Is') ? DataType.BOOL : F;
    await expectOrt({ op, inputs: [x([17], F)], opset: 13, outType }, [
      op === 'Tan' ? tg.clipByValue(wide, -1.5, 1.5) : wide,
    ]);
  });
  it.each(['Asin', 'Acos', 'Atanh'])('%s on [-1, 1]', async (op) => {
    const v = tg.tensor([-1, -0.999, -0.7, -0.3, 0, 0.01, 0.5, 0.95, 1]);
    await expectOrt({ op, inputs: [x([9], F)] }, [v]);
  });
  it('Round halves to even', async () => {
    await expectOrt({ op: 'Round', inputs: [x([8], F)] }, [
      tg.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.49, -3.51]),
    ]);
  });
  it('Mish (opset 18), Celu, ThresholdedRelu, Hardmax (opset 11 and 13)', async () => {
    const v = tg.randn([2, 3, 4], { rng });
    await expectOrt({ op: 'Mish', inputs: [x([2, 3, 4], F)], opset: 18 }, [v]);
    await expectOrt(
      { op: 'Celu', inputs: [x([2, 3, 4], F)], attrs: [{ name: 'alpha', type: 1, f: 2 }], opset: 12 },
      [v],
    );
    await expectOrt(
      { op: 'ThresholdedRelu', inputs: [x([2, 3, 4], F)], attrs: [{ name: 'alpha', type: 1, f: 0.3 }] },
      [v],
    );
    await expectOrt({ op: 'Hardmax', inputs: [x([2, 3, 4], F)], attrs: [int('axis', 1)], opset: 11 }, [v]);
    await expectOrt({ op: 'Hardmax', inputs: [x([2, 3, 4], F)], attrs: [int('axis', 1)], opset: 13 }, [v]);
  });
  it('LRN (sizes 1, 3, 5: ONNX Runtime takes odd ones only; every attribute)', async () => {
    const v = tg.randn([2, 5, 3, 4], { rng });
    for (const size of [1, 3, 5]) {
      const attrs = [
        int('size', size),
        { name: 'alpha', type: 1, f: 0.02 },
        { name: 'beta', type: 1, f: 0.6 },
        { name: 'bias', type: 1, f: 1.5 },
      ];
      await expectOrt({ op: 'LRN', inputs: [x([2, 5, 3, 4], F)], attrs }, [v]);
    }
  });
  it('ReduceProd / ReduceLogSumExp / ReduceL1 / ReduceLogSum at opset 18 (axes input)', async () => {
    const v = tg.add(tg.abs(tg.randn([3, 4, 5], { rng })), 0.2);
    for (const op of ['ReduceProd', 'ReduceLogSumExp', 'ReduceL1', 'ReduceLogSum'])
      for (const keep of [0, 1])
        await expectOrt(
          {
            op,
            inputs: [x([3, 4, 5], F), konst('axes', [0, -1])],
            attrs: [int('keepdims', keep)],
            opset: 18,
          },
          [v],
        );
  });
  it('CumSum on int64 and float, every exclusive/reverse', async () => {
    for (const [exclusive, reverse] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ]) {
      const attrs = [int('exclusive', exclusive), int('reverse', reverse)];
      await expectOrt({ op: 'CumSum', inputs: [x([2, 7], I64), konst('axis', [-1], I64, [])], attrs }, [
        tg.tensor([3, -1, 4, 1, -5, 9, 2, 6, 5, -3, 5, 8, 9, 7], [2, 7], { dtype: 'int32' }),
      ]);
      await expectOrt({ op: 'CumSum', inputs: [x([6, 3], F), konst('axis', [0], I64, [])], attrs }, [
        tg.randn([6, 3], { rng }),
      ]);
    }
  });
  it('GatherElements, Trilu, OneHot, Mod, And/Or/Xor', async () => {
    await expectOrt(
      {
        op: 'GatherElements',
        inputs: [x([3, 4], F), konst('i', [2, -1, 0, 1, 0, 0, -3, 2], I64, [2, 4])],
        attrs: [int('axis', 0)],
      },
      [tg.randn([3, 4], { rng })],
    );
    await expectOrt(
      {
        op: 'GatherElements',
        inputs: [x([3, 4], F), konst('i', [3, 0, 1, 2, -4, 1], I64, [3, 2])],
        attrs: [int('axis', 1)],
      },
      [tg.randn([3, 4], { rng })],
    );
    for (const upper of [0, 1])
      for (const k of [-2, 0, 3])
        await expectOrt(
          {
            op: 'Trilu',
            inputs: [x([2, 3, 5], F), konst('k', [k], I64, [])],
            attrs: [int('upper', upper)],
            opset: 14,
          },
          [tg.randn([2, 3, 5], { rng })],
        );
    await expectOrt(
      {
        op: 'OneHot',
        inputs: [x([2, 3], I64), konst('depth', [4], I64, []), konst('v', [-1, 5], F)],
        attrs: [int('axis', 1)],
        opset: 11,
        outType: F,
      },
      [tg.tensor([0, 3, -1, 2, -4, 1], [2, 3], { dtype: 'int32' })],
    );
    const a = tg.tensor([7, -7, 7, -7, 13, -5, 0, 9], [8], { dtype: 'int32' });
    const b = konst('b', [3, 3, -3, -3, 4, 2, 5, -4], I64);
    await expectOrt({ op: 'Mod', inputs: [x([8], I64), b] }, [a]);
    await expectOrt({ op: 'Mod', inputs: [x([8], I64), b], attrs: [int('fmod', 1)] }, [a]);
    await expectOrt(
      { op: 'Mod', inputs: [x([4], F), konst('bf', [1.5, -2, 3.25, -0.75], F)], attrs: [int('fmod', 1)] },
      [tg.tensor([4.1, 5.3, -7.2, -2.6])],
    );
    const p = tg.tensor([1, 0, 1, 0], [4], { dtype: 'int32' });
    for (const op of ['And', 'Or', 'Xor'])
      await expectOrt(
        {
          op,
          inputs: [x([4], DataType.BOOL), { name: 'q', type: DataType.BOOL, shape: [4] }],
          outType: DataType.BOOL,
        },
        [p, tg.tensor([1, 1, 0, 0], [4], { dtype: 'int32' })],
      );
  });
});

describe('against references where ONNX has no node test data', () => {
  it('LRN with an even size (ONNX Runtime refuses those) gives the spec formula, in a loop', () => {
    const [N, C, H, W] = [2, 5, 2, 3];
    const v = randn([N, C, H, W]);
    const got = runTg(oneNode({ op: 'LRN', inputs: [x([N, C, H, W])], attrs: [int('size', 4)] }), [v]).data;
    const at = (n: number, c: number, p: number) => v.data[(n * C + c) * H * W + p];
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let p = 0; p < H * W; p++) {
          // channels max(0, c − ⌊3/2⌋) … min(C − 1, c + ⌈3/2⌉); alpha 1e-4, beta 0.75, bias 1 (the defaults)
          let sq = 0;
          for (let i = Math.max(0, c - 1); i <= Math.min(C - 1, c + 2); i++) sq += at(n, i, p) ** 2;
          const want = at(n, c, p) / (1 + (1e-4 / 4) * sq) ** 0.75;
          expect(Math.abs(got[(n * C + c) * H * W + p] - want)).toBeLessThan(1e-12);
        }
  });
  it('Mish (opset 18) gives PyTorch’s values and gradients', () => {
    // /usr/bin/python3 -c 'import torch; x = torch.tensor([...], dtype=torch.float64, requires_grad=True);
    //   y = torch.nn.functional.mish(x); y.sum().backward(); print(y.tolist(), x.grad.tolist())'
    const v = vals([-30, -5, -1.5, -0.3, 0, 0.4, 1, 2.5, 8, 25]);
    const y = [
      -2.807286890651921e-12, -0.033576237730161704, -0.2980997421668068, -0.15113317713833455, 0,
      0.2890305340723632, 0.8650983882673103, 2.471392304557881, 7.999998200644843, 25,
    ];
    const dy = [
      -2.713710660963392e-12, -0.026747498019901936, -0.06409781589225866, 0.40851087693570215, 0.6,
      0.8370175025417963, 1.0490362200997922, 1.041129530131353, 1.0000033725836874, 1,
    ];
    const m = tg.onnx.loadModelSync(oneNode({ op: 'Mish', inputs: [x([10])], opset: 18 }));
    const [g] = tg.grads((t: tg.Tensor) => tg.sum(m.apply(t, { training: false }) as tg.Tensor))(v);
    const got = runTg(oneNode({ op: 'Mish', inputs: [x([10])], opset: 18 }), [v]);
    got.data.forEach((a, i) => expect(Math.abs(a - y[i])).toBeLessThan(1e-12 + 1e-12 * Math.abs(y[i])));
    g.data.forEach((a, i) => expect(Math.abs(a - dy[i])).toBeLessThan(1e-9));
  });
  it('Atan, Asin, Acos, Sinh, Cosh, Asinh, Acosh, Atanh, Tan give Math.*’s values (float64, wide range)', () => {
    const wide = [
      -1e300,
      -1e8,
      -123.4,
      -2,
      -1,
      -0.75,
      -1e-9,
      0,
      3e-7,
      0.3,
      1,
      1.0001,
      7,
      1e10,
      Infinity,
      -Infinity,
    ];
    const unit = [-1, -0.9999, -0.5, -1e-8, 0, 0.2, 0.7071, 0.99, 1];
    const cases: [string, (v: number) => number, number[]][] = [
      ['Atan', Math.atan, wide],
      ['Asin', Math.asin, unit],
      ['Acos', Math.acos, unit],
      ['Atanh', Math.atanh, unit.slice(1, -1)],
      ['Sinh', Math.sinh, [-20, -1, -1e-3, -1e-9, 0, 2e-12, 0.5, 3, 30]],
      ['Cosh', Math.cosh, [-20, -1, -1e-3, 0, 0.5, 3, 30]],
      ['Asinh', Math.asinh, [-1e300, -1e6, -3, -1, -0.1, 0, 1e-9, 1e-4, 0.999, 2, 5e4, 1e200]],
      ['Acosh', Math.acosh, [1, 1 + 1e-12, 1.001, 1.5, 2, 2.001, 50, 1e6, 1e300]],
      ['Tan', Math.tan, [-1.5, -0.7, 0, 0.3, 1.2, 3]],
    ];
    for (const [op, f, xs] of cases) {
      const got = runTg(oneNode({ op, inputs: [x([xs.length])] }), [vals(xs)]).data;
      xs.forEach((v, i) => {
        const w = f(v);
        if (!(Math.abs(got[i] - w) <= 1e-12 + 1e-10 * Math.abs(w)))
          expect.fail(`${op}(${v}) = ${got[i]}, Math gives ${w}`);
      });
    }
  });
});

describe('refusals by name', () => {
  const refuses = (bytes: Uint8Array, xs: tg.Tensor[], msg: RegExp) => {
    let err: unknown = null;
    try {
      runTg(bytes, xs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxUnsupportedError);
    expect((err as Error).message).toMatch(msg);
  };
  it('the axes attribute of a reduction at opset 18 (an input there)', () => {
    refuses(
      oneNode({
        op: 'ReduceProd',
        inputs: [x([2, 3], F)],
        attrs: [{ name: 'axes', type: 7, ints: [1] }],
        opset: 18,
      }),
      [tg.ones([2, 3])],
      /'n0' \(ReduceProd\): the axes attribute at opset 18 is not supported \(supported: axes as the second input\)/,
    );
  });
  it('Mod fmod=0 on floats, an unknown attribute, Mish before opset 18', () => {
    refuses(
      oneNode({ op: 'Mod', inputs: [x([2], F), konst('b', [1, 2], F)] }),
      [tg.tensor([1, 2])],
      /onnx node 'n0' \(Mod\): fmod=0 on floating-point inputs/,
    );
    refuses(
      oneNode({ op: 'CumSum', inputs: [x([2], F), konst('axis', [0], I64, [])], attrs: [int('wrap', 1)] }),
      [tg.tensor([1, 2])],
      /'n0' \(CumSum\): attribute 'wrap' is not supported/,
    );
    refuses(
      oneNode({ op: 'Mish', inputs: [x([2], F)], opset: 17 }),
      [tg.tensor([1, 2])],
      /Mish needs opset 18/,
    );
  });
});
