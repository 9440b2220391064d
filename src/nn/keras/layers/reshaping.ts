// Keras reshaping layers on sequences and images: ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import { tensor, type Tensor } from '../../../core/tensor.js';
import { matmul } from '../../../ops/network/builders.js';
import { broadcastTo, pad, reshape, slice, transpose } from '../../../ops/movement/builders.js';
import { Layer, type LayerArgs, layerOptions } from '../../layer.js';
import {
  type DataFormat,
  type DataFormatArg,
  dataFormatName,
  dataFormatOf,
  withDataFormat,
} from './data-format.js';

type Pair = [number, number];

/** An int, a symmetric pair or explicit pairs → [[before, after] per spatial axis]. */
function pairsOf(
  v: number | readonly (number | readonly number[])[],
  axes: number,
  what: string,
  layer: string,
): Pair[] {
  const bad = () =>
    new ValueError(
      `${layer}: ${what} must be a non-negative int, ${axes === 1 ? 'or [before, after]' : 'a pair (one per axis), or [[top, bottom], [left, right]]'}; got ${JSON.stringify(v)}`,
    );
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  let out: Pair[];
  if (ok(v)) out = Array.from({ length: axes }, (): Pair => [v, v]);
  else if (!Array.isArray(v)) throw bad();
  else if (axes === 1 && v.length === 2 && v.every(ok)) out = [[v[0] as number, v[1] as number]];
  else if (axes === 2 && v.length === 2 && v.every(ok)) out = (v as number[]).map((p): Pair => [p, p]);
  else if (v.length === axes && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok)))
    out = (v as number[][]).map((p): Pair => [p[0], p[1]]);
  else throw bad();
  return out;
}

/** Axis positions of the spatial axes for a rank-(k+2) input. */
const spatialAxes = (rank: number, first: boolean): number[] =>
  Array.from({ length: rank - 2 }, (_, i) => (first ? i + 2 : i + 1));

export interface ZeroPadding1DArgs extends LayerArgs {
  /** int, or [before, after] (Keras default 1). */
  padding?: number | [number, number];
}
export interface ZeroPadding2DArgs extends LayerArgs {
  /** int, [h, w] (symmetric) or [[top, bottom], [left, right]] (Keras default (1, 1)). */
  padding?: number | [number, number] | [[number, number], [number, number]];
  dataFormat?: DataFormatArg;
}

/** Zero rows added before/after each spatial axis. */
abstract class ZeroPaddingBase extends Layer {
  readonly pads: Pair[];
  readonly dataFormat?: DataFormat;
  constructor(
    args: LayerArgs,
    padding: number | readonly (number | readonly number[])[],
    readonly spatial: 1 | 2,
    dataFormat?: DataFormatArg,
  ) {
    super(args);
    this.dataFormat = dataFormatOf(this, dataFormat);
    this.pads = pairsOf(padding, spatial, 'padding', this.className);
  }
  override expectedRank(): number {
    return this.spatial + 2;
  }
  call(x: Tensor): Tensor {
    const ax = spatialAxes(x.rank, this.dataFormat === 'channelsFirst');
    return pad(
      x,
      x.shape.map((_, i): Pair => (ax.includes(i) ? this.pads[ax.indexOf(i)] : [0, 0])),
    );
  }
}
export class ZeroPadding1D extends ZeroPaddingBase {
  static override className = 'ZeroPadding1D';
  static override options = layerOptions<ZeroPadding1DArgs>({ padding: true });
  constructor(args: ZeroPadding1DArgs = {}) {
    super(args, args.padding ?? 1, 1);
  }
  override getConfig() {
    return { ...super.getConfig(), padding: this.pads[0] };
  }
}
export class ZeroPadding2D extends ZeroPaddingBase {
  static override className = 'ZeroPadding2D';
  static override options = layerOptions<ZeroPadding2DArgs>({ padding: true, dataFormat: true });
  constructor(args: ZeroPadding2DArgs = {}) {
    super(args, args.padding ?? 1, 2, args.dataFormat);
  }
  override getConfig() {
    return { ...super.getConfig(), padding: this.pads, data_format: dataFormatName(this.dataFormat) };
  }
}

export interface Cropping1DArgs extends LayerArgs {
  /** int, or [start, end] (Keras default (1, 1)). */
  cropping?: number | [number, number];
}
export interface Cropping2DArgs extends LayerArgs {
  /** int, [h, w] (symmetric) or [[top, bottom], [left, right]] (Keras default 0). */
  cropping?: number | [number, number] | [[number, number], [number, number]];
  dataFormat?: DataFormatArg;
}

/** Rows removed from the start/end of each spatial axis. */
abstract class CroppingBase extends Layer {
  readonly crops: Pair[];
  readonly dataFormat?: DataFormat;
  constructor(
    args: LayerArgs,
    cropping: number | readonly (number | readonly number[])[],
    readonly spatial: 1 | 2,
    dataFormat?: DataFormatArg,
  ) {
    super(args);
    this.dataFormat = dataFormatOf(this, dataFormat);
    this.crops = pairsOf(cropping, spatial, 'cropping', this.className);
  }
  override expectedRank(): number {
    return this.spatial + 2;
  }
  call(x: Tensor): Tensor {
    const ax = spatialAxes(x.rank, this.dataFormat === 'channelsFirst');
    ax.forEach((a, i) => {
      const [b, e] = this.crops[i];
      if (b + e >= x.shape[a])
        throw new ShapeError(
          `${this.name} (${this.className}): cropping [${b}, ${e}] on axis ${a} of input ${fmtShape(x.shape)} leaves nothing (axis size ${x.shape[a]})`,
        );
    });
    const begin = x.shape.map((_, i) => (ax.includes(i) ? this.crops[ax.indexOf(i)][0] : 0));
    const size = x.shape.map((d, i) =>
      ax.includes(i) ? d - this.crops[ax.indexOf(i)][0] - this.crops[ax.indexOf(i)][1] : d,
    );
    return slice(x, begin, size);
  }
}
export class Cropping1D extends CroppingBase {
  static override className = 'Cropping1D';
  static override options = layerOptions<Cropping1DArgs>({ cropping: true });
  constructor(args: Cropping1DArgs = {}) {
    super(args, args.cropping ?? 1, 1);
  }
  override getConfig() {
    return { ...super.getConfig(), cropping: this.crops[0] };
  }
}
export class Cropping2D extends CroppingBase {
  static override className = 'Cropping2D';
  static override options = layerOptions<Cropping2DArgs>({ cropping: true, dataFormat: true });
  constructor(args: Cropping2DArgs = {}) {
    super(args, args.cropping ?? 0, 2, args.dataFormat);
  }
  override getConfig() {
    return { ...super.getConfig(), cropping: this.crops, data_format: dataFormatName(this.dataFormat) };
  }
}

/** Repeat each entry `s` times along axis `a`: [.., d, ..] → [.., d, s, ..] broadcast → [.., d·s, ..]. */
function repeatAxis(x: Tensor, a: number, s: number): Tensor {
  if (s === 1) return x;
  const sh = x.shape;
  const expanded = reshape(x, [...sh.slice(0, a + 1), 1, ...sh.slice(a + 1)]);
  const b = broadcastTo(expanded, [...sh.slice(0, a + 1), s, ...sh.slice(a + 1)]);
  return reshape(b, [...sh.slice(0, a), sh[a] * s, ...sh.slice(a + 1)]);
}

/**
 * Linear-interpolation matrix [outLen, inLen] with half-pixel centres (TF2 `tf.image.resize` bilinear,
 * Keras 3): source position (o + 0.5)·in/out - 0.5, clamped to the edge samples.
 */
function bilinearMatrix(inLen: number, outLen: number): Float64Array {
  const m = new Float64Array(outLen * inLen);
  const scale = inLen / outLen;
  for (let o = 0; o < outLen; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const f = Math.floor(src);
    const lo = Math.max(f, 0);
    const hi = Math.min(Math.ceil(src), inLen - 1);
    const t = src - f;
    m[o * inLen + lo] += 1 - t;
    m[o * inLen + hi] += t;
  }
  return m;
}

export interface UpSampling1DArgs extends LayerArgs {
  size?: number;
}
/** Repeat each time step `size` times (Keras default 2). */
export class UpSampling1D extends Layer {
  static override className = 'UpSampling1D';
  static override options = layerOptions<UpSampling1DArgs>({ size: true });
  readonly size: number;
  constructor(args: UpSampling1DArgs = {}) {
    super(args);
    this.size = args.size ?? 2;
    if (!Number.isInteger(this.size) || this.size < 1)
      throw new ValueError(`UpSampling1D: size must be a positive integer, got ${args.size}`);
  }
  override expectedRank(): number {
    return 3;
  }
  call(x: Tensor): Tensor {
    return repeatAxis(x, 1, this.size);
  }
  override getConfig() {
    return { ...super.getConfig(), size: this.size };
  }
}

export interface UpSampling2DArgs extends LayerArgs {
  size?: number | [number, number];
  dataFormat?: DataFormatArg;
  /** 'nearest' (default, repeats rows and columns) or 'bilinear' (half-pixel centres, as TF2/Keras 3). */
  interpolation?: 'nearest' | 'bilinear';
}
/** Scale rows by size[0] and columns by size[1]. */
export class UpSampling2D extends Layer {
  static override className = 'UpSampling2D';
  static override options = layerOptions<UpSampling2DArgs>({
    size: true,
    dataFormat: true,
    interpolation: true,
  });
  readonly size: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(readonly args: UpSampling2DArgs = {}) {
    super(args);
    this.args = withDataFormat(this, args);
    const s = args.size ?? 2;
    this.size = typeof s === 'number' ? [s, s] : [s[0], s[1]];
    if (this.size.some((v) => !Number.isInteger(v) || v < 1))
      throw new ValueError(
        `UpSampling2D: size must be a positive integer or pair, got ${JSON.stringify(args.size)}`,
      );
    this.interpolation = args.interpolation ?? 'nearest';
    if (this.interpolation !== 'nearest' && this.interpolation !== 'bilinear')
      throw new ValueError(
        `UpSampling2D: interpolation must be 'nearest' or 'bilinear', got '${this.interpolation}'`,
      );
  }
  override expectedRank(): number {
    return 4;
  }
  call(x: Tensor): Tensor {
    const first = this.args.dataFormat === 'channelsFirst';
    const [ah, aw] = first ? [2, 3] : [1, 2];
    if (this.interpolation === 'nearest')
      return repeatAxis(repeatAxis(x, ah, this.size[0]), aw, this.size[1]);
    // bilinear: y = Ah · X · Awᵀ on each [h, w] plane, with constant interpolation matrices
    const planes = first ? x : transpose(x, [0, 3, 1, 2]); // [n, c, h, w]
    const [h, w] = [planes.shape[2], planes.shape[3]];
    const [oh, ow] = [h * this.size[0], w * this.size[1]];
    const Ah = tensor(bilinearMatrix(h, oh), [oh, h], { dtype: x.dtype });
    const Aw = tensor(bilinearMatrix(w, ow), [ow, w], { dtype: x.dtype });
    const y = matmul(matmul(Ah, planes), Aw, { transB: true });
    return first ? y : transpose(y, [0, 2, 3, 1]);
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      size: this.size,
      data_format: dataFormatName(this.args.dataFormat),
      interpolation: this.interpolation,
    };
  }
}

export const reshapingFactories = {
  zeroPadding1d: (a: ZeroPadding1DArgs = {}) => new ZeroPadding1D(a),
  zeroPadding2d: (a: ZeroPadding2DArgs = {}) => new ZeroPadding2D(a),
  cropping1d: (a: Cropping1DArgs = {}) => new Cropping1D(a),
  cropping2d: (a: Cropping2DArgs = {}) => new Cropping2D(a),
  /** TF.js spells this one with a capital D. */
  cropping2D: (a: Cropping2DArgs = {}) => new Cropping2D(a),
  upSampling1d: (a: UpSampling1DArgs = {}) => new UpSampling1D(a),
  upSampling2d: (a: UpSampling2DArgs = {}) => new UpSampling2D(a),
};
