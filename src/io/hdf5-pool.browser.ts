// Browser twin of hdf5-pool.ts: the same reader (HDF5_READER_SOURCE) over h5wasm's ESM build, run in the calling
// thread because browsers have no worker_threads. Call it from a Web Worker to keep a page responsive.
import { FileError } from './errors.js';
import { HDF5_READER_SOURCE, type Hdf5WireObject, type Hdf5WorkerRequest } from './hdf5-worker-source.js';
import type { Hdf5Outcome } from './hdf5-pool.js';

export type { Hdf5Outcome } from './hdf5-pool.js';

interface Reader {
  readFile(req: Hdf5WorkerRequest, state: { path: string; total: number }): { objects: Hdf5WireObject[] };
  fmtErr(e: unknown): string;
}

let reader: Promise<Reader> | null = null;
/** Set once HDF5 aborted: an aborted emscripten module refuses every later call. */
let broken: string | null = null;
let nextId = 1;
const log: string[] = [];
let capturing = false;

/**
 * Import h5wasm (the app's bundler resolves the bare specifier, usually into a lazily loaded chunk) and compile the
 * reader over it. emscripten binds console.error/log when the module is created, so they are routed through functions
 * that collect HDF5's diagnostics while a file is being read and pass everything else on.
 */
async function loadReader(): Promise<Reader> {
  const keys = ['error', 'warn', 'log', 'info'] as const;
  const orig = Object.fromEntries(keys.map((k) => [k, console[k]])) as Record<
    (typeof keys)[number],
    (...a: unknown[]) => void
  >;
  for (const k of keys)
    console[k] = (...args: unknown[]) => {
      if (!capturing) return orig[k].apply(console, args);
      log.push(args.map(String).join(' '));
      if (log.length > 400) log.shift();
    };
  try {
    const mod = (await import('h5wasm')) as unknown as {
      default?: { File?: unknown; ready: Promise<unknown> };
      ready: Promise<unknown>;
    };
    const h5 = mod.default && mod.default.File ? mod.default : mod;
    const M = await h5.ready;
    // NOTE: the reader is shared with the Node worker as source text, so both read files identically; compiling it
    // here needs a page policy that allows `new Function` (as compiling wasm needs 'wasm-unsafe-eval').
    return new Function('h5', 'M', `'use strict';\n${HDF5_READER_SOURCE}\nreturn { readFile, fmtErr };`)(
      h5,
      M,
    ) as Reader;
  } finally {
    for (const k of keys) console[k] = orig[k];
  }
}

/** Nothing to stop in browsers (there is no worker); kept for the same API as Node. */
export async function closeHdf5Worker(): Promise<void> {}

/**
 * Read one file. NOTE: in-thread there is no timeout (a read cannot be interrupted) and an HDF5 abort disables the
 * reader until the page reloads; `_timeoutMs` is accepted for the same signature as Node.
 */
export async function hdf5Request(
  req: Omit<Hdf5WorkerRequest, 'id'>,
  _timeoutMs: number,
): Promise<Hdf5Outcome> {
  if (broken)
    return {
      kind: 'crash',
      message: `h5wasm aborted on an earlier file (${broken}); reload the page to read HDF5 again`,
    };
  let r: Reader;
  try {
    r = await (reader ??= loadReader());
  } catch (e) {
    reader = null;
    throw new FileError(
      `hdf5: cannot load h5wasm in this page (${(e as Error).message}); is the h5wasm package installed?`,
    );
  }
  const full: Hdf5WorkerRequest = { ...req, id: nextId++ };
  const state = { path: '/', total: 0 };
  log.length = 0;
  capturing = true;
  try {
    const { objects } = r.readFile(full, state);
    return { kind: 'response', response: { id: full.id, ok: true, objects } };
  } catch (e) {
    const message = r.fmtErr(e);
    const aborted = e instanceof WebAssembly.RuntimeError || /Aborted/.test(message);
    if (aborted) broken = message;
    return {
      kind: 'response',
      response: { id: full.id, ok: false, message, path: state.path, log: log.slice(-60), aborted },
    };
  } finally {
    capturing = false;
  }
}
