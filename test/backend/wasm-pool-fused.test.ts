// The pools of asm/window.ts against their references, exactly: poolMax and poolArgmax (each window's valid taps
// found once, 4 channels' running maximum — and its index — in registers) against the JS kernels; avgPool against im2col → sum → div on the same
// kernels and the JS kernel; and the op layer's avgPool2d, fused or traced, with PyTorch's options.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import * as tg from '../../src/index.js';
import { jsKernels } from '../../src/backend/js.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { expectClose, expectSame, geomArb, randF32, squareGeom, wasm } from '../support/backend.js';
import { traced } from '../support/traced.js';

const K = wasm();

/** A k×k window with stride s (a pool's usual spelling). */
const geom = (
  n: number,
  h: number,
  w: number,
  c: number,
  k: number,
  s: number,
  opts: { d?: number; pt?: number; pl?: number; pb?: number; pr?: number } = {},
): WindowGeom => squareGeom(n, h, w, c, k, { ...opts, s });

describe('wasm poolMax and poolArgmax against the JS reference', () => {
  it.each([
    ['onnx pool1: 2×2 stride 2, 8 channels, batch 32', geom(32, 28, 28, 8, 2, 2), 1],
    ['batch 1, 5 channels (a scalar tail)', geom(1, 9, 7, 5, 3, 2, { pt: 1, pl: 1 }), 2],
    ['one channel, odd width, stride 1', geom(2, 5, 7, 1, 2, 1), 3],
    ['dilation 2 with asymmetric padding', geom(2, 9, 8, 6, 3, 1, { d: 2, pt: 2, pb: 0, pl: 1, pr: 2 }), 4],
    ['ceil-mode-like bottom/right overhang', geom(3, 12, 12, 4, 3, 2, { pb: 2, pr: 2 }), 5],
    // windows wholly in the padding give 0, as the reference does
    ['windows wholly in padding', geom(1, 1, 1, 7, 1, 1, { pt: 1, pl: 1, pb: 1, pr: 1 }), 6],
  ] as const)('%s', (_, g, seed) => {
    const x = randF32(g.n * g.h * g.w * g.c, seed);
    // ties (values on a coarse grid, -0 beside +0) and NaN
    for (let i = 0; i < x.length; i += 3) x[i] = Math.round(x[i] * 2) / 2;
    for (let i = 1; i < x.length; i += 7) x[i] = i % 2 ? -0 : 0;
    if (x.length > 10) x[10] = NaN;
    const y = new Float32Array(g.n * g.outH * g.outW * g.c).fill(NaN);
    K.poolMax(x, g, y);
    const ref = new Float32Array(y.length);
    jsKernels.poolMax(x, g, ref);
    expectSame(y, ref, `poolMax ${JSON.stringify(g)}`);
    // the argmax scan (training's max-pool gradient) finds the same first maxima, -1 where a window reads nothing
    const idx = new Int32Array(y.length).fill(-7);
    K.poolArgmax(x, g, idx);
    const want = new Int32Array(y.length);
    jsKernels.poolArgmax(x, g, want);
    expectSame(idx, want, `poolArgmax ${JSON.stringify(g)}`);
  });
});

/** im2col → sum over the taps → div by the divisors, on the wasm kernels: what avgPool2d composes when traced. */
function composedAvg(x: Float32Array, g: WindowGeom, divisors: Float32Array): Float32Array {
  const rows = g.n * g.outH * g.outW;
  const taps = g.kh * g.kw;
  const cols = new Float32Array(rows * taps * g.c);
  K.im2col(x, g, cols);
  const s = new Float32Array(rows * g.c);
  K.reduce('sum', cols, rows, taps, g.c, s);
  const d = Float32Array.from(s, (_, i) =>
    divisors.length === 1 ? divisors[0] : divisors[Math.floor(i / g.c) % (g.outH * g.outW)],
  );
  const y = new Float32Array(s.length);
  K.binary('div', s, d, y);
  return y;
}

describe('wasm avgPool', () => {
  it('is bit-identical to im2col → sum → div and to the JS reference, one divisor or one per pixel', () => {
    fc.assert(
      fc.property(geomArb(), fc.boolean(), fc.nat(1e6), (g, perPixel, seed) => {
        const x = randF32(g.n * g.h * g.w * g.c, seed);
        if (x.length > 3) x[seed % x.length] = NaN;
        const divisors = perPixel
          ? Float32Array.from(randF32(g.outH * g.outW, seed + 1), (v) => 1 + Math.abs(v) * 8)
          : Float32Array.of(g.kh * g.kw);
        const y = new Float32Array(g.n * g.outH * g.outW * g.c).fill(NaN);
        K.avgPool(x, g, divisors, y);
        expectSame(y, composedAvg(x, g, divisors), `avgPool ${JSON.stringify(g)}`);
        const ref = new Float32Array(y.length);
        jsKernels.avgPool(x, g, divisors, ref);
        expectSame(y, ref, 'avgPool vs reference');
      }),
      { numRuns: 200 },
    );
  });

  it('onnx pool2 (2×2 stride 2 on 12×12×8, batch 32) and 5 channels with padding', () => {
    for (const [g, d] of [
      [geom(32, 12, 12, 8, 2, 2), Float32Array.of(4)],
      [geom(1, 7, 9, 5, 3, 2, { pt: 1, pl: 1, pb: 2, pr: 2 }), Float32Array.of(0.1)],
    ] as const) {
      const x = randF32(g.n * g.h * g.w * g.c, 9);
      const y = new Float32Array(g.n * g.outH * g.outW * g.c);
      K.avgPool(x, g, d, y);
      expectSame(y, composedAvg(x, g, d), `avgPool ${JSON.stringify(g)}`);
    }
  });
});

describe('avgPool2d runs as its fused row unless ops are traced', () => {
  it.each([
    ['plain 2×2', { kernelSize: 2 }],
    [
      'ceil mode, padding 1, counting the padding',
      { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true },
    ],
    ['ceil mode, padding 1, not counting it', { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    ['divisorOverride', { kernelSize: 2, stride: 1, divisorOverride: 3 }],
  ] as const)('%s: same values and gradients as the traced composition', (_, opts) => {
    const x = tg.tensor(randF32(2 * 3 * 9 * 8, 4), [2, 3, 9, 8], { requiresGrad: true });
    const f = (xx: tg.Tensor) => tg.avgPool2d(xx, { ...opts, dataFormat: 'NCHW' });
    const pool = vi.spyOn(K, 'avgPool');
    const y = f(x);
    expect(pool).toHaveBeenCalledTimes(1);
    pool.mockRestore();
    const [yc, ops] = traced(() => f(x));
    expect(ops).toContain('im2col');
    expect(ops).not.toContain('avgPool2dFused');
    expectSame(y.data, yc.data, 'fused vs traced');
    const up = tg.tensor(randF32(y.size, 5), y.shape);
    const gx = tg.grad((xx: tg.Tensor) => tg.sum(tg.mul(f(xx), up)))(x);
    const [gc] = traced(() => tg.grad((xx: tg.Tensor) => tg.sum(tg.mul(f(xx), up)))(x));
    expectClose(gx.data, gc.data, 1e-6, 1e-7, 'gradient fused vs traced');
  });
});
