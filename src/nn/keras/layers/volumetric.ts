// Keras 3-D layers (Conv3D, 3-D pooling, padding, cropping, upsampling) composed from 2-D/1-D ops over depth slices.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import type { Tensor } from '../../../core/tensor.js';
import { add } from '../../../ops/elementwise/builders.js';
import { avgPool3d, conv3d, maxPool3d } from '../../../ops/composite/conv3d.js';
import { max, mean } from '../../../ops/reduce/builders.js';
import { broadcastTo, expandDims, pad, reshape, slice, transpose } from '../../../ops/movement/builders.js';
import { type ActivationSpec, getActivation } from '../../activations.js';
import { Layer, type LayerArgs, layerOptions } from '../../layer.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

/** Conv3D's regularizer options (Keras kernel_, bias_, activity_regularizer). */
const CONV3D_REGS = regularizerKeys('kernelRegularizer', 'biasRegularizer', 'activityRegularizer');
import { type DataFormatArg, dataFormatName, withDataFormat } from './data-format.js';

export type { DataFormat } from './data-format.js';
type Triple = [number, number, number];

const toLast = (x: Tensor, first: boolean): Tensor => (first ? transpose(x, [0, 2, 3, 4, 1]) : x);
const fromLast = (y: Tensor, first: boolean): Tensor => (first ? transpose(y, [0, 4, 1, 2, 3]) : y);
const fmtName = dataFormatName;

function check5(layer: Layer, x: Tensor): void {
  if (x.rank !== 5)
    throw new ShapeError(
      `${layer.name} (${layer.className}): expected input of rank 5 [batch, d1, d2, d3, channels], got ${fmtShape(x.shape)}`,
    );
}

export interface Conv3DArgs
  extends LayerArgs, RegularizerArgs<'kernelRegularizer' | 'biasRegularizer' | 'activityRegularizer'> {
  filters: number;
  kernelSize: Triple;
  strides?: Triple;
  padding?: 'valid' | 'same';
  dataFormat?: DataFormatArg;
  dilationRate?: Triple;
  activation?: ActivationSpec;
  useBias?: boolean;
}

/**
 * Keras Conv3D (cross-correlation, kernel [kd, kh, kw, in, filters]): for every kernel depth tap kd, a 2-D
 * convolution of the matching depth slices; y[od] = Σ_kd conv2d(x[od·s + kd·dil], W[kd]) + b.
 */
export class Conv3D extends Layer {
  static override className = 'Conv3D';
  static override options = layerOptions<Conv3DArgs>({
    filters: true,
    kernelSize: true,
    strides: true,
    padding: true,
    dataFormat: true,
    dilationRate: true,
    activation: true,
    useBias: true,
    ...CONV3D_REGS,
  });
  static override required = ['filters', 'kernelSize'];
  kernel!: Tensor;
  bias: Tensor | null = null;
  constructor(readonly args: Conv3DArgs) {
    super(args);
    this.args = withDataFormat(this, args);
    if (!Number.isInteger(args.filters) || args.filters < 1)
      throw new ValueError(`Conv3D: filters must be a positive integer, got ${args.filters}`);
    setupRegularizers(this, args, CONV3D_REGS);
  }
  override expectedRank(): number {
    return 5;
  }
  override build(s: Shape): void {
    const c = this.args.dataFormat === 'channelsFirst' ? s[1] : s[4];
    this.kernel = this.addWeight('kernel', [...this.args.kernelSize, c, this.args.filters]);
    if (this.args.useBias ?? true) this.bias = this.addWeight('bias', [this.args.filters], 'zeros');
  }
  call(x0: Tensor): Tensor {
    check5(this, x0);
    const first = this.args.dataFormat === 'channelsFirst';
    const x = toLast(x0, first);
    const cin = this.kernel.shape[3];
    if (x.shape[4] !== cin)
      throw new ShapeError(
        `input ${fmtShape(x0.shape)} has ${x.shape[4]} channels but the kernel ${fmtShape(this.kernel.shape)} expects ${cin}`,
      );
    // the op-level math is tf.conv3d's (ops/composite/conv3d.ts)
    let y = conv3d(
      x,
      this.kernel,
      this.args.strides ?? 1,
      this.args.padding ?? 'valid',
      'NDHWC',
      this.args.dilationRate ?? 1,
    );
    if (this.bias) y = add(y, this.bias);
    return fromLast(getActivation(this.args.activation)(y), first);
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      filters: this.args.filters,
      kernel_size: this.args.kernelSize,
      strides: this.args.strides ?? [1, 1, 1],
      padding: this.args.padding ?? 'valid',
      data_format: fmtName(this.args.dataFormat),
      dilation_rate: this.args.dilationRate ?? [1, 1, 1],
      activation: typeof this.args.activation === 'string' ? this.args.activation : 'linear',
      use_bias: this.args.useBias ?? true,
      ...regularizerConfig(this),
    };
  }
}

export interface Pool3DArgs extends LayerArgs {
  poolSize?: Triple;
  strides?: Triple | null;
  padding?: 'valid' | 'same';
  dataFormat?: DataFormatArg;
}

const POOL3D_OPTIONS = layerOptions<Pool3DArgs>({
  poolSize: true,
  strides: true,
  padding: true,
  dataFormat: true,
});
const GLOBAL_POOL3D_OPTIONS = ['dataFormat', 'keepdims'];

/** Keras 3-D pooling, separable: pool each depth slice over (h, w), then pool over depth. */
abstract class Pool3D extends Layer {
  constructor(
    readonly args: Pool3DArgs,
    readonly kind: 'max' | 'avg',
  ) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  override expectedRank(): number {
    return 5;
  }
  call(x0: Tensor): Tensor {
    check5(this, x0);
    const first = this.args.dataFormat === 'channelsFirst';
    const x = toLast(x0, first);
    const k = this.args.poolSize ?? [2, 2, 2];
    const s = this.args.strides ?? k;
    const padding = this.args.padding ?? 'valid';
    const pool = this.kind === 'max' ? maxPool3d : avgPool3d;
    return fromLast(pool(x, k, s, padding), first);
  }
  override getConfig() {
    const k = this.args.poolSize ?? [2, 2, 2];
    return {
      ...super.getConfig(),
      pool_size: k,
      strides: this.args.strides ?? k,
      padding: this.args.padding ?? 'valid',
      data_format: fmtName(this.args.dataFormat),
    };
  }
}
export class MaxPooling3D extends Pool3D {
  static override className = 'MaxPooling3D';
  static override options = POOL3D_OPTIONS;
  constructor(args: Pool3DArgs = {}) {
    super(args, 'max');
  }
}
export class AveragePooling3D extends Pool3D {
  static override className = 'AveragePooling3D';
  static override options = POOL3D_OPTIONS;
  constructor(args: Pool3DArgs = {}) {
    super(args, 'avg');
  }
}

/** Global pooling over the three spatial axes. */
abstract class GlobalPool3D extends Layer {
  constructor(
    readonly args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean },
    readonly kind: 'max' | 'avg',
  ) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  override expectedRank(): number {
    return 5;
  }
  call(x: Tensor): Tensor {
    check5(this, x);
    const axes = this.args.dataFormat === 'channelsFirst' ? [2, 3, 4] : [1, 2, 3];
    return (this.kind === 'max' ? max : mean)(x, axes, this.args.keepdims ?? false);
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      data_format: fmtName(this.args.dataFormat),
      keepdims: this.args.keepdims ?? false,
    };
  }
}
export class GlobalMaxPooling3D extends GlobalPool3D {
  static override className = 'GlobalMaxPooling3D';
  static override options = GLOBAL_POOL3D_OPTIONS;
  constructor(args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean } = {}) {
    super(args, 'max');
  }
}
export class GlobalAveragePooling3D extends GlobalPool3D {
  static override className = 'GlobalAveragePooling3D';
  static override options = GLOBAL_POOL3D_OPTIONS;
  constructor(args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean } = {}) {
    super(args, 'avg');
  }
}

const spatial = (first: boolean): number[] => (first ? [2, 3, 4] : [1, 2, 3]);

/** Keras ZeroPadding3D: zeros before/after each of the three spatial axes. */
export class ZeroPadding3D extends Layer {
  static override className = 'ZeroPadding3D';
  static override options = ['padding', 'dataFormat'];
  constructor(readonly args: LayerArgs & { padding: [number, number][]; dataFormat?: DataFormatArg }) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  call(x: Tensor): Tensor {
    check5(this, x);
    const ax = spatial(this.args.dataFormat === 'channelsFirst');
    return pad(
      x,
      x.shape.map((_, i): [number, number] => (ax.includes(i) ? this.args.padding[ax.indexOf(i)] : [0, 0])),
    );
  }
  override getConfig() {
    return { ...super.getConfig(), padding: this.args.padding, data_format: fmtName(this.args.dataFormat) };
  }
}

/** Keras Cropping3D: remove rows before/after each of the three spatial axes. */
export class Cropping3D extends Layer {
  static override className = 'Cropping3D';
  static override options = ['cropping', 'dataFormat'];
  constructor(readonly args: LayerArgs & { cropping: [number, number][]; dataFormat?: DataFormatArg }) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  call(x: Tensor): Tensor {
    check5(this, x);
    const ax = spatial(this.args.dataFormat === 'channelsFirst');
    const begin = x.shape.map((_, i) => (ax.includes(i) ? this.args.cropping[ax.indexOf(i)][0] : 0));
    const size = x.shape.map((d, i) =>
      ax.includes(i) ? d - this.args.cropping[ax.indexOf(i)][0] - this.args.cropping[ax.indexOf(i)][1] : d,
    );
    if (size.some((d) => d <= 0))
      throw new ShapeError(
        `cropping ${JSON.stringify(this.args.cropping)} removes every row of input ${fmtShape(x.shape)}`,
      );
    return slice(x, begin, size);
  }
  override getConfig() {
    return { ...super.getConfig(), cropping: this.args.cropping, data_format: fmtName(this.args.dataFormat) };
  }
}

/** Repeat every entry of `axis` n times (nearest-neighbour upsampling along one axis). */
function repeatAxis(x: Tensor, axis: number, n: number): Tensor {
  if (n === 1) return x;
  const e = expandDims(x, axis + 1);
  const target = [...x.shape.slice(0, axis + 1), n, ...x.shape.slice(axis + 1)];
  const s = [...x.shape];
  s[axis] *= n;
  return reshape(broadcastTo(e, target), s);
}

/** Keras UpSampling3D: repeat along the three spatial axes by `size`. */
export class UpSampling3D extends Layer {
  static override className = 'UpSampling3D';
  static override options = ['size', 'dataFormat'];
  constructor(readonly args: LayerArgs & { size: Triple; dataFormat?: DataFormatArg }) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  call(x: Tensor): Tensor {
    check5(this, x);
    const ax = spatial(this.args.dataFormat === 'channelsFirst');
    return ax.reduce((t, a, i) => repeatAxis(t, a, this.args.size[i]), x);
  }
  override getConfig() {
    return { ...super.getConfig(), size: this.args.size, data_format: fmtName(this.args.dataFormat) };
  }
}

// TF.js-style factories. TF.js has conv3d, maxPooling3d and averagePooling3d (with its avgPool3d / avgPooling3d
// aliases); the other five follow the same spelling as their 1-D/2-D siblings. Sizes given as one number mean the
// same on all three axes, as in Keras and TF.js.
type Size3 = number | Triple;
type Pads3 = number | Triple | [number, number][];
const triple3 = (v: Size3): Triple => (typeof v === 'number' ? [v, v, v] : v);
/** ZeroPadding3D / Cropping3D amounts: n → n everywhere, [a, b, c] → symmetric per axis, or [[before, after] × 3]. */
function pairs3(v: Pads3): [number, number][] {
  if (typeof v === 'number')
    return [
      [v, v],
      [v, v],
      [v, v],
    ];
  return (v as (number | [number, number])[]).map((p): [number, number] =>
    typeof p === 'number' ? [p, p] : p,
  );
}
type Conv3DFactoryArgs = Omit<Conv3DArgs, 'kernelSize' | 'strides' | 'dilationRate'> & {
  kernelSize: Size3;
  strides?: Size3;
  dilationRate?: Size3;
};
type Pool3DFactoryArgs = Omit<Pool3DArgs, 'poolSize' | 'strides'> & {
  poolSize?: Size3;
  strides?: Size3 | null;
};
type GlobalPool3DArgs = LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean };
/** Replace the size-like keys that are present by their three-axis form (absent keys stay absent). */
function with3<T extends object>(a: T, keys: string[], f: (v: never) => unknown): T {
  const out = { ...a } as Record<string, unknown>;
  for (const k of keys) if (out[k] !== undefined && out[k] !== null) out[k] = f(out[k] as never);
  return out as T;
}
const conv3dArgs = (a: Conv3DFactoryArgs) =>
  with3(a, ['kernelSize', 'strides', 'dilationRate'], triple3) as Conv3DArgs;
const pool3dArgs = (a: Pool3DFactoryArgs) => with3(a, ['poolSize', 'strides'], triple3) as Pool3DArgs;

export const volumetricFactories = {
  conv3d: (a: Conv3DFactoryArgs) => new Conv3D(conv3dArgs(a)),
  maxPooling3d: (a: Pool3DFactoryArgs = {}) => new MaxPooling3D(pool3dArgs(a)),
  averagePooling3d: (a: Pool3DFactoryArgs = {}) => new AveragePooling3D(pool3dArgs(a)),
  globalMaxPooling3d: (a: GlobalPool3DArgs = {}) => new GlobalMaxPooling3D(a),
  globalAveragePooling3d: (a: GlobalPool3DArgs = {}) => new GlobalAveragePooling3D(a),
  /** Keras's default padding is 1 on every side of every spatial axis. */
  zeroPadding3d: (a: LayerArgs & { padding?: Pads3; dataFormat?: DataFormatArg } = {}) =>
    new ZeroPadding3D({ ...a, padding: pairs3(a.padding ?? 1) }),
  /** Keras's default cropping is 1 on every side of every spatial axis. */
  cropping3d: (a: LayerArgs & { cropping?: Pads3; dataFormat?: DataFormatArg } = {}) =>
    new Cropping3D({ ...a, cropping: pairs3(a.cropping ?? 1) }),
  /** Keras's default size is 2 on every spatial axis. */
  upSampling3d: (a: LayerArgs & { size?: Size3; dataFormat?: DataFormatArg } = {}) =>
    new UpSampling3D({ ...a, size: triple3(a.size ?? 2) }),
  // TF.js aliases
  avgPool3d: (a: Pool3DFactoryArgs = {}) => new AveragePooling3D(pool3dArgs(a)),
  avgPooling3d: (a: Pool3DFactoryArgs = {}) => new AveragePooling3D(pool3dArgs(a)),
};
