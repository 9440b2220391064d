// The tuned JS movement kernels (used by the wasm backend) against the plain reference on random shapes and dtypes.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import { fastMovement } from '../../src/backend/wasm/movement.js';
import type { TypedArray } from '../../src/core/dtype.js';
import { expectSame, randF32 } from '../support/backend.js';

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const shapeArb = (maxRank = 5, maxDim = 7) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: 0, maxLength: maxRank });
const ctors = [Float32Array, Float64Array, Int32Array] as const;
const dtypeArb = fc.constantFrom(...ctors);
function fill(C: (typeof ctors)[number], n: number, seed: number): TypedArray {
  const r = randF32(n, seed);
  return C === Int32Array ? Int32Array.from(r, (v) => Math.round(v * 100)) : C.from(r);
}

describe('fast movement kernels', () => {
  it('transpose matches the reference for every permutation of random shapes', () => {
    const arb = shapeArb().chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }),
      ),
    );
    fc.assert(
      fc.property(arb, dtypeArb, fc.nat(999), ([shape, perm], C, seed) => {
        const x = fill(C, size(shape), seed);
        const a = new C(x.length);
        const b = new C(x.length);
        fastMovement.transpose(x, shape, perm, a);
        jsKernels.transpose(x, shape, perm, b);
        expectSame(a, b, `transpose ${shape} ${perm}`);
      }),
      { numRuns: 300 },
    );
  });
  it('transposes large 2-D and batched blocks (the tiled path)', () => {
    for (const [shape, perm] of [
      [
        [67, 45],
        [1, 0],
      ],
      [
        [3, 40, 33],
        [0, 2, 1],
      ],
      [
        [9, 10, 11, 12],
        [3, 1, 2, 0],
      ],
    ] as const) {
      const x = randF32(size(shape), 1);
      const a = new Float32Array(x.length);
      const b = new Float32Array(x.length);
      fastMovement.transpose(x, shape, perm, a);
      jsKernels.transpose(x, shape, perm, b);
      expectSame(a, b, `transpose ${shape}`);
    }
  });
  it('broadcastTo matches the reference', () => {
    const arb = shapeArb(5, 40).chain((out) =>
      fc.tuple(fc.constant(out), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })),
    );
    fc.assert(
      fc.property(arb, dtypeArb, fc.nat(999), ([outShape, keep], C, seed) => {
        if (size(outShape) > 20000) return;
        const inShape = outShape.map((d, i) => (keep[i] ? d : 1));
        const x = fill(C, size(inShape), seed);
        const a = new C(size(outShape));
        const b = new C(size(outShape));
        fastMovement.broadcastTo(x, inShape, outShape, a);
        jsKernels.broadcastTo(x, inShape, outShape, b);
        expectSame(a, b, `broadcastTo ${inShape} → ${outShape}`);
      }),
      { numRuns: 300 },
    );
  });
  it('an empty output (a 0 axis) writes nothing, whatever it broadcasts, transposes or slices', () => {
    const x = fill(Float32Array, 3000, 1);
    const none = new Float32Array(0);
    fastMovement.broadcastTo(x, [1, 3000], [0, 3000], none); // threw "offset is out of bounds" before
    fastMovement.broadcastTo(x, [1, 1, 3000], [2, 0, 3000], none);
    fastMovement.transpose(new Float32Array(0), [0, 3000], [1, 0], none);
    fastMovement.slice(x, [1, 3000], [0, 5], [0, 100], none);
  });
  it('slice and pad match the reference', () => {
    const arb = shapeArb(4, 40).chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.tuple(
          ...s.map((d) =>
            fc
              .integer({ min: 0, max: d - 1 })
              .chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: d - b }))),
          ),
        ),
        fc.array(fc.tuple(fc.nat(3), fc.nat(3)), { minLength: s.length, maxLength: s.length }),
      ),
    );
    fc.assert(
      fc.property(arb, dtypeArb, fc.nat(999), ([shape, bs, pads], C, seed) => {
        if (size(shape) > 20000) return;
        const x = fill(C, size(shape), seed);
        const begin = bs.map(([b]) => b);
        const sz = bs.map(([, n]) => n);
        const a = new C(size(sz));
        const b = new C(size(sz));
        fastMovement.slice(x, shape, begin, sz, a);
        jsKernels.slice(x, shape, begin, sz, b);
        expectSame(a, b, 'slice');
        const before = pads.map(([p]) => p);
        const after = pads.map(([, p]) => p);
        const n = size(shape.map((d, i) => d + before[i] + after[i]));
        const c = new C(n);
        const d = new C(n);
        fastMovement.pad(x, shape, before, after, 2.5, c);
        jsKernels.pad(x, shape, before, after, 2.5, d);
        expectSame(c, d, 'pad');
      }),
      { numRuns: 300 },
    );
  });
  it('concat, take and scatterAdd match the reference', () => {
    const arb = fc.tuple(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 40 }),
    );
    fc.assert(
      fc.property(arb, dtypeArb, fc.nat(999), ([outer, dims, inner], C, seed) => {
        const xs = dims.map((d, i) => fill(C, outer * d * inner, seed + i));
        const n = outer * dims.reduce((a, b) => a + b, 0) * inner;
        const a = new C(n);
        const b = new C(n);
        fastMovement.concat(xs, outer, dims, inner, a);
        jsKernels.concat(xs, outer, dims, inner, b);
        expectSame(a, b, 'concat');
        if (n === 0) return;
        const idx = Int32Array.from(randF32(17, seed), (v) => Math.floor(((v + 1) / 2) * n));
        const t1 = new C(17);
        const t2 = new C(17);
        fastMovement.take(a, idx, t1);
        jsKernels.take(a, idx, t2);
        expectSame(t1, t2, 'take');
        if (C === Int32Array) return;
        const s1 = new C(n);
        const s2 = new C(n);
        fastMovement.scatterAdd(t1, idx, s1);
        jsKernels.scatterAdd(t1, idx, s2);
        expectSame(s1, s2, 'scatterAdd');
      }),
      { numRuns: 200 },
    );
  });
});
