// Node wiring of the wasm backend: read build/wasm/kernels-fma.wasm (or kernels.wasm), start worker_threads for the
// pool, register the backend and make it the default. If no build is found or it does not load, 'js' stays active.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { TapegradError } from '../../core/errors.js';
import { jsKernels } from '../js.js';
import { registerBackend, setBackend } from '../kernels.js';
import type { SpawnWorker, WorkerHandle } from './pool.js';
import { POOL_WORKER_SOURCE } from './pool-worker.js';
import { setThreadControl } from './threads.js';
import { loadWasmKernels } from './loader.js';
import { relaxedSimdSupported } from './features.js';
import type { WasmKernels } from './wasm-kernels.js';

/** Where build:wasm writes the modules, relative to this file under src/backend/wasm/ or a bundle in dist/. */
const DIRS = ['../../../build/wasm/', '../build/wasm/', './'];

/** The bytes of build/wasm/<file>, or null when no build is found. */
function readBuild(file: string): Uint8Array<ArrayBuffer> | null {
  for (const dir of DIRS) {
    try {
      return readFileSync(new URL(dir + file, import.meta.url)) as Uint8Array<ArrayBuffer>;
    } catch {
      // try the next location
    }
  }
  return null;
}

/** Which build readKernelBytes() chose: 'kernels-fma.wasm', 'kernels.wasm', or null (none found). */
export let kernelFile: string | null = null;

/**
 * The module bytes: kernels-fma.wasm (relaxed SIMD: fused multiply-add in the micro-kernels) where this Node can run
 * it, else kernels.wasm; null when no build is found. TAPEGRAD_FMA=0 asks for kernels.wasm; values other than 0 and 1
 * are refused by name.
 */
export function readKernelBytes(): Uint8Array<ArrayBuffer> | null {
  const want = globalThis.process?.env?.TAPEGRAD_FMA ?? '';
  if (!['', '0', '1'].includes(want))
    throw new TapegradError(
      `TAPEGRAD_FMA: expected 0 (kernels.wasm) or 1 (kernels-fma.wasm where this Node runs it, the default), got '${want}'`,
    );
  const fma = want !== '0' && relaxedSimdOn() ? readBuild('kernels-fma.wasm') : null;
  const bytes = fma ?? readBuild('kernels.wasm');
  kernelFile = bytes === null ? null : fma ? 'kernels-fma.wasm' : 'kernels.wasm';
  return bytes;
}

/**
 * Whether this engine runs relaxed SIMD, turning it on where it can.
 * NOTE: Node 22+ (V8 12) ships relaxed SIMD; Node 20's V8 (11.3) has the finished proposal behind
 * --experimental-wasm-relaxed-simd, which gates only the validation of the relaxed opcodes. It is turned on here,
 * before any kernel module compiles, so a plain `node` run gets the fused kernels (one core: ~46 against ~34 GFLOP/s
 * on a 2048×512×256 product, session 16); TAPEGRAD_FMA=0 keeps the process's flags untouched.
 */
function relaxedSimdOn(): boolean {
  if (relaxedSimdSupported()) return true;
  // NOTE: under --freeze-flags-after-init V8 aborts the process on any flag change (a fatal error, not a throw).
  const args = [
    ...(globalThis.process?.execArgv ?? []),
    ...(globalThis.process?.env?.NODE_OPTIONS ?? '').split(/\s+/),
  ];
  if (args.some((a) => /^--freeze[-_]flags[-_]after[-_]init$/.test(a))) return false;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return relaxedSimdSupported();
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
  const mb = residentMbFromEnv();
  const bytes = read();
  if (!bytes) return null;
  let k: WasmKernels;
  try {
    const threads = Number(globalThis.process?.env?.TAPEGRAD_THREADS) || Math.min(availableParallelism(), 8);
    k = loadWasmKernels(bytes, { spawnWorker: spawnNodeWorker, threads });
  } catch {
    return null; // NOTE: an unusable build leaves the JS reference in charge rather than failing the import.
  }
  if (mb !== null) k.arena.residentLimit = Math.round(mb * 1024 * 1024); // else the arena's default (256 MiB)
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

/**
 * TAPEGRAD_RESIDENT_MB (the resident budget in MiB, as tg.setMemoryBudget), or null when unset or empty.
 * NOTE: anything but a positive number (`64MB`, `0`, `-1`) is refused by name: it used to be ignored silently,
 * leaving the 256 MiB default in place of the budget asked for.
 */
export function residentMbFromEnv(): number | null {
  const v = globalThis.process?.env?.TAPEGRAD_RESIDENT_MB;
  if (v === undefined || v.trim() === '') return null;
  const mb = Number(v);
  if (!(Number.isFinite(mb) && mb > 0))
    throw new TapegradError(
      `TAPEGRAD_RESIDENT_MB: expected a positive number of MiB (the resident budget, default 256), got '${v}'`,
    );
  return mb;
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
