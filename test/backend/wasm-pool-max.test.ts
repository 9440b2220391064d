// The wasm max pool by value (asm/window.ts: poolMax, each window's valid taps found once, 4 channels' running
// maximum in a register) against the JS reference, exactly, on the shapes that reach its edges.
import { describe, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { expectSame, randF32, wasm } from '../support/backend.js';

const K = wasm();

const geom = (
  n: number,
  h: number,
  w: number,
  c: number,
  k: number,
  s: number,
  opts: { d?: number; pt?: number; pl?: number; pb?: number; pr?: number } = {},
): WindowGeom => {
  const { d = 1, pt = 0, pl = 0, pb = pt, pr = pl } = opts;
  const ek = (k - 1) * d + 1;
  return {
    n,
    h,
    w,
    c,
    kh: k,
    kw: k,
    strideH: s,
    strideW: s,
    dilationH: d,
    dilationW: d,
    padTop: pt,
    padLeft: pl,
    outH: Math.floor((h + pt + pb - ek) / s) + 1,
    outW: Math.floor((w + pl + pr - ek) / s) + 1,
  };
};

describe('wasm poolMax against the JS reference', () => {
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
  });
});
