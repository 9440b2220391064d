// BatchNormalization with a mask in training: Keras ≥ 3.0.2 (`_moments` with a mask) and tf.keras ≥ 2.12
// (tf.nn.weighted_moments) take the batch moments over the unmasked positions only and move the moving statistics
// towards those; TF.js, earlier Keras and models built with tg.layers ignore the mask (it passes through). References:
// naive loops of Keras's formulas, Keras's own test_masked_broadcast_normalization, finite differences.
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { followKeras2Masking, followKeras3Masking, setMask } from '../../../src/nn/keras/mask.js';
import { expectClose, uniform } from '../../support/check.js';

const data = (t: unknown) => Array.from((t as tg.Tensor).data);
const TOL = { rtol: 1e-5, atol: 1e-6 };

/** x [B, T, C] with a [B, T] mask attached, as Masking / Embedding(maskZero) leave it. */
function masked(B: number, T: number, C: number, mask: number[], seed = 1, dtype: tg.DType = 'float32') {
  const x = tg.tensor(Array.from(uniform(B * T * C, seed, -2, 3)), [B, T, C], { dtype });
  setMask(x, tg.tensor(mask, [B, T]), 'test mask');
  return x;
}

/** Keras's masked moments over every axis but the last: μ = Σ m·x / (Σ m + ε'), σ² = Σ m·(x - μ)² / (Σ m + ε'). */
function maskedMoments(x: number[], mask: number[], C: number, eps: number) {
  const mean = new Array(C).fill(0);
  const vr = new Array(C).fill(0);
  let n = 0;
  for (const m of mask) n += m;
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let p = 0; p < mask.length; p++) s += mask[p] * x[p * C + c];
    mean[c] = s / (n + eps);
    let q = 0;
    for (let p = 0; p < mask.length; p++) q += mask[p] * (x[p * C + c] - mean[c]) ** 2;
    vr[c] = q / (n + eps);
  }
  return { mean, vr };
}

/** y = (x - μ)/√(σ² + ε)·γ + β at every position, masked or not. */
const normalized = (x: number[], mean: number[], vr: number[], C: number, eps: number, g = 1, b = 0) =>
  x.map((v, k) => ((v - mean[k % C]) / Math.sqrt(vr[k % C] + eps)) * g + b);

const MASK = [1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0];

describe('Keras 3 BatchNormalization: the moments of the unmasked positions', () => {
  const bn = (momentum = 0.5, version = '3.8.0') => {
    const layer = tg.layers.batchNormalization({ momentum, epsilon: 1e-3 });
    followKeras3Masking(layer, undefined, version);
    return layer;
  };

  it('training: the output and the moving statistics follow the masked mean and variance', () => {
    const x = masked(3, 4, 2, MASK);
    const layer = bn(0.5);
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    const { mean, vr } = maskedMoments(data(x), MASK, 2, 1e-7);
    expectClose(data(y), normalized(data(x), mean, vr, 2, 1e-3), TOL, 'output');
    expectClose(
      data(layer.movingMean),
      mean.map((m) => 0.5 * 0 + 0.5 * m),
      TOL,
      'moving mean',
    );
    expectClose(
      data(layer.movingVariance),
      vr.map((v) => 0.5 * 1 + 0.5 * v),
      TOL,
      'moving variance',
    );
    // inference uses the moving statistics, whatever the mask
    const yi = layer.apply(x) as tg.Tensor;
    const mm = data(layer.movingMean);
    const mv = data(layer.movingVariance);
    expectClose(data(yi), normalized(data(x), mm, mv, 2, 1e-3), TOL, 'inference');
  });

  it("Keras's test_masked_broadcast_normalization: ones, a [1, 2, 1] mask → zeros, moving mean 1, variance 0", () => {
    const x = tg.ones([1, 2, 3, 4]);
    setMask(x, tg.ones([1, 2, 1]), 'test mask');
    const layer = bn(0);
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    expectClose(data(y), new Array(24).fill(0), { rtol: 0, atol: 1e-6 }, 'output');
    expectClose(data(layer.movingMean), [1, 1, 1, 1], { rtol: 0, atol: 1e-6 }, 'moving mean');
    expectClose(data(layer.movingVariance), [0, 0, 0, 0], { rtol: 0, atol: 1e-6 }, 'moving variance');
  });

  it('gradients of the masked moments match finite differences', () => {
    const layer = bn();
    layer.apply(masked(2, 3, 2, [1, 0, 1, 1, 1, 0]), { training: true });
    layer.setWeights([tg.tensor([1.5, 0.7]), tg.tensor([0.2, -0.1]), ...layer.getWeights().slice(2)]);
    const w = tg.tensor(Array.from(uniform(12, 9)), [2, 3, 2], { dtype: 'float64' });
    const r = tg.gradcheck(
      (x) => {
        const xm = tg.mul(x, 1);
        setMask(xm, tg.tensor([1, 0, 1, 1, 1, 0], [2, 3]), 'test mask');
        return tg.sum(tg.mul(layer.apply(xm, { training: true }) as tg.Tensor, w));
      },
      [masked(2, 3, 2, [1, 0, 1, 1, 1, 0], 4, 'float64')],
    );
    expect(r.ok).toBe(true);
  });

  it('Masking → BatchNormalization in a Keras 3 Sequential: the zeroed padding does not pull the mean', () => {
    const cfg = {
      class_name: 'Sequential',
      keras_version: '3.8.0',
      config: {
        name: 's',
        layers: [
          { class_name: 'Masking', config: { name: 'pad', mask_value: 0, batch_input_shape: [null, 4, 2] } },
          { class_name: 'BatchNormalization', config: { name: 'bn', momentum: 0 } },
          { class_name: 'LSTM', config: { name: 'l', units: 2 } },
        ],
      },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const m = tg.keras.modelFromJson(cfg);
      const xs = [1, 2, 0, 0, 3, -1, 0, 0, 0, 0, 5, 4, 0, 0, -2, 2];
      m.apply(tg.tensor(xs, [2, 4, 2]), { training: true });
      const mask = [1, 0, 1, 0, 0, 1, 0, 1];
      const { mean, vr } = maskedMoments(xs, mask, 2, 1e-7);
      const bnLayer = m.layers.find((l) => l.name === 'bn') as tg.Layer & {
        movingMean: tg.Tensor;
        movingVariance: tg.Tensor;
      };
      expectClose(data(bnLayer.movingMean), mean, TOL, 'moving mean');
      expectClose(data(bnLayer.movingVariance), vr, TOL, 'moving variance');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('which Keras computes masked moments', () => {
  /** One training step; true when the moving mean moved to the masked mean, false when to the plain mean. */
  const usesMask = (mark: (l: tg.Layer) => void, shape = [3, 4, 2], mask = MASK) => {
    const layer = tg.layers.batchNormalization({ momentum: 0 });
    mark(layer);
    const C = shape[shape.length - 1];
    const x = tg.tensor(
      Array.from(
        uniform(
          shape.reduce((p, q) => p * q),
          2,
          -2,
          3,
        ),
      ),
      shape,
    );
    setMask(x, tg.tensor(mask, shape.slice(0, -1)), 'test mask');
    layer.apply(x, { training: true });
    const masked = maskedMoments(data(x), mask, C, 0).mean;
    const plain = maskedMoments(data(x), new Array(mask.length).fill(1), C, 0).mean;
    const got = data(layer.movingMean);
    if (got.every((v, c) => Math.abs(v - masked[c]) < 1e-5)) return true;
    expectClose(got, plain, TOL, 'the plain mean');
    return false;
  };

  it('tg.layers (TF.js): the mask passes through, the moments are of every position', () => {
    expect(usesMask(() => {})).toBe(false);
  });
  it('Keras 3: from 3.0.2 on (and when the version is not recorded)', () => {
    expect(usesMask((l) => followKeras3Masking(l, undefined, '3.0.1'))).toBe(false);
    expect(usesMask((l) => followKeras3Masking(l, undefined, '3.0.2'))).toBe(true);
    expect(usesMask((l) => followKeras3Masking(l))).toBe(true);
  });
  it('tf.keras 2: from 2.12 on (weighted_moments), except on the fused kernel (4-D, channels last)', () => {
    expect(usesMask((l) => followKeras2Masking(l, '2.11.0'))).toBe(false);
    expect(usesMask((l) => followKeras2Masking(l, '2.12.0'))).toBe(true);
    expect(usesMask((l) => followKeras2Masking(l, '2.15.1'), [3, 2, 2, 2])).toBe(false);
    // no version recorded, or a TF.js converter's: the mask stays out of the moments
    expect(usesMask((l) => followKeras2Masking(l, null))).toBe(false);
    expect(usesMask((l) => followKeras2Masking(l, 'tfjs-layers 4.1.0'))).toBe(false);
  });
  it('tf.keras 2: a batch with every position masked gives moments 0 (divide_no_nan), not NaN', () => {
    const layer = tg.layers.batchNormalization({ momentum: 0 });
    followKeras2Masking(layer, '2.13.0');
    const x = tg.tensor([1, 2, 3, 4], [1, 2, 2]);
    setMask(x, tg.zeros([1, 2]), 'test mask');
    const y = layer.apply(x, { training: true }) as tg.Tensor;
    expect(data(layer.movingMean)).toEqual([0, 0]);
    expect(data(layer.movingVariance)).toEqual([0, 0]);
    expectClose(data(y), normalized([1, 2, 3, 4], [0, 0], [0, 0], 2, 1e-3), TOL, 'output');
  });
  it('a mask of the wrong rank is refused naming the layer and both shapes', () => {
    const layer = tg.layers.batchNormalization({ name: 'bn' });
    followKeras3Masking(layer);
    const x = tg.ones([2, 3, 2]);
    setMask(x, tg.ones([2]), 'test mask');
    expect(() => layer.apply(x, { training: true })).toThrow(
      /bn \(BatchNormalization\): the mask \[2\] must have one axis less than the input \[2,3,2\]/,
    );
  });
});
