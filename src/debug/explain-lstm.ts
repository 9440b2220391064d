// explain() of an LSTM: the Keras layer run on a one-step sequence, or one plain step of given sizes, with the
// layer's own bias, activation and recurrent activation read off it.
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { type Tensor, zeros } from '../core/tensor.js';
import { add, mul, sigmoid, tanh } from '../ops/elementwise/builders.js';
import { matmul } from '../ops/network/builders.js';
import { slice } from '../ops/movement/builders.js';
import { Layer } from '../nn/layer.js';
import type { OpSpec, Plan } from './explain-targets.js';

export interface LstmInfo {
  inFeatures: number;
  units: number;
  useBias: boolean;
  /** Candidate and output activation (tanh by default). */
  activation: string;
  /** Gate activation σ (sigmoid by default). */
  recurrentActivation: string;
}

/** An activation spec as text: its name, or 'custom' for a function; `def` when unset. */
export function actName(spec: unknown, def: string): string {
  if (spec === undefined) return def;
  if (spec === null) return 'linear';
  return typeof spec === 'string' ? spec : 'custom';
}
const leaf = (shape: readonly number[]): Tensor => zeros(shape, { requiresGrad: true });

/** Keras-style LSTM step with kernel [in,4u], recurrent kernel [u,4u], bias [4u]; gates i, f, c, o. */
export function lstmStep(
  x: Tensor,
  h: Tensor,
  c: Tensor,
  W: Tensor,
  U: Tensor,
  b: Tensor,
): { h: Tensor; c: Tensor } {
  const u = U.shape[0];
  const z = add(add(matmul(x, W), matmul(h, U)), b); // [N, 4u]
  const gate = (k: number) => slice(z, [0, k * u], [z.shape[0], u]);
  const i = sigmoid(gate(0));
  const f = sigmoid(gate(1));
  const g = tanh(gate(2));
  const o = sigmoid(gate(3));
  const c2 = add(mul(f, c), mul(i, g)); // c' = f⊙c + i⊙g
  return { h: mul(o, tanh(c2)), c: c2 };
}

export function lstmPlan(target: Layer | OpSpec, inputShape: readonly number[]): Plan {
  const feats = inputShape[inputShape.length - 1];
  const n = inputShape.length >= 2 ? inputShape[0] : 1;
  if (target instanceof Layer) {
    // NOTE: the real layer runs on a one-step sequence [N, 1, F], so the ops shown are its own code.
    if (!target.built) target.buildShape([n, 1, feats]);
    const ws = target.weights.map((w) => w.value); // the live tensors, so the trace can name them
    if (ws.length < 2 || ws[0].rank !== 2 || ws[1].rank !== 2 || ws[0].shape[1] !== 4 * ws[1].shape[0])
      throw new ValueError(
        `explain: ${target.name} (${target.className}) does not hold Keras LSTM weights [kernel [in,4u], recurrent_kernel [u,4u], bias [4u]]`,
      );
    const [W, U, b] = ws;
    if (W.shape[0] !== feats)
      throw new ShapeError(
        `explain: the LSTM kernel ${fmtShape(W.shape)} expects ${W.shape[0]} input features, the input has ${feats}`,
      );
    const params: [Tensor, string][] = [
      [W, 'W'],
      [U, 'U'],
    ];
    if (b) params.push([b, 'b']);
    const args = (target as unknown as { args: { activation?: unknown; recurrentActivation?: unknown } })
      .args;
    return {
      kind: 'lstm',
      title: `LSTM '${target.name}' (Keras layer), one time step`,
      inputShape: [n, 1, feats],
      params,
      run: (x) => target.apply(x) as Tensor,
      lstm: {
        inFeatures: feats,
        units: U.shape[0],
        useBias: !!b,
        activation: actName(args.activation, 'tanh'),
        recurrentActivation: actName(args.recurrentActivation, 'sigmoid'),
      },
    };
  }
  const u = (target as Extract<OpSpec, { op: 'lstm' }>).units;
  const [W, U, b] = [leaf([feats, 4 * u]), leaf([u, 4 * u]), leaf([4 * u])];
  const h0 = leaf([n, u]);
  const c0 = leaf([n, u]);
  return {
    kind: 'lstm',
    title: 'one LSTM step (Keras gate order i, f, c, o)',
    inputShape: [n, feats],
    params: [
      [W, 'W'],
      [U, 'U'],
      [b, 'b'],
      [h0, 'h'],
      [c0, 'c'],
    ],
    run: (x) => lstmStep(x, h0, c0, W, U, b).h,
    lstm: { inFeatures: feats, units: u, useBias: true, activation: 'tanh', recurrentActivation: 'sigmoid' },
  };
}
