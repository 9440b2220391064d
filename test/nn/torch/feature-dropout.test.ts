// tg.nn.Dropout1d/2d/3d and FeatureAlphaDropout (and their functionals) against PyTorch 1.13's rules, checked with
// Debian's python3-torch (the calls quoted beside each case): one mask value per channel, kept values scaled by
// 1/(1-p), the rank rules (Dropout1d refuses, Dropout2d/3d warn) and the identity in eval mode.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const F = tg.nn.functional;

/** The values of each channel (block of `inner` values, channels counted over the leading axes). */
function channels(y: tg.Tensor, inner: number): number[][] {
  const d = Array.from(y.data);
  return Array.from({ length: d.length / inner }, (_, c) => d.slice(c * inner, (c + 1) * inner));
}

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

describe('channel dropout (PyTorch feature_dropout)', () => {
  it('Dropout2d zeros whole channels of NCHW and scales the rest by 1/(1-p); the mean stays 1', () => {
    tg.setSeed(7);
    const p = 0.3;
    const y = new nn.Dropout2d(p).forward(tg.ones([50, 40, 3, 3]));
    const chans = channels(y, 9);
    for (const c of chans) expect(new Set(c).size, `a channel is ${c}`).toBe(1);
    const kept = chans.filter((c) => c[0] !== 0);
    kept.forEach((c) => expect(c[0]).toBeCloseTo(1 / (1 - p), 6));
    // 2000 channels: the dropped fraction is p within 4 standard deviations (0.0102), the mean 1 within 0.05
    expect(Math.abs(1 - kept.length / chans.length - p)).toBeLessThan(0.045);
    expect(Math.abs(tg.mean(y).item() - 1)).toBeLessThan(0.07);
    expect(warn).not.toHaveBeenCalled();
  });

  it('the gradient is the mask: zero on dropped channels, 1/(1-p) on kept ones', () => {
    tg.setSeed(3);
    const x = tg.ones([4, 6, 2, 2]).requireGrad(true);
    const y = new nn.Dropout2d(0.5).forward(x);
    tg.sum(y).backward();
    expect(Array.from(x.grad!.data)).toEqual(Array.from(y.data));
  });

  it('Dropout1d takes [N, C, L] or unbatched [C, L] (rows masked) and refuses other ranks as PyTorch', () => {
    tg.setSeed(11);
    const one = new nn.Dropout1d(0.5).forward(tg.ones([64, 5]));
    for (const c of channels(one, 5)) expect(new Set(c).size).toBe(1);
    expect(new Set(Array.from(one.data))).toEqual(new Set([0, 2]));
    // torch: nn.Dropout1d()(torch.ones(2, 3, 4, 5)) → RuntimeError: dropout1d: Expected 2D or 3D input, but
    // received a 4D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 ...
    throwsA(tg.ShapeError, () => new nn.Dropout1d().forward(tg.ones([2, 3, 4, 5])), [
      'Dropout1d',
      'dropout1d: Expected 2D or 3D input, but received a 4D input',
    ]);
    throwsA(tg.ShapeError, () => F.dropout1d(tg.ones([3])), ['dropout1d: Expected 2D or 3D input']);
  });

  it("Dropout2d on 3D input is [N, C, L] with PyTorch's warning (once per module); other ranks warn too", () => {
    tg.setSeed(5);
    const m = new nn.Dropout2d(0.5);
    // torch: F.dropout2d(torch.ones(3, 40, 4)) warns "dropout2d: Received a 3D input to dropout2d and assuming that
    // channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L) ..."; masks over axis 1
    const y = m.forward(tg.ones([3, 40, 4]));
    for (const c of channels(y, 4)) expect(new Set(c).size).toBe(1);
    m.forward(tg.ones([3, 40, 4]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('interpreted as shape (N, C, L)');
    // torch: F.dropout2d(torch.ones(3, 3)) warns "dropout2d: Received a 2-D input to dropout2d, which is deprecated"
    new nn.Dropout2d(0.5).forward(tg.ones([3, 3]));
    expect(String(warn.mock.calls[1][0])).toContain(
      'dropout2d: Received a 2-D input to dropout2d, which is deprecated',
    );
    // torch: F.dropout2d(torch.ones(3)) → RuntimeError: Feature dropout requires at least 2 dimensions in the input
    throwsA(tg.ShapeError, () => new nn.Dropout2d(0.5).forward(tg.ones([3])), [
      'Feature dropout requires at least 2 dimensions',
    ]);
  });

  it('Dropout3d masks axis 1 of NCDHW and axis 0 of an unbatched CDHW; other ranks warn and are unbatched', () => {
    tg.setSeed(9);
    const b = new nn.Dropout3d(0.5).forward(tg.ones([2, 30, 2, 2, 2]));
    for (const c of channels(b, 8)) expect(new Set(c).size).toBe(1);
    const u = new nn.Dropout3d(0.5).forward(tg.ones([30, 2, 2, 2]));
    for (const c of channels(u, 8)) expect(new Set(c).size).toBe(1);
    expect(warn).not.toHaveBeenCalled();
    // torch: F.dropout3d(torch.ones(3, 3, 3)) warns "dropout3d: Received a 3-D input to dropout3d, which is
    // deprecated" and reads it as unbatched (mask over axis 0)
    const r3 = F.dropout3d(tg.ones([40, 2, 2]), 0.5);
    for (const c of channels(r3, 4)) expect(new Set(c).size).toBe(1);
    expect(String(warn.mock.calls[0][0])).toContain('dropout3d: Received a 3-D input to dropout3d');
  });

  it('eval mode, training false, p = 0 and an empty input are the identity; p = 1 is x·0', () => {
    const x = tg.ones([2, 3, 4]);
    expect(new nn.Dropout1d(0.5).eval().forward(x)).toBe(x);
    expect(F.dropout2d(tg.ones([2, 3, 2, 2]), 0.5, false).shape).toEqual([2, 3, 2, 2]);
    expect(new nn.Dropout1d(0).forward(x)).toBe(x);
    expect(new nn.Dropout2d(0.5).forward(tg.zeros([0, 3, 2, 2])).shape).toEqual([0, 3, 2, 2]);
    expect(Array.from(new nn.Dropout1d(1).forward(x).data)).toEqual(new Array(24).fill(0));
    throwsA(tg.ValueError, () => new nn.Dropout2d(1.5), [
      'Dropout2d: dropout probability has to be between 0 and 1',
    ]);
  });
});

describe('FeatureAlphaDropout (PyTorch feature_alpha_dropout)', () => {
  it("one mask value per channel, with AlphaDropout's affine map (PyTorch's values for p = 0.5)", () => {
    tg.setSeed(13);
    // torch: F.feature_alpha_dropout(torch.ones(2, 3, 2), 0.5, True) → kept channels 1.6656, dropped -0.7792
    // (a = ((1 - p)(1 + p·α'²))^(-1/2) = 0.886227..., kept a·1 + a·α'·p, dropped -a·α' + a·α'·p)
    const y = new nn.FeatureAlphaDropout(0.5).forward(tg.ones([20, 10, 3], { dtype: 'float64' }));
    const a = 1 / Math.sqrt((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5);
    const kept = a + a * 1.7580993408473766 * 0.5;
    const dropped = -a * 1.7580993408473766 + a * 1.7580993408473766 * 0.5;
    expect(kept).toBeCloseTo(1.6656, 4);
    expect(dropped).toBeCloseTo(-0.7792, 4);
    const seen = new Set<number>();
    for (const c of channels(y, 3)) {
      expect(new Set(c).size).toBe(1);
      seen.add(c[0]);
    }
    expect(seen.size).toBe(2);
    const [lo, hi] = [...seen].sort((u, v) => u - v);
    expect(lo).toBeCloseTo(dropped, 12);
    expect(hi).toBeCloseTo(kept, 12);
    expect(F.featureAlphaDropout(tg.ones([2, 3]), 0.5)).toBeInstanceOf(tg.Tensor); // training false: identity
  });
});
