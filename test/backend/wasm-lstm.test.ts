// The wasm LSTM kernels (asm/lstm.ts: f32x4 over units, an f64 scalar path for tails and for blocks with a
// pre-activation of magnitude >= 40 or NaN) against the JS reference loops, called directly on plain arrays.
import { describe, it } from 'vitest';
import { jsKernels } from '../../src/backend/js.js';
import { GATE_ACTIVATIONS } from '../../src/backend/lstm.js';
import { expectClose, randF32, wasm } from '../support/backend.js';

const K = wasm();

/** z, c, g for `rows` × `units`, scaled to [-3, 3); `wild` puts large, infinite and NaN values in a few places. */
function data(rows: number, units: number, seed: number, wild: boolean) {
  const z = randF32(rows * 4 * units, seed).map((v) => 3 * v);
  const c = randF32(rows * units, seed + 1).map((v) => 3 * v);
  const g = randF32(rows * 2 * units, seed + 2);
  if (wild) {
    z[1] = 50; // a forget-gate-free block with |z| >= 40: scalar path
    z[units + 2] = -1e4;
    z[2 * units + 5] = NaN;
    c[3] = 60; // c' beyond the SIMD range of a(c')
    z[3 * units + units - 1] = Infinity;
  }
  return { z, c, g };
}

describe.each(GATE_ACTIVATIONS.flatMap((a) => GATE_ACTIVATIONS.map((r) => [a, r] as const)))(
  'wasm lstm kernels, act %s, recAct %s',
  (act, rec) => {
    // units 8 (SIMD only), 7 (SIMD + a 3-wide tail), 2 (scalar only)
    it.each([
      [5, 8, false],
      [3, 7, false],
      [4, 2, false],
      [3, 12, true],
    ] as const)('rows %i, units %i, wild values %s', (rows, units, wild) => {
      const { z, c, g } = data(rows, units, rows * 31 + units, wild);
      const want = new Float32Array(rows * 2 * units);
      const got = new Float32Array(rows * 2 * units);
      jsKernels.lstmGates(z, c, units, act, rec, want);
      K.lstmGates(z, c, units, act, rec, got);
      // NOTE: float32 SIMD exp (~1 ulp) and tanh from exp against f64 Math: a few ulp of the larger operands.
      expectClose(got, want, 1e-5, 1e-6, 'lstmGates');
      const wantG = new Float32Array(rows * 5 * units);
      const gotG = new Float32Array(rows * 5 * units);
      jsKernels.lstmGatesGrad(g, z, c, units, act, rec, wantG);
      K.lstmGatesGrad(g, z, c, units, act, rec, gotG);
      expectClose(gotG, wantG, 1e-5, 1e-6, 'lstmGatesGrad');
    });
  },
);
