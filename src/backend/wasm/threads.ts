// Public thread-count control for the backend's worker pool (a no-op count of 1 when no pool is loaded).
import { ValueError } from '../../core/errors.js';

interface ThreadControl {
  get(): number;
  set(n: number): void;
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
