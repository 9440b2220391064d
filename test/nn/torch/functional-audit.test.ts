// tg.nn.functional against PyTorch 1.13 where the first version refused or differed: negative F.pad amounts (crops),
// F.embedding's max_norm / norm_type / scale_grad_by_freq, F.batch_norm on an empty batch, F.linear with a 1-D weight
// and a broadcast bias, probability targets with ignore_index, and F.kl_div's warning for reduction 'mean'.
// The numbers were made in float64 on the wave inputs of loss-data.ts by this script (/usr/bin/python3, torch 1.13):
//   import torch, math, torch.nn.functional as F; torch.set_default_dtype(torch.float64)
//   def wave(shape, seed, scale=1):
//       n = math.prod(shape)
//       return torch.tensor([(math.sin(0.7*i+seed)*1.5 + 0.1*math.cos(3.1*i*seed))*scale for i in range(n)]).reshape(shape)
//   crop_constant = F.pad(wave([2,3,4], 1), [-1,2,1,-2], 'constant', 0.5)
//   crop_reflect = F.pad(wave([1,2,4], 2), [-3,3], 'reflect')
//   xg = wave([1,2,3,4], 3).requires_grad_(); crop_replicate = F.pad(xg, [-1,2,2,-1], 'replicate')
//   (crop_replicate * wave(list(crop_replicate.shape), 99)).sum().backward(); crop_replicate_grad = xg.grad
//   w = wave([3,4], 4); maxnorm_p1_y = F.embedding(torch.tensor([[2,0],[2,1]]), w, max_norm=1.5, norm_type=1.)
//   maxnorm_p1_w = w  # renormed in place
//   w = wave([3,4], 4); F.embedding(torch.tensor([2,0]), w, max_norm=1.0); maxnorm_p2_w = w
//   w = wave([3,4], 5).requires_grad_()
//   y = F.embedding(torch.tensor([2,0,2,1,2]), w, scale_grad_by_freq=True, padding_idx=1)
//   (y * wave([5,4], 99)).sum().backward(); freq_grad = w.grad
//   linear_w1d = F.linear(wave([2,3], 6), wave([3], 7))
//   linear_bias21 = F.linear(wave([2,3], 6), wave([4,3], 8), wave([2,1], 9))
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { wave } from './loss-data.js';

const F = tg.nn.functional;
const w64 = (shape: number[], seed: number) => tg.tensor(wave(shape, seed).data, shape, { dtype: 'float64' });
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });
const i32 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'int32' });
/** |got − want| ≤ 1e-12 + 1e-10·|want| (float64 on both sides). */
function close(got: tg.Tensor, want: number[], what: string): void {
  const g = Array.from(got.data as ArrayLike<number>);
  expect(g.length, `${what}: size`).toBe(want.length);
  want.forEach((w, i) =>
    expect(Math.abs(g[i] - w), `${what}[${i}]: got ${g[i]}, PyTorch ${w}`).toBeLessThanOrEqual(
      1e-12 + 1e-10 * Math.abs(w),
    ),
  );
}
const TORCH = {
  crop_constant: [
    0.5, 0.5, 0.5, 0.5, 0.5, 1.3875837006513747, 1.1128489805290482, -0.03685153889532395, 0.5, 0.5, 0.5, 0.5,
    0.5, 0.5, 0.5, -1.0233405994847284, -1.3878841900265926, -1.3943394812669454, 0.5, 0.5,
  ],
  crop_reflect: [
    -1.1305134473027103, -0.28469242281236046, 0.7407240300530664, 1.4639461402385225, 0.9511798016554436,
    -0.0368333021445649, -0.9668362525751347, -1.3997318618389438,
  ],
  crop_replicate: [
    -0.8939767439080005, -1.3305008915403689, -1.4817971630982871, -1.4817971630982871, -1.4817971630982871,
    -0.8939767439080005, -1.3305008915403689, -1.4817971630982871, -1.4817971630982871, -1.4817971630982871,
    -0.8939767439080005, -1.3305008915403689, -1.4817971630982871, -1.4817971630982871, -1.4817971630982871,
    0.2415187628974208, 1.2637614280298202, 1.4341931070782854, 1.4341931070782854, 1.4341931070782854,
    -0.6693417325387618, 0.3297460945905664, 1.235312058191133, 1.235312058191133, 1.235312058191133,
    -0.6693417325387618, 0.3297460945905664, 1.235312058191133, 1.235312058191133, 1.235312058191133,
    -0.6693417325387618, 0.3297460945905664, 1.235312058191133, 1.235312058191133, 1.235312058191133,
    1.1366273161877434, 0.09912459005313051, -0.7653438479370215, -0.7653438479370215, -0.7653438479370215,
  ],
  crop_replicate_grad: [
    0.0, -1.184591030876246, -0.4745004664572905, 2.6629529726318872, 0.0, 0.6118980678385247,
    -0.46234246625104997, -3.7235166430427125, 0.0, 0.0, 0.0, 0.0, 0.0, 0.437343092838121, 1.202877548785795,
    2.164734835265482, 0.0, -1.3362879107380718, -1.574978495969602, -0.0675267705759528, 0.0, 0.0, 0.0, 0.0,
  ],
  maxnorm_p1_y: [
    -0.08783787704339391, -0.42275058578956803, -0.5576365914199616, -0.4317749087994657, -0.4212090126375317,
    -0.5701541628585328, -0.4331828026803176, -0.07545398113510458, -0.08783787704339391,
    -0.42275058578956803, -0.5576365914199616, -0.4317749087994657, 0.2702444588801066, 0.4859960799986786,
    0.4830045760139276, 0.2607548521438892,
  ],
  maxnorm_p1_w: [
    -0.4212090126375317, -0.5701541628585328, -0.4331828026803176, -0.07545398113510458, 0.2702444588801066,
    0.4859960799986786, 0.4830045760139276, 0.2607548521438892, -0.08783787704339391, -0.42275058578956803,
    -0.5576365914199616, -0.4317749087994657,
  ],
  maxnorm_p2_w: [
    -0.5049460559151955, -0.6835017465468953, -0.5193002550777484, -0.09045435646947438, 0.8198319255868227,
    1.474350681394467, 1.4652754519433902, 0.7910436107556708, -0.10622099744243624, -0.5112257992045738,
    -0.6743413769183685, -0.5221387746044744,
  ],
  freq_grad: [
    1.359926363102279, 1.3993403335897205, 0.7737810133112614, -0.25294474263881594, 0.0, 0.0, 0.0, 0.0,
    -1.0189175427174781, -1.30267889941049, -0.9618400019082142, -0.15459039306502345,
  ],
  linear_w1d: [2.590465979573726, 2.839704022411431],
  linear_bias21: [
    1.1458104172283703, -1.9181680855769883, 2.923378817551358, 0.787506234851086, 2.9248973835885455,
    -3.0921439960570485, -1.088585565399788, 2.4331250111533116,
  ],
};

describe('tg.nn.functional against PyTorch 1.13: what the first version refused or computed differently', () => {
  it('pad: a negative amount crops (constant, reflect, replicate, gradient too), as PyTorch', () => {
    const c = F.pad(w64([2, 3, 4], 1), [-1, 2, 1, -2], 'constant', 0.5);
    expect(c.shape).toEqual([2, 2, 5]);
    close(c, TORCH.crop_constant, 'crop_constant');
    close(F.pad(w64([1, 2, 4], 2), [-3, 3], 'reflect'), TORCH.crop_reflect, 'crop_reflect');
    const x = w64([1, 2, 3, 4], 3).requireGrad(true);
    const r = F.pad(x, [-1, 2, 2, -1], 'replicate');
    expect(r.shape).toEqual([1, 2, 4, 5]);
    close(r, TORCH.crop_replicate, 'crop_replicate');
    tg.sum(tg.mul(r, w64([...r.shape], 99))).backward();
    close(x.grad!, TORCH.crop_replicate_grad, 'crop_replicate_grad');
    // torch: F.pad(torch.ones(1, 4), [-2, -2]).shape → (1, 0); [-3, -2] → RuntimeError
    expect(F.pad(f64([1, 2, 3, 4], [1, 4]), [-2, -2]).shape).toEqual([1, 0]);
    throwsA(tg.ShapeError, () => F.pad(f64([1, 2, 3, 4], [1, 4]), [-3, -2]), [
      'nn.functional.pad',
      'crops more than the axis holds',
    ]);
    // NOTE: refused with 'circular' (torch 1.13 returns uninitialised memory for F.pad(x, [2, -3], 'circular'))
    throwsA(tg.ValueError, () => F.pad(w64([1, 2, 4], 2), [-1, 2], 'circular'), [
      "negative padding (cropping) with mode 'circular' is not supported",
    ]);
  });

  it('embedding: maxNorm renorms the rows looked up in place (normType 1, 2), scaleGradByFreq divides gradients', () => {
    const w1 = w64([3, 4], 4);
    close(F.embedding(i32([2, 0, 2, 1], [2, 2]), w1, { maxNorm: 1.5, normType: 1 }), TORCH.maxnorm_p1_y, 'y');
    close(w1, TORCH.maxnorm_p1_w, 'maxnorm_p1_w');
    const w2 = w64([3, 4], 4);
    F.embedding(i32([2, 0]), w2, { maxNorm: 1 });
    close(w2, TORCH.maxnorm_p2_w, 'maxnorm_p2_w');
    const w = w64([3, 4], 5).requireGrad(true);
    const y = F.embedding(i32([2, 0, 2, 1, 2]), w, { scaleGradByFreq: true, paddingIdx: 1 });
    close(y, Array.from(F.embedding(i32([2, 0, 2, 1, 2]), w64([3, 4], 5)).data), 'forward unchanged');
    tg.sum(tg.mul(y, w64([5, 4], 99))).backward();
    close(w.grad!, TORCH.freq_grad, 'freq_grad');
    throwsA(tg.ValueError, () => F.embedding(i32([0]), w, { sparse: true }), [
      'sparse=true is not supported',
    ]);
  });

  it('batchNorm: an empty batch in training gives an empty result and leaves the running statistics', () => {
    // torch: F.batch_norm(torch.zeros(0, 2), rm, rv, training=True).shape → (0, 2); rm, rv unchanged
    const rm = f64([0.1, 0.2]);
    const rv = f64([1, 2]);
    const y = F.batchNorm(tg.zeros([0, 2], { dtype: 'float64' }), rm, rv, null, null, { training: true });
    expect(y.shape).toEqual([0, 2]);
    expect(Array.from(rm.data)).toEqual([0.1, 0.2]);
    expect(Array.from(rv.data)).toEqual([1, 2]);
    throwsA(tg.ValueError, () => F.batchNorm(w64([1, 2], 1), null, null, null, null, { training: true }), [
      'Expected more than 1 value per channel when training',
    ]);
  });

  it('linear: a 1-D weight drops the last axis; the bias broadcasts to the result, not beyond it', () => {
    const y = F.linear(w64([2, 3], 6), w64([3], 7));
    expect(y.shape).toEqual([2]);
    close(y, TORCH.linear_w1d, 'linear_w1d');
    close(F.linear(w64([2, 3], 6), w64([4, 3], 8), w64([2, 1], 9)), TORCH.linear_bias21, 'linear_bias21');
    // torch: RuntimeError for a bias with a 1-D weight (addmm) and for a bias that would grow the result
    throwsA(tg.ShapeError, () => F.linear(w64([2, 3], 6), w64([3], 7), w64([], 9)), [
      'a bias needs a 2-D weight',
    ]);
    throwsA(tg.ShapeError, () => F.linear(w64([3], 6), w64([4, 3], 8), w64([1, 4], 9)), [
      'bias [1,4] does not broadcast to the result [4]',
    ]);
  });

  it('avgPool2d: divisorOverride must be an integer, as PyTorch (int, not float)', () => {
    // torch: F.avg_pool2d(x, 2, divisor_override=2.5) → TypeError: argument 'divisor_override' must be int, not float
    const x = w64([1, 1, 4, 4], 1);
    throwsA(tg.ValueError, () => F.avgPool2d(x, 2, { divisorOverride: 2.5 }), [
      'divisorOverride must be a non-zero integer or null, got 2.5',
    ]);
    // torch: divisor_override=-1 is accepted (the window sums negated)
    const s = F.avgPool2d(x, 2, { divisorOverride: 1 });
    close(F.avgPool2d(x, 2, { divisorOverride: -1 }), Array.from(tg.neg(s).data), 'divisor -1');
  });

  it('crossEntropy: a non-negative ignoreIndex with probability targets is refused (nn.CrossEntropyLoss too)', () => {
    // torch: F.cross_entropy(x, probs, ignore_index=1) → RuntimeError: ignore_index is not supported for floating
    // point target; ignore_index=-1 is accepted (and not read)
    const x = w64([2, 3], 1);
    const p = tg.softmax(w64([2, 3], 2), -1);
    throwsA(tg.ValueError, () => F.crossEntropy(x, p, { ignoreIndex: 1 }), [
      'ignore_index is not supported for floating point target',
    ]);
    throwsA(tg.ValueError, () => new tg.nn.CrossEntropyLoss({ ignoreIndex: 0 }).forward(x, p), [
      'ignore_index is not supported for floating point target',
    ]);
    expect(F.crossEntropy(x, p, { ignoreIndex: -1 }).item()).toBeCloseTo(F.crossEntropy(x, p).item(), 12);
  });

  it("klDiv warns for reduction 'mean' (the default), as PyTorch's UserWarning; not for 'batchmean'", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      F.klDiv(w64([2, 3], 1), tg.softmax(w64([2, 3], 2), -1), { reduction: 'batchmean' });
      expect(warn).not.toHaveBeenCalled();
      F.klDiv(w64([2, 3], 1), tg.softmax(w64([2, 3], 2), -1));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain("reduction: 'mean' divides the total loss by both");
    } finally {
      warn.mockRestore();
    }
  });
});
