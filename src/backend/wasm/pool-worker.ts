// Source of a pool worker, as a string so it runs unchanged under tsx, vitest and a bundle (eval'd by the spawner).
// The worker instantiates the kernel module on the shared memory and serves jobs from its control block.
import { CTL, IDLE, POOL_FNS, POSTED, RETIRED, RUNNING } from './pool.js';

/**
 * Worker body (CommonJS, for `new Worker(src, { eval: true })`). workerData: { module, memory, control, port }.
 * Protocol (see CTL in pool.ts): wait until SEQ changes, claim the job (STATE POSTED → RUNNING; a cancelled
 * job is skipped), claim chunks from the table's counter until none are left, then write STATUS (0 ok, 1 failed
 * with the message on `port`), STATE = IDLE and DONE = SEQ, and notify. A worker the pool retired mid-job writes
 * LEFT = 1 after its last chunk and ends.
 */
export const POOL_WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, control, port } = workerData;
const C = ${JSON.stringify(CTL)};
const ctl = new Int32Array(control);
const mem = new Int32Array(memory.buffer); // job tables live at fixed low addresses: this view always covers them
const inst = new WebAssembly.Instance(module, { env: { memory } });
const fns = ${JSON.stringify(POOL_FNS)}.map((n) => inst.exports[n]);
let seen = Atomics.load(ctl, C.SEQ);
Atomics.store(ctl, C.READY, 1);
for (;;) {
  // NOTE: spin up to SPIN µs for the next job before sleeping: a step posts jobs tens of µs apart, and waking from
  // Atomics.wait costs about as much as a small kernel (ONNX Runtime's pool spins the same way)
  const spin = ctl[C.SPIN];
  if (spin > 0 && Atomics.load(ctl, C.SEQ) === seen) {
    const end = performance.now() + spin / 1000;
    // NOTE: the clock is read every 64th poll: each read makes a heap number, and the scavenges of a worker that
    // polls it non-stop stall the chunks it runs
    for (let i = 1; Atomics.load(ctl, C.SEQ) === seen; i++) if ((i & 63) === 0 && performance.now() >= end) break;
  }
  Atomics.wait(ctl, C.SEQ, seen);
  seen = Atomics.load(ctl, C.SEQ);
  if (Atomics.compareExchange(ctl, C.STATE, ${POSTED}, ${RUNNING}) !== ${POSTED}) continue;
  const seq = Atomics.load(ctl, C.SEQ);
  seen = seq;
  const fn = fns[ctl[C.FN]];
  const nargs = ctl[C.NARGS];
  const t0 = ctl[C.TABLE] >>> 2;
  const n = ctl[C.NCHUNKS];
  const stride = ctl[C.WORKSTRIDE];
  const args = new Array(nargs + (stride ? 1 : 0));
  if (stride) args[nargs] = ctl[C.WORKBASE] + ctl[C.THREAD] * stride;
  let status = 0;
  try {
    // a worker the pool retired (declared stuck) claims nothing more: the table may hold a later job by now
    while (Atomics.load(ctl, C.STATE) !== ${RETIRED}) {
      const i = Atomics.add(mem, t0, 1);
      if (i >= n) break;
      for (let a = 0; a < nargs; a++) args[a] = mem[t0 + 1 + i * nargs + a];
      fn(...args);
    }
  } catch (e) {
    status = 1;
    Atomics.store(mem, t0, n);
    port.postMessage(String((e && e.message) || e));
  }
  Atomics.store(ctl, C.STATUS, status);
  if (Atomics.compareExchange(ctl, C.STATE, ${RUNNING}, ${IDLE}) === ${RETIRED}) {
    // given up on: past its last write to wasm memory, say so (the pool's blocks and table are free again)
    Atomics.store(ctl, C.LEFT, 1);
    break;
  }
  Atomics.store(ctl, C.DONE, seq);
  Atomics.notify(ctl, C.DONE);
}
`;
