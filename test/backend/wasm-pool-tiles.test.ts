// Max pooling over windows that tile the image (asm/pool-tiles.ts: stride = window, no padding): the gradient, which
// writes every dx element once instead of zeroing dx and scattering into it, against the JS reference (zero, then
// dx[argmax] += dy) and the scatterAdd of poolArgmax's indices; and the window maxima of 4 channels or more, with no
// per-pixel search for the valid taps, against the reference. Bit for bit.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { windowGeom } from '../../src/ops/composite/window.js';
import { expectSame, randF32, wasm } from '../support/backend.js';

const K = wasm();

/** Values with ties (halves), zeros of both signs and one NaN. */
function awkward(n: number, seed: number): Float32Array {
  const x = randF32(n, seed);
  for (let i = 0; i < n; i += 3) x[i] = Math.round(x[i] * 2) / 2;
  for (let i = 1; i < n; i += 7) x[i] = i % 2 ? -0 : 0;
  if (n) x[seed % n] = NaN;
  return x;
}

/** dx from poolArgmax's indices, scattered into zeros: what the gradient must be. */
function scattered(x: Float32Array, dy: Float32Array, g: WindowGeom): Float32Array {
  const idx = new Int32Array(dy.length);
  K.poolArgmax(x, g, idx);
  const want = new Float32Array(x.length);
  jsKernels.scatterAdd(dy, idx, want);
  return want;
}

/** Windows k with stride k and no padding over an image of `shape`, and awkward values for it. */
function tiling(shape: [number, number, number, number], k: [number, number], seed: number) {
  const g = windowGeom(shape, k, k, [1, 1], NO_PADS, 'test');
  return { g, x: awkward(shape[0] * shape[1] * shape[2] * shape[3], seed) };
}
const NO_PADS: [[number, number], [number, number]] = [
  [0, 0],
  [0, 0],
];

function check(shape: [number, number, number, number], k: [number, number], seed: number): void {
  const { g, x } = tiling(shape, k, seed);
  const dy = randF32(g.n * g.outH * g.outW * g.c, seed + 1);
  for (let i = 0; i < dy.length; i += 5) dy[i] = -0; // 0 + (−0) is +0 in the reference's add
  // NOTE: NaN-filled outputs: an element the kernel never writes shows up
  const a = new Float32Array(x.length).fill(NaN);
  const b = new Float32Array(x.length).fill(NaN);
  K.poolMaxGrad(x, dy, g, a);
  jsKernels.poolMaxGrad(x, dy, g, b);
  const what = `[${shape}] window ${k}`;
  expectSame(a, b, `wasm vs js poolMaxGrad ${what}`);
  expectSame(a, scattered(x, dy, g), `wasm poolMaxGrad vs scatterAdd ${what}`);
}

function checkMax(shape: [number, number, number, number], k: [number, number], seed: number): void {
  const { g, x } = tiling(shape, k, seed);
  const a = new Float32Array(g.n * g.outH * g.outW * g.c).fill(NaN);
  const b = new Float32Array(a.length).fill(NaN);
  K.poolMax(x, g, a);
  jsKernels.poolMax(x, g, b);
  expectSame(a, b, `wasm vs js poolMax [${shape}] window ${k}`);
}

type Check = (shape: [number, number, number, number], k: [number, number], seed: number) => void;

/** `check` on random images (1–3 of height ≤ 19, width ≤ maxW) with `channels`, under windows of 1–3 that fit. */
function forTilings(maxW: number, channels: fc.Arbitrary<number>, check: Check): void {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 19 }),
      fc.integer({ min: 1, max: maxW }),
      channels,
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.nat(1e6),
      (n, h, w, c, kh, kw, seed) => {
        if (kh <= h && kw <= w) check([n, h, w, c], [kh, kw], seed);
      },
    ),
    { numRuns: 300 },
  );
}

describe('wasm max pooling of tiling windows', () => {
  it('poolMax gives the reference bits: 4 channels or more, windows 1–3, ±0 ties and NaN', () => {
    forTilings(21, fc.oneof(fc.integer({ min: 4, max: 13 }), fc.constantFrom(32, 33)), checkMax);
  });

  it('poolMax on two threads (images split) gives the same bits', async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
    checkMax([32, 32, 32, 12], [2, 2], 8);
    checkMax([6, 33, 65, 12], [3, 2], 9);
  });

  it('the gradient gives the reference bits: any channels, windows 1–3, rows and columns no window covers', () => {
    forTilings(37, fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(12, 33)), check);
  });

  it('the gradient of one channel, 2×2 (NCHW pooling as [N·C, H, W, 1]): four windows at a time, odd sizes', () => {
    for (const [h, w] of [
      [2, 8],
      [3, 9],
      [4, 16],
      [5, 17],
      [32, 32],
      [7, 23],
    ])
      check([3, h, w, 1], [2, 2], h * 100 + w);
  });

  it('the gradient with images split across two threads gives the same bits', async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
    check([8, 64, 64, 4], [2, 2], 5);
    check([64, 32, 32, 1], [2, 2], 6);
    check([6, 33, 65, 12], [3, 2], 7);
  });
});
