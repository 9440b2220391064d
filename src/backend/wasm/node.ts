// Node wiring of the wasm backend: read build/wasm/kernels.wasm, start worker_threads for the pool, register
// the backend and make it the default. If the file is missing or does not load, 'js' stays active.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { TapegradError } from '../../core/errors.js';
import { jsKernels } from '../js.js';
import { registerBackend, setBackend } from '../kernels.js';
import type { SpawnWorker, WorkerHandle } from './pool.js';
import { POOL_WORKER_SOURCE } from './pool-worker.js';
import { setThreadControl } from './threads.js';
import { loadWasmKernels } from './loader.js';
import type { WasmKernels } from './wasm-kernels.js';

/** Where build:wasm writes the module, relative to this file under src/backend/wasm/ or a bundle in dist/. */
const CANDIDATES = ['../../../build/wasm/kernels.wasm', '../build/wasm/kernels.wasm', './kernels.wasm'];

/** The module bytes, or null when no build is found. */
export function readKernelBytes(): Uint8Array<ArrayBuffer> | null {
  for (const rel of CANDIDATES) {
    try {
      return readFileSync(new URL(rel, import.meta.url)) as Uint8Array<ArrayBuffer>;
    } catch {
      // try the next location
    }
  }
  return null;
}

/** Start a pool worker with worker_threads; it is unref'd so it never keeps the process alive. */
export const spawnNodeWorker: SpawnWorker = ({ module, memory, control }) => {
  const { port1, port2 } = new MessageChannel();
  const w = new Worker(POOL_WORKER_SOURCE, {
    eval: true,
    workerData: { module, memory, control, port: port2 },
    transferList: [port2],
  });
  w.unref();
  port1.unref();
  let dead = false;
  let lastError: string | undefined;
  w.on('error', (e) => {
    dead = true;
    lastError = String((e as Error)?.message ?? e);
  });
  w.on('exit', () => (dead = true));
  const h: WorkerHandle = {
    terminate: () => void w.terminate(),
    get dead() {
      return dead;
    },
    takeError: () => (receiveMessageOnPort(port1)?.message as string | undefined) ?? lastError,
  };
  return h;
};

/**
 * Load the kernels from `read()`, register them as 'wasm' and make them the default (unless
 * TAPEGRAD_BACKEND=js). Returns null, leaving the registry alone, when there are no bytes or they do not load.
 */
export function installWasmBackend(read: () => BufferSource | null = readKernelBytes): WasmKernels | null {
  const spinUs = spinFromEnv();
  const bytes = read();
  if (!bytes) return null;
  let k: WasmKernels;
  try {
    const threads = Number(globalThis.process?.env?.TAPEGRAD_THREADS) || Math.min(availableParallelism(), 8);
    k = loadWasmKernels(bytes, { spawnWorker: spawnNodeWorker, threads });
  } catch {
    return null; // NOTE: an unusable build leaves the JS reference in charge rather than failing the import.
  }
  const mb = Number(globalThis.process?.env?.TAPEGRAD_RESIDENT_MB);
  if (mb > 0) k.arena.residentLimit = mb * 1024 * 1024; // else the arena's default (256 MiB)
  registerBackend(jsKernels); // the reference first: it stays the fallback (and the default under TAPEGRAD_BACKEND=js)
  registerBackend(k);
  const pool = k.pool;
  if (spinUs !== null) pool.spinMicros = spinUs;
  setThreadControl({
    get: () => pool.threads,
    set: (n) => pool.setThreads(n),
    ready: () => pool.whenReady(),
  });
  if (globalThis.process?.env?.TAPEGRAD_BACKEND !== 'js') setBackend('wasm');
  return k;
}

/** TAPEGRAD_SPIN_US (the pool's spinMicros), refused by name when it is not an integer in [0, 1000000]. */
function spinFromEnv(): number | null {
  const spin = globalThis.process?.env?.TAPEGRAD_SPIN_US;
  if (spin === undefined || spin === '') return null;
  if (!/^\d+$/.test(spin) || Number(spin) > 1_000_000)
    throw new TapegradError(
      `TAPEGRAD_SPIN_US: expected an integer number of µs in [0, 1000000], got '${spin}'`,
    );
  return Number(spin);
}

/** The backend loaded at import, or null (then 'js' is the default). */
export const wasmBackend: WasmKernels | null = installWasmBackend();
