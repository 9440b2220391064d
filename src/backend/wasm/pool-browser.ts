// Pool workers in browsers: the same worker body as Node (pool-worker.ts) in a Blob Web Worker, handed its
// { module, memory, control, port } by message. Only usable from a Worker: the caller blocks in Atomics.wait.
import type { SpawnWorker, WorkerHandle } from './pool.js';
import { POOL_WORKER_SOURCE } from './pool-worker.js';

/**
 * The Node body reads `workerData` from `require('node:worker_threads')`; here the first message is the data and a
 * local `require` returns it, so both platforms run the identical job loop.
 */
const BROWSER_POOL_SOURCE = `self.onmessage = (ev) => {
  self.onmessage = null;
  const __data = ev.data;
  const require = () => ({ workerData: __data });
${POOL_WORKER_SOURCE}
};`;

let url: string | null = null;

/** True where a pool can run: a dedicated worker (Atomics.wait allowed) with shared memory and Worker support. */
export function poolSupported(): boolean {
  const g = globalThis as { WorkerGlobalScope?: unknown; Worker?: unknown; crossOriginIsolated?: boolean };
  return (
    g.WorkerGlobalScope !== undefined && typeof g.Worker === 'function' && g.crossOriginIsolated === true
  );
}

/**
 * Start one pool worker. NOTE: a failing worker's message arrives asynchronously, so the pool (which waits
 * synchronously) may report a failure before its text is known.
 */
export const spawnBrowserWorker: SpawnWorker = ({ module, memory, control }) => {
  url ??= URL.createObjectURL(new Blob([BROWSER_POOL_SOURCE], { type: 'text/javascript' }));
  const w = new Worker(url, { name: 'tapegrad-pool' });
  const { port1, port2 } = new MessageChannel();
  let dead = false;
  let lastError: string | undefined;
  w.onerror = (e) => {
    dead = true;
    lastError = e.message;
  };
  port1.onmessage = (e) => void (lastError = String(e.data));
  w.postMessage({ module, memory, control, port: port2 }, [port2]);
  const h: WorkerHandle = {
    terminate: () => {
      dead = true;
      w.terminate();
      port1.close();
    },
    get dead() {
      return dead;
    },
    takeError: () => lastError,
  };
  return h;
};
