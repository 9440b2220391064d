// Reference loops of the per-channel rows (ops/norm/rows.ts): batch normalization's statistics and affine map, over x
// viewed as [outer, C, inner] with the channel axis in the middle (inner = 1 channels-last, H·W for NCHW).
// NOTE: every float32 step is rounded as the elementwise kernels round it, and sums run in a JS number (f64). A channel
// of channels-last x (inner = 1) is summed in index order, as the reduce kernel sums: channelMoments then gives the
// bits of mean(x) and mean(square(x − μ)), channelSums those of sum(a) and sum(a·(x − m)). A channel of planes (inner
// > 1) is summed in eight lanes, lane i mod 8 for the first ⌊inner/8⌋·8 values of every plane and one more for the rest,
// combined as ((l0 + l2) + (l4 + l6)) + ((l1 + l3) + (l5 + l7)) + rest: the order of the wasm kernel's f64x2 registers.
// channelAffine gives the bits of (x − m)·s + b. The wasm kernels give these bits on any thread count.
import type { TypedArray } from '../core/dtype.js';

const same = (v: number): number => v;
/** The rounding a store into `out` makes (float32: Math.fround), applied to every intermediate. */
const roundOf = (out: TypedArray): ((v: number) => number) =>
  out instanceof Float32Array ? Math.fround : same;

/** Σ f(o·C·inner + c·inner + i) over o and i for channel c, in the order above. */
function channelSum(outer: number, C: number, inner: number, c: number, f: (j: number) => number): number {
  if (inner === 1) {
    let s = 0;
    for (let o = 0; o < outer; o++) s += f(o * C + c);
    return s;
  }
  const lanes = [0, 0, 0, 0, 0, 0, 0, 0];
  let rest = 0;
  const whole = inner - (inner % 8);
  for (let o = 0; o < outer; o++) {
    const base = (o * C + c) * inner;
    for (let i = 0; i < whole; i++) lanes[i % 8] += f(base + i);
    for (let i = whole; i < inner; i++) rest += f(base + i);
  }
  const [l0, l1, l2, l3, l4, l5, l6, l7] = lanes;
  return l0 + l2 + (l4 + l6) + (l1 + l3 + (l5 + l7)) + rest;
}

/** out [2·C] = [μ | σ²]: each channel's mean and population variance Σ(x − μ)² / n, n = outer·inner. */
export function channelMoments(
  x: TypedArray,
  outer: number,
  C: number,
  inner: number,
  out: TypedArray,
): void {
  const r = roundOf(out);
  const n = outer * inner;
  for (let c = 0; c < C; c++) {
    const mu = r(r(channelSum(outer, C, inner, c, (j) => x[j])) / n);
    const q = channelSum(outer, C, inner, c, (j) => {
      const d = r(x[j] - mu);
      return r(d * d);
    });
    out[c] = mu;
    out[C + c] = r(r(q) / n);
  }
}

/** out = (x − m)·s + b with m, s, b [C] along the channel axis. */
export function channelAffine(
  x: TypedArray,
  m: TypedArray,
  s: TypedArray,
  b: TypedArray,
  outer: number,
  C: number,
  inner: number,
  out: TypedArray,
): void {
  const r = roundOf(out);
  for (let o = 0, j = 0; o < outer; o++)
    for (let c = 0; c < C; c++) {
      const [mc, sc, bc] = [m[c], s[c], b[c]];
      for (let i = 0; i < inner; i++, j++) out[j] = r(r(x[j] - mc) * sc) + bc;
    }
}

/** out [2·C] = [Σ a | Σ a·(x − m)] over every axis but the channel axis. */
export function channelSums(
  a: TypedArray,
  x: TypedArray,
  m: TypedArray,
  outer: number,
  C: number,
  inner: number,
  out: TypedArray,
): void {
  const r = roundOf(out);
  for (let c = 0; c < C; c++) {
    const mc = m[c];
    out[c] = channelSum(outer, C, inner, c, (j) => a[j]);
    out[C + c] = channelSum(outer, C, inner, c, (j) => r(a[j] * r(x[j] - mc)));
  }
}
