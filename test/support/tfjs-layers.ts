// Real TF.js (@tensorflow/tfjs-layers on tfjs-core's cpu backend) as a reference in tests: tfjs-core's gradients and
// chained ops registered, the cpu backend, and the deterministic inputs the TF.js comparison tests share.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { register } from 'tsx/cjs/api';

export { tf, tfl };

// NOTE: tfjs-core's Node bundle registers neither gradients nor chained ops (as bench/models/tfjs-layers.ts); their
// registration files are ES modules with extensionless imports, which tsx's require hook loads.
const unregister = register();
const req = createRequire(import.meta.url);
req('@tensorflow/tfjs-core/dist/register_all_gradients.js');
req('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js');
unregister();

/** Run TF.js on its cpu backend (call in beforeAll). */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
}

/** Deterministic values in [-1, 1) (a 32-bit LCG). */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}
