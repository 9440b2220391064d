// `tg.customGrad(f)`: a function with a user-written gradient, recorded as ONE tape node (TF.js style),
// with guard rails: the gradient count and shapes are checked, and a check mode compares the user's
// gradient with finite differences on first use.
import { isFloat } from './dtype.js';
import { GradError, ValueError, fmtShape } from './errors.js';
import { checkOptions } from './options.js';
import { gradcheck } from './gradcheck.js';
import { shapesEqual } from './shape.js';
import { emitOp, hasOpListeners, noGrad, record } from './tape.js';
import { withFrame } from './lifetime.js';
import { Tensor } from './tensor.js';

export interface CustomGradResult {
  /** The forward value. */
  value: Tensor;
  /** Gradient of the value w.r.t. each input given dy (a single tensor is fine for one input; null = no gradient). */
  gradFunc: (dy: Tensor) => Tensor | (Tensor | null)[];
}

export interface CustomGradOptions {
  /** Gradcheck the user's gradFunc against finite differences on first use and throw a GradError if it disagrees. */
  check?: boolean;
  /** Name shown in errors and traces (default: the function's name). */
  name?: string;
  /** Tolerances for the check (see gradcheck). */
  atol?: number;
  rtol?: number;
}

let checkAll = false;
/** Turn the first-use gradient check on for every customGrad function (a debug mode). */
export function checkCustomGrads(on = true): void {
  checkAll = on;
}

function normalizeGrads(name: string, gs: unknown, xs: Tensor[], dy: Tensor): (Tensor | null)[] {
  const list = gs instanceof Tensor ? [gs] : gs;
  if (!Array.isArray(list))
    throw new GradError(
      `customGrad(${name}): gradFunc must return a Tensor or an array of Tensors (one per input), got ${typeof gs}`,
    );
  if (list.length !== xs.length)
    throw new GradError(
      `customGrad(${name}): gradFunc returned ${list.length} gradient${list.length === 1 ? '' : 's'} for ${xs.length} input${xs.length === 1 ? '' : 's'} (one per input, null for none)`,
    );
  return list.map((g, i) => {
    if (g === null || g === undefined) return null;
    if (!(g instanceof Tensor))
      throw new GradError(`customGrad(${name}): gradient ${i} is ${typeof g}, expected a Tensor`);
    if (!shapesEqual(g.shape, xs[i].shape))
      throw new GradError(
        `customGrad(${name}): gradFunc's gradient ${i} has shape ${fmtShape(g.shape)} but input ${i} has shape ${fmtShape(xs[i].shape)} (dy is ${fmtShape(dy.shape)})`,
      );
    return g;
  });
}

/**
 * Wrap `f` so its gradient is the one `f` returns: `f(...xs)` gives `{ value, gradFunc }`. The forward runs
 * off the tape (its inner ops are not differentiated); the result is one tape node whose vjp is `gradFunc`.
 */
export function customGrad(
  f: (...xs: Tensor[]) => CustomGradResult,
  opts: CustomGradOptions = {},
): (...xs: Tensor[]) => Tensor {
  if (typeof f !== 'function') throw new ValueError(`customGrad: expected a function, got ${typeof f}`);
  if (opts === null || typeof opts !== 'object')
    throw new ValueError(
      `customGrad: options must be an object such as { check: true }, got ${String(opts)}`,
    );
  checkOptions('customGrad', opts, ['check', 'name', 'atol', 'rtol']);
  const name = opts.name ?? (f.name || 'f');
  const op = `customGrad(${name})`;
  let checked = false;
  const apply = (...xs: Tensor[]): Tensor => {
    xs.forEach((x, i) => {
      if (!(x instanceof Tensor))
        throw new ValueError(`${op}: argument ${i} is ${typeof x}, expected a Tensor`);
    });
    // NOTE: gradFunc may close over anything f made: a 'keep' frame keeps all of it (the garbage collector frees it).
    const r = withFrame('keep', op, () => noGrad(() => f(...xs)));
    if (!r || !(r.value instanceof Tensor))
      throw new ValueError(
        `${op}: f must return { value: Tensor, gradFunc }, got ${r === null ? 'null' : typeof r}${r && typeof r === 'object' ? ` with keys ${Object.keys(r).join(', ')}` : ''}`,
      );
    if (typeof r.gradFunc !== 'function')
      throw new ValueError(`${op}: f must return a gradFunc function next to its value`);
    // NOTE: a fresh tensor, so the node never overwrites an input's own history when f returns an input.
    const out = new Tensor(r.value.data, r.value.shape);
    record(out, op, xs, null, (dy) => normalizeGrads(name, r.gradFunc(dy), xs, dy));
    if (hasOpListeners()) emitOp({ op, inputs: xs, out, params: null });
    return out;
  };
  return (...xs: Tensor[]): Tensor => {
    if ((opts.check || checkAll) && !checked && xs.every((x) => x instanceof Tensor)) {
      checked = true;
      selfCheck(op, apply, xs, opts);
    }
    return apply(...xs);
  };
}

/** Compare the custom vjp with central differences (float64) at these inputs; throw on disagreement. */
function selfCheck(
  op: string,
  apply: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
  opts: CustomGradOptions,
): void {
  const floats = xs.map((x, i) => (isFloat(x.dtype) ? i : -1)).filter((i) => i >= 0);
  if (!floats.length) return;
  const g = (...ys: Tensor[]) => {
    const all = xs.map((x) => x);
    floats.forEach((i, k) => (all[i] = ys[k]));
    return apply(...all);
  };
  const res = gradcheck(
    g,
    floats.map((i) => xs[i]),
    { atol: opts.atol ?? 1e-4, rtol: opts.rtol ?? 1e-3 },
  );
  if (!res.ok) {
    const w = res.worst!;
    const where =
      w.input >= 0
        ? `input ${floats[w.input]} ${fmtShape(xs[floats[w.input]].shape)} at flat index ${w.index}, output ${w.output}`
        : `random direction ${w.index}`;
    throw new GradError(
      `${op}: gradFunc disagrees with finite differences at ${where}: gradFunc gives ${w.analytic.toPrecision(6)}, ` +
        `finite differences give ${w.numeric.toPrecision(6)} (checked once, on first use; fix gradFunc or turn the check off)`,
    );
  }
}
