// The wasm per-channel kernels (asm/channel.ts: batch normalization's moments, affine map, Σa and Σ a·(x − m)) against the
// JS reference loops, bit for bit, on channels-last and NCHW layouts, on one thread and split over two.
import { afterAll, describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import { expectSame, randF32, wasm } from '../support/backend.js';

const K = wasm();
const threadsBefore = K.pool.threads;
afterAll(() => K.pool.setThreads(threadsBefore));

// channels-last: under 16 channels (registers, the last rows in memory), 16, 16 + 4 split over two threads, 32; planes:
// shorter than 8 (the rest only), 8, tails, and past the parallel threshold (2^18 values) so two threads split them
const VIEWS: [number, number, number][] = [
  [37, 8, 1],
  [50, 7, 1],
  [9, 3, 1],
  [3, 15, 1],
  [5, 16, 1],
  [9000, 20, 1],
  [8192, 32, 1],
  [2, 3, 7],
  [2, 2, 8],
  [4, 5, 9],
  [3, 8, 16],
  [2, 6, 25],
  [16, 36, 1024],
  [0, 4, 1],
];

function data(outer: number, C: number, inner: number, seed: number) {
  const n = outer * C * inner;
  // an offset per channel so x − μ is not x: the centring matters
  const x = randF32(n, seed).map((v, i) => 3 * v + (Math.floor(i / inner) % C) - 2);
  const a = randF32(n, seed + 1);
  const m = randF32(C, seed + 2);
  const s = randF32(C, seed + 3).map((v) => 2 * v);
  const b = randF32(C, seed + 4);
  return { x, a, m, s, b };
}

describe.each([1, 2])('wasm channel kernels on %i thread(s)', (threads) => {
  it.each(VIEWS)('[outer %i, C %i, inner %i]: the JS reference bits', (outer, C, inner) => {
    K.pool.setThreads(threads);
    const { x, a, m, s, b } = data(outer, C, inner, outer * 7 + C * 3 + inner);
    const n = x.length;
    const run = (f: (k: typeof jsKernels, out: Float32Array) => void, len: number) => {
      const want = new Float32Array(len);
      const got = new Float32Array(len);
      f(jsKernels, want);
      f(K, got);
      return [got, want] as const;
    };
    const [gm, wm] = run((k, o) => k.channelMoments(x, outer, C, inner, o), 2 * C);
    expectSame(gm, wm, 'channelMoments');
    const [ga, wa] = run((k, o) => k.channelAffine(x, m, s, b, outer, C, inner, o), n);
    expectSame(ga, wa, 'channelAffine');
    const [gd, wd] = run((k, o) => k.channelSums(a, x, m, outer, C, inner, o), 2 * C);
    expectSame(gd, wd, 'channelSums');
    if (outer === 0) expect([...wm].every(Number.isNaN)).toBe(true); // 0/0: no values, no statistics
  });
});

describe('channel kernel references', () => {
  it('channelMoments gives the bits of mean, then x − μ, square and mean (float32 rounding of every step), channels-last', () => {
    const [outer, C] = [30, 3];
    const { x } = data(outer, C, 1, 5);
    const out = new Float32Array(2 * C);
    jsKernels.channelMoments(x, outer, C, 1, out);
    for (let c = 0; c < C; c++) {
      const vals: number[] = [];
      for (let o = 0; o < outer; o++) vals.push(x[o * C + c]);
      let sum = 0;
      for (const v of vals) sum += v;
      const mu = Math.fround(Math.fround(sum) / vals.length);
      let q = 0;
      for (const v of vals) q += Math.fround(Math.fround(v - mu) ** 2);
      expect(out[c]).toBe(mu);
      expect(out[C + c]).toBe(Math.fround(Math.fround(q) / vals.length));
    }
  });

  it('over planes the sums are within float32 rounding of the sequential sum', () => {
    const [outer, C, inner] = [5, 3, 21];
    const { x } = data(outer, C, inner, 6);
    const out = new Float64Array(2 * C);
    jsKernels.channelMoments(Float64Array.from(x), outer, C, inner, out);
    for (let c = 0; c < C; c++) {
      const vals: number[] = [];
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) vals.push(x[(o * C + c) * inner + i]);
      const mu = vals.reduce((p, v) => p + v, 0) / vals.length;
      expect(Math.abs(out[c] - mu)).toBeLessThan(1e-12);
      const v = vals.reduce((p, u) => p + (u - mu) ** 2, 0) / vals.length;
      expect(Math.abs(out[C + c] - v)).toBeLessThan(1e-12);
    }
  });
});
