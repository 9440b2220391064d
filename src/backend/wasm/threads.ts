// Public thread-count control for the backend's worker pool (a no-op count of 1 when no pool is loaded).
import { ValueError } from '../../core/errors.js';
import { yieldToEventLoop } from '../../core/storage.js';

interface ThreadControl {
  get(): number;
  set(n: number): void;
  /** Resolves once the pool's workers have started. */
  ready(): Promise<unknown>;
}
let control: ThreadControl | null = null;

/** Installed by the backend that owns a pool (node.ts). */
export function setThreadControl(c: ThreadControl | null): void {
  control = c;
}

/** Threads used by large matmuls and convolutions, including the calling thread. */
export function getNumThreads(): number {
  return control ? control.get() : 1;
}

/** Set the thread count (1 = no workers); results are identical for every count. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new ValueError(`setNumThreads: expected an integer in [1, 64], got ${n}`);
  control?.set(n);
}

/**
 * TF.js `tf.ready()`: resolves once the backend's workers have started and the event loop has turned. NOTE: a
 * synchronous loop started after it has the arena's death watch from its first step (docs/memory.md); without
 * any such turn between `import` and the loop, the watch's refs stay pinned until that job ends.
 */
export async function ready(): Promise<void> {
  await control?.ready();
  await yieldToEventLoop();
}
