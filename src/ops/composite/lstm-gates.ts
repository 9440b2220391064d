// The LSTM state update [h' | c'] from gate pre-activations and its gradient, twice: as one fused row each
// (`lstmGates`, `lstmGatesGrad` in ops/rnn/rows.ts) and as compositions of other rows (the references the rows
// must equal; lstmGatesGrad's vjp differentiates its reference with the tape).
import type { Tensor } from '../../core/tensor.js';
import type { GateActivation } from '../../backend/lstm.js';
import { add, greater, mul, relu, sigmoid, square, sub, tanh } from '../elementwise/builders.js';
import { run } from '../dispatch.js';
import { concat, slice, split } from '../movement/builders.js';
import { linear } from './activations.js';

interface GateParams {
  act: GateActivation;
  recAct: GateActivation;
}

// NOTE: looked up at call time: this module is loaded while arith.ts is still initializing (the table imports it).
const actOf = (name: GateActivation): ((x: Tensor) => Tensor) => ({ sigmoid, tanh, relu, linear })[name];

/** The fused rows' name of an activation function (the ops tapegrad and its layers use), or null for any other. */
export function gateActivationName(f: (x: Tensor) => Tensor): GateActivation | null {
  return f === sigmoid
    ? 'sigmoid'
    : f === tanh
      ? 'tanh'
      : f === relu
        ? 'relu'
        : f === linear
          ? 'linear'
          : null;
}

/** g·a'(x) from x and y = a(x): σ' = y(1-y), tanh' = 1-y², relu' = [x > 0] (0 at 0, as the relu row), linear' = 1. */
function timesDeriv(name: GateActivation, g: Tensor, x: Tensor, y: Tensor): Tensor {
  switch (name) {
    case 'sigmoid':
      return mul(g, mul(y, sub(1, y)));
    case 'tanh':
      return mul(g, sub(1, square(y)));
    case 'relu':
      return mul(g, greater(x, 0));
    case 'linear':
      return g;
  }
}

/** Reference of lstmGates: [h' | c'] with c' = s(z_f)·c + s(z_i)·a(z_c), h' = s(z_o)·a(c'). */
export function lstmGatesRef(z: Tensor, c: Tensor, p: GateParams): Tensor {
  const [a, s] = [actOf(p.act), actOf(p.recAct)];
  const [zi, zf, zc, zo] = split(z, 4, 1);
  const c2 = add(mul(s(zf), c), mul(s(zi), a(zc)));
  return concat([mul(s(zo), a(c2)), c2], 1);
}

/** Reference of lstmGatesGrad: [dz_i dz_f dz_c dz_o | dc] for the cotangent g = [g_h | g_c] of lstmGates(z, c). */
export function lstmGatesGradRef(g: Tensor, z: Tensor, c: Tensor, p: GateParams): Tensor {
  const [a, s] = [actOf(p.act), actOf(p.recAct)];
  const [B, H] = c.shape;
  const gh = slice(g, [0, 0], [B, H]);
  const gc = slice(g, [0, H], [B, H]);
  const [zi, zf, zc, zo] = split(z, 4, 1);
  const [i, f, u, o] = [s(zi), s(zf), a(zc), s(zo)];
  const c2 = add(mul(f, c), mul(i, u));
  const t = a(c2);
  // dc' = g_c + g_h·s(z_o)·a'(c')
  const dc2 = add(gc, timesDeriv(p.act, mul(gh, o), c2, t));
  return concat(
    [
      timesDeriv(p.recAct, mul(dc2, u), zi, i), // dz_i = dc'·a(z_c)·s'(z_i)
      timesDeriv(p.recAct, mul(dc2, c), zf, f), // dz_f = dc'·c·s'(z_f)
      timesDeriv(p.act, mul(dc2, i), zc, u), // dz_c = dc'·s(z_i)·a'(z_c)
      timesDeriv(p.recAct, mul(gh, t), zo, o), // dz_o = g_h·a(c')·s'(z_o)
      mul(dc2, f), // dc = dc'·s(z_f)
    ],
    1,
  );
}

/** The fused row: [h' | c'] [batch, 2·units] from z [batch, 4·units] and c [batch, units]. */
export const lstmGatesRow = (z: Tensor, c: Tensor, p: GateParams): Tensor => run('lstmGates', [z, c], p);

/** The fused gradient row: [dz | dc] [batch, 5·units] from g [batch, 2·units], z and c. */
export const lstmGatesGradRow = (g: Tensor, z: Tensor, c: Tensor, p: GateParams): Tensor =>
  run('lstmGatesGrad', [g, z, c], p);
