// FLOAT16 / BFLOAT16 in tg.onnx (float16.ts, tensor-proto.ts, Cast in ops-math.ts): bit conversions against numpy's
// float16 and PyTorch's bfloat16, Cast to FLOAT16 against ONNX Runtime Web, 16-bit initializers from raw_data and
// int32_data, and the straight-through gradient of the rounding.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import {
  bfloat16ToNumber,
  halfToNumber,
  numberToBfloat16,
  numberToHalf,
} from '../../../src/io/onnx/float16.js';
import { DataType } from '../../../src/io/onnx/proto.js';
import { tensorFromProto, tensorToProto } from '../../../src/io/onnx/tensor-proto.js';
import { type OneNode, D, F, int, oneNode, runTg } from './one-node-lib.js';

const H = DataType.FLOAT16;
const BF = DataType.BFLOAT16;

// /usr/bin/python3 -c 'import numpy as np, torch; f = np.array(VALS, dtype=np.float32);
//   print(f.astype(np.float16).view(np.uint16).tolist());
//   print([v & 0xffff for v in torch.tensor(f).to(torch.bfloat16).view(torch.int16).tolist()])'
// (ties to even at 1 + 2⁻¹¹ and 2049, the largest half 65504 and the overflow at 65520, subnormals and their ties)
const VALS = [
  0.0,
  -0.0,
  1.0,
  0.1,
  -0.1,
  0.333333343,
  1.00048828125,
  1.000732421875,
  1.0009765625,
  2049.0,
  2051.0,
  65504.0,
  65519.99,
  65520.0,
  -70000.0,
  6.103515625e-5,
  6.0e-5,
  2.98023223876953125e-8,
  2.9e-8,
  5.9604644775390625e-8,
  8.940696716308594e-8,
  1e-9,
  3.4e38,
  123.456,
  -0.4794,
  Infinity,
  -Infinity,
].map(Math.fround);
const F16 = [
  0, 32768, 15360, 11878, 44646, 13653, 15360, 15361, 15361, 26624, 26626, 31743, 31743, 31744, 64512, 1024,
  1007, 0, 0, 1, 2, 0, 31744, 22455, 47020, 31744, 64512,
];
const BF16 = [
  0, 32768, 16256, 15821, 48589, 16043, 16256, 16256, 16256, 17664, 17664, 18304, 18304, 18304, 51081, 14464,
  14460, 13056, 13049, 13184, 13248, 12425, 32640, 17143, 48885, 32640, 65408,
];

describe('bit conversions', () => {
  it('number → float16 / bfloat16 bits as numpy and PyTorch round (ties to even, overflow to ∞)', () => {
    expect(VALS.map(numberToHalf)).toEqual(F16);
    expect(VALS.map(numberToBfloat16)).toEqual(BF16);
  });
  it('every float16 bit pattern decodes to a number that encodes back to it (NaNs stay NaN)', () => {
    for (let h = 0; h < 65536; h++) {
      const v = halfToNumber(h);
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) expect(v).toBeNaN();
      else if (numberToHalf(v) !== h) expect.fail(`bits ${h}: ${v} encodes to ${numberToHalf(v)}`);
    }
    expect(halfToNumber(0x7bff)).toBe(65504);
    expect(halfToNumber(1)).toBe(2 ** -24);
    expect(bfloat16ToNumber(0x3f80)).toBe(1);
    expect(Number.isNaN(bfloat16ToNumber(numberToBfloat16(NaN)))).toBe(true);
  });
});

describe('TensorProtos of FLOAT16 and BFLOAT16', () => {
  const dims = [3];
  const bits = [15360, 11878, 64512]; // 1, 0.1 as half, -Infinity
  const want = [1, 0.0999755859375, -Infinity];
  const proto = (type: number, over: object) =>
    ({
      dims,
      dataType: type,
      rawData: new Uint8Array(0),
      int32Data: [],
      floatData: [],
      doubleData: [],
      int64Data: [],
      uint64Data: [],
      externalData: [],
      dataLocation: 0,
      ...over,
    }) as never;
  it('decodes raw_data (little-endian) and int32_data (the bits, as the spec stores them) to float32', () => {
    const raw = new Uint8Array(new Uint16Array(bits).buffer);
    for (const p of [proto(H, { rawData: raw }), proto(H, { int32Data: bits })]) {
      const v = tensorFromProto(p, 'w');
      expect(v.type).toBe(H);
      expect(v.t.dtype).toBe('float32');
      expect(Array.from(v.t.data)).toEqual(want);
    }
    const bf = tensorFromProto(proto(BF, { int32Data: [16256, 15821, 65408] }), 'w');
    expect(Array.from(bf.t.data)).toEqual([1, 0.10009765625, -Infinity]);
    expect(() => tensorFromProto(proto(H, { int32Data: [1] }), 'w')).toThrow(
      /w: int32_data holds 1 values but dims \[3\] need 3/,
    );
  });
  it('writes raw_data that reads back', () => {
    for (const type of [H, BF]) {
      const t = tg.tensor([1, 0.1, -2.5e-3, 65504], [4]);
      const p = tensorToProto({ t, type }, 'w') as { rawData: Uint8Array };
      const back = tensorFromProto(proto(type, { dims: [4], rawData: p.rawData }), 'w').t.data;
      const round =
        type === H
          ? (v: number) => halfToNumber(numberToHalf(v))
          : (v: number) => bfloat16ToNumber(numberToBfloat16(v));
      expect(Array.from(back)).toEqual(Array.from(t.data, round));
    }
  });
});

const cast = (from: number, to: number): OneNode => ({
  op: 'Cast',
  inputs: [{ name: 'x', type: from, shape: [VALS.length] }],
  attrs: [int('to', to)],
  outType: to,
});

describe('Cast to and from 16-bit floats', () => {
  const x = tg.tensor(VALS, [VALS.length]);
  it('FLOAT → FLOAT16 and BFLOAT16 round as numpy and PyTorch; outputs are float32 tensors', () => {
    const h = runTg(oneNode(cast(F, H)), [x]);
    expect(h.dtype).toBe('float32');
    expect(Array.from(h.data)).toEqual(F16.map(halfToNumber));
    expect(Array.from(runTg(oneNode(cast(F, BF)), [x]).data)).toEqual(BF16.map(bfloat16ToNumber));
  });
  it('DOUBLE → FLOAT16 rounds once, from the double (as numpy, not through float32)', () => {
    // np.array([1.000488281251, 65519.999999, 2.980232238770531e-08]).astype(np.float16).view(np.uint16)
    //   → [15361, 31743, 1]; through float32 first it would be [15360, 31744, 0]
    const d = tg.tensor([1.000488281251, 65519.999999, 2.980232238770531e-8], [3], { dtype: 'float64' });
    const s = { ...cast(D, H), inputs: [{ name: 'x', type: D, shape: [3] }] };
    expect(Array.from(runTg(oneNode(s), [d]).data)).toEqual([15361, 31743, 1].map(halfToNumber));
  });
  it('FLOAT → FLOAT16 as ONNX Runtime Web (random values over many exponents)', async () => {
    const rng = new tg.Rng(5);
    const v = tg.mul(tg.randn([400], { rng }), tg.exp(tg.mul(tg.randn([400], { rng }), 6)));
    const s = { ...cast(F, H), inputs: [{ name: 'x', type: F, shape: [400] }] };
    const sess = await ort.InferenceSession.create(oneNode(s));
    const r = await sess.run({ x: new ort.Tensor('float32', Float32Array.from(v.data), [400]) });
    const y = r[sess.outputNames[0]];
    expect(y.type).toBe('float16');
    const want = Array.from(y.data as Uint16Array, halfToNumber);
    expect(Array.from(runTg(oneNode(s), [v]).data)).toEqual(want);
    // and through predict's compiled executor
    const m = tg.onnx.loadModelSync(oneNode(s));
    expect(Array.from((m.predict(v) as tg.Tensor).data)).toEqual(want);
  });
  it('FLOAT16 inputs are read as float32 and Cast back exactly', () => {
    const h = tg.tensor(F16.map(halfToNumber), [F16.length]);
    expect(Array.from(runTg(oneNode(cast(H, F)), [h]).data)).toEqual(Array.from(h.data));
    // predict (the compiled executor) takes float16 inputs as float32 too (finite ones: it refuses ±∞ by design)
    const m = tg.onnx.loadModelSync(oneNode({ ...cast(H, H), inputs: [{ name: 'x', type: H, shape: [3] }] }));
    const y = m.predict(tg.tensor([0.5, -65504, 2 ** -24], [3], { dtype: 'float64' })) as tg.Tensor;
    expect([y.dtype, ...Array.from(y.data)]).toEqual(['float32', 0.5, -65504, 2 ** -24]);
  });
  it('the gradient of a cast through FLOAT16 is 1 (straight through the rounding), 0 at ±∞', () => {
    const m = tg.onnx.loadModelSync(oneNode({ ...cast(D, H), inputs: [{ name: 'x', type: D, shape: [4] }] }));
    const g = tg.grad((t) => tg.sum(m.apply(t, { training: false }) as tg.Tensor))(
      tg.tensor([0.1, -3.7, 1e6, Infinity], [4], { dtype: 'float64' }),
    );
    expect(Array.from(g.data, (v) => v + 0)).toEqual([1, 1, 1, 0]);
  });
});
