// What `explain` can explain: Keras layers, PyTorch-style modules and plain op specs, each resolved to
// a runnable plan (a function of the input, its named parameters, and the configuration it was given).
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor, zeros } from '../core/tensor.js';
import { conv1d, conv2d } from '../ops/composite/conv.js';
import { avgPool1d, avgPool2d, maxPool1d, maxPool2d } from '../ops/composite/pool.js';
import { add, sigmoid, tanh, mul } from '../ops/elementwise/builders.js';
import { matmul } from '../ops/network/builders.js';
import { slice } from '../ops/movement/builders.js';
import { Layer } from '../nn/layer.js';
import { Conv1D, Conv2D } from '../nn/keras/layers/conv.js';
import { Dense } from '../nn/keras/layers/core.js';
import {
  AveragePooling1D,
  AveragePooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from '../nn/keras/layers/pooling.js';
import * as torch from '../nn/torch/module.js';

type Pair = number | readonly [number, number];
export type PaddingSpec =
  | 'same'
  | 'valid'
  | 'causal'
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

/** Op specs accepted by `explain` (kernels in the layout of their dataFormat: HWIO/KIO channels-last, OIHW/OIK channels-first). */
export type OpSpec =
  | {
      op: 'conv2d';
      kernel: readonly number[];
      stride?: Pair;
      padding?: PaddingSpec;
      dilation?: Pair;
      groups?: number;
      dataFormat?: string;
      bias?: boolean;
    }
  | {
      op: 'conv1d';
      kernel: readonly number[];
      stride?: number;
      padding?: PaddingSpec;
      dilation?: number;
      groups?: number;
      dataFormat?: string;
      bias?: boolean;
    }
  | {
      op: 'maxPool2d' | 'avgPool2d';
      kernelSize: Pair;
      stride?: Pair;
      padding?: PaddingSpec;
      dataFormat?: string;
    }
  | {
      op: 'maxPool1d' | 'avgPool1d';
      kernelSize: number;
      stride?: number;
      padding?: 'same' | 'valid' | number;
      dataFormat?: string;
    }
  | { op: 'dense'; units: number; bias?: boolean }
  | { op: 'lstm'; units: number };

export interface ConvInfo {
  rank: 1 | 2;
  channelsFirst: boolean;
  /** Kernel layout as stored: HWIO / KIO (Keras, TF.js) or OIHW / OIK (PyTorch). */
  layout: string;
  padding: string;
  groups: number;
  filters: number;
  inChannels: number;
  useBias: boolean;
}
export interface PoolInfo {
  rank: 1 | 2;
  kind: 'max' | 'avg';
  channelsFirst: boolean;
  padding: string;
}

export interface Plan {
  kind: 'conv' | 'pool' | 'dense' | 'lstm';
  /** e.g. `Conv2D 'conv2d' (Keras layer)` */
  title: string;
  inputShape: number[];
  /** Runs the real layer / op on an input. */
  run(x: Tensor): Tensor;
  /** Parameter tensors and the symbol each is shown as. */
  params: [Tensor, string][];
  conv?: ConvInfo;
  pool?: PoolInfo;
  dense?: { inFeatures: number; units: number; useBias: boolean; transposed: boolean };
  lstm?: { inFeatures: number; units: number };
}

const padText = (p: unknown): string =>
  p === undefined ? 'valid' : typeof p === 'string' ? p : JSON.stringify(p);
const chFirst = (f: string | undefined): boolean => !!f && /first|NCHW|NCW/i.test(f);

/** Input shape with the batch axis: a shape one short of `rank` gets batch 1 in front. */
function withBatch(shape: readonly number[], rank: number | null, what: string): number[] {
  const s = [...shape];
  if (rank !== null && s.length === rank - 1) s.unshift(1);
  if (rank !== null && s.length !== rank)
    throw new ShapeError(
      `explain: ${what} takes a rank-${rank} input (batch first) or rank ${rank - 1} without batch, got ${fmtShape(shape)}`,
    );
  if (s.some((d) => !Number.isInteger(d) || d < 1))
    throw new ShapeError(`explain: input shape ${fmtShape(shape)} must have positive integer sizes`);
  return s;
}

function leaf(shape: readonly number[]): Tensor {
  return zeros(shape, { requiresGrad: true });
}

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

function convPlan(target: Layer | OpSpec, inputShape: readonly number[]): Plan {
  if (target instanceof Conv2D || target instanceof Conv1D) {
    const rank = target instanceof Conv2D ? 2 : 1;
    const x = withBatch(inputShape, rank + 2, target.className);
    if (!target.built) target.buildShape(x);
    const params: [Tensor, string][] = [[target.kernel, 'W']];
    if (target.bias) params.push([target.bias, 'b']);
    return {
      kind: 'conv',
      title: `${target.className} '${target.name}' (Keras layer)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params,
      conv: {
        rank,
        channelsFirst: target.channelsFirst,
        layout: rank === 2 ? 'HWIO' : 'KIO',
        padding: padText(target.args.padding),
        groups: target.groups,
        filters: target.filters,
        inChannels: target.kernel.shape[rank] * target.groups,
        useBias: target.useBias,
      },
    };
  }
  if (target instanceof torch.Conv2d || target instanceof torch.Conv1d) {
    const rank = target instanceof torch.Conv2d ? 2 : 1;
    const x = withBatch(inputShape, rank + 2, target.className);
    const params: [Tensor, string][] = [[target.weight, 'W']];
    if (target.bias) params.push([target.bias, 'b']);
    return {
      kind: 'conv',
      title: `${target.className} '${target.name}' (PyTorch-style module)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params,
      conv: {
        rank,
        channelsFirst: true,
        layout: rank === 2 ? 'OIHW' : 'OIK',
        padding: padText(target.opts.padding ?? 0),
        groups: target.opts.groups ?? 1,
        filters: target.outChannels,
        inChannels: target.inChannels,
        useBias: !!target.bias,
      },
    };
  }
  const spec = target as Extract<OpSpec, { op: 'conv2d' | 'conv1d' }>;
  const rank = spec.op === 'conv2d' ? 2 : 1;
  if (!Array.isArray(spec.kernel) || spec.kernel.length !== rank + 2)
    throw new ShapeError(
      `explain: ${spec.op} needs kernel as a rank-${rank + 2} shape, got ${JSON.stringify(spec.kernel)}`,
    );
  const first = chFirst(spec.dataFormat);
  const x = withBatch(inputShape, rank + 2, spec.op);
  const W = leaf(spec.kernel);
  const filters = first ? spec.kernel[0] : spec.kernel[rank + 1];
  const groups = spec.groups ?? 1;
  const b = spec.bias === false ? null : leaf([filters]);
  const params: [Tensor, string][] = [[W, 'W']];
  if (b) params.push([b, 'b']);
  const run =
    spec.op === 'conv2d'
      ? (t: Tensor) =>
          conv2d(t, W, b, {
            stride: spec.stride,
            padding: spec.padding as never,
            dilation: spec.dilation,
            groups,
            dataFormat: spec.dataFormat,
          })
      : (t: Tensor) =>
          conv1d(t, W, b, {
            stride: spec.stride as number | undefined,
            padding: spec.padding as never,
            dilation: spec.dilation as number | undefined,
            groups,
            dataFormat: spec.dataFormat,
          });
  return {
    kind: 'conv',
    title: `${spec.op} op`,
    inputShape: x,
    run,
    params,
    conv: {
      rank,
      channelsFirst: first,
      layout: first ? (rank === 2 ? 'OIHW' : 'OIK') : rank === 2 ? 'HWIO' : 'KIO',
      padding: padText(spec.padding),
      groups,
      filters,
      inChannels: (first ? spec.kernel[1] : spec.kernel[rank]) * groups,
      useBias: !!b,
    },
  };
}

function poolPlan(target: Layer | OpSpec, inputShape: readonly number[]): Plan {
  if (
    target instanceof MaxPooling2D ||
    target instanceof AveragePooling2D ||
    target instanceof MaxPooling1D ||
    target instanceof AveragePooling1D
  ) {
    const x = withBatch(inputShape, target.rank + 2, target.className);
    return {
      kind: 'pool',
      title: `${target.className} '${target.name}' (Keras layer)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params: [],
      pool: {
        rank: target.rank,
        kind: target.kind,
        channelsFirst: target.args.dataFormat === 'channelsFirst',
        padding: padText(target.args.padding),
      },
    };
  }
  if (target instanceof torch.MaxPool2d || target instanceof torch.AvgPool2d) {
    const x = withBatch(inputShape, 4, target.className);
    return {
      kind: 'pool',
      title: `${target.className} '${target.name}' (PyTorch-style module)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params: [],
      pool: {
        rank: 2,
        kind: target instanceof torch.MaxPool2d ? 'max' : 'avg',
        channelsFirst: true,
        padding: padText(target.padding),
      },
    };
  }
  const spec = target as Extract<OpSpec, { op: 'maxPool2d' | 'avgPool2d' | 'maxPool1d' | 'avgPool1d' }>;
  const rank = spec.op.endsWith('2d') ? 2 : 1;
  const x = withBatch(inputShape, rank + 2, spec.op);
  const f = { maxPool2d, avgPool2d, maxPool1d, avgPool1d }[spec.op] as (t: Tensor, o: unknown) => Tensor;
  return {
    kind: 'pool',
    title: `${spec.op} op`,
    inputShape: x,
    run: (t) => {
      const { op: _op, ...opts } = spec; // the op's own options, without the target's 'op' key
      return f(t, opts);
    },
    params: [],
    pool: {
      rank,
      kind: spec.op.startsWith('max') ? 'max' : 'avg',
      channelsFirst: chFirst(spec.dataFormat),
      padding: padText(spec.padding),
    },
  };
}

function densePlan(target: Layer | OpSpec, inputShape: readonly number[]): Plan {
  const x = withBatch(inputShape, inputShape.length === 1 ? 2 : null, 'dense');
  const inF = x[x.length - 1];
  if (target instanceof Dense) {
    if (!target.built) target.buildShape(x);
    const params: [Tensor, string][] = [[target.kernel, 'W']];
    if (target.bias) params.push([target.bias, 'b']);
    return {
      kind: 'dense',
      title: `Dense '${target.name}' (Keras layer)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params,
      dense: {
        inFeatures: target.kernel.shape[0],
        units: target.units,
        useBias: target.useBias,
        transposed: false,
      },
    };
  }
  if (target instanceof torch.Linear) {
    const params: [Tensor, string][] = [[target.weight, 'W']];
    if (target.bias) params.push([target.bias, 'b']);
    return {
      kind: 'dense',
      title: `Linear '${target.name}' (PyTorch-style module)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params,
      dense: {
        inFeatures: target.inFeatures,
        units: target.outFeatures,
        useBias: !!target.bias,
        transposed: true,
      },
    };
  }
  const spec = target as Extract<OpSpec, { op: 'dense' }>;
  const W = leaf([inF, spec.units]);
  const b = spec.bias === false ? null : leaf([spec.units]);
  const params: [Tensor, string][] = [[W, 'W']];
  if (b) params.push([b, 'b']);
  return {
    kind: 'dense',
    title: 'dense op (x·W + b)',
    inputShape: x,
    run: (t) => (b ? add(matmul(t, W), b) : matmul(t, W)),
    params,
    dense: { inFeatures: inF, units: spec.units, useBias: !!b, transposed: false },
  };
}

function lstmPlan(target: Layer | OpSpec, inputShape: readonly number[]): Plan {
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
    return {
      kind: 'lstm',
      title: `LSTM '${target.name}' (Keras layer), one time step`,
      inputShape: [n, 1, feats],
      params,
      run: (x) => target.apply(x) as Tensor,
      lstm: { inFeatures: feats, units: U.shape[0] },
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
    lstm: { inFeatures: feats, units: u },
  };
}

/** Resolve a layer, module or op spec to a plan. */
export function planFor(target: Layer | OpSpec, inputShape: readonly number[]): Plan {
  if (!Array.isArray(inputShape))
    throw new ValueError(`explain: inputShape must be an array of sizes, got ${JSON.stringify(inputShape)}`);
  if (
    target instanceof Conv2D ||
    target instanceof Conv1D ||
    target instanceof torch.Conv2d ||
    target instanceof torch.Conv1d
  )
    return convPlan(target, inputShape);
  if (
    target instanceof MaxPooling2D ||
    target instanceof AveragePooling2D ||
    target instanceof MaxPooling1D ||
    target instanceof AveragePooling1D ||
    target instanceof torch.MaxPool2d ||
    target instanceof torch.AvgPool2d
  )
    return poolPlan(target, inputShape);
  if (target instanceof Dense || target instanceof torch.Linear) return densePlan(target, inputShape);
  if (target instanceof Layer) {
    if (target.className === 'LSTM') return lstmPlan(target, inputShape);
    throw new ValueError(
      `explain: no explanation for ${target.className} '${target.name}' (explain knows Conv1D/Conv2D, pooling, Dense, LSTM and their PyTorch-style modules); use tg.trace for any other layer`,
    );
  }
  const op = (target as { op?: unknown })?.op;
  if (op === 'conv2d' || op === 'conv1d') return convPlan(target, inputShape);
  if (op === 'maxPool2d' || op === 'avgPool2d' || op === 'maxPool1d' || op === 'avgPool1d')
    return poolPlan(target, inputShape);
  if (op === 'dense') return densePlan(target, inputShape);
  if (op === 'lstm') return lstmPlan(target, inputShape);
  throw new ValueError(
    `explain: unknown target ${JSON.stringify(target)} (pass a layer, a module, or {op: 'conv2d' | 'conv1d' | 'maxPool2d' | 'avgPool2d' | 'maxPool1d' | 'avgPool1d' | 'dense' | 'lstm', ...})`,
  );
}
