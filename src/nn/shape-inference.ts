// Shape-inference passes: a model runs zeros through its layers only to learn shapes (build, summary, symbolic
// calls). Its own file so that layer.ts and symbolic.ts both use it without importing each other.
import { noGrad } from '../core/tape.js';
import { isForwardNumericsCheck, setForwardNumericsCheck } from '../ops/dispatch.js';

let inferring = 0;
/** True while a model runs zeros through its layers only to learn shapes (build, summary, symbolic calls). */
export const isInferringShapes = (): boolean => inferring > 0;
/**
 * Run `fn` as a shape-inference pass: no tape, no hooks, no numerics checks, and stateful layers keep their state.
 * NOTE: building runs the real layers once on zeros, so users must not see that run.
 */
export function inferShapes<T>(fn: () => T): T {
  const numerics = isForwardNumericsCheck();
  inferring++;
  setForwardNumericsCheck(false);
  try {
    return noGrad(fn);
  } finally {
    inferring--;
    setForwardNumericsCheck(numerics);
  }
}
