// The wasm transpose's three walks of a [B, R, C] → [B, C, R] block against the reference, bit for bit: three
// planes into triples (RGB NCHW → NHWC), tiles walked by output rows (NHWC → NCHW, planes a multiple of 4 KiB
// apart) and by source rows (NCHW → NHWC), with ragged tails, on 1 and 2 threads.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import { asBatched2d } from '../../src/backend/wasm/movement.js';
import { expectSame, randF32, wasm } from '../support/backend.js';

const K = wasm();

function check(shape: number[], perm: number[], int: boolean, seed: number): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = int ? Int32Array.from(randF32(n, seed), (v) => Math.round(v * 1e6)) : randF32(n, seed);
  if (!int) for (let i = 0; i < n; i += 13) x[i] = i % 2 ? NaN : -0;
  const a = int ? new Int32Array(n).fill(-7) : new Float32Array(n).fill(NaN);
  const b = int ? new Int32Array(n) : new Float32Array(n);
  K.transpose(x, shape, perm, a);
  jsKernels.transpose(x, shape, perm, b);
  expectSame(a, b, `transpose [${shape}] by [${perm}]`);
}

describe('wasm transpose of batched 2-D blocks', () => {
  afterAll(async () => {
    K.pool.setThreads(2);
    await K.pool.whenReady();
  });

  it('interleaves three planes into triples (RGB NCHW → NHWC), any width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.nat(1e6),
        (n, h, w, int, seed) => {
          if (n * 3 * h * w < 1024) h = Math.ceil(1024 / (n * 3 * w)); // the wasm kernel's minimum size
          expect(asBatched2d([n, 3, h, w], [0, 2, 3, 1])).toEqual([n, 3, h * w]);
          check([n, 3, h, w], [0, 2, 3, 1], int, seed);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('walks either side 4 rows at a time: NHWC ↔ NCHW with 1–70 channels and ragged tiles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 1, max: 70 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(1e6),
        (n, h, w, c, toNchw, int, seed) => {
          if (n * h * w * c < 1024) return;
          if (toNchw) check([n, h, w, c], [0, 3, 1, 2], int, seed);
          else check([n, c, h, w], [0, 2, 3, 1], int, seed);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives the same bits on 1 and 2 threads (the seed CNN activations, 4 KiB planes)', async () => {
    for (const threads of [1, 2]) {
      K.pool.setThreads(threads);
      expect(await K.pool.whenReady()).toBe(true);
      check([32, 32, 32, 12], [0, 3, 1, 2], false, threads);
      check([32, 12, 32, 32], [0, 2, 3, 1], false, threads);
      check([32, 3, 32, 32], [0, 2, 3, 1], false, threads);
    }
  });
});
