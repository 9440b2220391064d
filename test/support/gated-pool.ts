// A ThreadPool on fresh shared wasm memory whose workers run the real pool worker source with a gate: every claimed
// chunk is reported, and the first chunk a worker claims waits until the test opens the gate. terminate() takes
// effect only when the test terminates the Worker itself (the slowest case of asynchronous termination).
// Used by the tests of workers the pool gives up on (test/backend/pool-retire, test/backend/wasm/stuck-worker-memory).
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { ThreadPool, type SpawnWorker } from '../../src/backend/wasm/pool.js';
import { POOL_WORKER_SOURCE } from '../../src/backend/wasm/pool-worker.js';
import { readKernelBytes } from '../../src/backend/wasm/node.js';
import type { WasmExports } from '../../src/backend/wasm/wasm-kernels.js';
import { wasmLayout } from '../../src/backend/wasm/memory-frame.js';

const SOURCE = POOL_WORKER_SOURCE.replace(
  'fn(...args);',
  `port.postMessage('claim ' + seq + ' ' + i);
      if (!globalThis.__paused) { globalThis.__paused = 1; Atomics.wait(new Int32Array(workerData.gate), 0, 0); }
      fn(...args);`,
);

export interface GatedWorker {
  w: Worker;
  /** Set when the pool called terminate() (which does nothing until the test terminates `w`). */
  terminated: boolean;
  exited: () => boolean;
  /** 'claim <seq> <chunk>' for every chunk claimed so far. */
  claims: () => string[];
}

export function gatedPool() {
  const bytes = readKernelBytes();
  if (!bytes) throw new Error('no kernels.wasm: run npm run build:wasm');
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory({ initial: 512, maximum: 65536, shared: true });
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const workers: GatedWorker[] = [];
  const spawn: SpawnWorker = ({ control }) => {
    const { port1, port2 } = new MessageChannel();
    const w = new Worker(SOURCE, {
      eval: true,
      workerData: { module, memory, control, port: port2, gate: gate.buffer },
      transferList: [port2],
    });
    w.unref();
    port1.unref();
    let dead = false;
    w.on('exit', () => (dead = true));
    w.on('error', () => (dead = true));
    const seen: string[] = [];
    const rec: GatedWorker = {
      w,
      terminated: false,
      exited: () => dead,
      claims: () => {
        for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1))
          seen.push(String(m.message));
        return seen;
      },
    };
    workers.push(rec);
    return {
      terminate: () => void (rec.terminated = true), // takes effect when the test calls w.terminate()
      get dead() {
        return dead;
      },
      takeError: () => undefined,
    };
  };
  const L = wasmLayout(ex.heapBase());
  const pool = new ThreadPool(spawn, module, memory, ex as never, L.table, L.tableBytes);
  const open = () => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  return { ex, module, memory, pool, workers, open, layout: L };
}
