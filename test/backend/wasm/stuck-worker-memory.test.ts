// A pool worker the pool gives up on (stuck past its deadline) may wake later and finish the chunk it was inside,
// after the failing call has returned. Its writes must not land in memory another tensor holds by then: the blocks
// its job could write are not reused until it has stopped (arena quarantine), and the window geometry it reads is
// the job's own copy, not the caller's block that the next op overwrites.
// The worker is the real pool worker source with a pause injected before its first chunk runs, and a terminate()
// that never takes effect by itself (the slowest case of asynchronous termination).
import { describe, expect, it } from 'vitest';
import { gatedPool } from '../../support/gated-pool.js';
import { kernelContext } from '../../../src/backend/wasm/kernel-context.js';
import { Arena } from '../../../src/backend/wasm/arena.js';
import type { WindowGeom } from '../../../src/core/window-geom.js';
import { randF32 } from '../../support/backend.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup() {
  const { ex, memory, pool, workers, open } = gatedPool();
  // the backend's own wiring of pool and arena (what the wasm backend runs with)
  const ctx = kernelContext(ex, memory, pool);
  /** f32 view of `n` floats at byte offset p (fresh: the memory may have grown). */
  const at = (p: number, n: number) => new Float32Array(memory.buffer, p, n);
  /** Run `job` on 2 threads until the worker claims a chunk (and pauses there) and is declared stuck. */
  const giveUp = async (job: () => void): Promise<string> => {
    pool.timeout = { floorMs: 30, slowFactor: 1 };
    pool.setThreads(2);
    expect(await pool.whenReady()).toBe(true);
    let stuck: unknown = null;
    for (let t = 0; t < 50 && !stuck; t++) {
      try {
        job();
      } catch (e) {
        stuck = e;
      }
      if (!stuck) await pool.whenReady();
    }
    pool.timeout = { floorMs: 10_000, slowFactor: 50 };
    expect(String(stuck)).toMatch(/worker 1 did not finish within \d+ ms \(stuck\)/);
    expect(workers[0].claims().length, 'the worker is inside a chunk').toBe(1);
    return workers[0].claims()[0];
  };
  const end = async () => {
    pool.shutdown();
    for (const w of workers) await w.w.terminate();
  };
  return { pool, ctx, arena: ctx.arena, workers, open, at, giveUp, end };
}

/** A product [N,N]·[N,N] in 6 row chunks on blocks a, b → c. */
function productChunks(a: number, b: number, c: number, N: number): number[][] {
  const pre = [a, b, c, 1, 1, N, N, N, 0, 0, 0, 1];
  const rows = Math.ceil(N / 6);
  return [0, 1, 2, 3, 4, 5].map((i) => [...pre, i * rows, Math.min(N, (i + 1) * rows), 0, N]);
}

describe('thread pool: a worker given up on never writes memory reused since', () => {
  it('the output block of the failed call is not handed to a later tensor while the worker may still write it', async () => {
    const { pool, ctx, arena, workers, open, at, giveUp, end } = setup();
    const N = 240;
    const bytes = N * N * 4;
    const a = arena.alloc(bytes);
    const b = arena.alloc(bytes);
    const c = arena.alloc(bytes);
    at(a, N * N).set(randF32(N * N, 1));
    at(b, N * N).set(randF32(N * N, 2));
    await giveUp(() => pool.run('matmulSlice', productChunks(a, b, c, N), ctx.WORK));
    // the failed op's output is freed, and the next tensor of that size is allocated and written
    arena.free(c);
    const d = arena.alloc(bytes);
    at(d, N * N).fill(7);
    // the stuck worker wakes up, finishes its chunk and exits
    open();
    const zombie = workers[0];
    for (let t = 0; t < 400 && !zombie.exited(); t++) await sleep(5);
    expect(zombie.exited()).toBe(true);
    const got = at(d, N * N);
    let changed = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== 7) changed++;
    expect(changed, 'values of the later tensor changed by the stuck worker').toBe(0);
    expect(arena.quarantinedBytes(), 'the freed output was held back').toBe(bytes);
    // once it has exited the block is free again (nothing leaks)
    arena.free(d);
    expect(arena.alloc(bytes), 'the held block is reused after the exit').toBe(c);
    expect(arena.quarantinedBytes()).toBe(0);
    await end();
  }, 30_000);

  it('in a synchronous loop (no exit event) the worker says itself when it has left its chunk', async () => {
    const { pool, ctx, arena, workers, open, at, giveUp, end } = setup();
    const N = 240;
    const bytes = N * N * 4;
    const a = arena.alloc(bytes);
    const b = arena.alloc(bytes);
    const c = arena.alloc(bytes);
    at(a, N * N).set(randF32(N * N, 3));
    at(b, N * N).set(randF32(N * N, 4));
    await giveUp(() => pool.run('matmulSlice', productChunks(a, b, c, N), ctx.WORK));
    arena.free(c);
    const d = arena.alloc(bytes);
    expect(d).not.toBe(c);
    expect(pool.stuckWorkers()).toBe(1);
    open();
    // from here on no event-loop turn: the exit event cannot arrive
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let t = 0; t < 5000 && pool.stuckWorkers() > 0; t++) Atomics.wait(nap, 0, 0, 1);
    expect(pool.stuckWorkers()).toBe(0);
    expect(workers[0].exited()).toBe(false);
    arena.free(d);
    expect(arena.alloc(bytes), 'the held block is free again').toBe(c);
    await end();
  }, 30_000);

  it('a window chunk resumed after the next op wrote its geometry still uses its own (no write past its output)', async () => {
    const { pool, ctx, arena, workers, open, at, giveUp, end } = setup();
    // 256 images 16×16×4, 2×2 max pool, stride 2: 256 chunks of one image each (many, so the worker claims one)
    const n = 256;
    const g1: WindowGeom = {
      n,
      h: 16,
      w: 16,
      c: 4,
      kh: 2,
      kw: 2,
      strideH: 2,
      strideW: 2,
      dilationH: 1,
      dilationW: 1,
      padTop: 0,
      padLeft: 0,
      outH: 8,
      outW: 8,
    };
    const inImg = 16 * 16 * 4;
    const outImg = 8 * 8 * 4;
    const x = arena.alloc(n * inImg * 4);
    const out = arena.alloc(n * outImg * 4);
    const after = arena.alloc(4 << 20); // another tensor right after the output
    expect(after).toBe(out + n * outImg * 4);
    const xs = randF32(n * inImg, 5);
    at(x, xs.length).set(xs);
    ctx.putGeom(g1);
    const claim = await giveUp(() => pool.runSplit('poolMax', [x, ctx.GEOM, out, 0, 0], 3, n, n, 1));
    // the next op writes its geometry over the caller's block: 8 channels, so every image's output is twice as
    // far in and twice as long (past the output block for the second half of the images)
    ctx.putGeom({ ...g1, c: 8 });
    at(after, 1 << 20).fill(7);
    open();
    const zombie = workers[0];
    for (let t = 0; t < 400 && !zombie.exited(); t++) await sleep(5);
    expect(zombie.exited()).toBe(true);
    const rest = at(after, 1 << 20);
    let changed = 0;
    for (let i = 0; i < rest.length; i++) if (rest[i] !== 7) changed++;
    expect(changed, 'values of the next tensor written by the stuck worker').toBe(0);
    // every image, the stuck worker's too, was pooled with the job's geometry: compared with a naive 2×2 max
    const img = Number(claim.split(' ')[2]);
    const got = at(out, n * outImg);
    const wrong: number[] = [];
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < 8; oy++)
        for (let ox = 0; ox < 8; ox++)
          for (let ch = 0; ch < 4; ch++) {
            let m = -Infinity;
            for (let dy = 0; dy < 2; dy++)
              for (let dx = 0; dx < 2; dx++)
                m = Math.max(m, xs[b * inImg + ((2 * oy + dy) * 16 + 2 * ox + dx) * 4 + ch]);
            if (got[b * outImg + (oy * 8 + ox) * 4 + ch] !== m && !wrong.includes(b)) wrong.push(b);
          }
    expect(wrong, `images pooled wrong (the stuck worker ran image ${img})`).toEqual([]);
    await end();
  }, 30_000);
});

describe('arena quarantine', () => {
  it('holds back the blocks live when it began, reuses later ones, and frees all once the worker has stopped', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
    const arena = new Arena(memory, 1024, 64 * 65536);
    const a = arena.alloc(4096);
    const b = arena.alloc(4096);
    let stuck = true;
    arena.quarantineLive(() => stuck);
    const later = arena.alloc(4096);
    arena.free(a);
    arena.free(later);
    expect(arena.quarantinedBytes()).toBe(4096);
    // the block allocated after it began is reused; the one live then is not
    expect(arena.alloc(4096)).toBe(later);
    const fresh = arena.alloc(4096);
    expect([a, b, later]).not.toContain(fresh);
    arena.free(a); // a second free of a held block is a no-op
    expect(arena.quarantinedBytes()).toBe(4096);
    stuck = false;
    expect(arena.alloc(4096), 'the held block is free again').toBe(a);
    expect(arena.quarantinedBytes()).toBe(0);
  });
});
