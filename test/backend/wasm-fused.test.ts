// The fused inference kernels (conv2d without a patch matrix, max pooling by value) against the compositions they
// replace, the JS reference, and across thread counts; and the op layer's choice of when to use them.
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import * as tg from '../../src/index.js';
import { expectClose, expectSame, geomArb, randF32, wasm } from '../support/backend.js';
import { traced } from '../support/traced.js';
import { windowGeom } from '../../src/ops/composite/window.js';

const K = wasm();

/** The composition on the wasm kernels: im2col → matmul → + bias (the bits conv2d gives when it records). */
function composed(x: Float32Array, w: Float32Array, b: Float32Array | null, g: WindowGeom, o: number) {
  const rows = g.n * g.outH * g.outW;
  const kk = g.kh * g.kw * g.c;
  const cols = new Float32Array(rows * kk);
  K.im2col(x, g, cols);
  const y = new Float32Array(rows * o);
  K.matmul(cols, w, y, 1, 1, rows, o, kk, false, false);
  if (b) for (let i = 0; i < y.length; i++) y[i] = Math.fround(y[i] + b[i % o]);
  return y;
}

function fused(x: Float32Array, w: Float32Array, b: Float32Array | null, g: WindowGeom, o: number) {
  const y = new Float32Array(g.n * g.outH * g.outW * o).fill(NaN);
  K.conv2d(x, w, b, g, o, y);
  return y;
}

const outs = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(64, 70));

describe('wasm conv2d (fused)', () => {
  it('is bit-identical to im2col → matmul → add bias on random geometries, and close to the JS reference', () => {
    fc.assert(
      fc.property(geomArb(), outs, fc.boolean(), fc.nat(1e6), (g, o, withBias, seed) => {
        const x = randF32(g.n * g.h * g.w * g.c, seed);
        const w = randF32(g.kh * g.kw * g.c * o, seed + 1);
        const b = withBias ? randF32(o, seed + 2) : null;
        const y = fused(x, w, b, g, o);
        expectSame(y, composed(x, w, b, g, o), 'fused vs composed');
        const ref = new Float32Array(y.length);
        jsKernels.conv2d(x, w, b, g, o, ref);
        expectClose(y, ref, 1e-5, 1e-5, 'fused vs reference');
      }),
      { numRuns: 150 },
    );
  });

  it('sums depths above one cache block (k = 3·3·40 = 360) in the same blocks as sgemm', () => {
    const g: WindowGeom = {
      n: 2,
      h: 7,
      w: 6,
      c: 40,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
      outH: 7,
      outW: 6,
    };
    for (const o of [5, 8, 67]) {
      const x = randF32(2 * 7 * 6 * 40, o);
      const w = randF32(360 * o, o + 1);
      const b = randF32(o, o + 2);
      expectSame(fused(x, w, b, g, o), composed(x, w, b, g, o), `o=${o}`);
    }
  });
});

describe('wasm conv2d reading interior windows straight from the image', () => {
  const geom = (
    h: number,
    w: number,
    c: number,
    k: number,
    s: number,
    d: number,
    pad: number,
  ): WindowGeom => ({
    n: 2,
    h,
    w,
    c,
    kh: k,
    kw: k,
    strideH: s,
    strideW: s,
    dilationH: d,
    dilationW: 1,
    padTop: pad,
    padLeft: pad,
    outH: Math.floor((h + 2 * pad - (k - 1) * d - 1) / s) + 1,
    outW: Math.floor((w + 2 * pad - k) / s) + 1,
  });
  it.each([
    ['seed conv1', geom(32, 32, 3, 3, 1, 1, 1), 12],
    ['seed conv2', geom(16, 16, 12, 3, 1, 1, 1), 8],
    ['stride 2, dilated rows', geom(23, 19, 5, 3, 2, 2, 2), 21],
    ['valid 5×5', geom(17, 21, 2, 5, 1, 1, 0), 3],
  ] as const)('%s is bit-identical to the composition', (_, g, o) => {
    const x = randF32(g.n * g.h * g.w * g.c, o);
    const w = randF32(g.kh * g.kw * g.c * o, o + 1);
    const b = randF32(o, o + 2);
    expectSame(fused(x, w, b, g, o), composed(x, w, b, g, o), 'window path');
  });
});

/** Random NHWC values for a geometry, every third one rounded to a half (ties in a window) and one NaN. */
function tiedWithNaN(g: { n: number; h: number; w: number; c: number }, seed: number): Float32Array {
  const x = randF32(g.n * g.h * g.w * g.c, seed);
  for (let i = 0; i < x.length; i += 3) x[i] = Math.round(x[i] * 2) / 2;
  if (x.length) x[seed % x.length] = NaN;
  return x;
}

describe('wasm poolMax', () => {
  it('gives exactly the values take(x, poolArgmax(x)) gives (ties, NaN)', () => {
    fc.assert(
      fc.property(geomArb(), fc.nat(1e6), (g, seed) => {
        const x = tiedWithNaN(g, seed);
        const idx = new Int32Array(g.n * g.outH * g.outW * g.c);
        K.poolArgmax(x, g, idx);
        // NOTE: a window lying wholly in padding (the op layer refuses those) has index -1 and value 0.
        const want = Float32Array.from(idx, (i) => (i < 0 ? 0 : x[i]));
        const a = new Float32Array(idx.length);
        const b = new Float32Array(idx.length);
        K.poolMax(x, g, a);
        jsKernels.poolMax(x, g, b);
        expectSame(a, want, 'wasm poolMax');
        expectSame(b, want, 'js poolMax');
      }),
      { numRuns: 200 },
    );
  });
  it('poolMaxGrad gives the bits of scatterAdd(dy, poolArgmax(x)) (ties, NaN, overlapping windows)', () => {
    fc.assert(
      fc.property(geomArb(), fc.nat(1e6), (g, seed) => {
        const x = tiedWithNaN(g, seed);
        const dy = randF32(g.n * g.outH * g.outW * g.c, seed + 1);
        const idx = new Int32Array(dy.length);
        K.poolArgmax(x, g, idx);
        const keep = Array.from(idx.keys()).filter((i) => idx[i] >= 0); // the op layer refuses windows in padding
        const want = new Float32Array(x.length);
        jsKernels.scatterAdd(
          Float32Array.from(keep, (i) => dy[i]),
          Int32Array.from(keep, (i) => idx[i]),
          want,
        );
        const a = new Float32Array(x.length).fill(NaN);
        const b = new Float32Array(x.length).fill(NaN);
        K.poolMaxGrad(x, dy, g, a);
        jsKernels.poolMaxGrad(x, dy, g, b);
        expectSame(a, want, 'wasm poolMaxGrad');
        expectSame(b, want, 'js poolMaxGrad');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the one-channel 2×2 stride-2 path (NCHW pooling as [N·C, H, W, 1])', () => {
  it('poolMax, poolArgmax and poolMaxGrad give the reference bits (odd sizes, ±0 ties, NaN, ceil-mode rows)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 2, max: 23 }),
        fc.integer({ min: 2, max: 41 }),
        fc.integer({ min: 0, max: 1 }),
        fc.nat(1e6),
        (n, h, w, extra, seed) => {
          const g = windowGeom(
            [n, h, w, 1],
            [2, 2],
            [2, 2],
            [1, 1],
            [
              [0, extra],
              [0, extra],
            ],
            'test',
          );
          const x = tiedWithNaN(g, seed);
          for (let i = 1; i < x.length; i += 7) x[i] = i % 2 ? -0 : 0; // zeros of both signs tie
          const dy = randF32(n * g.outH * g.outW, seed + 1);
          const [a, b] = [new Float32Array(dy.length), new Float32Array(dy.length)];
          K.poolMax(x, g, a);
          jsKernels.poolMax(x, g, b);
          expectSame(a, b, 'poolMax');
          const [i, j] = [new Int32Array(dy.length), new Int32Array(dy.length)];
          K.poolArgmax(x, g, i);
          jsKernels.poolArgmax(x, g, j);
          expectSame(i, j, 'poolArgmax');
          const [c, d] = [new Float32Array(x.length), new Float32Array(x.length)];
          K.poolMaxGrad(x, dy, g, c);
          jsKernels.poolMaxGrad(x, dy, g, d);
          expectSame(c, d, 'poolMaxGrad');
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('fused kernels on 1 and 2 threads', () => {
  afterAll(async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
  });
  it('conv2d and poolMax are bit-identical and the big conv runs on a worker', async () => {
    const g: WindowGeom = {
      n: 4,
      h: 30,
      w: 29,
      c: 6,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
      outH: 30,
      outW: 29,
    };
    const x = randF32(4 * 30 * 29 * 6, 1);
    const w = randF32(54 * 20, 2);
    const b = randF32(20, 3);
    const pg = { ...g, kh: 2, kw: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 15, outW: 14 };
    const run = () => {
      const p = new Float32Array(4 * 15 * 14 * 6);
      K.poolMax(x, pg, p);
      return [fused(x, w, b, g, 20), p];
    };
    K.pool.setThreads(1);
    const one = run();
    K.pool.setThreads(2);
    expect(await K.pool.whenReady()).toBe(true);
    const posted = K.pool.posted;
    const two = run();
    expect(K.pool.posted).toBeGreaterThan(posted);
    expectSame(two[0], one[0], 'conv2d');
    expectSame(two[1], one[1], 'poolMax');
  });
});

describe('conv2d and maxPool2d run as their fused rows unless ops are traced, recording or not', () => {
  const x = tg.tensor(randF32(2 * 9 * 8 * 3, 7), [2, 9, 8, 3], { requiresGrad: true });
  const w = tg.tensor(randF32(3 * 3 * 3 * 5, 8), [3, 3, 3, 5], { requiresGrad: true });
  const b = tg.tensor(randF32(5, 9), [5], { requiresGrad: true });
  const net = (xx = x, ww = w, bb = b) =>
    tg.maxPool2d(tg.conv2d(xx, ww, bb, { padding: 'same', stride: [1, 2] }), {
      kernelSize: 2,
      padding: 'same',
    });

  it('recording, noGrad and the traced composition give the same bits', () => {
    const conv = vi.spyOn(K, 'conv2d');
    const pool = vi.spyOn(K, 'poolMax');
    const recorded = net();
    expect(recorded.requiresGrad).toBe(true);
    expect(conv).toHaveBeenCalledTimes(1);
    expect(pool).toHaveBeenCalledTimes(1);
    const inferred = tg.noGrad(() => net());
    expect(conv).toHaveBeenCalledTimes(2);
    expect(pool).toHaveBeenCalledTimes(2);
    expect(inferred.requiresGrad).toBe(false);
    const [composed, ops] = traced(() => net());
    expect(conv).toHaveBeenCalledTimes(2);
    expect(pool).toHaveBeenCalledTimes(2);
    expect(ops).toEqual(expect.arrayContaining(['im2col', 'matmul', 'poolArgmax', 'take']));
    expect(ops).not.toContain('conv2dFused');
    expect(ops).not.toContain('maxPool2dFused');
    expectSame(inferred.data, recorded.data, 'noGrad vs recorded');
    expectSame(recorded.data, composed.data, 'recorded vs traced composition');
    conv.mockRestore();
    pool.mockRestore();
  });

  it('training runs the gradient kernels, which agree with the traced composition (dx and db bit for bit)', () => {
    const f = tg.grads((xx: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor) => tg.sum(net(xx, ww, bb)));
    const input = vi.spyOn(K, 'conv2dBackpropInput');
    const filter = vi.spyOn(K, 'conv2dBackpropFilter');
    const poolGrad = vi.spyOn(K, 'poolMaxGrad');
    const argmax = vi.spyOn(K, 'poolArgmax');
    const take = vi.spyOn(K, 'take');
    const fused = f(x, w, b);
    expect(input).toHaveBeenCalledTimes(1);
    expect(filter).toHaveBeenCalledTimes(1);
    expect(poolGrad).toHaveBeenCalledTimes(1); // the pool's vjp, in one kernel
    expect(argmax).not.toHaveBeenCalled();
    expect(take).not.toHaveBeenCalled();
    const [plain, ops] = traced(() => f(x, w, b));
    expect(ops).toContain('col2im');
    expect(ops).toContain('poolArgmax'); // traced, the pool's vjp shows its two primitives
    expect(ops).not.toContain('conv2dBackpropInput');
    expect(input).toHaveBeenCalledTimes(1);
    expectSame(fused[0].data, plain[0].data, 'dx');
    expectClose(fused[1].data, plain[1].data, 1e-5, 1e-5, 'dw');
    expectSame(fused[2].data, plain[2].data, 'db');
    expect(fused[1].shape).toEqual([3, 3, 3, 5]);
    input.mockRestore();
    filter.mockRestore();
    poolGrad.mockRestore();
    argmax.mockRestore();
    take.mockRestore();
  });
});
