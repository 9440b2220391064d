// Source of a pool worker, as a string so it runs unchanged under tsx, vitest and a bundle (eval'd by the spawner).
// The worker instantiates the kernel module on the shared memory and serves jobs from its control block.
import { CTL, POOL_FNS } from './pool.js';

/**
 * Worker body (CommonJS, for `new Worker(src, { eval: true })`). workerData: { module, memory, control, port }.
 * Protocol: wait until SEQ changes, run FN(ARGS...), write STATUS (0 ok, 1 failed, message sent on port), then
 * publish DONE = SEQ and notify.
 */
export const POOL_WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, control, port } = workerData;
const C = ${JSON.stringify(CTL)};
const ctl = new Int32Array(control);
const inst = new WebAssembly.Instance(module, { env: { memory } });
const fns = ${JSON.stringify(POOL_FNS)}.map((n) => inst.exports[n]);
let seen = Atomics.load(ctl, C.SEQ);
Atomics.store(ctl, C.READY, 1);
const args = [];
for (;;) {
  Atomics.wait(ctl, C.SEQ, seen);
  const seq = Atomics.load(ctl, C.SEQ);
  if (seq === seen) continue;
  seen = seq;
  args.length = ctl[C.NARGS];
  for (let i = 0; i < args.length; i++) args[i] = ctl[C.ARGS + i];
  let status = 0;
  try {
    fns[ctl[C.FN]](...args);
  } catch (e) {
    status = 1;
    port.postMessage(String((e && e.message) || e));
  }
  Atomics.store(ctl, C.STATUS, status);
  Atomics.store(ctl, C.DONE, seq);
  Atomics.notify(ctl, C.DONE);
}
`;
