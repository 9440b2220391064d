// Deterministic inputs for the benchmarks: the same arrays for every framework, so each runs the same math.

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
