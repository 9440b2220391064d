// Shared test helpers for the backend suites: the loaded wasm kernels, random arrays, window geometries, comparisons.
import fc from 'fast-check';
import { expect } from 'vitest';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { wasmBackend } from '../../src/backend/wasm/node.js';
import type { WasmKernels } from '../../src/backend/wasm/wasm-kernels.js';

/** The wasm backend; fails loudly when build/wasm/kernels.wasm is missing (run `npm run build:wasm`). */
export function wasm(): WasmKernels {
  if (!wasmBackend) throw new Error('wasm backend did not load: run `npm run build:wasm` first');
  return wasmBackend;
}

/** Deterministic pseudo-random float32 values in [-1, 1) from a seed (mulberry32). */
export function randF32(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Bitwise equality of two arrays (NaN equals NaN, -0 differs from 0). */
export function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, what = ''): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) expect.fail(`${what} differs at ${i}: ${a[i]} vs ${b[i]}`);
}

/** |a - b| <= atol + rtol·|b| elementwise (NaN must match NaN). */
export function expectClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = '',
): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]) && Number.isNaN(a[i])) continue;
    if (a[i] === b[i]) continue;
    if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i])))
      expect.fail(`${what} differs at ${i}: ${a[i]} vs ${b[i]}`);
  }
}

/** Size of one float32 unit in the last place at |v| (the subnormal spacing at 0). */
export function ulpF32(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** |a - b| <= ulps · ulp(b) elementwise (NaN must match NaN, infinities must match). */
export function expectUlps(a: ArrayLike<number>, b: ArrayLike<number>, ulps: number, what = ''): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i]) || (Number.isNaN(a[i]) && Number.isNaN(b[i])) || a[i] === b[i]) continue;
    if (!(Math.abs(a[i] - b[i]) <= ulps * ulpF32(b[i])))
      expect.fail(`${what} differs at ${i}: ${a[i]} vs ${b[i]} (> ${ulps} ulp)`);
  }
}

/** A k×k window's geometry on n×h×w×c images: stride s, dilation d (or dh/dw apart), padding pt/pl (pb/pr default to them). */
export function squareGeom(
  n: number,
  h: number,
  w: number,
  c: number,
  k: number,
  opts: {
    s?: number;
    d?: number;
    dh?: number;
    dw?: number;
    pt?: number;
    pl?: number;
    pb?: number;
    pr?: number;
  } = {},
): WindowGeom {
  const { s = 1, d = 1, pt = 0, pl = 0, pb = pt, pr = pl } = opts;
  const { dh = d, dw = d } = opts;
  return {
    n,
    h,
    w,
    c,
    kh: k,
    kw: k,
    strideH: s,
    strideW: s,
    dilationH: dh,
    dilationW: dw,
    padTop: pt,
    padLeft: pl,
    outH: Math.floor((h + pt + pb - (k - 1) * dh - 1) / s) + 1,
    outW: Math.floor((w + pl + pr - (k - 1) * dw - 1) / s) + 1,
  };
}

/** Random window geometries (conv or pool) with odd sizes, strides, dilations and asymmetric padding. */
export const geomArb = (maxN = 3): fc.Arbitrary<WindowGeom> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: maxN }),
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      c: fc.integer({ min: 1, max: 9 }),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      strideH: fc.integer({ min: 1, max: 3 }),
      strideW: fc.integer({ min: 1, max: 3 }),
      dilationH: fc.integer({ min: 1, max: 2 }),
      dilationW: fc.integer({ min: 1, max: 2 }),
      pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
    })
    .map(({ pads: [pt, pb, pl, pr], ...g }) => {
      const ekh = (g.kh - 1) * g.dilationH + 1;
      const ekw = (g.kw - 1) * g.dilationW + 1;
      // NOTE: padding smaller than the effective window (as pooling requires), at least one output position.
      const padTop = Math.min(pt, ekh - 1);
      const padLeft = Math.min(pl, ekw - 1);
      const outH = Math.max(1, Math.floor((g.h + padTop + Math.min(pb, ekh - 1) - ekh) / g.strideH) + 1);
      const outW = Math.max(1, Math.floor((g.w + padLeft + Math.min(pr, ekw - 1) - ekw) / g.strideW) + 1);
      return { ...g, padTop, padLeft, outH, outW };
    });

/** Float32 values including the special ones (NaN, ±Infinity, ±0, subnormals). */
export const f32Arb = fc.float({ noDefaultInfinity: false });
