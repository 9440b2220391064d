// A fresh seed CNN training model on the wasm backend (bench/models/tapegrad.ts: valueAndGrads + plain SGD, batch
// 32), for the scripts that study a fresh process's first steps. NOTE: importing this loads the library; a script
// that must run something first (an optimized probe loop) imports it dynamically after that.
import * as tg from '../../src/index.js';
import { tapegradCnn } from '../models/tapegrad.js';
import { randArray, randLabels } from './data.js';
import { SEED_CNN, initParams, specParamShapes } from './specs.js';

/** The wasm backend on `threads` threads, ready, and a new seed CNN model on a fixed random batch. */
export async function freshSeedCnn(threads: number): Promise<ReturnType<typeof tapegradCnn>> {
  tg.setBackend('wasm');
  tg.setNumThreads(threads);
  await tg.ready();
  const shapes = specParamShapes(SEED_CNN);
  const { h, w, c, classes } = SEED_CNN;
  return tapegradCnn(
    initParams(shapes, 13),
    shapes,
    randArray(32 * h * w * c, 113),
    randLabels(32, classes, 213),
    32,
  );
}
