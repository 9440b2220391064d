// A small slice of `npm run bench`: the timing protocol (bench/lib/measure.ts), the targets logic
// (bench/lib/report.ts), the harness end to end in its tiny mode on one cell, and the claim the tables rest on —
// tapegrad and tfjs run the same math from the same initial values (bench/same-math.ts on tfjs-cpu).
// Nothing here asserts a timing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  KEPT_STEPS,
  interleaved,
  measure,
  measureYielding,
  quantile,
  stats,
  syncLoop,
  warmSteps,
  yieldingLoop,
} from '../../bench/lib/measure.js';
import { type Cell, cellTable, targets, throughput } from '../../bench/lib/report.js';
import type { CellResult } from '../../bench/worker.js';
import { type FrameworkId, WORKLOADS, firstStepsProcesses } from '../../bench/workloads.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tg-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bench timing protocol', () => {
  it('quantile interpolates between order statistics like a naive sort-and-index', () => {
    const xs = [9, 1, 5, 3, 7, 2, 8, 4, 6, 10];
    expect(quantile(xs, 0.5)).toBe(5.5); // (5 + 6) / 2
    expect(quantile(xs, 0.9)).toBeCloseTo(9.1, 12); // rank 8.1 between 9 and 10
    expect(quantile([4], 0.9)).toBe(4);
    expect(quantile([1, 2, 3], 0)).toBe(1);
    expect(quantile([1, 2, 3], 1)).toBe(3);
    const s = stats([3, 1, 2]);
    expect(s).toEqual({ n: 3, median: 2, p90: 2.8, mean: 2, min: 1, max: 3 });
    expect(() => quantile([], 0.5)).toThrow(/no values/);
  });

  it('the synchronous loop never gives the event loop a turn; the yielding loop gives one per step', async () => {
    let immediates = 0;
    const tick = () => {
      immediates++;
    };
    const step = () => void setImmediate(tick); // each step queues one macrotask
    await syncLoop(step, { minSteps: 5, maxSteps: 5, budgetMs: 0 });
    expect(immediates).toBe(0); // none ran inside the loop
    await new Promise((r) => setImmediate(r));
    expect(immediates).toBe(5);
    immediates = 0;
    await yieldingLoop(step, { minSteps: 4, maxSteps: 4, budgetMs: 0 });
    expect(immediates).toBe(4);
  });

  it('awaits steps that return promises, in both loops', async () => {
    let done = 0;
    const step = () => new Promise<void>((r) => setTimeout(() => (done++, r()), 1));
    const t = await syncLoop(step, { minSteps: 3, maxSteps: 3, budgetMs: 0 });
    expect(done).toBe(3);
    expect(t.every((ms) => ms > 0)).toBe(true);
    await yieldingLoop(step, { minSteps: 2, maxSteps: 2, budgetMs: 0 });
    expect(done).toBe(5);
  });

  it('first steps, steady statistics and the 5th-step check come from the one synchronous run', async () => {
    let calls = 0;
    const m = await measure(
      () => {
        calls++;
      },
      { minSteps: 30, maxSteps: 30, budgetMs: 0 },
    );
    expect(calls).toBe(30);
    expect(m.syncTimes).toHaveLength(30);
    expect(m.syncSteps).toBe(30);
    expect(warmSteps(m.syncTimes)).toBe(5); // no warm-up window: the first 5 steps
    expect(m.sync).toEqual(stats(m.syncTimes.slice(5)));
    expect(m.firstMs).toBeCloseTo(m.syncTimes.slice(0, 5).reduce((a, b) => a + b) / 5, 12);
    expect(m.from5th).toBeCloseTo(quantile(m.syncTimes.slice(4, 10), 0.5) / m.sync.median, 12);
    expect(m.yielding).toBeNull(); // the yielding loop runs on a fresh model in a process of its own
    await expect(measure(() => undefined, { minSteps: 1, maxSteps: 1, budgetMs: 0 })).rejects.toThrow(
      /at least 2 steps/,
    );
  });

  it('the yielding loop leaves out the same warm-up window as the synchronous one', async () => {
    const spin = () => {
      const end = performance.now() + 1;
      while (performance.now() < end);
    };
    let calls = 0;
    const o = { minSteps: 1, maxSteps: 500, budgetMs: 0, warmupMs: 15, minSteady: 4 };
    const y = await measureYielding(() => {
      calls++;
      spin();
    }, o);
    expect(y.n).toBe(4); // minSteady steps after the window
    expect(calls).toBeGreaterThanOrEqual(4 + 5); // and at least 5 of warm-up before them
    const n = await measureYielding(() => undefined, { minSteps: 12, maxSteps: 12, budgetMs: 0 });
    expect(n.n).toBe(7); // no window: the first 5 steps
    await expect(measureYielding(() => undefined, { minSteps: 1, maxSteps: 1, budgetMs: 0 })).rejects.toThrow(
      /at least 2 steps/,
    );
  });

  it('the warm-up is a window in time (the same in quick and full runs), never fewer than 5 steps', () => {
    const tens = new Array<number>(30).fill(10); // steps start at 0, 10, 20, ... ms
    expect(warmSteps(tens, 95)).toBe(10); // the steps that start at 0..90 ms
    expect(warmSteps(tens, 100)).toBe(10); // the one that starts at 100 ms is steady
    expect(warmSteps(tens, 0)).toBe(5);
    expect(warmSteps(tens, 20)).toBe(5);
    expect(warmSteps(tens, 1e9)).toBe(29); // at least one steady step is left
    expect(warmSteps([1, 1, 1], 0)).toBe(2);
    expect(warmSteps([50, 1, 1, 1, 1, 1, 1, 1], 40)).toBe(5); // one long first step ends the window early
  });

  it('the synchronous loop keeps stepping until minSteady steps follow the warm-up window', async () => {
    const spin = () => {
      const end = performance.now() + 1;
      while (performance.now() < end);
    };
    const t = await syncLoop(spin, { minSteps: 1, maxSteps: 500, budgetMs: 0, warmupMs: 15, minSteady: 4 });
    expect(t.length - warmSteps(t, 15)).toBe(4);
    expect(t.slice(0, warmSteps(t, 15)).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(15);
    const m = await measure(spin, { minSteps: 1, maxSteps: 500, budgetMs: 0, warmupMs: 15, minSteady: 4 });
    expect(m.sync).toEqual(stats(m.syncTimes.slice(warmSteps(m.syncTimes, 15))));
    expect(m.sync.n).toBe(4);
  });

  it('keeps the first KEPT_STEPS step times and takes the statistics over every step', async () => {
    const n = KEPT_STEPS + 500;
    const m = await measure(() => undefined, { minSteps: n, maxSteps: n, budgetMs: 0 });
    expect(m.syncSteps).toBe(n);
    expect(m.syncTimes).toHaveLength(KEPT_STEPS);
    expect(m.sync.n).toBe(n - 5);
    const many = Array.from({ length: 300_000 }, (_, i) => i % 7); // past Math.min(...xs)'s argument limit
    expect(stats(many)).toMatchObject({ n: 300_000, min: 0, max: 6 });
  });

  it('interleaved times two steps alternately, the order swapped every round, after a shared warm-up', async () => {
    const order: string[] = [];
    const r = await interleaved(
      () => void order.push('a'),
      () => Promise.resolve().then(() => void order.push('b')), // awaited like the loops await
      { minSteps: 4, maxSteps: 100, budgetMs: 0 },
    );
    expect(order.slice(0, 6)).toEqual(['a', 'b', 'b', 'a', 'a', 'b']);
    let immediates = 0;
    await interleaved(
      () => void setImmediate(() => immediates++),
      () => undefined,
      { minSteps: 3, maxSteps: 100, budgetMs: 0 },
    );
    expect(immediates).toBe(0); // no task ran between the steps: a synchronous loop
    await new Promise((r) => setImmediate(r));
    expect(immediates).toBe(8);
    expect(order.filter((x) => x === 'a')).toHaveLength(9); // 5 warm-up rounds, then minSteps steady ones
    expect(r.a.n).toBe(4);
    expect(r.b.n).toBe(4);
    const spin = (ms: number) => () => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const t = await interleaved(spin(2), spin(1), {
      minSteps: 3,
      maxSteps: 500,
      budgetMs: 0,
      warmupMs: 30,
      minSteady: 6,
    });
    expect(t.a.n).toBe(6);
    expect(t.a.median).toBeGreaterThan(t.b.median); // 2 ms against 1 ms of spinning
    await expect(interleaved(spin(0), spin(0), { minSteps: 1, maxSteps: 3, budgetMs: 0 })).rejects.toThrow(
      /no steady round/,
    );
    const blocks: string[] = [];
    const rb = await interleaved(
      () => void blocks.push('a'),
      () => void blocks.push('b'),
      { minSteps: 2, maxSteps: 100, budgetMs: 0 },
      3,
    );
    expect(blocks.join('').slice(0, 18)).toBe('aaabbbbbbaaaaaabbb'); // a block of 3 per side, the order swapped per round
    expect(blocks).toHaveLength(2 * 3 * 7); // 5 warm-up rounds and 2 steady ones
    expect(rb.a.n).toBe(2 * 3); // the steady rounds' steps
    expect(rb.b.n).toBe(2 * 3);
  });

  it('a step that throws stops the loop with its error', async () => {
    const boom = () => {
      throw new Error('boom');
    };
    await expect(syncLoop(boom, { minSteps: 3, maxSteps: 3, budgetMs: 0 })).rejects.toThrow('boom');
    await expect(
      yieldingLoop(() => Promise.reject(new Error('nope')), { minSteps: 1, maxSteps: 1, budgetMs: 0 }),
    ).rejects.toThrow('nope');
  });
});

describe('bench targets table', () => {
  const cell = (
    workload: string,
    framework: CellResult['framework'],
    syncMs: number,
    yieldMs = syncMs,
  ): CellResult => ({
    workload,
    framework,
    rssSetupMiB: 100,
    rssPeakMiB: 200,
    m: {
      syncTimes: [syncMs],
      syncSteps: 1,
      firstMs: syncMs,
      sync: stats([syncMs]),
      from5th: 1,
      yielding: stats([yieldMs]),
    },
  });

  it('turns medians into units and ratios from the same run, and says what was not measured', () => {
    const w = WORKLOADS.find((x) => x.id === 'cnn-train')!;
    expect(throughput(w, 8)).toBe(4000); // 32 images in 8 ms
    expect(
      throughput(
        WORKLOADS.find((x) => x.id === 'sgemm-1024')!,
        1000,
      ),
    ).toBeCloseTo((2 * 1024 ** 3) / 1e9, 9);
    const cells: Cell[] = [
      cell('cnn-train', 'tapegrad', 8, 6), // 4,000 images/s sync, yielding faster
      cell('cnn-train', 'convnetjs', 320), // 100 images/s
      { workload: 'cnn-train', framework: 'pytorch', missing: 'not run' },
      cell('lstm-cells', 'tapegrad', 40),
      cell('lstm-cells', 'jax-js-jit', 60),
    ];
    const rows = targets(cells);
    const get = (s: string) => rows.find((r) => r.target.includes(s))!;
    expect(get('≥ 20× ConvNetJS')).toEqual({ target: expect.any(String), measured: '40.00×', met: true });
    expect(get('yielding per step')).toMatchObject({ measured: '0.75×', met: false });
    expect(get('explicit cells ≤ 0.5× jax-js')).toMatchObject({ measured: '0.67×', met: false });
    expect(get('as fast as PyTorch')).toMatchObject({ measured: 'not measured', met: null });
    expect(get('peak RSS')).toMatchObject({ met: null });
    const table = cellTable(cells);
    expect(table).toContain('| seed CNN training step, batch 32 | pytorch | not run |');
    expect(table).toContain('4000 images/s');
  });

  it('the steps 5–10 row shows the median over fresh processes with their range, and one process as it is', () => {
    const c = cell('cnn-train', 'tapegrad', 8);
    const row = (cs: Cell[]) => targets(cs).find((r) => r.target.includes('from the 5th step'))!;
    c.m!.from5th = 1.3;
    expect(row([c])).toMatchObject({ measured: '1.30×', met: false });
    c.m!.from5thRuns = [1.9, 1.1, 1.15];
    c.m!.from5th = quantile(c.m!.from5thRuns, 0.5);
    expect(row([c])).toMatchObject({ measured: '1.15× (median of 3 fresh processes, 1.10–1.90)', met: true });
    expect(cellTable([c])).toContain('| 1.15 (median of 3 fresh processes, 1.10–1.90) |');
    // the target cell asks for 5 processes in full runs, 3 in quick ones, 1 in tiny ones (CI); other cells 1
    const w = WORKLOADS.find((x) => x.id === 'cnn-train')!;
    expect(['full', 'quick', 'tiny'].map((m) => firstStepsProcesses(w, 'tapegrad', m as 'full'))).toEqual([
      5, 3, 1,
    ]);
    expect(firstStepsProcesses(w, 'pytorch', 'full')).toBe(1);
    expect(
      firstStepsProcesses(
        WORKLOADS.find((x) => x.id === 'cnn-infer')!,
        'tapegrad',
        'full',
      ),
    ).toBe(1);
  });

  it('the sync/yielding row takes the median over pairs of fresh processes with their range, else the one pair', () => {
    const c = cell('cnn-train', 'tapegrad', 8, 6);
    const row = (cs: Cell[]) => targets(cs).find((r) => r.target.includes('yielding per step'))!;
    expect(row([c])).toMatchObject({ measured: '0.75×', met: false }); // 6 ms / 8 ms
    c.m!.syncYieldRuns = [0.75, 1.3, 0.95];
    expect(row([c])).toMatchObject({
      measured: '0.95× (median of 3 pairs of fresh processes, 0.75–1.30)',
      met: true,
    });
    c.m!.syncYieldRuns = [0.75];
    expect(row([c])).toMatchObject({ measured: '0.75×', met: false });
    c.m!.yielding = null;
    c.m!.syncYieldRuns = undefined;
    expect(row([c])).toMatchObject({ measured: 'not measured', met: null });
  });

  it('the layers-against-functional rows take the interleaved pair where it ran, else the two cells', () => {
    const cells: Cell[] = [cell('cnn-train', 'tapegrad', 8), cell('cnn-train', 'tapegrad-layers', 10)];
    const layersRow = (cs: Cell[]) => targets(cs).find((r) => r.target.includes('trainOnBatch'))!;
    expect(layersRow(cells)).toMatchObject({ measured: '0.80×', met: false }); // 8 ms / 10 ms
    const pair: CellResult = {
      workload: 'cnn-train-pair',
      framework: 'tapegrad-layers',
      rssSetupMiB: 100,
      rssPeakMiB: 200,
      pair: { a: stats([8.5, 8.5]), b: stats([8, 8]) }, // layers 8.5 ms, functional 8 ms at the same moment
    };
    expect(layersRow([...cells, pair])).toMatchObject({ measured: '0.94×', met: true });
    expect(cellTable([pair])).toContain('interleaved with tapegrad: 8.00 (8.00), n=2');
  });

  it("the rows against tfjs-wasm predict take each framework's own interleaved pair where it ran", () => {
    const cells: Cell[] = [
      cell('cnn-infer', 'tapegrad', 2),
      cell('cnn-infer', 'tapegrad-layers', 2),
      cell('cnn-infer', 'tfjs-wasm-layers', 2),
    ];
    const get = (cs: Cell[], s: string) => targets(cs).find((r) => r.target.includes(s))!;
    expect(get(cells, 'functional ops ≥ 1.5× tfjs-wasm')).toMatchObject({ measured: '1.00×', met: false });
    const pair = (fw: FrameworkId, ms: number): CellResult => ({
      workload: 'cnn-infer-tfjs-pair',
      framework: fw,
      rssSetupMiB: 100,
      rssPeakMiB: 200,
      pair: { a: stats([ms]), b: stats([3]) }, // tfjs-wasm 3 ms at the same moment
    });
    const both = [...cells, pair('tapegrad', 1.5), pair('tapegrad-layers', 2.5)];
    expect(get(both, 'functional ops ≥ 1.5× tfjs-wasm')).toMatchObject({ measured: '2.00×', met: true });
    expect(get(both, 'tg.layers predict ≥ 1.5× tfjs-wasm')).toMatchObject({ measured: '1.20×', met: false });
    expect(cellTable(both)).toContain('interleaved with tfjs-wasm-layers: 3.00 (3.00), n=1');
  });
});

describe('bench harness', () => {
  it('runs cells end to end in their own processes (tiny mode: sgemm, an .onnx file in tapegrad and ONNX Runtime Web, and an interleaved pair) and prints both tables', () => {
    const out = join(tmp, 'bench.json');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run.ts',
        '--tiny',
        '--only=sgemm-256,onnx-mlp,cnn-infer-pair',
        '--frameworks=tapegrad,ort-web,tapegrad-layers',
        `--out=${out}`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('| sgemm 256×256×256 | tapegrad |');
    expect(r.stdout).toContain('| sgemm 256 ≥ 40 GFLOP/s |');
    const j = JSON.parse(readFileSync(out, 'utf8')) as { mode: string; cells: CellResult[] };
    expect(j.mode).toBe('tiny');
    expect(j.cells.map((c) => `${c.workload} ${c.framework}`)).toEqual([
      'sgemm-256 tapegrad',
      'onnx-mlp tapegrad',
      'onnx-mlp ort-web',
      'cnn-infer-pair tapegrad-layers',
    ]);
    expect(r.stdout).toContain('| PyTorch-exported MLP .onnx inference, batch 32 | ort-web |');
    expect(r.stdout).toMatch(
      /\| seed CNN inference sync, tg\.layers predict as fast as functional ops \(≥ 0\.9×\) \| \d+\.\d\d× \|/,
    );
    const pair = j.cells.pop()!;
    expect(pair.pair?.a.n).toBe(1); // tiny: 6 rounds at most, the first 5 of them warm-up
    expect(pair.pair?.b.n).toBe(1);
    for (const c of j.cells) {
      expect(c.m?.syncTimes).toHaveLength(6);
      expect(c.m?.yielding?.n).toBe(1); // a second process: 6 steps of a fresh model, the first 5 warm-up
      expect(c.rssPeakMiB).toBeGreaterThan(c.rssSetupMiB - 1e-9);
      expect(c.rssPeakMiB).toBeGreaterThan(10);
    }
  }, 250_000); // NOTE: above the child's timeout: spawnSync blocks, and a shared machine can be slow
});

describe('bench workloads do the same math in tapegrad and tfjs', () => {
  it('seed CNN logits (ops, tg.fused and layers) and two SGD steps, and the LSTM step at batch 81 (cells and layers + fit), agree with tfjs-cpu, tf.layers and jax-js (bench/same-math.ts)', () => {
    // NOTE: in a child process under tsx: tfjs-core's ESM build cannot register its gradients under vitest.
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/same-math.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    const out = JSON.parse(line!) as {
      cnn: { logits: number[][]; layerProbs: number[][]; losses: number[][] };
      lstm: Record<'tapegrad' | 'tfjs' | 'jax' | 'tapegradLayers' | 'tfjsLayers', number[]>;
    };
    const [a, b, layers, fusedOps] = out.cnn.logits;
    expect(a.length).toBe(2 * 10);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
    a.forEach((v, i) => expect(v).toBeCloseTo(layers[i], 4)); // tg.layers model = functional ops
    a.forEach((v, i) => expect(v).toBeCloseTo(fusedOps[i], 4)); // tg.fused = functional ops
    const [p, q] = out.cnn.layerProbs; // softmax(tg.layers logits) = the tf.layers model's probabilities
    p.forEach((v, i) => expect(v).toBeCloseTo(q[i], 5));
    out.cnn.losses[0].forEach((v, i) => expect(v).toBeCloseTo(out.cnn.losses[1][i], 4));
    expect(out.cnn.losses[0][1]).toBeLessThan(out.cnn.losses[0][0]); // the step did something
    expect(out.lstm.tapegrad[0]).toBeCloseTo(out.lstm.tfjs[0], 4);
    expect(out.lstm.tapegrad[0]).toBeCloseTo(out.lstm.jax[0], 4);
    expect(out.lstm.tapegrad[0]).toBeCloseTo(out.lstm.tapegradLayers[0], 4);
    expect(out.lstm.tapegrad[0]).toBeCloseTo(out.lstm.tfjsLayers[0], 4);
  }, 310_000);
});
