// Soak test: train the seed CNN for thousands of steps (fit + ModelCheckpoint saves) and sample heap, RSS and
// ArrayBuffer memory as the program finds them — no forced garbage collection anywhere — plus the process's peak RSS.
// After warm-up they must stay flat, and the peak must stay under an absolute bound. `npm run soak -- --steps 20000`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tg from '../src/index.js';
import { seedNetwork } from '../test/support/seed-network.js';

export interface SoakOptions {
  /** Training steps (batches) in total (default 5000). */
  steps?: number;
  batchSize?: number;
  /** Sample memory every this many steps (default steps / 100). */
  sampleEvery?: number;
  /** Steps before the baseline is taken (default 20% of the run, at least 50). */
  warmup?: number;
  /** Save a checkpoint every this many steps (0 = never; default 500). */
  checkpointEvery?: number;
  threads?: number;
  /** Stop (at the end of the current 8-step epoch) once this many seconds have passed. */
  maxSeconds?: number;
  log?: (line: string) => void;
}

export interface MemorySample {
  step: number;
  heapUsed: number;
  rss: number;
  arrayBuffers: number;
  loss: number;
}

export interface SoakResult {
  steps: number;
  seconds: number;
  samples: MemorySample[];
  /** Growth after warm-up: median of the last quarter of the samples minus median of the first quarter, in bytes. */
  growth: { heapUsed: number; rss: number; arrayBuffers: number };
  /** Least-squares slope after warm-up, in bytes per 1000 steps. */
  slopePer1000: { heapUsed: number; rss: number; arrayBuffers: number };
  /** Always false: the script never calls gc(), so the samples are what a user's process holds. */
  forcedGc: false;
  /** Peak RSS of the whole run (process.resourceUsage().maxRSS: between samples too), and the largest sample. */
  peakRss: number;
  maxSampledRss: number;
  checkpoints: number;
}

const MiB = 1024 ** 2;
const fmt = (b: number) => `${(b / MiB).toFixed(2)} MiB`;

function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den; // least squares: Σ(x-x̄)(y-ȳ) / Σ(x-x̄)²
}

/** Run the soak loop and return the memory samples and their growth after warm-up. */
export async function soak(o: SoakOptions = {}): Promise<SoakResult> {
  const steps = o.steps ?? 5000;
  const batchSize = o.batchSize ?? 32;
  const sampleEvery = o.sampleEvery ?? Math.max(1, Math.floor(steps / 100));
  const warmup = o.warmup ?? Math.max(50, Math.floor(steps / 5));
  const checkpointEvery = o.checkpointEvery ?? 500;
  const log = o.log ?? ((l: string) => console.log(l));
  if (o.threads) tg.setNumThreads(o.threads);
  const dir = mkdtempSync(join(tmpdir(), 'tg-soak-'));
  tg.setSeed(7);
  // a fixed pool of synthetic images: 8 batches' worth, so each epoch is 8 steps
  const perEpoch = 8;
  const x = tg.rand([perEpoch * batchSize, 32, 32, 3]);
  const y = tg.randint([perEpoch * batchSize], 0, 10);
  const model = seedNetwork();
  model.buildModel([null, 32, 32, 3]);
  model.compile({
    optimizer: tg.train.adam(0.001),
    loss: (t, p) => tg.losses.sparseCategoricalCrossentropy(t, p, { fromLogits: true }),
  });
  const samples: MemorySample[] = [];
  const t0 = performance.now();
  let step = 0;
  let checkpoints = 0;
  const sampler: tg.Callback = {
    onBatchEnd: async (_b, logs) => {
      step++;
      if (checkpointEvery && step % checkpointEvery === 0) {
        await tg.saveCheckpoint(join(dir, 'soak.safetensors'), model, { metadata: { step: String(step) } });
        checkpoints++;
      }
      if (o.maxSeconds && (performance.now() - t0) / 1000 > o.maxSeconds) model.stopTraining = true;
      if (step % sampleEvery === 0 || step === steps) {
        // NOTE: no gc() here or anywhere: a forced collection would hide what a user's loop holds.
        const m = process.memoryUsage();
        samples.push({
          step,
          heapUsed: m.heapUsed,
          rss: m.rss,
          arrayBuffers: m.arrayBuffers,
          loss: logs?.loss ?? NaN,
        });
      }
    },
  };
  log(
    `soak: ${o.maxSeconds ? `up to ${steps} steps or ${o.maxSeconds} s` : `${steps} steps`} of the seed CNN, batch ${batchSize}, ${tg.getBackend()} backend, ${tg.getNumThreads()} thread(s), no forced GC`,
  );
  try {
    await model.fit(x, y, {
      epochs: Math.ceil(steps / perEpoch),
      batchSize,
      verbose: 0,
      shuffle: true,
      callbacks: [sampler],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  let after = samples.filter((s) => s.step >= warmup);
  if (after.length < 4) after = samples.slice(Math.floor(samples.length / 2));
  const first = after[0];
  type Key = 'heapUsed' | 'rss' | 'arrayBuffers';
  const q = Math.max(1, Math.floor(after.length / 4));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const growth = (k: Key) =>
    median(after.slice(-q).map((s) => s[k])) - median(after.slice(0, q).map((s) => s[k]));
  const key = (k: Key) =>
    slope(
      after.map((s) => s.step),
      after.map((s) => s[k]),
    ) * 1000;
  const result: SoakResult = {
    steps: step,
    seconds,
    samples,
    growth: { heapUsed: growth('heapUsed'), rss: growth('rss'), arrayBuffers: growth('arrayBuffers') },
    slopePer1000: { heapUsed: key('heapUsed'), rss: key('rss'), arrayBuffers: key('arrayBuffers') },
    forcedGc: false,
    peakRss: process.resourceUsage().maxRSS * 1024, // maxRSS is in KiB
    maxSampledRss: Math.max(...samples.map((s) => s.rss)),
    checkpoints,
  };
  const every = Math.max(1, Math.floor(samples.length / 10));
  log('   step   heapUsed        rss   arrayBuffers    loss');
  for (const s of samples.filter((_, i) => i % every === 0 || i === samples.length - 1))
    log(
      `${String(s.step).padStart(7)} ${fmt(s.heapUsed).padStart(10)} ${fmt(s.rss).padStart(10)} ${fmt(s.arrayBuffers).padStart(14)}  ${s.loss.toFixed(4)}`,
    );
  log(
    `soak: ${step} steps in ${seconds.toFixed(1)} s (${(step / seconds).toFixed(1)} steps/s), ${checkpoints} checkpoints; after warm-up (step ${first.step}): ` +
      `heap ${fmt(result.growth.heapUsed)} (${fmt(result.slopePer1000.heapUsed)}/1000 steps), rss ${fmt(result.growth.rss)} (${fmt(result.slopePer1000.rss)}/1000 steps), ` +
      `arrayBuffers ${fmt(result.growth.arrayBuffers)}; peak RSS ${fmt(result.peakRss)} (largest sample ${fmt(result.maxSampledRss)})`,
  );
  return result;
}

/** The bounds a run breaks, each with its measured value; empty when it passes. */
export function soakFailures(
  r: SoakResult,
  b: { maxHeap: number; maxRss: number; maxAbsRss: number },
): string[] {
  const out: string[] = [];
  if (r.growth.heapUsed >= b.maxHeap)
    out.push(`heap grew ${fmt(r.growth.heapUsed)} after warm-up, bound ${fmt(b.maxHeap)}`);
  if (r.growth.rss >= b.maxRss)
    out.push(`RSS grew ${fmt(r.growth.rss)} after warm-up, bound ${fmt(b.maxRss)}`);
  if (r.peakRss > b.maxAbsRss) out.push(`peak RSS ${fmt(r.peakRss)}, bound ${fmt(b.maxAbsRss)} (issue 12)`);
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const num = (n: string) => (arg(n) === undefined ? undefined : Number(arg(n)));
  const r = await soak({
    steps: num('steps'),
    batchSize: num('batch'),
    sampleEvery: num('sample-every'),
    warmup: num('warmup'),
    checkpointEvery: num('checkpoint-every'),
    threads: num('threads'),
    maxSeconds: num('seconds'),
  });
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify(r, null, 1));
  // NOTE: the growth bounds scale with the run: a leak of even 1 KiB per step shows as ≥ 1 MiB per 1000 steps. Without
  // forced collections the heap samples swing with V8's own schedule, so its bound is wider than a post-GC one.
  const maxHeap = Number(arg('max-heap-mib') ?? 32) * MiB;
  const maxRss = Number(arg('max-rss-mib') ?? 64) * MiB;
  // issue 12: every example, and this run, within 512 MiB of RSS
  const maxAbsRss = Number(arg('max-abs-rss-mib') ?? 512) * MiB;
  const failures = soakFailures(r, { maxHeap, maxRss, maxAbsRss });
  console.log(
    failures.length
      ? `soak: FAIL (${failures.join('; ')})`
      : `soak: PASS (heap and RSS flat after warm-up, peak RSS ${fmt(r.peakRss)} ≤ ${fmt(maxAbsRss)})`,
  );
  process.exit(failures.length ? 1 : 0);
}
