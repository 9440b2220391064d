// Plain-loop kernels for a compiled inference executor (src/io/onnx/executor*.ts): the broadcasting and row-wise
// steps the Kernels interface has no method for, so a scalar or per-channel operand is read where it is (never
// broadcast to the full shape) and LayerNormalization / (Log)Softmax are one pass each instead of ~20 ops.
// NOTE: plain typed-array loops like js.ts (the oracle style); the executor calls them on the small tensors where a
// kernel call costs more than the loop, and on row-wise steps of any size.
import type { TypedArray } from '../core/dtype.js';
import type { BinaryOp } from './kernels.js';

/** a op b for one pair, with the NaN rules of js.ts (maximum/minimum propagate NaN). */
function apply(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'pow':
      return Math.pow(a, b);
    case 'maximum':
      return a >= b || a !== a ? a : b;
    case 'minimum':
      return a <= b || a !== a ? a : b;
  }
}

/** out[i] = x[i] op s, or s op x[i] when `scalarFirst` (a scalar operand read once, never broadcast). */
export function scalarBinary(
  op: BinaryOp,
  x: TypedArray,
  s: number,
  scalarFirst: boolean,
  out: TypedArray,
): void {
  const n = out.length;
  // NOTE: the common ops get their own loops (no call per element)
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = x[i] + s;
  else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = x[i] * s;
  else if (op === 'sub' && !scalarFirst) for (let i = 0; i < n; i++) out[i] = x[i] - s;
  else if (op === 'div' && !scalarFirst) for (let i = 0; i < n; i++) out[i] = x[i] / s;
  else if (scalarFirst) for (let i = 0; i < n; i++) out[i] = apply(op, s, x[i]);
  else for (let i = 0; i < n; i++) out[i] = apply(op, x[i], s);
}

/**
 * x viewed as [outer, mid, inner] and v [mid]: out[o, m, i] = x[o, m, i] op v[m] (v op x when `vFirst`): a bias
 * [C] on [N, C] (inner 1), a per-channel operand on NCHW (inner H·W) or NHWC (mid C, inner 1).
 */
export function channelBinary(
  op: BinaryOp,
  x: TypedArray,
  v: TypedArray,
  outer: number,
  mid: number,
  inner: number,
  vFirst: boolean,
  out: TypedArray,
): void {
  let p = 0;
  for (let o = 0; o < outer; o++)
    for (let m = 0; m < mid; m++) {
      const s = v[m];
      if (op === 'add') for (let i = 0; i < inner; i++, p++) out[p] = x[p] + s;
      else if (op === 'mul') for (let i = 0; i < inner; i++, p++) out[p] = x[p] * s;
      else if (vFirst) for (let i = 0; i < inner; i++, p++) out[p] = apply(op, s, x[p]);
      else for (let i = 0; i < inner; i++, p++) out[p] = apply(op, x[p], s);
    }
}

/** out = x if x ≥ 0 else α·x (NaN stays NaN). */
export function leakyRelu(x: TypedArray, alpha: number, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = v >= 0 || v !== v ? v : alpha * v;
  }
}

/**
 * Layer normalization of each of `rows` rows of `cols` values: y = (x − μ)/√(σ² + ε)·γ + β with μ, σ² the row's mean
 * and (biased) variance, γ/β of length cols (or null: 1 and 0). Sums in float64.
 */
export function layerNorm(
  x: TypedArray,
  rows: number,
  cols: number,
  gamma: TypedArray | null,
  beta: TypedArray | null,
  eps: number,
  out: TypedArray,
): void {
  for (let r = 0, base = 0; r < rows; r++, base += cols) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += x[base + j];
    const mu = s / cols;
    let q = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[base + j] - mu;
      q += d * d;
    }
    const rstd = 1 / Math.sqrt(q / cols + eps);
    for (let j = 0; j < cols; j++) {
      const y = (x[base + j] - mu) * rstd;
      out[base + j] = (gamma ? y * gamma[j] : y) + (beta ? beta[j] : 0);
    }
  }
}

/**
 * Softmax over the middle axis of x viewed as [outer, mid, inner]: e^(x − max) / Σ e^(x − max), or with `log`
 * (x − max) − log Σ e^(x − max). Sums in float64.
 */
export function softmax(
  x: TypedArray,
  outer: number,
  mid: number,
  inner: number,
  log: boolean,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * mid * inner + i;
      let mx = -Infinity;
      for (let m = 0; m < mid; m++) {
        const v = x[base + m * inner];
        if (v > mx || v !== v) mx = v;
      }
      let s = 0;
      for (let m = 0; m < mid; m++) s += Math.exp(x[base + m * inner] - mx);
      if (log) {
        const ls = Math.log(s);
        for (let m = 0; m < mid; m++) out[base + m * inner] = x[base + m * inner] - mx - ls;
      } else for (let m = 0; m < mid; m++) out[base + m * inner] = Math.exp(x[base + m * inner] - mx) / s;
    }
}
