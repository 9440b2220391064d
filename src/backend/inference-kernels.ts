// Plain-loop kernels for a compiled inference executor (src/io/onnx/executor*.ts): the broadcasting and row-wise
// steps the Kernels interface has no method for, so a scalar or per-channel operand is read where it is (never
// broadcast to the full shape) and LayerNormalization / (Log)Softmax are one pass each instead of ~20 ops.
// NOTE: plain typed-array loops like js.ts (the oracle style); the executor calls them on the small tensors where a
// kernel call costs more than the loop, and on row-wise steps of any size.
import type { TypedArray } from '../core/dtype.js';
import { BINARY, intBinaryRule, jsKernels, rowMax, rowSumExp } from './js.js';
// NOTE: the scalar-operand loop is the JS reference's binaryScalar (js.ts); the executor calls it from here
export { scalarBinary } from './js.js';
import type { BinaryOp } from './kernels.js';

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
  // NOTE: int32 mul and pow wrap modulo 2³² (js.ts intBinaryRule), in the per-pair loops at the end
  const int = out instanceof Int32Array && (op === 'mul' || op === 'pow');
  const f = int ? intBinaryRule(op) : BINARY[op];
  let p = 0;
  for (let o = 0; o < outer; o++)
    for (let m = 0; m < mid; m++) {
      const s = v[m];
      if (op === 'add') for (let i = 0; i < inner; i++, p++) out[p] = x[p] + s;
      else if (op === 'mul' && !int) for (let i = 0; i < inner; i++, p++) out[p] = x[p] * s;
      else if (op === 'sub' && !vFirst) for (let i = 0; i < inner; i++, p++) out[p] = x[p] - s;
      else if (op === 'div' && !vFirst) for (let i = 0; i < inner; i++, p++) out[p] = x[p] / s;
      else if (vFirst) for (let i = 0; i < inner; i++, p++) out[p] = f(s, x[p]);
      else for (let i = 0; i < inner; i++, p++) out[p] = f(x[p], s);
    }
}

/** x viewed as [outer, mid, inner]: out[o, m, i] = x[o, m, i]·scale[m] + shift[m] (an inference BatchNormalization). */
export function channelAffine(
  x: TypedArray,
  scale: TypedArray,
  shift: TypedArray,
  outer: number,
  mid: number,
  inner: number,
  out: TypedArray,
): void {
  let p = 0;
  for (let o = 0; o < outer; o++)
    for (let m = 0; m < mid; m++) {
      const a = scale[m];
      const b = shift[m];
      for (let i = 0; i < inner; i++, p++) out[p] = x[p] * a + b;
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
 * x − log Σ e^x (the JS reference's logSoftmax, the tape's row). Sums in float64.
 */
export function softmax(
  x: TypedArray,
  outer: number,
  mid: number,
  inner: number,
  log: boolean,
  out: TypedArray,
): void {
  if (log) return jsKernels.logSoftmax(x, outer, mid, inner, out);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * mid * inner + i;
      const mx = rowMax(x, base, mid, inner);
      const s = rowSumExp(x, base, mid, inner, mx);
      for (let m = 0; m < mid; m++) out[base + m * inner] = Math.exp(x[base + m * inner] - mx) / s;
    }
}

/**
 * out [rows, o] = x [rows, k] · wᵀ (+ bias [o]) for w [o, k] (each output's weights contiguous, ONNX Gemm's transB
 * layout): a small dense product (a Gemm or MatMul of a few rows), each dot product summed in float64.
 * NOTE: blocks of two rows × four outputs (each loaded x and w value used two or four times), then the edges.
 */
export function denseRows(
  x: TypedArray,
  w: TypedArray,
  bias: TypedArray | null,
  rows: number,
  k: number,
  o: number,
  out: TypedArray,
): void {
  const o4 = o - (o % 4);
  let r = 0;
  for (; r + 1 < rows; r += 2) {
    const xa = r * k;
    const xb = xa + k;
    const oa = r * o;
    const ob = oa + o;
    for (let j = 0; j < o4; j += 4) {
      const w0 = j * k;
      const w1 = w0 + k;
      const w2 = w1 + k;
      const w3 = w2 + k;
      let a0 = bias ? bias[j] : 0;
      let a1 = bias ? bias[j + 1] : 0;
      let a2 = bias ? bias[j + 2] : 0;
      let a3 = bias ? bias[j + 3] : 0;
      let b0 = a0;
      let b1 = a1;
      let b2 = a2;
      let b3 = a3;
      for (let q = 0; q < k; q++) {
        const u = x[xa + q];
        const v = x[xb + q];
        const c0 = w[w0 + q];
        const c1 = w[w1 + q];
        const c2 = w[w2 + q];
        const c3 = w[w3 + q];
        a0 += u * c0;
        a1 += u * c1;
        a2 += u * c2;
        a3 += u * c3;
        b0 += v * c0;
        b1 += v * c1;
        b2 += v * c2;
        b3 += v * c3;
      }
      out[oa + j] = a0;
      out[oa + j + 1] = a1;
      out[oa + j + 2] = a2;
      out[oa + j + 3] = a3;
      out[ob + j] = b0;
      out[ob + j + 1] = b1;
      out[ob + j + 2] = b2;
      out[ob + j + 3] = b3;
    }
    for (let j = o4; j < o; j++) {
      const wj = j * k;
      let s = bias ? bias[j] : 0;
      let t = s;
      for (let q = 0; q < k; q++) {
        s += x[xa + q] * w[wj + q];
        t += x[xb + q] * w[wj + q];
      }
      out[oa + j] = s;
      out[ob + j] = t;
    }
  }
  // an odd last row
  for (; r < rows; r++) {
    const xr = r * k;
    for (let j = 0; j < o; j++) {
      const wj = j * k;
      let s = bias ? bias[j] : 0;
      for (let q = 0; q < k; q++) s += x[xr + q] * w[wj + q];
      out[r * o + j] = s;
    }
  }
}

// Rational approximations for float32 results, the coefficients of Eigen's generic_fast_tanh_float and
// generic_fast_erf_float (Eigen/src/Core/MathFunctionsImpl.h): ≤ 3e-7 relative error against the exact function
// rounded to float32 (test/backend/inference-kernels.test.ts), several times faster than Math.tanh / js.ts's erf.
const T1 = 4.89352455891786e-3;
const T3 = 6.37261928875436e-4;
const T5 = 1.48572235717979e-5;
const T7 = 5.12229709037114e-8;
const T9 = -8.60467152213735e-11;
const T11 = 2.00018790482477e-13;
const T13 = -2.76076847742355e-16;
const U0 = 4.89352518554385e-3;
const U2 = 2.268434632439e-3;
const U4 = 1.18534705686654e-4;
const U6 = 1.19825839466702e-6;
const TANH_CLAMP = 7.90531110763549805;

/**
 * out = tanh(x): x·p(x²)/q(x²) on x clamped to ±7.9, x itself below 4e-4, exactly ±1 from ±9 (where float32 tanh
 * is ±1). NaN stays NaN.
 */
export function tanhRational(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    if (v >= 9 || v <= -9) {
      out[i] = v > 0 ? 1 : -1;
      continue;
    }
    // NOTE: min/max, not `v > TANH_CLAMP ? TANH_CLAMP : …`: a bundler (tsup, esbuild) turns module-level consts
    // into vars, and V8 then merges that tagged value with the float in a boxed number: a heap allocation per value
    // (8 KiB per 512) in the published build only. Same result for every input, NaN and -0 included.
    const c = Math.min(Math.max(v, -TANH_CLAMP), TANH_CLAMP);
    if (Math.abs(c) < 4e-4) {
      out[i] = c;
      continue;
    }
    const z = c * c;
    const p = c * (T1 + z * (T3 + z * (T5 + z * (T7 + z * (T9 + z * (T11 + z * T13))))));
    out[i] = p / (U0 + z * (U2 + z * (U4 + z * U6)));
  }
}

const E1 = -1.60960333262415e-2;
const E3 = -2.95459980854025e-3;
const E5 = -7.34990630326855e-4;
const E7 = -5.69250639462346e-5;
const E9 = -2.10102402082508e-6;
const E11 = 2.77068142495902e-8;
const E13 = -2.72614225801306e-10;
const F0 = -1.42647390514189e-2;
const F2 = -7.37332916720468e-3;
const F4 = -1.68282697438203e-3;
const F6 = -2.13374055278905e-4;
const F8 = -1.45660718464996e-5;

/** out = erf(x): x·p(x²)/q(x²) on x clamped to ±4 (where float32 erf is ±1). NaN stays NaN. */
export function erfRational(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    const c = v > 4 ? 4 : v < -4 ? -4 : v;
    const z = c * c;
    const p = c * (E1 + z * (E3 + z * (E5 + z * (E7 + z * (E9 + z * (E11 + z * E13))))));
    out[i] = p / (F0 + z * (F2 + z * (F4 + z * (F6 + z * F8))));
  }
}
