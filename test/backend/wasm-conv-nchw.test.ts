// The fused convolution writing NCHW: the same bits as the NHWC kernel's output transposed, on the band path, the
// gathering path (depth above one block), both threads, and in the JS reference.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { Kernels, WindowGeom } from '../../src/backend/kernels.js';
import { windowGeom } from '../../src/ops/composite/window.js';
import { expectSame, geomArb, randF32, wasm } from '../support/backend.js';

const K = wasm();

/** [n, outH, outW, o] → [n, o, outH, outW], by the reference transpose. */
function toNchw(y: Float32Array, g: WindowGeom, o: number): Float32Array {
  const out = new Float32Array(y.length);
  jsKernels.transpose(y, [g.n, g.outH, g.outW, o], [0, 3, 1, 2], out);
  return out;
}

/** The kernel's NCHW output and its NHWC output transposed. */
function both(
  k: Pick<Kernels, 'conv2d'>,
  g: WindowGeom,
  o: number,
  withBias: boolean,
  relu: boolean,
  seed: number,
) {
  const x = randF32(g.n * g.h * g.w * g.c, seed);
  const w = randF32(g.kh * g.kw * g.c * o, seed + 1);
  const b = withBias ? randF32(o, seed + 2) : null;
  const rows = g.n * g.outH * g.outW * o;
  const act = relu ? 'relu' : 'linear';
  const [nhwc, nchw] = [new Float32Array(rows).fill(NaN), new Float32Array(rows).fill(NaN)];
  k.conv2d(x, w, b, g, o, nhwc, act);
  k.conv2d(x, w, b, g, o, nchw, act, true);
  return [nchw, toNchw(nhwc, g, o)];
}

const outs = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(64, 70));

describe('conv2d with an NCHW output', () => {
  afterAll(async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
  });

  it('wasm and the JS reference give the NHWC values transposed, bit for bit (random geometries)', () => {
    fc.assert(
      fc.property(geomArb(), outs, fc.boolean(), fc.boolean(), fc.nat(1e6), (g, o, withBias, relu, seed) => {
        const [a, want] = both(K, g, o, withBias, relu, seed);
        expectSame(a, want, 'wasm');
        const [r, rWant] = both(jsKernels, g, o, withBias, relu, seed);
        expectSame(r, rWant, 'js');
      }),
      { numRuns: 150 },
    );
  });

  it('gathers windows deeper than one block (k = 3·3·40) into the staging block the same way', () => {
    const g = windowGeom(
      [3, 9, 7, 40],
      [3, 3],
      [1, 2],
      [1, 1],
      [
        [1, 1],
        [1, 1],
      ],
      'test',
    );
    const [a, want] = both(K, g, 13, true, true, 5);
    expectSame(a, want, 'k = 360');
  });

  it('transposes the NHWC result in place where 4 pixels of o filters do not fit the staging block (o = 3,100)', () => {
    const g = windowGeom(
      [2, 3, 3, 2],
      [1, 1],
      [1, 1],
      [1, 1],
      [
        [0, 0],
        [0, 0],
      ],
      'test',
    );
    // NOTE: 4 pixels × 3,100 filters × 4 bytes (49,600) exceed the 48 KiB staging block (asm/conv-nchw.ts)
    const [a, want] = both(K, g, 3100, true, false, 11);
    expectSame(a, want, 'o = 3,100');
  });

  it('gives the same bits on 1 and 2 threads, split across images mid-block', async () => {
    const g = windowGeom(
      [5, 30, 29, 3],
      [3, 3],
      [1, 1],
      [1, 1],
      [
        [1, 1],
        [1, 1],
      ],
      'test',
    );
    const runs: Float32Array[] = [];
    for (const threads of [1, 2]) {
      K.pool.setThreads(threads);
      expect(await K.pool.whenReady()).toBe(true);
      const posted = K.pool.posted;
      const [a, want] = both(K, g, 12, true, false, 9);
      if (threads === 2) expect(K.pool.posted).toBeGreaterThan(posted);
      expectSame(a, want, `${threads} threads`);
      runs.push(a);
    }
    expectSame(runs[1], runs[0], '1 vs 2 threads');
  });
});
