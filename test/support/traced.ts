// Run code with an op listener on: composites then take their plain compositions instead of fused rows.
import * as tg from '../../src/index.js';

/** f's result and the names of the ops it ran, with an op listener attached. */
export function traced<T>(f: () => T): [T, string[]] {
  const ops: string[] = [];
  const off = tg.onOp((e) => ops.push(e.op));
  try {
    return [f(), ops];
  } finally {
    off();
  }
}
