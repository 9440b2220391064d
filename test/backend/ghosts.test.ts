// When a watched block gets its ghost (src/backend/wasm/ghosts.ts): at once, except the tape-only blocks of a
// top-level graph once backward() has freed such blocks; those wait in a slot, filled only if the block outlives a
// later backward that freed others, or if too many bytes wait. Then through ops: a PyTorch-style loop makes no
// ghost after its first step, and a graph no backward uses still gets one and is freed once collected, no copy.
import { afterEach, describe, expect, it } from 'vitest';
import { Ghosts } from '../../src/backend/wasm/ghosts.js';
import type { Cell } from '../../src/core/storage.js';
import * as tg from '../../src/index.js';
import { randF32, wasm } from '../support/backend.js';

const MiB = 1 << 20;
const gc = (globalThis as { gc?: () => void }).gc!;
type Held = { ghost?: ArrayBuffer | { buf: ArrayBuffer | null } };
const cell = (seen: 'tape' | 'user'): Cell => ({ seen }) as Cell;
/** The ghost buffer a storage carries, filled slot or not (null: none yet). */
const buf = (s: Held): ArrayBuffer | null =>
  s.ghost === undefined ? null : s.ghost instanceof ArrayBuffer ? s.ghost : s.ghost.buf;

describe('Ghosts (which watched blocks carry a ghost, and when)', () => {
  it('before any backward() has freed a tape-only block, every adopted block gets its ghost at once', () => {
    const g = new Ghosts();
    const t: Held = {};
    const u: Held = {};
    g.adopt(t, 0, cell('tape'), MiB);
    g.adopt(u, 64, cell('user'), MiB);
    expect(buf(t)?.byteLength).toBe(MiB);
    expect(buf(u)?.byteLength).toBe(MiB);
  });

  it('after one, a tape-only block waits: never filled if backward frees it, a user-visible one is not deferred', () => {
    const g = new Ghosts();
    g.freedByBackward();
    const live = new Set<number>([0, 64]);
    const t: Held = {};
    const u: Held = {};
    g.adopt(t, 0, cell('tape'), MiB);
    g.adopt(u, 64, cell('user'), MiB);
    expect(t.ghost).toBeDefined(); // a slot
    expect(buf(t)).toBeNull();
    expect(buf(u)?.byteLength).toBe(MiB);
    live.delete(0); // backward freed it
    g.freedByBackward();
    g.settle((p) => live.has(p));
    expect(buf(t)).toBeNull();
  });

  it('a waiting block that outlives a later backward which freed others gets its ghost', () => {
    const g = new Ghosts();
    g.freedByBackward();
    const live = new Set<number>();
    const evalBlock: Held = {};
    const c = cell('tape');
    g.settle((p) => live.has(p)); // the evaluation's frame end
    g.adopt(evalBlock, 0, c, MiB);
    live.add(0);
    g.settle((p) => live.has(p)); // the next training step's frame end: no backward since, it waits
    expect(buf(evalBlock)).toBeNull();
    g.freedByBackward(); // that step's backward frees its own graph, not the evaluation's
    g.settle((p) => live.has(p));
    expect(buf(evalBlock)?.byteLength).toBe(MiB);
  });

  it('past 64 MiB of waiting blocks, all of them get their ghosts (a loop that stopped calling backward)', () => {
    const g = new Ghosts();
    g.freedByBackward();
    const held: Held[] = [];
    for (let i = 0; i < 8; i++) {
      g.settle(() => true); // 8·i MiB waiting: below 64, none filled
      const s: Held = {};
      g.adopt(s, i * 8 * MiB, cell('tape'), 8 * MiB);
      held.push(s);
    }
    expect(held.every((s) => buf(s) === null)).toBe(true); // 64 MiB waiting, not asked yet
    g.settle(() => true);
    expect(held.every((s) => buf(s)?.byteLength === 8 * MiB)).toBe(true);
  });

  describe('through ops on the wasm backend', () => {
    const K = wasm();
    afterEach(() => {
      K.arena.poison = false;
    });
    const made = (): number => {
      const g = (K.arena as unknown as { ghosts: Ghosts }).ghosts;
      return (g as unknown as { made: number }).made;
    };

    /** A PyTorch-style model whose hidden activations (512×256, 512 KiB) are tape-only blocks of its graph. */
    const setup = () => {
      tg.setSeed(3);
      class Net extends tg.nn.Module {
        fc1 = new tg.nn.Linear(256, 256);
        fc2 = new tg.nn.Linear(256, 10);
        forward(x: tg.Tensor): tg.Tensor {
          return this.fc2.forward(tg.relu(this.fc1.forward(x)));
        }
      }
      const net = new Net();
      const opt = new tg.SGD(net.namedParameters(), { lr: 0.01 });
      const x = tg.tensor(randF32(512 * 256, 5), [512, 256]);
      const y = tg.tensor(
        Int32Array.from({ length: 512 }, (_, i) => i % 10),
        [512],
      );
      const step = (): number => {
        opt.zeroGrad();
        const loss = tg.crossEntropy(net.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      };
      return { net, x, step };
    };

    it('a loss.backward() loop makes no ghost after its first step, and frees every graph with no copy', async () => {
      K.arena.poison = true;
      const { step } = setup();
      await tg.ready();
      step();
      const before = K.arena.stats();
      const ghosts = made();
      const losses: number[] = [];
      for (let i = 0; i < 20; i++) losses.push(step());
      expect(made()).toBe(ghosts);
      const after = K.arena.stats();
      expect(after.evicted - before.evicted).toBe(0);
      // each step's graph holds 1 MiB of tape-only blocks (two 512×256 activations): backward freed them all
      expect(after.residentBytes - before.residentBytes).toBeLessThan(8 * MiB);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[19]).toBeLessThan(losses[0]); // it trains
    });

    it('an evaluation without noGrad between steps still gets ghosts, and its graphs are freed once collected', async () => {
      K.arena.poison = true;
      const { net, x, step } = setup();
      await tg.ready();
      step();
      const before = K.arena.stats();
      const ghosts = made();
      const want = tg.noGrad(() => net.forward(x)).data;
      for (let i = 0; i < 20; i++) {
        const out = net.forward(x); // records: the weights require a gradient
        if (i === 0) expect(Array.from(out.data)).toEqual(Array.from(want));
        step();
        gc();
      }
      const after = K.arena.stats();
      expect(made() - ghosts).toBeGreaterThanOrEqual(10);
      expect(after.reclaimed - before.reclaimed).toBeGreaterThanOrEqual(10);
      expect(after.evicted - before.evicted).toBe(0);
    });
  });
});
