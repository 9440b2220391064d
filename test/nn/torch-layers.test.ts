// tg.nn.BatchNorm1d/2d, LayerNorm, Embedding, ConvTranspose2d: PyTorch conventions checked with naive loops,
// running-statistics updates by hand, gradchecks and errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import { expectThrowsWith, gradcheckLayer, randTensor, withWeights } from '../support/layers.js';

/** Per-channel mean, biased and unbiased variance of an NC... tensor (channel axis 1), by loops. */
function nchwStats(x: tg.Tensor): { mean: number[]; biased: number[]; unbiased: number[]; n: number } {
  const [nb, c] = x.shape;
  const inner = x.size / (nb * c);
  const vals = Array.from({ length: c }, () => [] as number[]);
  for (let b = 0; b < nb; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < inner; i++) vals[ch].push(x.data[(b * c + ch) * inner + i]);
  const mean = vals.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const ss = vals.map((v, ch) => v.reduce((a, b) => a + (b - mean[ch]) ** 2, 0));
  const n = vals[0].length;
  return { mean, biased: ss.map((s) => s / n), unbiased: ss.map((s) => s / (n - 1)), n };
}

/** (x - m)/√(v + eps)·w + b per channel (axis 1). */
function naiveBn(x: tg.Tensor, m: number[], v: number[], w: number[], b: number[], eps: number): number[] {
  const [nb, c] = x.shape;
  const inner = x.size / (nb * c);
  return Array.from(x.data, (xi, i) => {
    const ch = Math.floor(i / inner) % c;
    return ((xi - m[ch]) / Math.sqrt(v[ch] + eps)) * w[ch] + b[ch];
  });
}

describe('tg.nn.BatchNorm2d / BatchNorm1d', () => {
  it('train mode: batch statistics; running stats with momentum 0.1 and the unbiased variance; eval uses them', () => {
    const bn = new tg.nn.BatchNorm2d(3, { dtype: 'float64' });
    expect(bn).toBeInstanceOf(tg.nn.Module);
    expect(bn.training).toBe(true);
    bn.weight!.data.set([1.5, 0.5, -1]);
    bn.bias!.data.set([0.1, 0, 0.3]);
    const x = randTensor([2, 3, 2, 3], 71, -2, 3);
    const y = bn.forward(x) as tg.Tensor;
    const s = nchwStats(x);
    expectClose(
      y.data,
      naiveBn(x, s.mean, s.biased, [1.5, 0.5, -1], [0.1, 0, 0.3], 1e-5),
      { rtol: 1e-12, atol: 1e-12 },
      'train output',
    );
    const rm = s.mean.map((m) => 0.1 * m);
    const rv = s.unbiased.map((v) => 0.9 + 0.1 * v);
    expectClose(bn.runningMean!.data, rm, { rtol: 1e-12, atol: 1e-15 }, 'running_mean');
    expectClose(bn.runningVar!.data, rv, { rtol: 1e-12, atol: 1e-15 }, 'running_var');
    expect(bn.numBatchesTracked).toBe(1);
    bn.eval();
    const after = Array.from(bn.runningMean!.data);
    const x2 = randTensor([1, 3, 2, 2], 72);
    expectClose(
      (bn.forward(x2) as tg.Tensor).data,
      naiveBn(x2, rm, rv, [1.5, 0.5, -1], [0.1, 0, 0.3], 1e-5),
      { rtol: 1e-12, atol: 1e-12 },
      'eval output',
    );
    expect(Array.from(bn.runningMean!.data), 'eval leaves running_mean').toEqual(after);
  });

  it('momentum null keeps a cumulative average; trackRunningStats false uses batch stats in eval', () => {
    const bn = new tg.nn.BatchNorm1d(2, { momentum: null, dtype: 'float64' });
    const a = randTensor([4, 2], 73);
    const b = randTensor([4, 2], 74);
    bn.forward(a);
    bn.forward(b);
    const [sa, sb] = [nchwStats(a), nchwStats(b)];
    expectClose(
      bn.runningMean!.data,
      sa.mean.map((m, i) => (m + sb.mean[i]) / 2),
      { rtol: 1e-12, atol: 1e-15 },
    );
    expectClose(
      bn.runningVar!.data,
      sa.unbiased.map((v, i) => (v + sb.unbiased[i]) / 2),
      { rtol: 1e-12, atol: 1e-15 },
    );
    const free = new tg.nn.BatchNorm1d(2, {
      trackRunningStats: false,
      affine: false,
      dtype: 'float64',
    }).eval();
    expect(free.getWeights()).toEqual([]);
    expectClose((free.forward(a) as tg.Tensor).data, naiveBn(a, sa.mean, sa.biased, [1, 1], [0, 0], 1e-5), {
      rtol: 1e-12,
      atol: 1e-12,
    });
  });

  it('BatchNorm1d on [N, C, L] normalises over batch and length', () => {
    const bn = new tg.nn.BatchNorm1d(3, { dtype: 'float64', eps: 1e-3 });
    const x = randTensor([2, 3, 4], 75);
    const s = nchwStats(x);
    expectClose((bn.forward(x) as tg.Tensor).data, naiveBn(x, s.mean, s.biased, [1, 1, 1], [0, 0, 0], 1e-3), {
      rtol: 1e-12,
      atol: 1e-12,
    });
  });

  it('gradchecks w.r.t. input, weight and bias in train and eval modes', () => {
    const bn = new tg.nn.BatchNorm2d(2, { dtype: 'float64' });
    bn.weight!.data.set([1.2, -0.7]);
    gradcheckLayer(bn, randTensor([2, 2, 2, 1], 76), { training: true });
    bn.eval();
    gradcheckLayer(bn, randTensor([2, 2, 1, 2], 77));
  });

  it('parameters are weight and bias; running stats are buffers; errors name the module and shapes', () => {
    const bn = new tg.nn.BatchNorm2d(8, { name: 'bn2' });
    expect(bn.namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
    expect(bn.weights.map((w) => [w.name, w.trainable])).toEqual([
      ['weight', true],
      ['bias', true],
      ['running_mean', false],
      ['running_var', false],
      ['num_batches_tracked', false],
    ]);
    expect(bn.countParams()).toBe(32); // 8 each for weight, bias, running_mean, running_var; the int32 counter is none
    expectThrowsWith(
      () => bn.forward(tg.zeros([2, 4, 3, 3])),
      ['bn2', 'BatchNorm2d', '[2,4,3,3]', 'num_features is 8'],
    );
    expectThrowsWith(() => bn.forward(tg.zeros([2, 8, 3])), ['bn2', 'rank 4', '[2,8,3]']);
    expectThrowsWith(
      () => new tg.nn.BatchNorm1d(2, { name: 'one' }).forward(tg.zeros([1, 2])),
      ['one', 'more than 1 value per channel'],
    );
  });
});

describe('tg.nn.LayerNorm', () => {
  it('normalises over the trailing normalized_shape (naive loop) and gradchecks', () => {
    const ln = new tg.nn.LayerNorm([2, 3], { dtype: 'float64' });
    ln.weight!.data.set([1, 2, 3, 0.5, -1, 1]);
    ln.bias!.data.set([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    const x = randTensor([4, 2, 3], 78, -2, 2);
    const y = ln.forward(x) as tg.Tensor;
    const want: number[] = [];
    for (let r = 0; r < 4; r++) {
      const seg = Array.from(x.data.subarray(r * 6, r * 6 + 6));
      const m = seg.reduce((a, b) => a + b, 0) / 6;
      const v = seg.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      want.push(
        ...seg.map((a, j) => ((a - m) / Math.sqrt(v + 1e-5)) * ln.weight!.data[j] + ln.bias!.data[j]),
      );
    }
    expectClose(y.data, want, { rtol: 1e-12, atol: 1e-12 });
    gradcheckLayer(ln, randTensor([2, 2, 3], 79));
    expectThrowsWith(
      () => ln.forward(tg.zeros([4, 3, 2], { dtype: 'float64' })),
      [ln.name, 'LayerNorm', '[4,3,2]', '[2,3]'],
    );
  });
});

describe('tg.nn.Embedding', () => {
  it('looks rows up; padding_idx starts at zero, is returned as stored and gets no gradient', () => {
    const emb = new tg.nn.Embedding(5, 3, { paddingIdx: -1, dtype: 'float64' });
    expect(emb.paddingIdx).toBe(4);
    expect(Array.from(emb.weight.data.subarray(12, 15))).toEqual([0, 0, 0]);
    emb.weight.data.set([7, 8, 9], 12); // a user-set padding row is read back unchanged, as PyTorch does
    const idx = tg.tensor(
      [
        [4, 1],
        [1, 2],
      ],
      undefined,
      { dtype: 'int32' },
    );
    const y = emb.forward(idx) as tg.Tensor;
    const W = emb.weight.data;
    expectClose(
      y.data,
      [4, 1, 1, 2].flatMap((r) => [W[r * 3], W[r * 3 + 1], W[r * 3 + 2]]),
      { rtol: 0, atol: 0 },
    );
    tg.sum(y).backward();
    const g = Array.from(emb.weight.grad!.data);
    expect(g.slice(12, 15)).toEqual([0, 0, 0]);
    expect(g.slice(3, 6)).toEqual([2, 2, 2]);
    expect(g.slice(6, 9)).toEqual([1, 1, 1]);
    expect(g.slice(0, 3)).toEqual([0, 0, 0]);
    const res = tg.gradcheck(
      (w) => withWeights(emb, [w], () => emb.forward(tg.tensor([[0, 3, 3]])) as tg.Tensor),
      emb.getWeights(),
    );
    expect(res.ok).toBe(true);
    expectThrowsWith(() => emb.forward(tg.tensor([[5]])), [emb.name, 'index 5', 'out of range']);
  });

  it('initialises N(0, 1)', () => {
    const w = Array.from(new tg.nn.Embedding(200, 50).weight.data);
    const m = w.reduce((a, b) => a + b, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / w.length);
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('tg.nn.ConvTranspose2d', () => {
  /** PyTorch's definition by scattering: full[iy·s + ky·d] += x·W, then drop `padding` rows/cols on each side. */
  function naive(
    x: tg.Tensor,
    w: tg.Tensor,
    b: tg.Tensor | null,
    s: number[],
    p: number[],
    op: number[],
    d: number[],
  ): { data: number[]; shape: number[] } {
    const [n, cin, h, wd] = x.shape;
    const [, cout, kh, kw] = w.shape;
    const oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1;
    const ow = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1;
    const out = new Array<number>(n * cout * oh * ow).fill(0);
    for (let bi = 0; bi < n; bi++)
      for (let co = 0; co < cout; co++) {
        for (let i = 0; i < oh * ow; i++) out[(bi * cout + co) * oh * ow + i] = b ? b.data[co] : 0;
        for (let ci = 0; ci < cin; ci++)
          for (let iy = 0; iy < h; iy++)
            for (let ix = 0; ix < wd; ix++)
              for (let ky = 0; ky < kh; ky++)
                for (let kx = 0; kx < kw; kx++) {
                  const oy = iy * s[0] + ky * d[0] - p[0];
                  const ox = ix * s[1] + kx * d[1] - p[1];
                  if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                  out[((bi * cout + co) * oh + oy) * ow + ox] +=
                    x.data[((bi * cin + ci) * h + iy) * wd + ix] *
                    w.data[((ci * cout + co) * kh + ky) * kw + kx];
                }
      }
    return { data: out, shape: [n, cout, oh, ow] };
  }

  it('matches the scatter definition for strides, padding, output_padding and dilation', () => {
    const x = randTensor([2, 3, 3, 4], 81);
    const configs: [number[], number[], number[], number[], [number, number]][] = [
      [
        [1, 1],
        [0, 0],
        [0, 0],
        [1, 1],
        [3, 3],
      ],
      [
        [2, 2],
        [1, 1],
        [1, 1],
        [1, 1],
        [3, 3],
      ],
      [
        [2, 3],
        [1, 0],
        [1, 2],
        [1, 1],
        [4, 2],
      ],
      [
        [1, 1],
        [1, 2],
        [0, 0],
        [2, 2],
        [3, 3],
      ],
    ];
    for (const [s, p, op, d, k] of configs) {
      const m = new tg.nn.ConvTranspose2d(3, 2, k, {
        stride: s as [number, number],
        padding: p as [number, number],
        outputPadding: op as [number, number],
        dilation: d as [number, number],
        dtype: 'float64',
      });
      const y = m.forward(x) as tg.Tensor;
      const want = naive(x, m.weight, m.bias, s, p, op, d);
      expect(y.shape, `stride ${s} padding ${p} output_padding ${op} dilation ${d}`).toEqual(want.shape);
      expectClose(
        y.data,
        want.data,
        { rtol: 1e-12, atol: 1e-12 },
        `stride ${s} padding ${p} output_padding ${op} dilation ${d}`,
      );
    }
  });

  it('gradchecks, counts parameters, initialises U(±1/√(out·kh·kw)) and errors', () => {
    const m = new tg.nn.ConvTranspose2d(2, 3, 2, { stride: 2, padding: 1, dtype: 'float64' });
    gradcheckLayer(m, randTensor([1, 2, 2, 2], 82));
    expect(m.weight.shape).toEqual([2, 3, 2, 2]);
    expect(m.countParams()).toBe(2 * 3 * 4 + 3);
    expect(m.paramFormula()).toBe('2·3·2·2 + 3 = 27');
    const big = new tg.nn.ConvTranspose2d(16, 4, 3);
    const bound = 1 / Math.sqrt(4 * 9);
    const w = Array.from(big.weight.data);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
    expectThrowsWith(
      () => m.forward(tg.zeros([1, 3, 2, 2], { dtype: 'float64' })),
      [m.name, 'ConvTranspose2d', '[1,3,2,2]'],
    );
    expectThrowsWith(
      () => new tg.nn.ConvTranspose2d(1, 1, 3, { stride: 2, outputPadding: 2 }),
      ['output_padding', 'smaller than either stride or dilation'],
    );
  });
});

describe('tg.nn namespace', () => {
  it('still holds the base modules next to the extra ones', () => {
    expect(typeof tg.nn.Linear).toBe('function');
    expect(typeof tg.nn.Conv2d).toBe('function');
    const net = new tg.nn.Sequential(
      new tg.nn.Conv2d(1, 4, 3),
      new tg.nn.BatchNorm2d(4),
      new tg.nn.ReLU(),
      new tg.nn.ConvTranspose2d(4, 1, 3),
    );
    const y = net.forward(randTensor([2, 1, 5, 5], 83, -1, 1, 'float32')) as tg.Tensor;
    expect(y.shape).toEqual([2, 1, 5, 5]);
    expect(net.namedParameters().map(([k]) => k)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '3.weight',
      '3.bias',
    ]);
  });
});
