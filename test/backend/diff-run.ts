// Run a differential program (diff-programs.ts) on one backend and compare two runs. Two ways:
// - step by step: every step gets the reference's values of its inputs (copied into the backend's own memory by an
//   exact op), so a difference is that step's own, not rounding carried from earlier steps and amplified;
//   each step's forward values and its vjp (cotangent: the step's weight) are compared;
// - the whole program chained on the backend's own values, through tg.grads of the loss Σ sum(out·w): errors,
//   shapes and dtypes are compared, and the values bit for bit where no step may round otherwise (elsewhere
//   rounding differences drift along the chain and can be amplified, so the steps alone compare values).
import * as tg from '../../src/index.js';
import { type Program, fmt, loss, replay } from './diff-programs.js';

type Arr = Float32Array | Int32Array;
interface Err {
  name: string;
  message: string;
}
/** One step on one backend: its output (or error) and the vjp of sum(out·w) for each float input. */
export interface StepOutcome {
  dtype: string;
  shape: number[];
  data: Arr | null;
  grads: Arr[] | null;
  error: Err | null;
  /** Bilinear steps on the reference: the step on |inputs| and its vjp with |weight|, Σ|terms| of each result. */
  bound?: Arr;
  gradBounds?: Arr[];
}
/** The whole program chained on one backend: its values and the loss gradients (dtype, shape and values). */
export interface ChainOutcome {
  values: { what: string; data: Arr }[];
  grads: { what: string; data: Arr }[];
  gradsRefused: boolean;
  error: Err | null;
}

/**
 * Steps whose wasm results may differ from the reference by rounding (compared within RTOL; the others must give the
 * reference's bits): sums of products (the reference accumulates in float64, the wasm kernels in float32, fused
 * multiply-add) and everything that takes the wasm f32x4 exp polynomial (≤ 2 ulp) forward (ROUNDED) or only in its
 * vjp (ROUNDED_VJP: exp, sigmoid or tanh in the derivative).
 */
const ROUNDED =
  /^tg\.(matmul|conv1d|conv2d|fused\.conv2d|depthwiseConv2d|convTranspose2d|lstmStep|gruUpdate|exp|sigmoid|softmax|logSoftmax|crossEntropy|logSumExp|elu|selu|silu)\(/;
const ROUNDED_VJP = /^tg\.(gelu|mish|logSigmoid|erf|expm1|softplus)\(/;
/** Steps linear in each input (sums of products), whose rounding is bounded by Σ|terms| (StepOutcome.bound). */
const BILINEAR = /^tg\.(matmul|conv1d|conv2d|fused\.conv2d|depthwiseConv2d|convTranspose2d)\(/;
/**
 * Steps whose zeros may differ in sign. Sums of products: the reference's float64 sum of products that underflow in
 * float32 is a tiny nonzero number that rounds to a signed zero, where float32 products are zeros that add to +0.
 * (lstmStep was here until its SIMD tanh took a polynomial below |v| = 0.625: asm/lstm.ts.)
 */
const ANY_ZERO = /^tg\.(matmul|conv1d|conv2d|fused\.conv2d|depthwiseConv2d|convTranspose2d)\(/;

const errorOf = (e: unknown): Err => ({ name: (e as Error).constructor.name, message: (e as Error).message });
const values = (t: tg.Tensor): Arr => t.toFlatArray() as Arr;

/** Make `backend` active, with `threads` pool threads for wasm (changed only when it differs: each change restarts workers). */
function use(backend: 'js' | 'wasm', threads: number): void {
  tg.setBackend(backend);
  if (backend === 'wasm' && tg.getNumThreads() !== threads) tg.setNumThreads(threads);
}

/** The reference values of p's items (on 'js'), up to the step that throws. */
export function referenceValues(p: Program): tg.Tensor[] {
  tg.setBackend('js');
  try {
    return replay(p);
  } catch {
    return replay({ ...p, items: p.items.slice(0, -1) });
  }
}

/** Each step of p on `backend`, its inputs `ref`'s values (from referenceValues); on 'js' with the bounds. */
export function runSteps(p: Program, ref: tg.Tensor[], backend: 'js' | 'wasm', threads = 1): StepOutcome[] {
  use(backend, threads);
  const out: StepOutcome[] = [];
  p.items.forEach((it, i) => {
    if (!('step' in it)) return;
    const { fn, args } = it.step;
    // NOTE: x·1 is exact (NaN, ±0, int32 included) and leaves its result in the backend's memory (wasm: resident)
    const ins = () => args.map((a) => tg.mul(new tg.Tensor(values(ref[a]), [...ref[a].shape]), 1));
    const r: StepOutcome = { dtype: '', shape: [], data: null, grads: null, error: null };
    out.push(r);
    let y: tg.Tensor;
    try {
      y = fn(...ins());
    } catch (e) {
      r.error = errorOf(e);
      return;
    }
    [r.dtype, r.shape, r.data] = [y.dtype, [...y.shape], values(y)];
    const w = p.weights.get(i);
    const xs = ins();
    if (!w || y.size === 0 || !xs.some((x) => x.dtype === 'float32')) return;
    try {
      r.grads = stepVjp(fn, xs, new tg.Tensor(w, [...y.shape]));
      if (backend === 'js' && BILINEAR.test(it.step.text)) {
        const abs = (t: tg.Tensor) => (t.dtype === 'float32' ? tg.abs(t) : t);
        r.bound = values(fn(...xs.map(abs)));
        r.gradBounds = stepVjp(fn, xs.map(abs), new tg.Tensor(w.map(Math.abs), [...y.shape]));
      }
    } catch (e) {
      r.error = errorOf(e);
    }
  });
  return out;
}

/** The gradient of sum(fn(...xs)·w) with respect to each float32 x (the others held fixed). */
function stepVjp(fn: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[], w: tg.Tensor): Arr[] {
  const fl = xs.flatMap((x, k) => (x.dtype === 'float32' ? [k] : []));
  const f = (...fs: tg.Tensor[]): tg.Tensor => {
    const a = xs.slice();
    fl.forEach((k, j) => (a[k] = fs[j]));
    return tg.sum(tg.mul(fn(...a), w));
  };
  return tg
    .vjp(f, ...fl.map((k) => xs[k]))
    .vjp(tg.scalar(1))
    .map(values);
}

/** The whole program on `backend`: forward, then tg.grads of its loss (refused gradients are noted, not thrown). */
export function runChained(p: Program, backend: 'js' | 'wasm', threads = 1): ChainOutcome {
  use(backend, threads);
  const out: ChainOutcome = { values: [], grads: [], gradsRefused: false, error: null };
  const desc = (t: tg.Tensor) => ({ what: `${t.dtype}[${t.shape}]`, data: values(t) });
  try {
    out.values = replay(p).map(desc);
  } catch (e) {
    out.error = errorOf(e);
    return out;
  }
  const leaves = p.items.flatMap((it) => ('leaf' in it ? [it.leaf] : []));
  const floatAt = leaves.flatMap((l, i) => (l.dtype === 'float32' ? [i] : []));
  if (floatAt.length === 0 || p.weights.size === 0) return out;
  const fixed = leaves.map((l) => new tg.Tensor(l.data.slice(), l.shape));
  const f = (...xs: tg.Tensor[]): tg.Tensor => {
    const ls = fixed.slice();
    floatAt.forEach((li, k) => (ls[li] = xs[k]));
    return loss(p, replay(p, ls));
  };
  try {
    out.grads = tg
      .grads(f)(...floatAt.map((i) => fixed[i]))
      .map(desc);
  } catch (e) {
    if (e instanceof tg.NumericsError) out.gradsRefused = true;
    else out.error = errorOf(e);
  }
  return out;
}

/**
 * Tolerances of the steps that may round otherwise, in units of 2⁻²⁴ (u, float32's unit roundoff), each four times
 * or more the largest seen over ~10⁴ programs: a step that rounds through the exp polynomial errs by at most
 * RTOL·(|r| + s), s the largest finite magnitude of that result (15u seen: a gradient through 1 − σ); a sum of k
 * products by at most BOUND_TOL·Σ|terms| (k·u in theory, 9u seen for k ≤ 200, 25u for k ≈ 8000); both also by
 * ABS_TOL, the spacing of subnormal results (products of subnormal values round to multiples of 2⁻¹⁴⁹).
 */
export const RTOL = 2 ** -18;
export const BOUND_TOL = 2 ** -18;
export const ABS_TOL = 2 ** -140;

/**
 * The first difference of two arrays, or null: NaN must meet NaN, ±Inf the same infinity, a zero the zero of the
 * same sign (unless `anyZero`); any other value must be equal (`exact`), or within BOUND_TOL of `bound` (a sum of
 * products: Σ|terms|), or else within RTOL of the reference element plus the largest finite magnitude beside it.
 */
export function firstDiff(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  exact: boolean,
  anyZero = false,
  bound?: ArrayLike<number>,
): { at: number; got: number; ref: number } | null {
  if (got.length !== ref.length) return { at: -1, got: got.length, ref: ref.length };
  let scale = 0;
  for (let i = 0; i < ref.length; i++) if (Number.isFinite(ref[i])) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) {
    const [g, r] = [got[i], ref[i]];
    if (Object.is(g, r) || (Number.isNaN(g) && Number.isNaN(r))) continue;
    if (anyZero && g === 0 && r === 0) continue;
    const tol = bound ? BOUND_TOL * bound[i] : RTOL * (Math.abs(r) + scale);
    const ok =
      !exact &&
      Number.isFinite(g) &&
      Number.isFinite(r) &&
      !(g === 0 && r === 0) &&
      Math.abs(g - r) <= tol + ABS_TOL;
    if (!ok) return { at: i, got: g, ref: r };
  }
  return null;
}

const errText = (e: Err | null) => (e ? `${e.name}: ${e.message}` : 'no error');

/** The first way the steps `got` differ from `ref`, or null (exact: bit for bit). */
export function compareSteps(
  p: Program,
  got: StepOutcome[],
  ref: StepOutcome[],
  exact = false,
): string | null {
  const steps = p.items.flatMap((it, i) => ('step' in it ? [[i, it.step.text] as const] : []));
  for (let s = 0; s < ref.length; s++) {
    const [g, r] = [got[s], ref[s]];
    const [v, text] = steps[s];
    const at = `step v${v} = ${text}`;
    if (errText(g.error) !== errText(r.error))
      return `${at}: got ${errText(g.error)}, ref ${errText(r.error)}`;
    if (g.dtype !== r.dtype || g.shape.join() !== r.shape.join())
      return `${at}: got ${g.dtype}[${g.shape}], ref ${r.dtype}[${r.shape}]`;
    const anyZero = ANY_ZERO.test(text);
    const bits = exact || !ROUNDED.test(text);
    const vjpBits = bits && !ROUNDED_VJP.test(text);
    if (r.data && g.data) {
      const d = firstDiff(g.data, r.data, bits || r.dtype === 'int32', anyZero, r.bound);
      if (d) return `${at}: output [${r.shape}] at ${d.at}: got ${fmt(d.got)}, ref ${fmt(d.ref)}`;
    }
    if ((g.grads === null) !== (r.grads === null)) return `${at}: gradients on one side only`;
    for (let k = 0; k < (r.grads?.length ?? 0); k++) {
      const d = firstDiff(g.grads![k], r.grads![k], vjpBits, anyZero, r.gradBounds?.[k]);
      if (d) return `${at}: gradient of float input ${k} at ${d.at}: got ${fmt(d.got)}, ref ${fmt(d.ref)}`;
    }
  }
  return null;
}

/**
 * The first way two chained runs differ, or null: errors, dtypes and shapes always; values, gradients and whether
 * tg.grads refused a non-finite gradient bit for bit when no step of p may round differently (ROUNDED), since then
 * every step gives the reference's bits from the reference's inputs.
 */
export function compareChained(p: Program, got: ChainOutcome, ref: ChainOutcome): string | null {
  if (errText(got.error) !== errText(ref.error))
    return `chained: got ${errText(got.error)}, ref ${errText(ref.error)}`;
  const what = (xs: ChainOutcome['values']) => xs.map((x) => x.what).join(' ');
  if (what(got.values) !== what(ref.values))
    return `chained values: got ${what(got.values)}, ref ${what(ref.values)}`;
  if (what(got.grads) !== what(ref.grads))
    return `chained gradients: got ${what(got.grads)}, ref ${what(ref.grads)}`;
  if (p.items.some((it) => 'step' in it && ROUNDED.test(it.step.text))) return null;
  const gradBits = !p.items.some((it) => 'step' in it && ROUNDED_VJP.test(it.step.text));
  for (const [kind, g, r] of [
    ['value v', got.values, ref.values],
    ['gradient of float leaf ', gradBits ? got.grads : [], gradBits ? ref.grads : []],
  ] as const)
    for (let i = 0; i < r.length; i++) {
      const d = firstDiff(g[i].data, r[i].data, true);
      if (d) return `chained ${kind}${i} ${r[i].what} at ${d.at}: got ${fmt(d.got)}, ref ${fmt(d.ref)}`;
    }
  if (gradBits && got.gradsRefused !== ref.gradsRefused)
    return `chained: tg.grads refused a non-finite gradient on ${got.gradsRefused ? 'wasm' : 'the reference'} only`;
  return null;
}
