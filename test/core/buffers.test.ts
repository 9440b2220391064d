// Recycled tensor storage: large float32 buffers return to a free list when their array is collected, come back
// zero-filled, and are never reused while another view (subarray, .buffer) might still reach them.
import { describe, expect, it } from 'vitest';
import { RECYCLE_MIN, allocFloat32, recycleStats, yieldToEventLoop } from '../../src/core/buffers.js';
import * as tg from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Collect garbage and let finalizers run (they run between event-loop tasks). */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await yieldToEventLoop();
  }
}

/** Allocate a large array, let `use` touch it, drop it, collect; returns how many buffers were reused after. */
async function dropOne(n: number, use: (a: Float32Array) => unknown): Promise<unknown> {
  let a: Float32Array | null = allocFloat32(n);
  a.fill(7);
  const kept = use(a);
  a = null;
  await collect();
  return kept;
}

describe('recycled float32 storage', () => {
  it('runs with --expose-gc (vitest.config execArgv)', () => expect(typeof gc).toBe('function'));

  it('small arrays are plain Float32Arrays; large ones come back zero-filled after collection', async () => {
    expect(allocFloat32(10).constructor).toBe(Float32Array);
    const n = RECYCLE_MIN + 12345;
    await dropOne(n, () => null);
    const before = recycleStats.reused;
    const b = allocFloat32(n);
    expect(recycleStats.reused).toBe(before + 1);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(b).toBeInstanceOf(Float32Array);
  });

  it('a buffer still reachable through a subarray or .buffer is never reused', async () => {
    for (const [i, escape] of [
      (a: Float32Array) => a.subarray(5, 10),
      (a: Float32Array) => new Float32Array(a.buffer, 20, 5),
    ].entries()) {
      const n = RECYCLE_MIN + 777 + i;
      const view = (await dropOne(n, escape)) as Float32Array;
      const before = recycleStats.reused;
      const fresh = allocFloat32(n);
      fresh.fill(1);
      expect(recycleStats.reused, `escape ${i}`).toBe(before);
      expect(Array.from(view)).toEqual([7, 7, 7, 7, 7]);
    }
  });

  it('derived arrays (slice, map) are plain copies', () => {
    const a = allocFloat32(RECYCLE_MIN);
    expect(a.slice(0, 3).constructor).toBe(Float32Array);
    expect(a.map((v) => v + 1).constructor).toBe(Float32Array);
  });

  it('tensors from ops reuse storage across a loop that yields, with correct results', async () => {
    const x = tg.randn([512, 1024]);
    const want = Array.from(tg.mul(x, 2).data.slice(0, 100));
    const before = recycleStats.reused;
    for (let i = 0; i < 6; i++) {
      const y = tg.mul(x, 2);
      expect(Array.from(y.data.slice(0, 100))).toEqual(want);
      await collect();
    }
    expect(recycleStats.reused).toBeGreaterThan(before);
  });
});
