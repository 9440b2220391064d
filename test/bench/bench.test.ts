// A small slice of `npm run bench`: the Benchmark.js timer, and the claim the tables rest on — tapegrad and tfjs
// run the same math from the same initial values (bench/same-math.ts on tfjs-cpu).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { time } from '../../bench/lib/data.js';

describe('bench timer (Benchmark.js)', () => {
  it('reports the fastest cycle, the mean and the margin of error of a deferred benchmark', async () => {
    let calls = 0;
    const busy = () => {
      const end = performance.now() + 1;
      while (performance.now() < end);
      calls++;
    };
    const t = await time(busy, { budgetMs: 300, minRuns: 3, warmup: 1 });
    expect(t.runs).toBeGreaterThanOrEqual(3);
    expect(t.minMs).toBeGreaterThanOrEqual(0.9);
    expect(t.minMs).toBeLessThanOrEqual(t.ms);
    expect(Number.isFinite(t.rme)).toBe(true);
    expect(calls).toBeGreaterThan(t.runs);
  });

  it('awaits promises, and times a single call when the budget is 0', async () => {
    const t = await time(() => new Promise((r) => setTimeout(r, 5)), { budgetMs: 0, warmup: 0 });
    expect(t.runs).toBe(1);
    expect(t.minMs).toBeGreaterThanOrEqual(4);
  });

  it('rejects when the timed function throws', async () => {
    await expect(
      time(
        () => {
          throw new Error('boom');
        },
        { warmup: 0 },
      ),
    ).rejects.toThrow('boom');
    await expect(time(() => Promise.reject(new Error('nope')), { warmup: 0 })).rejects.toThrow('nope');
  });
});

describe('bench workloads do the same math in tapegrad and tfjs', () => {
  it('seed CNN logits and two SGD steps, and the LSTM step at batch 81, agree with tfjs-cpu (bench/same-math.ts)', () => {
    // NOTE: in a child process under tsx: tfjs-core's ESM build cannot register its gradients under vitest.
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/same-math.ts'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    const out = JSON.parse(line!) as {
      cnn: { logits: number[][]; losses: number[][] };
      lstm: { tapegrad: number[]; tfjs: number[] };
    };
    const [a, b] = out.cnn.logits;
    expect(a.length).toBe(2 * 10);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
    out.cnn.losses[0].forEach((v, i) => expect(v).toBeCloseTo(out.cnn.losses[1][i], 4));
    expect(out.cnn.losses[0][1]).toBeLessThan(out.cnn.losses[0][0]); // the step did something
    expect(out.lstm.tapegrad[0]).toBeCloseTo(out.lstm.tfjs[0], 4);
  });
});
