// tg.fused (TF.js tf.fused): conv2d / depthwiseConv2d / matMul + bias + activation give the values and gradients of
// the same ops written one by one, in TF.js's argument contract (HWIO filters in both data formats, TF.js pads), and
// a per-filter bias with relu runs inside the conv kernel.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { expectClose, expectSame, randF32, wasm } from '../support/backend.js';

const K = wasm();
const x = tg.tensor(randF32(2 * 7 * 6 * 3, 1), [2, 7, 6, 3], { requiresGrad: true });
const f = tg.tensor(randF32(3 * 3 * 3 * 5, 2), [3, 3, 3, 5], { requiresGrad: true });
const b = tg.tensor(randF32(5, 3), [5], { requiresGrad: true });
const alpha = tg.tensor(randF32(5, 4), [5]);
const toNCHW = (t: tg.Tensor) => tg.transpose(t, [0, 3, 1, 2]);

/** The composition TF.js's fused ops stand for, on an NHWC conv output z. */
function reference(z: tg.Tensor, activation: string, bias: tg.Tensor | null = b): tg.Tensor {
  const y = bias ? tg.add(z, bias) : z;
  if (activation === 'relu') return tg.relu(y);
  if (activation === 'prelu') return tg.where(tg.greater(y, 0), y, tg.mul(y, alpha));
  if (activation === 'elu') return tg.elu(y);
  if (activation === 'relu6') return tg.relu6(y);
  if (activation === 'leakyrelu') return tg.leakyRelu(y, 0.1);
  if (activation === 'sigmoid') return tg.sigmoid(y);
  return y;
}

describe('tg.fused.conv2d', () => {
  const opts = { stride: [2, 1] as [number, number], padding: 'same' as const };
  const conv = (xx = x) => tg.conv2d(xx, f, null, opts);

  it('runs a per-filter bias and relu inside the conv kernel, with the values and gradients of the ops one by one', () => {
    const k = vi.spyOn(K, 'conv2d');
    const unary = vi.spyOn(K, 'unary');
    const y = tg.fused.conv2d({ x, filter: f, strides: [2, 1], pad: 'same', bias: b, activation: 'relu' });
    expect(k.mock.calls[0][6]).toBe('relu');
    expect(unary).not.toHaveBeenCalled();
    k.mockRestore();
    unary.mockRestore();
    expectSame(y.data, reference(conv(), 'relu').data, 'fused relu');
    const up = tg.tensor(randF32(y.size, 9), y.shape);
    const g = tg.grads((xx, ff, bb) =>
      tg.sum(
        tg.mul(
          tg.fused.conv2d({ x: xx, filter: ff, strides: [2, 1], pad: 'same', bias: bb, activation: 'relu' }),
          up,
        ),
      ),
    )(x, f, b);
    const want = tg.grads((xx, ff, bb) => tg.sum(tg.mul(tg.relu(tg.conv2d(xx, ff, bb, opts)), up)))(x, f, b);
    g.forEach((gi, i) => expectClose(gi.data, want[i].data, 1e-5, 1e-6, `gradient ${i}`));
  });

  it.each(['linear', 'relu', 'prelu', 'elu', 'relu6', 'leakyrelu', 'sigmoid'])(
    "activation '%s' is the activation of conv + bias",
    (activation) => {
      const y = tg.fused.conv2d({
        x,
        filter: f,
        strides: [2, 1],
        pad: 'same',
        bias: b,
        activation: activation as tg.FusedActivation,
        preluActivationWeights: alpha,
        leakyreluAlpha: 0.1,
      });
      expectClose(y.data, reference(conv(), activation).data, 1e-6, 1e-7, activation);
    },
  );

  it('takes a bias broadcast to the output, no bias, the default leakyrelu slope (0.2) and a rank-3 input', () => {
    const wide = tg.tensor(randF32(4 * 6 * 5, 5), [4, 6, 5]); // [h, w, out] of the output
    const args = { x, filter: f, strides: [2, 1] as [number, number], pad: 'same' as const };
    expectClose(
      tg.fused.conv2d({ ...args, bias: wide, activation: 'relu' }).data,
      reference(conv(), 'relu', wide).data,
      1e-6,
      1e-7,
      'broadcast bias',
    );
    expectSame(tg.fused.conv2d({ ...args, activation: 'relu' }).data, tg.relu(conv()).data, 'no bias');
    expectClose(
      tg.fused.conv2d({ ...args, bias: b, activation: 'leakyrelu' }).data,
      tg.leakyRelu(tg.add(conv(), b), 0.2).data,
      1e-6,
      1e-7,
      'leakyrelu default',
    );
    const one = tg.slice(x, [1, 0, 0, 0], [1, 7, 6, 3]);
    const y3 = tg.fused.conv2d({ ...args, x: tg.reshape(one, [7, 6, 3]), bias: b });
    expect(y3.shape).toEqual([4, 6, 5]);
    expectClose(y3.data, tg.add(conv(one), b).data, 1e-6, 1e-7, 'rank 3');
  });

  it("takes TF.js's pads: a number, explicit [before, after] pairs, dilations; NCHW with the same [fh, fw, in, out] filter", () => {
    const base = { x, filter: f, strides: 1, bias: b, activation: 'relu' as const };
    expectSame(
      tg.fused.conv2d({ ...base, pad: 1, dimRoundingMode: 'floor' }).data,
      reference(tg.conv2d(x, f, null, { padding: 1 }), 'relu').data,
      'pad 1',
    );
    const pads = [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ] as const;
    expectSame(
      tg.fused.conv2d({ ...base, pad: pads, dilations: 2 }).data,
      reference(
        tg.conv2d(x, f, null, {
          padding: [
            [2, 0],
            [1, 1],
          ],
          dilation: 2,
        }),
        'relu',
      ).data,
      'explicit pads',
    );
    const xc = toNCHW(x);
    const nchw = tg.fused.conv2d({
      ...base,
      x: xc,
      pad: [
        [0, 0],
        [0, 0],
        [2, 0],
        [1, 1],
      ],
      dataFormat: 'NCHW',
    });
    const nhwc = tg.fused.conv2d({ ...base, pad: pads });
    expect(nchw.shape).toEqual([2, 5, 7, 6]);
    expectSame(nchw.data, toNCHW(nhwc).data, 'NCHW');
    const prelu = {
      ...base,
      pad: 'valid' as const,
      activation: 'prelu' as const,
      preluActivationWeights: alpha,
    };
    expectClose(
      tg.fused.conv2d({ ...prelu, x: xc, dataFormat: 'NCHW', bias: tg.tensor([0.5]) }).data,
      toNCHW(tg.fused.conv2d({ ...prelu, bias: tg.tensor([0.5]) })).data,
      1e-6,
      1e-7,
      'NCHW: a [1] bias and per-channel prelu slopes along axis 1',
    );
  });

  it('refuses by name what it does not do', () => {
    const a = { x, filter: f, strides: 1, pad: 'valid' as const };
    expect(() => tg.fused.conv2d({ ...a, activation: 'gelu' as 'relu' })).toThrow(
      /fused.conv2d: unknown activation 'gelu'/,
    );
    expect(() => tg.fused.conv2d({ ...a, activation: 'prelu' })).toThrow(/needs preluActivationWeights/);
    expect(() => tg.fused.conv2d({ ...a, pad: 1, dimRoundingMode: 'round' })).toThrow(
      /dimRoundingMode 'round'/,
    );
    expect(() => tg.fused.conv2d({ ...a, dimRoundingMode: 'floor' })).toThrow(/numeric pad/);
    expect(() => tg.fused.conv2d({ ...a, padding: 'same' } as never)).toThrow(ValueError);
    expect(() =>
      tg.fused.conv2d({
        ...a,
        pad: [
          [1, 1],
          [0, 0],
          [0, 0],
          [0, 0],
        ],
      }),
    ).toThrow(/zeros outside the spatial axes/);
    expect(() =>
      tg.fused.conv2d({ ...a, x: toNCHW(x), dataFormat: 'NCHW', bias: tg.zeros([1, 1, 5]) }),
    ).toThrow(ShapeError);
    expect(() => tg.fused.conv2d({ ...a, filter: tg.zeros([3, 3, 4, 5]) })).toThrow(
      /x has 3 input channels .* expects 4/,
    );
  });
});

describe('tg.fused.depthwiseConv2d and tg.fused.matMul', () => {
  it('depthwiseConv2d: activation(depthwiseConv2d + bias)', () => {
    const dw = tg.tensor(randF32(3 * 3 * 3 * 2, 6), [3, 3, 3, 2]);
    const bias = tg.tensor(randF32(6, 7), [6]);
    const y = tg.fused.depthwiseConv2d({ x, filter: dw, strides: 1, pad: 'same', bias, activation: 'relu6' });
    expectClose(
      y.data,
      tg.relu6(tg.depthwiseConv2d(x, dw, bias, { padding: 'same' })).data,
      1e-6,
      1e-7,
      'depthwise',
    );
  });

  it('matMul: activation(a·b + bias), transposes included, with the gradients of the ops one by one', () => {
    const a = tg.tensor(randF32(6 * 4, 8), [6, 4], { requiresGrad: true });
    const w = tg.tensor(randF32(3 * 6, 9), [3, 6], { requiresGrad: true });
    const bias = tg.tensor(randF32(3, 10), [3], { requiresGrad: true });
    const fusedLoss = (aa: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor) =>
      tg.sum(
        tg.fused.matMul({ a: aa, b: ww, transposeA: true, transposeB: true, bias: bb, activation: 'elu' }),
      );
    const plainLoss = (aa: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor) =>
      tg.sum(tg.elu(tg.add(tg.matmul(aa, ww, { transA: true, transB: true }), bb)));
    expectSame(fusedLoss(a, w, bias).data, plainLoss(a, w, bias).data, 'value');
    const g = tg.grads(fusedLoss)(a, w, bias);
    const want = tg.grads(plainLoss)(a, w, bias);
    g.forEach((gi, i) => expectSame(gi.data, want[i].data, `gradient ${i}`));
    expect(() => tg.fused.matMul({ a, b: w, activation: 'swish' as 'relu' })).toThrow(
      /fused.matMul: unknown activation/,
    );
    expect(() => tg.fused.matMul({ a, b: w, transposeA: true, transposeB: true, bias: 3 as never })).toThrow(
      /bias must be a Tensor/,
    );
  });
});
