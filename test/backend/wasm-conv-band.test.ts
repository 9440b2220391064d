// The fused conv's band path (asm/conv-band.ts: windows of depth ≤ one sgemm block read from a zero-padded copy of
// the input rows, bias and relu in the tile epilogue) against the composition it replaces — im2col → matmul → add
// bias → relu on the same kernels, bit for bit — and the JS reference, on the shapes that reach each of its edges.
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import type { ConvActivation, WindowGeom } from '../../src/backend/kernels.js';
import { ValueError } from '../../src/core/errors.js';
import { expectClose, expectSame, geomArb, randF32, squareGeom, wasm } from '../support/backend.js';

const K = wasm();

function composed(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  g: WindowGeom,
  o: number,
  act: ConvActivation,
): Float32Array {
  const rows = g.n * g.outH * g.outW;
  const kk = g.kh * g.kw * g.c;
  const cols = new Float32Array(rows * kk);
  K.im2col(x, g, cols);
  const y = new Float32Array(rows * o);
  K.matmul(cols, w, y, 1, 1, rows, o, kk, false, false);
  if (b) for (let i = 0; i < y.length; i++) y[i] = Math.fround(y[i] + b[i % o]);
  if (act === 'relu') K.unary('relu', y.slice(), y);
  return y;
}

/** The wasm conv2d, and which pool functions it ran. */
function fused(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array | null,
  g: WindowGeom,
  o: number,
  act: ConvActivation,
): { y: Float32Array; fns: string[] } {
  const y = new Float32Array(g.n * g.outH * g.outW * o).fill(NaN);
  const spy = vi.spyOn(K.pool, 'run');
  const spySplit = vi.spyOn(K.pool, 'runSplit');
  K.conv2d(x, w, b, g, o, y, act);
  const fns = [...spy.mock.calls, ...spySplit.mock.calls].map((c) => String(c[0]));
  spy.mockRestore();
  spySplit.mockRestore();
  return { y, fns };
}

function check(g: WindowGeom, o: number, withBias: boolean, act: ConvActivation, seed: number): void {
  const x = randF32(g.n * g.h * g.w * g.c, seed);
  const w = randF32(g.kh * g.kw * g.c * o, seed + 1);
  const b = withBias ? randF32(o, seed + 2) : null;
  const { y, fns } = fused(x, w, b, g, o, act);
  expect(fns, 'the band path ran').toContain('convBandRows');
  expectSame(y, composed(x, w, b, g, o, act), `band vs composed ${JSON.stringify(g)} o=${o} ${act}`);
  const ref = new Float32Array(y.length);
  jsKernels.conv2d(x, w, b, g, o, ref, act);
  expectClose(y, ref, 1e-5, 1e-5, 'band vs reference');
}

/** The band path's windows: dilation along the height only (width dilation 1 is what it takes). */
const geom = (
  n: number,
  h: number,
  w: number,
  c: number,
  k: number,
  opts: { s?: number; dh?: number; pt?: number; pl?: number; pb?: number; pr?: number } = {},
): WindowGeom => squareGeom(n, h, w, c, k, { ...opts, dw: 1 });

describe('wasm conv2d band path', () => {
  afterAll(async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
  });
  afterEach(() => vi.restoreAllMocks());

  it('is bit-identical to im2col → matmul → add bias (→ relu) on random geometries with width dilation 1', () => {
    fc.assert(
      fc.property(
        // NOTE: width dilation 1 (the band path's condition); geomArb's outW for dilation 2 still fits the image
        geomArb().map((g) => ({ ...g, dilationW: 1 })),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        fc.constantFrom<ConvActivation>('linear', 'relu'),
        fc.nat(1e6),
        (g, o, withBias, act, seed) => check(g, o, withBias, act, seed),
      ),
      { numRuns: 150 },
    );
  });

  it.each([
    ['onnx conv1 (one input channel, same), batch 32', geom(32, 28, 28, 1, 3, { pt: 1, pl: 1 }), 8],
    ['onnx conv1, batch 1', geom(1, 28, 28, 1, 3, { pt: 1, pl: 1 }), 8],
    ['seed conv1 (3 channels, 12 filters: a 4-wide tail panel)', geom(2, 32, 32, 3, 3, { pt: 1, pl: 1 }), 12],
    ['stride 2, odd width', geom(3, 11, 13, 2, 3, { s: 2, pt: 1, pl: 1 }), 5],
    ['asymmetric padding', geom(2, 9, 7, 3, 3, { pt: 0, pb: 2, pl: 2, pr: 0 }), 7],
    ['dilated rows', geom(2, 12, 9, 2, 3, { dh: 2, pt: 2, pl: 1 }), 3],
    ['valid 5×5, one filter', geom(2, 17, 21, 1, 5), 1],
    ['odd widths that leave a partial 4-pixel tile per image', geom(3, 5, 7, 1, 3, { pt: 1, pl: 1 }), 13],
    ['padding wider than the image', geom(2, 2, 2, 1, 3, { pt: 2, pl: 2 }), 4],
    ['depth 256 (one full block)', geom(2, 6, 5, 16, 4, { pt: 1, pl: 2 }), 9],
  ] as const)('%s', (_, g, o) => {
    for (const act of ['linear', 'relu'] as const) {
      check(g, o, true, act, o * 7);
      check(g, o, false, act, o * 11);
    }
  });

  it('cuts an image whose padded rows do not fit the scratch into several bands', () => {
    // one band row is 522·3·4 bytes: the ~2.3 MB scratch holds ~370 of the 522 rows
    check(geom(1, 520, 520, 3, 3, { pt: 1, pl: 1 }), 2, true, 'relu', 5);
  });

  it('is bit-identical on 1 and 2 threads, with chunks that start and end mid-row and mid-image', async () => {
    const g = geom(8, 30, 30, 3, 3, { pt: 1, pl: 1 }); // 7,200 rows: 29 chunks of ~256, crossing images
    const o = 16;
    const x = randF32(g.n * g.h * g.w * g.c, 1);
    const w = randF32(27 * o, 2);
    const b = randF32(o, 3);
    K.pool.setThreads(1);
    await K.pool.whenReady();
    const one = fused(x, w, b, g, o, 'relu');
    K.pool.setThreads(2);
    await K.pool.whenReady();
    const posted = K.pool.posted;
    const two = fused(x, w, b, g, o, 'relu');
    expect(K.pool.posted, 'a worker took chunks').toBeGreaterThan(posted);
    expect(two.fns).toContain('convBandRows');
    expectSame(two.y, one.y, '1 vs 2 threads');
    expectSame(two.y, composed(x, w, b, g, o, 'relu'), '2 threads vs composed');
  });

  it('applies relu as the unary kernel does: +0 for negatives and -0, NaN kept', () => {
    const g = geom(1, 4, 5, 1, 1);
    const x = Float32Array.from([
      -0,
      0,
      -1,
      2,
      NaN,
      -3,
      4,
      -0,
      1,
      -Infinity,
      Infinity,
      0.5,
      -0.5,
      3,
      -2,
      0,
      1,
      -1,
      2,
      -2,
    ]);
    const w = Float32Array.from([1, -1]);
    const { y } = fused(x, w, null, g, 2, 'relu');
    expectSame(y, composed(x, w, null, g, 2, 'relu'), 'relu epilogue');
    expect(Object.is(y[0], 0) && Object.is(y[1], 0), 'relu(-0) and relu(0·-1) are +0').toBe(true);
    expect(Number.isNaN(y[8]) && Number.isNaN(y[9]), 'NaN kept').toBe(true);
  });

  it('refuses an unknown activation by name, on both backends', () => {
    const g = geom(1, 3, 3, 1, 1);
    const args = [new Float32Array(9), new Float32Array(1), null, g, 1, new Float32Array(9)] as const;
    expect(() => K.conv2d(...args, 'gelu' as ConvActivation)).toThrow(ValueError);
    expect(() => K.conv2d(...args, 'gelu' as ConvActivation)).toThrow(/activation 'gelu'/);
    expect(() => jsKernels.conv2d(...args, 'gelu' as ConvActivation)).toThrow(/activation 'gelu'/);
  });
});
