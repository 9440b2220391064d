// Resident storage on the wasm backend: the allocator, eviction and pinning on a small private memory, then the
// op layer end to end: results equal the JS reference (with new blocks poisoned, so every kernel must write its
// whole output), `.data` hands out plain arrays, and memory stays bounded in loops that never yield.
import { afterEach, describe, expect, it } from 'vitest';
import { Arena } from '../../src/backend/wasm/arena.js';
import { yieldToEventLoop } from '../../src/core/storage.js';
import * as tg from '../../src/index.js';
import { randF32, wasm } from '../support/backend.js';

const K = wasm();
const defaultLimit = K.arena.residentLimit;
const small = (limit = 1 << 20) =>
  new Arena(new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true }), 128, 128 + limit);

describe('arena allocator', () => {
  it('coalesces freed blocks back to an empty span, in any free order', () => {
    const a = small();
    const ptrs = [100, 5000, 64, 70000, 3, 999].map((b) => a.alloc(b));
    expect(ptrs.every((p) => p >= 128 && p % 64 === 0)).toBe(true);
    expect(new Set(ptrs).size).toBe(ptrs.length);
    for (const i of [3, 0, 5, 1, 4, 2]) a.free(ptrs[i]);
    expect(a.stats().spanBytes).toBe(0);
    const again = a.alloc(70000);
    expect(again).toBe(ptrs[0]); // the whole span is one block again
  });

  it('random allocations and frees never overlap, reuse holes, and coalesce back to an empty span', () => {
    const a = small(4 << 20);
    const live = new Map<number, number>(); // ptr → bytes asked
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let step = 0; step < 3000; step++) {
      if (live.size > 100 || (live.size > 0 && rnd(5) < 2)) {
        const ptrs = [...live.keys()];
        const p = ptrs[rnd(ptrs.length)];
        a.free(p);
        live.delete(p);
      } else {
        const bytes = 1 + rnd(rnd(4) === 0 ? 40000 : 600);
        const p = a.alloc(bytes);
        expect(p).toBeGreaterThanOrEqual(128);
        // naive overlap check against every live block: [p, p+bytes) ∩ [q, q+b) = ∅
        for (const [q, b] of live) expect(p + bytes <= q || q + b <= p, `step ${step}`).toBe(true);
        live.set(p, bytes);
      }
    }
    for (const p of live.keys()) a.free(p);
    expect(a.stats().spanBytes).toBe(0);
    expect(a.alloc(2 << 20)).toBe(128); // one block again, from the base
  });

  it('reuses a freed hole (best fit) before growing', () => {
    const a = small();
    const [p, q, r] = [a.alloc(4096), a.alloc(256), a.alloc(4096)];
    a.free(q);
    expect(a.alloc(200)).toBe(q);
    expect(r).toBeGreaterThan(p);
  });

  it('evicts the oldest resident storage (copying its values out) but never a pinned one', () => {
    const a = small(64 * 1024);
    a.minElements = 1;
    const s = [0, 1, 2].map((i) => {
      const st = a.resident('float32', 4096)!; // 16 KiB each
      st.view.fill(i + 1);
      return st;
    });
    a.pin(s[0].view.byteOffset);
    const big = a.alloc(40 * 1024); // needs two of the three blocks' room
    expect(big).toBeGreaterThan(0);
    expect(s[0].resident).toBe(true);
    expect(s[1].resident || s[2].resident).toBe(false);
    for (const [i, st] of s.entries()) expect(st.view.every((v) => v === i + 1)).toBe(true);
    a.unpinAll();
    expect(a.stats().evicted).toBeGreaterThan(0);
  });

  it('unpinAll and unhold forget every earlier pin and hold (an older one no longer protects its block)', () => {
    const a = small(64 * 1024);
    a.minElements = 1;
    const s = [0, 1, 2].map(() => a.resident('float32', 4096)!); // 16 KiB each, s[2] the newest, at the top
    a.pin(s[2].view.byteOffset);
    a.hold([s[2]]);
    a.unpinAll();
    a.unhold();
    a.pin(s[0].view.byteOffset);
    a.hold([s[1]]);
    // 16 KiB are left at the top: 20 KiB fit only once s[2], protected no more, is evicted
    expect(a.alloc(20 * 1024)).toBeGreaterThan(0);
    expect([s[0].resident, s[1].resident, s[2].resident]).toEqual([true, true, false]);
    a.unpinAll();
    a.unhold();
  });

  it('refuses (returns -1 / null) past its limit when nothing can be evicted', () => {
    const a = small(8192);
    expect(a.alloc(16384)).toBe(-1);
    expect(a.resident('float32', 1 << 20)).toBeNull();
    expect(a.resident('float64', 4096)).toBeNull(); // float64 always stays a plain array
  });
});

describe('resident tensors on the wasm backend', () => {
  afterEach(() => {
    K.arena.poison = false;
    K.arena.residentLimit = defaultLimit;
    K.arena.stretch = 3;
    tg.setBackend('wasm');
  });

  it('the default budget is 256 MiB; tg.setMemoryBudget changes it and tg.memory reports it', () => {
    expect(defaultLimit).toBe(256 * 1024 * 1024);
    try {
      tg.setMemoryBudget(64);
      expect(tg.memory().budgetBytes).toBe(64 * 1024 * 1024);
    } finally {
      tg.setMemoryBudget(256);
    }
    expect(() => tg.setMemoryBudget(0)).toThrow(/positive number of MiB/);
  });

  it('op outputs stay resident; .data moves them into a plain array the caller may keep', () => {
    const x = tg.tensor(randF32(10000, 1), [100, 100]);
    const y = tg.relu(x);
    expect(y.storage.resident).toBe(true);
    const raw = Array.from(y.raw);
    const before = K.arena.stats().residentBytes;
    const d = y.data;
    expect(d.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(y.storage.resident).toBe(false);
    expect(K.arena.stats().residentBytes).toBeLessThan(before);
    expect(Array.from(d)).toEqual(raw);
    d[0] = 123; // the plain array is the tensor's storage now
    expect(tg.add(y, 0).raw[0]).toBe(123);
  });

  it('a conv net trains to the same numbers as the JS reference, with new blocks poisoned', () => {
    const step = (be: string) => {
      tg.setBackend(be);
      K.arena.poison = be === 'wasm';
      const x = tg.tensor(randF32(4 * 12 * 12 * 3, 2), [4, 12, 12, 3]);
      const w = tg.tensor(randF32(3 * 3 * 3 * 64, 3), [3, 3, 3, 64], { requiresGrad: true });
      const b = tg.tensor(randF32(64, 4), [64], { requiresGrad: true });
      const v = tg.tensor(randF32(6 * 6 * 64 * 5, 5), [6 * 6 * 64, 5], { requiresGrad: true });
      const labels = tg.tensor(Int32Array.from([1, 0, 4, 2]), [4]);
      const f = (ww: tg.Tensor, bb: tg.Tensor, vv: tg.Tensor) => {
        const h = tg.maxPool2d(tg.relu(tg.conv2d(x, ww, bb, { padding: 'same' })), { kernelSize: 2 });
        return tg.crossEntropy(tg.matmul(tg.reshape(h, [4, 6 * 6 * 64]), vv), labels);
      };
      const r = tg.valueAndGrads(f)(w, b, v);
      const pred = tg.noGrad(() => f(w, b, v));
      return [r.value.data, ...r.grads.map((g) => g.data), pred.data];
    };
    const js = step('js');
    const wa = step('wasm');
    js.forEach((a, i) => {
      for (let j = 0; j < a.length; j++)
        if (!(Math.abs(wa[i][j] - a[j]) <= 1e-4 * (1 + Math.abs(a[j]))))
          expect.fail(`output ${i} differs at ${j}: ${wa[i][j]} vs ${a[j]}`);
    });
  });

  it('keeps values right when eviction runs mid-computation (a tiny resident limit)', () => {
    K.arena.residentLimit = 200 * 1024;
    K.arena.stretch = 0;
    const evicted = K.arena.stats().evicted;
    const xs = Array.from({ length: 12 }, (_, i) => tg.tensor(randF32(8192, 10 + i), [8192]));
    const ys = xs.map((x) => tg.mul(tg.relu(x), 2)); // 12 × 32 KiB outputs, all kept alive
    const sum = ys.reduce((a, b) => tg.add(a, b));
    const want = new Float64Array(8192);
    xs.forEach((x) => x.raw.forEach((v, j) => (want[j] += 2 * Math.max(v, 0))));
    sum.raw.forEach((v, j) => expect(v).toBeCloseTo(want[j], 4));
    ys.forEach((y, i) => y.raw.forEach((v, j) => expect(v).toBe(Math.fround(2 * Math.max(xs[i].raw[j], 0)))));
    expect(K.arena.stats().evicted).toBeGreaterThan(evicted);
    expect(K.arena.stats().residentBytes).toBeLessThanOrEqual(200 * 1024);
  });

  it("gathering a batch's rows from a large plain tensor reads it in place (no copy into kernel memory)", () => {
    const [rowsN, cols] = [8192, 1024]; // a 32 MiB data set, as fit's batches gather from
    const data = randF32(rowsN * cols, 17);
    const x = tg.tensor(data, [rowsN, cols]);
    const idx = [5, 8191, 0, 4000];
    const asked: number[] = [];
    const alloc = K.arena.alloc.bind(K.arena);
    K.arena.alloc = (bytes: number) => (asked.push(bytes), alloc(bytes));
    let y: tg.Tensor;
    try {
      y = tg.gather(x, idx, 0);
    } finally {
      K.arena.alloc = alloc;
    }
    expect(Math.max(0, ...asked)).toBeLessThan(rowsN * cols * 4); // never a block for the whole source
    const got = y.data;
    idx.forEach((r, i) => {
      for (let c = 0; c < cols; c += 97) expect(got[i * cols + c]).toBe(data[r * cols + c]);
    });
  });

  it('a loop that never yields stays under the resident limit', () => {
    K.arena.residentLimit = 8 << 20;
    K.arena.stretch = 0;
    const x = tg.tensor(randF32(1 << 18, 7), [1 << 18]); // 1 MiB per output
    for (let i = 0; i < 100; i++) tg.exp(x);
    expect(K.arena.stats().residentBytes).toBeLessThanOrEqual(8 << 20);
    expect(K.arena.stats().spanBytes).toBeLessThan(64 << 20);
  });

  it('frees the memory of collected tensors once the event loop turns', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(typeof gc, 'vitest runs with --expose-gc').toBe('function');
    const before = K.arena.stats().finalized;
    (() => {
      for (let i = 0; i < 5; i++) tg.exp(tg.tensor(randF32(50000, i), [50000]));
    })();
    for (let i = 0; i < 5 && K.arena.stats().finalized === before; i++) {
      gc!();
      await yieldToEventLoop();
    }
    expect(K.arena.stats().finalized).toBeGreaterThan(before);
  });

  it("a read-out copy dies with its tensor at the next minor collection (the finalizer's record does not keep it)", () => {
    // NOTE: V8 keeps an unregistered FinalizationRegistry record's held value alive until a full collection; when
    // that value reached the cell, `.data` copies of resident tensors outlived the scavenges of a synchronous loop.
    const gc = (globalThis as { gc?: (o?: { type: 'minor' }) => void }).gc;
    expect(typeof gc, 'vitest runs with --expose-gc').toBe('function');
    const buffers = (): number => process.memoryUsage().arrayBuffers;
    gc!(); // no incremental marking in progress (it would keep what is allocated meanwhile until the next one)
    const before = buffers();
    (() => {
      for (let i = 0; i < 8; i++) {
        const t = tg.exp(tg.tensor(randF32(60000, 40 + i), [60000]));
        expect(K.arena.ptrOf(t.raw)).toBeGreaterThanOrEqual(0); // resident until read
        void t.data; // evicted: copied out to a 240 KB array, block freed, finalizer record unregistered
      }
    })();
    expect(buffers() - before).toBeGreaterThan(1.5e6);
    gc!({ type: 'minor' });
    gc!({ type: 'minor' });
    expect(buffers() - before).toBeLessThan(2.5e5);
  });
});
