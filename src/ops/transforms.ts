// Higher-order transforms built from vjp: hvp, jvp (the double-vjp trick) and jacobian.
import { vjp, grad } from '../core/autodiff.js';
import { GradError, fmtShape } from '../core/errors.js';
import { shapesEqual } from '../core/shape.js';
import { type Tensor, zeros } from '../core/tensor.js';
import { mul } from './arith.js';
import { sum } from './reduce-ops.js';
import { reshape, stack } from './shape-ops.js';

/** Hessian-vector product H(x)·v of scalar f, as grad(x ↦ <∇f(x), v>). */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  if (!shapesEqual(x.shape, v.shape))
    throw new GradError(`hvp: v ${fmtShape(v.shape)} must have x's shape ${fmtShape(x.shape)}`);
  return grad((y: Tensor) => sum(mul(grad(f)(y), v)))(x);
}

/** Forward-mode product J(x)·t via reverse mode twice: u ↦ vjp(u) is linear, so its vjp at t is J·t. */
export function jvp(f: (x: Tensor) => Tensor, x: Tensor, t: Tensor): { value: Tensor; jvp: Tensor } {
  if (!shapesEqual(x.shape, t.shape))
    throw new GradError(`jvp: tangent ${fmtShape(t.shape)} must have x's shape ${fmtShape(x.shape)}`);
  const { value, vjp: pull } = vjp(f, x);
  const u0 = zeros(value.shape, { dtype: value.dtype });
  const { vjp: pull2 } = vjp((u: Tensor) => pull(u)[0], u0);
  return { value, jvp: pull2(t)[0] };
}

/** Full Jacobian d f(x) / d x, shape [...out, ...in], one vjp per output entry. */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const { value, vjp: pull } = vjp(f, x);
  const rows: Tensor[] = [];
  for (let o = 0; o < value.size; o++) {
    const ct = zeros(value.shape, { dtype: value.dtype });
    ct.data[o] = 1;
    rows.push(reshape(pull(ct)[0], [x.size]));
  }
  if (rows.length === 0) return zeros([...value.shape, ...x.shape], { dtype: x.dtype });
  return reshape(stack(rows), [...value.shape, ...x.shape]);
}
