// Reference loops of the fused LSTM state update (the `lstmGates` row) and of its gradient (`lstmGatesGrad`):
// one pass over [batch, units] instead of ~15 elementwise kernels, slices and pads per time step.
import type { TypedArray } from '../core/dtype.js';

/** The activations the fused LSTM rows know by name; any other activation runs the composition instead. */
export type GateActivation = 'sigmoid' | 'tanh' | 'relu' | 'linear';
export const GATE_ACTIVATIONS: readonly GateActivation[] = ['sigmoid', 'tanh', 'relu', 'linear'];

// NOTE: the same formulas as the unary kernels in js.ts (sigmoid split by sign so exp never overflows).
const sigmoid = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const relu = (v: number): number => (v > 0 ? v : v === v ? 0 : v);
const linear = (v: number): number => v;
const FN: Record<GateActivation, (v: number) => number> = { sigmoid, tanh: Math.tanh, relu, linear };

/**
 * a'(x) from the input x and the output y = a(x): σ' = y(1-y), tanh' = 1-y², relu' = [x > 0], linear' = 1.
 * NOTE: relu'(0) = 0, as the relu row's vjp; relu'(NaN) is NaN, so a NaN pre-activation reaches its gradient
 * (the relu row's vjp g·[x > 0] gives 0 there).
 */
const DERIV: Record<GateActivation, (x: number, y: number) => number> = {
  sigmoid: (_x, y) => y * (1 - y),
  tanh: (_x, y) => 1 - y * y,
  relu: (x) => (x > 0 ? 1 : x === x ? 0 : NaN),
  linear: () => 1,
};

/**
 * z [batch, 4·units] (gate pre-activations, order i, f, c, o), c [batch, units] → out [batch, 2·units] = [h' | c']:
 * c' = s(z_f)·c + s(z_i)·a(z_c), h' = s(z_o)·a(c'), with a = act and s = recAct.
 */
export function lstmGates(
  z: TypedArray,
  c: TypedArray,
  units: number,
  act: GateActivation,
  recAct: GateActivation,
  out: TypedArray,
): void {
  const a = FN[act];
  const s = FN[recAct];
  const H = units;
  const rows = c.length / H;
  for (let b = 0; b < rows; b++) {
    const zr = b * 4 * H;
    const cr = b * H;
    const or = b * 2 * H;
    for (let j = 0; j < H; j++) {
      const c2 = s(z[zr + H + j]) * c[cr + j] + s(z[zr + j]) * a(z[zr + 2 * H + j]);
      out[or + j] = s(z[zr + 3 * H + j]) * a(c2);
      out[or + H + j] = c2;
    }
  }
}

/**
 * The vjp of lstmGates: g [batch, 2·units] = [g_h | g_c], z, c → out [batch, 5·units] = [dz_i dz_f dz_c dz_o | dc]:
 * dc' = g_c + g_h·s(z_o)·a'(c'); dz_i = dc'·a(z_c)·s'(z_i); dz_f = dc'·c·s'(z_f); dz_c = dc'·s(z_i)·a'(z_c);
 * dz_o = g_h·a(c')·s'(z_o); dc = dc'·s(z_f).
 */
export function lstmGatesGrad(
  g: TypedArray,
  z: TypedArray,
  c: TypedArray,
  units: number,
  act: GateActivation,
  recAct: GateActivation,
  out: TypedArray,
): void {
  const a = FN[act];
  const da = DERIV[act];
  const s = FN[recAct];
  const ds = DERIV[recAct];
  const H = units;
  const rows = c.length / H;
  for (let b = 0; b < rows; b++) {
    const zr = b * 4 * H;
    const gr = b * 2 * H;
    const cr = b * H;
    const or = b * 5 * H;
    for (let j = 0; j < H; j++) {
      const zi = z[zr + j];
      const zf = z[zr + H + j];
      const zc = z[zr + 2 * H + j];
      const zo = z[zr + 3 * H + j];
      const i = s(zi);
      const f = s(zf);
      const u = a(zc);
      const o = s(zo);
      const cPrev = c[cr + j];
      const c2 = f * cPrev + i * u;
      const t = a(c2);
      const gh = g[gr + j];
      const dc2 = g[gr + H + j] + gh * o * da(c2, t);
      out[or + j] = dc2 * u * ds(zi, i);
      out[or + H + j] = dc2 * cPrev * ds(zf, f);
      out[or + 2 * H + j] = dc2 * i * da(zc, u);
      out[or + 3 * H + j] = gh * t * ds(zo, o);
      out[or + 4 * H + j] = dc2 * f;
    }
  }
}
