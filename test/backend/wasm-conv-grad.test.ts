// The training convolution kernels (input gradient col2im(g·wᵀ), filter gradient im2col(x)ᵀ·g, no patch matrix)
// against the compositions they replace, the JS reference, NaN inputs and thread counts.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { expectClose, expectSame, geomArb, randF32, wasm } from '../support/backend.js';

const K = wasm();
/** 1 where a value is NaN, else 0. */
const nanMask = (v: number): number => (Number.isNaN(v) ? 1 : 0);
const rowsOf = (g: WindowGeom): number => g.n * g.outH * g.outW;
const depthOf = (g: WindowGeom): number => g.kh * g.kw * g.c;

/** col2im(matmul(g, w, transB)) on the wasm kernels: the bits the composition gives. */
function composedInput(gy: Float32Array, w: Float32Array, g: WindowGeom, o: number): Float32Array {
  const t = new Float32Array(rowsOf(g) * depthOf(g));
  K.matmul(gy, w, t, 1, 1, rowsOf(g), depthOf(g), o, false, true);
  const dx = new Float32Array(g.n * g.h * g.w * g.c);
  K.col2im(t, g, dx);
  return dx;
}
const input = (
  k: typeof K | typeof jsKernels,
  gy: Float32Array,
  w: Float32Array,
  g: WindowGeom,
  o: number,
) => {
  const dx = new Float32Array(g.n * g.h * g.w * g.c).fill(NaN);
  k.conv2dBackpropInput(gy, w, g, o, dx);
  return dx;
};
const filter = (
  k: typeof K | typeof jsKernels,
  x: Float32Array,
  gy: Float32Array,
  g: WindowGeom,
  o: number,
) => {
  const dw = new Float32Array(depthOf(g) * o).fill(NaN);
  k.conv2dBackpropFilter(x, gy, g, o, dw);
  return dw;
};

const outs = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(32, 64, 70));

/** 3×3 'same' over h×w×c, the shape of a training CNN's layers. */
const same3 = (n: number, h: number, w: number, c: number): WindowGeom => ({
  n,
  h,
  w,
  c,
  kh: 3,
  kw: 3,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 1,
  padLeft: 1,
  outH: h,
  outW: w,
});

describe('wasm conv2dBackpropInput', () => {
  it('is bit-identical to col2im(g·wᵀ) on random geometries, and close to the JS reference', () => {
    fc.assert(
      fc.property(geomArb(), outs, fc.nat(1e6), (g, o, seed) => {
        const gy = randF32(rowsOf(g) * o, seed);
        const w = randF32(depthOf(g) * o, seed + 1);
        const dx = input(K, gy, w, g, o);
        expectSame(dx, composedInput(gy, w, g, o), 'fused vs composed');
        expectClose(dx, input(jsKernels, gy, w, g, o), 1e-5, 1e-5, 'fused vs reference');
      }),
      { numRuns: 150 },
    );
  });

  it('sums depths above one cache block (o = 300) in the same blocks as sgemm', () => {
    const g = same3(2, 5, 6, 7);
    const gy = randF32(rowsOf(g) * 300, 4);
    const w = randF32(depthOf(g) * 300, 5);
    expectSame(input(K, gy, w, g, 300), composedInput(gy, w, g, 300), 'o=300');
  });

  it('reads g in place where the work area has no room for its packed tile beside the scratch', () => {
    // NOTE: 1×1 over 147,404 channels: 4 rows of t fill the work area to within ~900 bytes, fewer than 64 filters'
    // packed 4-row tile of g needs (asm/conv-grad.ts), so this geometry takes the in-place path
    const g: WindowGeom = { ...same3(1, 2, 2, 147404), kh: 1, kw: 1, padTop: 0, padLeft: 0 };
    const o = 64;
    const gy = randF32(rowsOf(g) * o, 11);
    const w = randF32(depthOf(g) * o, 12);
    expectSame(input(K, gy, w, g, o), composedInput(gy, w, g, o), 'in place');
  });

  it('propagates NaN from the gradient and from the kernel to every pixel they reach', () => {
    const g = same3(2, 6, 5, 3);
    const o = 9;
    const gy = randF32(rowsOf(g) * o, 6);
    const w = randF32(depthOf(g) * o, 7);
    gy[(rowsOf(g) - 1) * o + 4] = NaN; // the last pixel of image 2
    const dx = input(K, gy, w, g, o);
    expect(dx.map(nanMask)).toEqual(input(jsKernels, gy, w, g, o).map(nanMask));
    expect(Number.isNaN(dx[dx.length - 1])).toBe(true);
    expect(dx.slice(0, 6 * 5 * 3).every((v) => !Number.isNaN(v))).toBe(true); // image 1 untouched
    w[0] = NaN;
    expect(input(K, randF32(rowsOf(g) * o, 8), w, g, o).some(Number.isNaN)).toBe(true);
  });
});

describe('wasm conv2dBackpropFilter', () => {
  it('is close to im2col(x)ᵀ·g (JS reference) on random geometries', () => {
    fc.assert(
      fc.property(geomArb(), outs, fc.nat(1e6), (g, o, seed) => {
        const x = randF32(g.n * g.h * g.w * g.c, seed);
        const gy = randF32(rowsOf(g) * o, seed + 1);
        expectClose(filter(K, x, gy, g, o), filter(jsKernels, x, gy, g, o), 1e-5, 1e-5, 'fused vs reference');
      }),
      { numRuns: 150 },
    );
  });

  it('matches the reference on a layer large enough to be cut into row slices', () => {
    const g = same3(6, 16, 16, 12); // 1536 rows × 108 taps × 20 filters: 5.6 MFLOP, one slice per 2048 rows
    const x = randF32(g.n * g.h * g.w * g.c, 9);
    const gy = randF32(rowsOf(g) * 20, 10);
    expectClose(filter(K, x, gy, g, 20), filter(jsKernels, x, gy, g, 20), 1e-4, 1e-4, 'sliced');
    const big = same3(10, 16, 16, 3); // 2560 rows: two slices
    const xb = randF32(big.n * big.h * big.w * big.c, 11);
    const gb = randF32(rowsOf(big) * 70, 12);
    expectClose(filter(K, xb, gb, big, 70), filter(jsKernels, xb, gb, big, 70), 1e-4, 1e-4, 'two slices');
  });

  it('propagates NaN from the image and from the gradient', () => {
    const g = same3(1, 5, 5, 2);
    const x = randF32(50, 13);
    const gy = randF32(25 * 11, 14);
    x[12] = NaN;
    const dw = filter(K, x, gy, g, 11);
    const ref = filter(jsKernels, x, gy, g, 11);
    expect(dw.map(nanMask)).toEqual(ref.map(nanMask));
    expect(dw.some(Number.isNaN)).toBe(true);
    gy.fill(NaN, 0, 11);
    expect(filter(K, randF32(50, 15), gy, g, 11).map(nanMask)).toEqual(
      filter(jsKernels, randF32(50, 15), gy, g, 11).map(nanMask),
    );
  });
});

describe('conv gradient kernels on 1 and 2 threads', () => {
  afterAll(async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
  });
  it('give the same bits, and the big ones run on a worker', async () => {
    const g = same3(8, 20, 19, 8);
    const o = 24;
    const x = randF32(g.n * g.h * g.w * g.c, 16);
    const gy = randF32(rowsOf(g) * o, 17);
    const w = randF32(depthOf(g) * o, 18);
    const run = () => [input(K, gy, w, g, o), filter(K, x, gy, g, o)];
    K.pool.setThreads(1);
    const one = run();
    K.pool.setThreads(2);
    expect(await K.pool.whenReady()).toBe(true);
    const posted = K.pool.posted;
    const two = run();
    expect(K.pool.posted).toBeGreaterThanOrEqual(posted + 2);
    expectSame(two[0], one[0], 'input gradient');
    expectSame(two[1], one[1], 'filter gradient');
    expectClose(two[1], filter(jsKernels, x, gy, g, o), 1e-4, 1e-4, 'filter gradient vs reference');
  });
});
