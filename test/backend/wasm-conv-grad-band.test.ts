// The conv filter gradient read from a zero-padded band of input rows (asm/conv-grad-band.ts) against the JS
// reference im2col(x)ᵀ·g, on the shapes that reach its edges: strides, dilations, padding, filter tails packed or
// read in place, row slices that start mid-row, images too tall for one band, and 1 vs 2 threads.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { expectClose, expectSame, randF32, squareGeom, wasm } from '../support/backend.js';

const K = wasm();

const geom = squareGeom;

function filter(
  g: WindowGeom,
  o: number,
  seed: number,
): { dw: Float32Array; ref: Float32Array; fns: string[] } {
  const x = randF32(g.n * g.h * g.w * g.c, seed);
  const gy = randF32(g.n * g.outH * g.outW * o, seed + 1);
  const dw = new Float32Array(g.kh * g.kw * g.c * o).fill(NaN);
  const spy = vi.spyOn(K.pool, 'run');
  K.conv2dBackpropFilter(x, gy, g, o, dw);
  const fns = spy.mock.calls.map((c) => String(c[0]));
  spy.mockRestore();
  const ref = new Float32Array(dw.length);
  jsKernels.conv2dBackpropFilter(x, gy, g, o, ref);
  return { dw, ref, fns };
}

describe('wasm conv2dBackpropFilter band path', () => {
  afterAll(async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
  });

  it.each([
    ['onnx conv1 (one channel, same), batch 32', geom(32, 28, 28, 1, 3, { pt: 1, pl: 1 }), 8],
    ['seed conv1 (12 filters: a tail of 4 read in place)', geom(4, 32, 32, 3, 3, { pt: 1, pl: 1 }), 12],
    ['seed conv2 (k = 108)', geom(2, 16, 16, 12, 3, { pt: 1, pl: 1 }), 8],
    [
      'batch 1, stride 2, odd width, 5 filters (a packed tail)',
      geom(1, 11, 13, 2, 3, { s: 2, pt: 1, pl: 1 }),
      5,
    ],
    [
      'dilation 2 both ways, asymmetric padding, 13 filters',
      geom(2, 12, 9, 2, 3, { d: 2, pt: 2, pb: 0, pl: 1, pr: 2 }),
      13,
    ],
    ['one filter, valid 5×5', geom(2, 17, 21, 1, 5), 1],
    ['padding wider than the image, 3 filters', geom(2, 2, 2, 1, 3, { pt: 2, pl: 2 }), 3],
    ['k = 128 (the largest depth it takes)', geom(2, 6, 5, 32, 2, { pt: 1, pl: 0 }), 7],
  ] as const)('%s', (_, g, o) => {
    const { dw, ref, fns } = filter(g, o, o * 3);
    expect(fns).toContain('convFilterBandRows');
    expectClose(dw, ref, 1e-5, 1e-5, `filter ${JSON.stringify(g)} o=${o}`);
  });

  it('a depth above 128 keeps the gathered blocks', () => {
    const { dw, ref, fns } = filter(geom(2, 6, 6, 16, 3, { pt: 1, pl: 1 }), 6, 1);
    expect(fns).toContain('convFilterRows');
    expectClose(dw, ref, 1e-5, 1e-5, 'k = 144');
  });

  it('cuts an image too tall for one band (and row slices that start mid-row)', () => {
    // one band row is 522·3·4 bytes: the ~2.3 MB scratch holds a few hundred of the 520 output rows' inputs
    const { dw, ref, fns } = filter(geom(1, 520, 520, 3, 3, { pt: 1, pl: 1 }), 6, 2);
    expect(fns).toContain('convFilterBandRows');
    expectClose(dw, ref, 1e-4, 1e-4, 'tall image');
  });

  it('is bit-identical on 1 and 2 threads (fixed row slices that cross images mid-row)', async () => {
    const g = geom(8, 30, 30, 3, 3, { pt: 1, pl: 1 }); // 7,200 rows → 4 slices of 1,800 (not whole images)
    const o = 16;
    K.pool.setThreads(1);
    await K.pool.whenReady();
    const one = filter(g, o, 9);
    K.pool.setThreads(2);
    await K.pool.whenReady();
    const posted = K.pool.posted;
    const two = filter(g, o, 9);
    expect(K.pool.posted, 'a worker took slices').toBeGreaterThan(posted);
    expectSame(two.dw, one.dw, '1 vs 2 threads');
    expectClose(two.dw, two.ref, 1e-4, 1e-4, '2 threads vs reference');
  });
});
