// Recurrent cells as compositions of primitives (one time step each); the tape differentiates them, so a
// loop of cells over time is back-propagated through time with no hand-written backward.
import { ShapeError, fmtShape } from '../../core/errors.js';
import { checkOptions } from '../../core/options.js';
import { type Tensor, zeros } from '../../core/tensor.js';
import { add, mul, sigmoid, sub, tanh } from '../elementwise/builders.js';
import { matmul } from '../network/builders.js';
import { reshape, slice, split } from '../movement/builders.js';
import { hasOpListeners } from '../../core/tape.js';
import { gateActivationName, lstmGatesRow } from './lstm-gates.js';

/** An elementwise activation (tanh, sigmoid, relu, ...). */
export type CellActivation = (x: Tensor) => Tensor;

/** Keras-layout cell weights: kernel [in, k·units], recurrentKernel [units, k·units], bias [k·units] (GRU resetAfter: [2, 3·units]). */
export interface CellWeights {
  kernel: Tensor;
  recurrentKernel: Tensor;
  bias?: Tensor | null;
}

export interface CellOptions {
  /** Output/candidate activation (default tanh). */
  activation?: CellActivation;
  /** Gate activation (default sigmoid, the Keras 2.3+/3 default). */
  recurrentActivation?: CellActivation;
}

export interface GruCellOptions extends CellOptions {
  /** Apply the reset gate after the recurrent matmul (Keras 3 / CuDNN / PyTorch variant, default true). */
  resetAfter?: boolean;
}

/** Split the last axis into `k` equal gate blocks (Keras/PyTorch store gates side by side). */
export const splitGates = (z: Tensor, k: number): Tensor[] => split(z, k, -1);

function checkCell(cell: string, x: Tensor, h: Tensor, w: CellWeights, k: number): number {
  const units = w.recurrentKernel.shape[0];
  if (x.rank !== 2)
    throw new ShapeError(`${cell}: input x must be [batch, features], got ${fmtShape(x.shape)}`);
  if (w.kernel.rank !== 2 || w.kernel.shape[0] !== x.shape[1] || w.kernel.shape[1] !== k * units)
    throw new ShapeError(
      `${cell}: kernel must be [${x.shape[1]}, ${k * units}] (features, ${k}·units), got ${fmtShape(w.kernel.shape)}`,
    );
  if (w.recurrentKernel.rank !== 2 || w.recurrentKernel.shape[1] !== k * units)
    throw new ShapeError(
      `${cell}: recurrentKernel must be [units, ${k}·units], got ${fmtShape(w.recurrentKernel.shape)}`,
    );
  if (h.rank !== 2 || h.shape[0] !== x.shape[0] || h.shape[1] !== units)
    throw new ShapeError(
      `${cell}: state h must be [${x.shape[0]}, ${units}] (batch, units), got ${fmtShape(h.shape)}`,
    );
  return units;
}

/**
 * LSTM state update from the four gate pre-activations (order i, f, c, o as in Keras and PyTorch):
 * c' = σ(f)·c + σ(i)·act(g), h' = σ(o)·act(c'). A null carry c is zero: c' = σ(i)·act(g).
 * NOTE: skipping σ(f)·0 gives the same values unless σ(f) is infinite or NaN (a finite gate times 0 is 0).
 */
export function lstmUpdate(
  zi: Tensor,
  zf: Tensor,
  zg: Tensor,
  zo: Tensor,
  c: Tensor | null,
  act: CellActivation = tanh,
  recAct: CellActivation = sigmoid,
): [Tensor, Tensor] {
  const ig = mul(recAct(zi), act(zg));
  const c2 = c ? add(mul(recAct(zf), c), ig) : ig;
  return [mul(recAct(zo), act(c2)), c2];
}

/**
 * LSTM state update from z = x·W + h·U + b [batch, 4·units] (gates i, f, c, o side by side) and the carry c:
 * returns [h', c'] as lstmUpdate of z's four blocks. With tanh/sigmoid/relu/linear activations it runs as the
 * fused `lstmGates` row (one kernel; its vjp one `lstmGatesGrad` kernel) and cuts h' and c' out of its
 * [h' | c'] output; with any other activation, as the composition. A null carry is zero (see lstmUpdate).
 * NOTE: not while someone listens to ops (explain, trace): they see the composition, as they see conv2d's
 * im2col/matmul instead of its fused row.
 */
export function lstmStep(
  z: Tensor,
  c: Tensor | null,
  act: CellActivation = tanh,
  recAct: CellActivation = sigmoid,
): [Tensor, Tensor] {
  const a = gateActivationName(act);
  const s = gateActivationName(recAct);
  if (!a || !s || hasOpListeners()) {
    const [zi, zf, zg, zo] = splitGates(z, 4);
    return lstmUpdate(zi, zf, zg, zo, c, act, recAct);
  }
  const [B, H] = [z.shape[0], z.shape[1] / 4];
  // NOTE: the fused row reads a zero carry as zeros (f·0 = 0), where the composition skips the term.
  const hc = lstmGatesRow(z, c ?? zeros([B, H], { dtype: z.dtype }), { act: a, recAct: s });
  return [slice(hc, [0, 0], [B, H]), slice(hc, [0, H], [B, H])];
}

/**
 * GRU state update: z = σ(xz + hz), r = σ(xr + hr), ĥ = act(xh + recH(r)), h' = z·h + (1 - z)·ĥ.
 * `recH(r)` is the reset-gated recurrent term: r·(h·U_h + b_h) (reset after) or (r·h)·U_h (reset before).
 */
export function gruUpdate(
  xz: Tensor,
  xr: Tensor,
  xh: Tensor,
  hz: Tensor,
  hr: Tensor,
  recH: (r: Tensor) => Tensor,
  h: Tensor,
  act: CellActivation = tanh,
  recAct: CellActivation = sigmoid,
): Tensor {
  const z = recAct(add(xz, hz));
  const r = recAct(add(xr, hr));
  const hh = act(add(xh, recH(r)));
  // h' = z·h + (1-z)·ĥ  =  ĥ + z·(h - ĥ)
  return add(hh, mul(z, sub(h, hh)));
}

/** One SimpleRNN step (Keras): h' = act(x·W + h·U + b). */
export function simpleRnnCell(x: Tensor, h: Tensor, w: CellWeights, opts: CellOptions = {}): Tensor {
  checkOptions('simpleRnnCell', opts, ['activation']); // NOTE: one activation; no gate, so no recurrentActivation
  checkCell('simpleRnnCell', x, h, w, 1);
  let z = add(matmul(x, w.kernel), matmul(h, w.recurrentKernel));
  if (w.bias) z = add(z, w.bias);
  return (opts.activation ?? tanh)(z);
}

/** One LSTM step (Keras gate order i, f, c, o): returns [h', c']. */
export function lstmCell(
  x: Tensor,
  h: Tensor,
  c: Tensor,
  w: CellWeights,
  opts: CellOptions = {},
): [Tensor, Tensor] {
  checkOptions('lstmCell', opts, ['activation', 'recurrentActivation']);
  checkCell('lstmCell', x, h, w, 4);
  if (c.rank !== 2 || c.shape[0] !== h.shape[0] || c.shape[1] !== h.shape[1])
    throw new ShapeError(
      `lstmCell: carry state c must have h's shape ${fmtShape(h.shape)}, got ${fmtShape(c.shape)}`,
    );
  // z = x·W + h·U + b, split into the i, f, c, o blocks
  let z = add(matmul(x, w.kernel), matmul(h, w.recurrentKernel));
  if (w.bias) z = add(z, w.bias);
  return lstmStep(z, c, opts.activation ?? tanh, opts.recurrentActivation ?? sigmoid);
}

/**
 * One GRU step (Keras gate order z, r, h). resetAfter (default true): bias [2, 3·units] holding the input
 * and recurrent biases; resetAfter false: bias [3·units] and the reset gate multiplies h before U_h.
 */
export function gruCell(x: Tensor, h: Tensor, w: CellWeights, opts: GruCellOptions = {}): Tensor {
  checkOptions('gruCell', opts, ['activation', 'recurrentActivation', 'resetAfter']);
  const units = checkCell('gruCell', x, h, w, 3);
  const resetAfter = opts.resetAfter ?? true;
  const b = w.bias ?? null;
  if (
    b &&
    (resetAfter
      ? b.rank !== 2 || b.shape[0] !== 2 || b.shape[1] !== 3 * units
      : b.rank !== 1 || b.shape[0] !== 3 * units)
  )
    throw new ShapeError(
      `gruCell: bias must be ${resetAfter ? `[2, ${3 * units}] with resetAfter` : `[${3 * units}] without resetAfter`}, got ${fmtShape(b.shape)}`,
    );
  const [bIn, bRec] = b && resetAfter ? split(b, 2, 0).map((t) => reshape(t, [3 * units])) : [b, null];
  let xw = matmul(x, w.kernel);
  if (bIn) xw = add(xw, bIn);
  const [xz, xr, xh] = splitGates(xw, 3);
  if (resetAfter) {
    // recurrent projection of h for all three gates at once, reset applied to its h-block afterwards
    let hu = matmul(h, w.recurrentKernel);
    if (bRec) hu = add(hu, bRec);
    const [hz, hr, hh] = splitGates(hu, 3);
    return gruUpdate(xz, xr, xh, hz, hr, (r) => mul(r, hh), h, opts.activation, opts.recurrentActivation);
  }
  const [uzr, uh] = split(w.recurrentKernel, [2 * units, units], 1);
  const [hz, hr] = splitGates(matmul(h, uzr), 2);
  return gruUpdate(
    xz,
    xr,
    xh,
    hz,
    hr,
    (r) => matmul(mul(r, h), uh),
    h,
    opts.activation,
    opts.recurrentActivation,
  );
}
