// Recurrent primitives: the fused LSTM state update (`lstmGates`) and its gradient (`lstmGatesGrad`). Both are
// shortcuts for compositions of other rows (ops/composite/lstm-gates.ts): one kernel pass per time step instead of
// four gate slices, ~10 elementwise ops and, in backward, four full-width pads and their sum.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { vjp as vjpOf } from '../../core/autodiff.js';
import type { Tensor } from '../../core/tensor.js';
import { GATE_ACTIVATIONS, type GateActivation } from '../../backend/lstm.js';
import { type PrimTable, movedBytes, need } from '../prim.js';
import { slice } from '../movement/builders.js';
import { lstmGatesGradRef, lstmGatesGradRow } from '../composite/lstm-gates.js';

export interface GateParams {
  /** Candidate/output activation a. */
  act: GateActivation;
  /** Gate activation s. */
  recAct: GateActivation;
}

export interface RnnParams {
  lstmGates: GateParams;
  lstmGatesGrad: GateParams;
}

/** Check z [batch, 4·units], c [batch, units] (and g [batch, 2·units]) and the activation names; returns units. */
function checkGates(op: string, ins: Tensor[], p: GateParams, withGrad: boolean): number {
  for (const k of ['act', 'recAct'] as const)
    if (!GATE_ACTIVATIONS.includes(p[k]))
      throw new ValueError(`${op}: ${k} must be one of ${GATE_ACTIVATIONS.join(', ')}, got '${p[k]}'`);
  const [g, z, c] = withGrad ? ins : [null, ...ins];
  if (ins.some((t) => t.dtype !== ins[0].dtype || !isFloat(t.dtype)))
    throw new DTypeError(
      `${op}: inputs must share one float dtype, got ${ins.map((t) => t.dtype).join(', ')}`,
    );
  if (c!.rank !== 2) throw new ShapeError(`${op}: carry c must be [batch, units], got ${fmtShape(c!.shape)}`);
  const [B, H] = c!.shape;
  if (z!.rank !== 2 || z!.shape[0] !== B || z!.shape[1] !== 4 * H)
    throw new ShapeError(
      `${op}: gate pre-activations z must be [${B}, ${4 * H}] (batch, 4·units) for c ${fmtShape(c!.shape)}, got ${fmtShape(z!.shape)}`,
    );
  if (g && (g.rank !== 2 || g.shape[0] !== B || g.shape[1] !== 2 * H))
    throw new ShapeError(
      `${op}: gradient g must be [${B}, ${2 * H}] (batch, 2·units: h then c), got ${fmtShape(g.shape)}`,
    );
  return H;
}

export const rnnPrims: PrimTable<RnnParams> = {
  // [h' | c'] with c' = s(z_f)·c + s(z_i)·a(z_c), h' = s(z_o)·a(c')
  lstmGates: {
    arity: 2,
    shape: (ins, p) => {
      const H = checkGates('lstmGates', ins, p, false);
      return [ins[1].shape[0], 2 * H];
    },
    forward: (k, [z, c], out, p) => k.lstmGates(z.raw, c.raw, c.shape[1], p.act, p.recAct, out),
    // per unit: 4 activations, 3 for c', 1 + an activation for h' ≈ 9 ops over out's 2 values per unit
    cost: (c) => ({ flops: 4.5 * c.out.size, bytes: movedBytes(c) }),
    // [dz | dc] in one row, then cut: d/dz and d/dc of the formulas above (backend/lstm.ts spells them out)
    vjp: (g, ctx) => {
      const [z, c] = ctx.ins;
      const [B, H] = c.shape;
      const d = lstmGatesGradRow(g, z, c, ctx.p);
      return [
        need(ctx, 0, () => slice(d, [0, 0], [B, 4 * H])),
        need(ctx, 1, () => slice(d, [0, 4 * H], [B, H])),
      ];
    },
  },
  // [dz | dc] = J(z, c)ᵀ·g of lstmGates
  lstmGatesGrad: {
    arity: 3,
    shape: (ins, p) => {
      const H = checkGates('lstmGatesGrad', ins, p, true);
      return [ins[2].shape[0], 5 * H];
    },
    forward: (k, [g, z, c], out, p) => k.lstmGatesGrad(g.raw, z.raw, c.raw, c.shape[1], p.act, p.recAct, out),
    // per unit: the forward recomputed (≈ 9) plus 4 gate derivatives and the chain products (≈ 16), over 5 outputs
    cost: (c) => ({ flops: 5 * c.out.size, bytes: movedBytes(c) }),
    // NOTE: second derivatives come from the tape itself: the vjp of the same gradient written as a composition of
    // rows (lstmGatesGradRef), so no second-order formula is written by hand.
    vjp: (w, ctx) => {
      const [g, z, c] = ctx.ins;
      const back = vjpOf((g2, z2, c2) => lstmGatesGradRef(g2, z2, c2, ctx.p), g, z, c).vjp(w);
      return back.map((d, i) => (ctx.ins[i].requiresGrad ? d : null));
    },
  },
};
