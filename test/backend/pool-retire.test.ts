// A pool worker the pool gives up on (stuck past its deadline) may still be running when the next job starts:
// Worker.terminate() takes effect asynchronously. Such a worker must not claim chunks of a later job (the job table
// is reused), and later jobs stay off the workers until it has exited; a worker that dies between jobs is replaced.
// The worker here is the real pool worker source with a pause injected into its first chunk, and a terminate()
// that takes effect only when the test says (the slowest case of asynchronous termination).
import { describe, expect, it } from 'vitest';
import { TapegradError } from '../../src/core/errors.js';
import { jsKernels } from '../../src/backend/js.js';
import { gatedPool } from '../support/gated-pool.js';
import { randF32 } from '../support/backend.js';

function setup() {
  const { ex, memory, pool, workers, open, layout: L } = gatedPool();
  const stride = ex.gemmWorkBytes() + 64;
  const work = { base: L.work, stride };
  const f32 = new Float32Array(memory.buffer);
  /** A product [N,N]·[N,N] in 6 row chunks, its operands at `at` (bytes). */
  const product = (N: number, at: number, seed: number) => {
    f32.set(randF32(2 * N * N, seed), at >>> 2);
    const pre = [at, at + N * N * 4, at + 2 * N * N * 4, 1, 1, N, N, N, 0, 0, 0, 1];
    const rows = Math.ceil(N / 6);
    const chunks = [0, 1, 2, 3, 4, 5].map((i) => [...pre, i * rows, Math.min(N, (i + 1) * rows), 0, N]);
    const check = () => {
      const want = new Float32Array(N * N);
      const a = f32.slice(at >>> 2, (at >>> 2) + N * N);
      const b = f32.slice((at >>> 2) + N * N, (at >>> 2) + 2 * N * N);
      jsKernels.matmul(a, b, want, 1, 1, N, N, N, false, false);
      const got = f32.slice((at >>> 2) + 2 * N * N, (at >>> 2) + 3 * N * N);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      return worst;
    };
    return { chunks, check };
  };
  const counter = new Int32Array(memory.buffer, L.table, 1);
  return { pool, workers, work, product, open, counter, base: L.work + 3 * stride + 64 };
}

describe('thread pool: workers given up on or gone', () => {
  it('a worker retired between jobs (setNumThreads down) does not keep later jobs off the new workers', async () => {
    const { pool, work, product, open, base } = setup();
    open(); // no pause in this test's chunks
    pool.setThreads(2);
    expect(await pool.whenReady()).toBe(true);
    // down and up again with no event-loop turn in between (a synchronous script), then wait for the new worker
    // without yielding either: the retired one's exit is never reported meanwhile
    pool.setThreads(1);
    pool.setThreads(2);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let t = 0; t < 10_000 && pool.readyWorkers() < 1; t++) Atomics.wait(nap, 0, 0, 1);
    expect(pool.readyWorkers()).toBe(1);
    const posted = pool.posted;
    const job = product(96, base, 4);
    pool.run('matmulSlice', job.chunks, work);
    expect(pool.posted, 'the job was offered to the new worker').toBe(posted + 1);
    expect(job.check()).toBeLessThan(1e-3);
  });

  it('a retired worker still running claims no chunk of a later job; later jobs run on the caller meanwhile', async () => {
    const { pool, workers, work, product, open, counter, base } = setup();
    pool.timeout = { floorMs: 30, slowFactor: 1 };
    pool.setThreads(2);
    expect(await pool.whenReady()).toBe(true);
    // job 1 until the worker wakes in time to claim a chunk (it then blocks on the gate and is declared stuck)
    const small = product(240, base, 1);
    let stuck: unknown = null;
    for (let t = 0; t < 50 && !stuck; t++) {
      try {
        pool.run('matmulSlice', small.chunks, work);
      } catch (e) {
        stuck = e;
      }
      if (!stuck) await pool.whenReady();
    }
    expect(String(stuck)).toMatch(/worker 1 did not finish within \d+ ms \(stuck\)/);
    pool.timeout = { floorMs: 10_000, slowFactor: 50 }; // the default again: no other worker is stuck
    const zombie = workers[0];
    expect(zombie.terminated).toBe(true);
    expect(zombie.claims().length).toBe(1);
    // NOTE: the job it claimed from is whichever one it first woke in time for (seq 1 or a later retry)
    const firstClaim = zombie.claims()[0];
    // while it lives, jobs run on the caller alone, and right
    const big = product(96, base + 240 * 240 * 12 + 64, 2);
    const posted = pool.posted;
    pool.run('matmulSlice', big.chunks, work);
    expect(pool.posted).toBe(posted);
    expect(big.check()).toBeLessThan(1e-3);
    // a later job's table is live (its counter reset) when the zombie wakes up: it must claim nothing from it
    counter[0] = 0;
    open();
    // wait until it has left (the fix: it sees RETIRED and ends) or has touched the new counter (the bug)
    for (let t = 0; t < 400 && !zombie.exited() && counter[0] === 0; t++)
      await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20)); // its port messages
    expect(zombie.claims(), 'claims of the retired worker').toEqual([firstClaim]);
    expect(counter[0], 'the retired worker did not touch the new counter').toBe(0);
    // once it has exited, the pool uses workers again and results are right
    await zombie.w.terminate();
    expect(await pool.whenReady()).toBe(true);
    const again = product(96, base, 3);
    pool.run('matmulSlice', again.chunks, work);
    expect(again.check()).toBeLessThan(1e-3);
    pool.shutdown();
    for (const w of workers) await w.w.terminate();
  }, 30_000);

  it('a worker terminated between jobs is replaced: the next call is right and the pool recovers', async () => {
    const { pool, workers, work, product, open, base } = setup();
    open();
    pool.setThreads(2);
    expect(await pool.whenReady()).toBe(true);
    await workers[0].w.terminate(); // gone while idle
    const job = product(96, base, 4);
    pool.run('matmulSlice', job.chunks, work); // no ready worker: the caller does every chunk
    expect(job.check()).toBeLessThan(1e-3);
    expect(await pool.whenReady()).toBe(true);
    expect(workers.length).toBe(2);
    const job2 = product(96, base, 5);
    expect(() => pool.run('matmulSlice', job2.chunks, work)).not.toThrow(TapegradError);
    expect(job2.check()).toBeLessThan(1e-3);
    pool.shutdown();
    for (const w of workers) await w.w.terminate();
  }, 30_000);
});
