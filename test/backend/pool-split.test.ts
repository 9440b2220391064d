// pool.runSplit hands out exactly splitRange's ranges, each once, written into the caller's argument array: on the
// caller-only path (one thread) and through the job table (threads > 1, chunks read back from wasm memory), so moving
// a kernel from `run` to `runSplit` keeps its chunks, and with them its results, bit for bit.
import { describe, expect, it } from 'vitest';
import { POOL_FNS, ThreadPool, type PoolFn, type SpawnWorker } from '../../src/backend/wasm/pool.js';
import { splitRange } from '../../src/backend/wasm/wasm-kernels.js';

/** A pool over fake kernels that record their arguments; `table` workers are spawned but never become ready. */
function recordingPool(threads: number): { pool: ThreadPool; calls: number[][] } {
  const calls: number[][] = [];
  const exports = Object.fromEntries(
    POOL_FNS.map((f) => [f, (...a: number[]) => void calls.push(a)]),
  ) as Record<PoolFn, (...args: number[]) => void>;
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const never: SpawnWorker = () => ({ terminate() {}, dead: false, takeError: () => undefined });
  const pool = new ThreadPool(never, {} as WebAssembly.Module, memory, exports, 1024, 16384);
  pool.setThreads(threads);
  return { pool, calls };
}

describe('pool.runSplit', () => {
  for (const threads of [1, 2])
    it(`runs splitRange's ranges in slot, each once, other arguments untouched (${threads} thread(s))`, () => {
      const { pool, calls } = recordingPool(threads);
      for (const step of [1, 4, 8])
        for (let n = 0; n <= 300; n += n < 40 ? 1 : 37)
          for (const parts of [1, 2, 3, 8, 128, 1000]) {
            calls.length = 0;
            pool.runSplit('unary', [7, -1, -1, 9], 1, n, parts, step, { base: 4096, stride: 64 });
            const want = splitRange(n, parts, step).map(([s, e]) => [7, s, e, 9, 4096]);
            expect(calls, `n=${n} parts=${parts} step=${step}`).toEqual(want);
          }
      expect(pool.posted, 'no worker ever became ready').toBe(0);
    });
  it('cuts the seed conv (32×32×32 output rows) into the same 128 chunks conv2d made with splitRange', () => {
    const { pool, calls } = recordingPool(2);
    pool.runSplit('convBandRows', [1, 2, 0, 0, 5], 2, 32768, 128, 4);
    expect(calls).toEqual(splitRange(32768, 128, 4).map(([s, e]) => [1, 2, s, e, 5]));
  });
});
