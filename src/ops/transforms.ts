// Higher-order transforms built from vjp: hvp, jvp (the double-vjp trick), jacobian and hessian, each with the
// one-tensor form and the multi-argument (a list of tensors) / multi-output (f returns a list) forms `grads` has.
// NOTE: jvp is not a forward-mode pass. It is reverse mode twice: u ↦ vjp(u) = Jᵀu is linear in u, so the vjp of
// that map at t is J·t. Cost: one recorded forward of f plus two backward passes (about 3–4× f, and f's tape held
// in memory), per call, whatever the number of inputs; the result stays differentiable (grad of a jvp works).
import { grads, vjp } from '../core/autodiff.js';
import { GradError, fmtShape } from '../core/errors.js';
import { type Shape, shapesEqual, sizeOf } from '../core/shape.js';
import { Tensor, tensor, zeros } from '../core/tensor.js';
import { add, mul } from './elementwise/builders.js';
import { sum } from './reduce/builders.js';
import { concat, reshape, slice, stack } from './movement/builders.js';

type Out = Tensor | Tensor[];

function tensors(x: Tensor | readonly Tensor[], what: string, op: string): Tensor[] {
  const list = Array.isArray(x) ? [...x] : [x];
  if (!list.length) throw new GradError(`${op}: ${what} is an empty list`);
  list.forEach((t, i) => {
    if (!(t instanceof Tensor))
      throw new GradError(
        `${op}: ${what}${Array.isArray(x) ? `[${i}]` : ''} is ${typeof t}, expected a Tensor`,
      );
  });
  return list as Tensor[];
}

/** Second list (tangents, directions) matching the first in count and shapes. */
function matching(xs: Tensor[], v: Tensor | readonly Tensor[], what: string, op: string): Tensor[] {
  const vs = tensors(v, what, op);
  if (vs.length !== xs.length)
    throw new GradError(`${op}: ${xs.length} argument(s) but ${vs.length} ${what}`);
  vs.forEach((t, i) => {
    if (!shapesEqual(t.shape, xs[i].shape))
      throw new GradError(
        `${op}: ${what}${vs.length > 1 ? `[${i}]` : ''} ${fmtShape(t.shape)} must have ${vs.length > 1 ? `argument ${i}'s` : "x's"} shape ${fmtShape(xs[i].shape)}`,
      );
  });
  return vs;
}

const flat = (t: Tensor): Tensor => reshape(t, [t.size]);
/** One tensor for a list: itself, or the concatenation of the flattened parts. */
const joined = (ts: Tensor[]): Tensor => (ts.length === 1 ? ts[0] : concat(ts.map(flat)));

/**
 * f as a function of one output tensor: a list of outputs is flattened and concatenated; `shapes` records the
 * output shapes (after a call) to cut the result back.
 */
function singleOutput(f: (...xs: Tensor[]) => Out, op: string) {
  const info = { multi: false, shapes: [] as Shape[] };
  const g = (...xs: Tensor[]): Tensor => {
    const out = f(...xs);
    info.multi = Array.isArray(out);
    const outs = info.multi ? (out as Tensor[]) : [out as Tensor];
    outs.forEach((o, i) => {
      if (!(o instanceof Tensor))
        throw new GradError(
          `${op}: f must return a Tensor or a list of Tensors, got ${typeof o}${info.multi ? ` at ${i}` : ''}`,
        );
    });
    if (info.multi && !outs.length) throw new GradError(`${op}: f returned an empty list`);
    info.shapes = outs.map((o) => [...o.shape]);
    return info.multi ? concat(outs.map(flat)) : outs[0];
  };
  /** Cut a flat [Σ sizes, ...tail] tensor back into one tensor per output, shaped [...shape_k, ...tail]. */
  const cut = (t: Tensor, tail: readonly number[] = []): Tensor[] => {
    let off = 0;
    return info.shapes.map((s) => {
      const n = sizeOf(s);
      const part = slice(t, [off, ...tail.map(() => 0)], [n, ...tail]);
      off += n;
      return reshape(part, [...s, ...tail]);
    });
  };
  return { g, info, cut };
}

/**
 * Hessian-vector product H(x)·v of scalar f, as grad(x ↦ <∇f(x), v>). With lists, f(...xs) and vs: entry i is
 * Σ_j ∂²f/∂xᵢ∂xⱼ · vⱼ.
 */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor;
export function hvp(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[], vs: readonly Tensor[]): Tensor[];
export function hvp(
  f: (...xs: Tensor[]) => Tensor,
  x: Tensor | readonly Tensor[],
  v: Tensor | readonly Tensor[],
): Tensor | Tensor[] {
  const xs = tensors(x, 'x', 'hvp');
  const vs = matching(xs, v, 'v', 'hvp');
  // <∇f(xs), vs> = Σ_j Σ ∂f/∂xⱼ ⊙ vⱼ, then its gradient
  const inner = (...ys: Tensor[]) =>
    grads(f)(...ys)
      .map((g, j) => sum(mul(g, vs[j])))
      .reduce((a, b) => add(a, b));
  const hv = grads(inner)(...xs);
  return Array.isArray(x) ? hv : hv[0];
}

/**
 * Forward-mode product J(x)·t, by reverse mode twice (see the NOTE at the top for its cost). Lists: f(...xs) with
 * tangents ts gives Σᵢ Jᵢ·tᵢ; f returning a list gives one product per output.
 */
export function jvp(f: (x: Tensor) => Tensor, x: Tensor, t: Tensor): { value: Tensor; jvp: Tensor };
export function jvp(
  f: (...xs: Tensor[]) => Tensor,
  xs: readonly Tensor[],
  ts: readonly Tensor[],
): { value: Tensor; jvp: Tensor };
export function jvp(
  f: (...xs: Tensor[]) => Tensor[],
  xs: Tensor | readonly Tensor[],
  ts: Tensor | readonly Tensor[],
): { value: Tensor[]; jvp: Tensor[] };
export function jvp(
  f: (...xs: Tensor[]) => Out,
  x: Tensor | readonly Tensor[],
  t: Tensor | readonly Tensor[],
): { value: Out; jvp: Out } {
  const xs = tensors(x, 'x', 'jvp');
  const ts = matching(xs, t, 'tangent', 'jvp');
  const { g, info, cut } = singleOutput(f, 'jvp');
  const { value, vjp: pull } = vjp(g, ...xs);
  const u0 = zeros(value.shape, { dtype: value.dtype });
  // u ↦ Jᵀu (all inputs joined) is linear; its vjp at the joined tangents is J·t.
  const { vjp: pull2 } = vjp((u: Tensor) => joined(pull(u)), u0);
  const jt = pull2(joined(ts))[0];
  return info.multi ? { value: cut(value), jvp: cut(jt) } : { value, jvp: jt };
}

/**
 * Full Jacobian d f(x) / d x, shape [...out, ...in], one vjp per output entry. Lists: for inputs xs, one Jacobian
 * per input; for f returning a list, one per output; both: J[out][in].
 */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): Tensor;
export function jacobian(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[]): Tensor[];
export function jacobian(f: (x: Tensor) => Tensor[], x: Tensor): Tensor[];
export function jacobian(f: (...xs: Tensor[]) => Tensor[], xs: readonly Tensor[]): Tensor[][];
export function jacobian(
  f: (...xs: Tensor[]) => Out,
  x: Tensor | readonly Tensor[],
): Tensor | Tensor[] | Tensor[][] {
  const xs = tensors(x, 'x', 'jacobian');
  const { g, info, cut } = singleOutput(f, 'jacobian');
  const { value, vjp: pull } = vjp(g, ...xs);
  const rows: Tensor[][] = xs.map(() => []);
  const oneHot = value.dtype === 'float64' ? new Float64Array(value.size) : new Float32Array(value.size);
  for (let o = 0; o < value.size; o++) {
    oneHot.fill(0);
    oneHot[o] = 1;
    pull(tensor(oneHot, value.shape, { dtype: value.dtype })).forEach((gi, i) => rows[i].push(flat(gi)));
  }
  const perInput = xs.map((xi, i) =>
    rows[i].length === 0
      ? zeros([...value.shape, ...xi.shape], { dtype: xi.dtype })
      : reshape(stack(rows[i]), [...value.shape, ...xi.shape]),
  );
  const list = Array.isArray(x);
  if (!info.multi) return list ? perInput : perInput[0];
  const byOut = perInput.map((j, i) => cut(j, xs[i].shape)); // [in][out]
  const outs = info.shapes.map((_, k) => byOut.map((parts) => parts[k])); // [out][in]
  return list ? outs : outs.map((o) => o[0]);
}

/**
 * Hessian of scalar f: [...x, ...x] for one tensor; for a list xs, H[i][j] = ∂²f/∂xᵢ∂xⱼ of shape
 * [...xᵢ, ...xⱼ] (the Jacobian of the gradients).
 */
export function hessian(f: (x: Tensor) => Tensor, x: Tensor): Tensor;
export function hessian(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[]): Tensor[][];
export function hessian(f: (...xs: Tensor[]) => Tensor, x: Tensor | readonly Tensor[]): Tensor | Tensor[][] {
  const xs = tensors(x, 'x', 'hessian');
  if (!Array.isArray(x)) return jacobian((y: Tensor) => grads(f)(y)[0], xs[0]);
  return jacobian((...ys: Tensor[]) => grads(f)(...ys), xs);
}
