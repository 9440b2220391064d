// gradcheck: analytic vjps against float64 central differences (JAX check_grads style).
// Small inputs: the full Jacobian, entry by entry. Large ones: random directions, checking
// <c, (f(x+εt) - f(x-εt)) / 2ε> ≈ Σ <vjp(c), t>.
import { GradError, ValueError, describeValue, fmtShape, safeJson } from './errors.js';
import { checkOptionsObject } from './options.js';
import { Rng } from './random.js';
import { noGrad } from './tape.js';
import { Tensor } from './tensor.js';
import { vjp } from './autodiff.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** 'full' Jacobian, 'random' directions, or 'auto' (full when inputs and output are small). */
  mode?: 'auto' | 'full' | 'random';
  directions?: number;
  seed?: number;
  /** Throw a GradError describing the worst entry instead of returning ok=false. */
  throwOnFail?: boolean;
}

export interface GradcheckResult {
  ok: boolean;
  mode: 'full' | 'random';
  /** Largest |analytic - numeric| seen. */
  maxAbsError: number;
  /** Largest error relative to the tolerance (> 1 means failure). */
  maxRatio: number;
  worst: { input: number; index: number; output: number; analytic: number; numeric: number } | null;
  checks: number;
}

const GRADCHECK_KEYS = ['eps', 'atol', 'rtol', 'mode', 'directions', 'seed', 'throwOnFail'] as const;
const MODES: readonly unknown[] = ['auto', 'full', 'random'];

const to64 = (t: Tensor): Tensor => new Tensor(Float64Array.from(t.data), t.shape);

export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  if (typeof f !== 'function')
    throw new ValueError(`gradcheck: f must be a function, got ${describeValue(f)}`);
  if (!Array.isArray(inputs))
    throw new ValueError(
      `gradcheck: inputs must be a list of Tensors, got ${describeValue(inputs)}${(inputs as unknown) instanceof Tensor ? ': pass [x]' : ''}`,
    );
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor))
      throw new ValueError(`gradcheck: inputs[${i}] is ${describeValue(x)}, expected a Tensor`);
  });
  checkOptionsObject('gradcheck', opts, GRADCHECK_KEYS, { required: true });
  if (opts.mode !== undefined && !MODES.includes(opts.mode))
    throw new ValueError(`gradcheck: mode must be one of ${MODES.join(', ')}, got ${safeJson(opts.mode)}`);
  for (const k of ['eps', 'atol', 'rtol'] as const)
    if (opts[k] !== undefined && !(typeof opts[k] === 'number' && opts[k] >= 0))
      throw new ValueError(`gradcheck: ${k} must be a number >= 0, got ${safeJson(opts[k])}`);
  if (opts.directions !== undefined && !(Number.isInteger(opts.directions) && opts.directions >= 1))
    throw new ValueError(`gradcheck: directions must be an integer >= 1, got ${safeJson(opts.directions)}`);
  if (opts.throwOnFail !== undefined && typeof opts.throwOnFail !== 'boolean')
    throw new ValueError(`gradcheck: throwOnFail must be true or false, got ${safeJson(opts.throwOnFail)}`);
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, directions = 3, seed = 0 } = opts;
  const xs = inputs.map(to64);
  const rng = new Rng(seed);
  const evalF = (ys: Tensor[]): Float64Array => {
    const out = noGrad(() => f(...ys));
    if (!(out instanceof Tensor)) throw new GradError(`gradcheck: f must return a Tensor, got ${typeof out}`);
    return Float64Array.from(out.data);
  };
  const { value, vjp: pull } = vjp(f, ...xs);
  const m = value.size;
  const nIn = xs.reduce((a, x) => a + x.size, 0);
  const mode =
    opts.mode === 'full' || (opts.mode !== 'random' && nIn * Math.max(m, 1) <= 4096) ? 'full' : 'random';
  const res: GradcheckResult = { ok: true, mode, maxAbsError: 0, maxRatio: 0, worst: null, checks: 0 };
  const compare = (analytic: number, numeric: number, input: number, index: number, output: number) => {
    const err = Math.abs(analytic - numeric);
    const ratio = err / (atol + rtol * Math.abs(numeric));
    res.checks++;
    res.maxAbsError = Math.max(res.maxAbsError, err);
    if (res.worst === null || !(ratio <= res.maxRatio)) {
      res.maxRatio = Number.isNaN(ratio) ? Infinity : ratio;
      res.worst = { input, index, output, analytic, numeric };
    }
  };
  /** f at xs with input `i` moved by `s·dir` (dir indexed by flat position, or one-hot at j). */
  const shifted = (s: number, dirs: Float64Array[]): Float64Array => {
    const ys = xs.map((x, k) => {
      const d = Float64Array.from(x.data);
      for (let j = 0; j < d.length; j++) d[j] += s * dirs[k][j];
      return new Tensor(d, x.shape);
    });
    return evalF(ys);
  };
  if (mode === 'full') {
    // analytic Jacobian rows: one vjp per output entry
    const rows: Float64Array[][] = [];
    for (let o = 0; o < m; o++) {
      const ct = new Float64Array(m);
      ct[o] = 1;
      rows.push(pull(new Tensor(ct, value.shape)).map((g) => Float64Array.from(g.data)));
    }
    xs.forEach((x, i) => {
      for (let j = 0; j < x.size; j++) {
        const dirs = xs.map((y, k) => {
          const d = new Float64Array(y.size);
          if (k === i) d[j] = 1;
          return d;
        });
        const plus = shifted(eps, dirs);
        const minus = shifted(-eps, dirs);
        for (let o = 0; o < m; o++) compare(rows[o][i][j], (plus[o] - minus[o]) / (2 * eps), i, j, o);
      }
    });
  } else {
    for (let r = 0; r < directions; r++) {
      const ct = Float64Array.from({ length: m }, () => rng.normal());
      const dirs = xs.map((x) => Float64Array.from({ length: x.size }, () => rng.normal()));
      const gs = pull(new Tensor(ct, value.shape));
      let analytic = 0;
      gs.forEach((g, k) => g.data.forEach((v, j) => (analytic += v * dirs[k][j])));
      const plus = shifted(eps, dirs);
      const minus = shifted(-eps, dirs);
      let numeric = 0;
      for (let o = 0; o < m; o++) numeric += (ct[o] * (plus[o] - minus[o])) / (2 * eps);
      compare(analytic, numeric, -1, r, -1);
    }
  }
  res.ok = res.maxRatio <= 1;
  if (!res.ok && opts.throwOnFail) {
    const w = res.worst!;
    throw new GradError(
      `gradcheck failed (${mode}): ${w.input >= 0 ? `input ${w.input} ${fmtShape(xs[w.input].shape)} index ${w.index}, output ${w.output}` : `direction ${w.index}`}: ` +
        `analytic ${w.analytic} vs numeric ${w.numeric} (|err| ${Math.abs(w.analytic - w.numeric).toExponential(3)}, atol ${atol}, rtol ${rtol})`,
    );
  }
  return res;
}
