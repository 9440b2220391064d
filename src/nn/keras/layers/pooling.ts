// Keras pooling layers: Max/AveragePooling1D/2D and the global pools.
import { ShapeError, fmtShape } from '../../../core/errors.js';
import { Tensor } from '../../../core/tensor.js';
import { cast, div, notEqual, where } from '../../../ops/elementwise/builders.js';
import { expandDims } from '../../../ops/movement/builders.js';
import { sum } from '../../../ops/reduce/builders.js';
import {
  avgPool1d,
  avgPool2d,
  globalAvgPool,
  globalMaxPool,
  maxPool1d,
  maxPool2d,
} from '../../../ops/composite/pool.js';
import { type CallKwargs, Layer, type LayerArgs, layerOptions } from '../../layer.js';
import { maskOf } from '../mask.js';
import { checkSizes, spatialLayout } from './conv.js';
import { type DataFormatArg, dataFormatName, withDataFormat } from './data-format.js';

type IntOrPair = number | [number, number];
export interface PoolArgs extends LayerArgs {
  poolSize?: IntOrPair;
  strides?: IntOrPair | null;
  padding?: 'valid' | 'same';
  dataFormat?: DataFormatArg;
}

abstract class Pool extends Layer {
  static override options = layerOptions<PoolArgs>({
    poolSize: true,
    strides: true,
    padding: true,
    dataFormat: true,
  });
  constructor(
    readonly args: PoolArgs,
    readonly rank: 1 | 2,
    readonly kind: 'max' | 'avg',
  ) {
    super(args);
    this.args = withDataFormat(this, args);
    checkSizes(this.className, 'poolSize', args.poolSize, rank);
    checkSizes(this.className, 'strides', args.strides, rank);
  }
  override expectedRank(): number {
    return this.rank + 2;
  }
  override expectedLayout(): string {
    return spatialLayout(this.rank, this.args.dataFormat === 'channelsFirst');
  }
  call(x: Tensor): Tensor {
    const first = this.args.dataFormat === 'channelsFirst';
    const k = this.args.poolSize ?? 2;
    const s = this.args.strides ?? k;
    if (this.rank === 2) {
      const f = this.kind === 'max' ? maxPool2d : avgPool2d;
      return f(x, {
        kernelSize: k,
        stride: s,
        padding: this.args.padding ?? 'valid',
        dataFormat: first ? 'NCHW' : 'NHWC',
      });
    }
    const f = this.kind === 'max' ? maxPool1d : avgPool1d;
    const num = (v: IntOrPair) => (typeof v === 'number' ? v : v[0]);
    return f(x, {
      kernelSize: num(k),
      stride: num(s),
      padding: this.args.padding ?? 'valid',
      dataFormat: first ? 'NCW' : 'NWC',
    });
  }
  override getConfig() {
    const k = this.args.poolSize ?? 2;
    const pair = (v: IntOrPair) =>
      this.rank === 1 ? [typeof v === 'number' ? v : v[0]] : typeof v === 'number' ? [v, v] : v;
    return {
      ...super.getConfig(),
      pool_size: pair(k),
      strides: pair(this.args.strides ?? k),
      padding: this.args.padding ?? 'valid',
      data_format: dataFormatName(this.args.dataFormat),
    };
  }
}

export class MaxPooling2D extends Pool {
  static override className = 'MaxPooling2D';
  constructor(args: PoolArgs = {}) {
    super(args, 2, 'max');
  }
}
export class AveragePooling2D extends Pool {
  static override className = 'AveragePooling2D';
  constructor(args: PoolArgs = {}) {
    super(args, 2, 'avg');
  }
}
export class MaxPooling1D extends Pool {
  static override className = 'MaxPooling1D';
  constructor(args: PoolArgs = {}) {
    super(args, 1, 'max');
  }
}
export class AveragePooling1D extends Pool {
  static override className = 'AveragePooling1D';
  constructor(args: PoolArgs = {}) {
    super(args, 1, 'avg');
  }
}

abstract class GlobalPool extends Layer {
  static override options = layerOptions<GArgs>({ dataFormat: true, keepdims: true });
  constructor(
    readonly args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean },
    readonly rank: 1 | 2,
    readonly kind: 'max' | 'avg',
  ) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  override expectedRank(): number {
    return this.rank + 2;
  }
  override expectedLayout(): string {
    return spatialLayout(this.rank, this.args.dataFormat === 'channelsFirst');
  }
  call(x: Tensor): Tensor {
    const f = this.kind === 'max' ? globalMaxPool : globalAvgPool;
    return f(x, {
      dataFormat: this.args.dataFormat === 'channelsFirst' ? 'channelsFirst' : 'channelsLast',
      keepdims: this.args.keepdims,
    });
  }
}
export class GlobalMaxPooling2D extends GlobalPool {
  static override className = 'GlobalMaxPooling2D';
  constructor(args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean } = {}) {
    super(args, 2, 'max');
  }
}
export class GlobalAveragePooling2D extends GlobalPool {
  static override className = 'GlobalAveragePooling2D';
  constructor(args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean } = {}) {
    super(args, 2, 'avg');
  }
}
export class GlobalMaxPooling1D extends GlobalPool {
  static override className = 'GlobalMaxPooling1D';
  constructor(args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean } = {}) {
    super(args, 1, 'max');
  }
}
export class GlobalAveragePooling1D extends GlobalPool {
  static override className = 'GlobalAveragePooling1D';
  /** Reads its input's [batch, steps] mask (Keras ≥ 2.2.3, Keras 3) and outputs none (see ../mask.ts). */
  static handlesMasks = true;
  constructor(args: LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean } = {}) {
    super(args, 1, 'avg');
  }
  /**
   * With a mask (given in the call, Keras `mask=`, else the one Masking / Embedding(maskZero) put on x): the mean over
   * the real steps only, Σ x·m / Σ m per sample and channel.
   * NOTE: as Keras (2 and 3), a row whose steps are all masked divides 0 by 0: NaN. Masked steps count as 0 whatever
   * they hold (Keras 3's `where`), so an Inf or NaN there does not reach the result.
   */
  override call(x: Tensor, kw: CallKwargs = {}): Tensor {
    const mask = kw.mask === undefined || kw.mask === null ? maskOf(x) : kw.mask;
    if (mask === undefined) return super.call(x);
    const first = this.args.dataFormat === 'channelsFirst';
    const steps = first ? 2 : 1;
    if (
      !(mask instanceof Tensor) ||
      mask.rank !== 2 ||
      mask.shape[0] !== x.shape[0] ||
      mask.shape[1] !== x.shape[steps]
    )
      throw new ShapeError(
        `the mask must be [batch, steps] = [${x.shape[0]}, ${x.shape[steps]}] for input ${fmtShape(x.shape)}` +
          `${first ? ' (channelsFirst: steps on axis 2)' : ''}, got ${mask instanceof Tensor ? fmtShape(mask.shape) : typeof mask}`,
      );
    const keepdims = this.args.keepdims ?? false;
    const m = expandDims(notEqual(mask, 0), first ? 1 : 2);
    return div(sum(where(m, x, 0), steps, keepdims), sum(cast(m, x.dtype), steps, keepdims));
  }
}

type GArgs = LayerArgs & { dataFormat?: DataFormatArg; keepdims?: boolean };
export const poolingFactories = {
  maxPooling2d: (a: PoolArgs = {}) => new MaxPooling2D(a),
  averagePooling2d: (a: PoolArgs = {}) => new AveragePooling2D(a),
  maxPooling1d: (a: PoolArgs = {}) => new MaxPooling1D(a),
  averagePooling1d: (a: PoolArgs = {}) => new AveragePooling1D(a),
  globalMaxPooling2d: (a: GArgs = {}) => new GlobalMaxPooling2D(a),
  globalAveragePooling2d: (a: GArgs = {}) => new GlobalAveragePooling2D(a),
  globalMaxPooling1d: (a: GArgs = {}) => new GlobalMaxPooling1D(a),
  globalAveragePooling1d: (a: GArgs = {}) => new GlobalAveragePooling1D(a),
  // TF.js aliases
  maxPool2d: (a: PoolArgs = {}) => new MaxPooling2D(a),
  avgPool2d: (a: PoolArgs = {}) => new AveragePooling2D(a),
  globalAvgPool2d: (a: GArgs = {}) => new GlobalAveragePooling2D(a),
};
