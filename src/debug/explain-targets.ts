// What `explain` can explain: Keras layers, PyTorch-style modules and plain op specs, each resolved to
// a runnable plan (a function of the input, its named parameters, and the configuration it was given).
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { Tensor, zeros } from '../core/tensor.js';
import { conv1d, conv2d } from '../ops/composite/conv.js';
import { avgPool1d, avgPool2d, maxPool1d, maxPool2d } from '../ops/composite/pool.js';
import { add } from '../ops/elementwise/builders.js';
import { matmul } from '../ops/network/builders.js';
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
import { type LstmInfo, actName, lstmPlan } from './explain-lstm.js';

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
      dilation?: Pair;
      dataFormat?: string;
      ceilMode?: boolean;
      /** avgPool2d only (default false). */
      countIncludePad?: boolean;
      /** avgPool2d only. */
      divisorOverride?: number;
    }
  | {
      op: 'maxPool1d' | 'avgPool1d';
      kernelSize: number;
      stride?: number;
      padding?: 'same' | 'valid' | number;
      /** maxPool1d only. */
      dilation?: number;
      dataFormat?: string;
      ceilMode?: boolean;
      /** avgPool1d only (default false). */
      countIncludePad?: boolean;
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
  /** PyTorch padding_mode: what the padding holds ('zeros' unless a tg.nn module says otherwise). */
  paddingMode: string;
  /** The layer's activation, applied after the sum (Keras layers; undefined: none). */
  activation?: string;
}
export interface PoolInfo {
  rank: 1 | 2;
  kind: 'max' | 'avg';
  channelsFirst: boolean;
  padding: string;
  /** Whose rule: a Keras layer, a tg.nn module, or an op spec (for the wording). */
  source: 'keras' | 'torch' | 'op';
  /** Average pooling: padded cells count in the divisor (PyTorch count_include_pad). */
  countIncludePad: boolean;
  /** Average pooling: every window sum is divided by this instead. */
  divisorOverride: number | null;
  ceilMode: boolean;
}
/** The activation of a Keras layer to show in the math, or undefined for linear/none. */
const shownAct = (spec: unknown): string | undefined => {
  const a = actName(spec, 'linear');
  return a === 'linear' ? undefined : a;
};

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
  dense?: { inFeatures: number; units: number; useBias: boolean; transposed: boolean; activation?: string };
  lstm?: LstmInfo;
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
        paddingMode: 'zeros',
        activation: shownAct(target.args.activation),
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
        paddingMode: target.opts.paddingMode ?? 'zeros',
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
      paddingMode: 'zeros',
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
        source: 'keras',
        countIncludePad: false,
        divisorOverride: null,
        ceilMode: false,
      },
    };
  }
  if (target instanceof torch.MaxPool2d || target instanceof torch.AvgPool2d) {
    const x = withBatch(inputShape, 4, target.className);
    const avg = target instanceof torch.AvgPool2d;
    return {
      kind: 'pool',
      title: `${target.className} '${target.name}' (PyTorch-style module)`,
      inputShape: x,
      run: (t) => target.apply(t) as Tensor,
      params: [],
      pool: {
        rank: 2,
        kind: avg ? 'avg' : 'max',
        channelsFirst: true,
        padding: padText(target.padding),
        source: 'torch',
        countIncludePad: avg && target.countIncludePad,
        divisorOverride: avg ? target.divisorOverride : null,
        ceilMode: target.ceilMode,
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
      source: 'op',
      countIncludePad: spec.countIncludePad === true,
      divisorOverride: 'divisorOverride' in spec ? (spec.divisorOverride ?? null) : null,
      ceilMode: spec.ceilMode === true,
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
        activation: shownAct(target.activation),
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
