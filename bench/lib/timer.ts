// Timing helpers for the benchmarks: warm up, then repeat until a time budget, and report the median.

export interface Timing {
  /** Median milliseconds per call. */
  ms: number;
  /** Fastest call. */
  minMs: number;
  runs: number;
}

export interface TimeOptions {
  warmup?: number;
  /** Keep measuring until this much time has passed (and at least minRuns calls). */
  budgetMs?: number;
  minRuns?: number;
  maxRuns?: number;
}

function summarize(xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { ms: s[Math.floor(s.length / 2)], minMs: s[0], runs: s.length };
}

/** Let other event-loop tasks run (finalizers that recycle dead tensors' buffers run there), untimed. */
const between = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Time f (awaited when it returns a promise, e.g. a tfjs op followed by reading its data). Every framework gets
 * the same untimed event-loop turn between calls, as in a training loop that yields per batch (fit does).
 */
export async function time(f: () => unknown, o: TimeOptions = {}): Promise<Timing> {
  const { warmup = 2, budgetMs = 1500, minRuns = 3, maxRuns = 200 } = o;
  for (let i = 0; i < warmup; i++) {
    await f();
    await between();
  }
  const xs: number[] = [];
  const end = performance.now() + budgetMs;
  while (xs.length < maxRuns && (xs.length < minRuns || performance.now() < end)) {
    const t = performance.now();
    await f();
    xs.push(performance.now() - t);
    await between();
  }
  return summarize(xs);
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
