// The one HDF5 worker thread: started on first use, fed one request at a time, replaced after any failure or timeout.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FileError } from './errors.js';
import { HDF5_WORKER_SOURCE, type Hdf5WorkerRequest, type Hdf5WorkerResponse } from './hdf5-worker-source.js';

let worker: Worker | null = null;
let queue: Promise<unknown> = Promise.resolve();
let nextId = 1;

/**
 * The file URL of h5wasm's ESM build, found from this module's location.
 * NOTE: not the `h5wasm/node` entry: that build is compiled with NODERAWFS, so its "files" are real files on disk
 * and HDF5's diagnostics go straight to fd 2. The ESM build runs fine under Node with an in-memory filesystem.
 */
function h5wasmUrl(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve === 'function') {
    try {
      return meta.resolve('h5wasm');
    } catch {
      // fall through to the node_modules walk below
    }
  }
  // NOTE: h5wasm's package exports only an `import` condition, so require.resolve cannot name it; walk the
  // node_modules folders Node would search instead.
  const req = createRequire(import.meta.url);
  for (const dir of req.resolve.paths('h5wasm') ?? []) {
    const entry = join(dir, 'h5wasm', 'dist', 'esm', 'hdf5_hl.js');
    if (existsSync(entry)) return pathToFileURL(entry).href;
  }
  throw new FileError('hdf5: the h5wasm package is not installed (npm install h5wasm)');
}

function startWorker(): Worker {
  const w = new Worker(HDF5_WORKER_SOURCE, { eval: true, workerData: { h5url: h5wasmUrl() } });
  w.unref();
  w.on('exit', () => {
    if (worker === w) worker = null;
  });
  // NOTE: errors surface through the per-request listeners; this one only keeps an idle worker's failure from
  // becoming an unhandled 'error' event.
  w.on('error', () => {});
  return w;
}

/** Stop the HDF5 worker thread (a new one starts on the next read). Safe to call at any time. */
export async function closeHdf5Worker(): Promise<void> {
  const w = worker;
  worker = null;
  if (w) await w.terminate();
}

export type Hdf5Outcome =
  | { kind: 'response'; response: Hdf5WorkerResponse }
  | { kind: 'timeout' }
  | { kind: 'crash'; message: string };

/**
 * Send one request to the worker and wait for its answer. Requests are serialised; after a failed, aborted or
 * timed-out request the worker is terminated so the next request starts with a fresh HDF5 library state.
 */
export function hdf5Request(req: Omit<Hdf5WorkerRequest, 'id'>, timeoutMs: number): Promise<Hdf5Outcome> {
  const run = async (): Promise<Hdf5Outcome> => {
    if (!worker) worker = startWorker();
    const w = worker;
    const id = nextId++;
    w.ref();
    try {
      const outcome = await new Promise<Hdf5Outcome>((resolve) => {
        const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
        const onMessage = (m: Hdf5WorkerResponse): void => {
          if (m.id === id) finish({ kind: 'response', response: m });
        };
        const onError = (e: Error): void => finish({ kind: 'crash', message: e.message });
        const onExit = (code: number): void =>
          finish({ kind: 'crash', message: `worker exited with code ${code}` });
        function finish(o: Hdf5Outcome): void {
          clearTimeout(timer);
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
          resolve(o);
        }
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        w.postMessage({ ...req, id }, [req.bytes]);
      });
      if (outcome.kind !== 'response' || !outcome.response.ok) {
        if (worker === w) worker = null;
        await w.terminate();
      }
      return outcome;
    } finally {
      w.unref();
    }
  };
  const p = queue.then(run, run);
  queue = p.catch(() => undefined);
  return p;
}
