// Timing for the benchmarks: Benchmark.js runs each workload in calibrated cycles and keeps the statistics.
import Benchmark from 'benchmark';
import { yieldToEventLoop } from '../../src/core/storage.js';

export interface Timing {
  /** Mean milliseconds per call over every cycle. */
  ms: number;
  /** Mean milliseconds per call in the fastest cycle (what the tables report). */
  minMs: number;
  /** Cycles measured (one call per run when `budgetMs` is 0). */
  runs: number;
  /** Benchmark.js's relative margin of error of the mean, in percent. */
  rme: number;
}

export interface TimeOptions {
  /** Untimed calls before measuring (Benchmark.js then calibrates its cycle length itself). */
  warmup?: number;
  /** Benchmark.js's maxTime: keep sampling cycles until this much time has passed (0: time one call). */
  budgetMs?: number;
  /** Benchmark.js's minSamples. */
  minRuns?: number;
}

/**
 * Time f (awaited when it returns a promise, e.g. a tfjs op followed by reading its data) with Benchmark.js as a
 * deferred benchmark. NOTE: every call, for every framework, ends with one event-loop turn inside the timing, as a
 * training loop that yields per batch does (fit does); it costs ~10–30 µs.
 */
export async function time(f: () => unknown, o: TimeOptions = {}): Promise<Timing> {
  const { warmup = 2, budgetMs = 1500, minRuns = 3 } = o;
  for (let i = 0; i < warmup; i++) {
    await f();
    await yieldToEventLoop();
  }
  if (budgetMs === 0) {
    // NOTE: multi-minute passes (plain-JS convs under --all) are timed once, without Benchmark.js's cycles.
    const t = performance.now();
    await f();
    const ms = performance.now() - t;
    return { ms, minMs: ms, runs: 1, rme: 0 };
  }
  return new Promise((resolve, reject) => {
    const b: Benchmark = new Benchmark({
      defer: true,
      async: true,
      maxTime: budgetMs / 1000,
      minSamples: Math.max(1, minRuns),
      fn(deferred: Benchmark.Deferred) {
        // NOTE: a failure (thrown or rejected) stops the benchmark and rejects, rather than leaving the cycle hanging.
        const fail = (e: unknown): void => {
          b.abort();
          reject(e);
        };
        let r: unknown;
        try {
          r = f();
        } catch (e) {
          fail(e);
          return;
        }
        Promise.resolve(r).then(() => yieldToEventLoop().then(() => deferred.resolve()), fail);
      },
      onComplete() {
        const s = b.stats;
        resolve({
          ms: s.mean * 1000,
          minMs: Math.min(...s.sample) * 1000,
          runs: s.sample.length,
          rme: s.rme,
        });
      },
      onError() {
        reject((b as unknown as { error: unknown }).error);
      },
    } as Benchmark.Options);
    b.run();
  });
}

/** Deterministic values in [-scale, scale) (mulberry32), the same for every framework. */
export function randArray(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Integer labels in [0, classes). */
export function randLabels(n: number, classes: number, seed: number): Int32Array {
  return Int32Array.from(randArray(n, seed), (v) =>
    Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)),
  );
}
