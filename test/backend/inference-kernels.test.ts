// The inference executor's plain-loop kernels (src/backend/inference-kernels.ts) against naive float64 references
// written here: scalar and per-channel operands, LeakyRelu, LayerNormalization, (Log)Softmax over any axis, the
// small dense product, and the rational tanh / erf against the exact functions rounded to float32; and, bundled as
// the published build is, that no kernel allocates per value.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  channelAffine,
  channelBinary,
  denseRows,
  erfRational,
  layerNorm,
  leakyRelu,
  scalarBinary,
  softmax,
  tanhRational,
} from '../../src/backend/inference-kernels.js';
import { erf } from '../../src/backend/js.js';

let seed = 5;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
};
const f32 = (n: number, scale = 4) => Float32Array.from({ length: n }, () => rand() * scale);
const near = (got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-6) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(want[i])));
};

describe('inference kernels', () => {
  it('scalar operands on either side, with NaN propagating through maximum', () => {
    const x = f32(13);
    x[3] = NaN;
    for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const)
      for (const first of [false, true]) {
        const out = new Float32Array(13);
        scalarBinary(op, x, 1.5, first, out);
        const f = (a: number, b: number) =>
          op === 'add'
            ? a + b
            : op === 'sub'
              ? a - b
              : op === 'mul'
                ? a * b
                : op === 'div'
                  ? a / b
                  : op === 'pow'
                    ? a ** b
                    : Number.isNaN(a) || Number.isNaN(b)
                      ? NaN
                      : op === 'maximum'
                        ? Math.max(a, b)
                        : Math.min(a, b);
        const want = Float32Array.from(x, (v) => (first ? f(1.5, v) : f(v, 1.5)));
        want.forEach((w, i) =>
          Number.isNaN(w) ? expect(out[i]).toBeNaN() : expect(out[i]).toBeCloseTo(w, 5),
        );
      }
  });

  it('per-channel operands over [outer, mid, inner], either side', () => {
    const [outer, mid, inner] = [3, 4, 5];
    const x = f32(outer * mid * inner);
    const v = f32(mid);
    for (const first of [false, true]) {
      const out = new Float32Array(x.length);
      channelBinary('sub', x, v, outer, mid, inner, first, out);
      const want = Float32Array.from(x, (a, i) => {
        const m = Math.floor(i / inner) % mid;
        return first ? v[m] - a : a - v[m];
      });
      near(out, want);
    }
  });

  it('a per-channel affine pass over [outer, mid, inner]', () => {
    const [outer, mid, inner] = [2, 3, 4];
    const x = f32(outer * mid * inner);
    const a = f32(mid);
    const b = f32(mid);
    const out = new Float32Array(x.length);
    channelAffine(x, a, b, outer, mid, inner, out);
    near(
      out,
      Float32Array.from(x, (v, i) => {
        const m = Math.floor(i / inner) % mid;
        return v * a[m] + b[m];
      }),
    );
  });

  it('LeakyRelu keeps NaN and scales negatives only', () => {
    const x = Float32Array.from([-2, -0.5, 0, 3, NaN]);
    const out = new Float32Array(5);
    leakyRelu(x, 0.1, out);
    expect(Array.from(out.slice(0, 4))).toEqual([Math.fround(-0.2), Math.fround(-0.05), 0, 3]);
    expect(out[4]).toBeNaN();
  });

  it('LayerNormalization and (Log)Softmax against float64 loops', () => {
    const [rows, cols] = [6, 7];
    const x = f32(rows * cols);
    const g = f32(cols);
    const b = f32(cols);
    const out = new Float32Array(x.length);
    layerNorm(x, rows, cols, g, b, 1e-3, out);
    const want = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.slice(r * cols, (r + 1) * cols));
      const mu = row.reduce((s, v) => s + v, 0) / cols;
      const va = row.reduce((s, v) => s + (v - mu) ** 2, 0) / cols;
      row.forEach((v, j) => (want[r * cols + j] = ((v - mu) / Math.sqrt(va + 1e-3)) * g[j] + b[j]));
    }
    near(out, want);
    // softmax over the middle axis of [2, 5, 3]
    const y = f32(30, 10);
    for (const log of [false, true]) {
      const o = new Float32Array(30);
      softmax(y, 2, 5, 3, log, o);
      const w = new Float64Array(30);
      for (let a = 0; a < 2; a++)
        for (let c = 0; c < 3; c++) {
          const idx = [0, 1, 2, 3, 4].map((m) => a * 15 + m * 3 + c);
          const s = idx.reduce((t, i) => t + Math.exp(y[i]), 0);
          idx.forEach((i) => (w[i] = log ? y[i] - Math.log(s) : Math.exp(y[i]) / s));
        }
      near(o, w);
    }
  });

  it('small dense products, with and without bias, widths around the 4-wide blocks', () => {
    for (const [rows, k, o] of [
      [3, 5, 7],
      [2, 1, 4],
      [1, 9, 1],
      [4, 6, 8],
    ]) {
      const x = f32(rows * k);
      const w = f32(o * k);
      const bias = f32(o);
      for (const b of [bias, null]) {
        const out = new Float32Array(rows * o);
        denseRows(x, w, b, rows, k, o, out);
        const want = new Float64Array(rows * o);
        for (let r = 0; r < rows; r++)
          for (let j = 0; j < o; j++) {
            let s = b ? b[j] : 0;
            for (let q = 0; q < k; q++) s += x[r * k + q] * w[j * k + q];
            want[r * o + j] = s;
          }
        near(out, want);
      }
    }
  });

  it('rational tanh and erf are within 3e-7 of the exact functions in float32, and keep NaN and ±Inf', () => {
    const xs = Float32Array.from({ length: 40001 }, (_, i) => (i - 20000) / 2000);
    const t = new Float32Array(xs.length);
    const e = new Float32Array(xs.length);
    tanhRational(xs, t);
    erfRational(xs, e);
    let worst = 0;
    xs.forEach((v, i) => {
      const wt = Math.fround(Math.tanh(v));
      const we = Math.fround(erf(v));
      if (wt !== 0) worst = Math.max(worst, Math.abs(t[i] - wt) / Math.abs(wt));
      if (we !== 0) worst = Math.max(worst, Math.abs(e[i] - we) / Math.abs(we));
    });
    expect(worst).toBeLessThanOrEqual(3e-7);
    const edge = Float32Array.from([NaN, Infinity, -Infinity, 1e-30]);
    const o = new Float32Array(4);
    tanhRational(edge, o);
    expect(o[0]).toBeNaN();
    expect(Array.from(o.slice(1))).toEqual([1, -1, Math.fround(1e-30)]);
    erfRational(edge, o);
    expect(o[0]).toBeNaN();
    expect(o[1]).toBe(1);
    expect(o[2]).toBe(-1);
  });
});

/**
 * The child that runs each bundled kernel: optimized first (the interpreter boxes every float), then 20,000 calls
 * over 512 values while a 'gc' observer counts young-generation collections; prints them as JSON by kernel.
 * NOTE: a child `node`, not an import here: vitest's module runner re-transforms an imported file, and the module
 * it runs does not box where the native one does.
 */
const CHILD = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
const k = await import(process.argv[2]);
let seed = 5;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed / 2147483648 - 0.5);
const f32 = (n) => Float32Array.from({ length: n }, () => rand() * 4);
const x = f32(512), v = f32(16), out = new Float32Array(512), b1 = v.subarray(0, 1), out32 = out.subarray(0, 32);
const runs = {
  tanhRational: () => k.tanhRational(x, out),
  erfRational: () => k.erfRational(x, out),
  leakyRelu: () => k.leakyRelu(x, 0.1, out),
  scalarBinary: () => k.scalarBinary('maximum', x, 0.5, false, out),
  channelBinary: () => k.channelBinary('add', x, v, 32, 16, 1, false, out),
  channelAffine: () => k.channelAffine(x, v, v, 32, 16, 1, out),
  layerNorm: () => k.layerNorm(x, 32, 16, v, v, 1e-5, out),
  softmax: () => k.softmax(x, 32, 16, 1, false, out),
  denseRows: () => k.denseRows(x, v, b1, 32, 16, 1, out32),
};
const got = {};
for (const [name, f] of Object.entries(runs)) {
  // warm-up in rounds with pauses between: V8 compiles the optimized code on another thread, and on a loaded machine it
  // lands later; calls before it run unoptimized code, which boxes floats (collections that are not the kernel's)
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 1000; i++) f();
    await new Promise((r) => setTimeout(r, 20));
  }
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) n++;
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < 20000; i++) f();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  got[name] = n;
}
console.log(JSON.stringify(got));
`;

describe('inference kernels, bundled as the published build is', () => {
  // NOTE: a bundler (tsup, esbuild) turns module-level consts into vars; once V8 optimizes a loop that merges such a
  // var with a float (`v > C ? C : v`), it keeps the merged value as a boxed number: a heap allocation per value,
  // 8 KiB per call of a 512-value tanh (~160 young-generation collections in 20,000 calls) in the published build
  // only (tsx and vitest keep the consts).
  it('no kernel allocates per value: 20,000 optimized calls run with no young-generation collection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-kernels-'));
    try {
      const bundle = join(dir, 'kernels.mjs');
      await build({
        entryPoints: [new URL('../../src/backend/inference-kernels.ts', import.meta.url).pathname],
        bundle: true,
        format: 'esm',
        platform: 'node',
        outfile: bundle,
        logLevel: 'silent',
      });
      const child = join(dir, 'child.mjs');
      writeFileSync(child, CHILD);
      const r = spawnSync(process.execPath, [child, pathToFileURL(bundle).href], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const got = JSON.parse(r.stdout) as Record<string, number>;
      expect(Object.keys(got)).toHaveLength(9);
      // at most a few collections from the harness itself (the observer's entries, the timer, what the previous
      // kernel's loop left in the young generation): a kernel that boxes every value makes ~160
      // NOTE: ≤ 2 failed once in session 25's CI under a loaded run (scalarBinary: 3), and ≤ 8 in session 26's (9), with
      // no kernel changed: the warm-up ran 5,000 calls back to back, so on a loaded machine the measured loop could
      // start before the optimized code was installed (now: rounds with pauses, above)
      expect(Object.entries(got).filter(([, n]) => n > 8)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
