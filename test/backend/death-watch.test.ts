// The arena's death watch (src/backend/wasm/death-watch.ts): in a loop that never yields, a big block whose tensor
// was dropped is freed (no copy) once a collection has run, so the loop reuses memory instead of touching new
// memory or copying out; a block still held is never freed, and its values stay right. gc() (vitest runs with
// --expose-gc) stands in for the collections V8 runs by itself in such a loop (bench/ and docs/memory.md).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Arena } from '../../src/backend/wasm/arena.js';
import { DeathWatch } from '../../src/backend/wasm/death-watch.js';
import type { Storage } from '../../src/core/storage.js';
import { yieldToEventLoop } from '../../src/core/storage.js';
import * as tg from '../../src/index.js';
import { randF32, wasm } from '../support/backend.js';

const gc = (globalThis as { gc?: () => void }).gc!;
const MiB = 1 << 20;
const arena = () =>
  new Arena(new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true }), 128, 128 + 48 * MiB);

/** A resident block of `bytes` (1 MiB; 256 KiB is the size from which blocks are watched) filled with `v`. */
function block(a: Arena, v: number, bytes = MiB): Storage {
  const s = a.resident('float32', bytes / 4)!;
  expect(s, 'resident block').not.toBeNull();
  (s.view as Float32Array).fill(v);
  return s;
}

describe('death watch (synchronous reuse of dropped blocks)', () => {
  it('gc() is exposed to the tests', () => expect(typeof gc).toBe('function'));

  it.each([
    [MiB, 6 * MiB],
    [MiB / 4, 4 * MiB], // a canary per MiB watched: every 4th block arms one
  ])(
    'a loop that drops each %i-byte block reuses their memory once collections run: no copy, no growth',
    async (bytes, maxSpan) => {
      const a = arena();
      await yieldToEventLoop(); // the watch's refs were made in an earlier job (as after any await of I/O or a timer)
      for (let i = 0; i < 40; i++) {
        block(a, i, bytes);
        gc();
      }
      const st = a.stats();
      expect(st.reclaimed).toBeGreaterThanOrEqual(25);
      expect(st.evicted).toBe(0);
      expect(st.spanBytes).toBeLessThanOrEqual(maxSpan); // 40 blocks allocated in all
    },
  );

  it('blocks below 256 KiB are not watched', async () => {
    const a = arena();
    await yieldToEventLoop();
    for (let i = 0; i < 20; i++) {
      block(a, i, MiB / 8);
      gc();
    }
    expect(a.stats().reclaimed).toBe(0);
  });

  it('never frees a block that is still held, and held values stay right', async () => {
    const a = arena();
    a.residentLimit = 64 * MiB;
    await yieldToEventLoop();
    const held: [Storage, number][] = [];
    for (let i = 0; i < 60; i++) {
      const s = block(a, i + 0.5);
      if (i % 4 === 0) held.push([s, i + 0.5]); // every 4th block stays reachable
      gc();
    }
    expect(a.stats().reclaimed).toBeGreaterThanOrEqual(30);
    for (const [s, v] of held) {
      const d = s.view as Float32Array;
      expect(
        d.every((x) => x === v),
        `held block ${v} kept its values`,
      ).toBe(true);
    }
  });

  it('small blocks share a token per MiB: a group with one block still held is not freed at all', async () => {
    const a = arena();
    await yieldToEventLoop();
    const held: [Storage, number][] = [];
    for (let i = 0; i < 64; i++) {
      const s = block(a, i + 0.25, MiB / 4);
      if (i < 32 && i % 4 === 1) held.push([s, i + 0.25]); // one per group in the first half
      gc();
    }
    const st = a.stats();
    expect(st.reclaimed).toBeGreaterThanOrEqual(16); // the second half's groups
    expect(st.reclaimed).toBeLessThanOrEqual(32);
    for (const [s, v] of held)
      expect(
        (s.view as Float32Array).every((x) => x === v),
        `block ${v}`,
      ).toBe(true);
  });

  it('in the job that made the watch it frees nothing early: the budget copies out, values stay right', () => {
    const a = arena(); // no await: every ref the watch made is kept alive until this job ends
    a.residentLimit = 8 * MiB;
    a.stretch = 0;
    const held: Storage[] = [];
    for (let i = 0; i < 30; i++) {
      const s = block(a, i);
      if (i % 5 === 0) held.push(s);
      gc();
    }
    expect(a.stats().reclaimed).toBe(0);
    expect(a.stats().evicted).toBeGreaterThan(0);
    held.forEach((s, k) => expect((s.view as Float32Array).every((x) => x === k * 5)).toBe(true));
  });

  it('a job that uses up its tokens watches nothing more; the next job has twice as many', async () => {
    const d = new DeathWatch(8);
    const tokens = new Set<object>();
    const got = () => {
      let n = 0;
      for (const h: { token?: object } = {}; d.watch(h, MiB) !== null; n++) tokens.add(h.token!);
      return n;
    };
    // a group takes a canary and a token; groups of 1 MiB while half the 8 tokens are left, then 2, then 4 MiB
    expect(got()).toBe(1 + 1 + 2 + 4);
    expect(tokens.size).toBe(4);
    expect(d.watch({}, MiB)).toBeNull();
    expect(d.watch({}, MiB)).toBeNull();
    await yieldToEventLoop();
    // 16 tokens: the batch doubled once, however often the job asked after running out; groups 1,1,1,1,2,2,4,8 MiB
    expect(got()).toBe(4 + 2 + 2 + 4 + 8);
    expect(tokens.size).toBe(4 + 8);
  });

  it('watchAll gives one new group to all its holders (two tokens), settled only after more canaries', async () => {
    const d = new DeathWatch(64);
    await yieldToEventLoop();
    const hs: { token?: object }[] = [{}, {}, {}];
    const w = d.watchAll(hs, 3 * MiB)!;
    expect(w).not.toBeNull();
    expect(new Set(hs.map((h) => h.token)).size).toBe(1);
    const next: { token?: object } = {};
    d.watch(next, MiB);
    expect(next.token).not.toBe(hs[0].token); // the group was closed: a later block never joins it
    expect(w.later).toBeGreaterThan(0);
  });

  it('reads a canary only once it is 50 ms old: one read earlier would find it alive and waste it', async () => {
    const d = new DeathWatch(64);
    await yieldToEventLoop();
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      for (let i = 0; i < 6; i++) d.watch({}, MiB); // each 1 MiB block closes a group: a canary each
      const canaries = (d as unknown as { canaries: unknown[] }).canaries;
      const armed = canaries.length;
      expect(armed).toBeGreaterThanOrEqual(4);
      d.poll();
      expect(canaries.length).toBe(armed); // two arms later but 0 ms old: none read
      now += 49;
      d.poll();
      expect(canaries.length).toBe(armed);
      now += 2;
      d.poll();
      expect(canaries.length).toBeLessThan(armed); // old enough now (read, and dropped if alive)
    } finally {
      clock.mockRestore();
    }
  });

  describe('through ops on the wasm backend', () => {
    const K = wasm();
    afterEach(() => {
      K.arena.poison = false;
    });

    it('a synchronous matmul loop keeps reusing its products, and the kept ones equal the JS reference', async () => {
      K.arena.poison = true; // a reused block starts as NaN: every product must be written whole
      const n = 512; // 1 MiB products
      const x = tg.tensor(randF32(n * n, 3), [n, n]);
      const y = tg.tensor(randF32(n * n, 4), [n, n]);
      await tg.ready(); // TF.js `tf.ready()`: workers started, and a turn of the event loop
      const before = K.arena.stats();
      const kept: tg.Tensor[] = [];
      for (let i = 0; i < 24; i++) {
        const p = tg.matmul(x, i % 8 === 0 ? tg.mul(y, tg.scalar(i + 1)) : y);
        if (i % 8 === 0) kept.push(p);
        gc();
      }
      const after = K.arena.stats();
      expect(after.reclaimed - before.reclaimed).toBeGreaterThanOrEqual(12);
      // a naive product of the same inputs (rows 0, 97, 194, ...), each kept product scaled by its factor
      const xs = randF32(n * n, 3);
      const ys = randF32(n * n, 4);
      kept.forEach((p, k) => {
        const d = p.data;
        let worst = 0;
        for (let r = 0; r < n; r += 97)
          for (let c = 0; c < n; c++) {
            let acc = 0;
            for (let j = 0; j < n; j++) acc += xs[r * n + j] * ys[j * n + c];
            worst = Math.max(worst, Math.abs(d[r * n + c] - acc * (8 * k + 1)));
          }
        expect(worst, `kept product ${k}`).toBeLessThan(1e-3 * (8 * k + 1));
      });
    });

    // A loop of top-level gradients through a weight that requires one: each result keeps its graph (it stays
    // differentiable), handed on by the grads call's frame to top level. Those blocks are watched as one group.
    const saliency = () => {
      const W = tg.tensor(randF32(256 * 256, 7), [256, 256]).requireGrad();
      const x = tg.tensor(randF32(64 * 256, 8), [64, 256]);
      const f = (xi: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(tg.tanh(tg.matmul(xi, W)), W)));
      return { W, x, f };
    };

    it('a synchronous loop of differentiable gradients frees each graph once collected: no copy out', async () => {
      K.arena.poison = true;
      const { x, f } = saliency();
      await tg.ready();
      const before = K.arena.stats();
      const want = tg.grad(f, { createGraph: false })(x).data;
      for (let i = 0; i < 30; i++) {
        const g = tg.grad(f)(x);
        expect(g.requiresGrad).toBe(true);
        if (i % 10 === 0) expect(Array.from(g.data)).toEqual(Array.from(want));
        gc();
      }
      const after = K.arena.stats();
      expect(after.reclaimed - before.reclaimed).toBeGreaterThanOrEqual(30);
      expect(after.evicted - before.evicted).toBe(0);
    });

    it('a gradient kept through that loop keeps its graph: its backward afterwards matches a fresh one', async () => {
      K.arena.poison = true;
      const { W, x, f } = saliency();
      await tg.ready();
      const kept = tg.grad(f)(x);
      const before = K.arena.stats();
      for (let i = 0; i < 30; i++) {
        tg.grad(f)(x);
        gc();
      }
      expect(K.arena.stats().reclaimed - before.reclaimed).toBeGreaterThanOrEqual(30);
      tg.sum(tg.mul(kept, kept)).backward();
      const fresh = saliency();
      const g = tg.grad(fresh.f)(fresh.x);
      tg.sum(tg.mul(g, g)).backward();
      expect(Array.from(W.grad!.data)).toEqual(Array.from(fresh.W.grad!.data));
    });
  });
});
